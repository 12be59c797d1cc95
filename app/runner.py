"""Runs an architecture in the background and streams its progress to the page.

Every run is a task on one event loop that lives in a daemon thread (one loop for the process, so
litellm's async clients stay bound to a loop that never closes). The engine's ``on_event`` callback
puts each ``RunEvent`` on the job's queue; the page drains the queue with ``RunJob.poll`` into a
``RunView`` and renders it. ``RunJob.cancel`` cancels the task from any thread. Each browser session
keeps its own job in ``st.session_state``, so sessions never see each other's runs. A finished run is
saved to the run history by its job, so it is kept even if its browser session has gone.
"""

from __future__ import annotations

import asyncio
import json
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from archon_engine import Architecture, ArchitectureError, Budget, Limits, RunEvent, RunResult, arun, estimate
from archon_engine.models.base import ModelBackend
from archon_engine.models.keys import redact
from archon_engine.models.litellm_backend import import_litellm
from archon_engine.state import Candidate, LayerResult
from archon_engine.store import Store, StoreError
from archon_engine.trace import CallRecord, Trace

BACKEND_KEY = "run_backend"  # session-state key: a ModelBackend used instead of litellm (tests put a FakeModel here)

Status = Literal["running", "completed", "failed", "budget_exceeded", "cancelled", "error"]


@dataclass
class _Finished:
    """The worker's last message: the result, or why there is none."""

    status: Status
    result: RunResult | None = None
    error: str | None = None
    not_saved: str | None = None  # why the result is not in the run history


@dataclass
class RunView:
    """Everything known about one run so far: built from its events, completed by its result."""

    architecture: Architecture
    prompt: str
    system: str | None
    expected_calls: list[int]
    status: Status = "running"
    layers: list[LayerResult] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    started_layers: int = 0
    result: RunResult | None = None
    error: str | None = None
    not_saved: str | None = None
    started_at: float = field(default_factory=time.monotonic)
    finished_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.status != "running"

    @property
    def answer(self) -> str | None:
        return self.result.answer if self.result else None

    @property
    def trace(self) -> Trace:
        return self.result.trace if self.result else Trace(calls=list(self.calls))

    @property
    def elapsed_s(self) -> float:
        return (self.finished_at or time.monotonic()) - self.started_at

    def calls_of(self, layer: int) -> list[CallRecord]:
        return [c for c in self.calls if c.layer == layer]

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


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()
_warm_up_started = threading.Event()


def warm_up() -> None:
    """Import the model client (litellm, seconds) in the background once, before the first run needs it."""
    if _warm_up_started.is_set():
        return
    _warm_up_started.set()

    def load() -> None:
        try:
            import_litellm()
        except Exception:  # the run that needs it reports the failure clearly
            return

    threading.Thread(target=load, name="archon-warm-up", daemon=True).start()


def event_loop() -> asyncio.AbstractEventLoop:
    """The process-wide loop that runs every run and evaluation, started on first use in a daemon thread."""
    global _loop
    with _loop_lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="archon-runs", daemon=True).start()
            _loop = loop
        return _loop


class QueuedJob:
    """The page's side of a job that works in another thread: the worker queues events, ``poll``
    applies them to ``view`` (in the page's thread) and says whether anything changed."""

    def __init__(self) -> None:
        self._events: queue.Queue = queue.Queue()

    def poll(self) -> bool:
        """Apply every event that arrived; True if the view changed."""
        changed = False
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                return changed
            changed = True
            self._apply(event)

    def _apply(self, event: Any) -> None:
        raise NotImplementedError


class LoopJob(QueuedJob):
    """A job that is one task (``_main``) on the process-wide event loop; ``cancel`` works from any
    thread. Subclasses turn the ended task into their last event in ``_done``."""

    view: Any

    def __init__(self) -> None:
        super().__init__()
        self._task: asyncio.Task | None = None
        self.cancel_requested = False

    def _launch(self) -> None:
        loop = event_loop()
        loop.call_soon_threadsafe(self._create_task, loop)

    def _create_task(self, loop: asyncio.AbstractEventLoop) -> None:
        self._task = loop.create_task(self._main())
        self._task.add_done_callback(self._done)
        if self.cancel_requested:
            self._task.cancel()

    async def _main(self) -> Any:
        raise NotImplementedError

    def _done(self, task: asyncio.Task) -> None:
        raise NotImplementedError

    def cancel(self) -> None:
        """Ask the job to stop; calls in flight end as cancelled, finished work stays."""
        if self.view.finished or self.cancel_requested:
            return
        self.cancel_requested = True
        event_loop().call_soon_threadsafe(self._cancel_task)

    def _cancel_task(self) -> None:
        if self._task is not None:
            self._task.cancel()


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
    ):
        self.store = store
        self.view = RunView(
            architecture=architecture,
            prompt=prompt,
            system=system or None,
            expected_calls=estimate(architecture).calls_per_layer,
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

    async def _main(self) -> _Finished:
        view = self.view
        try:
            result = await arun(view.architecture, view.prompt, on_event=self._events.put, **self._kwargs)
        except ArchitectureError as exc:
            return _Finished("error", error="the architecture cannot run: " + "; ".join(map(str, exc.findings)))
        except Exception as exc:  # an engine or provider failure the engine did not record: say what it was
            return _Finished("error", error=redact(f"{type(exc).__name__}: {exc}"))
        return _Finished(result.status, result=result, error=result.error, not_saved=await self._save(result))

    async def _save(self, result: RunResult) -> str | None:
        """Keep the run in the history; returns why it could not be kept, if it could not."""
        if self.store is None:
            return None
        try:
            await asyncio.to_thread(self.store.save_run, result)
        except (StoreError, sqlite3.Error) as exc:
            return f"The run was not saved to the history: {exc}"
        return None

    def _done(self, task: asyncio.Task) -> None:
        """Runs on the loop once the task has ended, after every call it made has been reported."""
        if task.cancelled():
            self._events.put(_Finished("cancelled", error="the run was cancelled: what had finished is shown"))
        else:
            self._events.put(task.result())

    def _apply(self, event: RunEvent | _Finished) -> None:
        view = self.view
        if isinstance(event, _Finished):
            if view.finished:
                return
            view.status, view.result, view.error, view.not_saved = (
                event.status,
                event.result,
                event.error,
                event.not_saved,
            )
            if event.result is not None:
                view.layers, view.calls = list(event.result.layers), list(event.result.trace.calls)
            view.finished_at = time.monotonic()
        elif event.kind == "layer_started":
            view.started_layers = max(view.started_layers, event.layer + 1)
        elif event.kind == "call_finished" and event.call is not None:
            view.calls.append(event.call)
        elif event.kind == "layer_finished" and event.result is not None:
            view.layers.append(event.result)
