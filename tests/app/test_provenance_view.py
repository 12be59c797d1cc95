"""The fuser's card on the Run page: sentences coloured by source, and on request the leave-one-out check (the
fuser re-run without each candidate, in the background, through the response cache)."""

import pytest

from archon_engine import FakeModel, load_config
from archon_engine.design.presets import BUILTIN_DIR

SCRF = load_config(BUILTIN_DIR / "sample-critic-rank-fuse.json")  # the fuser reads the ranker's top 3 of 5
SAYINGS = [f"Fact number {n} about Tokyo." for n in range(5)]
JOBS_KEY = "leave_one_out_jobs"  # app.widgets.provenance_view.JOBS_KEY


def copies_what_it_reads(request) -> str:
    prompt = str(request.messages[-1]["content"])
    return " ".join(saying for saying in SAYINGS if saying in prompt)


def fake() -> FakeModel:
    return FakeModel({"generate": SAYINGS, "fuse": [copies_what_it_reads]})


def fuses(model: FakeModel) -> int:
    return sum(r.role == "fuse" for r in model.requests)


@pytest.fixture
def take_apart(session, run_to_end, wait_for):
    """Run sample-critique-rank-fuse on a new session's fake, press the fuser card's button, wait for the check."""

    def go(model: FakeModel):
        at = run_to_end(session("run", backend=model, architecture=SCRF), "Tell me about Tokyo.")
        before = fuses(model)
        next(b for b in at.button if b.label == "What does each candidate change? (3 calls)").click().run()
        assert not at.exception
        job = at.session_state[JOBS_KEY]["L3.C0.s0"][1]
        return wait_for(at, lambda: job.view.finished, what="the leave-one-out check"), fuses(model) - before

    return go


def test_each_candidate_left_out_shows_the_sentence_that_depended_on_it(take_apart):
    at, calls = take_apart(fake())

    assert calls == 3
    shown = "\n".join(m.value for m in at.markdown)
    assert "**Without each candidate**" in shown
    for n in (4, 3, 2):  # the ranker kept the last three samples
        assert f"-badge[L0.C0.s{n}] 33% of the fusion depends on it: 1 sentence changes: *Fact number {n}" in shown
    assert "The fusion without L0.C0.s4" in [e.label for e in at.expander]
    assert any(c.value.startswith("3 calls. A sentence changes when") for c in at.caption)


def test_asking_again_in_another_session_is_answered_by_the_cache(take_apart):
    take_apart(fake())
    at, calls = take_apart(fake())
    assert calls == 0
    assert any(c.value.startswith("3 calls, 3 from the cache.") for c in at.caption)


def test_a_fusion_of_one_candidate_offers_no_check(session, run_to_end):
    alone = load_config({"name": "one then fuse", "layers": [[{"type": "generator"}], [{"type": "fuser"}]]})
    at = run_to_end(session("run", architecture=alone))
    assert not [b for b in at.button if b.label.startswith("What does each candidate change?")]
