"""Answer extractors for ``majority_vote``: each reads one answer from a candidate's text, normalised
so that equal answers compare equal ("1,000" and "1000.0" are both "1000"), or None if it finds none.

An extractor is one function, registered by name with a decorator::

    @extractor("last_number", "The last number in the text.")
    def last_number(text: str, spec: ComponentSpec) -> str | None: ...

``needs`` names the spec fields it reads (``validate`` reports a missing one) and ``check`` may reject
a spec (a regex that does not compile). Extractors may block: the component runs them in a worker
thread (``code_output`` runs each candidate's code in the evaluation sandbox).

Where a text has answer markers ("Answer: 42", "the answer is B"), the number, letter and short-text
extractors read what follows the last one first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from archon_engine.components.replies import ParseError, extract_json
from archon_engine.config import AnswerReading, ComponentSpec

ExtractorFunction = Callable[[str, ComponentSpec], str | None]


@dataclass(frozen=True)
class Extractor:
    name: str
    function: ExtractorFunction
    description: str
    needs: tuple[str, ...] = ()  # spec fields it reads
    check: Callable[[ComponentSpec], str | None] | None = None  # why a spec cannot work, or None


EXTRACTORS: dict[str, Extractor] = {}
DEFAULT = "short_text"


def extractor(
    name: str,
    description: str,
    *,
    needs: tuple[str, ...] = (),
    check: Callable[[ComponentSpec], str | None] | None = None,
) -> Callable[[ExtractorFunction], ExtractorFunction]:
    """Function decorator: make ``function`` available as ``extractor: name`` in majority_vote specs."""

    def add(function: ExtractorFunction) -> ExtractorFunction:
        EXTRACTORS[name] = Extractor(name, function, description, needs, check)
        return function

    return add


def extract(text: str, spec: ComponentSpec | AnswerReading) -> str | None:
    """The answer ``spec``'s extractor (default ``short_text``) reads from ``text``; ``spec`` may also be an
    ``AnswerReading`` (a generator's ``stop_when``, a fuser's ``skip_when_agree``)."""
    return EXTRACTORS[spec.extractor or DEFAULT].function(text, spec)


def problems(spec: ComponentSpec | AnswerReading) -> list[str]:
    """What stops ``spec``'s extractor from working: an unknown name, a missing field, a bad value."""
    name = spec.extractor or DEFAULT
    found = EXTRACTORS.get(name)
    if found is None:
        return [f"unknown extractor '{name}' (known: {', '.join(EXTRACTORS)})"]
    missing = [f"the {name} extractor needs '{field}'" for field in found.needs if getattr(spec, field, None) is None]
    problem = found.check(spec) if found.check and not missing else None
    return missing + ([problem] if problem else [])


# ---------------------------------------------------------------- normalising


_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)")
_ANSWER = re.compile(r"\banswer\s*(?:is\s*:?|:|=)\s*(.+)", re.IGNORECASE)
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_PUNCTUATION = re.compile(r"(?!(?<=\d)\.(?=\d))[^\w\s]|_")  # keeps a decimal point between digits


def normal_number(text: str) -> str | None:
    """``"1,000"``, ``"1000.0"`` and ``"+1000"`` all give ``"1000"``; ``"3.50"`` gives ``"3.5"``."""
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def normal_text(text: str) -> str | None:
    """Lower case, without punctuation, articles or extra spaces (SQuAD-style); numbers as numbers."""
    text = text.strip()
    if _NUMBER.fullmatch(text):
        return normal_number(text)
    text = _PUNCTUATION.sub(" ", _THOUSANDS.sub("", text.lower()))
    return " ".join(_ARTICLES.sub(" ", text).split()) or None


def answer_part(text: str) -> str | None:
    """What follows the last answer marker ("Answer: ...", "the answer is ..."), if there is one."""
    matches = list(_ANSWER.finditer(text))
    return matches[-1].group(1).strip() if matches else None


# ---------------------------------------------------------------- the extractors


@extractor("last_number", "The last number in the text, after an 'Answer:' marker if there is one.")
def last_number(text: str, spec: ComponentSpec) -> str | None:
    part = answer_part(text)
    numbers = _NUMBER.findall(part or "") or _NUMBER.findall(text)
    return normal_number(numbers[-1]) if numbers else None


_LETTER_ALONE = re.compile(r"^\W*([A-Ja-j])\W*$")
_LETTER_MARKED = re.compile(r"(?i:\b(?:answer|option|choice))\s*(?:is\b)?\s*[:=\-]?[\s*(\[]*([A-J])\b")
_LETTER_LINE = re.compile(r"^[\s*]*\(?([A-J])[).:]", re.MULTILINE)
_LETTER_BRACKETED = re.compile(r"\(([A-J])\)")


@extractor(
    "choice_letter",
    "A multiple-choice letter A to J: the whole reply, or after 'answer'/'option', or opening a line, or in brackets.",
)
def choice_letter(text: str, spec: ComponentSpec) -> str | None:
    if alone := _LETTER_ALONE.match(text.strip()):
        return alone.group(1).upper()
    if marked := _LETTER_MARKED.findall(text):
        return marked[-1]
    if line := _LETTER_LINE.search(text):
        return line.group(1)
    bracketed = _LETTER_BRACKETED.findall(text)
    return bracketed[-1] if bracketed else None


@extractor(
    "short_text",
    "A short answer: after the last 'Answer:' marker, else the first sentence; case, punctuation and articles ignored.",
)
def short_text(text: str, spec: ComponentSpec) -> str | None:
    part = answer_part(text)
    if part is None:
        lines = [line for line in text.splitlines() if line.strip()]
        part = lines[0] if lines else ""
    sentence = re.split(r"(?<=[.!?])\s+", part.strip(), maxsplit=1)[0]
    return normal_text(sentence)


def _compiles(spec: ComponentSpec) -> str | None:
    try:
        re.compile(spec.pattern or "")
    except re.error as exc:
        return f"pattern {spec.pattern!r} is not a valid regular expression: {exc}"
    return None


@extractor(
    "regex",
    "The last match of 'pattern' (its first group, if it has one); inline flags such as (?i) apply.",
    needs=("pattern",),
    check=_compiles,
)
def regex(text: str, spec: ComponentSpec) -> str | None:
    matches = list(re.finditer(spec.pattern or "", text))
    if not matches:
        return None
    last = matches[-1]
    value = last.group(1) if last.re.groups else last.group(0)
    return normal_text(value) if value else None


@extractor(
    "json_field",
    "The value of 'field' in the first JSON object of the reply (a.b for nested keys, items[0] for lists).",
    needs=("field",),
)
def json_field(text: str, spec: ComponentSpec) -> str | None:
    try:
        value: Any = extract_json(text)
    except ParseError:
        return None
    for key in re.findall(r"[^.\[\]]+", spec.field or ""):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return normal_number(str(value))
    if isinstance(value, str):
        return normal_text(value)
    return json.dumps(value, sort_keys=True)


@extractor(
    "code_output",
    "What the reply's Python code prints, run in the evaluation sandbox (no network, no keys, 5 s); "
    "candidates whose code fails do not vote.",
)
def code_output(text: str, spec: ComponentSpec) -> str | None:
    from archon_engine.evaluation.sandbox import SandboxLimits, run_python
    from archon_engine.evaluation.scorers.code import extract_code

    result = run_python(extract_code(text), limits=SandboxLimits(wall_timeout_s=5, cpu_s=2, max_output_bytes=4000))
    printed = " ".join(result.stdout.split())
    return printed if result.ok and printed else None
