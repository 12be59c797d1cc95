"""An evaluation in the background, reporting its progress to the Compare page.

The evaluation is a task on the process-wide loop (``app.jobs.base``), the one every run uses. The engine's
``on_progress`` callback queues each finished item; ``EvaluationJob.poll`` applies them to an
``EvaluationView``, which the page draws as a progress bar. Every finished item is saved in the store at once,
so a cancelled (or crashed) evaluation keeps what it did and can be resumed from the History page.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Literal

import streamlit as st

from app import state
from app.jobs.base import BACKEND_KEY, JobView, LoopJob, session_cache
from archon_engine.config import DEFAULT_MODEL
from archon_engine.evaluation.records import EvaluationSpec, ItemResult, Progress, System
from archon_engine.evaluation.report import Evaluation
from archon_engine.evaluation.runner import aevaluate
from archon_engine.evaluation.scorers import registry as scorers
from archon_engine.models import keys
from archon_engine.models.base import ModelBackend
from archon_engine.models.cache import ResponseCache
from archon_engine.models.client import Limits
from archon_engine.storage.store import EvaluationSummary, Store, StoreError
from archon_engine.validation import ArchitectureError

JOB_KEY = "evaluation_job"  # session-state key of the session's evaluation job

Status = Literal["running", "completed", "cancelled", "failed"]

_active: set[str] = set()  # ids of the evaluations running in this process (from any session)
_active_lock = threading.Lock()


def is_active(evaluation_id: str) -> bool:
    """True while some session of this process is running (or resuming) that evaluation."""
    with _active_lock:
        return evaluation_id in _active


@dataclass
class _Finished:
    status: Status
    evaluation: Evaluation | None = None
    error: str | None = None


@dataclass
class EvaluationView(JobView):
    """What is known about one evaluation so far."""

    spec: EvaluationSpec
    evaluation_id: str
    total: int
    done: int = 0
    status: Status = "running"
    evaluation: Evaluation | None = None
    error: str | None = None
    last: ItemResult | None = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


def resumable(summary: EvaluationSummary) -> bool:
    """True when an evaluation stopped before every system answered every item (in every repeat), and nothing
    runs it now."""
    complete = summary.results >= summary.answers
    return summary.status != "completed" and not complete and not is_active(summary.id)


def missing_keys(systems: list[System], judge: str | None, session_keys: dict[str, str]) -> list[str]:
    """Models (of the systems, and the judge) whose provider has no key here: their calls would fail."""
    needed = {(c.model, c.api_base) for s in systems for layer in s.architecture.layers for c in layer}
    if judge:
        needed.add((judge, None))
    return sorted({model for model, base in needed if keys.needs_key(model, base, session_keys)})


def judge_model(spec: EvaluationSpec) -> str | None:
    """The model a judging scorer calls, None for scorers that call none."""
    if not scorers.get(spec.scorer).needs_model:
        return None
    return spec.scorer_options.get("model") or DEFAULT_MODEL


def start(spec: EvaluationSpec, *, resume: str | None = None) -> EvaluationJob:
    """Start an evaluation for this session (stopping its previous one) with its keys, limits, store and cache.

    Raises StoreError when the store cannot be opened; the response cache is skipped if it cannot be.
    """
    ss = st.session_state
    if (previous := ss.get(JOB_KEY)) is not None:
        previous.cancel()
    ss[JOB_KEY] = EvaluationJob(
        spec,
        cache=session_cache(),
        store=state.store(),
        backend=ss.get(BACKEND_KEY),
        api_keys=state.api_keys(),
        limits=state.settings().limits(),
        resume=resume,
    ).start()
    return ss[JOB_KEY]


def session_job() -> EvaluationJob | None:
    return st.session_state.get(JOB_KEY)


class EvaluationJob(LoopJob):
    """One evaluation in the background. ``poll`` moves its progress into ``view``; ``cancel`` stops it.

    Without ``resume`` the evaluation is created in the store at once, so its id is known (and it can
    be resumed) even if it is cancelled before the first item finishes.
    """

    def __init__(
        self,
        spec: EvaluationSpec,
        *,
        store: Store,
        cache: ResponseCache | None = None,
        backend: ModelBackend | None = None,
        api_keys: dict[str, str] | None = None,
        limits: Limits | None = None,
        resume: str | None = None,
    ):
        self.store = store
        evaluation_id = resume or store.create_evaluation(spec)
        total = spec.answers  # one per system, item and repeat
        self.view = EvaluationView(spec=spec, evaluation_id=evaluation_id, total=total)
        if resume:  # what the engine keeps: answered and scored
            kept = store.item_results(resume)
            self.view.done = sum(r.status == "completed" and r.score.error is None for r in kept)
        self._created = resume is None
        self._kwargs = {"backend": backend, "api_keys": api_keys, "limits": limits, "cache": cache}
        super().__init__()

    def start(self) -> EvaluationJob:
        with _active_lock:
            _active.add(self.view.evaluation_id)
        self._launch()
        return self

    async def _work(self) -> _Finished:
        view = self.view
        try:
            evaluation = await aevaluate(
                view.spec, store=self.store, resume=view.evaluation_id, on_progress=self._events.put, **self._kwargs
            )
        except ArchitectureError as exc:
            if self._created:
                self.store.delete_evaluation(view.evaluation_id)
            return _Finished("failed", error="a system cannot run: " + "; ".join(map(str, exc.findings)))
        return _Finished(evaluation.status, evaluation)

    def _partial(self, status: Status) -> Evaluation | None:
        """What the store keeps of this evaluation so far, marked ``status``; None if it cannot be read."""
        try:
            evaluation = self.store.load_evaluation(self.view.evaluation_id)
        except (StoreError, sqlite3.Error):
            return None
        return evaluation.model_copy(update={"status": status})

    def _failed(self, error: str) -> _Finished:
        return _Finished("failed", self._partial("failed"), error)  # what finished is stored

    def _cancelled(self) -> _Finished:
        return _Finished("cancelled", self._partial("cancelled"), "the evaluation was cancelled")

    def _done(self, task: asyncio.Task) -> None:
        with _active_lock:
            _active.discard(self.view.evaluation_id)
        super()._done(task)

    def _apply(self, event: Progress | _Finished) -> None:
        view = self.view
        if isinstance(event, _Finished):
            view.status, view.evaluation, view.error = event.status, event.evaluation, event.error
            if event.evaluation is not None:
                view.done = len(event.evaluation.results)
            view.finished_at = time.monotonic()
        else:
            view.done, view.last = event.done, event.last
