"""Evaluation datasets: items with a prompt and (usually) a reference, read from JSONL, CSV or JSON.

The module everyone imports from: the models (``dataset_models``), the file reader (``dataset_files``, with the
layouts it recognises in ``dataset_layouts``) and, here, the lookup of the shipped datasets.
"""

from __future__ import annotations

import functools
from pathlib import Path

from archon_engine.evaluation.dataset_files import SUFFIXES, load_dataset
from archon_engine.evaluation.dataset_models import (
    KINDS,
    LETTERS,
    ColumnMapping,
    Dataset,
    DatasetError,
    Item,
    TaskKind,
    format_choices,
)

__all__ = [
    "DATA_DIR",
    "KINDS",
    "LETTERS",
    "SUFFIXES",
    "ColumnMapping",
    "Dataset",
    "DatasetError",
    "Item",
    "TaskKind",
    "format_choices",
    "get_dataset",
    "load_dataset",
    "shipped_datasets",
]

DATA_DIR = Path(__file__).resolve().parent / "data"


def shipped_datasets() -> dict[str, Dataset]:
    """The datasets that come with Archon Studio (``archon_engine/evaluation/data``), by name."""
    return {name: dataset.model_copy(deep=True) for name, dataset in _shipped().items()}


def get_dataset(name_or_path: str | Path) -> Dataset:
    """A shipped dataset by name, else the dataset in the file at that path."""
    shipped = _shipped()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)].model_copy(deep=True)
    path = Path(name_or_path)
    if not path.exists():
        raise DatasetError(
            f"{name_or_path}: no shipped dataset has this name ({', '.join(sorted(shipped))}) and no file is there"
        )
    return load_dataset(path)


@functools.cache
def _shipped() -> dict[str, Dataset]:
    datasets = {}
    for path in sorted(DATA_DIR.glob("*.json")):
        dataset = load_dataset(path)
        if dataset.name != path.stem:
            raise DatasetError(f"{path}, field 'name': {dataset.name!r} differs from the file name {path.stem!r}")
        datasets[dataset.name] = dataset
    return datasets
