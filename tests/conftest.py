"""Shared fixtures."""

import socket
from pathlib import Path

import pytest

ARCHON_CONFIGS = Path(__file__).resolve().parents[1].parent / "shared" / "archon-configs"


@pytest.fixture(scope="session")
def archon_configs() -> Path:
    """The public Archon configs (../shared/archon-configs next to the repository): test data, never skipped."""
    if not ARCHON_CONFIGS.is_dir():
        pytest.fail(f"the shared Archon configs are missing: expected a folder at {ARCHON_CONFIGS}")
    return ARCHON_CONFIGS


@pytest.fixture
def no_model(monkeypatch):
    """Every way out to a model fails loudly: litellm's backend, the embedded model, any socket connection."""
    from archon_engine.models import litellm_backend, local

    def refuse(*args, **kwargs):
        raise AssertionError("a replay tried to reach a model")

    monkeypatch.setattr(litellm_backend.LitellmBackend, "complete", refuse)
    monkeypatch.setattr(local.LocalModelPool, "complete", refuse)
    monkeypatch.setattr(local.LocalModelPool, "submit", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TOGETHERAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
