"""An architecture search (ITAS) in the background, reporting each finished trial to the Search page.

``Search.run`` is synchronous and evaluates every trial on an event loop of its own (where ``stop`` can cancel
it), so a search works in a thread of its own (not on the app's shared loop). The engine's ``on_trial``
callback queues each finished trial; ``SearchJob.poll`` applies them to a ``SearchView``. ``SearchJob.stop``
ends the search at once: the evaluation in progress is cancelled and its trial ends failed ("stopped").
``SearchJob.finalize`` re-evaluates the best architectures on the held-out split, in another thread
(``stop_held_out`` cancels it). Every evaluation goes to the run store, like the Compare page's, so the
History page lists them (a stopped one as cancelled).

Studies live in Optuna's default storage (SQLite under the data folder) and are named after the
settings, so a search with the same settings continues its study: what was evaluated stays evaluated.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import streamlit as st
from pydantic import BaseModel, Field

from app import state
from app.jobs.base import BACKEND_KEY, Job, JobView, session_cache
from archon_engine.evaluation.datasets import Dataset
from archon_engine.models.base import ModelBackend
from archon_engine.models.cache import ResponseCache
from archon_engine.models.client import Limits
from archon_engine.search import HeldOutResult, Search, SearchBudget, SearchResult, SearchSpace, Stopped, TrialSummary
from archon_engine.search.study import Algorithm
from archon_engine.search.trials import Objective
from archon_engine.storage.store import Store, StoreError

JOB_KEY = "search_job"  # session-state key of the session's search job

Status = Literal["starting", "running", "completed", "stopped", "failed"]


class SearchRequest(BaseModel):
    """Everything the page asks the search for."""

    space: SearchSpace
    dataset: Dataset
    scorer: str
    scorer_options: dict[str, Any] = Field(default_factory=dict)
    budget: SearchBudget = Field(default_factory=SearchBudget)
    objective: Objective = "quality"
    cost_weight: float = Field(0.0, ge=0)
    algorithm: Algorithm = "gp"
    seed: int = 0
    evaluations: int = Field(10, ge=1)  # the budget: distinct architectures to evaluate (see Search.run)
    study: str | None = None  # None: named after the settings

    def study_name(self) -> str:
        """The study's name: given, or the settings' own (the same settings continue the same study)."""
        if self.study and self.study.strip():
            return self.study.strip()
        settings = self.model_dump_json(exclude={"evaluations", "study"})
        digest = hashlib.sha256(settings.encode()).hexdigest()[:8]
        return f"{self.dataset.name}-{self.scorer}-{self.objective}-{self.algorithm}-seed{self.seed}-{digest}"


@dataclass
class _Started:
    trials: list[TrialSummary]
    best: list[int]
    split: tuple[int, int]  # items in the dev and held-out splits


@dataclass
class _Trial:
    trial: TrialSummary
    best: list[int] | None


@dataclass
class _Finished:
    status: Status
    result: SearchResult | None = None
    error: str | None = None


@dataclass
class _HeldOut:
    held_out: list[HeldOutResult] | None = None
    error: str | None = None
    stopped: bool = False


@dataclass
class SearchView(JobView):
    """What is known about one search so far."""

    request: SearchRequest
    study: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])  # widget keys of this search's results
    status: Status = "starting"
    split: tuple[int, int] | None = None  # items in the dev and held-out splits, once the study is open
    trials: list[TrialSummary] = field(default_factory=list)  # every trial of the study, by number
    best: list[int] = field(default_factory=list)  # trial numbers: best first, or the Pareto front
    done: int = 0  # trials finished by this search (the study may hold earlier ones)
    evaluations: int = 0  # of them, evaluations: not pruned, not a repeat (what request.evaluations counts)
    result: SearchResult | None = None
    error: str | None = None
    stop_requested: bool = False
    finalizing: bool = False
    held_out: list[HeldOutResult] | None = None
    held_out_error: str | None = None
    held_out_stopped: bool = False
    notice: str | None = None  # something the user should know about this search (set by start)

    @property
    def fraction(self) -> float:
        return min(self.evaluations / self.request.evaluations, 1.0)

    def count(self, state: str) -> int:
        return sum(t.state == state for t in self.trials)

    def trial(self, number: int) -> TrialSummary | None:
        return next((t for t in self.trials if t.number == number), None)

    def evaluated(self) -> list[TrialSummary]:
        """Finished trials with figures, in trial order."""
        return [t for t in self.trials if t.state == "COMPLETE" and t.architecture is not None]


def start(request: SearchRequest) -> SearchJob:
    """Start a search for this session (stopping its previous one) with its keys, limits, cache and store.

    A store that cannot be opened becomes the search's notice: its evaluations are then not kept in the history.
    """
    ss = st.session_state
    if (previous := ss.get(JOB_KEY)) is not None:
        previous.stop()  # a double click must not leave a search going unseen
    cache = session_cache()
    try:
        store, notice = state.store(), None
    except StoreError as exc:
        store, notice = None, f"This search's evaluations will not be kept in the history: {exc}"
    job = SearchJob(
        request,
        backend=ss.get(BACKEND_KEY),
        api_keys=state.api_keys(),
        cache=cache,
        limits=state.settings().limits(),
        store=store,
    )
    job.view.notice = notice
    ss[JOB_KEY] = job.start()
    return job


def session_job() -> SearchJob | None:
    return st.session_state.get(JOB_KEY)


class SearchJob(Job):
    """One search in the background. ``poll`` moves its trials into ``view``; ``stop`` ends it."""

    def __init__(
        self,
        request: SearchRequest,
        *,
        backend: ModelBackend | None = None,
        api_keys: dict[str, str] | None = None,
        cache: ResponseCache | None = None,
        limits: Limits | None = None,
        storage: str | None = None,
        store: Store | None = None,
    ):
        self.view = SearchView(request=request, study=request.study_name())
        self._kwargs: dict[str, Any] = {
            "backend": backend,
            "api_keys": api_keys,
            "cache": cache,
            "limits": limits,
            "storage": storage,
            "store": store,
        }
        super().__init__()
        self._search: Search | None = None
        self._stop = threading.Event()

    # --- the search --------------------------------------------------------------------------

    def start(self) -> SearchJob:
        self._in_thread("archon-search", self._run, lambda error: _Finished("failed", self._result_or_none(), error))
        return self

    def _build(self) -> Search:
        request = self.view.request
        return Search(
            request.space,
            dataset=request.dataset,
            scorer=request.scorer,
            scorer_options=request.scorer_options,
            budget=request.budget,
            objective=request.objective,
            cost_weight=request.cost_weight,
            algorithm=request.algorithm,
            seed=request.seed,
            study=self.view.study,
            **self._kwargs,
        )

    def _run(self) -> _Finished:
        """Runs in the search's thread: the study so far, then the search; a failure keeps the trials so far."""
        search = self._search = self._build()
        earlier = search.result()
        split = (len(search.dev.items), len(search.held_out.items))
        self._events.put(_Started(earlier.trials, [t.number for t in earlier.best], split))
        budget = self.view.request.evaluations
        result = earlier if self._stop.is_set() else search.run(budget, on_trial=self._on_trial)
        return _Finished("stopped" if self._stop.is_set() else "completed", result)

    def _on_trial(self, trial: TrialSummary) -> None:
        """Runs in the search's thread after each trial, with the study's best so far."""
        self._events.put(_Trial(trial, self._best()))

    def _best(self) -> list[int] | None:
        try:
            return [t.number for t in self._search.result().best]
        except Exception:  # the table still gets the trial; the best marks wait for the next one
            return None

    def _result_or_none(self) -> SearchResult | None:
        try:
            return self._search.result() if self._search is not None else None
        except Exception:
            return None

    def stop(self) -> None:
        """End the search now, cancelling the evaluation in progress (from any thread)."""
        if self.view.finished:
            return
        self.view.stop_requested = True
        self._stop.set()
        if self._search is not None:
            self._search.stop()

    # --- the held-out check ------------------------------------------------------------------

    @property
    def can_finalize(self) -> bool:
        view = self.view
        return view.finished and not view.finalizing and self._search is not None and bool(view.evaluated())

    def finalize(self, top: int) -> None:
        """Re-evaluate the ``top`` best distinct architectures on the held-out split, in the background."""
        if not self.can_finalize:
            return
        view = self.view
        view.finalizing, view.held_out, view.held_out_error, view.held_out_stopped = True, None, None, False
        self._in_thread("archon-search-held-out", lambda: self._held_out(top), lambda error: _HeldOut(error=error))

    def stop_held_out(self) -> None:
        """Cancel the held-out check in progress (from any thread); what it evaluated stays in the history."""
        if self.view.finalizing and self._search is not None:
            self._search.stop()

    def _held_out(self, top: int) -> _HeldOut:
        try:
            result = self._search.finalize(top)
        except Stopped:
            return _HeldOut(stopped=True)
        return _HeldOut(held_out=result.held_out)

    # --- progress ----------------------------------------------------------------------------

    def _apply(self, event: _Started | _Trial | _Finished | _HeldOut) -> None:
        view = self.view
        if isinstance(event, _Started):
            view.status, view.trials, view.best, view.split = "running", list(event.trials), event.best, event.split
        elif isinstance(event, _Trial):
            view.done += 1
            view.evaluations += event.trial.state == "COMPLETE" and event.trial.duplicate_of is None
            others = [t for t in view.trials if t.number != event.trial.number]
            view.trials = sorted([*others, event.trial], key=lambda t: t.number)
            if event.best is not None:
                view.best = event.best
        elif isinstance(event, _Finished):
            view.status, view.error, view.finished_at = event.status, event.error, time.monotonic()
            if event.result is not None:
                view.result, view.trials = event.result, list(event.result.trials)
                view.best = [t.number for t in event.result.best]
        else:
            view.finalizing, view.held_out, view.held_out_error = False, event.held_out, event.error
            view.held_out_stopped = event.stopped
