"""Ranker: orders the candidates and keeps the top_k: in one call (``listwise``), or by a 1-10 score of
each candidate in a call of its own (``pointwise``: ties keep the incoming order).

Policy on failure: if the reply cannot be parsed after the retries (pointwise: no candidate got a
score), nothing is cut and the candidates keep their order; the ranking is marked ``failed`` with the
reason, in the trace and in the layer's errors. Pointwise, a candidate with no score goes last.
"""

from __future__ import annotations

from typing import Literal

from archon_engine.components import prompts
from archon_engine.components.base import Component, Plan, gather_all
from archon_engine.components.critic import JudgeMode
from archon_engine.components.registry import register
from archon_engine.components.replies import RankingReply, ScoreReply, schema_of
from archon_engine.config import ComponentSpec
from archon_engine.state import Candidate, ComponentOutput, Critique, Ranking, RunState


class RankerSpec(ComponentSpec):
    type: Literal["ranker"] = "ranker"
    top_k: int | None = 5
    mode: JudgeMode = "listwise"


@register
class Ranker(Component):
    type = "ranker"
    spec_class = RankerSpec
    settings = ("mode", "top_k", "first_k", "use_critiques", "instruction")
    one_prompt = True

    async def run(self, state: RunState) -> ComponentOutput:
        candidates = state.candidates
        critiques = state.critiques if self.spec.use_critiques else {}
        if self.spec.mode == "pointwise":
            return await self._score_each(state.query, candidates, critiques)
        messages = prompts.ranker_messages(
            state.query, candidates, critiques, self.spec.system_prompt, self.spec.instruction
        )
        keep = self.keep_count(len(candidates))

        def order_of(reply: RankingReply) -> list[int]:
            """Valid candidate indexes named by the ranking, best first, each once."""
            named = [n - 1 for n in reply.ranking if 1 <= n <= len(candidates)]
            return list(dict.fromkeys(named))

        def names_enough(reply: RankingReply) -> str | None:
            found = len(order_of(reply))
            return None if found >= keep else f"ranking names {found} valid candidates, {keep} needed: {reply.ranking}"

        reply, error = await self.call_structured(
            "rank",
            messages,
            RankingReply,
            schema=schema_of(RankingReply, items=len(candidates)),
            check=names_enough,
            candidates=len(candidates),
        )
        if reply is None:
            return self._unranked(candidates, error)
        order = order_of(reply)
        ranked = [candidates[i] for i in order] + [c for i, c in enumerate(candidates) if i not in order]
        return self._ranked(ranked, reason=reply.reason)

    async def _score_each(
        self, query: str, candidates: list[Candidate], critiques: dict[str, Critique]
    ) -> ComponentOutput:
        async def score(candidate: Candidate) -> tuple[ScoreReply | None, str | None]:
            messages = prompts.score_messages(
                query, candidate, critiques.get(candidate.id), self.spec.system_prompt, self.spec.instruction
            )
            return await self.call_structured("score", messages, ScoreReply, candidate=candidate.id)

        replies = await gather_all(score(c) for c in candidates)
        scores = {c.id: reply.score for c, (reply, _) in zip(candidates, replies, strict=True) if reply is not None}
        errors = [f"no score for {c.id}: {e}" for c, (_, e) in zip(candidates, replies, strict=True) if e is not None]
        if not scores:
            return self._unranked(candidates, "no candidate got a score", errors)
        ranked = sorted(candidates, key=lambda c: -scores.get(c.id, 0))  # stable: ties keep the incoming order
        reason = "scores 1-10: " + ", ".join(f"{c.id} {scores[c.id]}" for c in ranked if c.id in scores)
        return self._ranked(ranked, reason=reason, scores=scores, errors=errors)

    def _ranked(self, ranked: list[Candidate], *, reason: str, scores=None, errors=()) -> ComponentOutput:
        keep = self.keep_count(len(ranked))
        ranking = Ranking(
            source=self.id,
            order=[c.id for c in ranked],
            kept=[c.id for c in ranked[:keep]],
            cut=[c.id for c in ranked[keep:]],
            reason=reason,
            scores=scores or {},
        )
        return self.output(candidates=ranked[:keep], ranking=ranking, errors=list(errors))

    def _unranked(self, candidates: list[Candidate], error: str | None, errors=()) -> ComponentOutput:
        ids = [c.id for c in candidates]
        ranking = Ranking(source=self.id, order=ids, kept=ids, cut=[], reason=error or "", failed=True)
        return self.output(candidates=None, ranking=ranking, errors=[*errors, f"ranking failed, nothing cut: {error}"])

    @classmethod
    def plan(cls, spec: ComponentSpec, n: int) -> Plan:
        limit = spec.first_k if spec.first_k is not None else spec.top_k
        return Plan(calls=n if spec.mode == "pointwise" else 1, outputs=n if limit is None else min(n, limit))
