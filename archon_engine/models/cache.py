"""A response cache in SQLite: an identical request is answered from disk, with no model call.

    backend = CachedBackend(LitellmBackend(), ResponseCache("data/cache.sqlite"))

The key is the model, messages, temperature, max_tokens, seed, reply schema and endpoint. A
request sampled at temperature > 0 without a seed is a fresh draw each time, so it is not cached
unless ``cache_sampling=True``; then the n-th identical request of a backend replays the n-th
stored reply (five samples stay five different samples, and a repeated evaluation replays them all).
Failed calls are never cached. A replayed reply keeps the cost and the service time the live call had
(what the architecture costs and takes per query) and is marked ``cached``, so nothing is counted as
spent against a budget. Replies are
stored with every known secret redacted (a model that repeats a key does not write it to disk).
A streaming call that misses streams from the backend; a hit passes its whole text on at once.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from pathlib import Path

from archon_engine.models import keys
from archon_engine.models.base import ModelBackend, ModelReply, ModelRequest, TextListener
from archon_engine.storage import sqlite


def request_key(request: ModelRequest, occurrence: int = 0) -> str:
    fields = request.model_dump(include={"model", "messages", "temperature", "max_tokens", "seed", "api_base"})
    fields["response_schema"] = request.response_schema
    fields["occurrence"] = occurrence
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def is_sampled(request: ModelRequest) -> bool:
    """True when the request is a random draw: temperature above 0 and no seed."""
    return request.temperature > 0 and request.seed is None


class ResponseCache:
    """Replies by request key, in one SQLite file (``":memory:"`` for a throwaway cache)."""

    def __init__(self, path: str | Path = ":memory:"):
        self._db = sqlite.connect(path)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT, reply TEXT)")

    def get(self, key: str) -> ModelReply | None:
        with self._lock:
            row = self._db.execute("SELECT reply FROM responses WHERE key = ?", (key,)).fetchone()
        return ModelReply.model_validate_json(row[0]) if row else None

    def put(self, key: str, model: str, reply: ModelReply) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, model, reply) VALUES (?, ?, ?)",
                (key, model, keys.redact(reply.model_dump_json())),
            )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM responses")

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedBackend:
    """Wraps a backend: answers from the cache when it can, stores what the backend answers."""

    def __init__(self, backend: ModelBackend, cache: ResponseCache, *, cache_sampling: bool = False):
        self.backend = backend
        self.cache = cache
        self.cache_sampling = cache_sampling
        self.hits = 0
        self.misses = 0
        self._occurrences: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _key(self, request: ModelRequest) -> str | None:
        if not is_sampled(request):
            return request_key(request)
        if not self.cache_sampling:
            return None
        base = request_key(request)
        with self._lock:
            occurrence = self._occurrences[base]
            self._occurrences[base] += 1
        return request_key(request, occurrence + 1)

    async def complete(self, request: ModelRequest, on_text: TextListener | None = None) -> ModelReply:
        key = self._key(request)
        if key is not None:
            stored = self.cache.get(key)
            if stored is not None:
                self.hits += 1
                if on_text is not None:
                    on_text(stored.text)
                return stored.model_copy(update={"cached": True, "queued_s": 0.0})
        self.misses += 1
        started = time.perf_counter()
        reply = await (self.backend.complete(request) if on_text is None else self.backend.complete(request, on_text))
        if key is not None:
            service_s = time.perf_counter() - started - reply.queued_s
            self.cache.put(key, request.model, reply.model_copy(update={"service_s": service_s}))
        return reply
