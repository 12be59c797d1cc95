"""What if…? below a finished run on the Run page: change a candidate's text, re-run from a layer through the
design as it is now, and read both runs side by side; the what-if run is kept in the history."""

import pytest

from archon_engine import FakeModel, load_config
from archon_engine.design.presets import BUILTIN_DIR
from archon_engine.storage.store import Store

SCRF = load_config(BUILTIN_DIR / "sample-critic-rank-fuse.json")  # L0 generator ×5, L1 critic, L2 ranker, L3 fuser
PLANTED = "The capital of Japan is Osaka."


@pytest.fixture
def finished(session, run_to_end):
    """The Run page after a sample-critique-rank-fuse run on a fake model, and the fake."""
    fake = FakeModel()
    at = run_to_end(session("run", backend=fake, architecture=SCRF), "What is the capital of Japan?")
    assert at.session_state["run_job"].view.status == "completed"
    return at, fake


def button(at, label):
    return next(b for b in at.button if b.label == label)


def rerun_what_if(at, wait_for):
    button(at, f"Re-run from layer {at.selectbox(key=key(at, 'from')).value}").click().run()
    assert not at.exception
    return wait_for(at, lambda: at.session_state["what_if_job"].view.finished, what="the what-if run")


def key(at, name: str) -> str:
    view = at.session_state["run_job"].view
    return f"what_if_{view.run_id}_{name}"


def test_a_planted_answer_re_run_from_the_critic_calls_only_what_follows_and_shows_both_runs(
    finished, wait_for, data_dir
):
    at, fake = finished
    original = at.session_state["run_job"].view
    calls_before = len(fake.requests)
    at.selectbox(key=key(at, "from")).select(1)
    at.run()
    at.multiselect(key=key(at, "chosen_1")).select("L0.C0.s2")
    at.run()
    at.text_area(key=key(at, "text_L0.C0.s2")).input(PLANTED)

    at = rerun_what_if(at, wait_for)

    made = fake.requests[calls_before:]
    assert [r.role for r in made].count("generate") == 0  # the five samples came from the run
    assert len(made) == len(original.result.trace.calls) - 5
    assert PLANTED in str(next(r for r in made if r.role == "critique").messages)
    titles = [m.value for m in at.markdown]
    assert "**The run**" in titles and "**What if (from layer 1)**" in titles
    side_by_side = [m.value for m in at.metric if m.label == "Calls"][-2:]  # the panel is last on the page
    assert side_by_side == [str(len(original.result.trace.calls)), str(len(made))]
    caption = next(c.value for c in at.caption if c.value.startswith("The re-run took layers 0 to 0"))
    assert "(5 calls not made again)" in caption

    whatif = at.session_state["what_if_job"].view
    stored = Store(data_dir / "archon.sqlite")
    summary = next(r for r in stored.runs() if r.id == whatif.run_id)
    assert summary.name == f"{SCRF.name} · what if of run {original.run_id}, from layer 1"
    assert stored.run(whatif.run_id).layers[0].candidates[2].text == PLANTED


def test_a_changed_answer_shows_the_diff_and_opens_in_the_inspector(session, run_to_end, wait_for):
    fake = FakeModel({"fuse": ["Tokyo.", "Osaka, surely."]})  # the run's fusion, then the what-if's
    at = run_to_end(session("run", backend=fake, architecture=SCRF))
    at = rerun_what_if(at, wait_for)  # from the fuser, the last layer

    diff = next(c.value for c in at.code if c.language == "diff")
    assert "-Tokyo." in diff and "+Osaka, surely." in diff
    whatif = at.session_state["what_if_job"].view
    button(at, "Open the what-if run in the inspector").click().run()
    at.run()
    assert not at.exception
    assert at.session_state["run_job"].view.result is whatif.result
    assert at.query_params["run"] == whatif.run_id  # the page's link now opens the what-if run


def test_the_same_answer_says_so(session, run_to_end, wait_for):
    at = run_to_end(session("run", backend=FakeModel({"fuse": ["Tokyo."]}), architecture=SCRF))
    at = rerun_what_if(at, wait_for)
    assert any(s.value == "The same answer." for s in at.success)


def test_a_design_whose_earlier_layers_changed_is_refused_with_the_engines_message(finished):
    at, fake = finished
    calls_before = len(fake.requests)
    design = SCRF.model_copy(deep=True)
    design.layers[1][0].model = "fake/another-critic"
    at.session_state["arch"] = design
    at.run()
    at.selectbox(key=key(at, "from")).select(3)
    at.run()

    button(at, "Re-run from layer 3").click().run()

    assert not at.exception
    errors = [e.value for e in at.error]
    assert "This re-run cannot start: layer 1 of the design changed since the run: re-run from layer 1." in errors
    assert "what_if_job" not in at.session_state and len(fake.requests) == calls_before


def test_a_run_of_another_design_offers_its_own_design_for_the_re_run(finished, wait_for):
    at, fake = finished
    assert not [b for b in at.button if b.label == "Use this run's design"]  # the run's own design: no offer
    at.session_state["arch"] = load_config(BUILTIN_DIR / "single-model.json")  # as after replaying a recording
    at.run()
    button(at, "Use this run's design").click().run()
    assert at.session_state["arch"] == SCRF
    assert not [b for b in at.button if b.label == "Use this run's design"]  # the same design again

    calls_before = len(fake.requests)
    at.selectbox(key=key(at, "from")).select(3)
    at.run()
    at = rerun_what_if(at, wait_for)
    assert at.session_state["what_if_job"].view.status == "completed"
    assert [r.role for r in fake.requests[calls_before:]] == ["fuse"]  # only the fuser is called again
