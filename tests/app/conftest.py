"""Every app test keeps its run history, response cache and saved presets in a temporary folder.

The app's folder is on ``sys.path`` for the whole session, as ``streamlit run`` puts it there. Otherwise
AppTest adds and removes it around every script run, and an import in a job's thread at that moment can
miss site-packages (CPython's import walks the live ``sys.path`` list, and a removal shifts it under the
walk): a search then failed with "No module named 'alembic'" on a busy machine.
"""

import sys
from pathlib import Path

import pytest

APP_DIR = str(Path(__file__).resolve().parents[2] / "app")
if APP_DIR not in sys.path:
    sys.path.insert(0, APP_DIR)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHON_DATA_DIR", str(tmp_path))
    return tmp_path
