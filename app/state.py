"""Per-session state of the app: the architecture being designed (with undo and redo), the
session's API keys and settings, the last run and the last evaluation. Everything lives in
``st.session_state``, so two browser sessions never see each other's designs, keys or runs.

The run store and the response cache are files shared by every session: one open ``Store`` and one
``ResponseCache`` per path for the whole process.
"""

from __future__ import annotations

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
from archon_engine.storage.store import Store, default_path

if TYPE_CHECKING:
    from archon_engine.evaluation.report import Evaluation

HISTORY_LIMIT = 100
STARTING_PRESET = BUILTIN_DIR / "single-model.json"


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


def _session() -> dict:
    ss = st.session_state
    if "arch" not in ss:
        ss.arch = load_config(STARTING_PRESET)
        ss.undo_stack, ss.redo_stack = [], []
        ss.arch_version = 0
        ss.api_keys = _keys_from_secrets()
        ss.settings = AppSettings()
        ss.last_run = None
        ss.last_evaluation = None
    return ss


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


def set_last_run(result: RunResult | None) -> None:
    _session().last_run = result


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


def store() -> Store:
    """The run history at the path set on the Settings page."""
    return open_store(settings().store_path)


def response_cache() -> ResponseCache:
    """The process's response cache, ``<data dir>/cache.sqlite``: a repeated evaluation makes no calls."""
    key = (data_dir() / "cache.sqlite").expanduser().resolve()
    with _shared_lock:
        if key not in _caches:
            _caches[key] = ResponseCache(key)
        return _caches[key]
