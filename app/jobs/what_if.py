"""What-if work in the background, for the Run page: a finished run re-run from one of its layers
(``WhatIfJob``), and a fusion re-made without each of its candidates (``LeaveOneOutJob``).

Both are tasks on the process-wide loop (``app.jobs.base``), as runs are. A what-if run is saved to the run
history when it ends, named as a what-if of the run it came from, so it can be reopened like any run.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Literal

from app.jobs.base import JobView, LoopJob
from archon_engine import Architecture, RunEvent, RunResult
from archon_engine.explain import LeaveOneOut, aleave_one_out, planned_calls
from archon_engine.storage.store import Store, StoreError
from archon_engine.what_if import RunDifference, difference, what_if

Status = Literal["running", "completed", "failed", "budget_exceeded", "cancelled", "error"]


def what_if_name(original: RunResult, original_id: str | None, from_layer: int, architecture: Architecture) -> str:
    """The name a what-if run is kept under in the history: whose what-if it is, and from where."""
    of = f"run {original_id}" if original_id else "an unsaved run"
    return f"{architecture.name} · what if of {of}, from layer {from_layer}"


@dataclass
class _Ended:
    """The worker's last message."""

    status: Status
    result: RunResult | None = None
    error: str | None = None
    run_id: str | None = None
    not_saved: str | None = None


@dataclass
class WhatIfView(JobView):
    """A what-if re-run so far: the layers and calls done, then its result beside the original's."""

    original: RunResult
    from_layer: int
    layers: int  # in the design re-run
    status: Status = "running"
    layers_done: int = 0
    calls: int = 0
    result: RunResult | None = None
    error: str | None = None
    run_id: str | None = None  # the what-if run's id in the history, once saved
    not_saved: str | None = None

    @property
    def difference(self) -> RunDifference | None:
        return None if self.result is None else difference(self.original, self.result, from_layer=self.from_layer)


class WhatIfJob(LoopJob):
    """``original`` re-run from ``from_layer`` through ``architecture`` with ``edits`` (candidate id -> text).

    Raises ValueError (the engine's message: a design whose earlier layers changed, an unknown candidate) or
    ArchitectureError (a design that cannot run) before anything starts. The keywords are ``Execution``'s.
    """

    def __init__(
        self,
        original: RunResult,
        original_id: str | None,
        *,
        from_layer: int,
        architecture: Architecture,
        edits: dict[str, str],
        store: Store | None = None,
        **kwargs: Any,
    ):
        super().__init__()
        self.store = store
        self._name = what_if_name(original, original_id, from_layer, architecture)
        self._execution = what_if(
            original,
            from_layer=from_layer,
            architecture=architecture,
            edits=edits,
            on_event=self._events.put,
            **kwargs,
        )
        self.view = WhatIfView(
            original=original, from_layer=from_layer, layers=len(architecture.layers), layers_done=from_layer
        )

    def start(self) -> WhatIfJob:
        self._launch()
        return self

    async def _work(self) -> _Ended:
        try:
            await self._execution.run_to_end()
        except asyncio.CancelledError:  # the user's Cancel: keep what finished, as a result
            asyncio.current_task().uncancel()
        result = self._execution.result()
        run_id, not_saved = await self._save(result)
        return _Ended(result.status, result=result, error=result.error, run_id=run_id, not_saved=not_saved)

    async def _save(self, result: RunResult) -> tuple[str | None, str | None]:
        if self.store is None:
            return None, None
        try:
            return await asyncio.to_thread(self.store.save_run, result, name=self._name), None
        except (StoreError, sqlite3.Error) as exc:
            return None, f"The what-if run was not saved to the history: {exc}"

    def _failed(self, error: str) -> _Ended:
        return _Ended("error", error=error)

    def _cancelled(self) -> _Ended:
        return _Ended("cancelled", error="the what-if run was cancelled")

    def _apply(self, event: RunEvent | _Ended) -> None:
        view = self.view
        if isinstance(event, _Ended):
            if not view.finished:
                view.status, view.result, view.error = event.status, event.result, event.error
                view.run_id, view.not_saved = event.run_id, event.not_saved
                view.finished_at = time.monotonic()
        elif event.kind == "layer_finished":
            view.layers_done = max(view.layers_done, event.layer + 1)
        elif event.kind == "call_finished":
            view.calls += 1


@dataclass
class _Found:
    status: Literal["completed", "error", "cancelled"]
    found: LeaveOneOut | None = None
    error: str | None = None


@dataclass
class LeaveOneOutView(JobView):
    fused_id: str
    planned: int  # calls: one per candidate the fusion read
    status: Literal["running", "completed", "error", "cancelled"] = "running"
    found: LeaveOneOut | None = None
    error: str | None = None


class LeaveOneOutJob(LoopJob):
    """The fuser that wrote ``fused_id`` re-run without each of its candidates (``aleave_one_out``'s keywords:
    backend, cache, api_keys, limits, budget). Raises ValueError before it starts if it is no such fusion."""

    def __init__(self, run: RunResult, fused_id: str, **kwargs: Any):
        super().__init__()
        self.run = run
        self.view = LeaveOneOutView(fused_id=fused_id, planned=planned_calls(run, fused_id))
        self._kwargs = kwargs

    def start(self) -> LeaveOneOutJob:
        self._launch()
        return self

    async def _work(self) -> _Found:
        return _Found("completed", found=await aleave_one_out(self.run, self.view.fused_id, **self._kwargs))

    def _failed(self, error: str) -> _Found:
        return _Found("error", error=error)

    def _cancelled(self) -> _Found:
        return _Found("cancelled", error="cancelled")

    def _apply(self, event: _Found) -> None:
        view = self.view
        if not view.finished:
            view.status, view.found, view.error = event.status, event.found, event.error
            view.finished_at = time.monotonic()
