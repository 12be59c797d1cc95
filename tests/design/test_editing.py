"""replace_model: one model (or a provider's, or every one) replaced everywhere; models_in lists what a design calls."""

import pytest

from archon_engine import load_config
from archon_engine.design.editing import models_in, replace_model

TOGETHER_A = "together_ai/Qwen/Qwen2-72B-Instruct"
TOGETHER_B = "together_ai/meta-llama/Llama-3-70b-chat-hf"


@pytest.fixture
def design():
    return load_config(
        {
            "name": "mixed",
            "layers": [
                [
                    {"type": "generator", "model": TOGETHER_A, "samples": 2},
                    {"type": "generator", "model": TOGETHER_B},
                    {"type": "generator", "model": "gpt-4o", "api_base": "https://proxy.example/v1"},
                ],
                [{"type": "fuser", "model": TOGETHER_A, "temperature": 0.1}],
            ],
        }
    )


def models(arch):
    return [spec.model for layer in arch.layers for spec in layer]


def test_models_in_counts_the_components_that_call_each_model(design):
    assert models_in(design) == {TOGETHER_A: 2, TOGETHER_B: 1, "gpt-4o": 1}
    vote = load_config({"layers": [[{"type": "generator", "model": "m"}], [{"type": "majority_vote"}]]})
    assert models_in(vote) == {"m": 1}  # a vote calls no model


def test_one_model_is_replaced_wherever_it_is_used_and_nothing_else_changes(design):
    swapped = replace_model(design, "local/smollm2-135m", old=TOGETHER_A)
    assert models(swapped) == ["local/smollm2-135m", TOGETHER_B, "gpt-4o", "local/smollm2-135m"]
    assert swapped.layers[0][0].samples == 2 and swapped.layers[1][0].temperature == 0.1
    assert models(design)[0] == TOGETHER_A  # the original is untouched (undo keeps it)


def test_a_provider_pattern_replaces_every_model_of_that_provider(design):
    swapped = replace_model(design, "openai/qwen", old="together_ai/*", api_base="http://127.0.0.1:8000/v1")
    assert models(swapped) == ["openai/qwen", "openai/qwen", "gpt-4o", "openai/qwen"]
    assert [s.api_base for s in swapped.layers[0]] == ["http://127.0.0.1:8000/v1"] * 2 + ["https://proxy.example/v1"]


def test_every_model_is_replaced_and_the_old_endpoints_are_cleared(design):
    swapped = replace_model(design, "local/smollm2-135m")
    assert set(models(swapped)) == {"local/smollm2-135m"}
    assert all(spec.api_base is None for layer in swapped.layers for spec in layer)


def test_naming_a_model_the_design_does_not_use_or_no_model_is_refused(design):
    with pytest.raises(ValueError, match="this design uses no model 'anthropic/\\*'"):
        replace_model(design, "local/smollm2-135m", old="anthropic/*")
    with pytest.raises(ValueError, match="name the model"):
        replace_model(design, "  ", old=TOGETHER_A)
