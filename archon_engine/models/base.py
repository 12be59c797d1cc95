"""The contract between the engine and whatever answers a model call."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import BaseModel, Field


class ModelRequest(BaseModel):
    """One chat completion to make. ``role`` and ``metadata`` say why, for the trace and fakes."""

    model: str
    messages: list[dict[str, Any]]
    temperature: float = 0.7
    max_tokens: int = 512
    seed: int | None = None
    response_schema: dict[str, Any] | None = None  # JSON schema the reply must follow
    api_base: str | None = None
    role: str = "generate"
    metadata: dict[str, Any] = Field(default_factory=dict)


class ModelReply(BaseModel):
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0  # None: the provider's price is unknown
    cached: bool = False  # replayed from the response cache: no model was called
    queued_s: float = 0.0  # time the backend held the call waiting for capacity (a llama.cpp instance)
    service_s: float | None = None  # the live call's service time, kept by the response cache (None: unknown)
    finish_reason: str | None = None  # why the model stopped: "stop", "length" (cut at max_tokens), ...


class ModelError(Exception):
    """A failed call. ``retryable`` errors (rate limits, 5xx, timeouts) are retried with backoff."""

    def __init__(self, message: str, *, retryable: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


_PIECE = re.compile(r"\S+\s*|\s+")  # a word and the whitespace after it (or leading whitespace)


def word_pieces(text: str) -> list[str]:
    """``text`` a word at a time, each with the whitespace after it: the pieces join to ``text``."""
    return [match.group() for match in _PIECE.finditer(text)]


TextListener = Callable[[str], None]
"""Told each piece of a reply's text as it arrives (called on the event loop that awaits ``complete``)."""


class ModelBackend(Protocol):
    """Anything that can answer a ModelRequest: litellm, or the fake model in tests.

    With ``on_text``, a backend that can stream calls it with each piece of the text as it arrives, in
    order, so that the pieces join to exactly ``reply.text``; one that cannot calls it once with the whole
    text before it returns. The reply is the same either way (text, tokens, cost, finish_reason).
    """

    async def complete(self, request: ModelRequest, on_text: TextListener | None = None) -> ModelReply: ...
