"""A fused answer with each sentence in the colour of the candidate it came from, a legend and the shares; for
the session's finished run, a button that re-runs the fuser without each candidate and shows what changes.

The leave-one-out check needs the run the card belongs to: it is the session's last run (``state.last_run``,
the one the Run page shows), when it holds a fusion with this text made from these candidates.
"""

from __future__ import annotations

import streamlit as st

from app import state
from app.jobs.base import BACKEND_KEY, session_cache
from app.jobs.what_if import LeaveOneOutJob, LeaveOneOutView
from archon_engine import RunResult
from archon_engine.explain import LeaveOneOut, fusion_provenance, novel_share, planned_calls, source_shares
from archon_engine.explain.leave_one_out import KEPT_AT_LEAST

COLOURS = ("blue", "green", "orange", "violet", "red", "gray")
JOBS_KEY = "leave_one_out_jobs"  # session state: fused id -> (the run, its LeaveOneOutJob)
REFRESH_S = 0.5


def _escaped(text: str) -> str:
    """Text safe inside a Streamlit colour directive (its brackets close the directive)."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace("\n", " ")


def fusion_view(fused: str, inputs: dict[str, str]) -> None:
    """``fused`` sentence by sentence, highlighted by source (``inputs``: candidate id -> text); new ones marked."""
    segments = fusion_provenance(fused, inputs)
    if not segments:
        st.markdown("*(empty)*")
        return
    colours = {cid: COLOURS[i % len(COLOURS)] for i, cid in enumerate(inputs)}
    pieces = []
    for segment in segments:
        if segment.best is None:
            pieces.append(f"🆕 *{_escaped(segment.text)}*")
        else:
            pieces.append(f":{colours[segment.best]}-background[{_escaped(segment.text)}]")
    st.markdown(" ".join(pieces))
    shares = source_shares(segments)
    legend = [f":{colours[cid]}-badge[{cid} · {shares.get(cid, 0.0):.0%}]" for cid in inputs]
    legend.append(f"🆕 new · {novel_share(segments):.0%}")
    st.markdown("**Where it came from:** " + " ".join(legend))
    st.caption("Matched by shared words and word pairs: a paraphrase shows as new, a negation as copied.")
    run = state.last_run()
    fused_id = _fusion_in(run, fused, inputs) if run is not None else None
    if fused_id is not None:
        leave_one_out_section(run, fused_id, colours)


def _fusion_in(run: RunResult, fused: str, inputs: dict[str, str]) -> str | None:
    """The id of ``run``'s fusion with this text read from these candidates, if it can be taken apart."""
    texts = {c.id: c.text for layer in run.layers for c in layer.candidates}
    for layer in run.layers:
        for output in layer.outputs:
            for candidate in output.candidates or []:
                read = {cid: texts.get(cid) for cid in candidate.inputs}
                if candidate.text == fused and read == inputs and len(inputs) > 1 and output.fusion_skip is None:
                    return candidate.id
    return None


def _job(run: RunResult, fused_id: str) -> LeaveOneOutJob | None:
    kept = st.session_state.get(JOBS_KEY, {}).get(fused_id)
    return kept[1] if kept is not None and kept[0] is run else None


def _start(run: RunResult, fused_id: str) -> None:
    """Button callback: take the fusion apart in the background, through the session's response cache."""
    settings = state.settings()
    job = LeaveOneOutJob(
        run,
        fused_id,
        backend=st.session_state.get(BACKEND_KEY),
        cache=session_cache(),
        api_keys=state.api_keys(),
        limits=settings.limits(),
        budget=settings.budget(),
    ).start()
    st.session_state.setdefault(JOBS_KEY, {})[fused_id] = (run, job)


def leave_one_out_section(run: RunResult, fused_id: str, colours: dict[str, str]) -> None:
    """The button, the check while it runs, and what it found."""
    job = _job(run, fused_id)
    if job is None:
        calls = planned_calls(run, fused_id)
        st.button(
            f"What does each candidate change? ({calls} calls)",
            key=f"leave_one_out_{fused_id}",
            icon=":material/science:",
            on_click=_start,
            args=(run, fused_id),
            help="Re-runs this fuser once without each candidate it read (through the response cache: a second "
            "time is free) and shows which sentences of the fusion change.",
        )
    elif not job.view.finished:
        _live(job)
    else:
        outcome(job.view, colours)


@st.fragment(run_every=REFRESH_S)
def _live(job: LeaveOneOutJob) -> None:
    job.poll()
    if job.view.finished:
        st.rerun()
    st.caption(f"Re-running the fuser without each candidate: {job.view.planned} calls, {job.view.elapsed_s:.0f} s…")


def outcome(view: LeaveOneOutView, colours: dict[str, str]) -> None:
    if view.found is None:
        st.error(f"The check could not finish: {view.error}", icon="🚫")
        return
    st.markdown("**Without each candidate**")
    findings(view.found, colours)


def findings(found: LeaveOneOut, colours: dict[str, str]) -> None:
    """Per candidate: how much of the fusion depends on it and which sentences change without it."""
    for effect in found.effects:
        badge = f":{colours.get(effect.candidate_id, 'gray')}-badge[{effect.candidate_id}]"
        if effect.fused_without is None:
            st.markdown(f"{badge} the call failed: {effect.error}")
            continue
        if not effect.changed:
            said = "nothing changes without it"
        else:
            quoted = "; ".join(f"*{_escaped(found.sentences[i])}*" for i in effect.changed)
            count = "1 sentence changes" if len(effect.changed) == 1 else f"{len(effect.changed)} sentences change"
            said = f"{effect.dependence:.0%} of the fusion depends on it: {count}: {quoted}"
        new = f" · {len(effect.added)} new without it" if effect.added else ""
        st.markdown(f"{badge} {said}{new}")
        with st.expander(f"The fusion without {effect.candidate_id}"):
            st.markdown(effect.fused_without.strip() or "*(empty)*")
    usage = found.usage
    cached = f", {usage.cached_calls} from the cache" if usage.cached_calls else ""
    chance = " The fuser samples (temperature > 0, no seed): part of a change may be chance." if found.sampled else ""
    st.caption(
        f"{usage.calls} calls{cached}. A sentence changes when no sentence of the fusion without the candidate "
        f"holds {KEPT_AT_LEAST:.0%} of it.{chance}"
    )
