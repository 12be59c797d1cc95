"""ITAS: search for the architecture that does best on a task within a budget, on Optuna.

    space = SearchSpace(models=["openai/gpt-4o", "local/smollm2-135m"])
    search = Search(space, dataset=get_dataset("factual"), scorer="normalised", budget=SearchBudget(max_calls=20))
    result = search.run(30)  # 30 distinct architectures evaluated (pruned trials and repeats are free)
    result.best[0].architecture

The space is conditional: a trial picks only the axes that matter given its earlier picks (the
fusion axes only with fuser aggregation, fusers per layer only with more than one fusion layer;
axes with a single value are fixed, not asked), so TPE (multivariate, group-decomposed) never learns
over dead dimensions and two points never differ only in an axis that changes nothing. The trial
builds the architecture its point describes and evaluates it on the dev split. Architectures that
cannot work (a fuser fed more candidates than ``max_fuser_inputs``, an engine validation error) or
that break the budget (``estimate``'s calls or worst-case cost per query) are pruned before any model
call. An architecture already evaluated in the study (by config hash, from any worker) is not
evaluated again: the trial completes at once with its figures, at no cost, and breaks the ``repeat``
constraint so that TPE and NSGA-II count it against proposing that point again.

``run(n)`` spends the search's budget in the paper's measure: ``n`` distinct architectures evaluated.
Pruned trials and repeats are free and do not count; a cap on trials (``max_trials``) keeps a sampler
that keeps proposing what it has seen from looping forever. ``stop`` (from any thread) cancels the
evaluation in progress at once: its trial ends FAILED (samplers ignore failed trials; a later run may
evaluate that architecture again). ``finalize`` re-evaluates the best ones on the held-out split. With a
``store``, every evaluation is kept in the run history (a stopped one as "cancelled").

Objectives: ``quality`` (mean score minus ``cost_weight`` x USD per query, maximised) or ``pareto``
(quality up, cost down, latency down: the Pareto front is the result). Algorithms: ``gp`` (Bayesian
optimisation with a Gaussian process over the space's distinct architectures, never a repeat: the quality
objective only; see gp_sampler), ``tpe`` (Bayesian; multi-objective TPE for pareto), ``nsga2``, ``random``
and ``grid`` (every distinct architecture once, in a seeded order). Studies live in Optuna's RDB storage:
SQLite under the data folder by default, or any database URL so that several workers on several machines
share one study.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import random
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from archon_engine.config import Architecture
from archon_engine.estimate import estimate
from archon_engine.evaluation.datasets import Dataset
from archon_engine.evaluation.records import EvaluationSpec, System
from archon_engine.evaluation.report import Evaluation
from archon_engine.evaluation.runner import aevaluate
from archon_engine.models.base import ModelBackend
from archon_engine.models.cache import ResponseCache
from archon_engine.models.client import Limits
from archon_engine.models.keys import redact
from archon_engine.search.space import Infeasible, SearchBudget, SearchSpace, describe
from archon_engine.search.trials import (
    RECORD,
    HeldOutResult,
    Objective,
    SearchResult,
    TrialSummary,
    record_of,
    summarise,
)
from archon_engine.storage.sqlite import data_dir
from archon_engine.storage.store import Store, config_hash
from archon_engine.validation import validate

Algorithm = Literal["gp", "tpe", "nsga2", "random", "grid"]
REPEAT = "repeat"  # the constraint a repeat of an evaluated architecture breaks, for the samplers (1: a repeat)
STOPPED = "stopped: the evaluation was cancelled"  # the reason of a trial whose evaluation stop() cancelled
HELD_OUT_STOPPED = "stopped: the held-out check was cancelled"
FIGURES = ("quality", "quality_low", "quality_high", "cost_per_query", "latency_s", "calls_per_query")
TRIALS_PER_EVALUATION = 10  # run()'s default cap on trials per evaluation asked for
MIN_TRIALS = 100  # ... and never fewer than this many trials (a tight budget prunes many points)
# TPE's prior weight (Optuna's default 1.0): sharper categorical kernels. In benchmarks/search_efficiency.py it found
# the best in 81-82 % of searches within 40 evaluations instead of 62-63 % (seeds 100-199 and 0-99).
TPE_PRIOR_WEIGHT = 0.05


class Stopped(Exception):
    """An evaluation ``Search.stop`` cancelled: a trial's (it ends FAILED, not PRUNED, which TPE counts as bad),
    or the held-out check's."""


def default_storage() -> str:
    return f"sqlite:///{(data_dir() / 'search.sqlite').resolve()}"


def _optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Its only warnings are for failed trials, which Search reports itself: the reason in the trial, and an
    # error raised to the caller. A user's stop is no error, and its warning came with a traceback.
    logging.getLogger("optuna.study._optimize").setLevel(logging.ERROR)
    return optuna


class Search:
    """One study: a space, a dev/held-out split of a dataset, a scorer, a budget and an objective.

    ``algorithm`` defaults to ``gp`` for the quality objective and ``tpe`` for pareto. ``seed`` seeds the
    sampler; ``split_seed`` the dev/held-out split, which every worker of a study must share (so it is not
    tied to the sampler's seed).
    """

    def __init__(
        self,
        space: SearchSpace,
        *,
        dataset: Dataset,
        scorer: str,
        scorer_options: dict[str, Any] | None = None,
        budget: SearchBudget | None = None,
        objective: Objective = "quality",
        cost_weight: float = 0.0,
        algorithm: Algorithm | None = None,
        seed: int = 0,
        dev_fraction: float = 0.5,
        split_seed: int = 0,
        storage: str | None = None,
        study: str | None = None,
        backend: ModelBackend | None = None,
        api_keys: dict[str, str] | None = None,
        cache: ResponseCache | None = None,
        store: Store | None = None,
        limits: Limits | None = None,
    ):
        algorithm = algorithm or ("gp" if objective == "quality" else "tpe")
        if algorithm == "nsga2" and objective != "pareto":
            raise ValueError("nsga2 searches the Pareto front: use objective 'pareto'")
        if algorithm == "gp" and objective != "quality":
            raise ValueError("gp maximises one objective: use objective 'quality' (or tpe or nsga2 for 'pareto')")
        self.space = space
        self.dev, self.held_out = (
            dataset.split(dev_fraction, seed=split_seed) if len(dataset.items) > 1 else (dataset, dataset)
        )
        self.scorer = scorer
        self.scorer_options = scorer_options or {}
        self.budget = budget or SearchBudget()
        self.objective = objective
        self.cost_weight = cost_weight
        self.algorithm = algorithm
        self.seed = seed
        self.storage = storage or default_storage()
        if self.storage.startswith("sqlite:///"):
            Path(self.storage.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.study_name = study or f"{dataset.name}-{scorer}-{objective}-{algorithm}-seed{seed}"
        self.backend, self.api_keys, self.cache, self.store, self.limits = backend, api_keys, cache, store, limits
        self.evaluations = 0  # architectures this process evaluated (not pruned, not duplicates): the budget spent
        self._feasible: list[tuple[dict[str, Any], str]] | None = None  # see points()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # guards evaluations, and _stop with _evaluation (see stop)
        self._evaluation: asyncio.Task | None = None  # the evaluation in progress, on its own event loop
        self.study = self._study()

    # --- the study ---------------------------------------------------------------------------

    def _sampler(self):
        optuna = _optuna()
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        if self.algorithm == "gp":
            from archon_engine.search.gp_sampler import FiniteGPSampler

            points = [(self.space.asked(params), digest) for params, digest in self.points()]
            return FiniteGPSampler(points, self.space.choices(), seed=self.seed)
        if self.algorithm == "tpe":  # group: the space is conditional (see SearchSpace.sample)
            with warnings.catch_warnings():  # prior_weight is deprecated (Optuna 4.9), still honoured in 5.x
                warnings.simplefilter("ignore", FutureWarning)
                return optuna.samplers.TPESampler(
                    seed=self.seed,
                    multivariate=True,
                    group=True,
                    constant_liar=True,
                    prior_weight=TPE_PRIOR_WEIGHT,
                )
        if self.algorithm == "nsga2":
            return optuna.samplers.NSGAIISampler(seed=self.seed)
        return optuna.samplers.RandomSampler(seed=self.seed)  # random, and grid's fallback

    def _study(self):
        optuna = _optuna()
        from sqlalchemy.exc import DBAPIError

        directions = ["maximize", "minimize", "minimize"] if self.objective == "pareto" else ["maximize"]
        for attempt in range(5):  # workers starting together race to create the tables and the study
            try:
                study = optuna.create_study(
                    study_name=self.study_name,
                    storage=self.storage,
                    sampler=self._sampler(),
                    directions=directions,
                    load_if_exists=True,
                )
                break
            except DBAPIError:
                if attempt == 4:
                    raise
                time.sleep(0.2 + random.random())
        study.set_user_attr("objective", self.objective)
        if self.algorithm == "grid" and not study.trials:
            for params in self.grid():
                study.enqueue_trial(self.space.asked(params), skip_if_exists=True)
        return study

    def grid(self) -> list[dict[str, Any]]:
        """Every feasible, within-budget point giving a distinct architecture, in a seeded order."""
        points = list(self._distinct().values())
        random.Random(self.seed).shuffle(points)
        return points

    def points(self) -> list[tuple[dict[str, Any], str]]:
        """The space's feasible, within-budget points, each with its architecture's config hash."""
        if self._feasible is None:
            self._feasible = []
            for params in self.space.points():
                try:
                    self._feasible.append((params, config_hash(self._checked(params))))
                except Infeasible:
                    continue
        return self._feasible

    def _distinct(self) -> dict[str, dict[str, Any]]:
        """The space's distinct feasible, within-budget architectures (config hash: the first point giving it)."""
        distinct: dict[str, dict[str, Any]] = {}
        for params, digest in self.points():
            distinct.setdefault(digest, params)
        return distinct

    def _checked(self, params: dict[str, Any]) -> Architecture:
        arch = self.space.build(params)
        errors = [f.message for f in validate(arch) if f.severity == "error"]
        if errors:
            raise Infeasible("; ".join(errors))
        plan = estimate(arch)
        if self.budget.max_calls is not None and plan.calls > self.budget.max_calls:
            raise Infeasible(f"{plan.calls} calls per query, over the budget of {self.budget.max_calls}")
        if (
            self.budget.max_usd is not None
            and plan.max_cost_usd is not None
            and plan.max_cost_usd > self.budget.max_usd
        ):
            raise Infeasible(f"up to ${plan.max_cost_usd:.4f} per query, over the budget of ${self.budget.max_usd:.4f}")
        return arch

    # --- trials ------------------------------------------------------------------------------

    def _objective(self, trial) -> float | tuple[float, float, float]:
        """One trial: pruned (infeasible, over budget), a repeat (an earlier trial's figures) or an evaluation.
        What it found is written once, as the trial's ``RECORD`` user attribute."""
        optuna = _optuna()
        params = self.space.sample(trial.suggest_categorical)
        record: dict[str, Any] = {"name": describe(params)}
        try:
            arch = self._checked(params)
        except Infeasible as exc:
            trial.set_user_attr(RECORD, {**record, "reason": str(exc)})
            raise optuna.TrialPruned(str(exc)) from exc
        digest = config_hash(arch)
        record |= {"config_hash": digest, "architecture": arch.model_dump(mode="json")}
        earlier = self._evaluated(digest, trial.number)
        if earlier is not None:
            figures = {key: record_of(earlier).get(key) for key in FIGURES}
            trial.set_user_attr(RECORD, {**record, **figures, "duplicate_of": earlier.number})
            # A repeat teaches the sampler nothing new. Completed with its earlier figures alone, repeats of the
            # best pile up in TPE's good set and pull it back onto the same point ever more; marked infeasible
            # for the sampler, each repeat counts against proposing that point again.
            trial.set_constraint(REPEAT, 1.0)
            return self._values(figures)
        try:
            figures = self._evaluate(arch, trial.number)
        except asyncio.CancelledError:
            trial.set_user_attr(RECORD, {**record, "reason": STOPPED})
            if self.algorithm == "grid":  # the grid's point waits again for the study's next run
                self.study.enqueue_trial(trial.params)
            raise Stopped(STOPPED) from None
        except Exception as exc:
            trial.set_user_attr(RECORD, {**record, "reason": redact(f"{type(exc).__name__}: {exc}")})
            raise
        with self._lock:
            self.evaluations += 1
        trial.set_user_attr(RECORD, {**record, **figures})
        return self._values(figures)

    def _evaluate(self, arch: Architecture, number: int) -> dict[str, Any]:
        """Evaluate ``arch`` on the dev split: its ``FIGURES`` (and the stored evaluation's id, if any).
        Raises CancelledError when ``stop`` cancels it."""
        spec = EvaluationSpec(
            name=f"search {self.study_name} trial {number}",
            systems=[System.of(arch)],
            dataset=self.dev,
            scorer=self.scorer,
            scorer_options=self.scorer_options,
        )
        evaluation = self._run(spec)
        (summary,) = evaluation.summaries()
        figures = {
            "quality": summary.quality.mean,
            "quality_low": summary.quality.low,
            "quality_high": summary.quality.high,
            "cost_per_query": summary.cost_per_query,
            "latency_s": summary.latency_mean_s,
            "calls_per_query": summary.calls_per_query,
        }
        if evaluation.id:
            figures["evaluation_id"] = evaluation.id
        return figures

    def _run(self, spec: EvaluationSpec, *, after_stop: bool = False) -> Evaluation:
        """Evaluate ``spec`` as a task on an event loop of its own, where ``stop`` can cancel it (CancelledError).
        A search already stopped cancels it at once, unless ``after_stop`` (the held-out check may follow a stop).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._run_here(spec, after_stop)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:  # called from async code (a notebook)
            return pool.submit(self._run_here, spec, after_stop).result()

    def _run_here(self, spec: EvaluationSpec, after_stop: bool) -> Evaluation:
        evaluation = aevaluate(
            spec, backend=self.backend, api_keys=self.api_keys, cache=self.cache, store=self.store, limits=self.limits
        )
        with asyncio.Runner() as runner:  # on leaving: no task left behind, the loop closed
            task = runner.get_loop().create_task(evaluation)
            with self._lock:
                self._evaluation = task
                if self._stop.is_set() and not after_stop:  # stopped before the evaluation began
                    task.cancel()
            try:
                return runner.get_loop().run_until_complete(task)
            finally:
                with self._lock:
                    self._evaluation = None

    def _values(self, figures: dict[str, Any]) -> float | tuple[float, float, float]:
        quality, cost = figures["quality"], figures["cost_per_query"]
        if self.objective == "pareto":
            return quality, cost, figures["latency_s"]
        return quality - self.cost_weight * cost

    def _evaluated(self, digest: str, number: int):
        """A finished trial of the same architecture, from any worker of the study."""
        optuna = _optuna()
        for trial in self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
            if trial.number != number and record_of(trial).get("config_hash") == digest:
                return trial
        return None

    def exhausted(self) -> bool:
        """Whether the study has evaluated every distinct feasible, within-budget architecture of the space."""
        optuna = _optuna()
        trials = self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        return {digest for _, digest in self.points()} <= {record_of(t).get("config_hash") for t in trials}

    def run(
        self,
        evaluations: int,
        *,
        max_trials: int | None = None,
        on_trial: Callable[[TrialSummary], None] | None = None,
    ) -> SearchResult:
        """Evaluate ``evaluations`` more distinct architectures: the search's budget (the paper's measure).

        Trials that make no model call do not count: pruned ones (infeasible, over the budget) and repeats
        of an architecture the study has already evaluated (they complete at once with its figures). At most
        ``max_trials`` trials run (default: ``TRIALS_PER_EVALUATION`` per evaluation, at least ``MIN_TRIALS``),
        so that a sampler that keeps proposing what it has seen cannot loop forever. The search ends early
        when stopped (``stop``), when a grid is exhausted, or when the study has evaluated every distinct
        architecture of the space. ``on_trial`` gets every finished trial, whatever its kind.
        """
        if self._stop.is_set() or evaluations <= 0 or (max_trials is not None and max_trials <= 0):
            return self.result()
        if max_trials is None:
            max_trials = max(TRIALS_PER_EVALUATION * evaluations, MIN_TRIALS)
        with self._lock:
            target = self.evaluations + evaluations

        def after(study, frozen) -> None:
            if on_trial is not None:
                on_trial(summarise(frozen))
            if (
                self._stop.is_set()
                or self.evaluations >= target
                or (self.algorithm == "grid" and not _waiting(study))
                # only a repeat can mean that the space is exhausted, so only a repeat checks
                or (record_of(frozen).get("duplicate_of") is not None and self.exhausted())
            ):
                study.stop()

        if self.algorithm == "grid" and not _waiting(self.study):
            return self.result()
        self.study.optimize(self._objective, n_trials=max_trials, callbacks=[after], catch=(Stopped,))
        return self.result()

    def stop(self) -> None:
        """End the search, from any thread: the evaluation in progress is cancelled at once (a trial's ends FAILED
        with the reason ``STOPPED`` and does not count, and ``run`` returns; the held-out check's makes ``finalize``
        raise Stopped). A stopped search stays so; ``finalize`` may still follow."""
        with self._lock:
            self._stop.set()
            if self._evaluation is not None:
                self._evaluation.get_loop().call_soon_threadsafe(self._evaluation.cancel)

    def result(self) -> SearchResult:
        trials = [summarise(t) for t in self.study.get_trials(deepcopy=False)]
        complete = [t for t in trials if t.state == "COMPLETE" and t.values]
        if self.objective == "pareto":
            front = {t.number for t in self.study.best_trials}
            best = sorted((t for t in complete if t.number in front), key=lambda t: -(t.quality or 0))
        else:
            best = sorted(complete, key=lambda t: (-t.values[0], t.number))
        return SearchResult(
            study=self.study_name, storage=self.storage, objective=self.objective, trials=trials, best=best
        )

    def finalize(self, top: int = 3) -> SearchResult:
        """Re-evaluate the ``top`` best distinct architectures on the held-out split and rank them.
        Raises Stopped if ``stop`` cancels it."""
        result = self.result()
        chosen, seen = [], set()
        for trial in result.best:
            if trial.architecture is None:
                continue
            digest = config_hash(trial.architecture)
            if digest not in seen:
                seen.add(digest)
                chosen.append(trial)
            if len(chosen) == top:
                break
        if not chosen:
            return result
        spec = EvaluationSpec(
            name=f"search {self.study_name}: held-out check",
            systems=[System.of(t.architecture, name=f"trial {t.number}: {t.name}") for t in chosen],
            dataset=self.held_out,
            scorer=self.scorer,
            scorer_options=self.scorer_options,
        )
        try:
            evaluation = self._run(spec, after_stop=True)
        except asyncio.CancelledError:
            raise Stopped(HELD_OUT_STOPPED) from None
        by_name = {s.system: s for s in evaluation.summaries()}
        held = [
            HeldOutResult(
                trial=t.number,
                name=t.name,
                architecture=t.architecture,
                dev_quality=t.quality or 0.0,
                quality=by_name[system.name].quality.mean,
                quality_low=by_name[system.name].quality.low,
                quality_high=by_name[system.name].quality.high,
                cost_per_query=by_name[system.name].cost_per_query,
                latency_s=by_name[system.name].latency_mean_s,
            )
            for t, system in zip(chosen, spec.systems, strict=True)
        ]
        result.held_out = sorted(held, key=lambda h: (-h.quality, h.cost_per_query))
        return result


def _waiting(study) -> bool:
    optuna = _optuna()
    return bool(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,)))
