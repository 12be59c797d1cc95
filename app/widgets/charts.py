"""Plotly figures of a run: a Gantt timeline of every call, and per-layer cost, token and latency totals."""

from __future__ import annotations

from typing import Literal

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.widgets.graph import colour
from archon_engine.evaluation.report import SystemSummary
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


def votes(counts: dict[str, int], winner: str | None, abstained: int = 0) -> go.Figure:
    """One bar per extracted answer with its votes, the winner highlighted; candidates without an
    answer, if any, as a grey bar of their own."""
    answers = [_short_label(a) for a in counts]
    fig = go.Figure(
        go.Bar(
            x=answers,
            y=list(counts.values()),
            marker_color=[colour("majority_vote") if a == winner else "#94a3b8" for a in counts],
            text=[f"{n} ★" if a == winner else str(n) for a, n in counts.items()],
            textposition="auto",
            hovertext=[f"{a}: {n} vote{'s' if n != 1 else ''}" for a, n in counts.items()],
            hoverinfo="text",
            name="votes",
        )
    )
    if abstained:
        fig.add_trace(
            go.Bar(
                x=["(no answer)"],
                y=[abstained],
                marker={"color": "#e2e8f0", "pattern": {"shape": "/", "fgcolor": "#94a3b8"}},
                text=[str(abstained)],
                textposition="auto",
                hoverinfo="skip",
                name="no answer",
            )
        )
    fig.update_layout(
        height=260,
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"title": "votes", "dtick": 1, "rangemode": "tozero"},
        xaxis={"type": "category", "title": None},
        bargap=0.35,
    )
    return fig


def _short_label(answer: str, limit: int = 40) -> str:
    return answer if len(answer) <= limit else answer[: limit - 1] + "…"


ARCHITECTURE_COLOUR, BASELINE_COLOUR, FRONTIER_COLOUR = "#4f46e5", "#d97706", "#16a34a"
AXES = {"cost": "cost per query (USD)", "latency": "mean latency per query (s)"}


def _x(summary: SystemSummary, axis: Literal["cost", "latency"]) -> float | None:
    if axis == "latency":
        return summary.latency_mean_s
    return summary.cost_per_query if summary.cost_known else None


def _systems_trace(summaries: list[SystemSummary], axis: Literal["cost", "latency"], baseline: bool) -> go.Scatter:
    """Architectures as circles or baselines as diamonds, quality with its 95 % interval as error bars."""
    chosen = [s for s in summaries if s.baseline == baseline]
    return go.Scatter(
        name="single-model baselines" if baseline else "architectures",
        x=[_x(s, axis) for s in chosen],
        y=[s.quality.mean for s in chosen],
        error_y={
            "type": "data",
            "symmetric": False,
            "array": [s.quality.high - s.quality.mean for s in chosen],
            "arrayminus": [s.quality.mean - s.quality.low for s in chosen],
            "thickness": 1.2,
        },
        mode="markers+text",
        text=[s.system for s in chosen],
        textposition="bottom center" if baseline else "top center",  # coinciding points keep readable labels
        marker={
            "symbol": "diamond" if baseline else "circle",
            "size": 13,
            "color": BASELINE_COLOUR if baseline else ARCHITECTURE_COLOUR,
            "line": {"color": "white", "width": 1},
        },
        customdata=[[s.quality.low, s.quality.high, s.items] for s in chosen],
        hovertemplate=(
            "<b>%{text}</b><br>quality %{y:.3f} [%{customdata[0]:.3f}, %{customdata[1]:.3f}] over "
            f"%{{customdata[2]}} items<br>{AXES[axis]}: %{{x:.4g}}<extra>%{{fullData.name}}</extra>"
        ),
    )


def quality_vs(
    summaries: list[SystemSummary],
    frontier: list[str],
    axis: Literal["cost", "latency"] = "cost",
    best_single_model: str | None = None,
) -> go.Figure:
    """Quality against cost or latency per query, one point per system with its 95 % interval.

    Baselines are diamonds, architectures circles; the Pareto frontier (``Evaluation.pareto``) is a
    dashed line through the systems nothing beats on both axes; the best single model is labelled.
    """
    fig = go.Figure()
    on_frontier = sorted(
        (s for s in summaries if s.system in frontier and _x(s, axis) is not None), key=lambda s: _x(s, axis)
    )
    fig.add_trace(
        go.Scatter(
            name="Pareto frontier",
            x=[_x(s, axis) for s in on_frontier],
            y=[s.quality.mean for s in on_frontier],
            mode="lines",
            line={"color": FRONTIER_COLOUR, "dash": "dash", "width": 2},
            hoverinfo="skip",
        )
    )
    for baseline in (False, True):
        if any(s.baseline == baseline for s in summaries):
            fig.add_trace(_systems_trace(summaries, axis, baseline))
    best = next((s for s in summaries if s.system == best_single_model), None)
    if best is not None and _x(best, axis) is not None:
        fig.add_annotation(
            x=_x(best, axis), y=best.quality.mean, text="best single model", ax=40, ay=30, arrowcolor=BASELINE_COLOUR
        )
    free = axis == "cost" and all(s.cost_known and s.cost_per_query == 0 for s in summaries)
    if free:
        fig.add_annotation(text="every call was free", showarrow=False, xref="x domain", yref="y domain", x=0.5, y=0.02)
    fig.update_layout(
        height=380,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "title": None},
        xaxis={"title": AXES[axis], "range": _padded([_x(s, axis) for s in summaries]), "showticklabels": not free},
        yaxis={"title": "quality", "range": [-0.05, 1.1]},
    )
    return fig


def _padded(values: list[float | None], margin: float = 0.3) -> list[float] | None:
    """An axis range with room on both sides for the points' labels (points on the edge are cut otherwise)."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    low, high = min(known), max(known)
    span = (high - low) or abs(high) or 1.0
    return [low - margin * span, high + margin * span]


# ------------------------------------------------------------------------------------------- search (ITAS)

TRIAL_COLOUR, BEST_TRIAL_COLOUR = "#4f46e5", "#16a34a"


def _trial_hover(axis_text: str = "") -> str:
    return (
        "<b>trial %{customdata[0]}</b>: %{customdata[1]}<br>quality %{customdata[2]:.3f} "
        "[%{customdata[3]:.3f}, %{customdata[4]:.3f}]<br>$%{customdata[5]:.5f} per query · %{customdata[6]:.2f} s"
        f" · %{{customdata[7]:.1f}} calls{axis_text}<extra>%{{fullData.name}}</extra>"
    )


def _trial_interval(trial) -> tuple[float, float]:
    quality = trial.quality or 0.0
    low, high = trial.quality_low, trial.quality_high
    return (quality if low is None else low), (quality if high is None else high)


def _trial_data(trial) -> list:
    return [
        trial.number,
        trial.name,
        trial.quality or 0.0,
        *_trial_interval(trial),
        trial.cost_per_query or 0.0,
        trial.latency_s or 0.0,
        trial.calls_per_query or 0.0,
    ]


def search_best_so_far(trials: list, label: str = "objective") -> go.Figure:
    """A search's progress: each evaluated trial's objective (``TrialSummary.values[0]``) against its number,
    the best so far as a step line, and the best trial as a green star. ``trials``: ``TrialSummary`` objects."""
    done = sorted((t for t in trials if t.state == "COMPLETE" and t.values), key=lambda t: t.number)
    values = [t.values[0] for t in done]
    best_so_far = [max(values[: i + 1]) for i in range(len(values))]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            name="best so far",
            x=[t.number for t in done],
            y=best_so_far,
            mode="lines",
            line={"shape": "hv", "color": BEST_TRIAL_COLOUR, "width": 2},
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            name="trials",
            x=[t.number for t in done],
            y=values,
            mode="markers",
            marker={"color": TRIAL_COLOUR, "size": 9, "line": {"color": "white", "width": 1}},
            customdata=[_trial_data(t) for t in done],
            hovertemplate=_trial_hover(f"<br>{label}: %{{y:.4f}}"),
        )
    )
    if done:
        top = max(range(len(done)), key=lambda i: (values[i], -done[i].number))
        fig.add_trace(
            go.Scatter(
                name="best",
                x=[done[top].number],
                y=[values[top]],
                mode="markers",
                marker={"color": BEST_TRIAL_COLOUR, "size": 16, "symbol": "star"},
                customdata=[_trial_data(done[top])],
                hovertemplate=_trial_hover(f"<br>{label}: %{{y:.4f}}"),
            )
        )
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "title": None},
        xaxis={"title": "trial", "rangemode": "tozero", "dtick": 1 if len(done) <= 20 else None},
        yaxis={"title": label},
    )
    return fig


def search_tradeoff(
    trials: list,
    highlight: list[int] | set[int],
    axis: Literal["cost", "latency"] = "cost",
    highlight_name: str = "Pareto front",
) -> go.Figure:
    """Quality against cost or latency per query for every evaluated trial (repeats of an earlier architecture
    left out), with 95 % intervals; the trials numbered in ``highlight`` (the Pareto front, or the best) are
    green and labelled. ``trials``: ``TrialSummary`` objects."""
    marked = set(highlight)
    shown = [t for t in trials if t.state == "COMPLETE" and t.quality is not None and t.duplicate_of is None]
    x_of = (lambda t: t.latency_s) if axis == "latency" else (lambda t: t.cost_per_query)
    fig = go.Figure()
    for chosen, name in ((False, "trials"), (True, highlight_name)):
        group = [t for t in shown if (t.number in marked) == chosen]
        if not group:
            continue
        fig.add_trace(
            go.Scatter(
                name=name,
                x=[x_of(t) for t in group],
                y=[t.quality for t in group],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [_trial_interval(t)[1] - t.quality for t in group],
                    "arrayminus": [t.quality - _trial_interval(t)[0] for t in group],
                    "thickness": 1.2,
                },
                mode="markers+text" if chosen else "markers",
                text=[f"#{t.number}" for t in group] if chosen else None,
                textposition="top center",
                marker={
                    "color": BEST_TRIAL_COLOUR if chosen else TRIAL_COLOUR,
                    "size": 14 if chosen else 10,
                    "symbol": "diamond" if chosen else "circle",
                    "line": {"color": "white", "width": 1},
                },
                customdata=[_trial_data(t) for t in group],
                hovertemplate=_trial_hover(),
            )
        )
    free = axis == "cost" and shown and all(not t.cost_per_query for t in shown)
    if free:
        fig.add_annotation(text="every call was free", showarrow=False, xref="x domain", yref="y domain", x=0.5, y=0.02)
    fig.update_layout(
        height=360,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "title": None},
        xaxis={"title": AXES[axis], "rangemode": "tozero", "zeroline": True, "range": [-0.05, 1] if free else None},
        yaxis={"title": "quality", "range": [-0.05, 1.1]},
    )
    return fig
