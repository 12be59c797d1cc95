"""A run of an architecture in the background, streaming its progress to the Run page.

The run is a task on the process-wide loop (``app.jobs.base``). The engine's ``on_event`` callback queues each
``RunEvent``; ``RunJob.poll`` applies them to a ``RunView``, which the page renders. The text calls are writing
streams in as ``text_delta`` events: the view keeps each running call's text so far (``writing``) until the
call finishes. A finished run is saved to
the run history by its job, so it is kept even if its browser session has gone.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from app.jobs.base import JobView, LoopJob, event_loop
from archon_engine import Architecture, ArchitectureError, Budget, Execution, Limits, RunEvent, RunResult, estimate
from archon_engine.models.base import ModelBackend
from archon_engine.models.keys import redact
from archon_engine.state import Candidate, LayerResult
from archon_engine.storage.store import Store, StoreError
from archon_engine.trace import CallRecord, Trace

Status = Literal["running", "completed", "failed", "budget_exceeded", "cancelled", "error"]


@dataclass
class _Finished:
    """The worker's last message: the result, or why there is none."""

    status: Status
    result: RunResult | None = None
    error: str | None = None
    not_saved: str | None = None  # why the result is not in the run history
    run_id: str | None = None  # its id in the run history


@dataclass
class _Paused:
    """Step mode: the run waits before layer ``before`` until the page says go on."""

    before: int


@dataclass
class LiveText:
    """What has arrived so far of the text a running call writes (of its current attempt)."""

    call_id: str
    layer: int
    component: str
    role: str
    candidate: str | None  # the candidate it writes (or, for a verifier's reasoning, judges), when known
    attempt: int = 0
    text: str = ""


@dataclass
class RunView(JobView):
    """Everything known about one run so far: built from its events, completed by its result."""

    architecture: Architecture
    prompt: str
    system: str | None
    expected_calls: list[int]
    status: Status = "running"
    layers: list[LayerResult] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    writing: dict[str, LiveText] = field(default_factory=dict)  # call id -> its text so far, while it runs
    started_layers: int = 0
    result: RunResult | None = None
    error: str | None = None
    not_saved: str | None = None
    run_id: str | None = None  # the finished run's id in the run history, once saved
    stepping: bool = False  # step mode: the run pauses after each layer
    paused_before: int | None = None  # in step mode, the layer the run waits to start

    @property
    def answer(self) -> str | None:
        return self.result.answer if self.result else None

    @property
    def trace(self) -> Trace:
        return self.result.trace if self.result else Trace(calls=list(self.calls))

    def calls_of(self, layer: int) -> list[CallRecord]:
        return [c for c in self.calls if c.layer == layer]

    def writing_in(self, layer: int) -> list[LiveText]:
        """The texts the layer's running calls are writing, in the order they started to arrive."""
        return [live for live in self.writing.values() if live.layer == layer]

    def candidates_by_id(self) -> dict[str, Candidate]:
        """Every candidate the run made or passed on, by id."""
        found: dict[str, Candidate] = {}
        for layer in self.layers:
            for output in layer.outputs:
                for candidate in output.candidates or []:
                    found.setdefault(candidate.id, candidate)
            for candidate in layer.candidates:
                found.setdefault(candidate.id, candidate)
        return found

    def to_json(self) -> str:
        """The result as JSON; for a run without a result (cancelled, error), what it did so far."""
        if self.result is not None:
            return self.result.to_json(indent=2)
        partial = {
            "architecture": self.architecture.to_dict(),
            "prompt": self.prompt,
            "system": self.system,
            "status": self.status,
            "error": self.error,
            "layers": [layer.model_dump(mode="json") for layer in self.layers],
            "trace": self.trace.model_dump(mode="json"),
            "usage": self.trace.total().model_dump(mode="json"),
        }
        return redact(json.dumps(partial, indent=2))


class RunJob(LoopJob):
    """One run in the background. ``poll`` moves its events into ``view``; ``cancel`` stops it."""

    def __init__(
        self,
        architecture: Architecture,
        prompt: str,
        *,
        system: str | None = None,
        backend: ModelBackend | None = None,
        api_keys: dict[str, str] | None = None,
        limits: Limits | None = None,
        budget: Budget | None = None,
        store: Store | None = None,
        step: bool = False,
    ):
        """``step``: pause after each layer until ``next_layer`` (or ``run_to_end``) is called."""
        self.store = store
        self._go_on: asyncio.Event | None = None  # set on the loop: the paused run takes its next step
        self._prompt = prompt  # sent as it is; the view, which the page shows, holds it redacted
        self.view = RunView(
            architecture=architecture,
            prompt=redact(prompt),
            system=system or None,
            expected_calls=estimate(architecture).calls_per_layer,
            stepping=step,
        )
        self._kwargs: dict[str, Any] = {
            "system": system or None,
            "backend": backend,
            "api_keys": api_keys,
            "limits": limits,
            "budget": budget,
        }
        super().__init__()

    @classmethod
    def reopened(cls, result: RunResult) -> RunJob:
        """A finished job showing a stored run (reopened from the History page)."""
        prompt = next((str(m.get("content", "")) for m in reversed(result.messages) if m.get("role") == "user"), "")
        system = next((str(m.get("content", "")) for m in result.messages if m.get("role") == "system"), None)
        job = cls(result.architecture, prompt, system=system)
        job._apply(_Finished(result.status, result=result, error=result.error))
        job.view.started_layers = max((c.layer + 1 for c in result.trace.calls), default=len(result.layers))
        job.view.finished_at = job.view.started_at + result.usage.latency_s
        return job

    def start(self) -> RunJob:
        self._launch()
        return self

    def next_layer(self) -> None:
        """Step mode: run the next layer, then pause again."""
        event_loop().call_soon_threadsafe(self._resume, True)

    def run_to_end(self) -> None:
        """Leave step mode: run every remaining layer."""
        self.view.stepping = False
        event_loop().call_soon_threadsafe(self._resume, False)

    def _resume(self, stepping: bool) -> None:
        self._stepping = stepping
        if self._go_on is not None:
            self._go_on.set()

    async def _work(self) -> _Finished:
        view = self.view
        self._stepping, self._go_on = view.stepping, asyncio.Event()
        try:
            execution = Execution(view.architecture, self._prompt, on_event=self._events.put, **self._kwargs)
        except ArchitectureError as exc:
            return _Finished("error", error="the architecture cannot run: " + "; ".join(map(str, exc.findings)))
        try:
            while execution.next_layer is not None:
                if self._stepping and execution.layers:
                    self._events.put(_Paused(execution.next_layer))
                    await self._go_on.wait()
                    self._go_on.clear()
                if await execution.step() is None:
                    break
        except asyncio.CancelledError:  # the user's Cancel: keep what finished, as a result
            asyncio.current_task().uncancel()
        result = execution.result()
        run_id, not_saved = await self._save(result) if result.layers else (None, None)
        return _Finished(result.status, result=result, error=result.error, not_saved=not_saved, run_id=run_id)

    async def _save(self, result: RunResult) -> tuple[str | None, str | None]:
        """Keep the run in the history: its id there, or why it could not be kept."""
        if self.store is None:
            return None, None
        try:
            return await asyncio.to_thread(self.store.save_run, result), None
        except (StoreError, sqlite3.Error) as exc:
            return None, f"The run was not saved to the history: {exc}"

    def _failed(self, error: str) -> _Finished:
        return _Finished("error", error=error)

    def _cancelled(self) -> _Finished:
        return _Finished("cancelled", error="the run was cancelled: what had finished is shown")

    def _apply(self, event: RunEvent | _Paused | _Finished) -> None:
        view = self.view
        if isinstance(event, _Paused):
            view.paused_before = event.before
        elif isinstance(event, _Finished):
            if view.finished:
                return
            view.status, view.result, view.error, view.not_saved, view.run_id = (
                event.status,
                event.result,
                event.error,
                event.not_saved,
                event.run_id,
            )
            view.paused_before = None
            view.writing.clear()
            if event.result is not None:
                view.layers, view.calls = list(event.result.layers), list(event.result.trace.calls)
            view.finished_at = time.monotonic()
        elif event.kind == "layer_started":
            view.paused_before = None
            view.started_layers = max(view.started_layers, event.layer + 1)
        elif event.kind == "text_delta":
            self._grow(event)
        elif event.kind == "call_finished" and event.call is not None:
            view.writing.pop(event.call.id, None)
            view.calls.append(event.call)
        elif event.kind == "layer_finished" and event.result is not None:
            view.layers.append(event.result)

    def _grow(self, event: RunEvent) -> None:
        """Add a piece to its call's text; a piece of a new attempt (a retry) starts the text anew."""
        live = self.view.writing.get(event.call_id or "")
        if live is None or live.attempt != event.attempt:
            live = LiveText(
                call_id=event.call_id or "",
                layer=event.layer,
                component=event.component or "",
                role=event.role or "",
                candidate=event.candidate,
                attempt=event.attempt,
            )
            self.view.writing[live.call_id] = live
        live.text += event.delta or ""
