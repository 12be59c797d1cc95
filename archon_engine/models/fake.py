"""A fake model for tests and timing experiments: scripted replies, latency, injected failures.

    fake = FakeModel()                                   # sensible replies for every role
    fake = FakeModel(replies={"rank": ['{"ranking": [2, 1]}']})   # script one role
    fake = FakeModel(latency=0.2, fail_first=2)          # slow, and two transient failures
    fake = FakeModel(latency=0.2, instances=2)           # like the embedded pool: two calls served at once
    fake = FakeModel(piece_latency=0.01, cut_first=1)    # streams slowly; the first stream is cut midway
    result = run(arch, "prompt", backend=fake)

Without a script, each role gets a well-formed reply built from the request's metadata:
generators answer "Answer <n> from <model>", rankers reverse the order, critics and the
unit-test evaluator approve, verifiers say correct.

Asked to stream (``on_text``), it sends the reply a word at a time (``piece_latency`` apart); the first
``cut_first`` streams stop halfway with a retryable ModelError, as a connection lost mid-stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from archon_engine.models.base import ModelError, ModelReply, ModelRequest, TextListener, word_pieces

Reply = str | Exception | Callable[[ModelRequest], "str | Exception"]


class FakeModel:
    def __init__(
        self,
        replies: dict[str, Iterable[Reply]] | Callable[[ModelRequest], str | Exception] | None = None,
        *,
        latency: float = 0.0,
        fail_first: int = 0,
        cost_per_call: float = 0.0,
        instances: int | None = None,
        piece_latency: float = 0.0,
        cut_first: int = 0,
    ):
        """``instances``: serve at most that many calls at once (the others wait, reported as ``queued_s``)."""
        self._script = (
            {role: itertools.cycle(list(items)) for role, items in replies.items()} if isinstance(replies, dict) else {}
        )
        self._responder = replies if callable(replies) else None
        self.latency = latency
        self.cost_per_call = cost_per_call
        self.instances = instances
        self._instances: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> semaphore
        self._failures_left = fail_first
        self.piece_latency = piece_latency
        self._cuts_left = cut_first
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self.requests: list[ModelRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def complete(self, request: ModelRequest, on_text: TextListener | None = None) -> ModelReply:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            fail = self._failures_left > 0
            self._failures_left -= int(fail)
            number = next(self._counter)
        try:
            arrived = time.perf_counter()
            async with self._instance():
                queued_s = time.perf_counter() - arrived
                if self.latency:
                    await asyncio.sleep(self.latency)
            if fail:
                raise ModelError("fake transient failure (injected)", retryable=True)
            reply = self._reply_for(request, number)
            if isinstance(reply, Exception):
                raise reply
            if on_text is not None:
                await self._stream(reply, on_text)
        finally:
            with self._lock:
                self.in_flight -= 1
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in request.messages)
        return ModelReply(
            text=reply,
            prompt_tokens=prompt_tokens,
            completion_tokens=len(reply.split()),
            cost_usd=self.cost_per_call,
            queued_s=queued_s,
        )

    async def _stream(self, text: str, on_text: TextListener) -> None:
        """Send ``text`` a word at a time; a stream to cut stops after half of its pieces."""
        pieces = word_pieces(text)
        with self._lock:
            cut = self._cuts_left > 0
            self._cuts_left -= int(cut)
        for i, piece in enumerate(pieces):
            if cut and i >= len(pieces) // 2:
                raise ModelError(f"fake stream cut after {i} of {len(pieces)} pieces (injected)", retryable=True)
            if self.piece_latency and i:
                await asyncio.sleep(self.piece_latency)
            on_text(piece)
        if cut:  # too short to cut in two
            raise ModelError("fake stream cut before its end (injected)", retryable=True)

    def _instance(self) -> asyncio.Semaphore | contextlib.nullcontext:
        """One of the ``instances`` (a semaphore per event loop), or no limit."""
        if self.instances is None:
            return contextlib.nullcontext()
        loop = asyncio.get_running_loop()
        with self._lock:
            return self._instances.setdefault(loop, asyncio.Semaphore(self.instances))

    def _reply_for(self, request: ModelRequest, number: int) -> str | Exception:
        if self._responder is not None:
            return self._responder(request)
        scripted = self._script.get(request.role)
        if scripted is not None:
            reply = next(scripted)
            return reply(request) if callable(reply) and not isinstance(reply, Exception) else reply
        return default_reply(request, number)


def default_reply(request: ModelRequest, number: int) -> str:
    """A well-formed reply for every role, derived from the request's metadata."""
    n = int(request.metadata.get("candidates", 0))
    role = request.role
    payload: Any
    if role == "rank":
        payload = {"ranking": list(range(n, 0, -1)), "reason": "fake: later candidates are better"}
    elif role == "critique":
        payload = {
            "critiques": [
                {"candidate": i, "strengths": f"clear ({i})", "weaknesses": f"brief ({i})"} for i in range(1, n + 1)
            ]
        }
    elif role == "critique_one":
        candidate = request.metadata.get("candidate", "?")
        payload = {"strengths": f"clear ({candidate})", "weaknesses": f"brief ({candidate})"}
    elif role == "score":  # later candidates score higher, as the fake ranker prefers them
        digits = re.findall(r"\d+", str(request.metadata.get("candidate", "")))
        payload = {"score": 1 + int(digits[-1]) % 10 if digits else 5, "reason": "fake: later candidates are better"}
    elif role == "verify_verdict":
        payload = {"verdict": "correct"}
    elif role == "unit_tests":
        payload = {"unit_tests": ["The answer is stated.", "The answer is consistent.", "The answer is short."]}
    elif role == "evaluate":
        tests = int(request.metadata.get("tests", 0))
        payload = {"results": [{"test": i, "passed": True, "reason": "fake"} for i in range(1, tests + 1)]}
    elif role == "verify_reasoning":
        return "fake reasoning: the response addresses the query."
    elif role == "fuse":
        return f"Fused answer {number} from {request.model}"
    else:
        return f"Answer {number} from {request.model}"
    return json.dumps(payload)
