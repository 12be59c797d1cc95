"""The work behind ``POST /v1/chat/completions``: one request is one run of the engine, kept in the run store.

The server only translates: the design, the conversation (system and multi-turn) and the request's
budget go to ``arun`` as they are; the run's answer, usage and id come back as a chat.completion.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from dataclasses import dataclass

from pydantic import BaseModel, Field, ValidationError

from archon_engine.execution import RunResult, arun
from archon_engine.models.base import ModelBackend
from archon_engine.serve import errors
from archon_engine.serve.designs import DesignCatalog, with_request_settings
from archon_engine.serve.protocol import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionRequest,
    Choice,
    CompletionUsage,
)
from archon_engine.storage.store import Store, StoreError
from archon_engine.validation import ArchitectureError


class ServerLimits(BaseModel):
    """What one server takes on at once and per request."""

    max_concurrent_runs: int = Field(16, ge=1, description="runs at once; more requests get 429")
    retry_after_s: int = Field(1, ge=1, description="the Retry-After of a 429")
    max_body_bytes: int = Field(2_000_000, ge=1, description="request bodies over this get 413")
    max_messages: int = Field(256, ge=1, description="messages per request")


@dataclass(frozen=True)
class ServedRun:
    """A finished request: the model id it asked for, the engine's result, and the run's id in the store."""

    model: str
    result: RunResult
    run_id: str
    created: int

    @property
    def completion_id(self) -> str:
        return f"chatcmpl-{self.run_id}"


def parse_request(body: bytes) -> ChatCompletionRequest:
    """The request body, or the 400 ServeError naming the field that is wrong."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise errors.bad_request(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise errors.bad_request("the body must be a JSON object")
    try:
        return ChatCompletionRequest.model_validate(data)
    except ValidationError as exc:
        raise errors.invalid_body(exc) from None


class ChatService:
    """Runs chat requests on the catalog's designs, at most ``limits.max_concurrent_runs`` at once."""

    def __init__(
        self,
        catalog: DesignCatalog,
        *,
        store: Store,
        backend: ModelBackend | None = None,
        limits: ServerLimits | None = None,
    ):
        """``backend`` None reaches the models through litellm; a FakeModel serves tests and demos."""
        self.catalog = catalog
        self.store = store
        self.backend = backend
        self.limits = limits or ServerLimits()
        self._running = 0  # one event loop: no lock needed

    async def complete(self, request: ChatCompletionRequest) -> ServedRun:
        """Run the request's design; a run that failed or hit its budget raises (it is saved all the same)."""
        limits = self.limits
        if len(request.messages) > limits.max_messages:
            message = f"messages: at most {limits.max_messages} per request, got {len(request.messages)}"
            raise errors.bad_request(message, param="messages")
        arch = with_request_settings(
            self.catalog.resolve(request.model), temperature=request.temperature, max_tokens=request.token_limit
        )
        if self._running >= limits.max_concurrent_runs:
            raise errors.busy(limits.max_concurrent_runs, limits.retry_after_s)
        self._running += 1
        try:
            result = await arun(
                arch, [m.for_engine() for m in request.messages], backend=self.backend, budget=request.archon_budget
            )
        except ArchitectureError as exc:
            raise errors.bad_request(f"{request.model}: {exc}", param="model") from None
        finally:
            self._running -= 1
        served = ServedRun(request.model, result, await self._save(result, request.model), int(time.time()))
        if result.status == "budget_exceeded":
            raise errors.budget_exceeded(result.error or "budget exceeded", served.run_id)
        if result.status == "failed":
            raise errors.provider_failure(result.error or "the design produced no answer", served.run_id)
        return served

    async def _save(self, result: RunResult, model: str) -> str:
        try:
            return await asyncio.to_thread(self.store.save_run, result, name=f"{model} (served)")
        except (StoreError, sqlite3.Error, OSError) as exc:
            raise errors.internal(f"the run finished but could not be saved in the run store: {exc}") from None


def completion(served: ServedRun, *, with_trace: bool = False) -> ChatCompletion:
    """A finished run as OpenAI's chat.completion (and the trace if asked)."""
    result = served.result
    return ChatCompletion(
        id=served.completion_id,
        created=served.created,
        model=served.model,
        choices=[Choice(message=AssistantMessage(content=result.answer or ""))],
        usage=CompletionUsage.of(result.usage),
        archon_run_id=served.run_id,
        archon_cost_usd=result.usage.cost_usd if result.usage.cost_known else None,
        archon_trace=result.trace if with_trace else None,
    )
