"""Architectures as data: loading, spec classes per component type, unknown fields, clear errors."""

import json

import pytest

from archon_engine import (
    Architecture,
    ComponentSpec,
    ConfigError,
    load_config,
    validate,
)
from archon_engine.components.generator import GeneratorSpec
from archon_engine.components.ranker import RankerSpec

TWO_STEP = {
    "name": "two-step",
    "description": "three samples, fused",
    "layers": [
        [{"type": "generator", "model": "gpt-4o", "samples": 3}],
        [{"type": "fuser", "temperature": 0.2}],
    ],
}


# Loading


def test_load_config_reads_a_dict_in_the_projects_json():
    arch = load_config(TWO_STEP)

    assert isinstance(arch, Architecture)
    assert arch.name == "two-step"
    assert arch.description == "three samples, fused"
    assert [[spec.type for spec in layer] for layer in arch.layers] == [["generator"], ["fuser"]]
    assert arch.layers[0][0].samples == 3
    assert arch.layers[1][0].temperature == 0.2


def test_load_config_reads_a_path_and_gives_the_same_architecture_as_the_dict(tmp_path):
    path = tmp_path / "two-step.json"
    path.write_text(json.dumps(TWO_STEP), encoding="utf-8")

    assert load_config(path) == load_config(TWO_STEP)
    assert load_config(str(path)) == load_config(TWO_STEP)


def test_unset_settings_take_their_defaults():
    spec = load_config({"layers": [[{"type": "generator"}]]}).layers[0][0]

    assert spec.model == "local/smollm2-135m"
    assert spec.temperature == 0.7
    assert spec.max_tokens == 2048
    assert spec.samples == 1


# Spec classes per component type


def test_a_component_type_is_dispatched_to_its_spec_class():
    arch = load_config({"layers": [[{"type": "generator", "samples": 3}], [{"type": "ranker"}]]})
    generator, ranker = arch.layers[0][0], arch.layers[1][0]

    assert type(generator) is GeneratorSpec
    assert type(ranker) is RankerSpec


def test_a_ranker_keeps_five_candidates_by_default_other_components_all():
    arch = load_config({"layers": [[{"type": "generator", "samples": 3}], [{"type": "ranker"}]]})

    assert arch.layers[1][0].top_k == 5
    assert arch.layers[0][0].top_k is None


# Unknown fields


def test_unknown_fields_are_kept_and_listed():
    spec = load_config({"layers": [[{"type": "generator", "checkpoint": "x", "batch_num": 2}]]}).layers[0][0]

    assert spec.unknown_fields == ["batch_num", "checkpoint"]
    assert spec.checkpoint == "x"


def test_unknown_fields_survive_to_dict():
    arch = load_config({"layers": [[{"type": "ranker", "ranker_config": {"batch": 16}}]]})

    exported = arch.to_dict()

    assert exported["layers"][0][0]["ranker_config"] == {"batch": 16}
    assert load_config(exported) == arch


def test_to_dict_writes_only_settings_that_differ_from_their_defaults():
    exported = load_config(TWO_STEP).to_dict()

    assert exported == {
        "name": "two-step",
        "description": "three samples, fused",
        "layers": [
            [{"type": "generator", "model": "gpt-4o", "samples": 3}],
            [{"type": "fuser", "temperature": 0.2}],
        ],
    }


# Errors name the field


def test_a_temperature_that_is_not_a_number_names_the_field_path():
    with pytest.raises(ConfigError, match=r"layers\[0\]\[0\]\.temperature"):
        load_config({"layers": [[{"type": "generator", "temperature": "hot"}]]})


def test_max_tokens_zero_names_the_field_path():
    with pytest.raises(ConfigError, match=r"layers\[1\]\[0\]\.max_tokens"):
        load_config({"layers": [[{"type": "generator"}], [{"type": "fuser", "max_tokens": 0}]]})


def test_a_temperature_above_two_is_rejected():
    with pytest.raises(ConfigError, match=r"layers\[0\]\[0\]\.temperature"):
        load_config({"layers": [[{"type": "generator", "temperature": 2.5}]]})


def test_a_component_without_a_type_names_its_position():
    with pytest.raises(ConfigError, match=r"layers\[0\]\[1\]: a component has no 'type'"):
        load_config({"layers": [[{"type": "generator"}, {"model": "gpt-4o"}]]})


def test_an_unknown_top_level_field_is_rejected_by_name():
    with pytest.raises(ConfigError, match="layer_count"):
        load_config({"layers": [[{"type": "generator"}]], "layer_count": 1})


def test_invalid_json_names_the_file_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "layers": [\n    [{"type": "generator",}]\n  ]\n}\n', encoding="utf-8")

    with pytest.raises(ConfigError) as info:
        load_config(path)

    message = str(info.value)
    assert "broken.json" in message
    assert "line 3" in message
    assert "column" in message


def test_a_missing_file_is_a_config_error_naming_it(tmp_path):
    with pytest.raises(ConfigError, match=r"nowhere\.json"):
        load_config(tmp_path / "nowhere.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"\xff\xfe{}", "is not UTF-8 text"), (b"[" * 100_000, "invalid JSON: nested too deeply")],
)
def test_a_file_that_is_not_readable_json_is_a_config_error_naming_it(tmp_path, content, message):
    path = tmp_path / "odd.json"
    path.write_bytes(content)

    with pytest.raises(ConfigError, match=f"odd.json: .*{message}"):
        load_config(path)


@pytest.mark.parametrize("top_level", ["[]", '"layers"', "42", "null"])
def test_a_top_level_that_is_not_an_object_is_a_config_error(tmp_path, top_level):
    path = tmp_path / "not-an-object.json"
    path.write_text(top_level, encoding="utf-8")

    with pytest.raises(ConfigError, match="must be a JSON object"):
        load_config(path)


# Unknown component types load; validate reports them


def test_an_unknown_component_type_loads_as_a_generic_spec():
    arch = load_config({"layers": [[{"type": "wizard", "spell": "fireball"}]]})
    spec = arch.layers[0][0]

    assert type(spec) is ComponentSpec
    assert spec.type == "wizard"
    assert spec.unknown_fields == ["spell"]


def test_validate_not_load_reports_an_unknown_component_type():
    arch = load_config({"layers": [[{"type": "wizard"}]]})

    errors = [f for f in validate(arch) if f.severity == "error"]

    assert any("unknown component type 'wizard'" in f.message for f in errors)


def test_a_generic_component_spec_is_read_into_its_types_spec_with_that_types_defaults():
    arch = Architecture(layers=[[ComponentSpec(type="generator", samples=3)], [ComponentSpec(type="ranker", top_k=2)]])
    ranker = arch.layers[1][0]
    assert isinstance(ranker, RankerSpec) and ranker.top_k == 2 and ranker.mode == "listwise"
    assert arch.layers[0][0].samples == 3
