"""Is the difference real? On the Compare page: every system against a baseline, item by item, and with
repeats, quality as mean ± spread across repeats.

The figures are the engine's (``Evaluation.paired``, ``SystemSummary.quality_spread``); this draws them: a
baseline picker when there are several, a table with the verdict in words beside the numbers, and each
item's outcome (all, or only where the systems differ) with links that open both runs in the Run inspector.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from app import state
from archon_engine.evaluation.paired import PairedComparison
from archon_engine.evaluation.report import Evaluation, SystemSummary

BASELINE_KEY = "compare_paired_baseline"
DIFFER_KEY = "compare_paired_differ"
ITEM_COLUMNS = [
    "system", "item", "system score", "baseline score", "difference", "outcome", "errored", "system run",
    "baseline run",
]  # fmt: skip
PAIRED_HELP = (
    "Both systems answered the same items. Per item: a win when the system scored higher than the baseline, "
    "a loss when lower, a tie when equal (with repeats, an item's score is its mean over the repeats). The "
    "mean difference is the system's score minus the baseline's, averaged over the items, with a 95 % "
    "bootstrap interval that resamples items; when it contains 0 there is no measurable difference. "
    "A failed answer scores 0, as in the quality column."
)


def pick_baseline(evaluation: Evaluation) -> str | None:
    """The baseline to compare with: the only one, or the one the user picks when there are several."""
    choices = evaluation.paired_baselines()
    answered = {r.system for r in evaluation.results}
    choices = [c for c in choices if c in answered]
    if len(answered) < 2 or not choices:
        return None
    if len(choices) == 1:
        return choices[0]
    return st.selectbox("Against", choices, key=f"{BASELINE_KEY}_{evaluation.id}", help="The baseline to compare with")


def paired_frame(evaluation: Evaluation, baseline: str) -> pd.DataFrame:
    """One row per system: the counts, the mean difference with its interval, and the verdict (the engine's
    ``paired_table``, the interval as one column)."""
    table = evaluation.paired_table(baseline)
    low, high = table.pop("difference 95% low"), table.pop("difference 95% high")
    table["95% CI"] = [f"[{a:+.3f}, {b:+.3f}]" for a, b in zip(low, high, strict=True)]
    return table[["system", "wins", "losses", "ties", "items", "errored", "mean difference", "95% CI", "verdict"]]


def run_link(run_id: str | None) -> str | None:
    """A link (relative to this page) that opens a stored run in the Run inspector, in a new browser session:
    with per-visitor history it carries this browser's visitor id, without which the run is not its to see."""
    if run_id is None:
        return None
    visitor = st.query_params.get(state.VISITOR_PARAM)
    query = {state.RUN_PARAM: run_id, **({state.VISITOR_PARAM: visitor} if visitor else {})}
    return f"run?{urlencode(query)}"


def items_frame(evaluation: Evaluation, comparisons: list[PairedComparison]) -> pd.DataFrame:
    """Every item of every comparison: both scores, the difference, the outcome and links to both runs."""
    runs: dict[tuple[str, str], str | None] = {}
    for result in evaluation.results:  # with repeats, the first repeat's run
        runs.setdefault((result.system, result.item_id), result.run_id)
    return pd.DataFrame(
        [
            {
                "system": p.system,
                "item": i.item_id,
                "system score": i.system_score,
                "baseline score": i.baseline_score,
                "difference": i.difference,
                "outcome": i.outcome,
                "errored": i.errored,
                "system run": run_link(runs.get((p.system, i.item_id))),
                "baseline run": run_link(runs.get((p.baseline, i.item_id))),
            }
            for p in comparisons
            for i in p.items
        ],
        columns=ITEM_COLUMNS,
    )


def items_table(evaluation: Evaluation, comparisons: list[PairedComparison]) -> None:
    """The per-item outcomes, optionally only the items where the two systems scored differently."""
    differ = st.toggle(
        "Show only items where the systems differ",
        key=f"{DIFFER_KEY}_{evaluation.id}",
        help="Leave out the ties: the items both systems scored the same.",
    )
    frame = items_frame(evaluation, comparisons)
    if differ:
        frame = frame[frame["outcome"] != "tie"]
    if frame.empty:
        st.caption("The systems scored the same on every item." if differ else "No item answered by both.")
        return
    link = st.column_config.LinkColumn
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "system run": link(display_text="open ↗", help="This item's run in the Run inspector (a new tab)"),
            "baseline run": link(display_text="open ↗", help="The baseline's run of this item"),
        },
    )
    if frame["system run"].isna().all():
        st.caption("This evaluation was stored before item runs were kept: there are no runs to open.")


def paired_section(evaluation: Evaluation) -> None:
    """The paired comparison against the chosen baseline; nothing to compare says so."""
    st.subheader("Is the difference real? Item by item")
    baseline = pick_baseline(evaluation)
    if baseline is None:
        st.info("A paired comparison needs two systems that answered the same items.", icon="ℹ️")
        return
    comparisons = evaluation.paired(baseline)
    repeats = evaluation.spec.repeats
    per_item = f" (an item's score: its mean over {repeats} repeats)" if repeats > 1 else ""
    st.markdown(f"Against **{baseline}**, on the same items{per_item}:")
    number = st.column_config.NumberColumn
    st.dataframe(
        paired_frame(evaluation, baseline),
        hide_index=True,
        width="stretch",
        column_config={
            "mean difference": number(format="%+.3f", help="System minus baseline, averaged over the items"),
            "95% CI": st.column_config.TextColumn(help="95 % bootstrap interval of the mean difference"),
            "errored": number(help="Items where an answer of either failed: scored 0"),
            "verdict": st.column_config.TextColumn(width="large"),
        },
    )
    unpaired = sum(p.unpaired for p in comparisons)
    left_out = f" {unpaired} items answered by only one side were left out." if unpaired else ""
    st.caption(PAIRED_HELP + left_out)
    with st.expander("Every item, win, loss or tie", expanded=True):
        items_table(evaluation, comparisons)


def repeats_section(evaluation: Evaluation, summaries: list[SystemSummary]) -> None:
    """With repeats: each system's quality as mean ± the spread across repeats, and each repeat's quality."""
    repeats = evaluation.spec.repeats
    if repeats < 2:
        return
    st.markdown(f"**Quality over {repeats} repeats**")
    rows = []
    for s in summaries:
        spread = "" if s.quality_spread is None else f" ± {s.quality_spread:.3f}"
        row = {"system": s.system, "quality": f"{s.quality.mean:.3f}{spread}"}
        row.update({f"repeat {r + 1}": q for r, q in enumerate(s.quality_by_repeat)})
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(
        "Mean ± standard deviation across repeats of each repeat's quality (its answers' mean score). Every "
        "repeat is a call of its own, at temperature 0 too; the interval in the table above resamples items."
    )
