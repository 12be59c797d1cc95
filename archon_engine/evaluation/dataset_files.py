"""Reading a dataset from a user's file (JSONL, CSV/TSV or JSON): rows read, converted, kind chosen, items checked."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from archon_engine.evaluation.dataset_layouts import (
    LAYOUT_KINDS,
    Converted,
    Problem,
    Row,
    clean_number,
    convert,
    detect,
    is_number,
    located,
    mapped,
    type_name,
)
from archon_engine.evaluation.dataset_models import (
    KINDS,
    LETTERS,
    ColumnMapping,
    Dataset,
    DatasetError,
    Item,
    TaskKind,
)

SUFFIXES = (".jsonl", ".ndjson", ".csv", ".tsv", ".json")


def load_dataset(
    path: str | Path,
    *,
    mapping: ColumnMapping | None = None,
    kind: TaskKind | None = None,
    name: str | None = None,
) -> Dataset:
    """Read a dataset from ``.jsonl``, ``.csv``/``.tsv`` or ``.json`` (a list of records, or an object with
    ``name``, ``kind``, ``description``, ``source`` and ``items``). ``kind`` and ``name`` override the file's."""
    path = Path(path)
    if kind is not None and kind not in KINDS:
        raise DatasetError(f"{path}: unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DatasetError(f"{path}: unsupported file type {path.suffix!r}; expected one of {', '.join(SUFFIXES)}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: the file is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc

    header: dict[str, Any] = {}
    columns: list[str] | None = None
    if suffix in (".csv", ".tsv"):
        columns, rows = _read_csv(path, text, "\t" if suffix == ".tsv" else ",")
    elif suffix == ".json":
        header, rows = _read_json(path, text)
    else:
        rows = _read_jsonl(path, text)
    if not rows:
        raise DatasetError(f"{path}: the file has no items")

    if mapping is not None:
        layout = "mapping"
        if columns is not None:
            _check_columns(path, columns, mapping)
    else:
        layout = detect(set(rows[0].data))
        if layout is None:
            raise DatasetError(
                f"{path}, {rows[0].where}: cannot tell the layout from the fields {sorted(rows[0].data)}; expected "
                "'prompt' (with 'reference'), 'question' and 'answer', 'question' and 'choices', 'text' and "
                "'test_list', HumanEval's 'task_id', 'prompt', 'test' and 'entry_point', or 'instruction' - "
                "or pass a ColumnMapping"
            )

    converted = [convert(path, row, layout, mapping) for row in rows]
    chosen = kind or header.get("kind") or LAYOUT_KINDS.get(layout) or _infer_kind([c.fields for c in converted])
    items = [_finish(path, c, chosen) for c in converted]
    _check_unique(path, converted, items)
    return Dataset(
        name=name or header.get("name") or path.stem,
        kind=chosen,
        description=header.get("description", ""),
        source=header.get("source") or str(path),
        items=items,
    )


# ---------------------------------------------------------------------------------------------------- reading


def _read_jsonl(path: Path, text: str) -> list[Row]:
    rows = []
    for lineno, line in enumerate(text.split("\n"), start=1):  # not splitlines(): U+2028 may sit in a JSON string
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}, line {lineno}: invalid JSON at column {exc.colno}: {exc.msg}") from exc
        except RecursionError:
            raise DatasetError(f"{path}, line {lineno}: invalid JSON: nested too deeply") from None
        if not isinstance(data, dict):
            raise DatasetError(f"{path}, line {lineno}: expected a JSON object, got {type_name(data)}")
        rows.append(Row(f"line {lineno}", len(rows) + 1, data))
    return rows


def _read_json(path: Path, text: str) -> tuple[dict[str, Any], list[Row]]:
    if not text.strip():
        return {}, []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}, line {exc.lineno}: invalid JSON at column {exc.colno}: {exc.msg}") from exc
    except RecursionError:
        raise DatasetError(f"{path}, line 1: invalid JSON: nested too deeply") from None
    header: dict[str, Any] = {}
    if isinstance(data, dict):
        if "items" not in data:
            raise DatasetError(
                f"{path}: expected a list of items or an object with 'items', got the fields {sorted(data)}"
            )
        header, data = {k: v for k, v in data.items() if k != "items"}, data["items"]
        _check_header(path, header)
    if not isinstance(data, list):
        field_name = ", field 'items'" if header or isinstance(data, dict) else ""
        raise DatasetError(f"{path}{field_name}: expected a list of items, got {type_name(data)}")
    rows = []
    for number, record in enumerate(data, start=1):
        if not isinstance(record, dict):
            raise DatasetError(f"{path}, item {number}: expected a JSON object, got {type_name(record)}")
        rows.append(Row(f"item {number}", number, record))
    return header, rows


def _check_header(path: Path, header: dict[str, Any]) -> None:
    for key, value in header.items():
        if key not in ("name", "kind", "description", "source"):
            raise DatasetError(f"{path}, field '{key}': unknown; a dataset has name, kind, description, source, items")
        if not isinstance(value, str):
            raise DatasetError(f"{path}, field '{key}': expected text, got {type_name(value)}")
    if "kind" in header and header["kind"] not in KINDS:
        raise DatasetError(f"{path}, field 'kind': unknown kind {header['kind']!r}; expected one of {', '.join(KINDS)}")


def _read_csv(path: Path, text: str, delimiter: str) -> tuple[list[str], list[Row]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        columns = [c.strip() for c in next(reader, [])]
        rows = []
        while True:
            start = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                break
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(columns):
                raise DatasetError(
                    f"{path}, line {start}: {len(values)} values but the header names {len(columns)} columns"
                )
            cells = {c: (v if v and v.strip() else None) for c, v in itertools.zip_longest(columns, values)}
            rows.append(Row(f"line {start}", len(rows) + 1, cells))
    except csv.Error as exc:
        raise DatasetError(f"{path}, line {reader.line_num}: malformed CSV ({exc})") from exc
    for index, column in enumerate(columns):
        if not column:
            raise DatasetError(f"{path}, line 1: column {index + 1} of the header has no name")
        if columns.index(column) != index:
            raise DatasetError(f"{path}, line 1, field '{column}': the header names this column twice")
    return columns, rows


def _check_columns(path: Path, columns: list[str], mapping: ColumnMapping) -> None:
    for key, column in mapped(mapping).items():
        if column not in columns:
            raise DatasetError(
                f"{path}, line 1, field '{column}': no such column (the mapping's {key}); "
                f"the columns are {', '.join(columns)}"
            )


# ---------------------------------------------------------------------------------------------------- kinds


def _infer_kind(items: list[dict[str, Any]]) -> TaskKind:
    if any(item.get("tests") for item in items):
        return "code"
    if any(item.get("choices") for item in items):
        return "choice"
    references = [item.get("reference") for item in items]
    if all(reference is None for reference in references):
        return "open"
    if all(reference is not None and is_number(reference) for reference in references):
        return "numeric"
    return "exact"


def _finish(path: Path, converted: Converted, kind: str) -> Item:
    """The item, checked against what its kind needs (numeric references cleaned)."""
    fields, sources = dict(converted.fields), converted.sources

    def problem(target: str, message: str) -> DatasetError:
        return located(path, converted.row.where, Problem(sources.get(target, target), message))

    reference = fields.get("reference")
    if kind in ("exact", "numeric", "choice") and reference is None:
        raise problem("reference", f"is missing: a{'n' if kind == 'exact' else ''} {kind} task needs a reference")
    if kind == "numeric":
        if not is_number(reference):
            raise problem("reference", f"{reference!r} is not a number, which a numeric task needs")
        fields["reference"] = clean_number(reference)
    if kind == "choice":
        if not fields.get("choices"):
            raise problem("choices", "is missing: a choice task needs options")
        if reference not in LETTERS[: len(fields["choices"])]:
            raise problem("reference", f"{reference!r} is not the letter of one of the options")
    if kind == "code" and not fields.get("tests"):
        raise problem("tests", "is missing: a code task needs tests")
    try:
        return Item.model_validate(fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        target = str(err["loc"][0]) if err["loc"] else "item"
        raise problem(target, err["msg"]) from None


def _check_unique(path: Path, converted: list[Converted], items: list[Item]) -> None:
    first: dict[str, str] = {}
    for entry, item in zip(converted, items, strict=True):
        if item.id in first:
            raise located(
                path,
                entry.row.where,
                Problem(entry.sources.get("id", "id"), f"the id {item.id!r} is already used on {first[item.id]}"),
            )
        first[item.id] = entry.row.where
