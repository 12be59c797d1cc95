"""Unit-test evaluator: checks each candidate against the unit tests and sorts by tests passed.

One call per candidate, all concurrently. Only an explicit pass counts: a test missing from the
reply, or a reply that cannot be parsed, counts as not passed and is shown as unknown.
"""

from __future__ import annotations

from typing import Literal

from archon_engine.components import prompts
from archon_engine.components.base import Component, Plan, gather_all
from archon_engine.components.registry import register
from archon_engine.components.replies import EvaluationReply, schema_of
from archon_engine.config import ComponentSpec
from archon_engine.state import Candidate, ComponentOutput, RunState, TestResult, UnitTest


class UnitTestEvaluatorSpec(ComponentSpec):
    type: Literal["unit_test_evaluator"] = "unit_test_evaluator"


@register
class UnitTestEvaluator(Component):
    type = "unit_test_evaluator"
    spec_class = UnitTestEvaluatorSpec
    settings = ("top_k", "first_k")

    async def run(self, state: RunState) -> ComponentOutput:
        tests = state.unit_tests
        if not tests:
            return self.output(errors=["no unit tests to evaluate against: candidates pass on unchanged"])
        outcomes = await gather_all(self._evaluate(state, c, tests) for c in state.candidates)
        results = [r for rs, _ in outcomes for r in rs]
        errors = [e for _, e in outcomes if e]
        passed = {c.id: sum(bool(r.passed) for r in rs) for c, (rs, _) in zip(state.candidates, outcomes, strict=True)}
        ranked = sorted(state.candidates, key=lambda c: -passed[c.id])  # stable: ties keep their order
        return self.output(candidates=ranked[: self.keep_count(len(ranked))], test_results=results, errors=errors)

    async def _evaluate(
        self, state: RunState, candidate: Candidate, tests: list[UnitTest]
    ) -> tuple[list[TestResult], str | None]:
        messages = prompts.unit_test_evaluator_messages(state.query, candidate, tests, self.spec.system_prompt)
        schema = schema_of(EvaluationReply, items=len(tests))
        reply, error = await self.call_structured(
            "evaluate", messages, EvaluationReply, schema=schema, candidate=candidate.id, tests=len(tests)
        )
        verdicts = {}
        if reply is not None:
            verdicts = {item.test: item for item in reply.results if 1 <= item.test <= len(tests)}
        results = [
            TestResult(
                candidate_id=candidate.id,
                test_id=test.id,
                passed=verdicts[i].passed if i in verdicts else None,
                reason=verdicts[i].reason if i in verdicts else (error or "not in the reply"),
            )
            for i, test in enumerate(tests, start=1)
        ]
        return results, (f"{candidate.id}: {error}" if error else None)

    @classmethod
    def plan(cls, spec: ComponentSpec, n: int) -> Plan:
        limit = spec.first_k if spec.first_k is not None else spec.top_k
        return Plan(calls=n, outputs=n if limit is None else min(n, limit), reads_unit_tests=True)
