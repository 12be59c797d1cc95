"""Every real model call goes through litellm; the embedded model is its provider ``local``.

A call given ``on_text`` streams (``acompletion(stream=True)`` with ``stream_options.include_usage``, so the
provider reports the tokens); its reply is rebuilt from the chunks (``stream_chunk_builder``) and priced as
an unstreamed one is. The ``local`` provider streams from llama.cpp.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from archon_engine.models import keys, local
from archon_engine.models.base import ModelError, ModelReply, ModelRequest, TextListener

_setup_lock = threading.Lock()
_litellm: Any = None
RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
NO_KEY = "no-key"  # sent to a custom endpoint (api_base) when its provider has no key here
REPLY_NOTES = "archon_reply"  # litellm metadata key: a dict the local provider fills (queued_s) for a stream


def import_litellm() -> Any:
    """Import litellm once, offline (its bundled price table), with the ``local`` provider registered."""
    global _litellm
    with _setup_lock:
        if _litellm is None:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            keys.load_dotenv_once()
            import litellm

            logging.getLogger("LiteLLM").setLevel(logging.ERROR)
            litellm.telemetry = False
            litellm.suppress_debug_info = True
            litellm.custom_provider_map = [
                *[p for p in litellm.custom_provider_map if p.get("provider") != "local"],
                {"provider": "local", "custom_handler": _local_handler(litellm)},
            ]
            litellm.register_model(
                {
                    f"local/{local.MODEL_NAME}": {
                        "input_cost_per_token": 0.0,
                        "output_cost_per_token": 0.0,
                        "litellm_provider": "local",
                        "mode": "chat",
                        "max_input_tokens": local.CONTEXT_TOKENS,
                        "max_tokens": local.CONTEXT_TOKENS,
                        "supports_response_schema": True,
                    }
                }
            )
            _litellm = litellm
    return _litellm


def _local_handler(litellm: Any) -> Any:
    from litellm import CustomLLM

    def to_response(model: str, raw: dict) -> Any:
        usage = raw.get("usage") or {}
        response = litellm.ModelResponse(
            model=model,
            choices=[
                {
                    "index": 0,
                    "message": raw["choices"][0]["message"],
                    "finish_reason": raw["choices"][0].get("finish_reason"),
                }
            ],
            usage={
                "prompt_tokens": usage.get("prompt_tokens", 0),
                "completion_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
        )
        response._hidden_params["queued_s"] = raw.get("queued_s", 0.0)  # the wait for an instance
        return response

    class LocalLLM(CustomLLM):
        """litellm provider ``local``: the embedded model pool."""

        def completion(self, model: str, messages: list, optional_params: dict, **_: Any) -> Any:
            with context_errors(model):
                return to_response(model, local.pool().complete(messages, **local.llama_params(optional_params)))

        async def acompletion(self, model: str, messages: list, optional_params: dict, **_: Any) -> Any:
            with context_errors(model):
                raw = await local.pool().acomplete(messages, **local.llama_params(optional_params))
            return to_response(model, raw)

        async def astreaming(
            self, model: str, messages: list, optional_params: dict, litellm_params: dict | None = None, **_: Any
        ) -> AsyncIterator[dict]:
            pieces: asyncio.Queue[str | None] = asyncio.Queue()
            done = asyncio.ensure_future(
                local.pool().acomplete(messages, pieces.put_nowait, **local.llama_params(optional_params))
            )
            done.add_done_callback(lambda _: pieces.put_nowait(None))  # after every piece: they came first
            while (piece := await pieces.get()) is not None:
                yield {"text": piece, "is_finished": False, "finish_reason": "", "usage": None, "index": 0}
            with context_errors(model):
                raw = await done
            notes = ((litellm_params or {}).get("metadata") or {}).get(REPLY_NOTES)
            if isinstance(notes, dict):
                notes["queued_s"] = raw.get("queued_s", 0.0)
            choice, usage = raw["choices"][0], raw.get("usage") or {}
            yield {
                "text": "",
                "is_finished": True,
                "finish_reason": choice.get("finish_reason") or "stop",
                "usage": {key: usage.get(key, 0) for key in ("prompt_tokens", "completion_tokens", "total_tokens")},
                "index": 0,
            }

    @contextlib.contextmanager
    def context_errors(model: str) -> Iterator[None]:
        """llama.cpp's ValueError for a prompt over its context -> litellm's (a 400: not worth retrying)."""
        try:
            yield
        except ValueError as exc:
            if "context window" not in str(exc):
                raise
            raise litellm.ContextWindowExceededError(
                message=f"{exc} (the prompt is too long for {model})", model=model, llm_provider="local"
            ) from None

    return LocalLLM()


def _error(litellm: Any, exc: Exception) -> ModelError:
    status = getattr(exc, "status_code", None)
    retryable = isinstance(exc, litellm.Timeout | litellm.APIConnectionError) or status in RETRYABLE_STATUS
    retry_after = None
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        retry_after = float(headers.get("retry-after")) if headers.get("retry-after") else None
    except (TypeError, ValueError):
        retry_after = None
    text = f"{type(exc).__name__}{f' ({status})' if status else ''}: {exc}"
    cause = _transport_cause(exc)
    if cause is not None and str(cause) not in text:
        text += f" (caused by {type(cause).__name__}: {cause})"
    return ModelError(keys.redact(text), retryable=retryable, retry_after=retry_after)


def _transport_cause(exc: BaseException) -> BaseException | None:
    """What the HTTP transport raised under the OpenAI SDK's bare "Connection error." (a body cut short, a reset)."""
    seen: set[int] = set()
    below_connection_error = False
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if type(cause).__name__ == "APIConnectionError":
            below_connection_error = True
        elif below_connection_error and not type(cause).__module__.startswith(("litellm", "openai")):
            return cause if str(cause) else None
        cause = cause.__cause__ or cause.__context__
    return None


class LitellmBackend:
    """Calls any litellm model. Structured output uses ``response_format`` where supported.

    ``api_keys`` (provider -> key) are used instead of the environment's, e.g. keys a user typed
    into the app for one session; they are registered for redaction and never recorded.
    """

    def __init__(self, api_keys: dict[str, str] | None = None) -> None:
        self.litellm = import_litellm()
        self.api_keys = {provider: key for provider, key in (api_keys or {}).items() if key}
        for key in self.api_keys.values():
            keys.register_secret(key)

    def _supports_schema(self, model: str) -> bool:
        if model.startswith("local/"):
            return True
        try:
            return bool(self.litellm.supports_response_schema(model=model))
        except Exception:
            return False

    async def complete(self, request: ModelRequest, on_text: TextListener | None = None) -> ModelReply:
        kwargs = self._arguments(request)
        if on_text is not None:
            return await self._stream(request, kwargs, on_text)
        litellm = self.litellm
        try:
            response = await litellm.acompletion(**kwargs)
        except Exception as exc:
            raise _error(litellm, exc) from None
        hidden = getattr(response, "_hidden_params", None) or {}
        return self._reply(request, response, queued_s=hidden.get("queued_s"))

    def _arguments(self, request: ModelRequest) -> dict[str, Any]:
        """litellm's arguments for the request; a ModelError if its model is unknown or has no key here."""
        litellm = self.litellm
        try:
            litellm.get_llm_provider(model=request.model, api_base=request.api_base)
        except Exception:
            raise ModelError(
                f"unknown model '{request.model}': litellm knows no provider for it. Write it as provider/model, "
                "e.g. openai/gpt-4o-mini (https://docs.litellm.ai/docs/providers)"
            ) from None
        if keys.needs_key(request.model, request.api_base, self.api_keys):
            provider = keys.provider_of(request.model)
            variable = keys.PROVIDER_KEYS[provider][0]
            raise ModelError(f"no API key for {provider}: set {variable} (environment, .env or the Settings page)")
        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": request.messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "num_retries": 0,  # the engine's client retries, and records it
            "drop_params": True,
        }
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.api_base:
            kwargs["api_base"] = request.api_base
        if api_key := self.api_keys.get(keys.provider_of(request.model)):
            kwargs["api_key"] = api_key
        elif request.api_base and keys.needs_key(request.model):
            kwargs["api_key"] = NO_KEY  # a custom endpoint needs none, but the OpenAI SDK refuses to call without
        if request.response_schema is not None and self._supports_schema(request.model):
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": request.response_schema},
            }
        return kwargs

    async def _stream(self, request: ModelRequest, kwargs: dict[str, Any], on_text: TextListener) -> ModelReply:
        """The call streamed: each piece to ``on_text``, then the reply rebuilt from the chunks."""
        litellm = self.litellm
        notes: dict[str, Any] = {}
        kwargs = {**kwargs, "stream": True, "stream_options": {"include_usage": True}, "metadata": {REPLY_NOTES: notes}}
        pieces: list[str] = []
        chunks: list[Any] = []
        try:
            response = await litellm.acompletion(**kwargs)
            async for chunk in response:
                chunks.append(chunk)
                piece = chunk.choices[0].delta.content if chunk.choices else None
                if piece:
                    pieces.append(piece)
                    on_text(piece)
        except Exception as exc:
            if not pieces:
                raise _error(litellm, exc) from None
            cause = getattr(exc, "original_exception", None) or exc
            first_line = (str(cause).strip().splitlines() or [""])[0]
            received = len("".join(pieces))
            message = f"the stream was cut after {received} characters: {type(cause).__name__}: {first_line}"
            if (transport := _transport_cause(cause)) is not None and str(transport) not in message:
                message += f" (caused by {type(transport).__name__}: {transport})"
            raise ModelError(keys.redact(message), retryable=True) from None
        try:
            rebuilt = litellm.stream_chunk_builder(chunks, messages=request.messages)
        except Exception as exc:
            raise ModelError(f"malformed stream from {request.model}: {exc}", retryable=True) from None
        if rebuilt is None:
            raise ModelError(f"empty stream from {request.model}", retryable=True)
        return self._reply(request, rebuilt, text="".join(pieces), queued_s=notes.get("queued_s"))

    def _reply(
        self, request: ModelRequest, response: Any, *, text: str | None = None, queued_s: float | None
    ) -> ModelReply:
        """The reply from litellm's response (``text``: a stream's pieces joined, instead of the message's)."""
        try:
            content = response.choices[0].message.content or ""
            finish_reason = getattr(response.choices[0], "finish_reason", None)
        except (AttributeError, IndexError) as exc:
            raise ModelError(f"malformed response from {request.model}: {exc}", retryable=True) from None
        usage = getattr(response, "usage", None)
        return ModelReply(
            text=content if text is None else text,
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            cost_usd=self._cost(response, request.model),
            queued_s=queued_s or 0.0,
            finish_reason=finish_reason if isinstance(finish_reason, str) else None,
        )

    def _cost(self, response: Any, model: str) -> float | None:
        """litellm's cost of the call; None when litellm has no price for the model."""
        hidden = getattr(response, "_hidden_params", None) or {}
        if "response_cost" in hidden:  # litellm priced it already (None: no known price)
            cost = hidden["response_cost"]
            return None if cost is None else float(cost)
        try:
            return float(self.litellm.completion_cost(completion_response=response, model=model))
        except Exception:
            return None
