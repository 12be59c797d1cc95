"""Bad input in the app: each case shows one clear message naming what is wrong, and the page keeps working.

Malformed and wrongly typed JSON, 10 000 candidates into a fuser, an empty or a 1 MB prompt, a model no
provider knows, a provider without a key. The last two go through the real litellm backend: both are
refused before any request leaves the machine.
"""

import json
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from archon_engine import FakeModel, load_config

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
BACKEND_KEY = "run_backend"  # app.jobs.base.BACKEND_KEY
ONE_MB = "Summarise this. " + "word " * 200_000


def page(path: str, backend=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if backend is not None:
        at.session_state[BACKEND_KEY] = backend
    at.run()
    at.switch_page(path).run()
    assert not at.exception
    return at


def one_generator(model: str, samples: int = 1):
    return load_config({"name": "one", "layers": [[{"type": "generator", "model": model, "samples": samples}]]})


def paste(at: AppTest, text: str) -> AppTest:
    if not at.toggle(key="design_start_open").value:
        at.toggle(key="design_start_open").set_value(True).run()
    at.text_area(key="design_paste").set_value(text).run()
    next(b for b in at.button if b.label == "Load the pasted JSON").click().run()
    assert not at.exception
    return at


def messages(at: AppTest, kind: str, containing: str) -> list[str]:
    return [e.value for e in at.get(kind) if containing in e.value]


def run_to_end(at: AppTest, prompt: str) -> AppTest:
    at.text_area(key="run_prompt").set_value(prompt)
    next(b for b in at.button if b.label == "Run").click().run()
    assert not at.exception
    deadline = time.monotonic() + 60
    while not at.session_state["run_job"].view.finished:
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.05)
        at.run()
    return at.run()


def test_malformed_json_and_wrong_types_are_named_and_the_design_stays():
    at = page("views/design.py")
    before = at.session_state["arch"]

    paste(at, '{"name": "x", "layers": [[{"type": "generator"')
    assert len(messages(at, "error", "invalid JSON at line 1")) == 1

    paste(at, json.dumps({"layers": [[{"type": "generator", "model": "m", "samples": "five"}]]}))
    (wrong_type,) = messages(at, "error", "Could not import")
    assert "layers[0][0].samples" in wrong_type and "valid integer" in wrong_type

    assert at.session_state["arch"] == before
    paste(at, json.dumps({"name": "fixed", "layers": [[{"type": "generator", "model": "fake/m"}]]}))
    assert at.session_state["arch"].name == "fixed"  # the page still works


def test_ten_thousand_candidates_into_a_fuser_is_one_error_and_nothing_runs():
    generator = {"type": "generator", "model": "fake/m", "samples": 10_000}
    huge = {"name": "huge", "layers": [[generator], [{"type": "fuser", "model": "fake/m"}]]}
    design = paste(page("views/design.py"), json.dumps(huge))
    assert design.session_state["arch"].name == "huge"
    (error,) = messages(design, "error", "10,000 candidates")
    assert "fuser" in error and "at most 100" in error

    run = page("views/run.py", FakeModel())
    run.session_state["arch"] = design.session_state["arch"]
    run.run()
    assert next(b for b in run.button if b.label == "Run").disabled
    assert messages(run, "error", "cannot run")
    assert "run_job" not in run.session_state


def test_an_empty_prompt_asks_for_one_and_a_1_mb_prompt_runs_with_its_text_shown_cut():
    at = page("views/run.py", FakeModel())
    at.session_state["arch"] = one_generator("fake/m")
    at.text_area(key="run_prompt").set_value("")
    next(b for b in at.button if b.label == "Run").click().run()
    assert messages(at, "warning", "Type a prompt first") and "run_job" not in at.session_state

    at = run_to_end(at, ONE_MB)
    assert at.session_state["run_job"].view.status == "completed"
    shown = [c.value for c in at.code if c.value.startswith("Summarise this.")]
    assert shown and all(len(text) < 25_000 and "more characters: download the trace" in text for text in shown)
    assert len(at.session_state["run_job"].view.trace.calls[0].messages[-1]["content"]) == len(ONE_MB.strip())


def test_an_unknown_model_fails_at_once_with_how_to_name_it():
    at = page("views/run.py")  # no test backend: the real litellm one
    at.session_state["arch"] = one_generator("nosuch/model")
    at = run_to_end(at, "Hello?")

    (failed,) = messages(at, "error", "The run failed")
    assert "unknown model 'nosuch/model'" in failed and "provider/model" in failed
    assert at.session_state["run_job"].view.trace.calls[0].retries == 0


def test_a_provider_without_a_key_is_named_before_and_after_the_run(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    at = page("views/run.py")
    at.session_state["arch"] = one_generator("anthropic/claude-3-5-haiku-latest")
    at.run()
    (before,) = messages(at, "warning", "No API key for anthropic/claude-3-5-haiku-latest")
    assert "Settings page" in before

    at = run_to_end(at, "Hello?")
    (failed,) = messages(at, "error", "The run failed")
    assert "no API key for anthropic: set ANTHROPIC_API_KEY" in failed
