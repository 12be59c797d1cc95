"""Fuser: merges the candidates (and their critiques) into new, better candidates.

With ``skip_when_agree``, candidates that already agree (``components.agreement``) are not fused: a copy of
the first agreeing one passes on with no call, and the output's ``fusion_skip`` says why.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from archon_engine.components import agreement, extractors, prompts, stopping
from archon_engine.components.base import Component, Plan, Severity, gather_all
from archon_engine.components.registry import register
from archon_engine.config import ComponentSpec
from archon_engine.state import Candidate, ComponentOutput, FusionSkip, RunState


class FuserSpec(ComponentSpec):
    type: Literal["fuser"] = "fuser"


@register
class Fuser(Component):
    type = "fuser"
    spec_class = FuserSpec
    settings = ("samples", "first_k", "seed", "length_control", "instruction", "skip_when_agree")
    stands_alone = False  # several fusers may share a layer
    one_prompt = True

    async def run(self, state: RunState) -> ComponentOutput:
        spec = self.spec
        inputs = state.candidates[: spec.first_k] if spec.first_k else state.candidates
        if spec.skip_when_agree is not None and inputs:
            agreed = await asyncio.to_thread(agreement.agreement, spec.skip_when_agree, inputs)  # extractors may block
            if agreed is not None:
                return self._skipped(agreed)
        messages = prompts.fuser_messages(
            state.query, inputs, state.critiques, spec.system_prompt, spec.length_control, spec.instruction
        )
        seeds = [None if spec.seed is None else spec.seed + i for i in range(spec.samples)]
        records = await gather_all(
            self.call("fuse", messages, seed=seed, candidates=len(inputs), sample=i) for i, seed in enumerate(seeds)
        )
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

    def _skipped(self, agreed: agreement.Agreement) -> ComponentOutput:
        """The agreeing candidate passes on as this fuser's output (a copy with its own id), with no call."""
        source = agreed.candidate
        copy = source.model_copy(
            update={"id": f"{self.id}.agreed", "source": self.id, "layer": self.layer, "inputs": [source.id]}
        )
        skip = FusionSkip(
            reason=agreed.reason, agreed=agreed.answer, passed_on=copy.id, copied=source.id, saved=self.spec.samples
        )
        return self.output(candidates=[copy], fusion_skip=skip)

    @classmethod
    def plan(cls, spec: ComponentSpec, n: int) -> Plan:
        fixed = Plan(calls=spec.samples, outputs=spec.samples, writes_candidates=True)
        if spec.skip_when_agree is None:
            return fixed
        skip = agreement.agree_probability(spec.skip_when_agree, n, stopping.ASSUMED_AGREEMENT) if n else 0.0
        return fixed.model_copy(update={"min_calls": 0, "expected_calls": spec.samples * (1 - skip)})

    @classmethod
    def check(cls, spec: ComponentSpec, n: int) -> list[tuple[Severity, str]]:
        if spec.skip_when_agree is None or spec.skip_when_agree.by != "answer":
            return []
        return [("error", f"skip_when_agree: {problem}") for problem in extractors.problems(spec.skip_when_agree)]
