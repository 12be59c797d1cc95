"""The flow of a run above the layer tabs: components and candidates left to right, dropped ones greyed with why.

Clicking a node shows its text (a candidate) and the call that wrote it. Drawn with the same keyed agraph
component as the architecture graph, so a changed flow starts with no stale click.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from collections import Counter

import streamlit as st
from streamlit_agraph import Edge, Node
from streamlit_agraph import _agraph as _agraph_component

from app.jobs.run import RunView
from app.widgets.graph import colour, node_label
from archon_engine.explain import FlowNode, run_flow

DROPPED_COLOUR = "#cbd5e1"
CANDIDATE_COLOUR = "#f8fafc"


def _node(node: FlowNode) -> Node:
    if node.kind == "component":
        lines, fill, font = [node.type or "component", node.id], colour(node.type), "#ffffff"
    else:
        why = textwrap.shorten(node.dropped, 34, placeholder="…") if node.dropped else "went on"
        lines, fill, font = [node.id, why], DROPPED_COLOUR if node.dropped else CANDIDATE_COLOUR, "#111827"
    return Node(
        id=node.id,
        label=node_label(lines),
        title="</span>",  # no hover page (see app.widgets.graph)
        shape="box",
        level=2 * node.layer + (node.kind == "candidate"),
        color={"background": fill, "border": "#64748b" if node.dropped else colour(node.type)},
        margin=8,
        font={"color": font, "size": 14, "face": "sans-serif", "multi": "html"},
    )


def flow_picture(view: RunView) -> None:
    """The flow of the layers recorded so far; a click on a node shows what it is."""
    flow = run_flow(view.architecture, view.layers)
    if not flow.nodes:
        return
    nodes = [_node(n).to_dict() for n in flow.nodes]
    edges = [
        Edge(source=e.source, target=e.target, color="#94a3b8" if e.relation == "read" else "#334155").to_dict()
        for e in flow.edges
    ]
    tallest = max(Counter(n.layer for n in flow.nodes if n.kind == "candidate").values(), default=1)
    options = {
        "height": f"{max(240, min(640, 70 * tallest + 80))}px",
        "width": "100%",
        "physics": {"enabled": False},
        "layout": {"hierarchical": {"enabled": True, "direction": "LR", "levelSeparation": 230, "nodeSpacing": 70}},
        "interaction": {"tooltipDelay": 2_000_000_000, "zoomView": False, "dragNodes": False},
        "edges": {"arrows": "to", "smooth": {"type": "cubicBezier", "forceDirection": "horizontal"}},
    }
    data, config = json.dumps({"nodes": nodes, "edges": edges}), json.dumps(options)
    digest = hashlib.sha1(f"{data}{config}".encode()).hexdigest()[:16]
    st.markdown("**The flow of this run** — grey candidates went no further; click a node to read it.")
    clicked = _agraph_component(data=data, config=config, key=f"flow-{digest}", default=None)
    chosen = next((n for n in flow.nodes if n.id == clicked), None)
    if chosen is not None and chosen.kind == "candidate":
        call = next((c for c in view.calls if c.id == chosen.call_id), None)
        with st.container(border=True):
            st.markdown(f"**{chosen.id}**" + (f" · :gray[dropped: {chosen.dropped}]" if chosen.dropped else ""))
            st.caption(f"written by {call.id} · `{call.model}`" if call else "no call record")
            st.markdown(chosen.text.strip() or "*(empty)*")
