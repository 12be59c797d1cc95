"""Evaluation datasets: items with a prompt and (usually) a reference, read from JSONL, CSV or JSON.

Without a ``ColumnMapping`` the layout is recognised from the fields of the first record:

- this project's own: ``prompt`` with optional ``reference``, ``choices``, ``tests``, ``entry_point``, ``metadata``;
- GSM8K: ``question`` and ``answer`` ending in ``#### 42`` (the reference is the number after ``####``);
- multiple choice: ``question``, ``choices`` (a list, or ARC's ``{"text", "label"}``) and ``answer`` (a letter,
  a 0-based index or the option's text; ``answerKey`` also works), or options in columns ``A``, ``B``, ...;
- MBPP: ``text`` (or ``prompt``), ``test_list`` and optional ``code``; HumanEval: ``task_id``, ``prompt``,
  ``test``, ``entry_point`` (its tests call ``check(entry_point)``);
- instructions: ``instruction`` (with optional ``input`` and ``output``) or ``prompt`` alone.

Fields that no layout reads are kept in ``Item.metadata``. Ids default to the record's number (1, 2, ...).
"""

from __future__ import annotations

import builtins
import csv
import functools
import io
import itertools
import json
import keyword
import random
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

TaskKind = Literal["exact", "numeric", "choice", "code", "open"]
KINDS: tuple[str, ...] = get_args(TaskKind)
DATA_DIR = Path(__file__).resolve().parent / "data"
LETTERS = string.ascii_uppercase
SUFFIXES = (".jsonl", ".ndjson", ".csv", ".tsv", ".json")


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


# ---------------------------------------------------------------------------------------------------- loading


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
        layout = _detect(set(rows[0].data))
        if layout is None:
            raise DatasetError(
                f"{path}, {rows[0].where}: cannot tell the layout from the fields {sorted(rows[0].data)}; expected "
                "'prompt' (with 'reference'), 'question' and 'answer', 'question' and 'choices', 'text' and "
                "'test_list', HumanEval's 'task_id', 'prompt', 'test' and 'entry_point', or 'instruction' - "
                "or pass a ColumnMapping"
            )

    converted = [_convert(path, row, layout, mapping) for row in rows]
    chosen = kind or header.get("kind") or _LAYOUT_KINDS.get(layout) or _infer_kind([c.fields for c in converted])
    items = [_finish(path, c, chosen) for c in converted]
    _check_unique(path, converted, items)
    return Dataset(
        name=name or header.get("name") or path.stem,
        kind=chosen,
        description=header.get("description", ""),
        source=header.get("source") or str(path),
        items=items,
    )


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


# ---------------------------------------------------------------------------------------------------- reading


@dataclass
class _Row:
    where: str  # "line 3" (JSONL, CSV) or "item 3" (JSON)
    number: int  # 1-based position among the records: the default id
    data: dict[str, Any]


class _Problem(Exception):
    """A problem with one field of one record; the loader adds the file and line."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _located(path: Path, where: str, problem: _Problem) -> DatasetError:
    at = f", field '{problem.field}'" if problem.field else ""
    return DatasetError(f"{path}, {where}{at}: {problem.message}")


def _read_jsonl(path: Path, text: str) -> list[_Row]:
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
            raise DatasetError(f"{path}, line {lineno}: expected a JSON object, got {_type_name(data)}")
        rows.append(_Row(f"line {lineno}", len(rows) + 1, data))
    return rows


def _read_json(path: Path, text: str) -> tuple[dict[str, Any], list[_Row]]:
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
        raise DatasetError(f"{path}{field_name}: expected a list of items, got {_type_name(data)}")
    rows = []
    for number, record in enumerate(data, start=1):
        if not isinstance(record, dict):
            raise DatasetError(f"{path}, item {number}: expected a JSON object, got {_type_name(record)}")
        rows.append(_Row(f"item {number}", number, record))
    return header, rows


def _check_header(path: Path, header: dict[str, Any]) -> None:
    for key, value in header.items():
        if key not in ("name", "kind", "description", "source"):
            raise DatasetError(f"{path}, field '{key}': unknown; a dataset has name, kind, description, source, items")
        if not isinstance(value, str):
            raise DatasetError(f"{path}, field '{key}': expected text, got {_type_name(value)}")
    if "kind" in header and header["kind"] not in KINDS:
        raise DatasetError(f"{path}, field 'kind': unknown kind {header['kind']!r}; expected one of {', '.join(KINDS)}")


def _read_csv(path: Path, text: str, delimiter: str) -> tuple[list[str], list[_Row]]:
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
            rows.append(_Row(f"line {start}", len(rows) + 1, cells))
    except csv.Error as exc:
        raise DatasetError(f"{path}, line {reader.line_num}: malformed CSV ({exc})") from exc
    for index, column in enumerate(columns):
        if not column:
            raise DatasetError(f"{path}, line 1: column {index + 1} of the header has no name")
        if columns.index(column) != index:
            raise DatasetError(f"{path}, line 1, field '{column}': the header names this column twice")
    return columns, rows


def _check_columns(path: Path, columns: list[str], mapping: ColumnMapping) -> None:
    for key, column in _mapped(mapping).items():
        if column not in columns:
            raise DatasetError(
                f"{path}, line 1, field '{column}': no such column (the mapping's {key}); "
                f"the columns are {', '.join(columns)}"
            )


def _mapped(mapping: ColumnMapping) -> dict[str, str]:
    """The columns a mapping requires: the ones set explicitly, and always the prompt."""
    required = mapping.model_fields_set | {"prompt"}
    return {key: column for key, column in mapping.model_dump().items() if key in required and column is not None}


# ---------------------------------------------------------------------------------------------------- layouts

_LAYOUT_KINDS: dict[str, TaskKind] = {
    "humaneval": "code",
    "mbpp": "code",
    "choice": "choice",
    "letters": "choice",
    "instruction": "open",
}


def _detect(keys: set[str]) -> str | None:
    asks = bool(keys & {"question", "prompt"})
    if {"task_id", "prompt", "test", "entry_point"} <= keys:
        return "humaneval"
    if "test_list" in keys and keys & {"text", "prompt"}:
        return "mbpp"
    if asks and "choices" in keys:
        return "choice"
    if asks and {"A", "B"} <= keys:
        return "letters"
    if asks and "answer" in keys:
        return "qa"
    if "instruction" in keys:
        return "instruction"
    if "prompt" in keys:
        return "native"
    if "question" in keys:
        return "qa"
    return None


@dataclass
class _Converted:
    row: _Row
    fields: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)  # item field -> the record's field it came from


class _Record:
    """One record being read: takes its fields and remembers which ones were used and where each went."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.used: set[str] = set()
        self.sources: dict[str, str] = {}

    def first(self, *keys: str) -> str:
        """The first of ``keys`` this record has (the first one if none)."""
        return next((k for k in keys if k in self.data), keys[0])

    def take(self, key: str, target: str | None = None) -> Any:
        self.used.add(key)
        if target:
            self.sources[target] = key
        return self.data.get(key)

    def text(self, key: str, target: str | None = None, *, required: bool = False, numbers: bool = False) -> str | None:
        return _text(self.take(key, target), key, required=required, numbers=numbers)


def _convert(path: Path, row: _Row, layout: str, mapping: ColumnMapping | None) -> _Converted:
    record = _Record(row.data)
    try:
        fields = _LAYOUTS[layout](record, mapping)
        id_key = mapping.id if mapping is not None else record.first("id", "task_id")
        item_id = record.text(id_key, "id", numbers=True) if id_key else None
        fields["id"] = item_id or str(row.number)
        metadata = fields.pop("metadata", None) or {}
        extra = {k: v for k, v in row.data.items() if k not in record.used and v is not None}
        fields["metadata"] = {**extra, **metadata}
    except _Problem as problem:
        raise _located(path, row.where, problem) from None
    return _Converted(row, fields, record.sources)


_NATIVE = ColumnMapping(id="id", choices="choices", tests="tests", entry_point="entry_point")


def _native(record: _Record, mapping: ColumnMapping | None) -> dict[str, Any]:
    fields = _mapped_fields(record, _NATIVE, {})
    metadata = record.take("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise _Problem("metadata", f"expected an object, got {_type_name(metadata)}")
    fields["metadata"] = metadata
    return fields


def _with_mapping(record: _Record, mapping: ColumnMapping | None) -> dict[str, Any]:
    assert mapping is not None
    return _mapped_fields(record, mapping, _mapped(mapping))


def _mapped_fields(record: _Record, mapping: ColumnMapping, required: dict[str, str]) -> dict[str, Any]:
    for key, column in required.items():
        if column not in record.data:
            raise _Problem(column, f"is missing (the mapping's {key})")
    prompt = record.text(mapping.prompt, "prompt", required=True)
    fields: dict[str, Any] = {"prompt": prompt}
    if mapping.reference:
        fields["reference"] = record.text(mapping.reference, "reference", numbers=True)
    if mapping.tests:
        fields["tests"] = _tests(record.take(mapping.tests, "tests"), mapping.tests)
    if mapping.entry_point:
        fields["entry_point"] = record.text(mapping.entry_point, "entry_point")
    if mapping.choices and record.data.get(mapping.choices) is not None:
        choices = _choices(record.take(mapping.choices, "choices"), mapping.choices)
        fields["choices"] = choices
        if fields.get("reference") is not None:
            fields["reference"] = _letter(fields["reference"], choices, mapping.reference or "reference")
        if not all(f"{LETTERS[i]}. {c}" in prompt for i, c in enumerate(choices)):
            fields["prompt"] = format_choices(prompt, choices)
    elif mapping.choices:
        record.take(mapping.choices)
    return fields


def _question_answer(record: _Record, mapping: ColumnMapping | None) -> dict[str, Any]:
    question = record.text(record.first("question", "prompt"), "prompt", required=True)
    answer_key = record.first("answer")
    answer = record.text(answer_key, "reference", numbers=True)
    fields: dict[str, Any] = {"prompt": question, "reference": answer}
    if answer is not None and "####" in answer:  # GSM8K: the worked solution, then "#### 42"
        rationale, _, final = answer.rpartition("####")
        final = final.strip()
        if not final:
            raise _Problem(answer_key, "nothing follows '####'")
        fields["reference"] = _clean_number(final)
        fields["metadata"] = {"rationale": rationale.strip()}
    return fields


def _multiple_choice(record: _Record, mapping: ColumnMapping | None) -> dict[str, Any]:
    question = record.text(record.first("question", "prompt"), "prompt", required=True)
    raw = record.take("choices", "choices")
    labels = None
    if isinstance(raw, dict) and "text" in raw:  # ARC: {"text": [...], "label": ["A", ...]}
        labels = raw.get("label")
        raw = raw["text"]
        if labels is not None and (
            not isinstance(labels, list) or not isinstance(raw, list) or len(labels) != len(raw)
        ):
            raise _Problem("choices", "'label' must be a list as long as 'text'")
    choices = _choices(raw, "choices")
    return _choice_fields(record, question, choices, [str(label) for label in labels] if labels else None)


def _letter_columns(record: _Record, mapping: ColumnMapping | None) -> dict[str, Any]:
    question = record.text(record.first("question", "prompt"), "prompt", required=True)
    choices = []
    for letter in LETTERS:
        if letter not in record.data:
            break
        option = record.text(letter, numbers=True)
        if option is None:
            break
        choices.append(option)
    record.sources["choices"] = "A"
    if len(choices) < 2:
        raise _Problem("B", "a choice task needs at least 2 options")
    return _choice_fields(record, question, choices, None)


def _choice_fields(record: _Record, question: str, choices: list[str], labels: list[str] | None) -> dict[str, Any]:
    answer_key = record.first("answer", "answerKey")
    answer = record.take(answer_key, "reference")
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        raise _Problem(answer_key, "is missing: a choice task needs the correct option")
    if labels and str(answer).strip() in labels:
        answer = labels.index(str(answer).strip())
    reference = _letter(answer, choices, answer_key)
    return {"prompt": format_choices(question, choices), "choices": choices, "reference": reference}


def _mbpp(record: _Record, mapping: ColumnMapping | None) -> dict[str, Any]:
    text_key = record.first("text", "prompt")
    task = record.text(text_key, "prompt", required=True)
    tests = _tests(record.take("test_list", "tests"), "test_list")
    if tests is None:
        raise _Problem("test_list", "is empty: a code task needs tests")
    setup = record.text("test_setup_code")
    code = record.text("code")
    fields: dict[str, Any] = {
        "prompt": f"{task}\nYour code should pass these tests:\n\n{tests}",
        "tests": f"{setup}\n{tests}" if setup else tests,
        "entry_point": _entry_point(code, tests),
    }
    if code:
        fields["metadata"] = {"solution": code}
    return fields


def _humaneval(record: _Record, mapping: ColumnMapping | None) -> dict[str, Any]:
    prompt = record.text("prompt", "prompt", required=True)
    entry_point = record.text("entry_point", "entry_point", required=True)
    if not entry_point.isidentifier():
        raise _Problem("entry_point", f"{entry_point!r} is not a Python name")
    test = record.text("test", "tests", required=True)
    fields: dict[str, Any] = {"prompt": prompt, "tests": f"{test}\ncheck({entry_point})\n", "entry_point": entry_point}
    solution = record.text("canonical_solution")
    if solution:
        fields["metadata"] = {"solution": prompt + solution}
    return fields


def _instruction(record: _Record, mapping: ColumnMapping | None) -> dict[str, Any]:
    instruction = record.text("instruction", "prompt", required=True)
    extra_input = record.text("input")
    return {
        "prompt": f"{instruction}\n\n{extra_input}" if extra_input else instruction,
        "reference": record.text("output", "reference", numbers=True),
    }


_LAYOUTS = {
    "native": _native,
    "mapping": _with_mapping,
    "qa": _question_answer,
    "choice": _multiple_choice,
    "letters": _letter_columns,
    "mbpp": _mbpp,
    "humaneval": _humaneval,
    "instruction": _instruction,
}


# ---------------------------------------------------------------------------------------------------- values


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    names = {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _text(value: Any, key: str, *, required: bool = False, numbers: bool = False) -> str | None:
    """Text from a field (numbers as text when ``numbers``); None when absent or blank, an error if ``required``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Problem(key, "is missing" if value is None else "is empty")
        return None
    if isinstance(value, str):
        return value
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    raise _Problem(key, f"expected text, got {_type_name(value)}")


def _choices(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise _Problem(key, f"looks like a JSON list but is not valid JSON ({exc.msg})") from None
            except RecursionError:
                raise _Problem(key, "looks like a JSON list but is nested too deeply") from None
        else:
            value = [part.strip() for part in stripped.split("|")]
    if not isinstance(value, list):
        raise _Problem(key, f"expected a list of options, got {_type_name(value)}")
    options = [_text(option, f"{key}[{i}]", required=True, numbers=True) or "" for i, option in enumerate(value)]
    if not 2 <= len(options) <= len(LETTERS):
        raise _Problem(key, f"a choice task needs 2 to {len(LETTERS)} options, got {len(options)}")
    return options


def _letter(answer: Any, choices: list[str], key: str) -> str:
    """The letter of the correct option, from a letter, an option's text or a 0-based index."""
    count = len(choices)
    span = f"A-{LETTERS[count - 1]}"
    if isinstance(answer, bool) or not isinstance(answer, str | int):
        raise _Problem(key, f"expected a letter, an option or an index, got {_type_name(answer)}")
    if isinstance(answer, str):
        text = answer.strip()
        letter = re.fullmatch(r"\(?([A-Za-z])[).:]?", text)
        if letter:
            index = LETTERS.index(letter.group(1).upper())
            if index >= count:
                raise _Problem(key, f"the answer {text!r} is not one of the {count} options ({span})")
            return LETTERS[index]
        if text in choices:
            return LETTERS[choices.index(text)]
        if not text.isdigit():
            raise _Problem(key, f"the answer {text!r} is not a letter ({span}), an option or an index")
        answer = int(text)
    if not 0 <= answer < count:
        raise _Problem(key, f"the answer index {answer} is out of range for {count} options (0-{count - 1})")
    return LETTERS[answer]


def _tests(value: Any, key: str) -> str | None:
    if isinstance(value, list):
        lines = [_text(line, f"{key}[{i}]", required=True) or "" for i, line in enumerate(value)]
        return "\n".join(lines) or None
    return _text(value, key)


def _entry_point(code: str | None, tests: str) -> str | None:
    """The function the tests call: one the code defines, else the first called name that is not a built-in."""
    called = re.findall(r"(?<![\w.])([A-Za-z_]\w*)\s*\(", tests)
    defined = set(re.findall(r"^def\s+([A-Za-z_]\w*)", code or "", re.MULTILINE))
    for name in called:
        if name in defined:
            return name
    return next((n for n in called if not keyword.iskeyword(n) and not hasattr(builtins, n)), None)


_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def _clean_number(text: str) -> str:
    """A number without thousands separators or a leading currency sign ("$1,200" -> "1200"); other text as is."""
    stripped = text.strip()
    sign = stripped[0] if stripped[:1] in "+-" and stripped[1:2] == "$" else ""
    candidate = (stripped[1:] if sign else stripped).removeprefix("$").replace(",", "")
    return sign + candidate if _NUMBER.fullmatch(candidate) else stripped


def _is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(_clean_number(text)))


# ---------------------------------------------------------------------------------------------------- kinds


def _infer_kind(items: list[dict[str, Any]]) -> TaskKind:
    if any(item.get("tests") for item in items):
        return "code"
    if any(item.get("choices") for item in items):
        return "choice"
    references = [item.get("reference") for item in items]
    if all(reference is None for reference in references):
        return "open"
    if all(reference is not None and _is_number(reference) for reference in references):
        return "numeric"
    return "exact"


def _finish(path: Path, converted: _Converted, kind: str) -> Item:
    """The item, checked against what its kind needs (numeric references cleaned)."""
    fields, sources = dict(converted.fields), converted.sources

    def problem(target: str, message: str) -> DatasetError:
        return _located(path, converted.row.where, _Problem(sources.get(target, target), message))

    reference = fields.get("reference")
    if kind in ("exact", "numeric", "choice") and reference is None:
        raise problem("reference", f"is missing: a{'n' if kind == 'exact' else ''} {kind} task needs a reference")
    if kind == "numeric":
        if not _is_number(reference):
            raise problem("reference", f"{reference!r} is not a number, which a numeric task needs")
        fields["reference"] = _clean_number(reference)
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


def _check_unique(path: Path, converted: list[_Converted], items: list[Item]) -> None:
    first: dict[str, str] = {}
    for entry, item in zip(converted, items, strict=True):
        if item.id in first:
            raise _located(
                path,
                entry.row.where,
                _Problem(entry.sources.get("id", "id"), f"the id {item.id!r} is already used on {first[item.id]}"),
            )
        first[item.id] = entry.row.where
