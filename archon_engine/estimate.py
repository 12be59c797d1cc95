"""What one query costs at most: calls, the critical path in calls, and USD.

``calls`` is always the maximum. Adaptive components (a generator's ``stop_when``, a fuser's
``skip_when_agree``) may make fewer: ``min_calls`` is the fewest (every answer agrees from the first
sample), and ``expected_calls`` the average under a stated model, not a measurement: each sample gives
the leading answer with probability ``assumed_agreement`` (0.8) and every other answer differs, and a
fuser sees the most candidates that can reach it. Real queries vary: easy ones stop at the minimum,
hard ones draw the maximum.

The cost is an upper bound: every output uses its ``max_tokens``, components that read
candidates read all of them at full length, and the query is ``query_tokens`` long. Prices come
from litellm's table; local models are free; a model missing from the table makes the cost unknown.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from archon_engine.components import registry
from archon_engine.components.stopping import ASSUMED_AGREEMENT
from archon_engine.config import Architecture
from archon_engine.models import prices


class Estimate(BaseModel):
    calls: int  # at most
    min_calls: int | None = None  # at least (set only when an adaptive component can make fewer than ``calls``)
    expected_calls: float | None = None  # on average if ``assumed_agreement`` holds (set with ``min_calls``)
    assumed_agreement: float = ASSUMED_AGREEMENT
    critical_path_calls: int  # the longest chain of calls that must happen one after another
    max_cost_usd: float | None  # None when some model's price is unknown
    unknown_price_models: list[str] = Field(default_factory=list)
    calls_per_layer: list[int] = Field(default_factory=list)


def estimate(arch: Architecture, query_tokens: int = 500) -> Estimate:
    calls = depth = least = 0
    expected = 0.0
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
            least += plan.calls if plan.min_calls is None else plan.min_calls
            expected += plan.calls if plan.expected_calls is None else plan.expected_calls
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
    adaptive = least < calls
    return Estimate(
        calls=calls,
        min_calls=least if adaptive else None,
        expected_calls=round(expected, 2) if adaptive else None,
        critical_path_calls=depth,
        max_cost_usd=None if unknown else cost,
        unknown_price_models=sorted(unknown),
        calls_per_layer=per_layer,
    )


def calls_range(est: Estimate) -> str:
    """``8 calls``, or for an adaptive architecture ``4 to 8 calls (≈ 5.2 expected at 80 % agreement)``."""
    if est.min_calls is None or est.expected_calls is None:
        return f"{est.calls} call" + ("" if est.calls == 1 else "s")
    return (
        f"{est.min_calls} to {est.calls} calls (≈ {est.expected_calls:g} expected if "
        f"{est.assumed_agreement:.0%} of samples agree)"
    )
