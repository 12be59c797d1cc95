"""Where the user's data lives, and opening its SQLite files so that several threads and processes can share one."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

BUSY_TIMEOUT_S = 30.0


def data_dir() -> Path:
    """Where the user's data lives: ``ARCHON_DATA_DIR``, else ``./data``."""
    return Path(os.environ.get("ARCHON_DATA_DIR", "data"))


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection in autocommit and WAL mode that waits for other writers instead of failing.

    Switching a new file to WAL takes an exclusive lock, and SQLite reports a second process doing
    the same at that moment as "database is locked" without waiting, so the switch is retried.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_S)
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return db
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                db.close()
                raise
            time.sleep(0.05)
