"""Component types: the built-in ones are listed here (installed plugins add theirs, see ``archon_engine.plugins``);
``registry`` looks them up by name."""

from archon_engine.components import (  # noqa: F401  (importing registers them)
    critic,
    fuser,
    generator,
    majority_vote,
    ranker,
    unit_test_evaluator,
    unit_test_generator,
    verifier,
)
from archon_engine.components.base import Component, Plan
from archon_engine.components.registry import get, register, types

__all__ = ["Component", "Plan", "get", "register", "types"]
