"""Runs on the fake model to record (the guard against real model calls, ``no_model``, is in tests/conftest.py)."""

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
