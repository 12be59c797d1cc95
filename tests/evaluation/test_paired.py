"""Is the difference real? A system against a baseline, item by item, on hand-made results."""

import pytest

from archon_engine.evaluation.datasets import Dataset, Item
from archon_engine.evaluation.paired import compare_paired
from archon_engine.evaluation.records import EvaluationSpec, ItemResult, baseline
from archon_engine.evaluation.report import Evaluation
from archon_engine.evaluation.scorers.base import Score
from archon_engine.trace import Usage


def answer(system: str, item: str, value: float, *, repeat: int = 0, error: str | None = None) -> ItemResult:
    return ItemResult(
        system=system,
        item_id=item,
        repeat=repeat,
        config_hash="h",
        item_key=item,
        status="completed" if error is None else "failed",
        output=None if error else f"answer {value}",
        error=error,
        score=Score(value=value, error=f"no answer: {error}" if error else None),
        usage=Usage(),
        latency_s=0.0,
    )


def scored(system: str, values: list[float]) -> list[ItemResult]:
    return [answer(system, f"i{n}", v) for n, v in enumerate(values)]


def test_all_wins_say_the_system_is_better_by_the_whole_difference():
    results = scored("arch", [1.0] * 10) + scored("base", [0.0] * 10)

    paired = compare_paired(results, "arch", "base")

    assert (paired.wins, paired.losses, paired.ties, paired.n) == (10, 0, 0, 10)
    assert paired.difference.mean == 1.0 and paired.difference.low == 1.0
    assert paired.verdict == (
        "arch scores higher than base by 1.000 on average (95 % interval 1.000 to 1.000) on these 10 items"
    )


def test_all_ties_are_no_measurable_difference():
    results = scored("arch", [1, 0, 1, 0.5, 1, 0, 0, 1]) + scored("base", [1, 0, 1, 0.5, 1, 0, 0, 1])

    paired = compare_paired(results, "arch", "base")

    assert (paired.wins, paired.losses, paired.ties) == (0, 0, 8)
    assert paired.difference.mean == 0
    assert paired.verdict == "no measurable difference on these 8 items"


def test_mixed_outcomes_are_counted_and_a_better_baseline_is_named():
    mine = [0, 0, 1, 0, 0, 0, 1, 0, 0, 0] * 3
    theirs = [1, 1, 1, 1, 0, 1, 0, 1, 1, 1] * 3
    results = scored("arch", mine) + scored("base", theirs)

    paired = compare_paired(results, "arch", "base")

    assert (paired.wins, paired.losses, paired.ties) == (3, 21, 6)
    assert paired.difference.mean == pytest.approx(-0.6)
    assert paired.difference.high < 0
    low, high = -paired.difference.high, -paired.difference.low
    assert paired.verdict == (
        f"base scores higher than arch by 0.600 on average (95 % interval {low:.3f} to {high:.3f}) on these 30 items"
    )
    assert [i.outcome for i in paired.items[:3]] == ["loss", "loss", "tie"]


def test_an_interval_that_contains_zero_is_no_measurable_difference_even_with_a_mean_above_it():
    mine = [1, 0, 1, 1, 0, 1, 0, 1, 1, 0]
    theirs = [0, 1, 1, 0, 1, 1, 0, 0, 1, 0]
    results = scored("arch", mine) + scored("base", theirs)

    paired = compare_paired(results, "arch", "base")

    assert paired.difference.mean == pytest.approx(0.1)
    assert paired.difference.low < 0 < paired.difference.high
    assert (paired.wins, paired.losses, paired.ties) == (3, 2, 5)
    assert paired.verdict == "no measurable difference on these 10 items"


def test_with_repeats_an_items_score_is_its_mean_over_the_repeats():
    results = [
        *(answer("arch", "a", v, repeat=r) for r, v in enumerate([1, 0, 1])),  # 2/3
        *(answer("base", "a", v, repeat=r) for r, v in enumerate([0.5, 0.5, 0.5])),
        *(answer("arch", "b", v, repeat=r) for r, v in enumerate([0.1, 0.2, 0.3])),  # 0.2, in another order
        *(answer("base", "b", v, repeat=r) for r, v in enumerate([0.3, 0.1, 0.2])),
        *(answer("arch", "c", v, repeat=r) for r, v in enumerate([0, 0, 1])),
        *(answer("base", "c", v, repeat=r) for r, v in enumerate([1, 1, 1])),
    ]

    paired = compare_paired(results, "arch", "base")

    assert paired.repeats == 3 and paired.n == 3
    a, b, c = paired.items
    assert a.system_score == pytest.approx(2 / 3) and a.baseline_score == 0.5 and a.outcome == "win"
    assert b.outcome == "tie" and b.difference == 0  # equal means are equal, whatever the order of the repeats
    assert c.system_score == pytest.approx(1 / 3) and c.outcome == "loss"
    assert paired.difference.mean == pytest.approx((2 / 3 - 0.5 + 0 + 1 / 3 - 1) / 3)


def test_a_failed_answer_scores_zero_as_in_the_quality_figure_and_is_counted():
    results = [answer("arch", "a", 1), answer("arch", "b", 0, error="timeout"), answer("arch", "c", 1)]
    results += [answer("base", "a", 0), answer("base", "b", 1), answer("base", "c", 0, error="429")]

    paired = compare_paired(results, "arch", "base")

    assert paired.errored == 2
    assert [i.errored for i in paired.items] == [False, True, True]
    assert [i.outcome for i in paired.items] == ["win", "loss", "win"]


def test_items_only_one_side_answered_are_left_out_and_counted():
    results = scored("arch", [1, 1, 0]) + scored("base", [0, 1])

    paired = compare_paired(results, "arch", "base")

    assert paired.n == 2 and paired.unpaired == 1
    assert compare_paired(scored("arch", [1]), "arch", "base").verdict == "no item answered by both arch and base"
    one = compare_paired(scored("arch", [1]) + scored("base", [0]), "arch", "base")
    assert one.verdict == "one item is too few to tell a difference"


def evaluation_of(results: list[ItemResult], items: int) -> Evaluation:
    dataset = Dataset(
        name="d", kind="exact", items=[Item(id=f"i{n}", prompt=f"q{n}", reference="x") for n in range(items)]
    )
    systems = [baseline("arch").model_copy(update={"baseline": False}), baseline("base"), baseline("other")]
    return Evaluation(spec=EvaluationSpec(systems=systems, dataset=dataset, scorer="exact"), results=results)


def test_an_evaluation_compares_every_system_with_each_baseline_and_agrees_with_its_quality_figures():
    results = [answer("arch", "i0", 1), answer("arch", "i1", 0, error="timeout"), answer("arch", "i2", 1)]
    results += scored("base", [0, 1, 0]) + scored("other", [1, 1, 1])
    evaluation = evaluation_of(results, 3)

    pairs = {(p.system, p.baseline): p for p in evaluation.paired()}

    assert set(pairs) == {("arch", "base"), ("other", "base"), ("arch", "other"), ("base", "other")}
    quality = {s.system: s.quality.mean for s in evaluation.summaries()}
    assert pairs["arch", "base"].difference.mean == pytest.approx(quality["arch"] - quality["base"])
    table = evaluation.paired_table("base")
    assert list(table["system"]) == ["arch", "other"]
    assert {"wins", "losses", "ties", "mean difference", "difference 95% low", "verdict"} <= set(table.columns)
    assert '"verdict"' in evaluation.export_json() and '"paired"' in evaluation.export_json()


def test_quality_with_repeats_is_the_mean_over_items_with_the_spread_across_repeats():
    results = [
        answer("arch", f"i{n}", v, repeat=r)
        for r, row in enumerate([[1, 1], [0, 1], [1, 0]])
        for n, v in enumerate(row)
    ]
    evaluation = evaluation_of(results, 2).model_copy(deep=True)
    evaluation.spec.repeats = 3

    (summary,) = evaluation.summaries()

    assert summary.items == 2 and summary.repeats == 3
    assert summary.quality_by_repeat == [1.0, 0.5, 0.5]
    assert summary.quality.mean == pytest.approx(2 / 3)
    assert summary.quality_spread == pytest.approx(0.288675, abs=1e-6)  # sample sd of 1, 0.5, 0.5
    assert evaluation.table().loc[0, "quality sd over repeats"] == pytest.approx(0.288675, abs=1e-6)
