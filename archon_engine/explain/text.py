"""Lexical text measures shared by the explanations: sentences, words, and how much of one text another holds."""

from __future__ import annotations

import itertools
import re

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|\n+")
_WORD = re.compile(r"\w+")
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# Words that carry no content: matching them says nothing about where a sentence came from.
_STOPWORD_TEXT = (
    "a an the and or but of to in on at by for with from as is are was were be been being it its this that these "
    "those there here so than then which who whom whose what when where why how i you he she we they me him her us "
    "them my your his our their do does did has have had will would can could should may might must also very just "
    "not no"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences (and lines), in order, stripped, without list marks; empty pieces dropped."""
    pieces = (_LIST_MARK.sub("", piece).strip() for piece in _SENTENCE_END.split(text))
    return [piece for piece in pieces if piece]


def words(text: str) -> list[str]:
    """Lower-case word tokens."""
    return _WORD.findall(text.lower())


def content_words(text: str) -> set[str]:
    """The words that carry content; all words when every word is a stopword ("It is.")."""
    every = words(text)
    content = {w for w in every if w not in STOPWORDS}
    return content or set(every)


def bigrams(text: str) -> set[tuple[str, str]]:
    every = words(text)
    return set(itertools.pairwise(every))


def containment(part: str, whole: str) -> float:
    """How much of ``part`` appears in ``whole``, 0 to 1: the mean of its content words and its word pairs found there.

    Word pairs keep order in the score, so a sentence rebuilt from scattered words scores below a copied one.
    """
    part_words = content_words(part)
    if not part_words:
        return 0.0
    whole_words = set(words(whole))
    found_words = len(part_words & whole_words) / len(part_words)
    part_pairs = bigrams(part)
    if not part_pairs:
        return found_words
    found_pairs = len(part_pairs & bigrams(whole)) / len(part_pairs)
    return (found_words + found_pairs) / 2


def normalised(text: str) -> str:
    """Lower case, words only, single spaces: two texts that differ only in punctuation or case compare equal."""
    return " ".join(words(text))
