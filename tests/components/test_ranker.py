"""Ranker: reorders the candidates in one call and keeps the top_k; a ranking it cannot read cuts nothing."""

import json

from archon_engine import FakeModel, run
from archon_engine.components.base import PARSE_RETRIES

PROMPT = "Which city is the capital of Australia?"
IDS = ["L0.C0.s0", "L0.C0.s1", "L0.C0.s2", "L0.C0.s3"]


def generator(samples=4):
    return {"type": "generator", "model": "fake/gen", "samples": samples, "seed": 0}


def ranker(**settings):
    return {"type": "ranker", "model": "fake/rank", **settings}


def ranking(*numbers, reason="it is exact"):
    return json.dumps({"ranking": list(numbers), "reason": reason})


def rank_four(*rank_replies, **settings):
    """Four candidates (texts answer-0 .. answer-3) ranked by a ranker scripted with ``rank_replies``."""
    fake = FakeModel({"generate": [lambda request: f"answer-{request.seed}"], "rank": list(rank_replies)})
    return run({"layers": [[generator()], [ranker(**settings)]]}, PROMPT, backend=fake)


def rank_calls(result):
    return [call for call in result.trace.calls if call.role == "rank"]


# Happy path


def test_the_ranker_reorders_and_keeps_the_top_k_recording_kept_cut_and_reason():
    result = rank_four(ranking(3, 1, 4, 2, reason="3 names Canberra"), top_k=2)

    layer = result.layers[1]
    assert [c.text for c in layer.candidates] == ["answer-2", "answer-0"]
    (rank,) = layer.rankings
    assert rank.order == ["L0.C0.s2", "L0.C0.s0", "L0.C0.s3", "L0.C0.s1"]
    assert rank.kept == ["L0.C0.s2", "L0.C0.s0"]
    assert rank.cut == ["L0.C0.s3", "L0.C0.s1"]
    assert rank.reason == "3 names Canberra"
    assert rank.source == "L1.C0"
    assert not rank.failed
    assert layer.errors == []


def test_the_best_ranked_candidate_is_the_answer_of_a_final_ranker():
    assert rank_four(ranking(4, 2, 1, 3), top_k=1).answer == "answer-3"


def test_a_ranking_of_at_least_top_k_candidates_keeps_the_unranked_ones_last():
    result = rank_four(ranking(4, 2), top_k=2)

    (rank,) = result.layers[1].rankings
    assert rank.order == ["L0.C0.s3", "L0.C0.s1", "L0.C0.s0", "L0.C0.s2"]
    assert rank.kept == ["L0.C0.s3", "L0.C0.s1"]


def test_first_k_takes_precedence_over_top_k():
    result = rank_four(ranking(2, 1, 3, 4), top_k=3, first_k=1)

    assert [c.id for c in result.layers[1].candidates] == ["L0.C0.s1"]


def test_the_ranking_is_asked_for_with_a_schema_pinned_to_the_candidate_count():
    result = rank_four(ranking(1, 2, 3, 4))

    (call,) = rank_calls(result)
    schema = call.params["response_schema"]["properties"]["ranking"]
    assert schema["minItems"] == schema["maxItems"] == 4
    assert call.parsed == {"ranking": [1, 2, 3, 4], "reason": "it is exact"}


def test_the_ranker_prompt_shows_every_candidate_in_order():
    (call,) = rank_calls(rank_four(ranking(1, 2, 3, 4)))

    prompt = call.messages[-1]["content"]
    assert PROMPT in prompt
    positions = [prompt.index(f"answer-{i}") for i in range(4)]
    assert positions == sorted(positions)


def test_a_ranking_inside_prose_or_a_json_fence_is_read():
    in_prose = rank_four("After careful thought: " + ranking(2, 1, 3, 4) + " I hope this helps.", top_k=1)
    in_fence = rank_four("```json\n" + ranking(3, 1, 2, 4) + "\n```", top_k=1)

    assert in_prose.answer == "answer-1"
    assert in_fence.answer == "answer-2"
    assert len(rank_calls(in_prose)) == len(rank_calls(in_fence)) == 1


def test_a_reply_that_parses_on_the_second_attempt_is_used():
    result = rank_four("I would rank them 2, 1, 3, 4.", ranking(2, 1, 3, 4), top_k=1)

    first, second = rank_calls(result)
    assert first.parse_error is not None
    assert second.parse_error is None
    assert result.answer == "answer-1"
    assert result.layers[1].errors == []


# Failure path


def test_an_unparseable_ranking_is_retried_then_cuts_nothing_and_is_reported():
    result = rank_four("The third one is best, then the first.", top_k=2)

    calls = rank_calls(result)
    assert len(calls) == 1 + PARSE_RETRIES == 3
    assert all(call.parse_error for call in calls)
    layer = result.layers[1]
    assert [c.id for c in layer.candidates] == IDS
    (rank,) = layer.rankings
    assert rank.failed
    assert rank.kept == IDS
    assert rank.cut == []
    assert len(layer.errors) == 1
    assert layer.errors[0].startswith("L1.C0: ranking failed, nothing cut")
    assert result.status == "completed"
    assert result.answer == "answer-0"


def test_a_ranking_naming_fewer_candidates_than_it_keeps_is_retried_then_a_failure():
    result = rank_four(ranking(3), top_k=2)

    calls = rank_calls(result)
    assert len(calls) == 1 + PARSE_RETRIES
    assert all("ranking names 1 valid candidates, 2 needed" in call.parse_error for call in calls)
    (rank,) = result.layers[1].rankings
    assert rank.failed
    assert rank.cut == []
    assert [c.id for c in result.layers[1].candidates] == IDS
    assert "ranking failed, nothing cut" in result.layers[1].errors[0]


def test_repeated_or_out_of_range_numbers_do_not_count_as_ranked_candidates():
    result = rank_four(ranking(3, 3, 9, 0), top_k=2)

    (rank,) = result.layers[1].rankings
    assert rank.failed
    assert [c.id for c in result.layers[1].candidates] == IDS


# Pointwise: a 1-10 score per candidate


def scored(scores: dict[str, object]):
    """A pointwise ranker reply giving each candidate id its score (a value or an unparseable text)."""

    def reply(request):
        value = scores[request.metadata["candidate"]]
        return value if isinstance(value, str) else json.dumps({"score": value, "reason": "fits"})

    return reply


def score_four(scores, **settings):
    fake = FakeModel({"generate": [lambda request: f"answer-{request.seed}"], "score": [scored(scores)]})
    return run({"layers": [[generator()], [ranker(mode="pointwise", **settings)]]}, PROMPT, backend=fake)


def test_a_pointwise_ranker_scores_each_candidate_and_orders_by_score_ties_keeping_their_order():
    result = score_four(dict(zip(IDS, [4, 9, 4, 7], strict=True)), top_k=3)
    assert len([c for c in result.trace.calls if c.role == "score"]) == 4
    ranking = result.layers[1].outputs[0].ranking
    assert ranking.order == [IDS[1], IDS[3], IDS[0], IDS[2]]
    assert ranking.kept == ranking.order[:3] and ranking.cut == [IDS[2]]
    assert ranking.scores == dict(zip(IDS, [4, 9, 4, 7], strict=True))


def test_a_candidate_without_a_score_goes_last_and_the_error_names_it():
    result = score_four({IDS[0]: "seven", IDS[1]: 2, IDS[2]: 3, IDS[3]: 1})
    output = result.layers[1].outputs[0]
    assert output.ranking.order == [IDS[2], IDS[1], IDS[3], IDS[0]]
    assert len(output.errors) == 1 and output.errors[0].startswith(f"no score for {IDS[0]}: unparseable")


def test_when_no_candidate_gets_a_score_nothing_is_cut():
    result = score_four(dict.fromkeys(IDS, "?"), top_k=1)
    output = result.layers[1].outputs[0]
    assert output.ranking.failed and output.candidates is None
    assert [c.id for c in result.layers[1].candidates] == IDS


def test_a_pointwise_ranker_plans_one_call_per_candidate_and_is_not_capped_as_one_prompt():
    from archon_engine import estimate, load_config, validate
    from archon_engine.validation import MAX_CANDIDATES_IN_ONE_PROMPT

    n = MAX_CANDIDATES_IN_ONE_PROMPT + 1
    wide = load_config({"layers": [[generator(samples=n)], [ranker(mode="pointwise")]]})
    assert estimate(wide).calls == n + n
    assert not [f for f in validate(wide) if "one prompt" in f.message]
    listwise = load_config({"layers": [[generator(samples=n)], [ranker()]]})
    assert [f for f in validate(listwise) if "one prompt" in f.message]
