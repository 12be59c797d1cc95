"""ModelClient's streaming: which calls stream, what the listener is told, and what the trace keeps."""

from __future__ import annotations

import asyncio

from archon_engine.models import keys
from archon_engine.models.base import ModelReply, ModelRequest
from archon_engine.models.client import Limits, ModelClient
from archon_engine.models.fake import FakeModel

SCHEMA = {"type": "object", "properties": {"ranking": {"type": "array"}}}


def request(role: str = "generate", **fields) -> ModelRequest:
    return ModelRequest(model="fake", messages=[{"role": "user", "content": "q"}], role=role, **fields)


def call(client: ModelClient, req: ModelRequest):
    return asyncio.run(client.call(req, layer=0, component="L0.C0", component_type="generator"))


class Listener:
    """Keeps what a client streams: (call id, attempt, piece)."""

    def __init__(self) -> None:
        self.pieces: list[tuple[str, int, str]] = []

    def __call__(self, record, request, piece: str) -> None:
        self.pieces.append((record.id, record.retries, piece))

    def text(self, attempt: int | None = None) -> str:
        return "".join(p for _, a, p in self.pieces if attempt is None or a == attempt)


class Whole:
    """A backend that cannot stream: it ignores ``on_text`` and notes whether it was given one."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.given: list[bool] = []

    async def complete(self, request: ModelRequest, on_text=None) -> ModelReply:
        self.given.append(on_text is not None)
        return ModelReply(text=self.text, prompt_tokens=1, completion_tokens=2)


def test_a_text_call_streams_its_pieces_in_order_and_they_join_to_the_recorded_text():
    listener = Listener()
    record = call(ModelClient(FakeModel(), on_text=listener), request())
    assert len(listener.pieces) > 1
    assert listener.text() == record.raw_response == "Answer 1 from fake"
    assert {(call_id, attempt) for call_id, attempt, _ in listener.pieces} == {(record.id, 0)}


def test_a_call_with_a_reply_schema_does_not_stream():
    backend, listener = Whole('{"ranking": [1]}'), Listener()
    record = call(ModelClient(backend, on_text=listener), request("rank", response_schema=SCHEMA))
    assert record.raw_response == '{"ranking": [1]}'
    assert backend.given == [False] and listener.pieces == []


def test_without_a_listener_no_backend_is_asked_to_stream():
    backend = Whole("text")
    call(ModelClient(backend), request())
    assert backend.given == [False]


def test_a_backend_that_cannot_stream_still_tells_the_listener_its_whole_text():
    backend, listener = Whole("all at once"), Listener()
    record = call(ModelClient(backend, on_text=listener), request())
    assert backend.given == [True]
    assert [p for _, _, p in listener.pieces] == ["all at once"] and record.raw_response == "all at once"


def test_streaming_changes_nothing_in_the_record_but_timing():
    timing = {"start_s", "end_s", "service_s", "queued_s"}
    quiet = call(ModelClient(FakeModel(cost_per_call=0.25)), request())
    streamed = call(ModelClient(FakeModel(cost_per_call=0.25), on_text=Listener()), request())
    assert quiet.model_dump(exclude=timing) == streamed.model_dump(exclude=timing)


def test_a_stream_cut_in_the_middle_is_an_error_with_the_text_received_so_far():
    listener = Listener()
    client = ModelClient(FakeModel(cut_first=1), limits=Limits(max_retries=0), on_text=listener)
    record = call(client, request())
    assert "fake stream cut" in record.error
    assert record.raw_response == "Answer 1 " == listener.text()  # half of "Answer 1 from fake"
    assert record.completion_tokens == 0


def test_a_retried_stream_starts_anew_and_the_last_attempt_joins_to_the_text():
    listener = Listener()
    client = ModelClient(FakeModel(cut_first=1), limits=Limits(backoff_s=0), on_text=listener)
    record = call(client, request())
    assert record.error is None and record.retries == 1
    assert listener.text(attempt=0) == "Answer 1 "
    assert listener.text(attempt=1) == record.raw_response == "Answer 2 from fake"


def test_a_secret_split_over_pieces_never_reaches_the_listener(monkeypatch):
    secret = "sk-stream-canary-0123456789"
    monkeypatch.setenv("CANARY_API_KEY", secret)

    class CharByChar:
        async def complete(self, request, on_text=None):
            text = f"the key is {secret}, as asked"
            for char in text:
                on_text(char)
            return ModelReply(text=text)

    listener = Listener()
    record = call(ModelClient(CharByChar(), on_text=listener), request())
    shown = [p for _, _, p in listener.pieces]
    assert len(shown) > 1 and secret[:6] not in listener.text()  # held back until it was known to be the key
    assert listener.text() == record.raw_response == keys.redact(f"the key is {secret}, as asked")
    assert "[REDACTED]" in record.raw_response


def test_pieces_that_arrive_after_the_call_timed_out_are_dropped():
    kept: list = []

    class LateTalker:
        async def complete(self, request, on_text=None):
            kept.append(on_text)
            await asyncio.sleep(1)

    listener = Listener()
    client = ModelClient(LateTalker(), limits=Limits(timeout_s=0.05, max_retries=0), on_text=listener)
    record = call(client, request())
    kept[0]("too late")
    assert record.error.startswith("TimeoutError") and listener.pieces == []
