"""A layer's explanation at the top of its tab, and what later steps said about a candidate, on its card."""

from __future__ import annotations

import streamlit as st

from archon_engine.explain import CandidateFeedback, LayerExplanation

VERDICT_WORDS = {True: "✅ correct", False: "❌ incorrect", None: "❔ no verdict"}


def layer_explanation(explanation: LayerExplanation) -> None:
    """What the technique does, what it did here, what the paper found; then each way it did not do its job."""
    with st.container(border=True):
        if explanation.technique:
            st.markdown(f"**What it does.** {explanation.technique}")
        if explanation.happened:
            st.markdown("**In this run:** " + "; ".join(explanation.happened) + ".")
        if explanation.paper:
            st.caption(f"**What the paper found.** {explanation.paper}")
    for problem in explanation.problems:
        st.warning(f"**Did not do its job:** {problem}", icon="🚩")


def feedback_notes(feedback: CandidateFeedback | None) -> None:
    """Critiques, rank and move, verdicts, tests passed, votes, fusions and the drop of one candidate."""
    if feedback is None or (feedback.empty and feedback.dropped is None):
        return
    lines = []
    for critique in feedback.critiques:
        lines.append(f":green[**+**] {critique.strengths}  \n:orange[**−**] {critique.weaknesses}")
    for rank in feedback.rankings:
        move = rank.move
        moved = "" if not move else f" (▲{move})" if move > 0 else f" (▼{-move})"
        failed = " · the ranking failed" if rank.failed else ""
        lines.append(f"🏆 rank {rank.rank} of {rank.of}{moved} by {rank.source}{failed}")
    for verdict in feedback.verdicts:
        lines.append(f"⚖️ {VERDICT_WORDS[verdict.correct]} ({verdict.source})")
    for tests in feedback.tests:
        unknown = f", {tests.unknown} unknown" if tests.unknown else ""
        lines.append(f"📋 passed {tests.passed} of {tests.total} tests{unknown}")
    for vote in feedback.votes:
        if vote.answer is None:
            lines.append("🗳️ no answer read: did not vote")
        else:
            lines.append(f"🗳️ answer `{vote.answer}`: {vote.votes} of {vote.of} votes")
    if feedback.fused_into:
        lines.append("🧬 read by " + ", ".join(f"`{cid}`" for cid in feedback.fused_into))
    if feedback.dropped is not None:
        lines.append(f":gray[dropped at L{feedback.dropped.layer}: {feedback.dropped.reason}]")
    with st.expander(f"What later steps said ({len(lines)})"):
        st.markdown("\n\n".join(lines))
