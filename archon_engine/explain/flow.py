"""The flow of a run: every component and every candidate, with what each component made and read.

A candidate keeps one node from where it was made to where it stopped: a ranker or vote that passes it on
adds a "read" edge, and the next layer reads the same node. Dropped candidates carry why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from archon_engine.config import Architecture, component_id
from archon_engine.explain.feedback import candidate_feedback
from archon_engine.state import LayerResult

READS_NOTHING = ("generator", "unit_test_generator")


class FlowNode(BaseModel):
    id: str  # a component id (L1.C0) or a candidate id (L0.C0.s2)
    kind: Literal["component", "candidate"]
    layer: int
    type: str  # the component's type; for a candidate, the type of the component that made it
    text: str = ""  # a candidate's text
    call_id: str | None = None  # the call that wrote a candidate
    dropped: str | None = None  # why a candidate went no further ("ranked 5 of 5, below the top 3")


class FlowEdge(BaseModel):
    source: str
    target: str
    relation: Literal["made", "read"]


class Flow(BaseModel):
    nodes: list[FlowNode] = Field(default_factory=list)
    edges: list[FlowEdge] = Field(default_factory=list)

    def reads_of(self, component: str) -> list[str]:
        """The candidate ids a component read, in order."""
        return [e.source for e in self.edges if e.target == component and e.relation == "read"]


def run_flow(architecture: Architecture, layers: Sequence[LayerResult]) -> Flow:
    """The flow of the recorded layers (all of a finished run; those done so far of a live or cancelled one)."""
    flow = Flow()
    notes = candidate_feedback(layers)
    passed: list[str] = []
    for layer in sorted(layers, key=lambda r: r.index):
        types = {component_id(layer.index, j): s.type for j, s in enumerate(architecture.layers[layer.index])}
        for output in layer.outputs:
            kind = types.get(output.component, "")
            flow.nodes.append(FlowNode(id=output.component, kind="component", layer=layer.index, type=kind))
            made = [c for c in output.candidates or [] if c.source == output.component and c.layer == layer.index]
            if kind == "fuser":
                read = list(dict.fromkeys(cid for c in made for cid in c.inputs))
            else:
                read = [] if kind in READS_NOTHING else passed
            flow.edges += [FlowEdge(source=cid, target=output.component, relation="read") for cid in read]
            for candidate in made:
                dropped = notes[candidate.id].dropped if candidate.id in notes else None
                flow.nodes.append(
                    FlowNode(
                        id=candidate.id,
                        kind="candidate",
                        layer=layer.index,
                        type=kind,
                        text=candidate.text,
                        call_id=candidate.call_id,
                        dropped=dropped.reason if dropped else None,
                    )
                )
                flow.edges.append(FlowEdge(source=output.component, target=candidate.id, relation="made"))
        passed = [c.id for c in layer.candidates]
    return flow
