"""explain_run: per layer, the technique, what happened in this run, the paper, and what did not do its job."""

import json

from archon_engine import FakeModel, run
from archon_engine.explain import cut_at_max_tokens, explain_run
from archon_engine.trace import CallRecord

REPEATING_CRITIC = json.dumps(
    {
        "critiques": [
            {
                "candidate": i,
                "strengths": "The answer is: The sky is blue.",
                "weaknesses": "The answer is: The sky is blue.",
            }
            for i in range(1, 6)
        ]
    }
)


def by_layer(result):
    return {e.layer: e for e in explain_run(result)}


def test_a_vote_says_how_many_samples_how_many_answers_and_what_won(preset_run):
    fake = FakeModel({"generate": ["Blue.", "blue", "Grey.", "Blue", "Green."]})
    explained = by_layer(preset_run("self-consistency", fake))
    assert explained[0].happened[0] == "5 samples, 3 distinct answers"
    vote = explained[1]
    assert vote.kinds == ["majority_vote"]
    assert vote.happened[0] == "5 samples, 3 distinct answers; the vote picked 'blue' with 3 votes"
    assert "Self-consistency" in vote.technique and "Wang et al." in vote.paper
    assert vote.problems == []


def test_a_healthy_run_explains_every_layer_without_warnings(preset_run):
    fake = FakeModel({"fuse": ["Answer 5 from the generator. The sky is blue because of Rayleigh scattering."]})
    explained = by_layer(preset_run("sample-critic-rank-fuse", fake))
    assert [e.kinds for e in explained.values()] == [["generator"], ["critic"], ["ranker"], ["fuser"]]
    assert explained[1].happened[0] == "wrote critiques for 5 of 5 candidates"
    assert explained[2].happened[0] == "put L0.C0.s4 first (was 5); kept 3 of 5, cut L0.C0.s1, L0.C0.s0"
    assert explained[3].happened[0] == "L3.C0.s0 took 1 sentence from L0.C0.s4 and wrote 1 new"
    assert "70B" in explained[3].paper  # the small-model caveat
    assert all(e.problems == [] for e in explained.values())


def test_steps_that_did_not_do_their_job_are_said_plainly(preset_run):
    fake = FakeModel(
        {
            "generate": ["The sky is blue."],
            "critique": [REPEATING_CRITIC],
            "rank": ['{"ranking": [1, 2, 3, 4, 5], "reason": "in order"}'],
            "fuse": ["The sky is blue."],
        }
    )
    explained = by_layer(preset_run("sample-critic-rank-fuse", fake))
    assert explained[0].problems == [
        "all 5 samples are the same text: no variety for later steps (raise the temperature?)"
    ]
    assert explained[1].problems == [
        "L1.C0: wrote the same strengths and weaknesses for all 5 candidates",
        "L1.C0: its strengths and weaknesses are the same words: it did not judge",
        "L1.C0: its critiques only repeat an answer instead of judging it",
    ]
    assert explained[2].problems == [
        "L2.C0: the ranking is the order it read the candidates in: it may not have ranked"
    ]
    assert explained[3].problems == ["L3.C0.s0: the fusion copies L0.C0.s0 instead of combining the candidates"]


def test_verdicts_that_are_all_the_same_are_flagged(preset_run):
    explained = by_layer(preset_run("best-of-n-verifier"))  # the fake verifier says correct to all
    assert explained[1].happened[0] == "judged 5 of 5 candidates correct"
    assert explained[1].problems == ["L1.C0: all 5 verdicts are 'correct': it did not tell the candidates apart"]


def test_a_reply_that_used_all_its_max_tokens_is_flagged_as_cut():
    arch = {
        "name": "short",
        "layers": [[{"type": "generator", "model": "fake", "max_tokens": 4, "samples": 2}]],
    }
    result = run(arch, "Tell me about the sky.", backend=FakeModel({"generate": ["The sky is blue because", "Blue."]}))
    [explained] = explain_run(result)
    assert explained.problems == [
        "L0.C0: 1 of 2 replies stopped at max_tokens (4): they were cut off mid-answer; raise max_tokens"
    ]


def test_the_providers_finish_reason_decides_whether_a_reply_was_cut():
    def call(finish_reason, completion_tokens):
        return CallRecord(
            id="call-1", layer=0, component="L0.C0", component_type="generator", role="generate", model="m",
            messages=[], params={"max_tokens": 4}, completion_tokens=completion_tokens, finish_reason=finish_reason,
        )  # fmt: skip

    assert cut_at_max_tokens(call("length", 2))  # the provider said so (its tokens are not ours to count)
    assert not cut_at_max_tokens(call("stop", 4))  # it ended on its own at exactly the limit
    assert cut_at_max_tokens(call(None, 4))  # no finish reason reported: the token count decides
    assert not cut_at_max_tokens(call(None, 3))


def test_an_adaptive_generator_says_how_many_samples_it_drew_and_why_it_stopped():
    arch = {
        "name": "adaptive",
        "layers": [[{"type": "generator", "model": "fake", "samples": 8, "stop_when": {"rule": "window"}}]],
    }
    [explained] = explain_run(run(arch, "Sky?", backend=FakeModel({"generate": ["Blue."]})))
    assert explained.happened[:2] == [
        "3 samples, 1 distinct answers",
        "L0.C0 stopped after 3 of 8 samples: 3 samples in a row answered 'blue' (window 3)",
    ]


def test_a_skipped_fusion_says_why_and_is_not_flagged_as_a_copy():
    arch = {
        "name": "skip",
        "layers": [
            [{"type": "generator", "model": "fake", "samples": 3}],
            [{"type": "fuser", "model": "fake", "skip_when_agree": True}],
        ],
    }
    explained = by_layer(run(arch, "Sky?", backend=FakeModel({"generate": ["Blue.", "blue", "Blue"]})))
    assert explained[1].happened[0] == (
        "L1.C0 skipped fusion: 3 of 3 candidates give the answer 'blue' (short_text); L0.C0.s0 passes on with no call"
    )
    assert explained[1].problems == []
