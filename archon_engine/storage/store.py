"""Run history in SQLite: runs with their traces, evaluations with one result per system, item and repeat,
and the configs they used (by hash). What it is given was redacted where it was made (runs, evaluations,
call records), so nothing secret is stored.

    store = Store()                      # <data dir>/archon.sqlite
    run_id = store.save_run(result)
    store.runs(); store.run(run_id); store.delete_run(run_id)
    store.save_run(result, evaluation_id=ID)   # an evaluated item's run: opened by id, not in runs(), deleted with it
    store.save_design(arch) -> digest; store.design(digest)   # a whole design, name and description too
    store.for_visitor(visitor_id)        # the same file, seeing and writing only that visitor's history
"""

from __future__ import annotations

import copy
import hashlib
import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from archon_engine.config import Architecture
from archon_engine.evaluation.records import EvaluationSpec, ItemResult, in_order
from archon_engine.execution import RunResult
from archon_engine.storage import sqlite
from archon_engine.storage.sqlite import data_dir

if TYPE_CHECKING:
    from archon_engine.evaluation.report import Evaluation

# One result per system, item and repeat. A store made before repeats keys them by system and item only:
# ``_key_results_by_repeat`` rebuilds that table in this layout.
RESULTS_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    evaluation_id TEXT NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
    system TEXT NOT NULL, item_id TEXT NOT NULL, config_hash TEXT, item_key TEXT, cached INTEGER,
    latency_s REAL, result TEXT NOT NULL, repeat INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (evaluation_id, system, item_id, repeat)
);
"""
RESULT_COLUMNS = "evaluation_id, system, item_id, config_hash, item_key, cached, latency_s, result, repeat"
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS configs (hash TEXT PRIMARY KEY, config TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS designs (hash TEXT PRIMARY KEY, design TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, created REAL NOT NULL, name TEXT, config_hash TEXT, prompt TEXT, status TEXT,
    answer TEXT, cost_usd REAL, latency_s REAL, calls INTEGER, tokens INTEGER, result TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS evaluations (
    id TEXT PRIMARY KEY, created REAL NOT NULL, name TEXT, dataset TEXT, scorer TEXT, systems TEXT,
    items INTEGER, status TEXT, spec TEXT NOT NULL
);
{RESULTS_TABLE.format(name="evaluation_results").strip()}
CREATE INDEX IF NOT EXISTS live_latency ON evaluation_results (config_hash, item_key, cached);
"""
# Columns added after the first stores were made: (table, column, type), added to a store that lacks them.
ADDED_COLUMNS = (
    ("runs", "visitor", "TEXT"),
    ("evaluations", "visitor", "TEXT"),
    ("evaluations", "repeats", "INTEGER NOT NULL DEFAULT 1"),
    ("evaluation_results", "repeat", "INTEGER NOT NULL DEFAULT 0"),
    ("runs", "evaluation_id", "TEXT"),  # the evaluation an item's run belongs to; NULL for a run of its own
)
# Indexes on added columns: made once the columns exist.
ADDED_INDEXES = """
CREATE INDEX IF NOT EXISTS runs_by_visitor ON runs (visitor, created);
CREATE INDEX IF NOT EXISTS evaluations_by_visitor ON evaluations (visitor, created);
CREATE INDEX IF NOT EXISTS runs_by_evaluation ON runs (evaluation_id);
"""


def default_path() -> Path:
    return data_dir() / "archon.sqlite"


def config_hash(architecture: Architecture) -> str:
    """A short hash of what an architecture does (its layers), not of its name or description."""
    layers = json.dumps(architecture.model_dump(mode="json")["layers"], sort_keys=True)
    return hashlib.sha256(layers.encode()).hexdigest()[:16]


def design_hash(architecture: Architecture) -> str:
    """A short hash of the whole design: its layers, name and description."""
    whole = json.dumps(architecture.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(whole.encode()).hexdigest()[:16]


class RunSummary(BaseModel):
    id: str
    created: float
    name: str
    config_hash: str
    prompt: str
    status: str
    answer: str | None
    cost_usd: float
    latency_s: float
    calls: int
    tokens: int


class EvaluationSummary(BaseModel):
    id: str
    created: float
    name: str
    dataset: str
    scorer: str
    systems: list[str]
    items: int  # items in the dataset
    results: int  # (system, item, repeat) results stored
    status: str  # running | completed | cancelled | failed
    repeats: int = 1  # each system answers each item this many times

    @property
    def answers(self) -> int:
        """Results the evaluation holds when it is finished."""
        return self.items * len(self.systems) * self.repeats


class StoreError(RuntimeError):
    """A record that is not there, or a store file that cannot be used."""


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Bring a store made by an older version up to date (another process may be doing the same)."""
    for table, column, kind in ADDED_COLUMNS:
        if column in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
            continue
        try:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        except sqlite3.OperationalError as exc:
            if "duplicate column" not in str(exc):
                raise
    db.executescript(ADDED_INDEXES)
    _key_results_by_repeat(db)


def _keyed_by_repeat(db: sqlite3.Connection) -> bool:
    return any(row[1] == "repeat" and row[5] > 0 for row in db.execute("PRAGMA table_info(evaluation_results)"))


def _key_results_by_repeat(db: sqlite3.Connection) -> None:
    """Rebuild a store's results table keyed by (evaluation, system, item) as keyed by repeat too; its rows,
    all repeat 0, are kept. Inside one write transaction, so another process doing the same waits and skips."""
    if _keyed_by_repeat(db):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        if not _keyed_by_repeat(db):
            db.execute("DROP TABLE IF EXISTS evaluation_results_keyed")
            db.execute(RESULTS_TABLE.format(name="evaluation_results_keyed"))
            db.execute(
                f"INSERT INTO evaluation_results_keyed ({RESULT_COLUMNS}) "
                f"SELECT {RESULT_COLUMNS} FROM evaluation_results ORDER BY rowid"
            )
            db.execute("DROP TABLE evaluation_results")
            db.execute("ALTER TABLE evaluation_results_keyed RENAME TO evaluation_results")
            db.execute("CREATE INDEX IF NOT EXISTS live_latency ON evaluation_results (config_hash, item_key, cached)")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


class Store:
    """One SQLite file, safe to share between threads and processes (WAL mode).

    ``visitor`` None sees the whole history; a visitor's store (``for_visitor``) lists, opens and deletes
    only the runs and evaluations saved through it, and saves new ones as that visitor's.
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_path()
        self.visitor: str | None = None
        try:
            self._db = sqlite.connect(self.path)
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
            _add_missing_columns(self._db)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the run store at {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    def for_visitor(self, visitor: str | None) -> Store:
        """This store (the same connection) seen by one visitor; None for the whole history."""
        view = copy.copy(self)
        view.visitor = visitor
        return view

    def _mine(self, column: str = "visitor") -> tuple[str, tuple]:
        """An SQL condition (to AND with others) and its parameters: the rows this store's visitor may see."""
        return (f" AND {column} = ?", (self.visitor,)) if self.visitor is not None else ("", ())

    def _execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- configs ---------------------------------------------------------------------------

    def save_config(self, architecture: Architecture) -> str:
        digest = config_hash(architecture)
        self._execute(
            "INSERT OR IGNORE INTO configs (hash, config) VALUES (?, ?)",
            (digest, architecture.model_dump_json()),
        )
        return digest

    def config(self, digest: str) -> Architecture:
        rows = self._execute("SELECT config FROM configs WHERE hash = ?", (digest,))
        if not rows:
            raise StoreError(f"no config with hash {digest}")
        return Architecture.model_validate_json(rows[0][0])

    def save_design(self, architecture: Architecture) -> str:
        """Keep a whole design (name and description too) by its ``design_hash``, which it returns."""
        digest = design_hash(architecture)
        self._execute(
            "INSERT OR IGNORE INTO designs (hash, design) VALUES (?, ?)", (digest, architecture.model_dump_json())
        )
        return digest

    def design(self, digest: str) -> Architecture:
        rows = self._execute("SELECT design FROM designs WHERE hash = ?", (digest,))
        if not rows:
            raise StoreError(f"no design with hash {digest}")
        return Architecture.model_validate_json(rows[0][0])

    # --- runs ------------------------------------------------------------------------------

    def save_run(self, result: RunResult, *, name: str | None = None, evaluation_id: str | None = None) -> str:
        """Keep a run; its id. With ``evaluation_id`` it is that evaluation's item run: ``run`` opens it,
        ``runs`` does not list it, and it goes when its evaluation is deleted."""
        run_id = uuid.uuid4().hex[:12]
        prompt = next((str(m.get("content", "")) for m in reversed(result.messages) if m.get("role") == "user"), "")
        usage = result.usage
        self._execute(
            "INSERT INTO runs (id, created, name, config_hash, prompt, status, answer, cost_usd, latency_s, calls, "
            "tokens, result, visitor, evaluation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                time.time(),
                name or result.architecture.name,
                self.save_config(result.architecture),
                prompt,
                result.status,
                result.answer,
                usage.cost_usd,
                usage.latency_s,
                usage.calls,
                usage.prompt_tokens + usage.completion_tokens,
                result.to_json(),
                self.visitor,
                evaluation_id,
            ),
        )
        return run_id

    def runs(self, limit: int = 200) -> list[RunSummary]:
        """The newest runs of their own (not the runs of evaluated items)."""
        mine, params = self._mine()
        rows = self._execute(
            "SELECT id, created, name, config_hash, prompt, status, answer, cost_usd, latency_s, calls, tokens "
            f"FROM runs WHERE evaluation_id IS NULL{mine} ORDER BY created DESC LIMIT ?",
            (*params, limit),
        )
        return [RunSummary(**dict(zip(RunSummary.model_fields, row, strict=True))) for row in rows]

    def run(self, run_id: str) -> RunResult:
        mine, params = self._mine()
        rows = self._execute(f"SELECT result FROM runs WHERE id = ?{mine}", (run_id, *params))
        if not rows:
            raise StoreError(f"no run with id {run_id}")
        return RunResult.model_validate_json(rows[0][0])

    def delete_run(self, run_id: str) -> None:
        mine, params = self._mine()
        self._execute(f"DELETE FROM runs WHERE id = ?{mine}", (run_id, *params))

    def compare_runs(self, first: str, second: str) -> list[dict[str, Any]]:
        """Side by side: answer, status, calls, tokens, cost, latency, and whether the configs match."""
        a, b = self.run(first), self.run(second)
        rows: list[dict[str, Any]] = [
            {"": "architecture", first: a.architecture.name, second: b.architecture.name},
            {"": "same config", first: config_hash(a.architecture), second: config_hash(b.architecture)},
            {"": "status", first: a.status, second: b.status},
            {"": "answer", first: a.answer, second: b.answer},
        ]
        for field in ("calls", "failed_calls", "prompt_tokens", "completion_tokens", "cost_usd", "latency_s"):
            rows.append({"": field, first: getattr(a.usage, field), second: getattr(b.usage, field)})
        return rows

    # --- evaluations -----------------------------------------------------------------------

    def create_evaluation(self, spec: EvaluationSpec) -> str:
        evaluation_id = uuid.uuid4().hex[:12]
        for system in spec.systems:
            self.save_config(system.architecture)
        self._execute(
            "INSERT INTO evaluations (id, created, name, dataset, scorer, systems, items, status, spec, visitor, "
            "repeats) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                evaluation_id,
                time.time(),
                spec.name,
                spec.dataset.name,
                spec.scorer,
                json.dumps([s.name for s in spec.systems]),
                len(spec.dataset.items),
                "running",
                spec.model_dump_json(),
                self.visitor,
                spec.repeats,
            ),
        )
        return evaluation_id

    def set_evaluation_status(self, evaluation_id: str, status: str) -> None:
        self._execute("UPDATE evaluations SET status = ? WHERE id = ?", (status, evaluation_id))

    def save_item_result(self, evaluation_id: str, result: ItemResult) -> None:
        """Keep one result per (system, item, repeat): a redone item replaces the earlier one."""
        self._execute(
            f"INSERT OR REPLACE INTO evaluation_results ({RESULT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                evaluation_id,
                result.system,
                result.item_id,
                result.config_hash,
                result.item_key,
                int(result.cached),
                result.latency_s,
                result.model_dump_json(),
                result.repeat,
            ),
        )

    def item_results(self, evaluation_id: str) -> list[ItemResult]:
        rows = self._execute(
            "SELECT result FROM evaluation_results WHERE evaluation_id = ? ORDER BY rowid", (evaluation_id,)
        )
        return [ItemResult.model_validate_json(row[0]) for row in rows]

    def live_latency(self, digest: str, item_key: str, repeat: int = 0) -> float | None:
        """The latency of the newest result of this config on this item (in this repeat, whose replies the
        cache keeps apart) that called models for real."""
        rows = self._execute(
            "SELECT latency_s FROM evaluation_results WHERE config_hash = ? AND item_key = ? AND repeat = ? "
            "AND cached = 0 ORDER BY rowid DESC LIMIT 1",
            (digest, item_key, repeat),
        )
        return rows[0][0] if rows else None

    def evaluation_spec(self, evaluation_id: str) -> EvaluationSpec:
        mine, params = self._mine()
        rows = self._execute(f"SELECT spec FROM evaluations WHERE id = ?{mine}", (evaluation_id, *params))
        if not rows:
            raise StoreError(f"no evaluation with id {evaluation_id}")
        return EvaluationSpec.model_validate_json(rows[0][0])

    def load_evaluation(self, evaluation_id: str) -> Evaluation:
        """An evaluation as stored: its spec, every result saved so far in item order, and its status."""
        from archon_engine.evaluation.report import Evaluation  # pandas, loaded only when an evaluation is

        spec = self.evaluation_spec(evaluation_id)
        rows = self._execute("SELECT status FROM evaluations WHERE id = ?", (evaluation_id,))
        results = in_order(self.item_results(evaluation_id), spec)
        return Evaluation(id=evaluation_id, spec=spec, results=results, status=rows[0][0])

    def evaluations(self, limit: int = 200) -> list[EvaluationSummary]:
        mine, params = self._mine("e.visitor")
        rows = self._execute(
            "SELECT e.id, e.created, e.name, e.dataset, e.scorer, e.systems, e.items, "
            "(SELECT COUNT(*) FROM evaluation_results r WHERE r.evaluation_id = e.id), e.status, e.repeats "
            f"FROM evaluations e WHERE 1{mine} ORDER BY e.created DESC LIMIT ?",
            (*params, limit),
        )
        fields = list(EvaluationSummary.model_fields)
        return [
            EvaluationSummary(**dict(zip(fields, (*row[:5], json.loads(row[5]), *row[6:]), strict=True)))
            for row in rows
        ]

    def delete_evaluation(self, evaluation_id: str) -> None:
        """The evaluation, its results and its items' runs."""
        mine, params = self._mine()
        if self._execute(f"SELECT 1 FROM evaluations WHERE id = ?{mine}", (evaluation_id, *params)):
            self._execute("DELETE FROM runs WHERE evaluation_id = ?", (evaluation_id,))
            self._execute("DELETE FROM evaluations WHERE id = ?", (evaluation_id,))
