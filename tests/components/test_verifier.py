"""Verifier: reasoning then a verdict for each candidate; only candidates judged correct go on."""

import json

from archon_engine import FakeModel, ModelError, run
from archon_engine.components.base import PARSE_RETRIES

PROMPT = "What is 17 * 3?"
IDS = ["L0.C0.s0", "L0.C0.s1", "L0.C0.s2"]


def verdicts(**by_candidate):
    """A verify_verdict responder: the verdict for each candidate id (s0=..., s1=...), "correct" otherwise."""

    def reply(request):
        short_id = request.metadata["candidate"].rsplit(".", 1)[-1]
        verdict = by_candidate.get(short_id, "correct")
        return verdict if isinstance(verdict, Exception) else json.dumps({"verdict": verdict})

    return [reply]


def verify_three(verdict_replies=None, reasoning_replies=None, **settings):
    """Three candidates (answer-0 .. answer-2) checked by one verifier with optionally scripted replies."""
    replies = {"generate": [lambda request: f"answer-{request.seed}"]}
    if verdict_replies is not None:
        replies["verify_verdict"] = verdict_replies
    if reasoning_replies is not None:
        replies["verify_reasoning"] = reasoning_replies
    arch = {
        "layers": [
            [{"type": "generator", "model": "fake/gen", "samples": 3, "seed": 0}],
            [{"type": "verifier", "model": "fake/verify", **settings}],
        ]
    }
    return run(arch, PROMPT, backend=FakeModel(replies))


def roles(result):
    return [call.role for call in result.trace.calls if call.layer == 1]


# Happy path


def test_only_candidates_judged_correct_go_on():
    result = verify_three(verdicts(s1="incorrect"))

    layer = result.layers[1]
    assert [c.id for c in layer.candidates] == ["L0.C0.s0", "L0.C0.s2"]
    assert {v.candidate_id: v.correct for v in layer.verdicts} == {
        "L0.C0.s0": True,
        "L0.C0.s1": False,
        "L0.C0.s2": True,
    }
    assert layer.errors == []


def test_each_candidate_costs_two_calls_reasoning_then_verdict():
    result = verify_three()

    assert sorted(roles(result)) == ["verify_reasoning"] * 3 + ["verify_verdict"] * 3
    for call in result.trace.calls:
        if call.role == "verify_verdict":
            reasoning, verdict = call.messages[-2:]
            assert reasoning == {"role": "assistant", "content": "fake reasoning: the response addresses the query."}
            assert verdict["role"] == "user"


def test_the_verdict_keeps_the_reasoning_and_points_at_the_candidate_id():
    result = verify_three()

    for verdict in result.layers[1].verdicts:
        assert verdict.reasoning == "fake reasoning: the response addresses the query."
        assert verdict.source == "L1.C0"
    assert sorted(v.candidate_id for v in result.layers[1].verdicts) == IDS


def test_each_candidate_is_checked_on_its_own():
    result = verify_three()

    prompts = sorted(call.messages[-1]["content"] for call in result.trace.calls if call.role == "verify_reasoning")
    for i, prompt in enumerate(prompts):
        assert PROMPT in prompt
        assert [f"answer-{j}" in prompt for j in range(3)] == [i == j for j in range(3)]


def test_a_harmlessly_decorated_verdict_counts():
    result = verify_three(verdicts(s0="**Correct**", s1="[INCORRECT]", s2="incorrect"))

    assert [c.id for c in result.layers[1].candidates] == ["L0.C0.s0"]


def test_top_k_caps_the_verified_candidates():
    assert [c.id for c in verify_three(top_k=1).layers[1].candidates] == ["L0.C0.s0"]


# Failure path


def test_an_unparseable_verdict_is_retried_then_counts_as_not_verified():
    result = verify_three(verdicts(s2="probably fine"))

    layer = result.layers[1]
    assert [c.id for c in layer.candidates] == ["L0.C0.s0", "L0.C0.s1"]
    unknown = [v for v in layer.verdicts if v.candidate_id == "L0.C0.s2"]
    assert [v.correct for v in unknown] == [None]
    s2_verdicts = [c for c in result.trace.calls if c.role == "verify_verdict" and "answer-2" in str(c.messages)]
    assert len(s2_verdicts) == 1 + PARSE_RETRIES
    assert all(call.parse_error for call in s2_verdicts)
    assert len(layer.errors) == 1
    assert layer.errors[0].startswith("L1.C0: L0.C0.s2: verdict unparseable after 3 attempts")


def test_a_failed_reasoning_call_counts_as_not_verified():
    def reasoning(request):
        return ModelError("server error") if request.metadata["candidate"] == "L0.C0.s0" else "looks right"

    result = verify_three(reasoning_replies=[reasoning])

    layer = result.layers[1]
    assert [c.id for c in layer.candidates] == ["L0.C0.s1", "L0.C0.s2"]
    assert [v.correct for v in layer.verdicts if v.candidate_id == "L0.C0.s0"] == [None]
    assert layer.errors == ["L1.C0: L0.C0.s0: ModelError: server error"]
    assert roles(result).count("verify_verdict") == 2


def test_when_no_candidate_is_verified_all_pass_on_with_an_error():
    result = verify_three(verdicts(s0="incorrect", s1="incorrect", s2="incorrect"))

    layer = result.layers[1]
    assert [c.id for c in layer.candidates] == IDS
    assert layer.errors == ["L1.C0: no candidate was verified as correct: all pass on unchanged"]
    assert result.status == "completed"
    assert result.answer == "answer-0"
