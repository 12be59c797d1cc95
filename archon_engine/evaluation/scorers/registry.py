"""Scorers by name. Adding a scorer is one module with a ``@register``-ed class (listed in the package, or a
plugin's entry point)."""

from __future__ import annotations

from typing import Any

from archon_engine.evaluation.scorers.base import Scorer

_SCORERS: dict[str, type[Scorer]] = {}


def register(cls: type[Scorer]) -> type[Scorer]:
    _SCORERS[cls.name] = cls
    return cls


def names() -> list[str]:
    return list(_SCORERS)


def describe() -> dict[str, str]:
    return {name: cls.description for name, cls in _SCORERS.items()}


def get(name: str, **options: Any) -> Scorer:
    if name not in _SCORERS:
        raise ValueError(f"unknown scorer {name!r}; known: {', '.join(_SCORERS)}")
    return _SCORERS[name](**options)


DEFAULT_FOR_KIND = {"exact": "normalised", "numeric": "numeric", "choice": "choice", "code": "code", "open": "judge"}
