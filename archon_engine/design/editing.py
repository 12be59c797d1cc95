"""Edits of an architecture, each returning a new one (the old one stays as it was, for undo).

Positions are (layer index, component index). Invalid positions raise IndexError; settings that
fail validation raise ConfigError naming the field.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from archon_engine.components import registry
from archon_engine.config import DEFAULT_MODEL, Architecture, ComponentSpec, ConfigError, describe_validation_error
from archon_engine.models.keys import provider_of


def _layers(arch: Architecture) -> list[list[dict[str, Any]]]:
    """The layers as dicts of the settings that differ from their defaults (plus the type)."""
    return arch.to_dict()["layers"]


def _build(arch: Architecture, layers: list[list[dict[str, Any]]], **fields: Any) -> Architecture:
    data = {"name": arch.name, "description": arch.description, "layers": layers, **fields}
    try:
        return Architecture.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def new_component(type_name: str, model: str = DEFAULT_MODEL) -> dict[str, Any]:
    """A component of a type with its default settings."""
    return {"type": type_name, "model": model}


def rename(arch: Architecture, name: str, description: str | None = None) -> Architecture:
    return _build(arch, _layers(arch), name=name, description=arch.description if description is None else description)


def add_layer(
    arch: Architecture, index: int | None = None, type_name: str = "generator", model: str = DEFAULT_MODEL
) -> Architecture:
    layers = _layers(arch)
    layers.insert(len(layers) if index is None else index, [new_component(type_name, model)])
    return _build(arch, layers)


def remove_layer(arch: Architecture, index: int) -> Architecture:
    layers = _layers(arch)
    layers.pop(index)
    return _build(arch, layers)


def add_component(arch: Architecture, layer: int, component: dict[str, Any] | ComponentSpec) -> Architecture:
    layers = _layers(arch)
    layers[layer].append(
        component.settings() | {"type": component.type} if isinstance(component, ComponentSpec) else component
    )
    return _build(arch, layers)


def remove_component(arch: Architecture, layer: int, index: int) -> Architecture:
    """Remove a component; a layer left empty goes too."""
    layers = _layers(arch)
    layers[layer].pop(index)
    if not layers[layer]:
        layers.pop(layer)
    return _build(arch, layers)


def duplicate_component(arch: Architecture, layer: int, index: int) -> Architecture:
    layers = _layers(arch)
    layers[layer].insert(index + 1, dict(layers[layer][index]))
    return _build(arch, layers)


def move_component(arch: Architecture, source: tuple[int, int], target: tuple[int, int]) -> Architecture:
    """Move a component to (layer, position); a layer left empty goes too."""
    layers = _layers(arch)
    component = layers[source[0]].pop(source[1])
    layers[target[0]].insert(target[1], component)
    return _build(arch, [layer for layer in layers if layer])


def update_component(arch: Architecture, layer: int, index: int, **settings: Any) -> Architecture:
    """Change settings; changing ``type`` keeps the settings the new type shares."""
    layers = _layers(arch)
    layers[layer][index] = {**layers[layer][index], **settings}
    return _build(arch, layers)


def update_layer(arch: Architecture, layer: int, **settings: Any) -> Architecture:
    """The same settings on every component of one layer (negative indices count from the end)."""
    layers = _layers(arch)
    layers[layer] = [{**component, **settings} for component in layers[layer]]
    return _build(arch, layers)


def models_in(arch: Architecture) -> dict[str, int]:
    """The models the design calls, each with the number of components that call it, in order of use."""
    used = [spec.model for layer in arch.layers for spec in layer if registry.calls_a_model(spec)]
    return {model: used.count(model) for model in dict.fromkeys(used)}


def matches(model: str, old: str | None) -> bool:
    """Whether ``model`` is what ``old`` names: None is every model, ``provider/*`` every model of that
    litellm provider (``together_ai/*``), anything else one model by its exact name."""
    if old is None:
        return True
    if old.endswith("/*"):
        return provider_of(model) == old[:-2]
    return model == old


def replace_model(arch: Architecture, new: str, *, old: str | None = None, api_base: str | None = None) -> Architecture:
    """``new`` in place of the models ``old`` names (see ``matches``; None: every component's model), with
    ``api_base`` as the endpoint of the replaced components (None clears it: it was the old model's).

    The one function behind ``run --local``, the server's ``DESIGN:MODEL`` and the Design page's Replace.
    Raises ValueError when ``old`` names no model of the design (nothing would change).
    """
    new = new.strip()
    if not new:
        raise ValueError("name the model to put in")
    if old is not None and not any(matches(model, old) for model in models_in(arch)):
        raise ValueError(f"this design uses no model {old!r}")
    layers = [
        [
            {**component, "model": new, "api_base": api_base} if matches(spec.model, old) else component
            for component, spec in zip(layer, specs, strict=True)
        ]
        for layer, specs in zip(_layers(arch), arch.layers, strict=True)
    ]
    return _build(arch, layers)


def arrange(arch: Architecture, layout: list[list[tuple[int, int]]]) -> Architecture:
    """Rebuild the layers from positions of the current components (e.g. after a drag and drop).

    Each component must appear exactly once; empty layers are dropped.
    """
    positions = [pos for layer in layout for pos in layer]
    expected = [(i, j) for i, layer in enumerate(arch.layers) for j in range(len(layer))]
    if sorted(positions) != expected:
        raise ValueError("the new arrangement must hold every component exactly once")
    current = _layers(arch)
    return _build(arch, [[current[i][j] for i, j in layer] for layer in layout if layer])
