"""Where a fused answer came from: each of its sentences matched to the candidates the fuser read.

Lexical, not semantic: these machines have no embedding model, and word overlap is what a reader checks by eye.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, Field

from archon_engine.explain.text import bigrams, containment, content_words, sentences, words

SOURCE_AT_LEAST = 0.3  # a candidate that holds less of a sentence than this is not one of its sources
NOVEL_BELOW = 0.5  # a sentence the candidates together hold less of than this is new
TIE_MARGIN = 0.1  # sources this close to the best one share the sentence's weight in the shares


class Source(BaseModel):
    candidate_id: str
    score: float  # 0 to 1: how much of the sentence the candidate holds (words and word pairs)


class Segment(BaseModel):
    """One sentence of the fused text, with the candidates it came from, best match first."""

    text: str
    sources: list[Source] = Field(default_factory=list)
    novel: bool  # no candidate says it: the fuser wrote it

    @property
    def best(self) -> str | None:
        """The candidate it came from most, or None for a new sentence."""
        return None if self.novel or not self.sources else self.sources[0].candidate_id


def fusion_provenance(fused: str, candidates: Mapping[str, str]) -> list[Segment]:
    """The sentences of ``fused`` in order, each with its sources (candidate ids from ``candidates``, id -> text).

    A candidate's score for a sentence is the mean of the share of the sentence's content words found in the
    candidate and the share of its word pairs found there: 1.0 for a copied sentence, about half from each for a
    sentence merged from two. Sources score at least ``SOURCE_AT_LEAST``; ties keep the order of ``candidates``.
    A sentence is ``novel`` when all candidates together hold less than ``NOVEL_BELOW`` of it.

    Where it fails: a paraphrase ("Paris is France's capital" for "The capital of France is Paris") shares few
    words and pairs, so it scores low and can show as new; a negation ("is not blue" for "is blue") shares
    nearly all of them, so it shows as copied although it says the opposite. Very short sentences ("Yes.")
    match any candidate that contains the word.
    """
    segments = []
    for sentence in sentences(fused):
        scored = [
            Source(candidate_id=cid, score=round(containment(sentence, text), 3)) for cid, text in candidates.items()
        ]
        sources = sorted((s for s in scored if s.score >= SOURCE_AT_LEAST), key=lambda s: -s.score)
        novel = _held_by_all(sentence, list(candidates.values())) < NOVEL_BELOW
        segments.append(Segment(text=sentence, sources=[] if novel else sources, novel=novel))
    return segments


def _held_by_all(sentence: str, texts: list[str]) -> float:
    """How much of ``sentence`` the texts hold between them (a word from one, a pair from another)."""
    sentence_words = content_words(sentence)
    if not sentence_words or not texts:
        return 0.0
    all_words = {w for text in texts for w in words(text)}
    found_words = len(sentence_words & all_words) / len(sentence_words)
    pairs = bigrams(sentence)
    if not pairs:
        return found_words
    all_pairs = {p for text in texts for p in bigrams(text)}
    return (found_words + len(pairs & all_pairs) / len(pairs)) / 2


def source_shares(segments: list[Segment]) -> dict[str, float]:
    """Per candidate, the share (0 to 1) of the fused text's characters that came from it, largest first.

    A sentence's weight is its length; it goes to its best source, shared equally with sources within
    ``TIE_MARGIN`` of it (a sentence that several candidates hold alike). New sentences count for no candidate.
    """
    total = sum(len(s.text) for s in segments)
    shares: dict[str, float] = {}
    if not total:
        return shares
    for segment in segments:
        if segment.novel or not segment.sources:
            continue
        top = segment.sources[0].score
        tied = [s.candidate_id for s in segment.sources if s.score >= top - TIE_MARGIN]
        for cid in tied:
            shares[cid] = shares.get(cid, 0.0) + len(segment.text) / total / len(tied)
    return dict(sorted(shares.items(), key=lambda item: -item[1]))


def novel_share(segments: list[Segment]) -> float:
    """The share (0 to 1) of the fused text's characters in sentences no candidate says."""
    total = sum(len(s.text) for s in segments)
    return sum(len(s.text) for s in segments if s.novel) / total if total else 0.0
