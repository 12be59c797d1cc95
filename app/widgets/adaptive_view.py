"""Adaptive compute on the Run page: how many samples an adaptive generator drew and why it stopped, the calls
it saved, and fusions skipped because their candidates agreed; and the estimate's range of calls."""

from __future__ import annotations

import streamlit as st

from archon_engine.estimate import Estimate, calls_range
from archon_engine.state import ComponentOutput, FusionSkip, Sampling


def _calls(count: int) -> str:
    return f"{count} call" if count == 1 else f"{count} calls"


def sampling_summary(sampling: Sampling) -> str:
    """``4 of 8 samples drawn · 4 calls saved``."""
    saved = f"{_calls(sampling.saved)} saved" if sampling.saved else "no call saved"
    return f"{sampling.drawn} of {sampling.maximum} samples drawn · {saved}"


def skip_summary(skip: FusionSkip) -> str:
    """``fusion skipped: 5 of 5 candidates give the answer '4' …``."""
    return f"fusion skipped: {skip.reason}; {skip.copied} passes on as {skip.passed_on} ({_calls(skip.saved)} saved)"


def adaptive_facts(outputs: list[ComponentOutput]) -> None:
    """For each output of an adaptive generator or a skipped fusion, what it did and why."""
    for output in outputs:
        if (sampling := output.sampling) is not None:
            icon = "🛑" if sampling.rule_met else "🔁"
            st.info(
                f"**{output.component}: {sampling_summary(sampling)}**  \nWhy sampling stopped: {sampling.reason}",
                icon=icon,
            )
            answers = ", ".join("—" if a is None else repr(a) for a in sampling.answers)
            waves = " + ".join(map(str, sampling.waves))
            st.caption(f"Rule `{sampling.rule}` · waves {waves} · answers read, in sample order: {answers}")
        if (skip := output.fusion_skip) is not None:
            st.info(f"**{output.component}: {skip_summary(skip)}**", icon="⏭️")


def estimate_text(est: Estimate) -> str:
    """``Up to 8 calls``, or for an adaptive architecture its range and expected calls."""
    return calls_range(est) if est.min_calls is not None else f"Up to {_calls(est.calls)}"
