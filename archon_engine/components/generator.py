"""Generator: samples candidate answers to the conversation."""

from __future__ import annotations

from typing import Literal

from archon_engine.components import prompts
from archon_engine.components.base import Component, Plan, gather_all
from archon_engine.components.registry import register
from archon_engine.config import ComponentSpec
from archon_engine.state import Candidate, ComponentOutput, RunState


class GeneratorSpec(ComponentSpec):
    type: Literal["generator"] = "generator"


@register
class Generator(Component):
    type = "generator"
    spec_class = GeneratorSpec
    settings = ("samples", "seed", "length_control", "instruction")
    needs_candidates = False
    first_layer_only = True
    stands_alone = False

    async def run(self, state: RunState) -> ComponentOutput:
        spec = self.spec
        messages = prompts.generator_messages(
            state.messages, spec.system_prompt, state.unit_tests, spec.length_control, spec.instruction
        )
        seeds = [None if spec.seed is None else spec.seed + i for i in range(spec.samples)]
        records = await gather_all(self.call("generate", messages, seed=seed) for seed in seeds)
        candidates = [
            Candidate(
                id=f"{self.id}.s{i}",
                text=r.raw_response or "",
                source=self.id,
                layer=self.layer,
                model=spec.model,
                call_id=r.id,
            )
            for i, r in enumerate(records)
            if r.error is None
        ]
        notes = [f"saw {len(state.unit_tests)} unit tests in its prompt"] if state.unit_tests else []
        errors = [f"sample {i} failed: {r.error}" for i, r in enumerate(records) if r.error is not None]
        return self.output(candidates=candidates, notes=notes, errors=errors)

    @classmethod
    def plan(cls, spec: ComponentSpec, n: int) -> Plan:
        return Plan(
            calls=spec.samples,
            outputs=spec.samples,
            reads_candidates=False,
            writes_candidates=True,
            reads_unit_tests=True,
        )
