"""The wire schemas of OpenAI's chat-completions and models endpoints, as this server reads and writes them.

A request may carry any of OpenAI's fields; those a design has no use for (``tools``, ``top_p``, ``stop``,
``seed``, ...) are accepted and ignored, so that every OpenAI client works unchanged. ``max_tokens`` (or
``max_completion_tokens``) and ``temperature`` apply to the components of the design's last layer.

Archon's own request fields (the ``openai`` client sends them with ``extra_body={...}``):

- ``archon_budget``: ``{"max_calls": N, "max_usd": X}``, a cap on this request's run, checked before
  every call (the engine's ``Budget``); reaching it ends the request with 402.
- ``archon_trace``: ``true`` returns the run's trace (every call's messages, reply, tokens, cost, timing).

Archon's own response fields: ``archon_run_id`` (the run in the run store, also sent as the
``X-Archon-Run-Id`` header, so that the app's History opens it), ``archon_cost_usd`` (None when a
model's price is unknown) and, when asked, ``archon_trace``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from archon_engine.models.client import Budget
from archon_engine.trace import Trace, Usage


def _is_none(value: Any) -> bool:
    return value is None


# --- requests ---------------------------------------------------------------------------------------


class ChatMessage(BaseModel):
    """One message of the conversation; ``content`` is text, or a list of text parts (joined)."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant"]
    content: str

    @field_validator("content", mode="before")
    @classmethod
    def _text_parts(cls, value: Any) -> Any:
        if value is None:
            return ""
        if not isinstance(value, list):
            return value
        if not all(isinstance(part, dict) and part.get("type") == "text" for part in value):
            raise ValueError("content parts must be text parts ({'type': 'text', 'text': ...}); no images or audio")
        return "".join(str(part.get("text", "")) for part in value)

    def for_engine(self) -> dict[str, str]:
        """The message as the engine reads it ("developer" is OpenAI's newer name for "system")."""
        return {"role": "system" if self.role == "developer" else self.role, "content": self.content}


class StreamOptions(BaseModel):
    include_usage: bool = False


class BudgetCap(Budget):
    """``archon_budget``: the engine's Budget, with unknown fields refused (a misspelt cap would be no cap)."""

    model_config = ConfigDict(extra="forbid")


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    n: Literal[1] | None = None  # one answer per request: a design already combines many samples
    stream: bool = False
    stream_options: StreamOptions | None = None
    archon_budget: BudgetCap | None = None
    archon_trace: bool = False

    @field_validator("messages")
    @classmethod
    def _has_user_message(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if not any(m.role == "user" for m in messages):
            raise ValueError("needs at least one user message (the query the design answers)")
        return messages

    @property
    def token_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    @property
    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage


# --- responses --------------------------------------------------------------------------------------


class CompletionUsage(BaseModel):
    """Tokens summed over every call the design made."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def of(cls, usage: Usage) -> CompletionUsage:
        total = usage.prompt_tokens + usage.completion_tokens
        return cls(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens, total_tokens=total)


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: CompletionUsage
    archon_run_id: str
    archon_cost_usd: float | None
    archon_trace: Trace | None = Field(None, exclude_if=_is_none)


class Delta(BaseModel):
    role: Literal["assistant"] | None = Field(None, exclude_if=_is_none)
    content: str | None = Field(None, exclude_if=_is_none)


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: CompletionUsage | None = Field(None, exclude_if=_is_none)
    archon_run_id: str


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "archon-studio"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail
