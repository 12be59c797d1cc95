"""Confidence intervals: every metric is reported with a 95 % percentile bootstrap interval."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

RESAMPLES = 2000


class Interval(BaseModel):
    """A mean and its 95 % bootstrap interval over ``n`` values."""

    mean: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"

    def contains(self, value: float, *, tolerance: float = 0.0) -> bool:
        """True when ``value`` lies in the interval (within ``tolerance`` of it); False with no data."""
        return self.low - tolerance <= value <= self.high + tolerance


def bootstrap_ci(values: Sequence[float], *, confidence: float = 0.95, seed: int = 0) -> Interval:
    """The mean of ``values`` with a percentile bootstrap interval (deterministic for a seed).

    No values gives NaNs; one value gives an interval of zero width.
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return Interval(mean=float("nan"), low=float("nan"), high=float("nan"), n=0)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(RESAMPLES, data.size))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Interval(mean=float(data.mean()), low=float(low), high=float(high), n=int(data.size))


def spread(values: Sequence[float]) -> float | None:
    """The sample standard deviation of ``values`` (n - 1 in the denominator); None for fewer than two."""
    data = np.asarray(values, dtype=float)
    return float(data.std(ddof=1)) if data.size >= 2 else None


def paired_difference_ci(a: Sequence[float], b: Sequence[float], **kwargs) -> Interval:
    """Mean of ``a - b`` over the same items, with its interval (is ``a`` better than ``b``?)."""
    if len(a) != len(b):
        raise ValueError(f"paired values differ in length: {len(a)} and {len(b)}")
    return bootstrap_ci(np.asarray(a, dtype=float) - np.asarray(b, dtype=float), **kwargs)
