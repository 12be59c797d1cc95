"""What one query costs at most: calls, the critical path in calls, and USD.

The cost is an upper bound: every output uses its ``max_tokens``, components that read
candidates read all of them at full length, and the query is ``query_tokens`` long. Prices come
from litellm's table; local models are free; a model missing from the table makes the cost unknown.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from archon_engine.components import registry
from archon_engine.config import Architecture
from archon_engine.models import prices


class Estimate(BaseModel):
    calls: int
    critical_path_calls: int  # the longest chain of calls that must happen one after another
    max_cost_usd: float | None  # None when some model's price is unknown
    unknown_price_models: list[str] = Field(default_factory=list)
    calls_per_layer: list[int] = Field(default_factory=list)


def estimate(arch: Architecture, query_tokens: int = 500) -> Estimate:
    calls = depth = 0
    cost = 0.0
    unknown: set[str] = set()
    per_layer: list[int] = []
    n = 0  # candidates in flight
    candidate_tokens = 0  # the longest a candidate can be
    notes = {"critiques": 0, "unit_tests": 0}  # tokens of text attached for later components
    for layer in arch.layers:
        layer_calls = layer_depth = 0
        produced: list[tuple[int, int]] = []  # (count, max length) per component that passes candidates on
        layer_notes = dict.fromkeys(notes, 0)
        rewritten = False
        for spec in layer:
            component = registry.get(spec.type)
            if component is None:
                continue
            plan = component.plan(spec, n)
            layer_calls += plan.calls
            layer_depth = max(layer_depth, plan.depth)
            prompt = query_tokens + plan.context_tokens
            if plan.reads_candidates:
                prompt += n * candidate_tokens + notes["critiques"]
            if plan.reads_unit_tests:
                prompt += notes["unit_tests"]
            per_token = prices.price(spec.model) if plan.calls else (0.0, 0.0)  # no call, no price needed
            if per_token is None:
                unknown.add(spec.model)
            else:
                cost += plan.calls * (prompt * per_token[0] + spec.max_tokens * per_token[1])
            if plan.outputs is not None:
                produced.append((plan.outputs, spec.max_tokens if plan.writes_candidates else candidate_tokens))
            if plan.annotates:
                layer_notes[plan.annotates] += spec.max_tokens
            rewritten = rewritten or plan.writes_candidates
        if produced:
            n = sum(count for count, _ in produced)
            candidate_tokens = max(length for _, length in produced)
        if rewritten:
            notes["critiques"] = 0  # new candidates have no critiques yet
        notes = {kind: layer_notes[kind] or notes[kind] for kind in notes}
        calls += layer_calls
        depth += layer_depth
        per_layer.append(layer_calls)
    return Estimate(
        calls=calls,
        critical_path_calls=depth,
        max_cost_usd=None if unknown else cost,
        unknown_price_models=sorted(unknown),
        calls_per_layer=per_layer,
    )
