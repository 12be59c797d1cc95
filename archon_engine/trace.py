"""Every model call, recorded (secrets redacted as it is written); roll-ups per component, layer and run."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel, Field


class CallRecord(BaseModel):
    id: str
    layer: int
    component: str
    component_type: str
    role: str
    model: str
    messages: list[dict[str, Any]]
    params: dict[str, Any] = Field(default_factory=dict)
    raw_response: str | None = None
    parsed: Any = None
    parse_error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0  # None: unknown price
    start_s: float = 0.0  # seconds since the run started
    end_s: float = 0.0
    retries: int = 0
    retry_errors: list[str] = Field(default_factory=list)  # why each retried attempt failed, in order
    error: str | None = None  # why the call failed in the end (None: it succeeded, perhaps after retries)
    cached: bool = False  # replayed from the response cache
    follows: str | None = None  # the call of the same component this one waited for (made one after another)
    queued_s: float = 0.0  # of start_s..end_s, the time spent waiting inside the backend (for a llama.cpp instance)
    service_s: float = 0.0  # its own time, from its slot or instance to its reply (cached: the live call's)
    finish_reason: str | None = None  # the provider's: "length" means cut at max_tokens (None: not reported)

    @property
    def latency_s(self) -> float:
        """Wall time from the call's slot to its reply (includes ``queued_s``)."""
        return self.end_s - self.start_s

    @property
    def ok(self) -> bool:
        return self.error is None and self.parse_error is None


class Usage(BaseModel):
    calls: int = 0
    failed_calls: int = 0
    cached_calls: int = 0  # answered from the response cache, not by a model
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True  # False when some call's price was unknown
    latency_s: float = 0.0  # wall time from the first call's start to the last call's end

    @classmethod
    def of(cls, calls: list[CallRecord]) -> Usage:
        if not calls:
            return cls()
        return cls(
            calls=len(calls),
            failed_calls=sum(not c.ok for c in calls),
            cached_calls=sum(c.cached for c in calls),
            prompt_tokens=sum(c.prompt_tokens for c in calls),
            completion_tokens=sum(c.completion_tokens for c in calls),
            cost_usd=sum(c.cost_usd or 0.0 for c in calls),
            cost_known=all(c.cost_usd is not None for c in calls),
            latency_s=max(c.end_s for c in calls) - min(c.start_s for c in calls),
        )


class Trace(BaseModel):
    calls: list[CallRecord] = Field(default_factory=list)

    def by_layer(self) -> dict[int, Usage]:
        return {layer: Usage.of(calls) for layer, calls in sorted(_group(self.calls, "layer").items())}

    def by_component(self) -> dict[str, Usage]:
        return {cid: Usage.of(calls) for cid, calls in _group(self.calls, "component").items()}

    def total(self) -> Usage:
        return Usage.of(self.calls)

    def to_json(self, **kwargs: Any) -> str:
        """The trace as JSON (its records were redacted as they were written)."""
        return self.model_dump_json(**kwargs)


def _group(calls: list[CallRecord], attr: str) -> dict[Any, list[CallRecord]]:
    groups: dict[Any, list[CallRecord]] = defaultdict(list)
    for call in calls:
        groups[getattr(call, attr)].append(call)
    return groups
