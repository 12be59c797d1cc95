"""Scorers that compare an output with the reference answer: exact, normalised, numeric, choice."""

from __future__ import annotations

import math
import re
import string

from archon_engine.evaluation.datasets import Item
from archon_engine.evaluation.scorers.base import Score, Scorer, missing_reference
from archon_engine.evaluation.scorers.registry import register

NUMBER = r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+"
ANSWER_MARK = re.compile(r"(?:answer\s*(?:is)?\s*[:=]?|####)\s*\**\s*\$?\s*(" + NUMBER + ")", re.IGNORECASE)
ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalise(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces."""
    text = text.lower().translate(str.maketrans(string.punctuation, " " * len(string.punctuation)))
    return " ".join(ARTICLES.sub(" ", text).split())


def references(item: Item) -> list[str]:
    """The reference and its aliases (``metadata["aliases"]``)."""
    return [item.reference or "", *item.metadata.get("aliases", [])]


@register
class ExactMatch(Scorer):
    name = "exact"
    description = "1 if the output, trimmed, equals the reference (or an alias) exactly."

    async def score(self, item, output, *, client=None) -> Score:
        if item.reference is None:
            return missing_reference(item)
        answer = output.strip()
        return Score(value=float(answer in references(item)), extracted=answer)


@register
class NormalisedMatch(Scorer):
    name = "normalised"
    description = (
        "1 if the output matches the reference (or an alias) ignoring case, punctuation and articles; "
        "by default a whole-word mention inside a longer answer counts (contains=False for equality)."
    )

    async def score(self, item, output, *, client=None) -> Score:
        if item.reference is None:
            return missing_reference(item)
        said = normalise(output)
        contains = self.options.get("contains", True)
        for ref in filter(None, map(normalise, references(item))):
            if said == ref or (contains and re.search(rf"(?<!\w){re.escape(ref)}(?!\w)", said)):
                return Score(value=1.0, extracted=ref)
        return Score(value=0.0, extracted=said[:200])


def extract_number(text: str) -> float | None:
    """The number after "Answer:" or "####" if there is one, else the last number in the text."""
    marked = ANSWER_MARK.findall(text)
    found = marked or re.findall(NUMBER, text)
    if not found:
        return None
    try:
        return float(found[-1].replace(",", ""))
    except ValueError:
        return None


@register
class NumericMatch(Scorer):
    name = "numeric"
    description = (
        "1 if the answer's number (after 'Answer:' or '####', else the last number) equals the reference "
        "within a tolerance (rel_tol 1e-6, abs_tol 1e-9 by default)."
    )

    async def score(self, item, output, *, client=None) -> Score:
        if item.reference is None:
            return missing_reference(item)
        expected = extract_number(item.reference)
        if expected is None:
            return Score(value=0.0, error=f"item {item.id}: the reference {item.reference!r} is not a number")
        got = extract_number(output)
        if got is None:
            return Score(value=0.0, detail="no number in the output")
        close = math.isclose(
            got, expected, rel_tol=self.options.get("rel_tol", 1e-6), abs_tol=self.options.get("abs_tol", 1e-9)
        )
        return Score(value=float(close), extracted=f"{got:g}")


LETTER_PATTERNS = [
    r"answer\s*(?:is)?\s*[:=]?\s*\(?([A-Z])\b",
    r"^\s*\(?([A-Z])[).:]",
    r"^\s*([A-Z])\s*$",
    r"\(([A-Z])\)",
]


def extract_letter(text: str, choices: list[str] | None) -> str | None:
    """The chosen option's letter: "Answer: B", "(B)", "B." or "B" alone, else the one option quoted."""
    letters = string.ascii_uppercase[: len(choices)] if choices else string.ascii_uppercase
    for pattern in LETTER_PATTERNS:
        for match in re.finditer(pattern, text, re.IGNORECASE | re.MULTILINE):
            letter = match.group(1).upper()
            if letter in letters:
                return letter
    if choices:
        said = normalise(text)
        named = [letters[i] for i, choice in enumerate(choices) if normalise(choice) and normalise(choice) in said]
        if len(named) == 1:
            return named[0]
    return None


@register
class ChoiceMatch(Scorer):
    name = "choice"
    description = "Multiple choice: 1 if the letter the output picks (or the one option it names) is the reference."

    async def score(self, item, output, *, client=None) -> Score:
        if item.reference is None:
            return missing_reference(item)
        letter = extract_letter(output, item.choices)
        if letter is None:
            return Score(value=0.0, detail="no option letter in the output")
        return Score(value=float(letter == item.reference.strip().upper()), extracted=letter)
