"""Repeats: each system answers each item N times, as calls of their own; quality as mean and spread."""

from collections import Counter

import pytest

from archon_engine import FakeModel, Limits, ModelError
from archon_engine.evaluation.datasets import Dataset, Item
from archon_engine.evaluation.records import EvaluationSpec, baseline
from archon_engine.evaluation.runner import evaluate
from archon_engine.models.cache import ResponseCache
from archon_engine.storage.store import Store

SUMS = Dataset(
    name="sums",
    kind="numeric",
    items=[Item(id=f"s{i}", prompt=f"What is {i}+1?", reference=str(i + 1)) for i in range(4)],
)


def right_but_every_second_time():
    """A greedy model that is not repeatable: the second time it sees a question it answers 0."""
    seen: Counter[str] = Counter()

    def reply(request):
        question = str(request.messages[-1]["content"])
        seen[question] += 1
        number = int(question.removeprefix("What is ").split("+")[0])
        return f"Answer: {0 if seen[question] == 2 else number + 1}"

    return FakeModel(reply)


def spec(repeats=3, systems=None):
    return EvaluationSpec(systems=systems or [baseline("fake/m")], dataset=SUMS, scorer="numeric", repeats=repeats)


def test_three_repeats_give_three_results_per_item_and_quality_as_mean_and_spread():
    fake = right_but_every_second_time()

    evaluation = evaluate(spec(), backend=fake, cache=ResponseCache(), limits=Limits(concurrency=1))

    assert len(fake.requests) == 12  # at temperature 0 too: every repeat called the model
    assert Counter(r.item_id for r in evaluation.results) == {item.id: 3 for item in SUMS.items}
    assert sorted({r.repeat for r in evaluation.results}) == [0, 1, 2]
    (summary,) = evaluation.summaries()
    assert summary.items == 4 and summary.repeats == 3
    assert summary.quality_by_repeat == [1.0, 0.0, 1.0]
    assert summary.quality.mean == pytest.approx(2 / 3)
    assert summary.quality_spread == pytest.approx(0.57735, abs=1e-5)
    table = evaluation.table()
    assert table.loc[0, "quality sd over repeats"] == pytest.approx(0.57735, abs=1e-5)
    assert table.loc[0, "repeats"] == 3


def test_one_repeat_is_as_before_no_spread_and_no_repeat_columns():
    evaluation = evaluate(spec(repeats=1), backend=right_but_every_second_time())

    (summary,) = evaluation.summaries()
    assert summary.quality_spread is None and summary.quality.mean == 1.0
    assert "quality sd over repeats" not in evaluation.table().columns
    assert "repeat" not in evaluation.items_table().columns


def test_a_repeated_evaluation_replays_each_repeat_from_the_cache(tmp_path):
    cache = ResponseCache(tmp_path / "cache.sqlite")
    store = Store(tmp_path / "runs.sqlite")
    first = evaluate(spec(), backend=right_but_every_second_time(), cache=cache, store=store)
    fake = FakeModel()

    again = evaluate(spec(), backend=fake, cache=cache, store=store)

    assert fake.requests == []
    assert all(r.cached and r.latency_replayed for r in again.results)
    scores = {(r.item_id, r.repeat): r.score.value for r in first.results}
    assert {(r.item_id, r.repeat): r.score.value for r in again.results} == scores
    live = {(r.item_id, r.repeat): r.latency_s for r in first.results}
    assert all(r.latency_s == live[r.item_id, r.repeat] for r in again.results)


def test_resuming_redoes_only_the_failed_repeats(tmp_path):
    store = Store(tmp_path / "runs.sqlite")
    calls = Counter()

    def fails_on_the_first_pass_of_s1(request):
        question = str(request.messages[-1]["content"])
        calls[question] += 1
        if question.startswith("What is 1+") and calls[question] <= 2:
            return ModelError("400 bad request")
        return "Answer: 2" if question.startswith("What is 1+") else "Answer: 0"

    first = evaluate(spec(), backend=FakeModel(fails_on_the_first_pass_of_s1), store=store)
    failed = [r for r in first.results if r.status == "failed"]
    assert len(failed) == 2 and {r.item_id for r in failed} == {"s1"}
    fake = FakeModel(lambda request: "Answer: 2")

    resumed = evaluate(spec(), backend=fake, store=store, resume=first.id)

    assert len(fake.requests) == 2  # only the two failed (item, repeat) answers
    assert len(resumed.results) == 12
    assert [r.score.value for r in resumed.results if r.item_id == "s1"] == [1.0, 1.0, 1.0]
    assert store.evaluations()[0].results == 12 and store.evaluations()[0].answers == 12


def test_pairwise_judging_compares_answers_of_the_same_repeat():
    def judge(request):
        if request.role != "judge_pairwise":
            return f"Answer from {request.model}"
        return '{"reasoning": "fake", "winner": "A"}'

    systems = [baseline("fake/a"), baseline("fake/b")]
    evaluation = evaluate(
        EvaluationSpec(
            systems=systems,
            dataset=SUMS,
            scorer="pairwise",
            scorer_options={"model": "fake/judge"},
            baseline_system="fake/b",
            repeats=2,
        ),
        backend=FakeModel(judge),
    )

    assert len(evaluation.results) == 16
    assert Counter(r.repeat for r in evaluation.results_of("fake/a")) == {0: 4, 1: 4}
    (paired,) = evaluation.paired("fake/b")
    assert paired.n == 4 and paired.repeats == 2
