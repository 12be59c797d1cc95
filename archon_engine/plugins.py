"""Component types and scorers from other packages, found through entry points (as simonw/llm finds its plugins).

A package adds them without editing this project by declaring, in its ``pyproject.toml``::

    [project.entry-points."archon_engine.components"]
    deduplicator = "my_package.deduplicator"       # a module whose classes are @register-ed, or the class itself

    [project.entry-points."archon_engine.scorers"]
    length = "my_package.scorers:LengthScorer"

The built-in types and scorers register first; then ``import archon_engine`` loads every installed plugin,
once, after the whole engine is imported (so a plugin may import any part of it). A plugin that fails to
load is skipped with a warning naming it; it never stops the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points

COMPONENTS = "archon_engine.components"
SCORERS = "archon_engine.scorers"

log = logging.getLogger(__name__)


def load(group: str, register: Callable[[type], object]) -> list[str]:
    """Load every entry point of ``group``: a class is passed to ``register``, a module registers itself when
    imported. Returns the names of the entry points that loaded."""
    loaded = []
    for point in entry_points(group=group):
        try:
            found = point.load()
            if isinstance(found, type):
                register(found)
        except Exception as exc:  # a broken plugin is the plugin's problem, not the engine's
            log.warning(
                "plugin %r (%s = %s) could not be loaded: %s: %s",
                point.name,
                group,
                point.value,
                type(exc).__name__,
                exc,
            )
            continue
        loaded.append(point.name)
    return loaded


def load_all() -> None:
    """Load the component types and scorers of every installed plugin."""
    from archon_engine.components.registry import register as register_component
    from archon_engine.evaluation.scorers.registry import register as register_scorer

    load(COMPONENTS, register_component)
    load(SCORERS, register_scorer)
