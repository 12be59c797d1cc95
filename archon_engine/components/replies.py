"""Structured replies: their schemas (sent as ``response_format``) and a tolerant parser.

Tolerant means: JSON inside prose or a code fence is found, and harmless variations are accepted
("Correct", "[PASSED]"). It never means guessing: "pas" is not a pass, a ranking that names too
few candidates is a parse failure, and the caller records it.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator


class ParseError(ValueError):
    pass


def _word(value: Any) -> Any:
    return re.sub(r"[\s\[\]().!*\"']", "", value).lower() if isinstance(value, str) else value


def _short(chars: int, **field: Any) -> Any:
    """A string the schema (not validation) keeps short, so a grammar-bound small model finishes its JSON."""
    return Field(json_schema_extra={"maxLength": chars}, **field)


class RankingReply(BaseModel):
    ranking: list[int]
    reason: str = _short(300, default="")


class CritiqueItem(BaseModel):
    candidate: int
    strengths: str = _short(240)
    weaknesses: str = _short(240)


class CritiqueReply(BaseModel):
    critiques: list[CritiqueItem]


class OneCritiqueReply(BaseModel):
    """A pointwise critic's reply about one candidate."""

    strengths: str = _short(240)
    weaknesses: str = _short(240)


class ScoreReply(BaseModel):
    """A pointwise ranker's score of one candidate, 1 (worst) to 10 (best): an enum, so a grammar keeps it in range."""

    score: Literal[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    reason: str = _short(200, default="")

    @field_validator("score", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.0+)?\s*(/\s*10)?\s*", value):
            return int(float(value.split("/")[0]))
        return int(value) if isinstance(value, float) and value.is_integer() else value


class VerdictReply(BaseModel):
    verdict: Literal["correct", "incorrect"]

    @field_validator("verdict", mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        return _word(value)


class UnitTestsReply(BaseModel):
    unit_tests: list[str]


_PASS = {
    "true": True,
    "pass": True,
    "passed": True,
    "yes": True,
    "false": False,
    "fail": False,
    "failed": False,
    "no": False,
}


class TestResultItem(BaseModel):
    __test__ = False

    test: int
    passed: bool
    reason: str = _short(200, default="")

    @field_validator("passed", mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        word = _word(value)
        if word not in _PASS:
            raise ValueError(f"'passed' must be true or false, got {value!r}")
        return _PASS[word]


class EvaluationReply(BaseModel):
    results: list[TestResultItem]


def schema_of(model: type[BaseModel], items: int | None = None, at_most: int | None = None) -> dict[str, Any]:
    """The reply's JSON schema. ``items`` pins its list to exactly that many entries, ``at_most``
    caps it: with a grammar (the embedded model), even a small model then answers for every candidate."""
    schema = model.model_json_schema()
    for prop in schema["properties"].values():
        if prop.get("type") == "array":
            if items is not None:
                prop["minItems"] = prop["maxItems"] = items
                if prop["items"].get("type") == "integer":
                    prop["items"] = {"type": "integer", "minimum": 1, "maximum": items}
            if at_most is not None:
                prop["maxItems"] = at_most
    return schema


def extract_json(text: str) -> Any:
    """The first JSON object in ``text``: the whole text, a fenced block, or one starting at any brace."""
    text = text.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
    for attempt in [text] + ([fenced.group(1).strip()] if fenced else []):
        try:
            return json.loads(attempt)
        except json.JSONDecodeError:
            pass
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            return decoder.raw_decode(text[match.start() :])[0]
        except json.JSONDecodeError:
            continue
    raise ParseError("no JSON object found in the reply")


def parse_reply(text: str, model: type[BaseModel]) -> BaseModel:
    data = extract_json(text)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors())
        raise ParseError(f"reply does not match {model.__name__}: {problems}") from None
