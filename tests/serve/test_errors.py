"""Every error in OpenAI's format, ``{"error": {"message", "type", "param", "code"}}``, with its status."""

import secrets

import httpx
import openai
import pytest

from archon_engine import FakeModel
from archon_engine.models.base import ModelError
from archon_engine.serve import RUN_ID_HEADER, ServerLimits
from tests.serve.served import user


def post(served, body: dict | bytes) -> httpx.Response:
    url = f"{served.base_url}/chat/completions"
    return httpx.post(url, content=body) if isinstance(body, bytes) else httpx.post(url, json=body)


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert list(body) == ["error"] and list(body["error"]) == ["message", "type", "param", "code"]
    return body["error"]


def test_an_unknown_model_is_404(served):
    with served.client() as client, pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-5", messages=user("Hi"))

    assert caught.value.body["code"] == "model_not_found" and "'gpt-5' does not exist" in caught.value.message


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        ({"messages": [{"role": "user", "content": "Hi"}]}, "model", "model: Field required"),
        ({"model": "two-layers", "messages": []}, "messages", "messages: List should have at least 1 item"),
        ({"model": "two-layers", "messages": [{"role": "bot", "content": "Hi"}]}, "messages[0].role", "'user'"),
        (
            {"model": "two-layers", "messages": [{"role": "system", "content": "Hi"}]},
            "messages",
            "at least one user message",
        ),
        (
            {"model": "two-layers", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
            "messages[0].content",
            "no images",
        ),
        ({"model": "two-layers", "messages": user("Hi"), "temperature": 3}, "temperature", "less than or equal to 2"),
        ({"model": "two-layers", "messages": user("Hi"), "n": 2}, "n", "n: Input should be 1"),
        (
            {"model": "two-layers", "messages": user("Hi"), "archon_budget": {"max_call": 1}},
            "archon_budget.max_call",
            "Extra inputs are not permitted",
        ),
    ],
)
def test_a_bad_request_is_400_naming_the_field(served, body, param, message):
    response = post(served, body)

    assert response.status_code == 400
    error = error_of(response)
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert message in error["message"] and error["message"].startswith(param)
    assert served.backend.requests == []


def test_a_body_that_is_not_json_is_400(served):
    response = post(served, b"{not json")

    assert response.status_code == 400 and "not valid JSON" in error_of(response)["message"]


def test_an_unknown_route_is_404_in_the_same_format(served):
    response = httpx.post(f"{served.base_url}/completions", json={})

    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_a_run_that_reaches_its_budget_is_402_and_is_kept(served):
    with served.client() as client, pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(
            model="two-layers", messages=user("Hi"), extra_body={"archon_budget": {"max_calls": 2}}
        )

    error = caught.value
    assert error.status_code == 402
    assert (error.body["type"], error.body["code"]) == ("insufficient_quota", "budget_exceeded")
    assert "budget of 2 calls per run reached" in error.body["message"]
    assert error.response.headers["x-should-retry"] == "false"  # a retry would stop at the same cap
    run = served.store().run(error.response.headers[RUN_ID_HEADER])
    assert run.status == "budget_exceeded" and run.usage.calls == 2


def test_a_usd_cap_stops_the_run_before_the_call_that_would_pass_it(start_server):
    served = start_server(backend=FakeModel(cost_per_call=0.01))

    with served.client() as client, pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(
            model="two-layers", messages=user("Hi"), extra_body={"archon_budget": {"max_usd": 0.015}}
        )

    assert caught.value.status_code == 402 and "budget of $0.0150 per run reached" in caught.value.message


def test_a_provider_failure_is_502_with_its_message_and_no_key(start_server, monkeypatch):
    canary = "sk-canary-serve-" + secrets.token_hex(16)
    monkeypatch.setenv("OPENAI_API_KEY", canary)  # a key the server holds: redacted wherever it shows
    refusal = ModelError(f"AuthenticationError: Incorrect API key provided: {canary}")
    served = start_server(backend=FakeModel(replies={"generate": [refusal]}))

    response = post(served, {"model": "two-layers", "messages": user("Hi")})

    assert response.status_code == 502
    error = error_of(response)
    assert (error["type"], error["code"]) == ("upstream_error", "provider_error")
    assert "Incorrect API key provided: [REDACTED]" in error["message"]
    assert canary not in response.text and canary not in str(response.headers)
    run_id = response.headers[RUN_ID_HEADER]
    assert served.store().run(run_id).status == "failed"
    assert canary not in served.store().run(run_id).to_json()


def test_a_body_over_the_limit_is_413(start_server):
    served = start_server(limits=ServerLimits(max_body_bytes=2_000))

    response = post(served, {"model": "two-layers", "messages": user("x" * 5_000)})

    assert response.status_code == 413 and error_of(response)["code"] == "request_too_large"


def test_more_messages_than_the_limit_is_400(start_server):
    served = start_server(limits=ServerLimits(max_messages=3))

    response = post(served, {"model": "two-layers", "messages": user("Hi") * 4})

    assert response.status_code == 400
    assert error_of(response)["param"] == "messages" and "at most 3" in error_of(response)["message"]
