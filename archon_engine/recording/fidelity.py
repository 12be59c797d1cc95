"""How a replayed run compares with its recording: what differs (nothing, for a faithful replay) and how
each call's timing compares."""

from __future__ import annotations

from pydantic import BaseModel

from archon_engine.execution import RunResult

TIMING = {"start_s", "end_s", "queued_s", "service_s"}  # what a replay paces rather than reproduces


class CallTiming(BaseModel):
    id: str
    role: str
    recorded_s: float  # the recorded call's latency (queued and served)
    replayed_s: float

    @property
    def error(self) -> float:
        """Relative difference of the replayed latency (0.02: 2 % longer)."""
        return (self.replayed_s - self.recorded_s) / self.recorded_s if self.recorded_s else 0.0


def differences(recorded: RunResult, replayed: RunResult) -> list[str]:
    """Everything but timing in which ``replayed`` differs from ``recorded``: status, answer, each layer's
    outputs and candidates, and each call (by id) save its times. Empty: the same run."""
    found = [
        f"{name}: {a!r} recorded, {b!r} replayed"
        for name, a, b in (
            ("status", recorded.status, replayed.status),
            ("answer", recorded.answer, replayed.answer),
            ("error", recorded.error, replayed.error),
            ("layers", len(recorded.layers), len(replayed.layers)),
            ("calls", len(recorded.trace.calls), len(replayed.trace.calls)),
        )
        if a != b
    ]
    if not found and [c.id for c in recorded.trace.calls] != [c.id for c in replayed.trace.calls]:
        found.append("the calls ended in another order")
    for before, after in zip(recorded.layers, replayed.layers, strict=False):
        if before.model_dump() != after.model_dump():
            found.append(f"layer {before.index}: its outputs or candidates differ")
    replayed_calls = {c.id: c for c in replayed.trace.calls}
    for call in recorded.trace.calls:
        twin = replayed_calls.get(call.id)
        if twin is None:
            found.append(f"{call.id}: not replayed")
            continue
        fields = [n for n in type(call).model_fields if n not in TIMING and getattr(call, n) != getattr(twin, n)]
        if fields:
            found.append(f"{call.id}: {', '.join(fields)} differ")
    return found


def timings(recorded: RunResult, replayed: RunResult) -> list[CallTiming]:
    """Each recorded call's latency beside its replayed twin's, in the recorded order."""
    replayed_calls = {c.id: c for c in replayed.trace.calls}
    return [
        CallTiming(id=c.id, role=c.role, recorded_s=c.latency_s, replayed_s=replayed_calls[c.id].latency_s)
        for c in recorded.trace.calls
        if c.id in replayed_calls
    ]
