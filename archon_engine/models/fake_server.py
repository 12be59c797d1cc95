"""A fake OpenAI-compatible chat-completions server on 127.0.0.1, for timing experiments and tests.

    with FakeOpenAIServer(latency=0.2) as server:
        litellm.completion(model="openai/fake-model", api_base=server.base_url, messages=[...])

Every request sleeps ``latency`` seconds in its own thread (requests do not wait for each other),
then answers with a deterministic reply: the ``reply`` hook's text if given, else JSON that fits
the engine's structured roles (ranker, critic, verifier verdict, unit tests, evaluator; found from
the ``response_format`` schema or the prompt), else an echo of the last user message.

A request with ``"stream": true`` is answered as OpenAI streams (server-sent events in a chunked body: the
role, the text a word at a time, the finish reason, the usage when ``stream_options.include_usage``, then
``[DONE]``).

Faults, for reliability work: the first ``fail_first`` requests fail, then each one fails with
probability ``fault_rate``; a failure is one of ``fault_kinds``, drawn by a random generator seeded
with ``seed`` (repeatable in arrival order): "429" (with a Retry-After header), "400", "500", "503",
"malformed" (status 200, a body that is not JSON), "truncated" (status 200 announcing the whole body's
Content-Length, then half of it and the connection closed; a stream: half of its events, then the
connection closed before the body's end) or "timeout"
(no answer for ``hang_s`` seconds: set it longer than the client's timeout). ``injected`` counts the
faults by kind.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from archon_engine.models.base import word_pieces

FAULT_KINDS = ("429", "400", "500", "503", "malformed", "truncated", "timeout")


class FakeOpenAIServer:
    """A threaded HTTP server answering POST /v1/chat/completions; counts what it receives."""

    def __init__(
        self,
        latency: float = 0.0,
        *,
        reply: Callable[[dict[str, Any]], str] | None = None,
        fault_rate: float = 0.0,
        fault_kinds: Sequence[str] = ("429",),
        fail_first: int = 0,
        retry_after: float = 1.0,
        hang_s: float = 30.0,
        seed: int = 0,
    ):
        unknown = set(fault_kinds) - set(FAULT_KINDS)
        if unknown or not fault_kinds:
            raise ValueError(f"fault_kinds must be some of {FAULT_KINDS}, got {list(fault_kinds)}")
        self.latency = latency
        self.reply = reply
        self.fault_rate = fault_rate
        self.fault_kinds = tuple(fault_kinds)
        self.fail_first = fail_first
        self.retry_after = retry_after
        self.hang_s = hang_s
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.requests = 0  # received
        self.in_flight = 0
        self.max_in_flight = 0
        self.faults = 0  # injected
        self.injected: Counter[str] = Counter()  # injected, by kind
        self.bodies: list[dict[str, Any]] = []  # every request's JSON, in arrival order
        self.headers: list[dict[str, str]] = []  # and its HTTP headers (names in lower case)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()  # wakes hanging "timeout" faults when the server stops

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        server = self

        class Handler(_Handler):
            fake = server

        self._stopping.clear()
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        httpd.request_queue_size = 256  # the default backlog (5) drops bursts of connections
        httpd.daemon_threads = True
        httpd.server_bind()
        httpd.server_activate()
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- behaviour ---------------------------------------------------------------------------------

    def _admit(self, body: dict[str, Any], headers: dict[str, str]) -> str | None:
        """Count a request in; return the fault to inject (None: answer normally)."""
        with self._lock:
            self.requests += 1
            number = self.requests
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.bodies.append(body)
            self.headers.append(headers)
            fault = None
            if number <= self.fail_first or (self.fault_rate and self._random.random() < self.fault_rate):
                fault = self._random.choice(self.fault_kinds)
                self.faults += 1
                self.injected[fault] += 1
        return fault

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def completion(self, body: dict[str, Any]) -> dict[str, Any]:
        """The OpenAI response to a request body."""
        text = self.reply(body) if self.reply is not None else default_reply(body)
        prompt_tokens = sum(len(str(m.get("content") or "").split()) for m in body.get("messages", []))
        finish_reason, limit = "stop", body.get("max_tokens")
        if isinstance(limit, int) and 0 < limit < len(text.split()):  # a word is a token here
            text, finish_reason = " ".join(text.split()[:limit]), "length"
        completion_tokens = max(1, len(text.split()))
        return {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish_reason},
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


def stream_events(completion: dict[str, Any], *, include_usage: bool) -> list[bytes]:
    """A chat.completion as the server-sent events of its stream (``data: {chunk}``), ``[DONE]`` last."""
    choice = completion["choices"][0]

    def chunk(delta: dict[str, Any], finish_reason: str | None = None, usage: dict | None = None) -> bytes:
        choices = [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
        body = {**{k: completion[k] for k in ("id", "created", "model")}, "object": "chat.completion.chunk"}
        payload = {**body, "choices": choices, **({"usage": usage} if usage else {})}
        return b"data: " + json.dumps(payload).encode() + b"\n\n"

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": piece}) for piece in word_pieces(choice["message"]["content"])]
    events.append(chunk({}, choice["finish_reason"]))
    if include_usage:
        events.append(chunk({}, usage=completion["usage"]))
    return [*events, b"data: [DONE]\n\n"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real provider
    timeout = 60  # idle keep-alive connections close after a minute
    disable_nagle_algorithm = True
    fake: FakeOpenAIServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_truncated(self, payload: bytes) -> None:
        """Announce the whole payload, send half of it, and hang up."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self._hang_up()

    def _send_stream(self, events: list[bytes], *, cut: bool = False) -> None:
        """The events in a chunked body; ``cut``: half of them, and the connection closed mid-body."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in events[: len(events) // 2] if cut else events:
            self.wfile.write(f"{len(event):X}\r\n".encode() + event + b"\r\n")
            self.wfile.flush()
        if cut:
            self._hang_up()
            return
        self.wfile.write(b"0\r\n\r\n")

    def _hang_up(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may be gone already
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    def _error(self, status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> None:
        payload = {"error": {"message": message, "type": kind, "param": None, "code": str(status)}}
        self._send(status, json.dumps(payload).encode(), headers)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._error(404, f"no route {self.path}", "not_found")
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._error(400, "request body is not JSON", "invalid_request_error")
            return
        fake = self.fake
        fault = fake._admit(body, {name.lower(): value for name, value in self.headers.items()})
        try:
            if fake.latency:
                time.sleep(fake.latency)
            if fault == "timeout":
                fake._stopping.wait(fake.hang_s)
            answer = self._answer(fake, fault, body)
        finally:
            fake._leave()  # before the reply is sent: a client that has its answer sees it counted out
        answer()

    def _answer(self, fake: FakeOpenAIServer, fault: str | None, body: dict[str, Any]) -> Callable[[], None]:
        """What to send back, as a function that sends it."""
        if fault == "429":
            headers = {"Retry-After": f"{fake.retry_after:g}"}
            return lambda: self._error(429, "Rate limit reached (injected)", "rate_limit_error", headers)
        if fault in ("400", "500", "503"):
            kind = "invalid_request_error" if fault == "400" else "server_error"
            return lambda: self._error(int(fault), f"injected {fault}", kind)
        if fault == "malformed":
            return lambda: self._send(200, b'{"id": "chatcmpl-broken", "choices": [')
        stream = body.get("stream") is True
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if fault == "truncated" and stream:
            return lambda: self._send_stream(
                stream_events(fake.completion(body), include_usage=include_usage), cut=True
            )
        if fault == "truncated":
            return lambda: self._send_truncated(json.dumps(fake.completion(body)).encode())
        if fault == "timeout":  # the client gave up long ago (or the server is stopping): hang up
            return self._hang_up
        if stream:
            events = stream_events(fake.completion(body), include_usage=include_usage)
            return lambda: self._send_stream(events)
        payload = json.dumps(fake.completion(body)).encode()
        return lambda: self._send(200, payload)


# -- default replies -------------------------------------------------------------------------------

_ROLE_KEYS = ("ranking", "critiques", "verdict", "unit_tests", "results")
_COUNT = re.compile(r"\b(?:all|at most) (\d+)\b")  # "Rank all 10 responses", "at most 5 unit tests"
_MARKER = re.compile(r"^(?:\[(\d+)\]|Response (\d+):)", re.MULTILINE)  # numbered candidates


def _last_user_text(body: dict[str, Any]) -> str:
    messages = body.get("messages") or []
    return next((str(m.get("content") or "") for m in reversed(messages) if m.get("role") == "user"), "")


def _structured_role(body: dict[str, Any]) -> tuple[str | None, int]:
    """(the structured reply's top-level key, how many items) from the schema, else from the prompt."""
    response_format = body.get("response_format") or {}
    schema = (response_format.get("json_schema") or {}).get("schema") or {}
    properties = schema.get("properties") or {}
    for key in _ROLE_KEYS:
        if key in properties:
            return key, int(properties[key].get("minItems") or properties[key].get("maxItems") or 3)
    text = _last_user_text(body)
    for key in _ROLE_KEYS:
        if f'{{"{key}"' in text:  # the prompt's "Reply with JSON: {"ranking": ...}"
            count = _COUNT.search(text)
            markers = {int(a or b) for a, b in _MARKER.findall(text)}
            return key, int(count.group(1)) if count else max(markers, default=3)
    return None, 0


def default_reply(body: dict[str, Any]) -> str:
    """Valid JSON for the engine's structured roles; otherwise an echo of the last user message."""
    role, n = _structured_role(body)
    numbers = range(1, n + 1)
    if role == "ranking":
        return json.dumps({"ranking": list(numbers), "reason": "fake: in the order given"})
    if role == "critiques":
        items = [{"candidate": i, "strengths": f"clear ({i})", "weaknesses": f"brief ({i})"} for i in numbers]
        return json.dumps({"critiques": items})
    if role == "verdict":
        return json.dumps({"verdict": "correct"})
    if role == "unit_tests":
        return json.dumps({"unit_tests": [f"The answer states fact {i}." for i in numbers]})
    if role == "results":
        return json.dumps({"results": [{"test": i, "passed": True, "reason": "fake"} for i in numbers]})
    return "Echo: " + " ".join(_last_user_text(body).split()[:12])
