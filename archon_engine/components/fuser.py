"""Fuser: merges the candidates (and their critiques) into new, better candidates."""

from __future__ import annotations

from typing import Literal

from archon_engine.components import prompts
from archon_engine.components.base import Component, Plan, gather_all
from archon_engine.components.registry import register
from archon_engine.config import ComponentSpec
from archon_engine.state import Candidate, ComponentOutput, RunState


class FuserSpec(ComponentSpec):
    type: Literal["fuser"] = "fuser"


@register
class Fuser(Component):
    type = "fuser"
    spec_class = FuserSpec
    settings = ("samples", "first_k", "seed", "length_control", "instruction")
    stands_alone = False  # several fusers may share a layer
    one_prompt = True

    async def run(self, state: RunState) -> ComponentOutput:
        spec = self.spec
        inputs = state.candidates[: spec.first_k] if spec.first_k else state.candidates
        messages = prompts.fuser_messages(
            state.query, inputs, state.critiques, spec.system_prompt, spec.length_control, spec.instruction
        )
        seeds = [None if spec.seed is None else spec.seed + i for i in range(spec.samples)]
        records = await gather_all(self.call("fuse", messages, seed=seed, candidates=len(inputs)) for seed in seeds)
        candidates = [
            Candidate(
                id=f"{self.id}.s{i}",
                text=r.raw_response or "",
                source=self.id,
                layer=self.layer,
                model=spec.model,
                inputs=[c.id for c in inputs],
                call_id=r.id,
            )
            for i, r in enumerate(records)
            if r.error is None
        ]
        errors = [f"fusion {i} failed: {r.error}" for i, r in enumerate(records) if r.error is not None]
        return self.output(candidates=candidates, errors=errors)

    @classmethod
    def plan(cls, spec: ComponentSpec, n: int) -> Plan:
        return Plan(calls=spec.samples, outputs=spec.samples, writes_candidates=True)
