"""Plotly figures of a run: a Gantt timeline of every call, and per-layer cost, token and latency totals."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.widgets.graph import colour
from archon_engine.trace import CallRecord, Usage

FAILED_COLOR = "#dc2626"
ROW_PX = 26


def _row_label(call: CallRecord) -> str:
    return f"L{call.layer} · {call.component} · {call.role} · {call.id}"


def _status(call: CallRecord) -> str:
    if call.error:
        return f"error: {call.error}"
    if call.parse_error:
        return f"unparseable: {call.parse_error}"
    return "ok"


def timeline(calls: list[CallRecord]) -> go.Figure:
    """One bar per call from its start to its end, grouped by layer and component, coloured by type.

    Bars that overlap in time ran in parallel. Failed and unparseable calls are hatched with a red edge.
    """
    ordered = sorted(calls, key=lambda c: (c.layer, c.component, c.start_s, c.id))
    rows = [_row_label(c) for c in ordered]
    fig = go.Figure()
    for kind in dict.fromkeys(c.component_type for c in ordered):
        group = [c for c in ordered if c.component_type == kind]
        fig.add_trace(
            go.Bar(
                name=kind,
                orientation="h",
                y=[_row_label(c) for c in group],
                x=[max(c.latency_s, 0.002) for c in group],
                base=[c.start_s for c in group],
                marker={
                    "color": colour(kind),
                    "line": {
                        "color": [FAILED_COLOR if not c.ok else colour(kind) for c in group],
                        "width": [2 if not c.ok else 0 for c in group],
                    },
                    "pattern": {"shape": ["/" if not c.ok else "" for c in group], "fgcolor": FAILED_COLOR},
                },
                customdata=[
                    [c.model, c.prompt_tokens, c.completion_tokens, _cost_text(c.cost_usd), c.retries, _status(c)]
                    for c in group
                ],
                hovertemplate=(
                    "<b>%{y}</b><br>%{base:.2f} s → %{x:.2f} s long<br>model: %{customdata[0]}"
                    "<br>tokens: %{customdata[1]} in, %{customdata[2]} out<br>cost: %{customdata[3]}"
                    "<br>retries: %{customdata[4]}<br>%{customdata[5]}<extra>%{fullData.name}</extra>"
                ),
            )
        )
    fig.update_layout(
        barmode="overlay",
        height=max(180, 90 + ROW_PX * len(rows)),
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "title": None},
        xaxis={"title": "seconds since the run started", "rangemode": "tozero", "zeroline": True},
        yaxis={"categoryorder": "array", "categoryarray": list(reversed(rows)), "title": None},
        bargap=0.25,
    )
    for layer in sorted({c.layer for c in ordered})[1:]:
        first = next(i for i, c in enumerate(ordered) if c.layer == layer)
        fig.add_hline(y=len(rows) - first - 0.5, line={"color": "#cbd5e1", "width": 1, "dash": "dot"})
    return fig


def _cost_text(cost: float | None) -> str:
    return "unknown" if cost is None else f"${cost:.6f}"


def layer_totals(by_layer: dict[int, Usage], labels: dict[int, str]) -> go.Figure:
    """Cost, tokens (prompt and completion) and wall time per layer, side by side."""
    names = [labels.get(layer, f"L{layer}") for layer in by_layer]
    usages = list(by_layer.values())
    fig = make_subplots(rows=1, cols=3, subplot_titles=("Cost (USD)", "Tokens", "Wall time (s)"))
    fig.add_trace(
        go.Bar(
            x=names,
            y=[u.cost_usd for u in usages],
            marker_color="#4f46e5",
            name="cost",
            text=[f"${u.cost_usd:.4f}" + ("" if u.cost_known else "+?") for u in usages],
            textposition="auto",
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(x=names, y=[u.prompt_tokens for u in usages], name="prompt tokens", marker_color="#94a3b8"),
        row=1,
        col=2,
    )
    fig.add_trace(
        go.Bar(x=names, y=[u.completion_tokens for u in usages], name="completion tokens", marker_color="#0891b2"),
        row=1,
        col=2,
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=[u.latency_s for u in usages],
            marker_color="#d97706",
            name="wall time",
            text=[f"{u.latency_s:.1f} s" for u in usages],
            textposition="auto",
            showlegend=False,
        ),
        row=1,
        col=3,
    )
    if all(u.cost_usd == 0 and u.cost_known for u in usages):
        fig.update_yaxes(range=[0, 1], showticklabels=False, row=1, col=1)
        fig.add_annotation(text="every call was free", showarrow=False, xref="x domain", yref="y domain", x=0.5, y=0.5)
    fig.update_layout(
        barmode="stack",
        height=300,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.25, "x": 0.35},
    )
    return fig
