"""Watch a recorded run on the Run page: a shipped recording (or an upload) plays in the run inspector through
the run job with the recording as the model, at any speed and in step mode, with no model loaded; a bad
recording is one error in the entry while the rest of the page works. History downloads any run as one."""

import json
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from archon_engine import FakeModel, load_config, run
from archon_engine.design.presets import BUILTIN_DIR
from archon_engine.recording import load_recording, shipped, shipped_recordings
from archon_engine.storage.store import Store

APP = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"
SHIPPED = {r.slug: r for r in shipped_recordings()}


def run_page() -> AppTest:
    """A fresh session on the Run page, no backend set up: what a new visitor gets."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.switch_page("views/run.py").run()
    assert not at.exception
    return at


def watch(at: AppTest, slug: str, speed: str = "instant", step: bool = False) -> AppTest:
    at.selectbox(key="replay_source").set_value(slug)
    at.radio(key="replay_speed").set_value(speed)
    at.toggle(key="replay_step").set_value(step)
    return button(at, "Watch").click().run()


def button(at: AppTest, label: str):
    matching = [b for b in at.button if b.label == label]
    assert matching, f"no button {label!r} among {[b.label for b in at.button]}"
    return matching[0]


@pytest.fixture
def until(wait_for):
    """Rerun the page until ``done(view)`` holds for its run job's view."""

    def rerun(at: AppTest, done, what: str) -> AppTest:
        return wait_for(at, lambda: done(at.session_state["run_job"].view), what=f"the replay {what}")

    return rerun


def test_the_entry_lists_every_shipped_recording_and_an_upload(no_model):
    at = run_page()

    options = at.selectbox(key="replay_source").options
    assert len(options) == len(SHIPPED) + 1 and options[-1] == "Upload a recording…"
    assert at.radio(key="replay_speed").options == ["1x", "2x", "4x", "instant"]


def test_a_shipped_recording_plays_in_the_inspector_with_no_model(no_model, until):
    recording = load_recording(SHIPPED["moa-lite"].path)

    at = until(watch(run_page(), "moa-lite"), lambda v: v.finished, "finished")

    view = at.session_state["run_job"].view
    assert view.status == "completed" and view.answer == recording.run.answer
    assert [c.raw_response for c in view.calls] == [c.raw_response for c in recording.calls]
    assert view.architecture == recording.architecture
    assert any("Replaying “" in i.value and "no model is called" in i.value for i in at.info)
    assert not at.error
    assert "Download a recording" in {d.label for d in at.get("download_button")}


def test_step_mode_pauses_after_each_layer_of_a_replay(no_model, until):
    recording = load_recording(SHIPPED["sample-critic-rank-fuse"].path)
    at = watch(run_page(), "sample-critic-rank-fuse", step=True)

    at = until(at, lambda v: v.paused_before == 1, "paused after layer 0")
    assert len(at.session_state["run_job"].view.calls) == 5  # layer 0's samples, nothing more
    button(at, "Next layer").click().run()
    at = until(at, lambda v: v.paused_before == 2, "paused after layer 1")
    button(at, "Run to the end").click().run()
    at = until(at, lambda v: v.finished, "finished")

    assert at.session_state["run_job"].view.answer == recording.run.answer


def test_at_the_recorded_pace_a_replay_takes_as_long_as_the_run(no_model, until):
    recording = load_recording(SHIPPED["single-model"].path)

    at = watch(run_page(), "single-model", speed="1x")
    started = time.monotonic()
    at = until(at, lambda v: v.finished, "finished")

    assert time.monotonic() - started >= recording.run.usage.latency_s * 0.95


def test_a_tampered_recording_is_one_error_and_the_page_still_runs(no_model, tmp_path, monkeypatch):
    shutil.copy(SHIPPED["moa-lite"].path, tmp_path / "moa-lite.json")
    data = json.loads((tmp_path / "moa-lite.json").read_text())
    data["run"]["answer"] = "Because it is."
    (tmp_path / "moa-lite.json").write_text(json.dumps(data))
    monkeypatch.setattr(shipped, "SHIPPED_DIR", tmp_path)

    at = watch(run_page(), "moa-lite")

    assert [e.value for e in at.error] == [
        f"{SHIPPED['moa-lite'].title} does not match its digest: it was changed or cut after it was recorded"
    ]
    assert "run_job" not in at.session_state
    assert not button(at, "Run").disabled and not at.exception


def test_watching_an_upload_without_a_file_says_to_choose_one(no_model):
    at = run_page()
    at.selectbox(key="replay_source").set_value("upload").run()

    button(at, "Watch").click().run()

    assert [e.value for e in at.error] == ["Choose a recording file to upload first."]


def test_history_offers_every_run_as_a_recording(no_model, data_dir, until):
    at = until(watch(run_page(), "single-model"), lambda v: v.finished, "finished")
    at.switch_page("views/history.py").run()
    assert any("No runs yet" in i.value for i in at.info)  # a replay is not kept as a run of its own

    kept = run(load_config(BUILTIN_DIR / "moa-lite.json"), "Hi", backend=FakeModel())
    Store(data_dir / "archon.sqlite").save_run(kept)
    at.run()

    assert "Download a recording" in {d.label for d in at.get("download_button")}
    assert not at.exception
