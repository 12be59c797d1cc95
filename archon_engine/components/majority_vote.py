"""Majority vote (self-consistency): reads an answer from every candidate and keeps the most common. No model call.

Candidates with the same extracted answer form a group. Groups are ordered by votes, most first; a
tie goes to the group whose first candidate came earliest in the incoming order (the samples'
order, or an earlier ranker's). The ``top_k`` (default 1) first groups pass on, each as its first
candidate (the group's representative), so by default only the winner goes on.

Candidates with no extractable answer do not vote. If no candidate has one, the first ``top_k``
candidates pass on unchanged and the notes say so.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from archon_engine.components import extractors
from archon_engine.components.base import Component, Plan, Severity
from archon_engine.components.registry import register
from archon_engine.config import ComponentSpec
from archon_engine.state import Candidate, ComponentOutput, RunState, Vote


class MajorityVoteSpec(ComponentSpec):
    type: Literal["majority_vote"] = "majority_vote"
    extractor: str | None = extractors.DEFAULT
    top_k: int | None = 1


@register
class MajorityVote(Component):
    type = "majority_vote"
    spec_class = MajorityVoteSpec
    settings = ("extractor", "pattern", "field", "top_k", "first_k")

    async def run(self, state: RunState) -> ComponentOutput:
        candidates = state.candidates
        if not candidates:
            return self.output(candidates=[], errors=["no candidates to vote on"])
        name = self.spec.extractor or extractors.DEFAULT
        answers, errors = await asyncio.to_thread(self._extract_all, candidates)  # extractors may block
        groups: dict[str, list[Candidate]] = {}
        for candidate in candidates:
            if (answer := answers[candidate.id]) is not None:
                groups.setdefault(answer, []).append(candidate)
        ranked = sorted(groups.items(), key=lambda group: -len(group[1]))  # stable: ties keep first appearance
        silent = [cid for cid, answer in answers.items() if answer is None]
        notes = [f"{name}: {len(candidates) - len(silent)} of {len(candidates)} candidates voted"]
        if silent:
            notes[0] += f"; no answer in {', '.join(silent)}"
        if not ranked:
            kept = candidates[: self.keep_count(len(candidates))]
            notes.append(f"no candidate had an answer to vote on: passing on {', '.join(_ids(kept))} unchanged")
            vote = Vote(source=self.id, extractor=name, answers=answers, counts={}, winner=None, kept=_ids(kept))
            return self.output(candidates=kept, vote=vote, notes=notes, errors=errors)
        kept = [members[0] for _, members in ranked[: self.keep_count(len(ranked))]]
        winner, members = ranked[0]
        tally = ", ".join(f"{answer!r} ×{len(group)}" for answer, group in ranked)
        notes += [
            f"votes: {tally}",
            f"winner: {winner!r} with {len(members)} of {len(candidates)} votes, passed on as {members[0].id}",
        ]
        tied = [answer for answer, group in ranked if len(group) == len(members)]
        tie_break = None
        if len(tied) > 1:
            tie_break = (
                f"tie at {len(members)} votes between {', '.join(map(repr, tied))}: {winner!r} wins because its "
                f"first candidate ({members[0].id}) came earliest"
            )
            notes.append(tie_break)
        vote = Vote(
            source=self.id,
            extractor=name,
            answers=answers,
            counts={answer: len(group) for answer, group in ranked},
            winner=winner,
            tie_break=tie_break,
            kept=_ids(kept),
        )
        return self.output(candidates=kept, vote=vote, notes=notes, errors=errors)

    def _extract_all(self, candidates: list[Candidate]) -> tuple[dict[str, str | None], list[str]]:
        """The answer of every candidate (None: no answer, no vote), and any extractor failures."""
        answers: dict[str, str | None] = {}
        errors = []
        for candidate in candidates:
            try:
                answers[candidate.id] = extractors.extract(candidate.text, self.spec)
            except Exception as exc:  # a failing extractor costs that candidate its vote, not the run
                answers[candidate.id] = None
                errors.append(f"the extractor failed on {candidate.id}: {type(exc).__name__}: {exc}")
        return answers, errors

    @classmethod
    def plan(cls, spec: ComponentSpec, n: int) -> Plan:
        limit = spec.first_k if spec.first_k is not None else spec.top_k
        return Plan(calls=0, depth=0, outputs=n if limit is None else min(n, limit))

    @classmethod
    def check(cls, spec: ComponentSpec, n: int) -> list[tuple[Severity, str]]:
        found: list[tuple[Severity, str]] = [("error", problem) for problem in extractors.problems(spec)]
        if n == 1:
            found.append(("warning", "votes over a single candidate, so it decides nothing: sample several"))
        return found


def _ids(candidates: list[Candidate]) -> list[str]:
    return [c.id for c in candidates]
