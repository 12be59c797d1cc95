"""The fake model streams as a real one would: a word at a time, optionally slowly, optionally cut."""

from __future__ import annotations

import asyncio
import time

import pytest

from archon_engine.models.base import ModelError, ModelRequest
from archon_engine.models.fake import FakeModel


def request(role: str = "generate") -> ModelRequest:
    return ModelRequest(model="m", messages=[{"role": "user", "content": "q"}], role=role)


def streamed(fake: FakeModel, req: ModelRequest):
    pieces: list[str] = []
    return asyncio.run(fake.complete(req, pieces.append)), pieces


def test_streamed_pieces_are_words_that_join_to_the_reply_which_is_unchanged():
    reply, pieces = streamed(FakeModel({"generate": ["Tokyo is the  capital.\n"]}), request())
    assert pieces == ["Tokyo ", "is ", "the  ", "capital.\n"]
    assert "".join(pieces) == reply.text
    whole = asyncio.run(FakeModel({"generate": ["Tokyo is the  capital.\n"]}).complete(request()))
    assert reply.model_dump(exclude={"queued_s"}) == whole.model_dump(exclude={"queued_s"})


def test_piece_latency_spaces_the_pieces_out():
    started = time.perf_counter()
    _, pieces = streamed(FakeModel({"generate": ["a b c d e"]}, piece_latency=0.05), request())
    assert len(pieces) == 5 and time.perf_counter() - started >= 4 * 0.05


def test_the_first_cut_first_streams_stop_halfway_with_a_retryable_error():
    fake = FakeModel({"generate": ["one two three four"]}, cut_first=1)
    pieces: list[str] = []
    with pytest.raises(ModelError) as caught:
        asyncio.run(fake.complete(request(), pieces.append))
    assert caught.value.retryable and pieces == ["one ", "two "]
    assert streamed(fake, request())[1] == ["one ", "two ", "three ", "four"]  # the next stream is whole


def test_an_unstreamed_call_is_never_cut():
    fake = FakeModel(cut_first=1)
    assert asyncio.run(fake.complete(request())).text == "Answer 1 from m"
