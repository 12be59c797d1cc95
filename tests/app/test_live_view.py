"""A running call's card on the Run page shows its text growing as the tokens arrive, then the finished text."""

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app.widgets.live_view import CURSOR
from archon_engine import FakeModel, load_config
from archon_engine.design.presets import BUILTIN_DIR
from archon_engine.execution import RunEvent
from archon_engine.models.base import ModelRequest
from archon_engine.trace import CallRecord

APP = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"
BACKEND_KEY = "run_backend"  # app.jobs.base.BACKEND_KEY
REPLY = "Tokyo is the capital of Japan and its largest city by far"


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption") for e in at.get(kind))


def wait_for(at: AppTest, condition, timeout: float = 30.0) -> AppTest:
    deadline = time.monotonic() + timeout
    while not condition(at):
        assert time.monotonic() < deadline, "the page never showed it"
        time.sleep(0.05)
        at.run()
        assert not at.exception
    return at


def growing_texts(at: AppTest) -> set[str]:
    """The texts the page shows as still being written (they end in the cursor)."""
    return {str(m.value)[: -len(CURSOR)] for m in at.markdown if str(m.value).endswith(CURSOR)}


def test_a_generators_card_grows_while_it_writes_and_holds_the_whole_text_once_done():
    fake = FakeModel({"generate": [REPLY]}, piece_latency=0.15)
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[BACKEND_KEY] = fake
    at.run()
    at.switch_page("views/run.py").run()
    at.session_state["arch"] = load_config(BUILTIN_DIR / "self-consistency.json")
    at.run()
    next(b for b in at.button if b.label == "Run").click().run()

    wait_for(at, lambda at: "writing…" in texts(at))
    assert "L0.C0** writes L0.C0.s0" in texts(at)  # the card names the candidate it writes
    seen: set[str] = set()
    while not at.session_state["run_job"].view.finished:
        seen |= growing_texts(at)
        time.sleep(0.1)
        at.run()
    assert len(seen) >= 2  # the page showed the text at several lengths...
    assert all(REPLY.startswith(text) and text != REPLY for text in seen)  # ...each a part of the reply

    at.run()
    assert at.session_state["run_job"].view.writing == {}
    assert "writing…" not in texts(at) and not growing_texts(at) and REPLY in texts(at)


def record(call_id: str = "call-1", retries: int = 0) -> CallRecord:
    return CallRecord(
        id=call_id,
        layer=0,
        component="L0.C0",
        component_type="generator",
        role="generate",
        model="m",
        messages=[],
        retries=retries,
    )


def delta(text: str, retries: int = 0) -> RunEvent:
    request = ModelRequest(model="m", messages=[], metadata={"sample": 0})
    return RunEvent.text_delta(record(retries=retries), request, text)


def test_the_view_keeps_each_running_calls_text_and_a_retry_starts_it_anew():
    from app.jobs.run import RunJob

    job = RunJob(load_config(BUILTIN_DIR / "single-model.json"), "q")
    for event in (delta("Tok"), delta("yo "), delta("is")):
        job._apply(event)
    (live,) = job.view.writing_in(0)
    assert (live.text, live.candidate, live.attempt) == ("Tokyo is", "L0.C0.s0", 0)

    job._apply(delta("Kyo", retries=1))
    assert job.view.writing["call-1"].text == "Kyo" and job.view.writing["call-1"].attempt == 1

    job._apply(RunEvent(kind="call_finished", layer=0, call=record()))
    assert job.view.writing == {} and [c.id for c in job.view.calls] == ["call-1"]
