"""``stream: true``: a served run as OpenAI's server-sent events (``data: {chunk}\\n\\n``, then ``data: [DONE]``).

The first chunk carries the role, then come the answer's pieces, a chunk with ``finish_reason``, the
usage (with ``stream_options.include_usage``: a chunk with no choices), and ``[DONE]``.

The run finishes first, so that its errors still get their HTTP status (402 over the budget, 502 a provider
failure) before any byte of the body, and its answer is then sent a word at a time by ``answer_pieces``. The
engine streams tokens (``RunEvent`` ``text_delta``), but which call writes the answer is known only when the
last layer has ended (the first candidate that survives), and a retried call starts its text anew: sending
tokens live would mean sending text that may not be the answer, after the status. ``sse_events`` takes any
async iterator of pieces, so a live stream plugs in there for designs whose answer one call writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from archon_engine.models.base import word_pieces
from archon_engine.serve.protocol import ChatCompletionChunk, ChunkChoice, CompletionUsage, Delta
from archon_engine.serve.serving import ServedRun

DONE = b"data: [DONE]\n\n"


async def answer_pieces(answer: str) -> AsyncIterator[str]:
    """The finished answer, a word (with its trailing whitespace) at a time."""
    for piece in word_pieces(answer):
        yield piece


async def sse_events(served: ServedRun, pieces: AsyncIterator[str], *, include_usage: bool) -> AsyncIterator[bytes]:
    """OpenAI's chunk sequence for one answer, as server-sent events."""

    def event(choices: list[ChunkChoice], usage: CompletionUsage | None = None) -> bytes:
        chunk = ChatCompletionChunk(
            id=served.completion_id,
            created=served.created,
            model=served.model,
            choices=choices,
            usage=usage,
            archon_run_id=served.run_id,
        )
        return b"data: " + chunk.model_dump_json().encode() + b"\n\n"

    yield event([ChunkChoice(delta=Delta(role="assistant", content=""))])
    async for piece in pieces:
        yield event([ChunkChoice(delta=Delta(content=piece))])
    yield event([ChunkChoice(delta=Delta(), finish_reason="stop")])
    if include_usage:
        yield event([], CompletionUsage.of(served.result.usage))
    yield DONE
