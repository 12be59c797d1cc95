"""A served design on the fake model: the server runs on 127.0.0.1 (a free port) in a background thread,
and the tests talk to it with the official ``openai`` client, as a user's code would."""

from __future__ import annotations

import json
from contextlib import ExitStack

import pytest

from archon_engine import FakeModel
from archon_engine.serve import DesignCatalog, ServerLimits, create_app
from archon_engine.storage.store import Store
from tests.serve.served import TWO_LAYERS, Served, in_background


@pytest.fixture
def start_server(tmp_path):
    """``start_server(backend=..., api_key=..., limits=..., designs={id: config})`` -> Served, stopped after the test.

    The designs are written to files in a folder and served from it, as ``serve DIR`` does.
    """
    with ExitStack() as running:

        def start(
            *,
            backend: FakeModel | None = None,
            api_key: str | None = None,
            limits: ServerLimits | None = None,
            designs: dict[str, dict] | None = None,
        ) -> Served:
            folder = tmp_path / f"designs-{len(list(tmp_path.glob('designs-*')))}"
            folder.mkdir()
            for design_id, config in (designs or {"two-layers": TWO_LAYERS}).items():
                (folder / f"{design_id}.json").write_text(json.dumps(config), encoding="utf-8")
            backend = backend or FakeModel()
            store_path = tmp_path / "runs.sqlite"
            app = create_app(
                DesignCatalog.load([folder]), store=Store(store_path), backend=backend, api_key=api_key, limits=limits
            )
            return Served(running.enter_context(in_background(app)), store_path, backend)

        yield start


@pytest.fixture
def served(start_server) -> Served:
    """The two-layer design served on a FakeModel with the default limits and no key."""
    return start_server()
