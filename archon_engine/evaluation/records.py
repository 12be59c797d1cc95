"""An evaluation as data: what is evaluated (systems, the spec) and what came of each item. The runner makes
them, the report summarises them and the store keeps them; this module imports none of those."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from archon_engine.config import Architecture, ComponentSpec
from archon_engine.evaluation.datasets import Dataset
from archon_engine.evaluation.scorers import registry as scorers
from archon_engine.evaluation.scorers.base import Score
from archon_engine.trace import Trace, Usage


class System(BaseModel):
    """One contender: an architecture under a name. Baselines are single model calls."""

    name: str
    architecture: Architecture
    baseline: bool = False

    @classmethod
    def of(cls, architecture: Architecture, name: str | None = None) -> System:
        return cls(name=name or architecture.name, architecture=architecture)


def baseline(model: str, *, temperature: float = 0.0, max_tokens: int = 512) -> System:
    """A single call to ``model`` (greedy by default), as a system."""
    spec = ComponentSpec(type="generator", model=model, temperature=temperature, max_tokens=max_tokens)
    arch = Architecture(name=model, description=f"one call to {model}", layers=[[spec]])
    return System(name=model, architecture=arch, baseline=True)


class EvaluationSpec(BaseModel):
    """What to evaluate: systems, a dataset, a scorer (with options such as a judge model)."""

    name: str = ""
    systems: list[System] = Field(min_length=1)
    dataset: Dataset
    scorer: str
    scorer_options: dict[str, Any] = Field(default_factory=dict)
    baseline_system: str | None = None  # pairwise judging compares every system with this one
    system_prompt: str | None = None
    repeats: int = Field(default=1, ge=1)  # each system answers each item this many times

    @property
    def answers(self) -> int:
        """Results a finished evaluation holds: one per system, item and repeat."""
        return len(self.systems) * len(self.dataset.items) * self.repeats

    @model_validator(mode="after")
    def _check(self) -> EvaluationSpec:
        names = [s.name for s in self.systems]
        if len(set(names)) != len(names):
            raise ValueError(f"system names must be unique: {names}")
        scorer = scorers.get(self.scorer, **self.scorer_options)  # a ValueError naming the known ones
        if scorer.needs_baseline and self.comparison_baseline() is None:
            raise ValueError(f"the {self.scorer!r} scorer needs a baseline system to compare against")
        if self.baseline_system is not None and self.baseline_system not in names:
            raise ValueError(f"baseline_system {self.baseline_system!r} is not one of the systems {names}")
        return self

    def comparison_baseline(self) -> str | None:
        if self.baseline_system:
            return self.baseline_system
        return next((s.name for s in self.systems if s.baseline), None)


class ItemResult(BaseModel):
    """One system's answer to one item (in one repeat), its score, and what it cost."""

    system: str
    item_id: str
    repeat: int = Field(default=0, ge=0)  # which of the spec's repeats, from 0
    config_hash: str
    item_key: str  # hash of the conversation the item sends
    status: Literal["completed", "failed", "budget_exceeded"]
    output: str | None = None
    error: str | None = None
    score: Score
    usage: Usage  # the system's calls (not the judge's)
    judge_usage: Usage = Field(default_factory=Usage)
    latency_s: float  # what the query takes run alone on the same setup (evaluation.latency)
    wall_s: float = 0.0  # wall time of the system on this item in the evaluation, queueing behind others included
    latency_replayed: bool = False  # every call came from the cache; latency_s is from the earlier live run
    cached: bool = False  # every call of the system came from the cache
    trace: Trace = Field(default_factory=Trace)
    run_id: str | None = None  # the item's whole run in the store (None: no store, or saved before runs were kept)


def in_order(results: Iterable[ItemResult], spec: EvaluationSpec) -> list[ItemResult]:
    """Results by item (the dataset's order), then system (the spec's), then repeat; unknown ones last."""
    items = {item.id: i for i, item in enumerate(spec.dataset.items)}
    systems = {s.name: i for i, s in enumerate(spec.systems)}
    unknown = (len(items), len(systems))
    return sorted(
        results,
        key=lambda r: (
            (items[r.item_id], systems[r.system]) if r.item_id in items and r.system in systems else unknown,
            r.repeat,
        ),
    )


class Progress(BaseModel):
    done: int
    total: int
    last: ItemResult | None = None
