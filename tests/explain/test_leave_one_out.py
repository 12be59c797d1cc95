"""Leave-one-out fusion: the fuser re-run without each candidate in turn, one call each, through the cache;
the sentences copied from a candidate are the ones that change when it is left out."""

import pytest

from archon_engine import FakeModel, ModelError, load_config, run
from archon_engine.explain import compare_fusions, fusion_provenance, leave_one_out, planned_calls
from archon_engine.models.cache import ResponseCache

SAMPLES_THEN_FUSER = load_config(
    {
        "name": "three samples, one fuser",
        "layers": [[{"type": "generator", "samples": 3}], [{"type": "fuser"}]],
    }
)
SAYINGS = [
    "Tokyo is the capital of Japan.",
    "Its metro area has thirty-seven million people.",
    "It hosted the 2020 Olympics.",
]


def copies_what_it_reads(request) -> str:
    """A fuser that copies every candidate sentence it was shown, in order."""
    prompt = str(request.messages[-1]["content"])
    return " ".join(saying for saying in SAYINGS if saying in prompt)


def fake() -> FakeModel:
    return FakeModel({"generate": SAYINGS, "fuse": [copies_what_it_reads]})


@pytest.fixture(scope="module")
def fused_run():
    result = run(SAMPLES_THEN_FUSER, "Tell me about Tokyo.", backend=fake())
    assert result.answer == " ".join(SAYINGS)
    return result


def test_it_calls_the_fuser_once_per_candidate_each_time_without_that_candidate(fused_run):
    model = fake()
    found = leave_one_out(fused_run, "L1.C0.s0", backend=model)

    assert planned_calls(fused_run, "L1.C0.s0") == 3
    assert [r.role for r in model.requests] == ["fuse"] * 3 and found.usage.calls == 3
    for request, left_out in zip(model.requests, SAYINGS, strict=True):
        prompt = str(request.messages[-1]["content"])
        assert left_out not in prompt
        assert all(saying in prompt for saying in SAYINGS if saying != left_out)
    assert [e.candidate_id for e in found.effects] == ["L0.C0.s0", "L0.C0.s1", "L0.C0.s2"]


def test_leaving_out_a_copied_candidate_changes_exactly_the_sentence_copied_from_it(fused_run):
    found = leave_one_out(fused_run, "L1.C0.s0", backend=fake())

    second = found.effect("L0.C0.s1")
    assert second.fused_without == f"{SAYINGS[0]} {SAYINGS[2]}"
    assert second.changed == [1] and second.added == []
    assert second.dependence == pytest.approx(len(SAYINGS[1]) / sum(map(len, SAYINGS)), abs=1e-3)
    assert [e.changed for e in found.effects] == [[0], [1], [2]]
    # the causal check agrees with the lexical one: the changed sentence is the one attributed to it
    segments = fusion_provenance(fused_run.answer, {c.id: c.text for c in fused_run.layers[0].candidates})
    assert [s.best for s in segments] == ["L0.C0.s0", "L0.C0.s1", "L0.C0.s2"]


def test_a_fusion_that_does_not_depend_on_a_candidate_shows_no_change(fused_run):
    always_the_same = FakeModel({"fuse": [" ".join(SAYINGS)]})
    found = leave_one_out(fused_run, "L1.C0.s0", backend=always_the_same)
    assert all(e.changed == [] and e.dependence == 0.0 for e in found.effects)


def test_through_the_cache_a_second_request_makes_no_call(fused_run):
    cache = ResponseCache()
    first_model, second_model = fake(), fake()
    first = leave_one_out(fused_run, "L1.C0.s0", backend=first_model, cache=cache)
    second = leave_one_out(fused_run, "L1.C0.s0", backend=second_model, cache=cache)

    assert len(first_model.requests) == 3 and not any(e.cached for e in first.effects)
    assert second_model.requests == []
    assert all(e.cached for e in second.effects) and second.usage.cached_calls == 3
    assert [e.fused_without for e in second.effects] == [e.fused_without for e in first.effects]


def test_a_sampled_fuser_is_flagged_and_still_replayed_from_the_cache():
    sampling = SAMPLES_THEN_FUSER.model_copy(deep=True)
    sampling.layers[1][0].temperature = 0.7
    result = run(sampling, "Tell me about Tokyo.", backend=fake())
    cache = ResponseCache()
    assert leave_one_out(result, "L1.C0.s0", backend=fake(), cache=cache).sampled
    again = fake()
    leave_one_out(result, "L1.C0.s0", backend=again, cache=cache)
    assert again.requests == []


def test_a_failed_call_is_reported_for_its_candidate_only(fused_run):
    calls = iter([ModelError("provider down", retryable=False), "Tokyo is the capital of Japan.", "x"])
    found = leave_one_out(fused_run, "L1.C0.s0", backend=FakeModel({"fuse": [lambda r: next(calls)]}))
    failed = [e for e in found.effects if e.error]
    assert len(failed) == 1 and "provider down" in failed[0].error and failed[0].fused_without is None


def test_only_a_fusion_of_two_candidates_or_more_can_be_taken_apart(fused_run):
    with pytest.raises(ValueError, match=r"no candidate L9\.C0\.s0 in this run"):
        leave_one_out(fused_run, "L9.C0.s0", backend=fake())
    with pytest.raises(ValueError, match=r"L0\.C0\.s1 was not written by a fuser's call"):
        leave_one_out(fused_run, "L0.C0.s1", backend=fake())
    alone = load_config({"name": "one sample", "layers": [[{"type": "generator"}], [{"type": "fuser"}]]})
    single = run(alone, "Tell me about Tokyo.", backend=fake())
    with pytest.raises(ValueError, match="read 1 candidate: nothing to leave out"):
        planned_calls(single, "L1.C0.s0")


def test_sentences_match_by_their_words_not_their_punctuation():
    changed, added, share = compare_fusions("Paris is the capital. It is big.", "paris is the capital! It is huge.")
    assert changed == [1] and added == ["It is huge."]
    assert share == pytest.approx(len("It is big.") / (len("Paris is the capital.") + len("It is big.")), abs=1e-3)
