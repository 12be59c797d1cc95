"""Unit-test generator: writes natural-language unit tests for the query.

The tests live in the run state (never in the conversation). Generators in later layers see
them as an explicit block in their prompt; unit-test evaluators apply them.
Policy on failure: no tests; the layer's errors say why.
"""

from __future__ import annotations

from typing import Literal

from archon_engine.components import prompts
from archon_engine.components.base import Component, Plan
from archon_engine.components.registry import register
from archon_engine.components.replies import UnitTestsReply, schema_of
from archon_engine.config import ComponentSpec
from archon_engine.state import ComponentOutput, RunState, UnitTest

DEFAULT_CAP = 5


class UnitTestGeneratorSpec(ComponentSpec):
    type: Literal["unit_test_generator"] = "unit_test_generator"


@register
class UnitTestGenerator(Component):
    type = "unit_test_generator"
    spec_class = UnitTestGeneratorSpec
    settings = ("unit_test_cap",)
    needs_candidates = False

    async def run(self, state: RunState) -> ComponentOutput:
        cap = self.spec.unit_test_cap or DEFAULT_CAP
        messages = prompts.unit_test_generator_messages(state.query, cap, self.spec.system_prompt)
        schema = schema_of(UnitTestsReply, at_most=cap)
        reply, error = await self.call_structured("unit_tests", messages, UnitTestsReply, schema=schema, cap=cap)
        if reply is None:
            return self.output(unit_tests=[], errors=[f"no unit tests: {error}"])
        texts = [t.strip() for t in reply.unit_tests if t.strip()][:cap]
        tests = [UnitTest(id=f"{self.id}.t{i}", text=t, source=self.id) for i, t in enumerate(texts)]
        return self.output(unit_tests=tests, errors=[] if tests else ["the reply held no unit tests"])

    @classmethod
    def plan(cls, spec: ComponentSpec, n: int) -> Plan:
        return Plan(calls=1, reads_candidates=False, annotates="unit_tests")
