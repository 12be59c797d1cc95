"""Batch evaluation: systems against baselines on a dataset, concurrently, cached, stored, resumable."""

import asyncio
import re

import pytest

from archon_engine import ArchitectureError, FakeModel, Limits, load_config
from archon_engine.evaluation.datasets import Dataset, Item
from archon_engine.evaluation.records import EvaluationSpec, System, baseline
from archon_engine.evaluation.runner import aevaluate, evaluate
from archon_engine.models.cache import ResponseCache
from archon_engine.storage.store import Store

SUMS = Dataset(
    name="sums",
    kind="numeric",
    items=[Item(id=f"s{i}", prompt=f"What is {i}+1?", reference=str(i + 1)) for i in range(8)],
)


def arithmetic(request):
    """Models named .../good add correctly, .../bad answer 0; fusers and judges answer in kind."""
    if request.role == "judge_pairwise":
        return '{"reasoning": "fake", "winner": "A"}'
    numbers = re.findall(r"What is (\d+)\+1", str(request.messages))
    right = int(numbers[0]) + 1 if numbers else 0
    return f"Answer: {right if request.model.endswith('good') else 0}"


def moa(model="fake/good"):
    return load_config(
        {
            "name": "moa",
            "layers": [
                [{"type": "generator", "model": model, "samples": 3, "temperature": 0, "seed": 1}],
                [{"type": "fuser", "model": model, "temperature": 0}],
            ],
        }
    )


def spec(**kwargs):
    fields = {"systems": [System.of(moa()), baseline("fake/good"), baseline("fake/bad")], "dataset": SUMS}
    return EvaluationSpec(**{**fields, "scorer": "numeric", **kwargs})


def test_every_system_answers_every_item_and_the_table_compares_them():
    evaluation = evaluate(spec(), backend=FakeModel(arithmetic))

    table = evaluation.table().set_index("system")
    assert list(table.index) == ["moa", "fake/good", "fake/bad"]
    assert table.loc["moa", "quality"] == 1 and table.loc["fake/bad", "quality"] == 0
    assert table.loc["moa", "calls/query"] == 4 and table.loc["fake/good", "calls/query"] == 1
    assert table.loc["moa", "items"] == 8
    assert {"quality 95% low", "quality 95% high", "latency p95 s", "tokens/query", "cost/query $"} <= set(
        table.columns
    )
    assert len(evaluation.items_table()) == 24


def test_the_best_single_model_is_computed_from_the_baselines():
    evaluation = evaluate(spec(), backend=FakeModel(arithmetic))

    assert evaluation.best_single_model() == "fake/good"


def test_the_pareto_frontier_keeps_only_undominated_systems():
    evaluation = evaluate(spec(), backend=FakeModel(arithmetic, cost_per_call=0.001))

    # the MoA is as good as fake/good but costs four calls: dominated; fake/bad is cheap but worse
    assert evaluation.pareto("cost") == ["fake/good"]


def test_items_run_concurrently_up_to_the_shared_limit():
    fake = FakeModel(arithmetic, latency=0.05)
    many = Dataset(
        name="many",
        kind="numeric",
        items=[Item(id=str(i), prompt=f"What is {i}+1?", reference=str(i + 1)) for i in range(40)],
    )

    evaluate(
        EvaluationSpec(systems=[baseline("fake/good")], dataset=many, scorer="numeric"),
        backend=fake,
        limits=Limits(concurrency=8),
    )

    assert fake.max_in_flight == 8


def test_a_repeated_evaluation_is_answered_from_the_cache(tmp_path):
    cache = ResponseCache(tmp_path / "cache.sqlite")
    store = Store(tmp_path / "runs.sqlite")
    first = evaluate(spec(), backend=FakeModel(arithmetic), cache=cache, store=store)
    fake = FakeModel(arithmetic)

    again = evaluate(spec(), backend=fake, cache=cache, store=store)

    assert fake.requests == []
    assert all(r.cached and r.latency_replayed for r in again.results)
    assert again.table()["quality"].tolist() == first.table()["quality"].tolist()
    live = {(r.system, r.item_id): r.latency_s for r in first.results}
    assert all(r.latency_s == live[r.system, r.item_id] for r in again.results)


def test_every_finished_item_is_stored_as_it_finishes(tmp_path):
    store = Store(tmp_path / "runs.sqlite")
    seen = []

    evaluation = evaluate(spec(), backend=FakeModel(arithmetic), store=store, on_progress=lambda p: seen.append(p.done))

    assert seen == list(range(1, 25))
    (summary,) = store.evaluations()
    assert summary.id == evaluation.id and summary.status == "completed" and summary.results == 24


def test_a_cancelled_evaluation_resumes_without_redoing_finished_items(tmp_path):
    store = Store(tmp_path / "runs.sqlite")
    slow = FakeModel(arithmetic, latency=0.02)

    async def cancel_half_way():
        task = asyncio.create_task(aevaluate(spec(), backend=slow, store=store, limits=Limits(concurrency=2)))
        while not store.evaluations() or store.evaluations()[0].results < 6:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_half_way())
    (interrupted,) = store.evaluations()
    assert interrupted.status == "cancelled" and 6 <= interrupted.results < 24
    fake = FakeModel(arithmetic)

    resumed = evaluate(spec(), backend=fake, store=store, resume=interrupted.id)

    assert len(resumed.results) == 24
    assert len({(r.system, r.item_id) for r in resumed.results}) == 24
    remaining = 24 - interrupted.results
    assert len(fake.requests) < remaining * 4  # only the missing items were run
    assert store.evaluations()[0].status == "completed" and store.evaluations()[0].results == 24


def test_pairwise_judging_compares_with_the_baseline_and_reports_win_tie_loss():
    def judge_prefers_right_answers(request):
        if request.role != "judge_pairwise":
            return arithmetic(request)
        text = request.messages[0]["content"]
        a, b = text.split("[Response A]")[1].split("[Response B]")
        right = re.search(r"What is (\d+)\+1", text).group(1)
        target = f"Answer: {int(right) + 1}"
        winner = "A" if target in a else "B" if target in b else "tie"
        return f'{{"reasoning": "fake", "winner": "{winner}"}}'

    evaluation = evaluate(
        spec(scorer="pairwise", baseline_system="fake/bad", scorer_options={"model": "fake/judge"}),
        backend=FakeModel(judge_prefers_right_answers),
    )

    table = evaluation.table().set_index("system")
    assert table.loc["moa", "wins"] == 8 and table.loc["moa", "quality"] == 1
    assert table.loc["fake/bad", "ties"] == 8  # the baseline against itself
    judge_calls = [c for r in evaluation.results_of("moa") for c in r.trace.calls if c.component == "judge"]
    assert len(judge_calls) == 16  # both orders for every item
    assert evaluation.results_of("moa")[0].judge_usage.calls == 2


def test_a_failing_system_is_scored_zero_with_the_reason_and_the_rest_goes_on():
    def broken(request):
        if request.model == "fake/broken":
            from archon_engine import ModelError

            return ModelError("400 bad request")
        return arithmetic(request)

    evaluation = evaluate(spec(systems=[baseline("fake/broken"), baseline("fake/good")]), backend=FakeModel(broken))

    table = evaluation.table().set_index("system")
    assert table.loc["fake/broken", "failed"] == 8 and table.loc["fake/good", "quality"] == 1
    assert "400 bad request" in evaluation.results_of("fake/broken")[0].score.error


def test_bad_specs_are_refused_before_any_call():
    with pytest.raises(ValueError, match="unique"):
        spec(systems=[baseline("fake/good"), baseline("fake/good")])
    with pytest.raises(ValueError, match="needs a baseline"):
        spec(systems=[System.of(moa())], scorer="pairwise")
    with pytest.raises(ValueError, match="unknown scorer"):
        spec(scorer="vibes")
    broken = System.of(load_config({"layers": [[{"type": "fuser"}]]}), name="broken")
    fake = FakeModel()
    with pytest.raises(ArchitectureError, match="needs candidates"):
        evaluate(spec(systems=[broken]), backend=fake)
    assert fake.requests == []
