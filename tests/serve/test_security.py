"""Who may use the server: 127.0.0.1 unless a key guards it, ``Authorization: Bearer``, and no key echoed."""

import secrets

import httpx
import openai
import pytest

from archon_engine import FakeModel
from archon_engine.serve import DesignCatalog, InsecureBind, serve, server
from archon_engine.serve.security import check_bind
from archon_engine.storage.store import Store
from tests.serve.served import user

KEY = "archon-test-" + secrets.token_hex(16)


@pytest.fixture
def guarded(start_server):
    """The two-layer design behind KEY, on a model that repeats the prompt (as a careless model might)."""
    return start_server(api_key=KEY, backend=FakeModel(lambda request: f"You said: {request.messages[-1]['content']}"))


def test_with_the_key_everything_works(guarded):
    with guarded.client(api_key=KEY) as client:
        assert [m.id for m in client.models.list()] == ["two-layers"]
        assert client.chat.completions.create(model="two-layers", messages=user("Hi")).choices


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}])
def test_without_a_key_every_route_is_401(guarded, headers):
    for response in (
        httpx.get(f"{guarded.base_url}/models", headers=headers),
        httpx.post(f"{guarded.base_url}/chat/completions", headers=headers, json={"model": "two-layers"}),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_api_key"
        assert "Authorization: Bearer" in response.json()["error"]["message"]
    assert guarded.backend.requests == []


def test_a_wrong_key_is_401_and_neither_key_is_echoed(guarded):
    wrong = "wrong-" + secrets.token_hex(16)
    with guarded.client(api_key=wrong) as client, pytest.raises(openai.AuthenticationError) as caught:
        client.models.list()

    text = caught.value.response.text
    assert caught.value.status_code == 401 and "Incorrect API key provided" in text
    assert wrong not in text and KEY not in text and KEY not in str(caught.value.response.headers)


def test_the_servers_key_sent_in_a_prompt_never_comes_back(guarded):
    with guarded.client(api_key=KEY) as client:
        completion = client.chat.completions.create(
            model="two-layers", messages=user(f"my key is {KEY}"), extra_body={"archon_trace": True}
        )

    assert "[REDACTED]" in completion.choices[0].message.content
    assert (
        KEY not in completion.model_dump_json() and KEY not in guarded.store().run(completion.archon_run_id).to_json()
    )


def test_without_a_key_the_server_serves_only_this_machine():
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind(host, None)
    check_bind("0.0.0.0", KEY)
    for host in ("0.0.0.0", "::", "192.168.1.10", "archon.example.com"):
        with pytest.raises(InsecureBind, match=f"refusing to listen on {host} without --api-key"):
            check_bind(host, None)


def test_serve_itself_refuses_before_listening(tmp_path, monkeypatch):
    monkeypatch.setattr(server.uvicorn, "run", lambda *args, **kwargs: pytest.fail("uvicorn was started"))
    catalog = DesignCatalog.load([], presets=True)

    with pytest.raises(InsecureBind):
        serve(catalog, host="0.0.0.0", store=Store(tmp_path / "runs.sqlite"))
