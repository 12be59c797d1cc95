"""Which calls lack an API key: environment, session keys, and custom endpoints."""

from archon_engine.models import keys


def test_a_provider_without_a_key_needs_one(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert keys.needs_key("gpt-4o")
    assert keys.needs_key("openai/gpt-4o")


def test_a_key_from_the_environment_or_the_session_is_enough(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert not keys.needs_key("anthropic/claude-x", session_keys={"anthropic": "sk-session"})
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env")
    assert not keys.needs_key("anthropic/claude-x")


def test_a_custom_endpoint_and_the_embedded_model_need_no_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert not keys.needs_key("openai/llama3", api_base="http://127.0.0.1:11434/v1")
    assert not keys.needs_key("local/smollm2-135m")
