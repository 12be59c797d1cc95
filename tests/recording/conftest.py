"""Runs on the fake model to record, and a guard that fails any real model call or network connection."""

import socket

import pytest

from archon_engine import FakeModel, load_config, run
from archon_engine.design.presets import BUILTIN_DIR

SCRF = load_config(BUILTIN_DIR / "sample-critic-rank-fuse.json")  # 5 samples, critic, ranker, fuser: 8 calls
PROMPT = "What is the capital of Japan?"


@pytest.fixture
def scrf():
    return SCRF


@pytest.fixture
def recorded_run():
    """Make a run of the four-layer preset on a fake model (every sample differs) to record."""

    def make(latency: float = 0.0, backend=None, **kwargs):
        return run(SCRF, PROMPT, backend=backend or FakeModel(latency=latency), **kwargs)

    return make


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
