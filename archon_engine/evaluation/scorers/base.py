"""What a scorer is: it reads one output for one item and returns a Score between 0 and 1."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from archon_engine.evaluation.datasets import Item
from archon_engine.models.client import ModelClient


class Score(BaseModel):
    value: float = Field(ge=0, le=1)
    extracted: str | None = None  # what the scorer read from the output (a number, a letter)
    detail: str | None = None  # why: test failures, the judge's reasoning
    error: str | None = None  # the scorer could not score (the value is then 0)


class Scorer:
    """Base class. Subclasses set ``name`` and ``description`` and implement ``score``.

    ``needs_reference`` scorers need the item's reference answer; ``needs_model`` ones (judges)
    call a model through the ``client`` they are given, so their calls are traced and cached.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    needs_reference: ClassVar[bool] = True
    needs_model: ClassVar[bool] = False
    needs_baseline: ClassVar[bool] = False  # scored against a baseline system's output (``baseline=``)

    def __init__(self, **options: Any):
        self.options = options

    async def score(self, item: Item, output: str, *, client: ModelClient | None = None) -> Score:
        raise NotImplementedError


def missing_reference(item: Item) -> Score:
    return Score(value=0.0, error=f"item {item.id} has no reference answer to compare with")
