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
import math
import random
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from archon_engine.config import Architecture, ComponentSpec
from archon_engine.estimate import estimate
from archon_engine.evaluation.datasets import Dataset
from archon_engine.evaluation.report import Evaluation
from archon_engine.evaluation.runner import EvaluationSpec, System, aevaluate
from archon_engine.models.base import ModelBackend
from archon_engine.models.cache import ResponseCache
from archon_engine.models.client import Limits
from archon_engine.models.keys import redact
from archon_engine.presets import data_dir
from archon_engine.store import Store, config_hash
from archon_engine.validation import validate

Aggregation = Literal["fuser", "majority_vote", "ranker", "none"]
FinalCheck = Literal["none", "verifier", "unit_tests"]
Objective = Literal["quality", "pareto"]
Algorithm = Literal["gp", "tpe", "nsga2", "random", "grid"]
DEFAULT_INSTRUCTION = "default"  # no instruction variant
RECORD = "archon"  # the one user attribute in which a trial keeps what it found (see TrialSummary)
REPEAT = "repeat"  # the constraint a repeat of an evaluated architecture breaks, for the samplers (1: a repeat)
STOPPED = "stopped: the evaluation was cancelled"  # the reason of a trial whose evaluation stop() cancelled
HELD_OUT_STOPPED = "stopped: the held-out check was cancelled"
FIGURES = ("quality", "quality_low", "quality_high", "cost_per_query", "latency_s", "calls_per_query")
TRIALS_PER_EVALUATION = 10  # run()'s default cap on trials per evaluation asked for
MIN_TRIALS = 100  # ... and never fewer than this many trials (a tight budget prunes many points)
# TPE's prior weight (Optuna's default 1.0): sharper categorical kernels. In benchmarks/search_efficiency.py it found
# the best in 81-82 % of searches within 40 evaluations instead of 62-63 % (seeds 100-199 and 0-99).
TPE_PRIOR_WEIGHT = 0.05

# Axes that only matter for some points, with when they do (given the values of the axes before them in
# SearchSpace.choices()' order). Every other axis always matters.
CONDITIONS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "fusion_layers": lambda p: p["aggregation"] == "fuser",
    "fusers_per_layer": lambda p: p["aggregation"] == "fuser" and p["fusion_layers"] > 1,
    "critic_ranker": lambda p: p["aggregation"] == "fuser",
    "final_check": lambda p: p["aggregation"] == "fuser",
}


class SearchSpace(BaseModel):
    """The axes of the paper's search, plus answer aggregation and instruction variants.

    ``models`` are ranked best first: generators use the top k of them (k from 1 to ``max_models``),
    and fusers, critics, rankers, verifiers and unit-test components use the first.
    """

    models: list[str] = Field(min_length=1)
    max_models: int | None = Field(None, ge=1)
    samples: list[int] = Field(default_factory=lambda: [1, 3, 5], min_length=1)
    aggregations: list[Aggregation] = Field(default_factory=lambda: ["fuser"], min_length=1)
    fusion_layers: tuple[int, int] = (1, 2)
    fusers_per_layer: list[int] = Field(default_factory=lambda: [1, 2, 3], min_length=1)
    critic_ranker: list[bool] = Field(default_factory=lambda: [False, True], min_length=1)
    final_checks: list[FinalCheck] = Field(default_factory=lambda: ["none", "verifier", "unit_tests"], min_length=1)
    temperatures: list[float] = Field(default_factory=lambda: [0.7], min_length=1)
    instructions: list[str] = Field(default_factory=lambda: [DEFAULT_INSTRUCTION], min_length=1)
    extractor: str = "short_text"  # how majority vote reads answers (see components.extractors)
    max_fuser_inputs: int = Field(10, ge=1)
    ranker_keep: int = Field(3, ge=1)  # candidates a ranker before a fuser passes on
    max_tokens: int = Field(512, ge=1)
    api_base: str | None = None  # an OpenAI-compatible endpoint for every component

    @model_validator(mode="after")
    def _check(self) -> SearchSpace:
        low, high = self.fusion_layers
        if not 1 <= low <= high <= 4:
            raise ValueError(f"fusion_layers must be a range within 1..4, got {self.fusion_layers}")
        if any(s < 1 for s in self.samples) or any(f < 1 for f in self.fusers_per_layer):
            raise ValueError("samples and fusers_per_layer must be at least 1")
        return self

    @property
    def top_k(self) -> int:
        return min(self.max_models or len(self.models), len(self.models))

    def choices(self) -> dict[str, list[Any]]:
        """Every axis and its values, in a fixed order: the order in which a point picks them."""
        return {
            "generator_models": list(range(1, self.top_k + 1)),
            "samples": sorted(set(self.samples)),
            "aggregation": list(dict.fromkeys(self.aggregations)),
            "fusion_layers": list(range(self.fusion_layers[0], self.fusion_layers[1] + 1)),
            "fusers_per_layer": sorted(set(self.fusers_per_layer)),
            "critic_ranker": list(dict.fromkeys(self.critic_ranker)),
            "final_check": list(dict.fromkeys(self.final_checks)),
            "temperature": list(dict.fromkeys(self.temperatures)),
            "instruction": list(dict.fromkeys(self.instructions)),
        }

    def relevant(self, name: str, params: dict[str, Any]) -> bool:
        """Whether axis ``name`` changes the architecture, given the values ``params`` picked before it."""
        condition = CONDITIONS.get(name)
        return condition is None or condition(params)

    def sample(self, pick: Callable[[str, list[Any]], Any]) -> dict[str, Any]:
        """A point of the space: every axis that matters, in ``choices()`` order, valued by ``pick(name, values)``
        (a trial's ``suggest_categorical``). Axes with one value take it without asking ``pick``; axes that
        do not matter given the earlier picks are left out."""
        params: dict[str, Any] = {}
        for name, values in self.choices().items():
            if self.relevant(name, params):
                params[name] = values[0] if len(values) == 1 else pick(name, values)
        return params

    def points(self) -> list[dict[str, Any]]:
        """Every point of the space (as ``sample`` makes them), feasible or not, in a fixed order."""
        axes = list(self.choices().items())
        found: list[dict[str, Any]] = []

        def walk(index: int, params: dict[str, Any]) -> None:
            if index == len(axes):
                found.append(params)
                return
            name, values = axes[index]
            if not self.relevant(name, params):
                walk(index + 1, params)
                return
            for value in values:
                walk(index + 1, {**params, name: value})

        walk(0, {})
        return found

    def asked(self, params: dict[str, Any]) -> dict[str, Any]:
        """The part of a point that a trial suggests (what ``sample`` asks): the axes that matter for it and
        have more than one value. For ``enqueue_trial``."""
        asked: dict[str, Any] = {}
        self.sample(lambda name, values: asked.setdefault(name, params[name]))
        return asked

    def build(self, params: dict[str, Any]) -> Architecture:
        """The architecture ``params`` describe (axes that do not matter may be left out).
        Raises Infeasible when it cannot work."""
        best = self.models[0]
        instruction = None if params["instruction"] == DEFAULT_INSTRUCTION else params["instruction"]

        def spec(type_: str, model: str = best, **fields: Any) -> ComponentSpec:
            return ComponentSpec(type=type_, model=model, max_tokens=self.max_tokens, api_base=self.api_base, **fields)

        generators = [
            spec(
                "generator",
                model,
                samples=params["samples"],
                temperature=params["temperature"],
                instruction=instruction,
            )
            for model in self.models[: params["generator_models"]]
        ]
        candidates = params["generator_models"] * params["samples"]
        aggregation = params["aggregation"]
        layers: list[list[ComponentSpec]] = []
        if aggregation == "fuser" and params["final_check"] == "unit_tests":
            layers.append([spec("unit_test_generator", temperature=0.0)])
        layers.append(generators)
        if aggregation == "none":
            if candidates > 1:
                raise Infeasible("no aggregation keeps one answer: it needs exactly one candidate")
        elif aggregation == "majority_vote":
            if candidates < 3:
                raise Infeasible("a majority vote needs at least 3 candidates")
            layers.append([spec("majority_vote", extractor=self.extractor)])
        elif aggregation == "ranker":
            if candidates < 2:
                raise Infeasible("a ranker needs at least 2 candidates")
            layers.append([spec("ranker", temperature=0.0, top_k=1, instruction=instruction)])
        else:
            self._fusion(params, candidates, spec, instruction, layers)
        return Architecture(name=describe(params), description="found by search", layers=layers)

    def _fusion(self, params, candidates, spec, instruction, layers) -> None:
        count = params["fusion_layers"]
        for index in range(count):
            last = index == count - 1
            if params["critic_ranker"]:
                layers.append([spec("critic", temperature=0.0, instruction=instruction)])
                keep = min(self.ranker_keep, candidates)
                ranker = spec("ranker", temperature=0.0, top_k=keep, use_critiques=True, instruction=instruction)
                layers.append([ranker])
                candidates = keep
            if last and params["final_check"] == "verifier":
                layers.append([spec("verifier", temperature=0.0)])
            elif last and params["final_check"] == "unit_tests":
                keep = min(self.ranker_keep, candidates)
                layers.append([spec("unit_test_evaluator", temperature=0.0, top_k=keep)])
                candidates = keep
            if candidates > self.max_fuser_inputs:
                raise Infeasible(f"{candidates} candidates into a fuser (limit {self.max_fuser_inputs})")
            fusers = 1 if last else params["fusers_per_layer"]
            layers.append([spec("fuser", temperature=0.0, instruction=instruction) for _ in range(fusers)])
            candidates = fusers


def describe(params: dict[str, Any]) -> str:
    """A short name for the architecture a trial's params describe."""
    head = f"{params['generator_models']}m x {params['samples']}s @{params['temperature']:g}"
    aggregation = params["aggregation"]
    if aggregation == "fuser":
        tail = f"{params['fusion_layers']} fuse"
        if params["fusion_layers"] > 1:
            tail += f" x{params['fusers_per_layer']}"
        if params["critic_ranker"]:
            tail = "critic+rank, " + tail
        if params["final_check"] != "none":
            tail += f", {params['final_check']}"
    else:
        tail = {"majority_vote": "majority vote", "ranker": "rank top 1", "none": "single answer"}[aggregation]
    instruction = params.get("instruction", DEFAULT_INSTRUCTION)
    suffix = "" if instruction == DEFAULT_INSTRUCTION else f" [{instruction[:24]}]"
    return f"{head} -> {tail}{suffix}"


class Infeasible(ValueError):
    """A point of the space that cannot work; the trial is pruned without any model call."""


class Stopped(Exception):
    """An evaluation ``Search.stop`` cancelled: a trial's (it ends FAILED, not PRUNED, which TPE counts as bad),
    or the held-out check's."""


class SearchBudget(BaseModel):
    """Per query. Architectures over it are pruned, never evaluated."""

    max_calls: int | None = Field(None, ge=1)
    max_usd: float | None = Field(None, ge=0)


class TrialSummary(BaseModel):
    """One trial as the page and the CLI show it. Optuna keeps the point in the trial's params and the rest
    in one user attribute, ``RECORD`` (a dict of these fields), written once when the trial ends."""

    number: int
    state: str  # COMPLETE | PRUNED | FAIL | RUNNING
    params: dict[str, Any]  # the axes the trial suggested (see SearchSpace.sample)
    name: str
    architecture: Architecture | None = None
    quality: float | None = None
    quality_low: float | None = None
    quality_high: float | None = None
    cost_per_query: float | None = None
    latency_s: float | None = None
    calls_per_query: float | None = None
    values: list[float] | None = None
    duplicate_of: int | None = None  # a repeat of that trial's architecture: its figures, no model call
    reason: str | None = None  # why it was pruned or failed
    evaluation_id: str | None = None


class HeldOutResult(BaseModel):
    trial: int
    name: str
    architecture: Architecture
    dev_quality: float
    quality: float
    quality_low: float
    quality_high: float
    cost_per_query: float
    latency_s: float


class SearchResult(BaseModel):
    study: str
    storage: str
    objective: Objective
    trials: list[TrialSummary]
    best: list[TrialSummary]  # best first (quality objective), or the Pareto front by quality
    held_out: list[HeldOutResult] = Field(default_factory=list)


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
            from archon_engine.gp_sampler import FiniteGPSampler

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
            figures = {key: _record(earlier).get(key) for key in FIGURES}
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
            if trial.number != number and _record(trial).get("config_hash") == digest:
                return trial
        return None

    def exhausted(self) -> bool:
        """Whether the study has evaluated every distinct feasible, within-budget architecture of the space."""
        optuna = _optuna()
        trials = self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        return {digest for _, digest in self.points()} <= {_record(t).get("config_hash") for t in trials}

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
                or (_record(frozen).get("duplicate_of") is not None and self.exhausted())
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


def _record(trial) -> dict[str, Any]:
    """What a trial found: its ``RECORD`` user attribute (or, in studies from before it, the separate ones)."""
    attrs = trial.user_attrs
    return attrs.get(RECORD) or attrs


def summarise(trial) -> TrialSummary:
    """A trial as the page and the CLI show it."""
    attrs = _record(trial)
    arch = attrs.get("architecture")
    values = list(trial.values) if trial.values is not None else None
    if values is not None and any(isinstance(v, float) and math.isnan(v) for v in values):
        values = None
    return TrialSummary(
        number=trial.number,
        state=trial.state.name,
        params=dict(trial.params),
        name=attrs.get("name", ""),
        architecture=Architecture.model_validate(arch) if arch else None,
        quality=attrs.get("quality"),
        quality_low=attrs.get("quality_low"),
        quality_high=attrs.get("quality_high"),
        cost_per_query=attrs.get("cost_per_query"),
        latency_s=attrs.get("latency_s"),
        calls_per_query=attrs.get("calls_per_query"),
        values=values,
        duplicate_of=attrs.get("duplicate_of"),
        reason=attrs.get("reason"),
        evaluation_id=attrs.get("evaluation_id"),
    )
