"""Critic: strengths and weaknesses per candidate id, which later rankers, fusers and verifiers read."""

import json

from archon_engine import FakeModel, run
from archon_engine.components.base import PARSE_RETRIES

PROMPT = "Explain why the sky is blue."
IDS = ["L0.C0.s0", "L0.C0.s1", "L0.C0.s2"]


def generator(samples=3):
    return {"type": "generator", "model": "fake/gen", "samples": samples, "seed": 0}


def component(kind, **settings):
    return {"type": kind, "model": f"fake/{kind}", **settings}


def critiques(*numbers):
    """A critic reply reviewing the given candidate numbers with strengths S<n> and weaknesses W<n>."""
    return json.dumps({"critiques": [{"candidate": n, "strengths": f"S{n}", "weaknesses": f"W{n}"} for n in numbers]})


def run_layers(*layers, **replies):
    fake = FakeModel({"generate": [lambda request: f"answer-{request.seed}"], **replies})
    return run({"layers": list(layers)}, PROMPT, backend=fake)


def prompts_of(result, role):
    return [call.messages[-1]["content"] for call in result.trace.calls if call.role == role]


def assert_in_order(text, *parts):
    positions = [text.index(part) for part in parts]
    assert positions == sorted(positions), f"expected {parts} in this order in:\n{text}"


# Happy path


def test_critiques_attach_to_candidate_ids_whatever_order_the_reply_uses():
    result = run_layers([generator()], [component("critic")], [component("fuser")], critique=[critiques(3, 1, 2)])

    by_id = {c.candidate_id: (c.strengths, c.weaknesses, c.source) for c in result.layers[1].critiques}
    assert by_id == {
        "L0.C0.s0": ("S1", "W1", "L1.C0"),
        "L0.C0.s1": ("S2", "W2", "L1.C0"),
        "L0.C0.s2": ("S3", "W3", "L1.C0"),
    }
    assert [c.candidate_id for c in result.layers[1].critiques] == IDS


def test_the_critic_passes_the_candidates_on_unchanged():
    result = run_layers([generator()], [component("critic")], [component("fuser")])

    assert [c.id for c in result.layers[1].candidates] == IDS
    assert result.layers[1].errors == []


def test_the_fuser_prompt_holds_each_critique_beside_its_candidate():
    result = run_layers([generator()], [component("critic")], [component("fuser")], critique=[critiques(1, 2, 3)])

    (prompt,) = prompts_of(result, "fuse")
    assert_in_order(prompt, "answer-0", "S1", "W1", "answer-1", "S2", "W2", "answer-2", "S3", "W3")


def test_critiques_survive_a_rankers_reordering_and_cut_candidates_lose_theirs():
    result = run_layers(
        [generator()],
        [component("critic")],
        [component("ranker", top_k=2)],
        [component("fuser")],
        critique=[critiques(1, 2, 3)],
        rank=['{"ranking": [3, 1, 2]}'],
    )

    assert [c.id for c in result.layers[2].candidates] == ["L0.C0.s2", "L0.C0.s0"]
    (prompt,) = prompts_of(result, "fuse")
    assert_in_order(prompt, "answer-2", "S3", "W3", "answer-0", "S1", "W1")
    assert "answer-1" not in prompt
    assert "S2" not in prompt


def test_a_ranker_reads_critiques_only_when_use_critiques_is_set():
    def ranker_prompt(**settings):
        layers = [generator()], [component("critic")], [component("ranker", **settings)]
        (prompt,) = prompts_of(run_layers(*layers, critique=[critiques(1, 2, 3)]), "rank")
        return prompt

    assert_in_order(ranker_prompt(use_critiques=True), "answer-0", "S1", "W1", "answer-1", "S2", "W2")
    assert "S1" not in ranker_prompt()


def test_a_verifier_reads_the_critique_of_the_candidate_it_checks():
    result = run_layers([generator(samples=1)], [component("critic")], [component("verifier")], critique=[critiques(1)])

    (prompt,) = prompts_of(result, "verify_reasoning")
    assert_in_order(prompt, "answer-0", "S1", "W1")


def test_a_fusers_new_candidates_start_without_critiques():
    result = run_layers(
        [generator()],
        [component("critic")],
        [component("fuser")],
        [component("verifier")],
        critique=[critiques(1, 2, 3)],
        fuse=["fused answer"],
    )

    assert [c.text for c in result.layers[2].candidates] == ["fused answer"]
    (prompt,) = prompts_of(result, "verify_reasoning")
    assert "fused answer" in prompt
    for critique_text in ("S1", "W1", "S2", "W2", "S3", "W3"):
        assert critique_text not in prompt


# Failure path


def test_candidates_the_reply_leaves_out_get_no_critique_and_an_error():
    result = run_layers([generator()], [component("critic")], [component("fuser")], critique=[critiques(1, 3, 7)])

    layer = result.layers[1]
    assert [c.candidate_id for c in layer.critiques] == ["L0.C0.s0", "L0.C0.s2"]
    assert layer.errors == ["L1.C0: no critique for L0.C0.s1"]
    assert [c.id for c in layer.candidates] == IDS


def test_an_unparseable_critique_is_retried_then_leaves_no_critiques_and_an_error():
    result = run_layers(
        [generator()], [component("critic")], [component("fuser")], critique=["All three are fine, really."]
    )

    calls = [call for call in result.trace.calls if call.role == "critique"]
    assert len(calls) == 1 + PARSE_RETRIES
    assert all(call.parse_error for call in calls)
    layer = result.layers[1]
    assert layer.critiques == []
    assert len(layer.errors) == 1
    assert layer.errors[0].startswith("L1.C0: no critiques: unparseable after 3 attempts")
    assert [c.id for c in layer.candidates] == IDS
    assert result.status == "completed"
    without_critic = run_layers([generator()], [component("fuser")])
    assert prompts_of(result, "fuse") == prompts_of(without_critic, "fuse")


# Pointwise: one call per candidate


def one_critique(request):
    """A pointwise critic reply naming the candidate the call is about."""
    cid = request.metadata["candidate"]
    return json.dumps({"strengths": f"S of {cid}", "weaknesses": f"W of {cid}"})


def test_a_pointwise_critic_makes_one_call_per_candidate_each_seeing_only_its_candidate():
    result = run_layers([generator()], [component("critic", mode="pointwise")], critique_one=[one_critique])
    calls = [c for c in result.trace.calls if c.role == "critique_one"]
    assert len(calls) == 3
    for call, n in zip(calls, range(3), strict=True):
        said = call.messages[-1]["content"]
        assert f"answer-{n}" in said and all(f"answer-{m}" not in said for m in range(3) if m != n)
    critic = result.layers[1].outputs[0]
    assert [(c.candidate_id, c.strengths) for c in critic.critiques] == [(i, f"S of {i}") for i in IDS]
    assert critic.errors == []


def test_a_pointwise_critique_that_fails_leaves_only_that_candidate_without_one():
    def flaky(request):
        return "no JSON here" if request.metadata["candidate"] == IDS[1] else one_critique(request)

    result = run_layers([generator()], [component("critic", mode="pointwise")], critique_one=[flaky])
    critic = result.layers[1].outputs[0]
    assert [c.candidate_id for c in critic.critiques] == [IDS[0], IDS[2]]
    assert len(critic.errors) == 1 and critic.errors[0].startswith(f"no critique for {IDS[1]}: unparseable")
