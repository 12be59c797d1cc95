"""The Design page's "Use this design from code" works as printed: its Python and curl reach the served design."""

from __future__ import annotations

import contextlib
import io
import json
import shlex
import subprocess
from urllib.parse import urlparse

from archon_engine import FakeModel
from archon_engine.design.presets import BUILTIN_DIR
from archon_engine.design.usage import usage_from_code
from archon_engine.loading import load_config
from archon_engine.serve import DesignCatalog, create_app
from archon_engine.storage.store import Store
from tests.serve.served import in_background


def test_the_snippets_for_a_preset_answer_from_the_server_its_command_starts(tmp_path):
    design = load_config(BUILTIN_DIR / "moa-lite.json")
    assert usage_from_code(design).serve_command == "archon serve --presets"
    store = Store(tmp_path / "runs.sqlite")
    app = create_app(DesignCatalog.load([], presets=True), store=store, backend=FakeModel())

    with in_background(app) as base_url:
        usage = usage_from_code(design, port=urlparse(base_url).port)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(usage.python, {})  # the Python snippet, exactly as shown
        curl = subprocess.run(shlex.split(usage.curl.replace("\\\n", " ")), capture_output=True, text=True, timeout=30)

    runs = store.runs()
    assert len(runs) == 2 and {r.name for r in runs} == {"moa-lite (served)"}
    assert printed.getvalue().strip() in {r.answer for r in runs}
    assert json.loads(curl.stdout)["choices"][0]["message"]["content"] in {r.answer for r in runs}
