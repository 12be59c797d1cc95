"""A search's trials as they stand: its progress, the trial table and the charts (drawn live and in the results)."""

import pandas as pd
import streamlit as st

from app.jobs.search import SearchView
from app.widgets import charts
from archon_engine.search import TrialSummary

STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running", "WAITING": "waiting"}

ss = st.session_state


def progress(view: SearchView) -> None:
    """The progress bar, and what the study holds so far."""
    if view.status == "starting":
        st.progress(0.0, text="Opening the study…")
        return
    text = f"{view.evaluations} of {view.request.evaluations} evaluations ({view.done} trials) · {view.elapsed_s:.0f} s"
    st.progress(view.fraction, text=text)
    repeats = sum(t.duplicate_of is not None for t in view.trials)
    st.caption(
        f"Study “{view.study}”: {view.count('COMPLETE') - repeats} architectures evaluated, {repeats} repeats "
        f"(figures reused), {view.count('PRUNED')} pruned, {view.count('FAIL')} failed."
    )
    if view.stop_requested and not view.finished:
        st.caption("⏹️ Stopping: cancelling the evaluation in progress…")


def interval(low: float | None, high: float | None) -> str | None:
    """A 95% interval as "[low, high]"; None without one."""
    return None if low is None or high is None else f"[{low:.2f}, {high:.2f}]"


def _note(trial: TrialSummary) -> str:
    if trial.duplicate_of is not None:
        return f"same architecture as trial {trial.duplicate_of}: figures reused"
    return trial.reason or ""


def trials_table(view: SearchView, *, selectable: bool = False) -> None:
    """Every trial of the study: state, architecture, figures, and why it was pruned."""
    pareto = view.request.objective == "pareto"
    rank = {number: i + 1 for i, number in enumerate(distinct_best(view))}
    rows = [
        {
            "trial": t.number,
            "state": STATES.get(t.state, t.state.lower()),
            "front" if pareto else "rank": (t.number in rank) if pareto else rank.get(t.number),
            "architecture": t.name,
            "quality": t.quality,
            "95% CI": interval(t.quality_low, t.quality_high),
            "objective": None if pareto or not t.values else t.values[0],
            "cost/query $": t.cost_per_query,
            "latency s": t.latency_s,
            "calls/query": t.calls_per_query,
            "note": _note(t),
        }
        for t in view.trials
    ]
    if not rows:
        st.info("No trial has finished yet.", icon="⏳")
        return
    table = pd.DataFrame(rows)
    if pareto:
        table = table.drop(columns=["objective"])
    number = st.column_config.NumberColumn
    config = {
        "quality": number(format="%.3f", help=f"Mean score ({view.request.scorer}) on the dev split"),
        "objective": number(format="%.4f", help="Quality − λ × USD per query: what the search maximises"),
        "rank": number(format="%d", help="Best first, by the objective"),
        "front": st.column_config.CheckboxColumn(help="On the Pareto front of quality, cost and latency"),
        "cost/query $": number(format="%.6f"),
        "latency s": number(format="%.2f"),
        "calls/query": number(format="%.1f"),
    }
    if not selectable:
        st.dataframe(table, hide_index=True, width="stretch", column_config=config)
        return
    key = f"search_table_{view.id}"
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config=config,
        key=key,
        on_select=lambda: _picked_row(key, view),
        selection_mode="single-row",
    )


def distinct_best(view: SearchView) -> list[int]:
    """The best trials (or the front) without repeats of an earlier trial's architecture."""
    return [n for n in view.best if (t := view.trial(n)) is not None and t.duplicate_of is None]


def trial_key(view: SearchView) -> str:
    """Session-state key of the trial picked in this search's results."""
    return f"search_trial_{view.id}"


def _picked_row(table_key: str, view: SearchView) -> None:
    """A row clicked in the table picks its trial below (when it has an architecture)."""
    rows = ss[table_key].selection.rows
    if rows and rows[0] < len(view.trials):
        trial = view.trials[rows[0]]
        if trial.state == "COMPLETE" and trial.architecture is not None:
            ss[trial_key(view)] = trial.number if trial.duplicate_of is None else trial.duplicate_of


def charts_section(view: SearchView) -> None:
    """The best so far (one objective), and quality against cost and against latency."""
    if not view.evaluated():
        return
    pareto = view.request.objective == "pareto"
    if not pareto:
        label = "quality − λ·cost" if view.request.cost_weight else "quality"
        st.markdown("**Best so far**")
        st.plotly_chart(
            charts.search_best_so_far(view.trials, label), config={"displaylogo": False}, key="search_best_so_far"
        )
    highlight, name = (view.best, "Pareto front") if pareto else (view.best[:1], "best")
    for column, axis in zip(st.columns(2), ("cost", "latency"), strict=True):
        with column:
            st.markdown(f"**Quality vs {axis}**")
            figure = charts.search_tradeoff(view.trials, highlight, axis, name)
            st.plotly_chart(figure, config={"displaylogo": False}, key=f"search_tradeoff_{axis}")
