"""The mechanism every background job shares: its work in a daemon thread or on the process-wide event loop,
its events on a queue that the page drains with ``poll``, cancellation from any thread, and one redacted
message for an unexpected failure.

The loop is one for the process (so litellm's async clients stay bound to a loop that never closes) and lives
in a daemon thread; runs and evaluations are tasks on it. Each browser session keeps its own jobs in
``st.session_state``, so sessions never see each other's.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app import state
from archon_engine.models.cache import ResponseCache
from archon_engine.models.keys import redact
from archon_engine.models.litellm_backend import import_litellm

BACKEND_KEY = "run_backend"  # session-state key: a ModelBackend used instead of litellm (tests put a FakeModel here)

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()
_warm_up_started = threading.Event()


def warm_up() -> None:
    """Import the model client (litellm, seconds) in the background once, before the first job needs it."""
    if _warm_up_started.is_set():
        return
    _warm_up_started.set()

    def load() -> None:
        try:
            import_litellm()
        except Exception:  # the job that needs it reports the failure clearly
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


def failure(exc: Exception) -> str:
    """What the user is told of an exception no job expected: its type and message, without secrets."""
    return redact(f"{type(exc).__name__}: {exc}")


def session_cache() -> ResponseCache | None:
    """The session's response cache, or None (answers not cached) when it cannot be opened."""
    try:
        return state.response_cache()
    except (OSError, sqlite3.Error):
        return None


@dataclass(kw_only=True)
class JobView:
    """What a job's view (a dataclass with a ``status``) knows of its time: finished once past running."""

    started_at: float = field(default_factory=time.monotonic)
    finished_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.status not in ("starting", "running")

    @property
    def elapsed_s(self) -> float:
        return (self.finished_at or time.monotonic()) - self.started_at


class Job:
    """The page's side of a job that works in another thread: the worker queues events, ``poll`` applies them
    to ``view`` (in the page's thread) and says whether anything changed."""

    view: JobView

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

    def _in_thread(self, name: str, work: Callable[[], Any], failed: Callable[[str], Any]) -> None:
        """Run ``work`` in a daemon thread and queue what it returns, its last event; if it raises, ``failed``
        makes that event from the failure's message."""

        def main() -> None:
            try:
                event = work()
            except Exception as exc:  # a storage, engine or provider failure: say what it was
                event = failed(failure(exc))
            self._events.put(event)

        threading.Thread(target=main, name=name, daemon=True).start()


class LoopJob(Job):
    """A job that is one task on the process-wide loop: ``_work`` returns its last event, ``_failed`` and
    ``_cancelled`` make it when the task raised or was cancelled. ``cancel`` works from any thread."""

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
        try:
            return await self._work()
        except Exception as exc:  # an engine or provider failure the engine did not record: say what it was
            return self._failed(failure(exc))

    async def _work(self) -> Any:
        raise NotImplementedError

    def _failed(self, error: str) -> Any:
        raise NotImplementedError

    def _cancelled(self) -> Any:
        raise NotImplementedError

    def _done(self, task: asyncio.Task) -> None:
        """Runs on the loop once the task has ended, after every call it made has been reported."""
        self._events.put(self._cancelled() if task.cancelled() else task.result())

    def cancel(self) -> None:
        """Ask the job to stop; calls in flight end as cancelled, finished work stays."""
        if self.view.finished or self.cancel_requested:
            return
        self.cancel_requested = True
        event_loop().call_soon_threadsafe(self._cancel_task)

    def _cancel_task(self) -> None:
        if self._task is not None:
            self._task.cancel()
