"""Data models of evaluation datasets: the kinds of task, ``Item``, ``Dataset``, ``ColumnMapping``, ``DatasetError``."""

from __future__ import annotations

import random
import string
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

TaskKind = Literal["exact", "numeric", "choice", "code", "open"]
KINDS: tuple[str, ...] = get_args(TaskKind)
LETTERS = string.ascii_uppercase


class DatasetError(ValueError):
    """A dataset that cannot be read; the message names the file, the line (or item) and the field."""


class Item(BaseModel):
    """One task: what the system is asked and how its answer is checked."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    prompt: str = Field(min_length=1)  # for choice tasks, the question with its lettered options formatted in
    reference: str | None = None  # the expected answer: text, a number as text, or a letter
    choices: list[str] | None = None  # multiple-choice options in order (A, B, C, ...)
    tests: str | None = None  # code tasks: Python asserts run after the candidate's code
    entry_point: str | None = None  # code tasks: the function the tests call
    metadata: dict[str, Any] = Field(default_factory=dict)


class Dataset(BaseModel):
    """A named list of items of one kind; the kind suggests the default scorer."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: TaskKind
    description: str = ""
    source: str = ""
    items: list[Item]

    @model_validator(mode="after")
    def _unique_ids(self) -> Dataset:
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise ValueError(f"dataset {self.name!r}: the id {item.id!r} is used by more than one item")
            seen.add(item.id)
        return self

    def split(self, dev_fraction: float = 0.5, seed: int = 0) -> tuple[Dataset, Dataset]:
        """(dev, held_out): a seeded shuffle cut in two, items kept in their order; both non-empty from 2 items."""
        if not 0 < dev_fraction < 1:
            raise ValueError(f"dev_fraction must be between 0 and 1 (exclusive), got {dev_fraction}")
        count = len(self.items)
        order = list(range(count))
        random.Random(seed).shuffle(order)
        cut = min(max(int(count * dev_fraction + 0.5), 1), count - 1) if count >= 2 else count
        return self._subset(sorted(order[:cut]), "dev"), self._subset(sorted(order[cut:]), "held-out")

    def head(self, n: int) -> Dataset:
        """The first ``n`` items (all of them if there are fewer)."""
        if n < 0:
            raise ValueError(f"head needs a count of 0 or more, got {n}")
        return self._subset(list(range(min(n, len(self.items)))), None)

    def _subset(self, indices: list[int], part: str | None) -> Dataset:
        items = [self.items[i].model_copy(deep=True) for i in indices]
        name = f"{self.name}-{part}" if part else self.name
        return self.model_copy(update={"name": name, "items": items})


class ColumnMapping(BaseModel):
    """Which column (CSV) or field (JSON) holds what. Columns set explicitly must exist; ``id=None`` numbers rows.

    ``choices`` may hold a list, a JSON array or options separated by ``|``; ``tests`` text or a list of asserts.
    """

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    prompt: str = "prompt"
    reference: str | None = "reference"
    choices: str | None = None
    tests: str | None = None
    entry_point: str | None = None


def format_choices(question: str, choices: list[str]) -> str:
    """The prompt of a choice task: the question, its options lettered ``A. ...``, and how to answer."""
    options = "\n".join(f"{LETTERS[i]}. {choice}" for i, choice in enumerate(choices))
    return f"{question.strip()}\n\n{options}\n\nAnswer with the letter of the correct option."
