"""The model backend of a replay: each request answered from the recorded call that matches it.

A request matches a recorded call of the same role, model, messages, temperature, max_tokens and seed.
Identical requests (samples of one prompt, retries after an unparseable reply) take the recorded calls in
the order those were made, so each replayed call gets the reply its recorded twin got. A call that was
retried after transient failures fails the same way first; a call that failed fails with its error.

Pacing: a call takes its recorded time (queued, then served) divided by ``speed``; ``speed=0`` answers at
once. Given ``on_text``, the recorded text arrives in pieces spread over the served time. Calls in flight
end in the order they ended when recorded, whatever the speed: a call made when another ends (a verifier's
verdict after its reasoning, a retry, the next wave of samples) is then made in the same order, and gets
the same id, as when recorded.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from archon_engine.models.base import ModelError, ModelReply, ModelRequest, word_pieces
from archon_engine.models.keys import redacted
from archon_engine.trace import CallRecord

CANCELLED = "cancelled"  # how the record of a call cut by a cancelled run begins
STREAM_PIECES = 24  # at most this many pieces of text per streamed reply
SETTLE_TURNS = 20  # event-loop turns a call ending lets the engine make the calls that follow from it


class ReplayMismatch(Exception):
    """A request the recording has no call for: the recording does not belong to this design and prompt."""


def _key(role: str, model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return json.dumps([role, model, messages, params], sort_keys=True, ensure_ascii=False)


def _params(temperature: Any, max_tokens: Any, seed: Any) -> dict[str, Any]:
    return {"temperature": temperature, "max_tokens": max_tokens, "seed": seed}


def request_key(request: ModelRequest) -> str:
    """What a request is matched on (its messages redacted, as the recorded ones are)."""
    params = _params(request.temperature, request.max_tokens, request.seed)
    return _key(request.role, request.model, redacted(request.messages), params)


def record_key(call: CallRecord) -> str:
    p = call.params
    return _key(call.role, call.model, call.messages, _params(p.get("temperature"), p.get("max_tokens"), p.get("seed")))


def _order(call: CallRecord) -> tuple[int, str]:
    """Calls in the order they were made: their ids count up ("call-12")."""
    number = call.id.rpartition("-")[2]
    return (int(number), call.id) if number.isdigit() else (0, call.id)


@dataclass(eq=False)
class _Entry:
    call: CallRecord
    rank: int  # its place in the recorded trace, which lists calls in the order they ended
    attempts: int = 0  # attempts of it answered so far
    waiting_retry: bool = False  # it failed transiently and its retry has not come yet

    @property
    def total_attempts(self) -> int:
        return len(self.call.retry_errors) + 1


def _error_of(message: str, *, retryable: bool) -> ModelError:
    """An error that the model client records as ``message`` ("Type: text") again."""
    name, sep, text = message.partition(": ")
    if not sep or not name.isidentifier():
        name, text = "ModelError", message
    kind = ModelError if name == "ModelError" else type(name, (ModelError,), {})
    return kind(text, retryable=retryable)


def _pieces(text: str) -> list[str]:
    words = word_pieces(text)
    size = -(-len(words) // STREAM_PIECES)  # ceiling division
    return ["".join(words[i : i + size]) for i in range(0, len(words), size)]


class ReplayBackend:
    """Answers a run's requests from ``calls`` (a recorded trace, in the order its calls ended). ``speed``: 1 the
    recorded pace, 2 twice as fast, 0 instant. ``incomplete``: the recorded run stopped early (cancelled), so a
    request past its end stops this run the same way. Mismatched requests fail and are kept in ``mismatches``.
    One backend replays one run, on one event loop."""

    def __init__(self, calls: list[CallRecord], *, speed: float = 1.0, incomplete: bool = False):
        if speed < 0:
            raise ValueError(f"speed must be 0 (instant) or more, not {speed:g}")
        self.speed = speed
        self.incomplete = incomplete
        self._queues: dict[str, deque[_Entry]] = {}
        entries = [_Entry(call, rank) for rank, call in enumerate(calls)]
        for entry in sorted(entries, key=lambda e: _order(e.call)):
            self._queues.setdefault(record_key(entry.call), deque()).append(entry)
        self._lock = threading.Lock()
        self._in_flight: list[_Entry] = []  # taken, not yet ended
        self._ended: asyncio.Event | None = None  # set when a call in flight ends (then replaced)
        self.mismatches: list[str] = []

    def unused(self) -> list[CallRecord]:
        """Recorded calls no request has (fully) taken."""
        return [entry.call for queue in self._queues.values() for entry in queue]

    def _take(self, request: ModelRequest) -> _Entry | None:
        with self._lock:
            queue = self._queues.get(request_key(request))
            if not queue:
                return None
            entry = next((e for e in queue if e.waiting_retry), None)
            if entry is None:
                entry = next((e for e in queue if e.attempts == 0), None)
            if entry is None:
                return None
            if entry.attempts == 0:
                self._in_flight.append(entry)
            entry.waiting_retry = False
            entry.attempts += 1
            if entry.attempts == entry.total_attempts:
                queue.remove(entry)
            return entry

    async def _pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed if self.speed else 0.0)

    async def _turn(self, entry: _Entry) -> None:
        """Wait until no call in flight ended before this one when recorded. First the engine gets a few turns
        of the loop to make the calls that the last ended call leads to (they may end before this one)."""
        while True:
            for _ in range(SETTLE_TURNS):
                await asyncio.sleep(0)
            if min(self._in_flight, key=lambda e: e.rank) is entry:
                return
            if self._ended is None:
                self._ended = asyncio.Event()
            await self._ended.wait()

    def _end(self, entry: _Entry) -> None:
        if entry in self._in_flight:
            self._in_flight.remove(entry)
        if self._ended is not None:
            self._ended.set()
            self._ended = None

    async def complete(self, request: ModelRequest, on_text: Callable[[str], None] | None = None) -> ModelReply:
        entry = self._take(request)
        if entry is None:
            if self.incomplete:
                raise asyncio.CancelledError  # the recorded run had been stopped before this call
            problem = (
                f"no recorded {request.role!r} call to {request.model} matches this request: "
                "the recording was made with another design or prompt"
            )
            with self._lock:
                self.mismatches.append(problem)
            raise ReplayMismatch(problem)
        call = entry.call
        if entry.attempts < entry.total_attempts:  # one of the transient failures before its retry
            await self._pause(0.0)
            entry.waiting_retry = True
            raise _error_of(call.retry_errors[entry.attempts - 1], retryable=True)
        try:
            return await self._answer(entry, on_text)
        finally:
            self._end(entry)

    async def _answer(self, entry: _Entry, on_text: Callable[[str], None] | None) -> ModelReply:
        call = entry.call
        if call.error is not None:
            await self._pause(call.latency_s)
            await self._turn(entry)
            if call.error.startswith(CANCELLED):
                raise asyncio.CancelledError
            raise _error_of(call.error, retryable=False)
        text = call.raw_response or ""
        await self._pause(call.queued_s)
        if on_text is None or not text:
            await self._pause(call.service_s)
        else:
            pieces = _pieces(text)
            for piece in pieces:
                await self._pause(call.service_s / len(pieces))
                on_text(piece)
        await self._turn(entry)
        return ModelReply(
            text=text,
            prompt_tokens=call.prompt_tokens,
            completion_tokens=call.completion_tokens,
            cost_usd=call.cost_usd,
            cached=call.cached,
            queued_s=call.queued_s / self.speed if self.speed else 0.0,
            service_s=call.service_s if call.cached else None,
            finish_reason=call.finish_reason,
        )
