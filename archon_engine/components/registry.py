"""Component types by name. Registering a new type is one decorator on one class."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archon_engine.config import ComponentSpec, register_spec_class

if TYPE_CHECKING:
    from archon_engine.components.base import Component

_COMPONENTS: dict[str, type[Component]] = {}


def register(cls: type[Component]) -> type[Component]:
    """Class decorator: make ``cls`` available under ``cls.type`` in architectures."""
    _COMPONENTS[cls.type] = cls
    register_spec_class(cls.type, cls.spec_class)
    return cls


def get(type_name: str) -> type[Component] | None:
    return _COMPONENTS.get(type_name)


def types() -> list[str]:
    return list(_COMPONENTS)


def calls_a_model(spec: ComponentSpec) -> bool:
    """Whether ``spec``'s component calls a model (a majority vote does not); unknown types are assumed to."""
    component = get(spec.type)
    return component is None or component.plan(spec, 1).calls > 0


def model_or_method(spec: ComponentSpec) -> str:
    """What to name beside a component: its model, or for one that calls none, its extractor (or "no model")."""
    return spec.model if calls_a_model(spec) else spec.extractor or "no model"
