"""Every metric comes with a 95 % bootstrap interval."""

import math

import pytest

from archon_engine.evaluation.stats import bootstrap_ci, paired_difference_ci


def test_the_interval_contains_the_mean_and_narrows_with_more_data():
    small = bootstrap_ci([1, 0, 1, 1, 0, 1, 0, 1, 1, 0])
    large = bootstrap_ci([1, 0, 1, 1, 0, 1, 0, 1, 1, 0] * 10)

    assert small.mean == large.mean == pytest.approx(0.6)
    assert small.low < 0.6 < small.high
    assert (large.high - large.low) < (small.high - small.low)
    assert small.n == 10 and large.n == 100


def test_it_is_repeatable_for_a_seed():
    values = [0.1, 0.9, 0.4, 0.7, 0.3, 0.8, 0.2]

    assert bootstrap_ci(values, seed=3) == bootstrap_ci(values, seed=3)


def test_a_constant_has_a_zero_width_interval_and_no_data_gives_nan():
    assert bootstrap_ci([1, 1, 1]).model_dump() == {"mean": 1.0, "low": 1.0, "high": 1.0, "n": 3}
    empty = bootstrap_ci([])
    assert empty.n == 0 and math.isnan(empty.mean)


def test_a_95_percent_interval_covers_the_true_mean_about_95_percent_of_the_time():
    import numpy as np

    rng = np.random.default_rng(0)
    covered = 0
    for trial in range(200):
        sample = rng.binomial(1, 0.7, size=60)
        ci = bootstrap_ci(sample, seed=trial)
        covered += ci.low <= 0.7 <= ci.high
    assert 0.88 <= covered / 200 <= 0.99


def test_a_paired_difference_says_which_system_is_better():
    better = [1, 1, 1, 0, 1, 1, 1, 1, 0, 1] * 3
    worse = [0, 1, 0, 0, 1, 0, 0, 1, 0, 0] * 3

    diff = paired_difference_ci(better, worse)

    assert diff.mean == pytest.approx(0.5)
    assert diff.low > 0
    with pytest.raises(ValueError, match="differ in length"):
        paired_difference_ci([1], [1, 0])


def test_the_spread_is_the_sample_standard_deviation_and_needs_two_values():
    from archon_engine.evaluation.stats import spread

    assert spread([1.0, 0.0, 1.0]) == pytest.approx(0.57735, abs=1e-5)
    assert spread([0.4]) is None and spread([]) is None


def test_an_interval_says_whether_it_contains_a_value():
    interval = paired_difference_ci([1, 0, 1, 0], [0, 1, 1, 0])

    assert interval.contains(0.0)
    assert not paired_difference_ci([1, 1, 1], [0, 0, 0]).contains(0.0)
    assert paired_difference_ci([1e-12] * 3, [0.0] * 3).contains(0.0, tolerance=1e-9)
