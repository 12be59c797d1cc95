"""Every app test keeps its run history, response cache and saved presets in a temporary folder."""

import pytest


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHON_DATA_DIR", str(tmp_path))
    return tmp_path
