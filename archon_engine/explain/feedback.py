"""What later steps said about each candidate: critiques, ranks and moves, verdicts, tests passed, votes, and
where and why it was dropped. Read from the layers a run recorded; no model call.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from archon_engine.state import ComponentOutput, Critique, LayerResult, Verdict


class RankNote(BaseModel):
    source: str
    rank: int  # 1 = best
    before: int | None  # its position in the order the ranker read (1 = first); None if it was not there
    of: int
    kept: bool
    failed: bool = False  # the ranking could not be read: the order is the input order, nothing was cut

    @property
    def move(self) -> int | None:
        """Places moved up (negative: down) from the order the ranker read."""
        return None if self.before is None else self.before - self.rank


class TestNote(BaseModel):
    __test__ = False  # not a pytest class

    source: str
    passed: int
    failed: int
    unknown: int  # no parseable result
    kept: bool

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.unknown


class VoteNote(BaseModel):
    source: str
    answer: str | None  # the answer read from it; None: none found, it did not vote
    votes: int  # votes for its answer
    of: int  # candidates in the vote
    winner: str | None
    kept: bool


class Drop(BaseModel):
    layer: int
    component: str
    reason: str


class CandidateFeedback(BaseModel):
    """Everything later steps recorded about one candidate, in layer order."""

    candidate_id: str
    critiques: list[Critique] = Field(default_factory=list)
    rankings: list[RankNote] = Field(default_factory=list)
    verdicts: list[Verdict] = Field(default_factory=list)
    tests: list[TestNote] = Field(default_factory=list)
    votes: list[VoteNote] = Field(default_factory=list)
    fused_into: list[str] = Field(default_factory=list)  # ids of the fused candidates made from it
    dropped: Drop | None = None  # where it stopped going on, and why (None: it went on to the end or was fused)

    @property
    def empty(self) -> bool:
        return not (self.critiques or self.rankings or self.verdicts or self.tests or self.votes or self.fused_into)


def candidate_feedback(layers: Sequence[LayerResult]) -> dict[str, CandidateFeedback]:
    """Candidate id -> what the later layers said about it, for every candidate the layers made."""
    notes: dict[str, CandidateFeedback] = {}

    def note(cid: str) -> CandidateFeedback:
        return notes.setdefault(cid, CandidateFeedback(candidate_id=cid))

    inputs: list[str] = []
    for layer in sorted(layers, key=lambda r: r.index):
        passed = [c.id for c in layer.candidates]
        made_here = {c.id for o in layer.outputs for c in o.candidates or [] if c.layer == layer.index}
        for output in layer.outputs:
            for critique in output.critiques:
                note(critique.candidate_id).critiques.append(critique)
            for verdict in output.verdicts:
                note(verdict.candidate_id).verdicts.append(verdict)
            if output.ranking is not None:
                for rank, cid in enumerate(output.ranking.order, start=1):
                    note(cid).rankings.append(_rank_note(output, rank, cid, inputs))
            for cid, test_note in _test_notes(output, passed).items():
                note(cid).tests.append(test_note)
            if output.vote is not None:
                vote = output.vote
                for cid, answer in vote.answers.items():
                    votes = vote.counts.get(answer, 0) if answer is not None else 0
                    note(cid).votes.append(
                        VoteNote(
                            source=vote.source,
                            answer=answer,
                            votes=votes,
                            of=len(vote.answers),
                            winner=vote.winner,
                            kept=cid in vote.kept,
                        )
                    )
            for made in output.candidates or []:
                note(made.id)
                if made.id in made_here:
                    for source in made.inputs:
                        note(source).fused_into.append(made.id)
        for cid in inputs:
            if cid not in passed and not notes.get(cid, CandidateFeedback(candidate_id=cid)).fused_into:
                note(cid).dropped = _why_dropped(layer, cid)
        for cid in passed:
            note(cid)
        inputs = passed
    return notes


def _rank_note(output: ComponentOutput, rank: int, cid: str, inputs: list[str]) -> RankNote:
    ranking = output.ranking
    assert ranking is not None
    return RankNote(
        source=ranking.source,
        rank=rank,
        before=inputs.index(cid) + 1 if cid in inputs else None,
        of=len(ranking.order),
        kept=cid in ranking.kept,
        failed=ranking.failed,
    )


def _test_notes(output: ComponentOutput, passed: list[str]) -> dict[str, TestNote]:
    counts: dict[str, list[int]] = {}
    for result in output.test_results:
        tally = counts.setdefault(result.candidate_id, [0, 0, 0])
        tally[0 if result.passed else 1 if result.passed is False else 2] += 1
    return {
        cid: TestNote(source=output.component, passed=p, failed=f, unknown=u, kept=cid in passed)
        for cid, (p, f, u) in counts.items()
    }


def _why_dropped(layer: LayerResult, cid: str) -> Drop:
    """Why the layer did not pass ``cid`` on, from the first of its outputs that decided it."""
    for output in layer.outputs:
        reason = _reason(output, cid)
        if reason is not None:
            return Drop(layer=layer.index, component=output.component, reason=reason)
    components = ", ".join(o.component for o in layer.outputs) or "the layer"
    return Drop(layer=layer.index, component=components, reason=f"not passed on by {components}")


def _reason(output: ComponentOutput, cid: str) -> str | None:
    if output.ranking is not None and cid in output.ranking.cut:
        order = output.ranking.order
        return f"ranked {order.index(cid) + 1} of {len(order)}, below the top {len(output.ranking.kept)}"
    verdict = next((v for v in output.verdicts if v.candidate_id == cid), None)
    if verdict is not None:
        if verdict.correct is False:
            return "judged incorrect"
        if verdict.correct is None:
            return "no verdict could be read, so it was not verified"
    results = [r for r in output.test_results if r.candidate_id == cid]
    if results:
        passed = sum(bool(r.passed) for r in results)
        return f"passed {passed} of {len(results)} tests; those that passed more went on"
    if output.vote is not None and cid in output.vote.answers:
        return _vote_reason(output, cid)
    return None


def _vote_reason(output: ComponentOutput, cid: str) -> str:
    vote = output.vote
    assert vote is not None
    answer = vote.answers[cid]
    if answer is None:
        return "no answer could be read from it, so it did not vote"
    if answer == vote.winner or answer in {vote.answers.get(k) for k in vote.kept}:
        speaker = next(k for k in vote.answers if vote.answers[k] == answer)
        return f"same answer as {speaker} ({answer!r}), which went on for both"
    winner_votes = vote.counts.get(vote.winner, 0) if vote.winner is not None else 0
    return f"outvoted: its answer {answer!r} had {vote.counts.get(answer, 0)}, {vote.winner!r} won with {winner_votes}"
