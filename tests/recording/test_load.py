"""A bad recording (cut short, changed, of an unknown version, not a recording at all) is refused with one
message that names what is wrong."""

import json

import pytest

from archon_engine.recording import RecordingError, load_recording, write
from archon_engine.recording.format import digest_of


@pytest.fixture
def recording_file(recorded_run, tmp_path):
    path = tmp_path / "run.json"
    write(recorded_run(), path)
    return path


def refused(source, **kwargs) -> str:
    with pytest.raises(RecordingError) as caught:
        load_recording(source, **kwargs)
    return str(caught.value)


def test_a_truncated_recording_is_named_cut_short(recording_file):
    text = recording_file.read_text()

    message = refused(text[: len(text) // 2].encode(), name="half.json")

    assert message.startswith("half.json is not valid JSON (the file looks cut short)")


def test_a_changed_answer_breaks_the_digest(recording_file):
    data = json.loads(recording_file.read_text())
    data["run"]["answer"] = "Tokyo, obviously"
    recording_file.write_text(json.dumps(data))

    assert "does not match its digest: it was changed or cut after it was recorded" in refused(recording_file)


def test_a_recording_cut_at_a_json_boundary_breaks_the_digest(recording_file):
    data = json.loads(recording_file.read_text())
    data["run"]["trace"]["calls"] = data["run"]["trace"]["calls"][:3]  # still valid JSON, calls missing
    recording_file.write_text(json.dumps(data))

    assert "does not match its digest" in refused(recording_file)


def test_an_unknown_format_version_is_named(recording_file):
    data = json.loads(recording_file.read_text())
    data["format_version"] = 99
    recording_file.write_text(json.dumps(data))

    assert "has format version 99, which this Archon Studio cannot read (it reads 1)" in refused(recording_file)


def test_a_missing_digest_is_refused(recording_file):
    data = json.loads(recording_file.read_text())
    del data["digest"]
    recording_file.write_text(json.dumps(data))

    assert "has no digest" in refused(recording_file)


def test_a_bad_field_is_named_by_its_path_even_under_a_matching_digest(recording_file):
    data = json.loads(recording_file.read_text())
    del data["digest"]
    data["run"]["trace"]["calls"][2]["prompt_tokens"] = "many"
    data["digest"] = digest_of(data)
    recording_file.write_text(json.dumps(data))

    message = refused(recording_file)

    assert "run.trace.calls.2.prompt_tokens" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty"),
        (b"\xff\xfe\x00binary", "it is not text (UTF-8)"),
        (b'{"layers": [[{"type": "generator"}]]}', 'is not an Archon recording (no "format": "archon-recording"'),
        (b"[1, 2, 3]", "is not an Archon recording"),
    ],
)
def test_what_is_not_a_recording_says_so(content, expected):
    assert expected in refused(content, name="upload.json")


def test_a_missing_file_is_named(tmp_path):
    assert refused(tmp_path / "nowhere.json").startswith(f"{tmp_path / 'nowhere.json'}: cannot be read")
