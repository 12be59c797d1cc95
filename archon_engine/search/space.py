"""The search space: the paper's six axes plus answer aggregation, instruction variants and adaptive compute
(generators' ``stop_when`` and fusers' ``skip_when_agree``, on or off), as points that ``Search`` samples and
the architectures they build. Points that cannot work are ``Infeasible``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from archon_engine.config import Architecture, ComponentSpec, SkipWhenAgree, StopWhen

Aggregation = Literal["fuser", "majority_vote", "ranker", "none"]
FinalCheck = Literal["none", "verifier", "unit_tests"]
DEFAULT_INSTRUCTION = "default"  # no instruction variant

# Axes that only matter for some points, with when they do (given the values of the axes before them in
# SearchSpace.choices()' order). Every other axis always matters.
CONDITIONS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "fusion_layers": lambda p: p["aggregation"] == "fuser",
    "fusers_per_layer": lambda p: p["aggregation"] == "fuser" and p["fusion_layers"] > 1,
    "critic_ranker": lambda p: p["aggregation"] == "fuser",
    "final_check": lambda p: p["aggregation"] == "fuser",
    "adaptive_stopping": lambda p: p["samples"] > 1,
    "skip_fusion": lambda p: p["aggregation"] == "fuser",
}
# On/off axes of adaptive compute: a space whose only value is off leaves them out of its points, so spaces
# that do not search them have the points (and trials) they had before these axes existed.
SWITCHES = ("adaptive_stopping", "skip_fusion")


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
    adaptive_stopping: list[bool] = Field(default_factory=lambda: [False], min_length=1)  # generators' stop_when
    skip_fusion: list[bool] = Field(default_factory=lambda: [False], min_length=1)  # fusers' skip_when_agree
    stop_when: StopWhen = Field(default_factory=StopWhen)  # the rule when adaptive stopping is on; reads ``extractor``
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
            "adaptive_stopping": list(dict.fromkeys(self.adaptive_stopping)),
            "skip_fusion": list(dict.fromkeys(self.skip_fusion)),
        }

    def relevant(self, name: str, params: dict[str, Any]) -> bool:
        """Whether axis ``name`` changes the architecture, given the values ``params`` picked before it."""
        if name in SWITCHES and not any(getattr(self, name)):
            return False
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
                stop_when=self._stop_when() if params.get("adaptive_stopping") else None,
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

    def _stop_when(self) -> StopWhen:
        return self.stop_when.model_copy(update={"extractor": self.extractor})

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
            skip = SkipWhenAgree(extractor=self.extractor) if params.get("skip_fusion") else None
            fuser = spec("fuser", temperature=0.0, instruction=instruction, skip_when_agree=skip)
            layers.append([fuser.model_copy() for _ in range(fusers)])
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
    if params.get("adaptive_stopping"):
        head += " adaptive"
    if params.get("skip_fusion") and aggregation == "fuser":
        tail += ", skip if agreed"
    instruction = params.get("instruction", DEFAULT_INSTRUCTION)
    suffix = "" if instruction == DEFAULT_INSTRUCTION else f" [{instruction[:24]}]"
    return f"{head} -> {tail}{suffix}"


class Infeasible(ValueError):
    """A point of the space that cannot work; the trial is pruned without any model call."""


class SearchBudget(BaseModel):
    """Per query. Architectures over it are pruned, never evaluated."""

    max_calls: int | None = Field(None, ge=1)
    max_usd: float | None = Field(None, ge=0)
