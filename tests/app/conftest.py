"""Every app test keeps its run history, response cache and saved presets in a temporary folder.

The app's folder is on ``sys.path`` for the whole session, as ``streamlit run`` puts it there. Otherwise
AppTest adds and removes it around every script run, and an import in a job's thread at that moment can
miss site-packages (CPython's import walks the live ``sys.path`` list, and a removal shifts it under the
walk): a search then failed with "No module named 'alembic'" on a busy machine.

Helpers the app tests share come as fixtures (``session``, ``run_to_end``): with ``--import-mode=importlib`` a
conftest cannot be imported by name.
"""

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from archon_engine import FakeModel

APP_DIR = str(Path(__file__).resolve().parents[2] / "app")
if APP_DIR not in sys.path:
    sys.path.insert(0, APP_DIR)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHON_DATA_DIR", str(tmp_path))
    return tmp_path


APP = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"
BACKEND_KEY = "run_backend"  # app.jobs.base.BACKEND_KEY: the test hook for the model backend


def open_session(page: str, *, backend=None, architecture=None, **query) -> AppTest:
    """A new browser session opened on ``page`` (``views/<page>.py``) with the URL's ``query``, on ``backend``
    (a fake model: the tests never import litellm), with ``architecture`` as its design if given."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[BACKEND_KEY] = backend or FakeModel()
    at.query_params.update(query)
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception
    if architecture is not None:
        at.session_state["arch"] = architecture
        at.run()
    return at


def rerun_until(at: AppTest, done: Callable[[], bool], timeout: float = 30.0, what: str = "the job") -> AppTest:
    """Rerun the script until ``done()`` (what the page's fragments do in the browser twice a second), then once
    more for the full rerun that follows."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"{what} did not finish"
        time.sleep(0.05)
        at.run()
    at.run()
    assert not at.exception
    return at


def finish_run(at: AppTest, prompt: str = "What is 2 + 2?", timeout: float = 30.0) -> AppTest:
    """On the Run page: type ``prompt``, press Run and wait for the run to end."""
    at.text_area(key="run_prompt").set_value(prompt)
    next(b for b in at.button if b.label == "Run").click().run()
    assert not at.exception
    return rerun_until(at, lambda: at.session_state["run_job"].view.finished, timeout, "the run")


@pytest.fixture
def session():
    """``open_session``: a new browser session on a page."""
    return open_session


@pytest.fixture
def run_to_end():
    """``finish_run``: run the prompt on the Run page to its end."""
    return finish_run


@pytest.fixture
def wait_for():
    """``rerun_until``: rerun the script until a background job is done."""
    return rerun_until
