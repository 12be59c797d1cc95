"""The fake OpenAI-compatible server: its responses, its concurrency, its scripted faults."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from archon_engine.components import prompts
from archon_engine.components.replies import CritiqueReply, RankingReply, parse_reply, schema_of
from archon_engine.models.fake_server import FakeOpenAIServer
from archon_engine.state import Candidate


def post(server: FakeOpenAIServer, body: dict, path: str = "/chat/completions") -> tuple[int, dict, bytes]:
    """(status, headers, raw body) of one POST to the server."""
    request = urllib.request.Request(
        server.base_url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk-test"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def chat(text: str, **extra) -> dict:
    return {"model": "fake-model", "messages": [{"role": "user", "content": text}], **extra}


def candidates(n: int) -> list[Candidate]:
    return [Candidate(id=f"c{i}", text=f"answer {i}", source="L0.C0", layer=0, model="m") for i in range(n)]


def test_binds_to_localhost_on_a_free_port():
    with FakeOpenAIServer() as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        assert server.port > 0
    with pytest.raises(RuntimeError):
        server.base_url  # noqa: B018


def test_returns_a_valid_openai_chat_completion():
    with FakeOpenAIServer() as server:
        status, headers, raw = post(server, chat("hello there, fake model"))
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    data = json.loads(raw)
    assert data["id"].startswith("chatcmpl-")
    assert data["object"] == "chat.completion"
    assert isinstance(data["created"], int)
    assert data["model"] == "fake-model"
    choice = data["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "Echo: hello there, fake model"}
    assert choice["finish_reason"] == "stop"
    usage = data["usage"]
    assert usage["prompt_tokens"] == 4
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert server.requests == 1
    assert server.bodies == [chat("hello there, fake model")]
    assert server.headers[0]["authorization"] == "Bearer sk-test"


def test_unknown_path_is_404():
    with FakeOpenAIServer() as server:
        status, _, _ = post(server, chat("x"), path="/embeddings")
    assert status == 404


def test_reply_hook_scripts_the_content():
    with FakeOpenAIServer(reply=lambda body: f"{len(body['messages'])} message(s)") as server:
        _, _, raw = post(server, chat("anything"))
    assert json.loads(raw)["choices"][0]["message"]["content"] == "1 message(s)"


def test_ranker_and_critic_prompts_get_valid_json():
    items = candidates(4)
    with FakeOpenAIServer() as server:
        _, _, raw = post(server, {"model": "m", "messages": prompts.ranker_messages("q?", items, {}, None)})
        ranking = parse_reply(json.loads(raw)["choices"][0]["message"]["content"], RankingReply)
        _, _, raw = post(server, {"model": "m", "messages": prompts.critic_messages("q?", items, None)})
        critique = parse_reply(json.loads(raw)["choices"][0]["message"]["content"], CritiqueReply)
    assert sorted(ranking.ranking) == [1, 2, 3, 4]
    assert [c.candidate for c in critique.critiques] == [1, 2, 3, 4]


def test_response_format_schema_gets_valid_json():
    schema = schema_of(RankingReply, items=6)
    body = chat("rank them", response_format={"type": "json_schema", "json_schema": {"name": "r", "schema": schema}})
    with FakeOpenAIServer() as server:
        _, _, raw = post(server, body)
    ranking = parse_reply(json.loads(raw)["choices"][0]["message"]["content"], RankingReply)
    assert sorted(ranking.ranking) == [1, 2, 3, 4, 5, 6]


def test_64_concurrent_requests_each_take_the_latency_once():
    latency = 1.0  # long enough for all 64 to be in flight at once even on a busy machine
    with FakeOpenAIServer(latency=latency) as server, ThreadPoolExecutor(64) as pool:
        start = time.perf_counter()
        results = list(pool.map(lambda i: post(server, chat(f"q{i}"))[0], range(64)))
        wall = time.perf_counter() - start
        assert server.in_flight == 0
    assert results == [200] * 64
    assert server.requests == 64
    assert server.max_in_flight == 64
    assert latency <= wall < 4 * latency  # one after another would take 64 s


def test_429_carries_retry_after():
    with FakeOpenAIServer(fail_first=1, fault_kinds=["429"], retry_after=2.5) as server:
        status, headers, raw = post(server, chat("x"))
        assert (status, headers["Retry-After"]) == (429, "2.5")
        assert json.loads(raw)["error"]["type"] == "rate_limit_error"
        assert post(server, chat("x"))[0] == 200  # only the first one failed
        assert server.faults == 1


@pytest.mark.parametrize("kind", ["400", "500", "503"])
def test_error_status_faults(kind):
    with FakeOpenAIServer(fail_first=1, fault_kinds=[kind]) as server:
        status, _, raw = post(server, chat("x"))
    assert status == int(kind)
    assert "error" in json.loads(raw)


def test_malformed_fault_is_a_200_that_is_not_json():
    with FakeOpenAIServer(fail_first=1, fault_kinds=["malformed"]) as server:
        status, _, raw = post(server, chat("x"))
    assert status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)


def test_fault_rate_is_seeded_and_repeatable():
    def statuses(seed: int) -> list[int]:
        kinds = ["429", "500", "503", "400", "malformed"]
        with FakeOpenAIServer(fault_rate=0.5, fault_kinds=kinds, seed=seed) as server:
            return [post(server, chat(str(i)))[0] for i in range(40)]

    first = statuses(7)
    assert first == statuses(7)
    assert first != statuses(8)
    assert 5 < sum(s != 200 for s in first) < 35
    assert {429, 500, 503, 400} <= set(first)


def test_rejects_unknown_fault_kinds():
    with pytest.raises(ValueError, match="fault_kinds"):
        FakeOpenAIServer(fault_kinds=["418"])


def test_truncated_fault_promises_more_body_than_it_sends():
    with FakeOpenAIServer(fail_first=1, fault_kinds=["truncated"]) as server:
        with pytest.raises(http.client.IncompleteRead) as cut:
            post(server, chat("x"))
        assert post(server, chat("x"))[0] == 200
    assert cut.value.expected > 0 and cut.value.partial.startswith(b'{"id": "chatcmpl-fake')
    assert server.injected == {"truncated": 1}


def test_timeout_fault_hangs_for_hang_s_and_stopping_the_server_ends_the_hang():
    server = FakeOpenAIServer(fail_first=1, fault_kinds=["timeout"], hang_s=30).start()
    start = time.perf_counter()
    with pytest.raises(OSError, match="timed out"):
        urllib.request.urlopen(urllib.request.Request(server.base_url + "/chat/completions", data=b"{}"), timeout=0.3)
    assert post(server, chat("x"))[0] == 200  # only the first request hung
    assert server.in_flight == 1  # the hung one is still held
    server.stop()
    deadline = time.perf_counter() + 5
    while server.in_flight and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert server.in_flight == 0
    assert time.perf_counter() - start < 10
    assert server.injected == {"timeout": 1}


def events_of(raw: bytes) -> list[dict | str]:
    """The server-sent events of a stream's body: each ``data:`` line's JSON (or ``[DONE]``)."""
    lines = [line[len(b"data: ") :] for line in raw.split(b"\n\n") if line.startswith(b"data: ")]
    return [line.decode() if line == b"[DONE]" else json.loads(line) for line in lines]


def test_a_stream_request_gets_server_sent_events_that_join_to_the_reply():
    body = {"model": "m", "messages": [{"role": "user", "content": "one two three"}]}
    with FakeOpenAIServer() as server:
        _, _, whole = post(server, body)
        status, headers, raw = post(server, {**body, "stream": True, "stream_options": {"include_usage": True}})
    assert status == 200 and headers["Content-Type"] == "text/event-stream"
    events = events_of(raw)
    assert events[-1] == "[DONE]"
    deltas = [e["choices"][0]["delta"].get("content", "") for e in events[:-1] if e["choices"]]
    completion = json.loads(whole)
    assert "".join(deltas) == completion["choices"][0]["message"]["content"]
    assert events[-3]["choices"][0]["finish_reason"] == "stop"
    assert events[-2]["choices"] == [] and events[-2]["usage"] == completion["usage"]


def test_a_truncated_stream_sends_half_its_events_and_closes_before_the_body_ends():
    body = {"model": "m", "messages": [{"role": "user", "content": "a b c d e f"}], "stream": True}
    with FakeOpenAIServer(fail_first=1, fault_kinds=["truncated"]) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        with pytest.raises(http.client.IncompleteRead) as caught:
            response.read()
    received = events_of(caught.value.partial)
    assert len(received) > 0 and "[DONE]" not in received
