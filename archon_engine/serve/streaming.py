"""``stream: true``: a served run as OpenAI's server-sent events (``data: {chunk}\\n\\n``, then ``data: [DONE]``).

The first chunk carries the role, then come the answer's pieces, a chunk with ``finish_reason``, the
usage (with ``stream_options.include_usage``: a chunk with no choices), and ``[DONE]``.

The engine does not stream tokens yet (issue 8): the run finishes first, so that its errors still get
their HTTP status, and its answer is then sent a word at a time by ``answer_pieces``. Token streaming
plugs in there: ``sse_events`` takes any async iterator of text pieces, e.g. the last layer's token
events as the engine emits them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from archon_engine.serve.protocol import ChatCompletionChunk, ChunkChoice, CompletionUsage, Delta
from archon_engine.serve.serving import ServedRun

_PIECE = re.compile(r"\S+\s*|\s+")  # a word and the spaces after it (or leading spaces): pieces join to the text
DONE = b"data: [DONE]\n\n"


async def answer_pieces(answer: str) -> AsyncIterator[str]:
    """The finished answer, a word (with its trailing whitespace) at a time."""
    for match in _PIECE.finditer(answer):
        yield match.group()


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
