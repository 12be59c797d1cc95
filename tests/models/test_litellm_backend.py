"""LitellmBackend and the engine over real HTTP: litellm against the fake OpenAI server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import secrets
import socket

import pytest

from archon_engine import run
from archon_engine.models.base import ModelError, ModelRequest
from archon_engine.models.client import Limits, ModelClient
from archon_engine.models.fake_server import FakeOpenAIServer
from archon_engine.models.litellm_backend import LitellmBackend, import_litellm

MODEL = "openai/fake-model"


@pytest.fixture(scope="module")
def backend() -> LitellmBackend:
    import_litellm()  # slow (seconds): once per module
    return LitellmBackend()


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """A dummy key, and no connection anywhere but 127.0.0.1."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-test-key")
    connect = socket.socket.connect

    def local_only(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1"):
            raise OSError(f"tests must not reach the network: {address}")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", local_only)


def test_the_guard_blocks_other_hosts():
    with pytest.raises(OSError, match="must not reach the network"):
        asyncio.run(asyncio.open_connection("192.0.2.1", 80))  # TEST-NET-1: never routed


def request(server: FakeOpenAIServer, text: str = "hello there", **fields) -> ModelRequest:
    return ModelRequest(model=MODEL, messages=[{"role": "user", "content": text}], api_base=server.base_url, **fields)


def complete(backend: LitellmBackend, req: ModelRequest):
    return asyncio.run(backend.complete(req))


def test_returns_text_and_token_usage(backend):
    with FakeOpenAIServer() as server:
        reply = complete(backend, request(server, "hello there fake", temperature=0.0, max_tokens=7))
    assert reply.text == "Echo: hello there fake"
    assert (reply.prompt_tokens, reply.completion_tokens) == (3, 4)
    assert reply.finish_reason == "stop"
    body = server.bodies[0]
    assert body["model"] == "fake-model"
    assert (body["temperature"], body["max_tokens"]) == (0.0, 7)


def test_a_reply_cut_at_max_tokens_says_so(backend):
    with FakeOpenAIServer() as server:
        reply = complete(backend, request(server, "one two three four five", max_tokens=3))
    assert (reply.text, reply.completion_tokens, reply.finish_reason) == ("Echo: one two", 3, "length")


def test_cost_of_an_unknown_model_is_unknown_not_zero(backend):
    with FakeOpenAIServer() as server:
        reply = complete(backend, request(server))
    assert reply.cost_usd is None


def test_429_is_retryable_with_retry_after(backend):
    server = FakeOpenAIServer(fail_first=1, fault_kinds=["429"], retry_after=2.5)
    with server, pytest.raises(ModelError) as caught:
        complete(backend, request(server))
    assert caught.value.retryable is True
    assert caught.value.retry_after == 2.5
    assert "429" in str(caught.value)
    assert server.requests == 1  # litellm itself does not retry: the engine does, and records it


@pytest.mark.parametrize("kind", ["500", "503", "malformed", "truncated"])
def test_server_errors_are_retryable(backend, kind):
    with FakeOpenAIServer(fail_first=1, fault_kinds=[kind]) as server, pytest.raises(ModelError) as caught:
        complete(backend, request(server))
    assert caught.value.retryable is True
    assert server.requests == 1


def test_a_body_cut_short_names_its_cause(backend):
    with FakeOpenAIServer(fail_first=1, fault_kinds=["truncated"]) as server, pytest.raises(ModelError) as caught:
        complete(backend, request(server))
    assert "Connection error." in str(caught.value)  # all the OpenAI SDK says...
    assert "caused by" in str(caught.value) and "Not enough data" in str(caught.value)  # ...and what happened


def test_a_hang_past_the_timeout_is_retried_and_each_cause_kept(backend):
    limits = Limits(timeout_s=0.3, max_retries=3, backoff_s=0.01)
    with FakeOpenAIServer(fail_first=2, fault_kinds=["timeout"], hang_s=30) as server:
        client = ModelClient(backend, limits=limits)
        record = asyncio.run(client.call(request(server, "wait"), layer=0, component="L0.C0", component_type="g"))
    assert record.error is None and record.raw_response == "Echo: wait"
    assert record.retries == 2
    assert record.retry_errors == ["TimeoutError: timed out after 0.3 s"] * 2


def test_a_custom_endpoint_is_called_without_a_key(backend, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    with FakeOpenAIServer() as server:
        reply = complete(backend, request(server, "no key here"))
    assert reply.text == "Echo: no key here"
    assert server.headers[0]["authorization"] == "Bearer no-key"  # a placeholder: the OpenAI SDK insists on one


def test_400_is_not_retryable(backend):
    with FakeOpenAIServer(fail_first=1, fault_kinds=["400"]) as server, pytest.raises(ModelError) as caught:
        complete(backend, request(server))
    assert caught.value.retryable is False
    assert "400" in str(caught.value)


def test_a_model_without_a_provider_is_refused_at_once_with_how_to_name_it(backend):
    with pytest.raises(ModelError, match=r"unknown model 'nosuch/model'.*provider/model") as refused:
        complete(backend, ModelRequest(model="nosuch/model", messages=[{"role": "user", "content": "hi"}]))
    assert not refused.value.retryable


def test_client_retries_a_429_to_success_and_records_it(backend):
    limits = Limits(max_retries=3, backoff_s=0.01)
    with FakeOpenAIServer(fail_first=2, fault_kinds=["429"], retry_after=0.05) as server:
        client = ModelClient(backend, limits=limits)
        record = asyncio.run(client.call(request(server, "retry me"), layer=0, component="L0.C0", component_type="g"))
    assert server.requests == 3
    assert record.error is None
    assert record.retries == 2
    assert record.raw_response == "Echo: retry me"
    assert record.latency_s >= 2 * 0.05  # it waited as long as Retry-After said, twice
    assert client.trace.calls == [record]


def test_client_gives_up_after_max_retries(backend):
    with FakeOpenAIServer(fail_first=10, fault_kinds=["503"]) as server:
        client = ModelClient(backend, limits=Limits(max_retries=2, backoff_s=0.01))
        record = asyncio.run(client.call(request(server), layer=0, component="L0.C0", component_type="g"))
    assert server.requests == 3
    assert record.retries == 2
    assert "503" in record.error


def architecture(server: FakeOpenAIServer) -> dict:
    common = {"model": MODEL, "api_base": server.base_url, "max_tokens": 64}
    return {
        "name": "fake-http",
        "layers": [
            [{"type": "generator", "samples": 3, **common}],
            [{"type": "critic", **common}],
            [{"type": "ranker", "top_k": 2, "use_critiques": True, **common}],
            [{"type": "fuser", **common}],
        ],
    }


def test_run_completes_through_litellm_with_traced_tokens():
    with FakeOpenAIServer() as server:
        result = run(architecture(server), "What is the capital of France?")
    assert result.status == "completed", result.error
    assert result.answer.startswith("Echo:")
    calls = result.trace.calls
    assert len(calls) == 6 == server.requests
    assert {c.role for c in calls} == {"generate", "critique", "rank", "fuse"}
    assert all(c.ok and c.prompt_tokens > 0 and c.completion_tokens > 0 for c in calls)
    assert result.usage.prompt_tokens == sum(c.prompt_tokens for c in calls)
    assert result.usage.completion_tokens == sum(c.completion_tokens for c in calls)
    assert result.usage.cost_known is False  # the fake model has no price
    assert len(result.layers[2].candidates) == 2  # the ranker's JSON was parsed and applied
    assert {b["model"] for b in server.bodies} == {"fake-model"}


@pytest.mark.parametrize("fault_rate", [0.0, 1.0])
@pytest.mark.parametrize("via", ["environment", "api_keys"])
def test_api_key_never_appears_in_the_result(monkeypatch, fault_rate, via):
    canary = "sk-canary-" + secrets.token_hex(16)
    kwargs = {}
    if via == "environment":
        monkeypatch.setenv("OPENAI_API_KEY", canary)
    else:  # a key typed into the app for one session
        kwargs["api_keys"] = {"openai": canary}
    with FakeOpenAIServer(fault_rate=fault_rate, fault_kinds=["400"]) as server:
        result = run(architecture(server), "Tell me a secret.", **kwargs)
    assert server.headers[0]["authorization"] == f"Bearer {canary}"  # the key was really used
    assert result.status == ("completed" if fault_rate == 0 else "failed")
    exported = result.to_json()
    assert canary not in exported
    assert canary[3:] not in exported


# -- streaming ---------------------------------------------------------------------------------------


def stream(backend: LitellmBackend, req: ModelRequest) -> tuple[object, list[str]]:
    """The reply to ``req`` streamed, and the pieces the listener was told."""
    pieces: list[str] = []
    return asyncio.run(backend.complete(req, pieces.append)), pieces


@pytest.mark.parametrize("model", [MODEL, "openai/gpt-4o-mini"])  # no known price, and a price litellm knows
def test_a_streamed_reply_is_the_unstreamed_one_and_its_pieces_join_to_its_text(backend, model):
    with FakeOpenAIServer() as server:
        req = request(server, "one two three four five six", max_tokens=5).model_copy(update={"model": model})
        whole = complete(backend, req)
        streamed, pieces = stream(backend, req)
    assert len(pieces) > 1 and "".join(pieces) == streamed.text
    assert streamed == whole  # text, tokens, cost and finish reason ("length" here) alike
    assert (whole.finish_reason, whole.completion_tokens) == ("length", 5)
    assert server.bodies[1]["stream"] is True
    assert server.bodies[1]["stream_options"] == {"include_usage": True}  # so that the provider counts the tokens


def test_a_stream_cut_midway_is_a_retryable_error_saying_how_much_came_and_why(backend):
    with FakeOpenAIServer(fail_first=1, fault_kinds=["truncated"]) as server, pytest.raises(ModelError) as caught:
        stream(backend, request(server, "one two three four five six seven eight"))
    assert caught.value.retryable is True
    assert "the stream was cut after" in str(caught.value) and "caused by" in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_the_client_records_a_cut_stream_with_the_text_received_so_far(backend):
    said: list[str] = []
    with FakeOpenAIServer(fail_first=1, fault_kinds=["truncated"]) as server:
        client = ModelClient(
            backend, limits=Limits(max_retries=0), on_text=lambda record, req, piece: said.append(piece)
        )
        text = "one two three four five six seven eight"
        record = asyncio.run(client.call(request(server, text), layer=0, component="L0.C0", component_type="g"))
    assert "the stream was cut" in record.error
    assert record.raw_response and "Echo: one two three four five six seven eight".startswith(record.raw_response)
    assert "".join(said) == record.raw_response  # what the listener saw is what the trace keeps


def test_a_cut_stream_is_retried_and_the_retry_streams_anew(backend):
    said: list[tuple[int, str]] = []
    with FakeOpenAIServer(fail_first=1, fault_kinds=["truncated"]) as server:
        client = ModelClient(
            backend,
            limits=Limits(backoff_s=0.01),
            on_text=lambda record, req, piece: said.append((record.retries, piece)),
        )
        record = asyncio.run(
            client.call(request(server, "a b c d e f"), layer=0, component="L0.C0", component_type="g")
        )
    assert record.error is None and record.retries == 1
    assert record.raw_response == "Echo: a b c d e f"
    assert "".join(piece for attempt, piece in said if attempt == 1) == record.raw_response
    assert {attempt for attempt, _ in said} == {0, 1}
