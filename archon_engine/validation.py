"""Checks an architecture: errors (it cannot run) and warnings (it departs from the paper's rules).

The layer rules come from the Archon paper (Saad-Falcon et al., 2024, section 3). The public
Archon configs break some on purpose, so departures are warnings and such configs still run.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from archon_engine.components import registry
from archon_engine.components.instructions import VARIANTS, looks_like_a_variant_name
from archon_engine.config import Architecture, ComponentSpec, component_id

MAX_CANDIDATES_IN_ONE_PROMPT = 100  # the public Archon configs put at most 90 into one fuser or ranker
RULES = {
    "one_type": "Archon layer rule: a layer holds one component type (several fusers may share one)",
    "generators_first": "Archon layer rule: generators belong in the first layer only",
    "critic_before": "Archon layer rule: a critic comes before a ranker or fuser, which read its critiques",
    "alone": (
        "Archon layer rule: rankers, critics, verifiers and unit-test components stand alone in their layer "
        "(this engine holds majority_vote, a selector like the ranker, to the same rule)"
    ),
    "not_first": (
        "Archon layer rule: rankers, critics, verifiers and unit-test components are never in the first layer "
        "(nor is majority_vote)"
    ),
    "unit_tests_pair": "Archon layer rule: the unit-test generator is followed by a unit-test evaluator",
    "final_answer": "Archon rule: the final answer is the first candidate of the last layer",
}


class Finding(BaseModel):
    severity: Literal["error", "warning", "info"]
    message: str
    layer: int | None = None
    component: str | None = None  # L<layer>.C<index>

    def __str__(self) -> str:
        where = self.component or (f"layer {self.layer}" if self.layer is not None else "architecture")
        return f"{self.severity}: {where}: {self.message}"


class ArchitectureError(ValueError):
    """An architecture that cannot run; ``findings`` holds the errors."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("the architecture cannot run:\n" + "\n".join(f"  {f}" for f in findings))


_COUNTS = ("samples", "top_k", "first_k", "unit_test_cap")
_ARCHON_SPELLING = {"length_contorl": "length_control"}


def validate(arch: Architecture) -> list[Finding]:
    """All findings, errors first."""
    findings: list[Finding] = []

    def add(severity, message, layer=None, index=None):
        cid = component_id(layer, index) if index is not None else None
        findings.append(Finding(severity=severity, message=message, layer=layer, component=cid))

    if not arch.layers:
        add("error", "the architecture has no layers")
    has_candidates = False
    n = 0  # candidates reaching the layer, at most
    tests_pending: tuple[int, int] | None = None
    for i, layer in enumerate(arch.layers):
        if not layer:
            add("error", "the layer is empty", i)
            continue
        types = [spec.type for spec in layer]
        if len(set(types)) > 1:
            add("warning", f"mixes {', '.join(sorted(set(types)))}. {RULES['one_type']}", i)
        produces = False
        produced = 0
        for j, spec in enumerate(layer):
            component = registry.get(spec.type)
            _check_fields(spec, lambda sev, msg, i=i, j=j: add(sev, msg, i, j))
            if component is None:
                add("error", f"unknown component type '{spec.type}' (known: {', '.join(registry.types())})", i, j)
                continue
            if component.needs_candidates and not has_candidates:
                add("error", f"a {spec.type} needs candidates, but no earlier layer produces any", i, j)
            uses_instruction = "instruction" in component.settings
            _check_instruction(spec, uses_instruction, lambda sev, msg, i=i, j=j: add(sev, msg, i, j))
            if component.in_one_prompt(spec) and n > MAX_CANDIDATES_IN_ONE_PROMPT:
                add(
                    "error",
                    f"up to {n:,} candidates reach this {spec.type}, which reads them all in one prompt: at most "
                    f"{MAX_CANDIDATES_IN_ONE_PROMPT} can (use fewer samples or components before it)",
                    i,
                    j,
                )
            for severity, message in component.check(spec, n):
                add(severity, message, i, j)
            if component.first_layer_only and i > 0:
                add("warning", f"a generator in layer {i}. {RULES['generators_first']}", i, j)
            if component.stands_alone and len(layer) > 1:
                add("warning", f"a {spec.type} shares its layer. {RULES['alone']}", i, j)
            if component.stands_alone and i == 0:
                add("warning", f"a {spec.type} in the first layer. {RULES['not_first']}", i, j)
            if spec.type == "critic":
                following = {s.type for s in arch.layers[i + 1]} if i + 1 < len(arch.layers) else set()
                if not following & {"ranker", "fuser", "verifier"}:
                    add("warning", f"no ranker or fuser reads these critiques. {RULES['critic_before']}", i, j)
            if spec.type == "unit_test_generator":
                tests_pending = (i, j)
            if spec.type == "unit_test_evaluator":
                if tests_pending is None:
                    add("warning", f"no unit-test generator comes before it. {RULES['unit_tests_pair']}", i, j)
                tests_pending = None
            outputs = component.plan(spec, n).outputs
            produces = produces or outputs is not None
            produced += outputs or 0
        has_candidates = has_candidates or produces
        n = produced if produces else n
    if tests_pending is not None:
        add("warning", f"no unit-test evaluator follows this generator. {RULES['unit_tests_pair']}", *tests_pending)
    if arch.layers and not has_candidates:
        add("error", "no layer produces candidates, so there is no answer. " + RULES["final_answer"])
    elif arch.layers and arch.layers[-1]:
        last = len(arch.layers) - 1
        producers = [s for s in arch.layers[-1] if s.type in ("generator", "fuser")]
        if sum(s.samples for s in producers) > 1:
            add(
                "info",
                f"the last layer makes several candidates; only the first is the answer. {RULES['final_answer']}",
                last,
            )
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: order[f.severity])


def _check_instruction(spec: ComponentSpec, used: bool, add) -> None:
    if spec.instruction is None:
        return
    if not used:
        add("warning", f"a {spec.type} sends no instruction: 'instruction' is not used (kept for export)")
    elif looks_like_a_variant_name(spec.instruction):
        add(
            "warning",
            f"instruction '{spec.instruction}' is not a named variant ({', '.join(VARIANTS)}): "
            "it is sent as it is, as the instruction's text",
        )


def _check_fields(spec: ComponentSpec, add) -> None:
    for name in _COUNTS:
        value = getattr(spec, name)
        if value is not None and value < 1:
            add("error", f"{name} must be at least 1, got {value}")
    for name in spec.unknown_fields:
        if name in _ARCHON_SPELLING:
            add("warning", f"'{name}' (Archon's misspelling) is read as {_ARCHON_SPELLING[name]}")
        else:
            add("warning", f"field '{name}' is not used by this engine (kept for export)")
