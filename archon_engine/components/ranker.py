"""Ranker: orders the candidates in one call and keeps the top_k.

Policy on failure: if the reply cannot be parsed after the retries, nothing is cut and the
candidates keep their order; the ranking is marked ``failed`` with the reason, in the trace and
in the layer's errors.
"""

from __future__ import annotations

from typing import Literal

from archon_engine.components import prompts
from archon_engine.components.base import Component, Plan
from archon_engine.components.registry import register
from archon_engine.components.replies import RankingReply, schema_of
from archon_engine.config import ComponentSpec
from archon_engine.state import ComponentOutput, Ranking, RunState


class RankerSpec(ComponentSpec):
    type: Literal["ranker"] = "ranker"
    top_k: int | None = 5


@register
class Ranker(Component):
    type = "ranker"
    spec_class = RankerSpec
    settings = ("top_k", "first_k", "use_critiques", "instruction")
    one_prompt = True

    async def run(self, state: RunState) -> ComponentOutput:
        candidates = state.candidates
        critiques = state.critiques if self.spec.use_critiques else {}
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
        ids = [c.id for c in candidates]
        if reply is None:
            ranking = Ranking(source=self.id, order=ids, kept=ids, cut=[], reason=error, failed=True)
            return self.output(candidates=None, ranking=ranking, errors=[f"ranking failed, nothing cut: {error}"])
        order = order_of(reply)
        ranked = [candidates[i] for i in order] + [c for i, c in enumerate(candidates) if i not in order]
        kept = ranked[:keep]
        ranking = Ranking(
            source=self.id,
            order=[c.id for c in ranked],
            kept=[c.id for c in kept],
            cut=[c.id for c in ranked[keep:]],
            reason=reply.reason,
        )
        return self.output(candidates=kept, ranking=ranking)

    @classmethod
    def plan(cls, spec: ComponentSpec, n: int) -> Plan:
        limit = spec.first_k if spec.first_k is not None else spec.top_k
        return Plan(calls=1, outputs=n if limit is None else min(n, limit))
