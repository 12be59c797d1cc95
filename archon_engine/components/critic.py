"""Critic: strengths and weaknesses of every candidate, in one call (``listwise``) or one call per
candidate (``pointwise``: a small model that writes the same critique for every candidate in one reply
judges each on its own better; see docs/benchmarks.md).

Policy on failure: candidates the reply does not cover (or all, if it cannot be parsed) get no
critique; the layer's errors say so. Candidates pass on unchanged either way.
"""

from __future__ import annotations

from typing import Literal

from archon_engine.components import prompts
from archon_engine.components.base import Component, Plan, gather_all
from archon_engine.components.registry import register
from archon_engine.components.replies import CritiqueReply, OneCritiqueReply, schema_of
from archon_engine.config import ComponentSpec
from archon_engine.state import Candidate, ComponentOutput, Critique, RunState

JudgeMode = Literal["listwise", "pointwise"]


class CriticSpec(ComponentSpec):
    type: Literal["critic"] = "critic"
    mode: JudgeMode = "listwise"


@register
class Critic(Component):
    type = "critic"
    spec_class = CriticSpec
    settings = ("mode", "instruction")
    one_prompt = True

    async def run(self, state: RunState) -> ComponentOutput:
        candidates = state.candidates
        if self.spec.mode == "pointwise":
            found = await gather_all(self._critique_one(state.query, c) for c in candidates)
            critiques = {critique.candidate_id: critique for critique, _ in found if critique is not None}
            pairs = zip(candidates, found, strict=True)
            errors = [f"no critique for {c.id}: {error}" for c, (_, error) in pairs if error is not None]
        else:
            critiques, error = await self._critique_all(state.query, candidates)
            if error is not None:
                return self.output(errors=[f"no critiques: {error}"])
            missing = [c.id for c in candidates if c.id not in critiques]
            errors = [f"no critique for {', '.join(missing)}"] if missing else []
        ordered = [critiques[c.id] for c in candidates if c.id in critiques]
        return self.output(critiques=ordered, errors=errors)

    async def _critique_all(self, query: str, candidates: list[Candidate]) -> tuple[dict[str, Critique], str | None]:
        messages = prompts.critic_messages(query, candidates, self.spec.system_prompt, self.spec.instruction)
        schema = schema_of(CritiqueReply, items=len(candidates))
        reply, error = await self.call_structured(
            "critique", messages, CritiqueReply, schema=schema, candidates=len(candidates)
        )
        if reply is None:
            return {}, error
        critiques: dict[str, Critique] = {}
        for item in reply.critiques:
            if 1 <= item.candidate <= len(candidates):
                cid = candidates[item.candidate - 1].id
                critiques[cid] = Critique(
                    candidate_id=cid, strengths=item.strengths, weaknesses=item.weaknesses, source=self.id
                )
        return critiques, None

    async def _critique_one(self, query: str, candidate: Candidate) -> tuple[Critique | None, str | None]:
        messages = prompts.critic_one_messages(query, candidate, self.spec.system_prompt, self.spec.instruction)
        reply, error = await self.call_structured("critique_one", messages, OneCritiqueReply, candidate=candidate.id)
        if reply is None:
            return None, error
        critique = Critique(
            candidate_id=candidate.id, strengths=reply.strengths, weaknesses=reply.weaknesses, source=self.id
        )
        return critique, None

    @classmethod
    def plan(cls, spec: ComponentSpec, n: int) -> Plan:
        if spec.mode == "pointwise":
            return Plan(calls=n, annotates="critiques")
        return Plan(calls=1, annotates="critiques")
