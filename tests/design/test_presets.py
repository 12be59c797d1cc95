"""Every preset is described, valid, runs, and makes exactly the calls its estimate says."""

from pathlib import Path

import pytest

from archon_engine import FakeModel, estimate, load_config, run, validate
from archon_engine.config import DEFAULT_MODEL

PRESETS = sorted((Path(__file__).resolve().parents[2] / "presets").glob("*.json"))
REQUIRED = {
    "single-model",
    "archon-readme-example",
    "sample-critic-rank-fuse",
    "moa-lite",
    "self-moa",
    "best-of-n-verifier",
    "unit-tests",
}


def test_the_required_presets_exist():
    assert {p.stem for p in PRESETS} >= REQUIRED


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_a_preset_is_described_and_runs_on_the_embedded_model_without_keys(path):
    arch = load_config(path)
    assert arch.name and len(arch.description) > 80
    assert {spec.model for layer in arch.layers for spec in layer} == {DEFAULT_MODEL}
    assert [f for f in validate(arch) if f.severity == "error"] == []


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_a_preset_makes_exactly_the_calls_its_estimate_predicts(path):
    arch = load_config(path)
    result = run(arch, "What is 2 + 2?", backend=FakeModel())
    assert result.status == "completed" and result.answer
    assert result.usage.calls == estimate(arch).calls


def test_the_adaptive_self_consistency_preset_stops_early_when_the_samples_agree():
    arch = load_config(PRESETS[0].parent / "self-consistency-adaptive.json")
    est = estimate(arch)
    assert est.calls == 8 and est.min_calls == 4  # at most 8 samples; 4 agreeing ones decide

    agreeing = run(arch, "What is 2 + 2?", backend=FakeModel({"generate": ["4"]}))
    assert agreeing.usage.calls == est.min_calls and agreeing.answer == "4"
    sampling = agreeing.layers[0].outputs[0].sampling
    assert sampling.drawn == 4 and sampling.saved == 4 and sampling.rule_met
