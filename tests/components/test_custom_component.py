"""The custom component documented in docs/components.md works in every part of the engine."""

import re
from pathlib import Path

from archon_engine import FakeModel, estimate, load_config, run, validate
from archon_engine.components import registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "components.md"


def _register_documented_example() -> None:
    """Execute the Python block of the docs, exactly as a reader would copy it."""
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL).group(1)
    exec(compile(code, str(DOC), "exec"), {"__name__": "docs_example"})


def test_the_documented_example_registers_a_new_type():
    _register_documented_example()
    assert "deduplicator" in registry.types()


def test_a_registered_component_validates_estimates_and_runs():
    _register_documented_example()
    fake = FakeModel(replies={"generate": ["Paris", "paris ", "Lyon"]})
    arch = load_config({"layers": [[{"type": "generator", "samples": 3}], [{"type": "deduplicator"}]]})

    assert [f for f in validate(arch) if f.severity == "error"] == []
    assert estimate(arch).calls == 3

    result = run(arch, "Capital of France?", backend=fake)
    texts = [c.text for c in result.layers[-1].candidates]
    assert sorted(texts) == ["Lyon", "Paris"] or sorted(texts) == ["Lyon", "paris "]
    assert result.layers[-1].outputs[0].notes == ["dropped 1 duplicates"]
