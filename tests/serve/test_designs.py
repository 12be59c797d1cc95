"""Which designs a server answers for: files and folders by stem, presets by slug, each checked at start."""

import json

import pytest

from archon_engine.config import DEFAULT_MODEL, ConfigError
from archon_engine.design.presets import list_presets
from archon_engine.serve import DesignCatalog
from tests.serve.served import TWO_LAYERS


def write(folder, name, config=TWO_LAYERS):
    path = folder / name
    path.write_text(json.dumps(config) if isinstance(config, dict) else config, encoding="utf-8")
    return path


def models(arch) -> set[str]:
    return {spec.model for layer in arch.layers for spec in layer}


def test_files_and_folders_are_served_by_file_stem(tmp_path):
    folder = tmp_path / "designs"
    folder.mkdir()
    write(folder, "a.json")
    write(folder, "b.json")

    catalog = DesignCatalog.load([folder, write(tmp_path, "single.json")])

    assert catalog.ids == ["a", "b", "single"]


def test_presets_are_served_by_slug():
    catalog = DesignCatalog.load([], presets=True)

    assert catalog.ids == [p.slug for p in list_presets() if p.builtin]
    assert "moa-lite" in catalog.ids


def test_local_puts_every_component_on_the_embedded_model(tmp_path):
    (arch,) = DesignCatalog.load([write(tmp_path, "two.json")], local=True).architectures()

    assert models(arch) == {DEFAULT_MODEL}


def test_design_colon_model_replaces_every_model_and_drops_the_old_endpoint(tmp_path):
    config = {"layers": [[{"type": "generator", "model": "hosted_vllm/llama", "api_base": "http://gpu:8000/v1"}]]}
    catalog = DesignCatalog.load([write(tmp_path, "vllm.json", config)])

    (spec,) = catalog.resolve("vllm:ollama/llama3:8b").layers[0]  # the model may hold a ':' itself

    assert (spec.model, spec.api_base) == ("ollama/llama3:8b", None)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"broken.json": '{"layers": ['}, "broken.json: invalid JSON at line 1"),
        ({"fuser-first.json": {"layers": [[{"type": "fuser"}]]}}, "design 'fuser-first': the architecture cannot run"),
        ({"a:b.json": TWO_LAYERS}, "':' separates a design from a model"),
    ],
)
def test_a_design_that_cannot_be_served_stops_the_start_naming_it(tmp_path, files, message):
    paths = [write(tmp_path, name, config) for name, config in files.items()]

    with pytest.raises(ConfigError, match=message):
        DesignCatalog.load(paths)


def test_two_designs_with_one_id_are_refused(tmp_path):
    (tmp_path / "other").mkdir()
    first, second = write(tmp_path, "same.json"), write(tmp_path / "other", "same.json")

    with pytest.raises(ConfigError, match=f"two designs with the id 'same': {first} and {second}"):
        DesignCatalog.load([first, second])


def test_an_empty_folder_or_nothing_at_all_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"no \.json design in this folder"):
        DesignCatalog.load([tmp_path])
    with pytest.raises(ConfigError, match="nothing to serve"):
        DesignCatalog.load([])
