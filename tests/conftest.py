"""Shared fixtures."""

from pathlib import Path

import pytest

ARCHON_CONFIGS = Path(__file__).resolve().parents[1].parent / "shared" / "archon-configs"


@pytest.fixture(scope="session")
def archon_configs() -> Path:
    """The public Archon configs (../shared/archon-configs next to the repository): test data, never skipped."""
    if not ARCHON_CONFIGS.is_dir():
        pytest.fail(f"the shared Archon configs are missing: expected a folder at {ARCHON_CONFIGS}")
    return ARCHON_CONFIGS
