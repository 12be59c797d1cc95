"""Real runs on the fake model, for the explanations to read."""

import pytest

from archon_engine import FakeModel, load_config, run
from archon_engine.design.presets import BUILTIN_DIR


def run_preset(slug: str, fake: FakeModel | None = None, prompt: str = "What colour is the sky?"):
    return run(load_config(BUILTIN_DIR / f"{slug}.json"), prompt, backend=fake or FakeModel())


@pytest.fixture
def preset_run():
    return run_preset
