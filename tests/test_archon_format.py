"""Archon's JSON: the whole public config set imports and round-trips; model names, deprecated layers."""

import pytest

from archon_engine import ConfigError, load_config, to_archon, validate

INVALID_JSON_FILES = {
    "archon-1-110bFuser-1-110bRanker5-8-70BM.json",
    "archon-1-110bFuser-1-110bRanker3-8-70BM3S.json",
}


def archon_component(**fields):
    """One Archon component with the fields every Archon config writes."""
    return {"type": "generator", "temperature": 0.7, "max_tokens": 2048, "samples": 1} | fields


def one_component(component):
    return {"name": "one", "layers": [[component]]}


# The whole public config set


def load_all(folder):
    """(loaded architectures by file, ConfigErrors by file) over every JSON file in the folder."""
    loaded, failed = {}, {}
    for path in sorted(folder.rglob("*.json")):
        try:
            loaded[path] = load_config(path)
        except ConfigError as exc:
            failed[path] = str(exc)
    return loaded, failed


def test_the_shared_folder_holds_292_json_files(archon_configs):
    assert len(list(archon_configs.rglob("*.json"))) == 292


def test_290_public_configs_load(archon_configs):
    loaded, _ = load_all(archon_configs)

    assert len(loaded) == 290


def test_exactly_the_two_invalid_json_files_fail_with_their_name_and_line(archon_configs):
    _, failed = load_all(archon_configs)

    assert {path.name for path in failed} == INVALID_JSON_FILES
    for path, message in failed.items():
        assert path.name in message
        assert "line" in message


def test_every_public_config_round_trips_through_archon_json(archon_configs):
    loaded, _ = load_all(archon_configs)
    broken = []
    for path, arch in loaded.items():
        exported = to_archon(arch)
        reloaded = load_config(exported)
        if reloaded != arch:
            broken.append(f"{path.name}: reloaded architecture differs")
        elif to_archon(reloaded) != exported:
            broken.append(f"{path.name}: second export differs from the first")

    assert broken == []


# model_type <-> litellm names

MODEL_NAMES = [
    ("Together_API", "Qwen/Qwen2-72B-Instruct", "together_ai/Qwen/Qwen2-72B-Instruct"),
    ("OpenAI_API", "gpt-4o", "gpt-4o"),
    ("Anthropic_API", "claude-3-5-sonnet-20240620", "anthropic/claude-3-5-sonnet-20240620"),
    ("Google_API", "gemini-1.5-pro", "gemini/gemini-1.5-pro"),
    ("Groq_API", "llama-3.1-70b-versatile", "groq/llama-3.1-70b-versatile"),
    ("Bedrock_API", "meta.llama3-70b-instruct-v1:0", "bedrock/meta.llama3-70b-instruct-v1:0"),
    ("vLLM", "facebook/opt-125m", "hosted_vllm/facebook/opt-125m"),
]


@pytest.mark.parametrize(("model_type", "archon_model", "litellm_model"), MODEL_NAMES)
def test_import_turns_model_type_into_a_litellm_name(model_type, archon_model, litellm_model):
    arch = load_config(one_component(archon_component(model=archon_model, model_type=model_type)))

    assert arch.layers[0][0].model == litellm_model


@pytest.mark.parametrize(("model_type", "archon_model", "litellm_model"), MODEL_NAMES)
def test_export_turns_a_litellm_name_back_into_model_and_model_type(model_type, archon_model, litellm_model):
    arch = load_config({"layers": [[{"type": "generator", "model": litellm_model}]]})

    exported = to_archon(arch)["layers"][0][0]

    assert (exported["model"], exported["model_type"]) == (archon_model, model_type)


def test_a_model_already_carrying_its_provider_prefix_is_not_prefixed_twice(archon_configs):
    arch = load_config(archon_configs / "llama3-70b-bedrock.json")

    assert arch.layers[0][0].model == "bedrock/meta.llama3-70b-instruct-v1:0"


def test_an_empty_model_type_keeps_the_model_name_as_it_is():
    pairrm = archon_component(type="ranker", model="llm-blender/PairRM", model_type="", top_k=3)
    arch = load_config({"layers": [[archon_component(model="gpt-4o", model_type="OpenAI_API")], [pairrm]]})

    assert arch.layers[1][0].model == "llm-blender/PairRM"
    assert to_archon(arch)["layers"][1][0]["model_type"] == ""


def test_an_unknown_model_type_is_a_config_error_naming_it():
    config = one_component(archon_component(model="some-model", model_type="Mystery_API"))

    with pytest.raises(ConfigError, match="Mystery_API"):
        load_config(config)


def test_export_writes_every_layer_as_a_list_with_archons_core_fields():
    arch = load_config({"name": "two", "layers": [[{"type": "generator", "samples": 2}], [{"type": "fuser"}]]})

    exported = to_archon(arch)

    assert exported["name"] == "two"
    assert all(isinstance(layer, list) for layer in exported["layers"])
    for component in (c for layer in exported["layers"] for c in layer):
        assert {"type", "model", "model_type", "temperature", "max_tokens", "samples"} <= component.keys()


# Deprecated layer shapes


def test_a_branches_layer_expands_to_its_models_replicated_branches_times():
    config = {
        "layers": [
            {
                "branches": 2,
                "models": [
                    archon_component(model="model-a", model_type="Together_API"),
                    archon_component(model="model-b", model_type="Together_API"),
                ],
            },
            {"branches": 1, "models": [archon_component(type="fuser", model="gpt-4o", model_type="OpenAI_API")]},
        ]
    }

    arch = load_config(config)

    assert [spec.model for spec in arch.layers[0]] == [
        "together_ai/model-a",
        "together_ai/model-b",
        "together_ai/model-a",
        "together_ai/model-b",
    ]
    assert [spec.type for spec in arch.layers[1]] == ["fuser"]


def test_a_real_branches_config_expands_five_branches_into_five_generators(archon_configs):
    arch = load_config(archon_configs / "archon-1-110bFuser-5-110bM.json")

    assert [spec.model for spec in arch.layers[0]] == ["together_ai/Qwen/Qwen1.5-110B-Chat"] * 5
    assert [spec.type for spec in arch.layers[1]] == ["fuser"]


def test_branches_that_are_not_a_positive_integer_are_a_config_error():
    config = {"layers": [{"branches": 0, "models": [archon_component(model="m", model_type="Together_API")]}]}

    with pytest.raises(ConfigError, match="branches"):
        load_config(config)


def test_branches_that_would_make_a_huge_layer_are_a_config_error_not_a_hang():
    config = {"layers": [{"branches": 10**12, "models": [archon_component(model="m", model_type="Together_API")]}]}

    with pytest.raises(ConfigError, match="makes 1000000000000 components, more than 1000 in one layer"):
        load_config(config)


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"branches": 2, "models": [1]}, r"layers\[0\]\[0\]: a component must be an object"),
        ([archon_component(model="m", model_type=["Together_API"])], "'model_type' must be text, got list"),
    ],
)
def test_odd_values_in_archon_layers_are_config_errors_naming_the_place(layer, message):
    with pytest.raises(ConfigError, match=message):
        load_config({"layers": [layer]})


def test_a_bare_component_layer_becomes_a_one_component_layer(archon_configs):
    arch = load_config(archon_configs / "archon-vllm-example.json")

    assert len(arch.layers) == 1
    assert len(arch.layers[0]) == 1
    assert arch.layers[0][0].type == "generator"
    assert arch.layers[0][0].model == "hosted_vllm/facebook/opt-125m"


# Archon's misspelling length_contorl


def length_contorl_config():
    return {
        "layers": [
            [archon_component(model="model-a", model_type="Together_API", samples=3)],
            [archon_component(type="fuser", model="model-b", model_type="Together_API", length_contorl=True)],
        ]
    }


def test_length_contorl_is_honoured_as_length_control():
    fuser = load_config(length_contorl_config()).layers[1][0]

    assert fuser.length_control is True


def test_validate_warns_about_the_length_contorl_spelling():
    findings = validate(load_config(length_contorl_config()))

    assert any(f.severity == "warning" and "'length_contorl'" in f.message and f.component == "L1.C0" for f in findings)


def test_export_keeps_archons_spelling_so_archon_reads_it_again():
    exported = to_archon(load_config(length_contorl_config()))["layers"][1][0]

    assert exported["length_contorl"] is True
    assert "length_control" not in exported


def test_length_contorl_in_the_projects_own_json_is_honoured_too():
    """validate() says the misspelling 'is read as length_control': it must be, in either JSON."""
    arch = load_config({"layers": [[{"type": "generator", "samples": 3}], [{"type": "fuser", "length_contorl": True}]]})

    assert arch.layers[1][0].length_control is True


def test_a_project_config_with_length_contorl_round_trips_through_archon_json():
    arch = load_config({"layers": [[{"type": "generator", "samples": 3}], [{"type": "fuser", "length_contorl": True}]]})

    assert load_config(to_archon(arch)) == arch


def test_a_public_length_control_config_turns_length_control_on(archon_configs):
    name = (
        "MoA_three_proposer_layers_of_70Bx8_models_to_4_models_to_2_models_with_Qwen2_72B_"
        "for_aggregation_layer_length_control.json"
    )
    arch = load_config(archon_configs / name)
    flagged = [spec for layer in arch.layers for spec in layer if "length_contorl" in spec.unknown_fields]

    assert flagged
    assert all(spec.length_control for spec in flagged)
