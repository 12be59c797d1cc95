"""How one record of a dataset file becomes an item's fields: its layout recognised, its values checked.

Without a ``ColumnMapping`` the layout is recognised from the fields of the first record:

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
import json
import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archon_engine.evaluation.dataset_models import LETTERS, ColumnMapping, DatasetError, TaskKind, format_choices

# ---------------------------------------------------------------------------------------------------- records


@dataclass
class Row:
    where: str  # "line 3" (JSONL, CSV) or "item 3" (JSON)
    number: int  # 1-based position among the records: the default id
    data: dict[str, Any]


class Problem(Exception):
    """A problem with one field of one record; the loader adds the file and line."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def located(path: Path, where: str, problem: Problem) -> DatasetError:
    at = f", field '{problem.field}'" if problem.field else ""
    return DatasetError(f"{path}, {where}{at}: {problem.message}")


def mapped(mapping: ColumnMapping) -> dict[str, str]:
    """The columns a mapping requires: the ones set explicitly, and always the prompt."""
    required = mapping.model_fields_set | {"prompt"}
    return {key: column for key, column in mapping.model_dump().items() if key in required and column is not None}


# ---------------------------------------------------------------------------------------------------- layouts

LAYOUT_KINDS: dict[str, TaskKind] = {
    "humaneval": "code",
    "mbpp": "code",
    "choice": "choice",
    "letters": "choice",
    "instruction": "open",
}


def detect(keys: set[str]) -> str | None:
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
class Converted:
    row: Row
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


def convert(path: Path, row: Row, layout: str, mapping: ColumnMapping | None) -> Converted:
    record = _Record(row.data)
    try:
        fields = _LAYOUTS[layout](record, mapping)
        id_key = mapping.id if mapping is not None else record.first("id", "task_id")
        item_id = record.text(id_key, "id", numbers=True) if id_key else None
        fields["id"] = item_id or str(row.number)
        metadata = fields.pop("metadata", None) or {}
        extra = {k: v for k, v in row.data.items() if k not in record.used and v is not None}
        fields["metadata"] = {**extra, **metadata}
    except Problem as problem:
        raise located(path, row.where, problem) from None
    return Converted(row, fields, record.sources)


_NATIVE = ColumnMapping(id="id", choices="choices", tests="tests", entry_point="entry_point")


def _native(record: _Record, mapping: ColumnMapping | None) -> dict[str, Any]:
    fields = _mapped_fields(record, _NATIVE, {})
    metadata = record.take("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise Problem("metadata", f"expected an object, got {type_name(metadata)}")
    fields["metadata"] = metadata
    return fields


def _with_mapping(record: _Record, mapping: ColumnMapping | None) -> dict[str, Any]:
    assert mapping is not None
    return _mapped_fields(record, mapping, mapped(mapping))


def _mapped_fields(record: _Record, mapping: ColumnMapping, required: dict[str, str]) -> dict[str, Any]:
    for key, column in required.items():
        if column not in record.data:
            raise Problem(column, f"is missing (the mapping's {key})")
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
            raise Problem(answer_key, "nothing follows '####'")
        fields["reference"] = clean_number(final)
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
            raise Problem("choices", "'label' must be a list as long as 'text'")
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
        raise Problem("B", "a choice task needs at least 2 options")
    return _choice_fields(record, question, choices, None)


def _choice_fields(record: _Record, question: str, choices: list[str], labels: list[str] | None) -> dict[str, Any]:
    answer_key = record.first("answer", "answerKey")
    answer = record.take(answer_key, "reference")
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        raise Problem(answer_key, "is missing: a choice task needs the correct option")
    if labels and str(answer).strip() in labels:
        answer = labels.index(str(answer).strip())
    reference = _letter(answer, choices, answer_key)
    return {"prompt": format_choices(question, choices), "choices": choices, "reference": reference}


def _mbpp(record: _Record, mapping: ColumnMapping | None) -> dict[str, Any]:
    text_key = record.first("text", "prompt")
    task = record.text(text_key, "prompt", required=True)
    tests = _tests(record.take("test_list", "tests"), "test_list")
    if tests is None:
        raise Problem("test_list", "is empty: a code task needs tests")
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
        raise Problem("entry_point", f"{entry_point!r} is not a Python name")
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


def type_name(value: Any) -> str:
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
            raise Problem(key, "is missing" if value is None else "is empty")
        return None
    if isinstance(value, str):
        return value
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    raise Problem(key, f"expected text, got {type_name(value)}")


def _choices(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise Problem(key, f"looks like a JSON list but is not valid JSON ({exc.msg})") from None
            except RecursionError:
                raise Problem(key, "looks like a JSON list but is nested too deeply") from None
        else:
            value = [part.strip() for part in stripped.split("|")]
    if not isinstance(value, list):
        raise Problem(key, f"expected a list of options, got {type_name(value)}")
    options = [_text(option, f"{key}[{i}]", required=True, numbers=True) or "" for i, option in enumerate(value)]
    if not 2 <= len(options) <= len(LETTERS):
        raise Problem(key, f"a choice task needs 2 to {len(LETTERS)} options, got {len(options)}")
    return options


def _letter(answer: Any, choices: list[str], key: str) -> str:
    """The letter of the correct option, from a letter, an option's text or a 0-based index."""
    count = len(choices)
    span = f"A-{LETTERS[count - 1]}"
    if isinstance(answer, bool) or not isinstance(answer, str | int):
        raise Problem(key, f"expected a letter, an option or an index, got {type_name(answer)}")
    if isinstance(answer, str):
        text = answer.strip()
        letter = re.fullmatch(r"\(?([A-Za-z])[).:]?", text)
        if letter:
            index = LETTERS.index(letter.group(1).upper())
            if index >= count:
                raise Problem(key, f"the answer {text!r} is not one of the {count} options ({span})")
            return LETTERS[index]
        if text in choices:
            return LETTERS[choices.index(text)]
        if not text.isdigit():
            raise Problem(key, f"the answer {text!r} is not a letter ({span}), an option or an index")
        answer = int(text)
    if not 0 <= answer < count:
        raise Problem(key, f"the answer index {answer} is out of range for {count} options (0-{count - 1})")
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


def clean_number(text: str) -> str:
    """A number without thousands separators or a leading currency sign ("$1,200" -> "1200"); other text as is."""
    stripped = text.strip()
    sign = stripped[0] if stripped[:1] in "+-" and stripped[1:2] == "$" else ""
    candidate = (stripped[1:] if sign else stripped).removeprefix("$").replace(",", "")
    return sign + candidate if _NUMBER.fullmatch(candidate) else stripped


def is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(clean_number(text)))
