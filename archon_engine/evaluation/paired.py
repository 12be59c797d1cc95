"""Is the difference real? A system against a baseline, item by item.

Every item of an evaluation is answered by every system, so the two are compared on the same items:

- An item's score is its mean score across the repeats it was answered in (one answer: that score).
  An answer that failed (no answer, or the scorer could not score it) counts 0, as in the quality
  figure, so the mean difference is the difference of the two qualities; such items are counted
  in ``errored``.
- Per item: a win when the system's score is above the baseline's, a loss when below, a tie when equal.
- The mean paired difference (system minus baseline) has a 95 % percentile bootstrap interval that
  resamples items (``stats.paired_difference_ci``). Items only one of the two answered are left out
  (``unpaired``): a finished evaluation has none.
- The verdict: when the interval contains 0, "no measurable difference on these N items";
  otherwise which one scores higher, by how much, with the interval.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, computed_field

from archon_engine.evaluation.records import ItemResult
from archon_engine.evaluation.stats import Interval, paired_difference_ci

TIE_TOLERANCE = 1e-9  # scores closer than this are equal (means over repeats are not exact)


def failed(result: ItemResult) -> bool:
    """No answer, or no score: the evaluation scores it 0."""
    return result.output is None or result.score.error is not None


def item_means(results: Iterable[ItemResult]) -> dict[str, float]:
    """Each item's mean score over its repeats, in the order the items first appear."""
    totals: dict[str, list[float]] = {}
    for result in results:
        totals.setdefault(result.item_id, []).append(result.score.value)
    return {item: math.fsum(scores) / len(scores) for item, scores in totals.items()}  # exact: order-free


class PairedItem(BaseModel):
    """One item, answered by both: each one's score (mean over repeats) and who did better."""

    item_id: str
    system_score: float
    baseline_score: float
    difference: float  # system minus baseline
    outcome: Literal["win", "loss", "tie"]  # the system's
    errored: bool  # an answer of either failed (scored 0)


class PairedComparison(BaseModel):
    """A system against a baseline on the items both answered."""

    system: str
    baseline: str
    repeats: int  # the most answers an item got from one of the two
    wins: int
    losses: int
    ties: int
    errored: int  # items where an answer of either failed; scored 0, as in the quality figure
    unpaired: int  # items only one of the two answered, left out
    difference: Interval  # mean of system minus baseline over the items, 95 % bootstrap resampling items
    items: list[PairedItem]

    @computed_field
    @property
    def n(self) -> int:
        """Items compared."""
        return len(self.items)

    @computed_field
    @property
    def verdict(self) -> str:
        """The comparison in one plain sentence."""
        n, d = self.n, self.difference
        if n == 0:
            return f"no item answered by both {self.system} and {self.baseline}"
        if n == 1:
            return "one item is too few to tell a difference"
        if d.contains(0.0, tolerance=TIE_TOLERANCE):
            return f"no measurable difference on these {n} items"
        if d.mean > 0:
            higher, lower, low, high = self.system, self.baseline, d.low, d.high
        else:
            higher, lower, low, high = self.baseline, self.system, -d.high, -d.low
        return (
            f"{higher} scores higher than {lower} by {abs(d.mean):.3f} on average "
            f"(95 % interval {low:.3f} to {high:.3f}) on these {n} items"
        )


def compare_paired(results: Iterable[ItemResult], system: str, baseline: str, *, seed: int = 0) -> PairedComparison:
    """``system`` against ``baseline`` on the items both answered in ``results`` (one evaluation's)."""
    results = list(results)
    mine = [r for r in results if r.system == system]
    theirs = [r for r in results if r.system == baseline]
    ours, others = item_means(mine), item_means(theirs)
    broken = {r.item_id for r in (*mine, *theirs) if failed(r)}
    items = []
    for item_id, score in ours.items():
        if item_id not in others:
            continue
        difference = score - others[item_id]
        outcome = "tie" if abs(difference) <= TIE_TOLERANCE else "win" if difference > 0 else "loss"
        items.append(
            PairedItem(
                item_id=item_id,
                system_score=score,
                baseline_score=others[item_id],
                difference=difference,
                outcome=outcome,
                errored=item_id in broken,
            )
        )
    outcomes = [i.outcome for i in items]
    answers = Counter((r.system, r.item_id) for r in (*mine, *theirs))
    return PairedComparison(
        system=system,
        baseline=baseline,
        repeats=max(answers.values(), default=0),
        wins=outcomes.count("win"),
        losses=outcomes.count("loss"),
        ties=outcomes.count("tie"),
        errored=sum(i.errored for i in items),
        unpaired=len(set(ours) ^ set(others)),
        difference=paired_difference_ci([i.system_score for i in items], [i.baseline_score for i in items], seed=seed),
        items=items,
    )
