"""Replay: the normal engine run with the model replaced by the recording, so what is replayed is what was run.

    recording = load_recording("presets/recordings/moa-lite.json")
    result = replay(recording, speed=2)  # twice as fast; speed=0: instant
    result.answer == recording.run.answer

No model, key or network is needed. ``replay_job_options`` gives the backend, limits and budget for any
other runner of the engine (the Run page's job, step mode).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archon_engine.execution import Execution, RunEvent, RunResult
from archon_engine.models.client import Budget, Limits
from archon_engine.recording.backend import CANCELLED, ReplayBackend
from archon_engine.recording.format import Recording, RecordingError
from archon_engine.recording.load import load_recording
from archon_engine.validation import ArchitectureError

SPEEDS = {"1x": 1.0, "2x": 2.0, "4x": 4.0, "instant": 0.0}  # the app's choices


def parse_speed(value: str | float) -> float:
    """A speed from "2", "2x", "0.5" or "instant" (0): how many times faster than recorded."""
    text = str(value).strip().lower()
    if text == "instant":
        return 0.0
    try:
        speed = float(text.removesuffix("x"))
    except ValueError:
        raise ValueError(f"speed must be a number such as 1, 2 or 4 (or 'instant'), not {value!r}") from None
    if not math.isfinite(speed) or speed < 0:
        raise ValueError(f"speed must be 0 (instant) or a positive number, not {value!r}")
    return speed


def _stopped_between_layers(recording: Recording) -> bool:
    """A cancelled run with no call cut in flight: it stopped after its last layer (step mode's Cancel)."""
    run = recording.run
    cut = any((c.error or "").startswith(CANCELLED) for c in run.trace.calls)
    return run.status == "cancelled" and not cut


def replay_job_options(recording: Recording, speed: float = 1.0) -> dict[str, Any]:
    """``backend``, ``limits`` and ``budget`` that make an engine run of ``recording``'s design and conversation
    replay it: no call waits for a slot or a backoff, and a run stopped by its budget stops at the same call."""
    calls = recording.calls
    backend = ReplayBackend(calls, speed=speed, incomplete=recording.run.status == "cancelled")
    longest = max((c.latency_s for c in calls), default=0.0)
    limits = Limits(
        concurrency=max(16, len(calls)),
        timeout_s=max(120.0, 2 * longest / speed if speed else 0.0),
        max_retries=max((c.retries for c in calls), default=0),
        backoff_s=0.0,
    )
    budget = Budget(max_calls=len(calls)) if recording.run.status == "budget_exceeded" else Budget()
    return {"backend": backend, "limits": limits, "budget": budget}


def mismatch(backend: ReplayBackend) -> str | None:
    """Why a finished replay did not follow its recording, or None: it asked for calls the recording does not
    have, or left recorded calls unasked."""
    if backend.mismatches:
        more = f" (and {len(backend.mismatches) - 1} more)" if len(backend.mismatches) > 1 else ""
        return backend.mismatches[0] + more
    unused = backend.unused()
    if unused:
        return f"{len(unused)} recorded calls were never asked for (the first: {unused[0].id}, {unused[0].role})"
    return None


async def areplay(
    recording: Recording, *, speed: float = 1.0, on_event: Callable[[RunEvent], None] | None = None
) -> RunResult:
    """Re-enact ``recording``: its run again, each call answered by the recording at ``speed``.

    Raises RecordingError if its design cannot run here or the run does not follow the recording.
    """
    options = replay_job_options(recording, speed)
    try:
        execution = Execution(recording.architecture, recording.run.messages, on_event=on_event, **options)
    except ArchitectureError as exc:
        raise RecordingError(f"the recording's design cannot run: {exc}") from None
    last = len(recording.run.layers) if _stopped_between_layers(recording) else None
    try:
        while execution.next_layer is not None and (last is None or len(execution.layers) < last):
            if await execution.step() is None:
                break
    except asyncio.CancelledError:
        if asyncio.current_task().cancelling():  # cancelled from outside, not by the recording's end
            raise
    problem = mismatch(options["backend"])
    if problem:
        raise RecordingError(f"the replay does not follow the recording: {problem}")
    return execution.result()


def replay(recording: Recording | str | Path, *, speed: float = 1.0, **kwargs: Any) -> RunResult:
    """Synchronous ``areplay`` of a recording or a recording's file."""
    if not isinstance(recording, Recording):
        recording = load_recording(recording)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(areplay(recording, speed=speed, **kwargs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, areplay(recording, speed=speed, **kwargs)).result()
