"""The one door to every model: limits, timeouts, retries, the budget cap, and the trace."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import random
import time
from collections.abc import Callable

from pydantic import BaseModel, Field

from archon_engine.models import keys, prices
from archon_engine.models.base import ModelBackend, ModelError, ModelReply, ModelRequest
from archon_engine.models.deltas import RedactedStream
from archon_engine.trace import CallRecord, Trace


class Limits(BaseModel):
    """How hard the engine may push providers."""

    concurrency: int = Field(16, ge=1, description="concurrent calls per provider unless overridden")
    per_provider: dict[str, int] = Field(default_factory=dict)
    timeout_s: float = Field(120.0, gt=0, description="per attempt")
    max_retries: int = Field(3, ge=0, description="retries of rate limits, 5xx and timeouts")
    backoff_s: float = Field(0.5, ge=0, description="first retry delay; doubles each retry")
    max_backoff_s: float = Field(20.0, ge=0)


class Budget(BaseModel):
    """A cap per run, checked before every call. None means no cap. A call counts once however many
    times it is retried; a failed attempt costs nothing.

    The USD cap reserves each call's worst case from litellm's price table; calls to models with
    no known price cannot be bounded: they are allowed, and their cost shows as unknown.
    """

    max_calls: int | None = Field(None, ge=0)
    max_usd: float | None = Field(None, ge=0)


class BudgetExceeded(RuntimeError):
    """Raised before a call that would break the run's budget; the run stops there."""


CallListener = Callable[[CallRecord], None]
TextDeltaListener = Callable[[CallRecord, ModelRequest, str], None]
"""Told each redacted piece of a streaming call's text: the call's record (``retries`` is the attempt the piece
belongs to: a retry starts the text anew), its request, and the piece."""

# The last call this task (and the tasks it awaits) made, as (client, record id): a call made after
# it in the same task waited for it. Sibling tasks (a gather) copy the context, so each sees only
# the calls before the gather, and none sees another's.
_previous_call: contextvars.ContextVar[tuple[object, str] | None] = contextvars.ContextVar(
    "previous_call", default=None
)


class Throttle:
    """Concurrent-call slots per provider. Runs that share one throttle share its limits."""

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits()
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    def size(self, model: str) -> int:
        """How many calls to ``model``'s provider may be in flight at once."""
        return self.limits.per_provider.get(keys.provider_of(model), self.limits.concurrency)

    def slot(self, model: str) -> asyncio.Semaphore:
        provider = keys.provider_of(model)
        if provider not in self._semaphores:
            self._semaphores[provider] = asyncio.Semaphore(self.size(model))
        return self._semaphores[provider]


class ModelClient:
    """Makes calls for one run and records each of them in ``trace``."""

    def __init__(
        self,
        backend: ModelBackend,
        *,
        limits: Limits | None = None,
        budget: Budget | None = None,
        on_call: CallListener | None = None,
        on_text: TextDeltaListener | None = None,
        throttle: Throttle | None = None,
    ):
        """``throttle`` shares concurrency limits with other runs (an evaluation's items); without
        one, this run gets its own slots from ``limits``. With ``on_text``, calls that write free text (no
        reply schema) stream it to the listener as it arrives; structured calls do not stream."""
        self.backend = backend
        self.limits = limits or (throttle.limits if throttle else Limits())
        self.throttle = throttle or Throttle(self.limits)
        self.budget = budget or Budget()
        self.on_call = on_call
        self.on_text = on_text
        self.trace = Trace()
        self._t0 = time.perf_counter()
        self._ids = itertools.count(1)
        self._calls = 0
        self._spent_usd = 0.0
        self._reserved_usd = 0.0

    def _now(self) -> float:
        return time.perf_counter() - self._t0

    def _reserve(self, request: ModelRequest) -> float:
        """Check the budget for one more call and reserve its worst-case cost."""
        cap_calls, cap_usd = self.budget.max_calls, self.budget.max_usd
        if cap_calls is not None and self._calls + 1 > cap_calls:
            raise BudgetExceeded(f"budget of {cap_calls} calls per run reached")
        bound = prices.call_cost_bound(request.model, request.messages, request.max_tokens) or 0.0
        if cap_usd is not None and self._spent_usd + self._reserved_usd + bound > cap_usd:
            raise BudgetExceeded(
                f"budget of ${cap_usd:.4f} per run reached: ${self._spent_usd:.4f} spent, "
                f"the next call to {request.model} may cost up to ${bound:.4f}"
            )
        self._calls += 1
        self._reserved_usd += bound
        return bound

    async def call(self, request: ModelRequest, *, layer: int, component: str, component_type: str) -> CallRecord:
        """Make one call (retrying transient failures). Provider errors end up in the record."""
        bound = self._reserve(request)
        previous = _previous_call.get()
        record = CallRecord(
            id=f"call-{next(self._ids)}",
            layer=layer,
            component=component,
            component_type=component_type,
            role=request.role,
            model=request.model,
            messages=keys.redacted(request.messages),  # the model gets them as they are; the record, redacted
            params=_params(request),
            follows=previous[1] if previous is not None and previous[0] is self else None,
        )
        reply: ModelReply | None = None
        try:
            async with self.throttle.slot(request.model):
                record.start_s = self._now()
                reply = await self._attempt(request, record)
        except asyncio.CancelledError:
            record.error = "cancelled: the run stopped before this call finished"
            raise
        finally:
            record.end_s = self._now()
            record.queued_s = reply.queued_s if reply is not None else 0.0
            replayed = reply is not None and reply.cached and reply.service_s is not None
            record.service_s = reply.service_s if replayed else record.latency_s - record.queued_s
            self._reserved_usd -= bound
            self._spent_usd += 0.0 if record.cached else record.cost_usd or 0.0
            self.trace.calls.append(record)
            if self.on_call is not None:
                self.on_call(record)
        _previous_call.set((self, record.id))
        return record

    def streams(self, request: ModelRequest) -> bool:
        """Whether the call streams its text: someone listens, and it writes free text."""
        return self.on_text is not None and request.response_schema is None

    async def _complete(self, request: ModelRequest, record: CallRecord, stream: RedactedStream | None) -> ModelReply:
        """One attempt at the backend; a streaming one passes each piece on as it can be shown."""
        if stream is None:
            return await self.backend.complete(request)
        listener = self.on_text

        def on_text(piece: str) -> None:
            if shown := stream.feed(piece):
                listener(record, request, shown)

        reply = await self.backend.complete(request, on_text)
        if rest := stream.close(reply.text):
            listener(record, request, rest)
        return reply

    async def _attempt(self, request: ModelRequest, record: CallRecord) -> ModelReply | None:
        """Fill ``record`` from the backend's reply (None: the call failed). A stream cut in the middle is
        a failed attempt whose record keeps the text received so far as its raw response."""
        limits = self.limits
        for attempt in range(limits.max_retries + 1):
            record.retries = attempt
            stream = RedactedStream() if self.streams(request) else None
            try:
                reply = await asyncio.wait_for(self._complete(request, record, stream), timeout=limits.timeout_s)
            except (ModelError, TimeoutError) as exc:
                retryable = isinstance(exc, TimeoutError) or exc.retryable
                message = f"timed out after {limits.timeout_s:g} s" if isinstance(exc, TimeoutError) else str(exc)
                record.error = keys.redact(f"{type(exc).__name__}: {message}")
                record.raw_response = _received(stream)
                if not retryable or attempt == limits.max_retries:
                    return None
                record.retry_errors.append(record.error)
                delay = min(limits.max_backoff_s, limits.backoff_s * 2**attempt) * (0.5 + random.random())
                retry_after = getattr(exc, "retry_after", None)
                await asyncio.sleep(max(delay, retry_after or 0.0))
                continue
            except Exception as exc:  # a backend bug or an unmapped provider error: record, do not retry
                record.error = keys.redact(f"{type(exc).__name__}: {exc}")
                record.raw_response = _received(stream)
                return None
            except asyncio.CancelledError:
                record.raw_response = _received(stream)
                raise
            finally:
                if stream is not None:
                    stream.closed = True  # pieces of this attempt that arrive late are dropped
            record.error = None
            record.raw_response = keys.redact(reply.text)  # what every component reads: nothing later sees a key
            record.prompt_tokens = reply.prompt_tokens
            record.completion_tokens = reply.completion_tokens
            record.cost_usd = reply.cost_usd
            record.cached = reply.cached
            record.finish_reason = reply.finish_reason
            return reply


def _received(stream: RedactedStream | None) -> str | None:
    """What a failed attempt's stream had received (redacted), or None when nothing came."""
    return stream.text if stream is not None and stream.received else None


def _params(request: ModelRequest) -> dict:
    params = {"temperature": request.temperature, "max_tokens": request.max_tokens}
    if request.seed is not None:
        params["seed"] = request.seed
    if request.response_schema is not None:
        params["response_schema"] = request.response_schema
    if request.api_base:
        params["api_base"] = request.api_base
    return params
