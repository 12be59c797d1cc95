"""The designs a server answers for, by model id: config files and folders, built-in presets, ``DESIGN:MODEL``.

A design's id is its file's stem (``presets/moa-lite.json`` is ``moa-lite``); a folder serves every
``*.json`` in it; ``presets=True`` adds the built-in presets by slug. ``DESIGN:MODEL`` (e.g.
``moa-lite:openai/gpt-4o-mini``) is DESIGN with every component on MODEL, reached as litellm reaches
it (each component's ``api_base`` belonged to its old model and is dropped).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from archon_engine.config import DEFAULT_MODEL, Architecture, ConfigError
from archon_engine.design.editing import replace_model, update_layer
from archon_engine.design.presets import list_presets
from archon_engine.loading import load_config
from archon_engine.serve.errors import model_not_found
from archon_engine.validation import ArchitectureError, validate


class DesignCatalog:
    """Served designs by id, each checked at start that it can run."""

    def __init__(self, designs: Mapping[str, Architecture]):
        if not designs:
            raise ConfigError("nothing to serve: give config files or folders, or --presets")
        for design_id, arch in designs.items():
            if ":" in design_id:
                raise ConfigError(f"design id {design_id!r}: ':' separates a design from a model, rename the file")
            errors = [f for f in validate(arch) if f.severity == "error"]
            if errors:
                raise ConfigError(f"design {design_id!r}: {ArchitectureError(errors)}")
        self._designs = dict(designs)

    @classmethod
    def load(cls, sources: Iterable[str | Path], *, presets: bool = False, local: bool = False) -> DesignCatalog:
        """Designs from config files and folders (and the built-in presets); ``local`` puts every
        component on the embedded model, as ``run --local`` does. Raises ConfigError naming the file."""
        named = [(path.stem, str(path), load_config(path)) for path in _config_files(sources)]
        if presets:
            named += [(p.slug, f"the preset {p.slug}", p.architecture) for p in list_presets() if p.builtin]
        designs: dict[str, Architecture] = {}
        origins: dict[str, str] = {}
        for design_id, origin, arch in named:
            if design_id in origins:
                raise ConfigError(f"two designs with the id {design_id!r}: {origins[design_id]} and {origin}")
            origins[design_id] = origin
            designs[design_id] = replace_model(arch, DEFAULT_MODEL) if local else arch
        return cls(designs)

    @property
    def ids(self) -> list[str]:
        return list(self._designs)

    def architectures(self) -> list[Architecture]:
        return list(self._designs.values())

    def resolve(self, model: str) -> Architecture:
        """The design a request's ``model`` names; raises the 404 ServeError if there is none."""
        if model in self._designs:
            return self._designs[model]
        design_id, _, override = model.partition(":")
        if design_id not in self._designs or not override.strip():
            raise model_not_found(model, self.ids)
        return replace_model(self._designs[design_id], override.strip())


def with_request_settings(arch: Architecture, *, temperature: float | None, max_tokens: int | None) -> Architecture:
    """The request's ``temperature`` and ``max_tokens`` on every component of the last layer (the answer's)."""
    settings = {"temperature": temperature, "max_tokens": max_tokens}
    given = {name: value for name, value in settings.items() if value is not None}
    return update_layer(arch, -1, **given) if given else arch


def _config_files(sources: Iterable[str | Path]) -> Iterator[Path]:
    for source in map(Path, sources):
        if not source.is_dir():
            yield source  # a missing file is reported by load_config, naming it
            continue
        files = sorted(source.glob("*.json"))
        if not files:
            raise ConfigError(f"{source}: no .json design in this folder")
        yield from files
