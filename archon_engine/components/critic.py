"""Critic: strengths and weaknesses of every candidate, in one call.

Policy on failure: candidates the reply does not cover (or all, if it cannot be parsed) get no
critique; the layer's errors say so. Candidates pass on unchanged either way.
"""

from __future__ import annotations

from typing import Literal

from archon_engine.components import prompts
from archon_engine.components.base import Component, Plan
from archon_engine.components.registry import register
from archon_engine.components.replies import CritiqueReply, schema_of
from archon_engine.config import ComponentSpec
from archon_engine.state import ComponentOutput, Critique, RunState


class CriticSpec(ComponentSpec):
    type: Literal["critic"] = "critic"


@register
class Critic(Component):
    type = "critic"
    spec_class = CriticSpec
    settings = ("instruction",)
    one_prompt = True

    async def run(self, state: RunState) -> ComponentOutput:
        candidates = state.candidates
        messages = prompts.critic_messages(state.query, candidates, self.spec.system_prompt, self.spec.instruction)
        schema = schema_of(CritiqueReply, items=len(candidates))
        reply, error = await self.call_structured(
            "critique", messages, CritiqueReply, schema=schema, candidates=len(candidates)
        )
        if reply is None:
            return self.output(errors=[f"no critiques: {error}"])
        critiques: dict[str, Critique] = {}
        for item in reply.critiques:
            if 1 <= item.candidate <= len(candidates):
                cid = candidates[item.candidate - 1].id
                critiques[cid] = Critique(
                    candidate_id=cid, strengths=item.strengths, weaknesses=item.weaknesses, source=self.id
                )
        missing = [c.id for c in candidates if c.id not in critiques]
        errors = [f"no critique for {', '.join(missing)}"] if missing else []
        ordered = [critiques[c.id] for c in candidates if c.id in critiques]
        return self.output(critiques=ordered, errors=errors)

    @classmethod
    def plan(cls, spec: ComponentSpec, n: int) -> Plan:
        return Plan(calls=1, annotates="critiques")
