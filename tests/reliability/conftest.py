"""Shared by the reliability tests: no connection leaves 127.0.0.1, and litellm is imported once."""

from __future__ import annotations

import json
import os
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

MODEL = "openai/gpt-4o-mini"  # a priced name (costs are known), served by the fake endpoint


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """A dummy OpenAI key, and no connection anywhere but 127.0.0.1 from this process."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-reliability-key")
    connect = socket.socket.connect

    def local_only(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1"):
            raise OSError(f"tests must not reach the network: {address}")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", local_only)


@pytest.fixture(scope="session")
def litellm_ready() -> None:
    """litellm imported and warmed up (seconds of lazy imports on first calls) before any test times a call."""
    from archon_engine import run
    from archon_engine.models.fake_server import FakeOpenAIServer

    with FakeOpenAIServer() as server:
        common = {"model": MODEL, "api_base": server.base_url, "max_tokens": 16}
        roles = ["generator", "critic", "ranker", "fuser"]
        result = run({"layers": [[{"type": role, **common}] for role in roles]}, "Warm up.")
    assert result.status == "completed", result.error


# --- the ledger of faults --------------------------------------------------------------------------

CAUSES = {  # how each injected fault reads in a CallRecord's error, as LitellmBackend and the client word it
    "timeout": "timed out after",
    "429": "RateLimitError (429)",
    "400": "BadRequestError (400)",
    "503": "ServiceUnavailableError (503)",
    "500": "injected 500",
    "malformed": "Expecting value",  # the body is not JSON
    "truncated": "Response payload is not completed",  # Content-Length promised more than came
}


def fault_kind(error: str) -> str:
    """Which injected fault an attempt's error shows ("unexplained" if none)."""
    return next((kind for kind, cause in CAUSES.items() if cause in error), "unexplained")


def ledger(calls) -> Counter:
    """Failed attempts by fault kind, from the trace: each retried attempt's error and each call's final one."""
    seen: Counter = Counter()
    for call in calls:
        assert len(call.retry_errors) == call.retries, call
        for error in [*call.retry_errors, *([call.error] if call.error else [])]:
            seen[fault_kind(error)] += 1
    return seen


@pytest.fixture(scope="session")
def fault_ledger():
    """``ledger(calls)``: failed attempts by fault kind, read from the trace."""
    return ledger


# --- figures for docs/reliability.md ------------------------------------------------------------------


class Figures:
    """Figures the tests measure; written as JSON to $ARCHON_RELIABILITY_FIGURES when it is set."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def set(self, name: str, value: Any) -> None:
        self.values[name] = value

    def add(self, name: str, amount: int = 1) -> None:
        self.values[name] = self.values.get(name, 0) + amount


@pytest.fixture(scope="session")
def figures() -> Iterator[Figures]:
    recorded = Figures()
    yield recorded
    target = os.environ.get("ARCHON_RELIABILITY_FIGURES")
    if target:
        Path(target).write_text(json.dumps(recorded.values, indent=2, sort_keys=True), encoding="utf-8")
