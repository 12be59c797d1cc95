"""Generator: samples candidate answers to the conversation.

With ``stop_when`` the samples are drawn in waves until their answers decide (``components.stopping``),
``samples`` being the maximum; the output's ``sampling`` says how many were drawn and why it stopped.
"""

from __future__ import annotations

from typing import Literal

from archon_engine.components import prompts, stopping
from archon_engine.components.base import Component, Plan, Severity, gather_all
from archon_engine.components.registry import register
from archon_engine.config import ComponentSpec
from archon_engine.state import Candidate, ComponentOutput, RunState


class GeneratorSpec(ComponentSpec):
    type: Literal["generator"] = "generator"


@register
class Generator(Component):
    type = "generator"
    spec_class = GeneratorSpec
    settings = ("samples", "seed", "length_control", "instruction", "stop_when")
    needs_candidates = False
    first_layer_only = True
    stands_alone = False

    async def run(self, state: RunState) -> ComponentOutput:
        spec = self.spec
        messages = prompts.generator_messages(
            state.messages, spec.system_prompt, state.unit_tests, spec.length_control, spec.instruction
        )

        def draw(i: int):
            return self.call("generate", messages, seed=None if spec.seed is None else spec.seed + i, sample=i)

        sampling = None
        if spec.stop_when is not None and spec.samples > 1:
            records, sampling = await stopping.sample_in_waves(spec.stop_when, spec.samples, draw)
        else:
            records = await gather_all(draw(i) for i in range(spec.samples))
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
        return self.output(candidates=candidates, notes=notes, errors=errors, sampling=sampling)

    @classmethod
    def plan(cls, spec: ComponentSpec, n: int) -> Plan:
        fixed = Plan(
            calls=spec.samples,
            outputs=spec.samples,
            reads_candidates=False,
            writes_candidates=True,
            reads_unit_tests=True,
        )
        if spec.stop_when is None or spec.samples < 2:
            return fixed
        waves = stopping.checkpoints(spec.stop_when, spec.samples)
        return fixed.model_copy(
            update={
                "min_calls": waves[0],
                "expected_calls": stopping.expected_samples(spec.stop_when, spec.samples),
                "depth": len(waves),  # waves run one after another
            }
        )

    @classmethod
    def check(cls, spec: ComponentSpec, n: int) -> list[tuple[Severity, str]]:
        return stopping.problems(spec.stop_when, spec.samples) if spec.stop_when is not None else []
