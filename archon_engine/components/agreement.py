"""Whether a fuser's candidates already agree (``skip_when_agree``), so that fusing them can be skipped.

Candidates are grouped by their extracted answer (``by: answer``, with a majority-vote extractor) or by
near-identical text (``by: text``: a candidate joins the first group whose first member it matches with a
similarity ratio of at least ``similarity``, on lower-cased text with spaces collapsed). They agree when the
largest group (the earliest, on a tie) holds at least ``share`` of all candidates; candidates with no
answer count against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from difflib import SequenceMatcher

from archon_engine.components import extractors
from archon_engine.config import SkipWhenAgree
from archon_engine.state import Candidate


@dataclass(frozen=True)
class Agreement:
    candidate: Candidate  # the group's first candidate: the one that passes on
    answer: str | None  # the shared answer (None for near-identical texts)
    size: int
    total: int
    reason: str


def needed(skip: SkipWhenAgree, total: int) -> int:
    """How many of ``total`` candidates must agree."""
    return max(1, math.ceil(skip.share * total - 1e-9))


def similarity(a: str, b: str) -> float:
    """How alike two texts are, 0 to 1 (difflib's ratio on lower-cased text with spaces collapsed)."""
    return SequenceMatcher(None, " ".join(a.lower().split()), " ".join(b.lower().split())).ratio()


def agreement(skip: SkipWhenAgree, candidates: list[Candidate]) -> Agreement | None:
    """The agreement among ``candidates``, or None when they do not agree. May block (extractors)."""
    if not candidates:
        return None
    groups: list[list[Candidate]] = []
    answers: list[str | None] = []
    if skip.by == "answer":
        keyed: dict[str, list[Candidate]] = {}
        for candidate in candidates:
            try:
                answer = extractors.extract(candidate.text, skip)
            except Exception:  # a failing extractor: that candidate does not agree
                answer = None
            if answer is not None:
                keyed.setdefault(answer, []).append(candidate)
        answers, groups = list(keyed), list(keyed.values())
    else:
        for candidate in candidates:
            home = next((g for g in groups if similarity(g[0].text, candidate.text) >= skip.similarity), None)
            if home is None:
                groups.append([candidate])
            else:
                home.append(candidate)
    if not groups:
        return None
    best = max(range(len(groups)), key=lambda i: len(groups[i]))  # the first of the largest
    size, total = len(groups[best]), len(candidates)
    if size < needed(skip, total):
        return None
    answer = answers[best] if answers else None
    if answer is not None:
        what = f"give the answer {answer!r} ({skip.extractor})"
    else:
        what = f"are near-identical texts (similarity ≥ {skip.similarity:g})"
    share = "" if skip.share == 1 else f", {skip.share:g} needed"
    reason = f"{size} of {total} candidates {what}{share}"
    return Agreement(candidate=groups[best][0], answer=answer, size=size, total=total, reason=reason)


def agree_probability(skip: SkipWhenAgree, total: int, agreement_rate: float) -> float:
    """The chance ``total`` candidates agree if each gives the leading answer with probability
    ``agreement_rate`` and every other answer is different (the model ``estimate`` states)."""
    need = needed(skip, total)
    if need <= 1:
        return 1.0
    q = agreement_rate
    return sum(math.comb(total, k) * q**k * (1 - q) ** (total - k) for k in range(need, total + 1))
