"""A package adds a component type and a scorer through entry points, without editing this project.

The package is built in a temporary folder as pip would install it (a module and a ``.dist-info`` with its
``entry_points.txt``), put on a new interpreter's path, and used through the public API alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PLUGIN = '''
from typing import Literal

from archon_engine.components import Component, Plan
from archon_engine.config import ComponentSpec
from archon_engine.evaluation.scorers.base import Score, Scorer


class ShouterSpec(ComponentSpec):
    type: Literal["shouter"] = "shouter"
    volume: int = 1


class Shouter(Component):
    """Upper-cases every candidate (no model call); the entry point names the class, no decorator needed."""

    type = "shouter"
    spec_class = ShouterSpec

    async def run(self, state):
        loud = [c.model_copy(update={"text": c.text.upper() + "!" * self.spec.volume}) for c in state.candidates]
        return self.output(candidates=loud)

    @classmethod
    def plan(cls, spec, n):
        return Plan(calls=0, depth=0, outputs=n)


class LoudScorer(Scorer):
    name = "loud"
    description = "1 when the output is in capitals"
    needs_reference = False

    async def score(self, item, output, *, client=None):
        return Score(value=float(output.isupper()), extracted=output)
'''

ENTRY_POINTS = """
[archon_engine.components]
shouter = shout_plugin:Shouter
broken = no_such_module:Nothing

[archon_engine.scorers]
loud = shout_plugin:LoudScorer
"""

USE_IT = """
import json, logging
logging.basicConfig(level=logging.WARNING)
from archon_engine import FakeModel, estimate, load_config, run, validate
from archon_engine.components import registry
from archon_engine.evaluation.datasets import Dataset, Item
from archon_engine.evaluation.records import EvaluationSpec, System
from archon_engine.evaluation.runner import evaluate
from archon_engine.evaluation.scorers import registry as scorers

arch = load_config({"layers": [[{"type": "generator", "samples": 2}], [{"type": "shouter", "volume": 2}]]})
fake = FakeModel(replies={"generate": ["paris", "lyon"]})
result = run(arch, "Capital of France?", backend=fake)
dataset = Dataset(name="one", kind="open", items=[Item(id="q", prompt="Capital of France?")])
spec = EvaluationSpec(systems=[System.of(arch, name="loud")], dataset=dataset, scorer="loud")
evaluation = evaluate(spec, backend=FakeModel(replies={"generate": ["paris"]}))
print(json.dumps({
    "types": registry.types(),
    "spec": type(arch.layers[1][0]).__name__,
    "volume": arch.layers[1][0].volume,
    "errors": [f.message for f in validate(arch) if f.severity == "error"],
    "calls": estimate(arch).calls,
    "answers": [c.text for c in result.layers[-1].candidates],
    "scorers": scorers.names(),
    "score": evaluation.results[0].score.value,
}))
"""


@pytest.fixture
def installed_plugin(tmp_path: Path) -> Path:
    """A folder holding the plugin as installed: its module and its distribution metadata."""
    (tmp_path / "shout_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = tmp_path / "shout_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shout-plugin\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    return tmp_path


def test_an_installed_plugin_adds_a_component_type_and_a_scorer(installed_plugin):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed_plugin), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", USE_IT], capture_output=True, text=True, env=env, cwd=installed_plugin, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])

    assert "shouter" in found["types"] and "generator" in found["types"]
    assert found["spec"] == "ShouterSpec" and found["volume"] == 2  # its own settings, typed
    assert found["errors"] == [] and found["calls"] == 2
    assert found["answers"] == ["PARIS!!", "LYON!!"]
    assert "loud" in found["scorers"] and "exact" in found["scorers"]
    assert found["score"] == 1.0  # the plugin's scorer judged the plugin's component's output
    # the broken entry point is named in a warning; it stopped nothing
    assert "plugin 'broken'" in done.stderr and "no_such_module" in done.stderr


def test_a_plugin_that_fails_to_load_is_skipped_with_a_warning(installed_plugin, monkeypatch, caplog):
    from archon_engine import plugins

    monkeypatch.syspath_prepend(str(installed_plugin))
    registered: list[type] = []

    loaded = plugins.load(plugins.COMPONENTS, registered.append)

    assert loaded == ["shouter"]
    assert [cls.__name__ for cls in registered] == ["Shouter"]
    assert "plugin 'broken'" in caplog.text and "ModuleNotFoundError" in caplog.text
