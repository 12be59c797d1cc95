"""The Run page's step mode: one layer, a pause to look at it, then Next layer, Run to the end or Cancel.

On a fake model; the run is the engine's ``Execution``, so no call is made twice.
"""

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from archon_engine import FakeModel, load_config, run
from archon_engine.design.presets import BUILTIN_DIR
from archon_engine.storage.store import Store

APP = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"
BACKEND_KEY = "run_backend"  # app.jobs.base.BACKEND_KEY: the test hook for the model backend
SCRF = load_config(BUILTIN_DIR / "sample-critic-rank-fuse.json")  # generator ×5, critic, ranker, fuser
PROMPT = "What is 2 + 2?"


def stepping_run() -> AppTest:
    """A Run page on the four-layer preset, started in step mode."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[BACKEND_KEY] = FakeModel()
    at.switch_page("views/run.py").run()
    at.session_state["arch"] = SCRF
    at.run()
    at.text_area(key="run_prompt").set_value(PROMPT)
    at.toggle(key="run_step").set_value(True).run()
    button(at, "Run").click().run()
    return at


def button(at: AppTest, label: str):
    matching = [b for b in at.button if b.label == label]
    assert matching, f"no button {label!r} among {[b.label for b in at.button]}"
    return matching[0]


def view(at: AppTest):
    return at.session_state["run_job"].view


def wait_until(at: AppTest, done, what: str) -> AppTest:
    deadline = time.monotonic() + 30
    while not done(view(at)):
        assert time.monotonic() < deadline, f"the run never {what}"
        time.sleep(0.05)
        at.run()
    at.run()
    assert not at.exception
    return at


def paused_before(layer: int):
    return lambda v: v.paused_before == layer


def test_step_mode_pauses_after_each_layer_and_each_layer_runs_once():
    at = wait_until(stepping_run(), paused_before(1), "paused after layer 0")
    shown = " ".join(m.value for m in at.markdown)
    assert "Paused after L0 · generator ×5" in shown and "Next: **L1 · critic**" in shown
    assert {c.layer for c in view(at).calls} == {0} and len(view(at).calls) == 5  # nothing ran ahead
    assert "paused after layer 1 of 4" in shown

    button(at, "Next layer").click().run()
    wait_until(at, paused_before(2), "paused after layer 1")
    assert [layer.index for layer in view(at).layers] == [0, 1]

    button(at, "Run to the end").click().run()
    wait_until(at, lambda v: v.finished, "finished")
    assert view(at).status == "completed"
    plain = run(SCRF, PROMPT, backend=FakeModel())
    assert [c.component for c in view(at).calls] == [c.component for c in plain.trace.calls]  # each call once
    assert at.success[0].value.startswith("Fused answer")


def test_cancel_while_paused_keeps_the_layers_done_as_a_cancelled_run_in_the_history(data_dir):
    at = wait_until(stepping_run(), paused_before(1), "paused after layer 0")
    button(at, "Cancel").click().run()
    wait_until(at, lambda v: v.finished, "ended")
    result = view(at).result
    assert (result.status, result.error) == ("cancelled", "stopped after 1 of 4 layers")
    assert [layer.index for layer in result.layers] == [0] and len(result.trace.calls) == 5
    assert any("cancelled" in w.value for w in at.warning)
    [kept] = Store(data_dir / "archon.sqlite").runs()
    assert kept.status == "cancelled"


def test_without_step_mode_the_run_goes_through_without_pausing():
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[BACKEND_KEY] = FakeModel()
    at.switch_page("views/run.py").run()
    at.session_state["arch"] = SCRF
    at.run()
    button(at, "Run").click().run()
    wait_until(at, lambda v: v.finished or v.paused_before is not None, "ended")
    assert view(at).status == "completed" and len(view(at).layers) == 4
