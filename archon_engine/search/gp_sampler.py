"""Bayesian optimisation with a Gaussian process over a finite set of points, as an Optuna sampler.

Search's space is finite and known before any evaluation: every feasible architecture within the budget
(``Search.points``). So instead of optimising an acquisition function over a continuous relaxation of
the space (Optuna's own GPSampler, which also needs torch), this sampler scores every architecture not
yet evaluated and proposes the best one. It never proposes a pruned point, nor a repeat while any
architecture is left.

The first ``startup`` trials pick uniformly among the architectures not evaluated yet. After them, each
trial fits a Gaussian process to the values found so far and takes the architecture with the highest upper
confidence bound, mean + ``beta`` x standard deviation. The process (scikit-learn's) has a Matérn 5/2
kernel with one length scale per feature, a linear term (an architecture's axes act largely one by one:
more samples, a critic) and white noise, its hyperparameters fitted by maximum likelihood. Architectures
that other workers are evaluating (running trials) are left to them.

A point is encoded as features (``features``): an axis of numbers as its value's position between the
axis's lowest and highest (-0.5 when the axis does not apply to the point), any other axis one-hot.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

UCB_BETA = 1.0  # 0.5 and 2 did worse in benchmarks/search_efficiency.py (docs/benchmarks.md, ablations)
STARTUP = 3  # uniform picks before the first model
NOT_APPLICABLE = -0.5  # the feature of a numeric axis that does not apply to a point


def features(choices: dict[str, list[Any]], params: dict[str, Any]) -> list[float]:
    """``params`` (a point: some of the axes of ``choices``) as numbers, the same length for every point."""
    encoded: list[float] = []
    for name, values in choices.items():
        if len(values) < 2:
            continue
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            low, high = min(values), max(values)
            encoded.append((params[name] - low) / (high - low) if name in params else NOT_APPLICABLE)
        else:
            encoded.extend(float(name in params and params[name] == value) for value in values)
    return encoded


def _frozen(params: dict[str, Any]) -> frozenset:
    return frozenset(params.items())


class FiniteGPSampler(BaseSampler):
    """Proposes, for each trial, one of ``points``: (the params a trial suggests, the key of what it gives).

    Several points may give the same thing (the same key); each key is proposed once, as its first point.
    ``choices`` are the axes and their values (``SearchSpace.choices``), for the features. With no points
    (every point of the space pruned), trials get random points, which Search prunes with their reasons.
    """

    def __init__(
        self,
        points: Sequence[tuple[dict[str, Any], str]],
        choices: dict[str, list[Any]],
        *,
        seed: int = 0,
        startup: int = STARTUP,
        beta: float = UCB_BETA,
    ):
        self._key = {_frozen(params): key for params, key in points}
        first: dict[str, dict[str, Any]] = {}
        for params, key in points:
            first.setdefault(key, params)
        self._keys = list(first)
        self._params = list(first.values())
        self._features = np.array([features(choices, p) for p in self._params], dtype=float)
        self._startup, self._beta = startup, beta
        self._rng = random.Random(seed)
        self._chosen: dict[int, dict[str, Any]] = {}  # trial number -> the point it suggests
        self._fallback = RandomSampler(seed=seed)  # for an axis outside the points (none in Search's trials)

    # --- Optuna's sampler interface: the point is chosen before the trial asks for its params ---------

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict:
        return {}

    def sample_relative(self, study: Study, trial: FrozenTrial, search_space: dict) -> dict:
        return {}

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        if trial.params or not self._keys:  # enqueued with fixed params; or no feasible point: random ones
            return
        self._chosen[trial.number] = self._params[self._next(study)]

    def sample_independent(self, study: Study, trial: FrozenTrial, param_name: str, param_distribution) -> Any:
        chosen = self._chosen.get(trial.number, {})
        if param_name in chosen:
            return chosen[param_name]
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values) -> None:
        self._chosen.pop(trial.number, None)

    # --- the choice ------------------------------------------------------------------------------

    def _next(self, study: Study) -> int:
        """The index of the point to propose."""
        sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
        values: dict[str, float] = {}
        busy: set[str] = set()
        for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING)):
            key = self._key.get(_frozen(trial.params))
            if key is None:
                continue
            if trial.state == TrialState.RUNNING:
                busy.add(key)
            elif trial.values:
                values[key] = sign * trial.values[0]
        left = [i for i, key in enumerate(self._keys) if key not in values and key not in busy]
        if not left:  # everything is evaluated or being evaluated: a repeat (Search then ends the run)
            return self._rng.randrange(len(self._keys))
        if len(values) < self._startup:
            return self._rng.choice(left)
        seen = [i for i, key in enumerate(self._keys) if key in values]
        scores = self._upper_bounds(seen, [values[self._keys[i]] for i in seen], left)
        return left[int(np.argmax(scores))]

    def _upper_bounds(self, seen: list[int], y: list[float], left: list[int]) -> np.ndarray:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, DotProduct, Matern, WhiteKernel

        dims = self._features.shape[1]
        kernel = (
            ConstantKernel(1.0, (1e-3, 1e3))
            * Matern(length_scale=np.ones(dims), length_scale_bounds=(1e-2, 1e2), nu=2.5)
            + ConstantKernel(0.1, (1e-3, 1e2)) * DotProduct(1.0, (1e-2, 1e2))  # a linear trend over the features
            + WhiteKernel(1e-3, (1e-6, 1.0))
        )
        model = GaussianProcessRegressor(kernel, normalize_y=True)
        with warnings.catch_warnings():  # length scales at their bounds: an axis that does not matter
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(self._features[seen], np.array(y))
        mean, std = model.predict(self._features[left], return_std=True)
        return mean + self._beta * std
