"""Recording a finished run: everything needed to replay it, sealed, and with no secret in it."""

import json

from archon_engine.recording import FORMAT_VERSION, load_recording, record, write


def test_a_recording_holds_the_version_design_prompt_every_call_and_the_result(recorded_run, scrf, tmp_path):
    result = recorded_run()

    write(result, tmp_path / "run.json")

    data = json.loads((tmp_path / "run.json").read_text())
    assert data["format"] == "archon-recording" and data["format_version"] == FORMAT_VERSION
    assert data["prompt"] == "What is the capital of Japan?"
    assert data["digest"].startswith("sha256:")
    run = data["run"]
    assert run["architecture"]["name"] == scrf.name and run["answer"] == result.answer
    assert len(run["trace"]["calls"]) == 8
    first = run["trace"]["calls"][0]
    for field in ("messages", "raw_response", "prompt_tokens", "completion_tokens", "cost_usd", "start_s", "end_s"):
        assert field in first


def test_a_written_recording_loads_back_as_the_same_run(recorded_run, tmp_path):
    result = recorded_run()

    written = write(result, tmp_path / "nested" / "run.json")
    loaded = load_recording(tmp_path / "nested" / "run.json")

    assert loaded.run == result
    assert loaded == written
    assert loaded.architecture == result.architecture and loaded.calls == result.trace.calls


def test_a_secret_in_the_prompt_or_a_reply_never_reaches_the_file(recorded_run, tmp_path, monkeypatch):
    secret = "sk-test-very-secret-value-123"
    result = recorded_run()
    monkeypatch.setenv("SOME_PROVIDER_API_KEY", secret)  # known only now: the recording must still redact it
    leaked = result.model_copy(update={"answer": f"the key is {secret}"})

    write(leaked, tmp_path / "run.json")

    text = (tmp_path / "run.json").read_text()
    assert secret not in text and "[REDACTED]" in text
    assert load_recording(tmp_path / "run.json").run.answer == "the key is [REDACTED]"


def test_the_title_says_the_design_and_the_prompt_unless_one_is_given(recorded_run):
    result = recorded_run()

    assert record(result).title.startswith(f"{result.architecture.name}: What is the capital")
    assert record(result, title="Demo").title == "Demo"
