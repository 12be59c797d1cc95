"""What if…? Below a finished run: change candidates' text, re-run from a layer through the design as it is now
on the Design page, and see the two runs side by side (answers with their diff, calls, cost, latency).

The layers before the chosen one are the run's own (``archon_engine.what_if``): no call is made for them. The
re-run goes in the background (``app.jobs.what_if``) and is saved to the history as a what-if of its run.
"""

from __future__ import annotations

import streamlit as st

from app import state
from app.jobs.base import BACKEND_KEY
from app.jobs.run import RunView
from app.jobs.what_if import WhatIfJob, WhatIfView
from app.widgets import trace_view
from archon_engine import ArchitectureError, RunResult
from archon_engine.state import Candidate
from archon_engine.storage.store import StoreError

JOB_KEY = "what_if_job"
NOTICE_KEY = "what_if_notice"  # (the run it is about, why the re-run did not start)
REFRESH_S = 0.5
PREVIEW = 70  # characters of a candidate's text in the picker
HOW = (
    "Re-run this run from one of its layers. The layers before it come from the run itself (no model call), "
    "with any candidate's text changed as you write it below: plant a wrong answer and see whether the critic "
    "notices. The re-run goes through the design as it is now on the Design page: to drop a layer, swap a "
    "component's model or change its samples, change it there first, then come back here."
)


def _key(view: RunView, name: str) -> str:
    """A widget key of this run's panel: another run starts with fresh widgets."""
    return f"what_if_{view.run_id or id(view.result)}_{name}"


def made_before(run: RunResult, layer: int) -> list[Candidate]:
    """The candidates the layers before ``layer`` wrote, in order (what an edit can change)."""
    return [c for done in run.layers[:layer] for output in done.outputs for c in output.candidates or []]


def _job(run: RunResult) -> WhatIfJob | None:
    job = st.session_state.get(JOB_KEY)
    return job if job is not None and job.view.original is run else None


def _start(view: RunView, from_layer: int, chosen: list[str]) -> None:
    """Button callback: the edits typed in, and the re-run started (or the engine's reason it cannot be)."""
    ss, run = st.session_state, view.result
    texts = {c.id: c.text for c in made_before(run, from_layer)}
    edits = {cid: ss.get(_key(view, f"text_{cid}"), texts[cid]) for cid in chosen if cid in texts}
    edits = {cid: text for cid, text in edits.items() if text != texts[cid]}
    settings = state.settings()
    try:
        history = state.store()
    except StoreError:
        history = None
    try:
        job = WhatIfJob(
            run,
            view.run_id,
            from_layer=from_layer,
            architecture=state.architecture(),
            edits=edits,
            store=history,
            backend=ss.get(BACKEND_KEY),
            api_keys=state.api_keys(),
            limits=settings.limits(),
            budget=settings.budget(),
        )
    except ValueError as exc:
        ss[NOTICE_KEY] = (run, f"This re-run cannot start: {exc}.")
        return
    except ArchitectureError as exc:
        ss[NOTICE_KEY] = (run, "The design on the Design page cannot run: " + "; ".join(map(str, exc.findings)))
        return
    if (previous := ss.get(JOB_KEY)) is not None:
        previous.cancel()
    ss.pop(NOTICE_KEY, None)
    ss[JOB_KEY] = job.start()


def _cancel() -> None:
    if (job := st.session_state.get(JOB_KEY)) is not None:
        job.cancel()


def _open(result: RunResult, run_id: str | None) -> None:
    """Show the what-if run in the inspector above (the Run page takes a new last run in)."""
    state.set_last_run(result, run_id)


def what_if_panel(view: RunView) -> None:
    """The panel below a finished run's inspector; nothing for a run without a result."""
    run = view.result
    if run is None or not run.layers:
        return
    st.divider()
    st.subheader("What if…?")
    st.caption(HOW)
    job = _job(run)
    running = job is not None and not job.view.finished
    design = state.architecture()
    last = min(len(design.layers) - 1, len(run.layers))
    from_layer = st.selectbox(
        "Re-run from",
        list(range(last + 1)),
        index=last,
        format_func=lambda i: trace_view.layer_label(i, design.layers[i]),
        key=_key(view, "from"),
        disabled=running,
        help="This layer and those after it are called again; those before it are taken from the run.",
    )
    if design != run.architecture:  # a replayed or reopened run, or a design changed since
        st.caption(
            "The design on the Design page is not this run's. Its changes apply from the layer you re-run from; "
            "if an earlier layer differs, the re-run is refused: start from this run's own design instead."
        )
        st.button(
            "Use this run's design",
            icon=":material/schema:",
            on_click=state.set_architecture,
            args=(run.architecture,),
            disabled=running,
            key=_key(view, "use_design"),
            help="Puts this run's design on the Design page (Undo there brings yours back).",
        )
    chosen = _edits(view, from_layer, disabled=running)
    with st.container(horizontal=True):
        st.button(
            f"Re-run from layer {from_layer}",
            type="primary",
            icon=":material/replay:",
            on_click=_start,
            args=(view, from_layer, chosen),
            disabled=running,
            key=_key(view, "go"),
        )
        st.button(
            "Cancel the re-run",
            icon=":material/stop:",
            on_click=_cancel,
            disabled=not running,
            key=_key(view, "cancel"),
        )
    notice = st.session_state.get(NOTICE_KEY)
    if notice is not None and notice[0] is run:
        st.error(notice[1], icon="🚫")
    if job is None:
        return
    if running:
        _live(job)
    else:
        side_by_side(job.view)


def _edits(view: RunView, from_layer: int, *, disabled: bool) -> list[str]:
    """The candidates picked to change, each with a text area holding its text; their ids."""
    made = {c.id: c for c in made_before(view.result, from_layer)}
    if not made:
        st.caption("Re-run from a later layer to change the text of the candidates before it.")
        return []
    chosen = st.multiselect(
        "Candidates to change",
        list(made),
        format_func=lambda cid: f"{cid} · {made[cid].text.strip()[:PREVIEW]}",
        key=_key(view, f"chosen_{from_layer}"),
        disabled=disabled,
        placeholder="Pick the candidates whose text you want to change",
    )
    for cid in chosen:
        st.text_area(
            f"{cid} (from {made[cid].source})", made[cid].text, key=_key(view, f"text_{cid}"), disabled=disabled
        )
    return chosen


@st.fragment(run_every=REFRESH_S)
def _live(job: WhatIfJob) -> None:
    """Redrawn twice a second while the re-run goes; a full rerun follows once it ends."""
    job.poll()
    view = job.view
    if view.finished:
        st.rerun()
    done = view.layers_done - view.from_layer
    st.progress(
        done / max(1, view.layers - view.from_layer),
        text=f"Re-running from layer {view.from_layer}: {done} of {view.layers - view.from_layer} layers, "
        f"{trace_view.calls_text(view.calls)} · {view.elapsed_s:.0f} s",
    )


def side_by_side(view: WhatIfView) -> None:
    """The original and the what-if: answers, the answers' diff, calls, cost and latency of each."""
    if view.result is None:
        st.error(f"The re-run failed: {view.error}", icon="🚫")
        return
    if view.not_saved:
        st.warning(view.not_saved)
    diff = view.difference
    runs = (("The run", view.original), (f"What if (from layer {view.from_layer})", view.result))
    for column, (title, result), calls, cost, latency in zip(
        st.columns(2), runs, diff.calls, diff.cost_usd, diff.latency_s, strict=True
    ):
        with column, st.container(border=True):
            status = "" if result.status == "completed" else f" · :red[{result.status}]"
            st.markdown(f"**{title}**{status}")
            answer = result.answer if result.answer is not None else f"(no answer: {result.error})"
            st.code(answer, language=None, wrap_lines=True)
            with st.container(horizontal=True):
                st.metric("Calls", calls)
                st.metric("Cost", trace_view.money(cost))
                st.metric("Latency", f"{latency:.2f} s")
    if diff.answer_diff:
        st.markdown("**The answers' diff**")
        st.code("\n".join(diff.answer_diff), language="diff")
    else:
        st.success("The same answer.", icon="🟰")
    reused = trace_view.calls_text(diff.reused_calls)
    st.caption(
        f"The re-run took layers 0 to {view.from_layer - 1} from the run ({reused} not made again) and made "
        f"{trace_view.calls_text(diff.calls[1])}."
        if view.from_layer
        else f"The re-run made every call again ({trace_view.calls_text(diff.calls[1])})."
    )
    if view.run_id is not None:
        st.button(
            "Open the what-if run in the inspector",
            icon=":material/open_in_full:",
            on_click=_open,
            args=(view.result, view.run_id),
            help=f"Saved in the history as run {view.run_id}.",
        )
