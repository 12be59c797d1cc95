"""What flows between layers: candidates with provenance, and what components say about them.

Critiques, verdicts and unit-test results point at candidate ids, never at list positions, so a
reordering ranker keeps them attached and a fuser's new candidates start with none.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, computed_field


class Candidate(BaseModel):
    id: str
    text: str
    source: str  # id of the component that made it
    layer: int
    model: str
    inputs: list[str] = Field(default_factory=list)  # candidate ids it was made from
    call_id: str | None = None


class Critique(BaseModel):
    candidate_id: str
    strengths: str
    weaknesses: str
    source: str


class Verdict(BaseModel):
    candidate_id: str
    correct: bool | None  # None: the verdict could not be parsed
    reasoning: str
    source: str


class UnitTest(BaseModel):
    id: str
    text: str
    source: str


class TestResult(BaseModel):
    __test__ = False  # not a pytest class

    candidate_id: str
    test_id: str
    passed: bool | None  # None: no parseable result for this test
    reason: str = ""


class Ranking(BaseModel):
    source: str
    order: list[str]  # candidate ids, best first
    kept: list[str]
    cut: list[str]
    reason: str = ""
    failed: bool = False  # the ranker's output could not be parsed: nothing was cut
    scores: dict[str, int] = Field(default_factory=dict)  # a pointwise ranker's 1-10 score per candidate id


class Vote(BaseModel):
    """A majority vote: the answer read from each candidate, the tally, and what won (and how)."""

    source: str
    extractor: str
    answers: dict[str, str | None]  # candidate id -> extracted answer (None: none found, no vote), in order
    counts: dict[str, int]  # answer -> votes, winner first (ties in the order the answers first appeared)
    winner: str | None  # None: no candidate had an extractable answer
    tie_break: str | None = None  # how a tie for first place was decided, if there was one
    kept: list[str]  # candidate ids passed on


class Sampling(BaseModel):
    """How an adaptive generator (``stop_when``) sampled: how many it drew of its maximum, and why it stopped."""

    rule: str  # "beta" or "window"
    drawn: int  # samples drawn (= calls made)
    maximum: int  # the generator's ``samples``
    rule_met: bool  # False: the maximum was reached before the rule was met
    figure: float | None = None  # the rule's figure when it stopped: P(leading is the majority), or the run length
    reason: str  # why sampling stopped, in words
    waves: list[int] = Field(default_factory=list)  # samples drawn per wave, in order
    answers: list[str | None] = Field(default_factory=list)  # the answer read from each sample (None: none)

    @computed_field
    @property
    def saved(self) -> int:
        """Calls not made, against drawing the maximum (in the JSON too)."""
        return self.maximum - self.drawn


class FusionSkip(BaseModel):
    """A fuser (``skip_when_agree``) that made no call because its candidates agreed."""

    reason: str
    agreed: str | None = None  # the shared answer (by: answer); None for near-identical texts
    passed_on: str  # the id of the candidate that passes on (a copy of the agreeing candidate)
    copied: str  # the id of the agreeing candidate it copies
    saved: int  # calls not made (the fuser's samples)


class ComponentOutput(BaseModel):
    """What one component contributes to its layer. ``candidates=None`` leaves them unchanged."""

    component: str
    candidates: list[Candidate] | None = None
    critiques: list[Critique] = Field(default_factory=list)
    verdicts: list[Verdict] = Field(default_factory=list)
    unit_tests: list[UnitTest] | None = None
    test_results: list[TestResult] = Field(default_factory=list)
    ranking: Ranking | None = None
    vote: Vote | None = None
    sampling: Sampling | None = None  # an adaptive generator's sampling
    fusion_skip: FusionSkip | None = None  # a fuser that skipped its call
    notes: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)


class LayerResult(BaseModel):
    """A layer's outputs, and the candidates it passes on."""

    index: int
    outputs: list[ComponentOutput]
    candidates: list[Candidate]

    @property
    def critiques(self) -> list[Critique]:
        return [c for o in self.outputs for c in o.critiques]

    @property
    def verdicts(self) -> list[Verdict]:
        return [v for o in self.outputs for v in o.verdicts]

    @property
    def test_results(self) -> list[TestResult]:
        return [r for o in self.outputs for r in o.test_results]

    @property
    def rankings(self) -> list[Ranking]:
        return [o.ranking for o in self.outputs if o.ranking]

    @property
    def votes(self) -> list[Vote]:
        return [o.vote for o in self.outputs if o.vote]

    @property
    def errors(self) -> list[str]:
        return [f"{o.component}: {e}" for o in self.outputs for e in o.errors]


class RunState(BaseModel):
    """The state a layer reads. The conversation is never changed by a run."""

    messages: tuple[dict, ...]
    candidates: list[Candidate] = Field(default_factory=list)
    critiques: dict[str, Critique] = Field(default_factory=dict)
    unit_tests: list[UnitTest] = Field(default_factory=list)

    @property
    def query(self) -> str:
        """The last user message: what candidates answer."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return str(message.get("content", ""))
        return ""

    def apply(self, layer: LayerResult) -> None:
        self.candidates = layer.candidates
        self.critiques.update({c.candidate_id: c for c in layer.critiques})
        live = {c.id for c in self.candidates}
        self.critiques = {cid: c for cid, c in self.critiques.items() if cid in live}
        for output in layer.outputs:
            if output.unit_tests is not None:
                self.unit_tests = output.unit_tests
