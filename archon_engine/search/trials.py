"""What a search's trials found, as the page and the CLI show them. Optuna keeps a trial's point in its params
and everything else in one user attribute, ``RECORD``, written once when the trial ends."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, Field

from archon_engine.config import Architecture

Objective = Literal["quality", "pareto"]
RECORD = "archon"  # the one user attribute in which a trial keeps what it found (see TrialSummary)


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


def record_of(trial) -> dict[str, Any]:
    """What a trial found: its ``RECORD`` user attribute (or, in studies from before it, the separate ones)."""
    attrs = trial.user_attrs
    return attrs.get(RECORD) or attrs


def summarise(trial) -> TrialSummary:
    """A trial as the page and the CLI show it."""
    attrs = record_of(trial)
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
