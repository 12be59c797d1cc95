"""Verifier: reasons about each candidate, then gives a verdict; keeps those judged correct.

Two calls per candidate (reasoning, then a structured verdict), all candidates concurrently.
Policy: an unparseable verdict counts as not verified. If no candidate is verified, all pass on
unchanged and the layer's errors say so (the run still needs an answer).
"""

from __future__ import annotations

from typing import Literal

from archon_engine.components import prompts
from archon_engine.components.base import Component, Plan, gather_all
from archon_engine.components.registry import register
from archon_engine.components.replies import VerdictReply
from archon_engine.config import ComponentSpec
from archon_engine.state import Candidate, ComponentOutput, RunState, Verdict


class VerifierSpec(ComponentSpec):
    type: Literal["verifier"] = "verifier"


@register
class Verifier(Component):
    type = "verifier"
    spec_class = VerifierSpec
    settings = ("top_k", "first_k")

    async def run(self, state: RunState) -> ComponentOutput:
        verdicts = await gather_all(self._verify(state, c) for c in state.candidates)
        correct = {v.candidate_id for v in verdicts if v.correct}
        errors = [f"{v.candidate_id}: {v.reasoning}" for v in verdicts if v.correct is None]
        kept = [c for c in state.candidates if c.id in correct]
        if not kept:
            errors.append("no candidate was verified as correct: all pass on unchanged")
            kept = list(state.candidates)
        return self.output(candidates=kept[: self.keep_count(len(kept))], verdicts=verdicts, errors=errors)

    async def _verify(self, state: RunState, candidate: Candidate) -> Verdict:
        messages = prompts.verifier_reasoning_messages(
            state.query, candidate, state.critiques.get(candidate.id), self.spec.system_prompt
        )
        reasoning = await self.call("verify_reasoning", messages, candidate=candidate.id)
        if reasoning.error is not None:
            return Verdict(candidate_id=candidate.id, correct=None, reasoning=reasoning.error, source=self.id)
        text = reasoning.raw_response or ""
        verdict_messages = prompts.verifier_verdict_messages(messages, text)
        reply, error = await self.call_structured(
            "verify_verdict", verdict_messages, VerdictReply, candidate=candidate.id
        )
        if reply is None:
            return Verdict(candidate_id=candidate.id, correct=None, reasoning=f"verdict {error}", source=self.id)
        return Verdict(candidate_id=candidate.id, correct=reply.verdict == "correct", reasoning=text, source=self.id)

    @classmethod
    def plan(cls, spec: ComponentSpec, n: int) -> Plan:
        limit = spec.first_k if spec.first_k is not None else spec.top_k
        return Plan(calls=2 * n, depth=2, outputs=n if limit is None else min(n, limit), context_tokens=spec.max_tokens)
