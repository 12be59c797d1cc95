"""Skip fusion when the candidates agree: no fusion call then, one when they differ, and the output says why."""

import pytest

from archon_engine import FakeModel, load_config, run, validate
from archon_engine.components.agreement import agree_probability, agreement, similarity
from archon_engine.config import ConfigError, SkipWhenAgree
from archon_engine.state import Candidate

PROMPT = "What is 6 times 7?"


def generator(samples=3):
    return {"type": "generator", "model": "fake/gen", "samples": samples, "seed": 0}


def fuser(**settings):
    return {"type": "fuser", "model": "fake/fuse", **settings}


def replying(*texts):
    """Sample i answers texts[i] (by its seed); fusions say "Fused"."""
    return FakeModel({"generate": [lambda request: texts[request.seed]], "fuse": ["Fused: 42"]})


def fuse_calls(fake):
    return [r for r in fake.requests if r.role == "fuse"]


def test_agreeing_candidates_pass_on_with_no_fusion_call():
    fake = replying("The answer is 42.", "I think it is 42", "42")
    arch = {"layers": [[generator()], [fuser(samples=2, skip_when_agree={"extractor": "last_number"})]]}

    result = run(arch, PROMPT, backend=fake)

    assert fuse_calls(fake) == [] and result.usage.calls == 3
    output = result.layers[1].outputs[0]
    assert output.fusion_skip.agreed == "42" and output.fusion_skip.saved == 2
    assert output.fusion_skip.copied == "L0.C0.s0" and output.fusion_skip.passed_on == "L1.C0.agreed"
    assert "3 of 3 candidates give the answer '42'" in output.fusion_skip.reason
    (passed,) = result.layers[1].candidates
    assert (passed.id, passed.source, passed.layer, passed.inputs) == ("L1.C0.agreed", "L1.C0", 1, ["L0.C0.s0"])
    assert result.answer == "The answer is 42."


def test_candidates_that_differ_are_fused_with_one_call():
    fake = replying("42", "41", "42")

    result = run(
        {"layers": [[generator()], [fuser(skip_when_agree={"extractor": "last_number"})]]}, PROMPT, backend=fake
    )

    assert len(fuse_calls(fake)) == 1
    assert result.layers[1].outputs[0].fusion_skip is None and result.answer == "Fused: 42"


def test_a_share_below_one_skips_when_enough_agree():
    fake = replying("42", "41", "42")
    skip = {"extractor": "last_number", "share": 0.6}

    result = run({"layers": [[generator()], [fuser(skip_when_agree=skip)]]}, PROMPT, backend=fake)

    assert fuse_calls(fake) == [] and "2 of 3 candidates" in result.layers[1].outputs[0].fusion_skip.reason


def test_without_skip_when_agree_agreeing_candidates_are_still_fused():
    fake = replying("42", "42", "42")

    run({"layers": [[generator()], [fuser()]]}, PROMPT, backend=fake)

    assert len(fuse_calls(fake)) == 1


def candidates(*texts):
    return [Candidate(id=f"c{i}", text=t, source="g", layer=0, model="m") for i, t in enumerate(texts)]


def test_near_identical_texts_agree_by_text_and_different_ones_do_not():
    by_text = SkipWhenAgree(by="text", similarity=0.9)

    same = agreement(by_text, candidates("Paris is the capital of France.", "paris is the capital of france"))
    assert same is not None and same.answer is None and same.candidate.id == "c0"
    assert "near-identical" in same.reason
    assert agreement(by_text, candidates("Paris is the capital.", "Lyon is a big city in France.")) is None
    assert similarity("A  b", "a b") == 1.0


def test_candidates_without_an_answer_count_against_agreement():
    assert agreement(SkipWhenAgree(extractor="last_number"), candidates("42", "no idea")) is None


def test_the_chance_of_agreement_under_the_estimate_s_assumption():
    assert agree_probability(SkipWhenAgree(), 3, 0.8) == pytest.approx(0.8**3)
    assert agree_probability(SkipWhenAgree(share=0.6), 3, 0.8) == pytest.approx(0.8**3 + 3 * 0.8**2 * 0.2)
    assert agree_probability(SkipWhenAgree(), 1, 0.8) == 1.0  # one candidate always agrees with itself


def test_true_turns_skip_when_agree_on_and_bad_settings_name_their_field():
    arch = load_config({"layers": [[generator()], [fuser(skip_when_agree=True)]]})
    assert arch.layers[1][0].skip_when_agree == SkipWhenAgree()

    with pytest.raises(ConfigError, match=r"layers\[1\]\[0\]\.skip_when_agree\.share"):
        load_config({"layers": [[generator()], [fuser(skip_when_agree={"share": 0.4})]]})
    findings = validate(load_config({"layers": [[generator()], [fuser(skip_when_agree={"extractor": "nope"})]]}))
    assert any(f.severity == "error" and f.message.startswith("skip_when_agree: unknown extractor") for f in findings)
