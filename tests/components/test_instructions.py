"""Instruction variants: a named variant or the user's own text, sent as the last paragraph of the user turn
(before the JSON format line for rankers and critics), visible in the trace and kept in exports."""

import pytest

from archon_engine import FakeModel, load_config, run, to_archon, validate
from archon_engine.components import registry
from archon_engine.components.instructions import VARIANTS, instruction_text, variant_of

PROMPT = "What is the capital of Japan?"


def generator(samples=2, **settings):
    return {"type": "generator", "model": "fake/gen", "samples": samples, **settings}


def calls_of(result, role):
    return [call for call in result.trace.calls if call.role == role]


def user_turn(call):
    return [m for m in call.messages if m["role"] == "user"][-1]["content"]


# The variants


def test_the_named_variants_and_their_text():
    assert VARIANTS == {
        "step_by_step": "Think step by step, then end with a line 'Answer: <answer>'.",
        "answer_only": "Reply with only the answer, no explanation.",
        "one_sentence": "Answer in one sentence.",
        "number_only": "Answer with just the number.",
    }


def test_any_other_text_is_the_users_own_instruction():
    assert instruction_text("answer_only") == VARIANTS["answer_only"]
    assert instruction_text("Answer with the city only.") == "Answer with the city only."
    assert variant_of("Answer with the city only.") == "custom"
    assert instruction_text(None) is None and instruction_text("  ") is None


@pytest.mark.parametrize("kind", ["generator", "fuser", "ranker", "critic"])
def test_generators_fusers_rankers_and_critics_offer_the_instruction_setting(kind):
    assert "instruction" in registry.get(kind).settings


# What is sent: checked in the trace


def test_a_generators_instruction_ends_the_user_turn_of_every_sample():
    result = run({"layers": [[generator(instruction="step_by_step")]]}, PROMPT, backend=FakeModel())

    calls = calls_of(result, "generate")
    assert len(calls) == 2
    for call in calls:
        assert call.messages == [{"role": "user", "content": f"{PROMPT}\n\n{VARIANTS['step_by_step']}"}]
    assert result.messages == [{"role": "user", "content": PROMPT}]  # the conversation itself is unchanged


def test_a_generators_instruction_comes_after_length_control_and_leaves_the_system_prompt_alone():
    arch = {
        "layers": [[generator(samples=1, instruction="number_only", length_control=True, system_prompt="Be kind.")]]
    }

    (call,) = calls_of(run(arch, PROMPT, backend=FakeModel()), "generate")

    assert call.messages[0] == {"role": "system", "content": "Be kind."}
    assert user_turn(call).endswith("\n\nAnswer with just the number.")
    assert user_turn(call).index("concise") < user_turn(call).index("Answer with just the number.")


def test_a_fusers_instruction_ends_its_user_turn():
    arch = {"layers": [[generator()], [{"type": "fuser", "instruction": "one_sentence"}]]}

    (call,) = calls_of(run(arch, PROMPT, backend=FakeModel()), "fuse")

    assert user_turn(call).endswith("\n\nAnswer in one sentence.")
    assert "one sentence" not in call.messages[0]["content"]  # not in the system message


def test_the_users_own_instruction_is_sent_as_it_is():
    arch = {"layers": [[generator()], [{"type": "fuser", "instruction": "Name the city and nothing else."}]]}

    (call,) = calls_of(run(arch, PROMPT, backend=FakeModel()), "fuse")

    assert user_turn(call).endswith("\n\nName the city and nothing else.")


@pytest.mark.parametrize(
    ("kind", "role", "format_line"), [("ranker", "rank", "Rank all"), ("critic", "critique", "Review all")]
)
def test_rankers_and_critics_get_the_instruction_before_the_json_format_line(kind, role, format_line):
    arch = {"layers": [[generator()], [{"type": kind, "instruction": "Prefer answers that name a city."}]]}
    if kind == "critic":
        arch["layers"].append([{"type": "fuser"}])

    (call,) = calls_of(run(arch, PROMPT, backend=FakeModel()), role)

    text = user_turn(call)
    assert "\n\nPrefer answers that name a city.\n\n" + format_line in text
    assert text.rstrip().endswith("}")  # the JSON format stays last


def test_without_an_instruction_nothing_is_added():
    result = run({"layers": [[generator(samples=1)]]}, PROMPT, backend=FakeModel())

    assert calls_of(result, "generate")[0].messages == [{"role": "user", "content": PROMPT}]


# Saved, exported and checked


def test_the_instruction_is_saved_and_round_trips_through_archon_json():
    arch = load_config(
        {"layers": [[generator(instruction="answer_only")], [{"type": "fuser", "instruction": "Be brief."}]]}
    )

    exported = to_archon(arch)

    assert exported["layers"][0][0]["instruction"] == "answer_only"
    assert exported["layers"][1][0]["instruction"] == "Be brief."
    assert load_config(exported) == arch
    assert arch.to_dict()["layers"][0][0]["instruction"] == "answer_only"


def test_a_blank_instruction_is_no_instruction():
    arch = load_config({"layers": [[generator(instruction="   ")]]})

    assert arch.layers[0][0].instruction is None


def test_a_misspelt_variant_name_is_a_warning_naming_the_variants():
    findings = validate(load_config({"layers": [[generator(instruction="step-by-step")]]}))

    [warning] = [f for f in findings if f.severity == "warning"]
    assert "instruction 'step-by-step' is not a named variant" in warning.message
    assert "step_by_step" in warning.message


def test_an_instruction_on_a_component_that_sends_none_is_a_warning():
    arch = load_config({"layers": [[generator()], [{"type": "verifier", "instruction": "answer_only"}]]})

    messages = [f.message for f in validate(arch) if f.component == "L1.C0"]
    assert any("a verifier sends no instruction" in m for m in messages)


def test_named_variants_and_sentences_are_not_warned_about():
    for instruction in [*VARIANTS, "Answer with the city only."]:
        arch = load_config({"layers": [[generator(samples=1, instruction=instruction)]]})
        assert validate(arch) == []
