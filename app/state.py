"""Per-session state of the app: the architecture being designed (with undo and redo), the
session's API keys and settings, the last run and the last evaluation. Everything lives in
``st.session_state``, so two browser sessions never see each other's designs, keys or runs.

The page's URL carries what a reload or a link needs to bring the session back (``keep_in_url``):
``design`` (the design's hash in the run store), ``run`` (on the Run page, the last run's id) and, with
per-visitor history, ``visitor`` (the random id whose runs and evaluations this browser sees).

The run store and the response cache are files shared by every session: one open ``Store`` and one
``ResponseCache`` per path for the whole process.
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st
from pydantic import BaseModel, Field

from archon_engine import Architecture, Budget, Limits, RunResult, load_config
from archon_engine.config import DEFAULT_MODEL
from archon_engine.design.presets import BUILTIN_DIR
from archon_engine.models import keys
from archon_engine.models.cache import ResponseCache
from archon_engine.storage.sqlite import data_dir
from archon_engine.storage.store import Store, StoreError, default_path

if TYPE_CHECKING:
    from archon_engine.evaluation.report import Evaluation

HISTORY_LIMIT = 100
STARTING_PRESET = BUILTIN_DIR / "single-model.json"
HISTORY_SETTING = "ARCHON_HISTORY"  # "shared" (the default) or "per-visitor"
LOOPBACK = {"", "127.0.0.1", "localhost", "::1"}  # server.address values that do not ask to serve others
FORWARDED_HEADERS = {"x-forwarded-for", "forwarded", "x-real-ip"}  # a reverse proxy passed the request on
DESIGN_PARAM, RUN_PARAM, VISITOR_PARAM = "design", "run", "visitor"
VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class AppSettings(BaseModel):
    """What the Settings page controls for this session."""

    default_model: str = DEFAULT_MODEL
    concurrency: int = Field(16, ge=1, le=256)
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(3, ge=0, le=10)
    max_calls: int | None = Field(200, ge=1)
    max_usd: float | None = Field(1.0, ge=0)
    store_path: str = Field(default_factory=lambda: str(default_path()), min_length=1)

    def limits(self) -> Limits:
        return Limits(concurrency=self.concurrency, timeout_s=self.timeout_s, max_retries=self.max_retries)

    def budget(self) -> Budget:
        return Budget(max_calls=self.max_calls, max_usd=self.max_usd)


def _keys_from_secrets() -> dict[str, str]:
    """Provider keys found in ``.streamlit/secrets.toml`` (registered for redaction)."""
    try:
        found = {
            provider: str(st.secrets[name])
            for provider, names in keys.PROVIDER_KEYS.items()
            for name in names
            if name in st.secrets
        }
    except FileNotFoundError:  # no secrets file
        return {}
    for value in found.values():
        keys.register_secret(value)
    return found


def history_per_visitor() -> bool:
    """The server's history setting: each browser sees only its own runs and evaluations."""
    return os.environ.get(HISTORY_SETTING, "shared").strip().lower().replace("_", "-") == "per-visitor"


def store_path_locked() -> bool:
    """Whether the run store's path is the server's, not this visitor's to change: with per-visitor
    history, a server bound to an address other than this machine's, or a visitor who is not on this
    machine (a remote address, or a request that came through a proxy)."""
    if history_per_visitor() or str(st.get_option("server.address") or "") not in LOOPBACK:
        return True
    headers = {name.lower() for name in st.context.headers}
    return isinstance(st.context.ip_address, str) or bool(headers & FORWARDED_HEADERS)  # None on localhost


def _session() -> dict:
    ss = st.session_state
    if "arch" not in ss:
        ss.arch = load_config(STARTING_PRESET)
        ss.undo_stack, ss.redo_stack = [], []
        ss.arch_version = 0
        ss.api_keys = _keys_from_secrets()
        ss.settings = AppSettings()
        ss.last_run = ss.last_run_id = None
        ss.last_evaluation = None
        ss.url_notices = []
        ss.saved_design = None  # (the architecture, its hash in the store) last put in the URL
        ss.visitor = _visitor_from_url() if history_per_visitor() else None
        _restore_from_url(ss)
    return ss


def _visitor_from_url() -> str:
    given = st.query_params.get(VISITOR_PARAM, "")
    return given if VISITOR_ID.fullmatch(given) else secrets.token_urlsafe(12)


def _restore_from_url(ss) -> None:
    """A new session (a reload, or a link opened elsewhere) takes the design and the run its URL names."""
    digest, run_id = st.query_params.get(DESIGN_PARAM), st.query_params.get(RUN_PARAM)
    if digest:
        try:
            ss.arch = store().design(digest)
        except (StoreError, sqlite3.Error, ValueError):
            ss.url_notices.append(f"The design in this link ({digest}) does not exist here: this is the default.")
    if run_id:
        try:
            ss.last_run, ss.last_run_id = store().run(run_id), run_id
        except (StoreError, sqlite3.Error, ValueError):
            ss.url_notices.append(f"The run in this link ({run_id}) is not in this history.")


def url_notices() -> list[str]:
    """What the URL named but could not be opened, said once."""
    ss = _session()
    notices, ss.url_notices = ss.url_notices, []
    return notices


def _design_digest(ss) -> str | None:
    """The current design's hash, saved in the run store on first sight; None if the store cannot be used."""
    if ss.saved_design is None or ss.saved_design[0] is not ss.arch:
        try:
            ss.saved_design = (ss.arch, store().save_design(ss.arch))
        except (StoreError, sqlite3.Error):
            return None
    return ss.saved_design[1]


def keep_in_url(*, on_run_page: bool) -> None:
    """Put the design's hash, the visitor id and (on the Run page) the last run's id in the page's URL."""
    ss = _session()
    wanted = {
        DESIGN_PARAM: _design_digest(ss),
        VISITOR_PARAM: ss.visitor if history_per_visitor() else None,
        RUN_PARAM: ss.last_run_id if on_run_page else None,
    }
    for name, value in wanted.items():
        if value is None:
            st.query_params.pop(name, None)
        elif st.query_params.get(name) != value:
            st.query_params[name] = value


def architecture() -> Architecture:
    return _session().arch


def version() -> int:
    """Bumped on every change: widget keys derived from it reset when Python changes the design."""
    return _session().arch_version


def set_architecture(arch: Architecture, *, undoable: bool = True) -> None:
    ss = _session()
    if arch == ss.arch:
        return
    if undoable:
        ss.undo_stack = [*ss.undo_stack, ss.arch][-HISTORY_LIMIT:]
        ss.redo_stack = []
    ss.arch = arch
    ss.arch_version += 1


def can_undo() -> bool:
    return bool(_session().undo_stack)


def can_redo() -> bool:
    return bool(_session().redo_stack)


def undo() -> None:
    ss = _session()
    if ss.undo_stack:
        ss.redo_stack = [*ss.redo_stack, ss.arch]
        ss.arch = ss.undo_stack[-1]
        ss.undo_stack = ss.undo_stack[:-1]
        ss.arch_version += 1


def redo() -> None:
    ss = _session()
    if ss.redo_stack:
        ss.undo_stack = [*ss.undo_stack, ss.arch]
        ss.arch = ss.redo_stack[-1]
        ss.redo_stack = ss.redo_stack[:-1]
        ss.arch_version += 1


def api_keys() -> dict[str, str]:
    """Keys typed into the Settings page: this session only, never written anywhere."""
    return _session().api_keys


def settings() -> AppSettings:
    return _session().settings


def set_settings(value: AppSettings) -> None:
    _session().settings = value


def last_run() -> RunResult | None:
    return _session().last_run


def set_last_run(result: RunResult | None, run_id: str | None = None) -> None:
    """The run the Run page shows, and its id in the run store (None if it was not saved)."""
    ss = _session()
    ss.last_run, ss.last_run_id = result, run_id


def last_evaluation() -> Evaluation | None:
    """The evaluation the Compare page shows: the last one run here, or one reopened from History."""
    return _session().last_evaluation


def set_last_evaluation(evaluation: Evaluation | None) -> None:
    _session().last_evaluation = evaluation


_shared_lock = threading.Lock()
_stores: dict[Path, Store] = {}
_caches: dict[Path, ResponseCache] = {}


def open_store(path: str | Path) -> Store:
    """The process's ``Store`` for ``path``, opened on first use; raises StoreError naming the path."""
    key = Path(path).expanduser().resolve()
    with _shared_lock:
        if key not in _stores:
            _stores[key] = Store(key)
        return _stores[key]


def store_path() -> str:
    """The run store's path: the server's (``<data dir>/archon.sqlite``) when locked, else this session's."""
    return str(default_path()) if store_path_locked() else settings().store_path


def store() -> Store:
    """The run history this session sees: with per-visitor history, only its visitor's runs and evaluations."""
    return open_store(store_path()).for_visitor(_session().visitor)


def response_cache() -> ResponseCache:
    """The process's response cache, ``<data dir>/cache.sqlite``: a repeated evaluation makes no calls."""
    key = (data_dir() / "cache.sqlite").expanduser().resolve()
    with _shared_lock:
        if key not in _caches:
            _caches[key] = ResponseCache(key)
        return _caches[key]
