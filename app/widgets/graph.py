"""The architecture graph: one node per component, left to right by layer, coloured by type.

streamlit-agraph has no ``key`` argument, so identical graphs collide and a changed graph keeps a
stale value. ``architecture_graph`` calls the underlying component with a key derived from the
graph's content (which includes the highlighted selection).
"""

from __future__ import annotations

import hashlib
import json
from html import escape

from streamlit_agraph import Edge, Node
from streamlit_agraph import _agraph as _agraph_component

from archon_engine import Architecture, ComponentSpec
from archon_engine.components import registry
from archon_engine.config import component_id

TYPE_COLOURS = {
    "generator": "#4f46e5",
    "fuser": "#059669",
    "ranker": "#d97706",
    "critic": "#dc2626",
    "verifier": "#0284c7",
    "unit_test_generator": "#7c3aed",
    "unit_test_evaluator": "#db2777",
    "majority_vote": "#0d9488",
}
OTHER_COLOUR = "#64748b"
# The component opens a new tab with the node title's HTML on double-click and shows the title on
# hover. A lone end tag parses to empty HTML, so double-click does nothing; the label carries the
# details and the hover tooltip is switched off (its delay stays below the browser timer limit).
_INERT_TITLE = "</span>"
_NO_TOOLTIP_MS = 2_000_000_000


def colour(type_name: str) -> str:
    return TYPE_COLOURS.get(type_name, OTHER_COLOUR)


def short_model(model: str, limit: int = 14) -> str:
    """The model's name without its provider prefix, cut to ``limit`` characters (nodes must not overlap)."""
    name = model.rsplit("/", 1)[-1]
    return name if len(name) <= limit else name[: limit - 1] + "…"


def node_lines(spec: ComponentSpec, cid: str) -> list[str]:
    """Three short lines: type; model; id with samples (or how many candidates it keeps)."""
    keep = spec.first_k if spec.first_k is not None else spec.top_k
    count = f"keep {keep}" if spec.type not in ("generator", "fuser") and keep is not None else f"×{spec.samples}"
    return [spec.type, short_model(registry.model_or_method(spec)), f"{cid} · {count}"]


def node_label(lines: list[str]) -> str:
    """The lines as vis-network HTML, the first in bold."""
    first, *rest = (escape(line) for line in lines)
    return "\n".join([f"<b>{first}</b>", *rest])


def graph_height(arch: Architecture) -> int:
    tallest = max((len(layer) for layer in arch.layers), default=1)
    return max(220, min(560, 80 * tallest + 100))


def graph_elements(arch: Architecture, selected: str | None = None) -> tuple[list[Node], list[Edge], dict]:
    """Nodes (level = layer), edges between every pair of components in consecutive layers, vis options.

    The options are written out rather than built with ``streamlit_agraph.Config``, which also copies
    its keyword arguments to the top level, where vis-network rejects them (console errors).
    """
    nodes, edges = [], []
    lines = {
        component_id(i, j): node_lines(spec, component_id(i, j))
        for i, layer in enumerate(arch.layers)
        for j, spec in enumerate(layer)
    }
    widest = max((len(line) for group in lines.values() for line in group), default=10)
    for i, layer in enumerate(arch.layers):
        for j, spec in enumerate(layer):
            cid = component_id(i, j)
            chosen = cid == selected
            nodes.append(
                Node(
                    id=cid,
                    label=node_label(lines[cid]),
                    title=_INERT_TITLE,
                    shape="box",
                    level=i,
                    color={
                        "background": colour(spec.type),
                        "border": "#111827" if chosen else colour(spec.type),
                        "highlight": {"background": colour(spec.type), "border": "#111827"},
                    },
                    borderWidth=3 if chosen else 1,
                    shadow=chosen,
                    margin=10,
                    font={"color": "#ffffff", "size": 16, "face": "sans-serif", "multi": "html"},
                )
            )
        if i > 0:
            for a in range(len(arch.layers[i - 1])):
                for b in range(len(layer)):
                    edges.append(Edge(source=component_id(i - 1, a), target=component_id(i, b), color="#94a3b8"))
    options = {
        "height": f"{graph_height(arch)}px",
        "width": "100%",  # the canvas fills its column
        "physics": {"enabled": False},
        "layout": {
            "hierarchical": {
                "enabled": True,
                "direction": "LR",
                "sortMethod": "directed",
                "levelSeparation": 9 * widest + 40,  # boxes never touch
                "nodeSpacing": 95,
            }
        },
        "interaction": {"tooltipDelay": _NO_TOOLTIP_MS, "zoomView": False, "dragNodes": False},
        "edges": {"arrows": "to", "smooth": {"type": "cubicBezier", "forceDirection": "horizontal"}},
    }
    return nodes, edges, options


def architecture_graph(arch: Architecture, *, selected: str | None = None, key: str = "graph") -> str | None:
    """Draw ``arch`` with ``selected`` highlighted; returns the id of a node clicked in this graph, else None.

    The widget key changes with the content and the selection, so after the caller acts on a click
    (and highlights that node) the new graph starts with no click.
    """
    nodes, edges, options = graph_elements(arch, selected)
    data = json.dumps({"nodes": [n.to_dict() for n in nodes], "edges": [e.to_dict() for e in edges]})
    config = json.dumps(options)
    digest = hashlib.sha1(f"{data}{config}".encode()).hexdigest()[:16]
    return _agraph_component(data=data, config=config, key=f"{key}-{digest}", default=None)
