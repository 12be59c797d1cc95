"""History: the runs and evaluations kept in the run store (the path is set on the Settings page).

Reopen a run in Run (or download it as a recording to replay) or an evaluation in Compare, compare two
runs, delete either, or resume an evaluation that stopped before every system answered every item.
"""

import datetime as dt
import sqlite3

import pandas as pd
import streamlit as st

from app import state
from app.jobs import evaluation as evaluation_job
from archon_engine.design.presets import slugify
from archon_engine.recording import record
from archon_engine.storage.store import RunSummary, Store, StoreError

RUN_KEY, OTHER_RUN_KEY, EVALUATION_KEY = "history_run", "history_other_run", "history_evaluation"
NOTICE_KEY = "history_notice"
PROBLEMS = (StoreError, sqlite3.Error)

ss = st.session_state


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _short(text: str | None, limit: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _run_label(run: RunSummary) -> str:
    return f"{_when(run.created)} · {run.name} · {_short(run.prompt, 60)}"


def _cell(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _flash(text: str) -> None:
    """A message shown once, after the rerun that follows an action."""
    ss[NOTICE_KEY] = text


# ------------------------------------------------------------------------------------------- runs


def runs_table(runs: list[RunSummary]) -> None:
    rows = [
        {
            "when": _when(r.created),
            "architecture": r.name,
            "prompt": _short(r.prompt),
            "status": r.status,
            "answer": _short(r.answer),
            "calls": r.calls,
            "tokens": r.tokens,
            "cost $": r.cost_usd,
            "latency s": r.latency_s,
            "id": r.id,
        }
        for r in runs
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "cost $": st.column_config.NumberColumn(format="%.6f"),
            "latency s": st.column_config.NumberColumn(format="%.2f"),
        },
    )


def compare_two_runs(store: Store, first: str, runs: dict[str, RunSummary]) -> None:
    others = [run_id for run_id in runs if run_id != first]
    if not others:
        return
    second = st.selectbox(
        "Compare it with",
        others,
        index=None,
        format_func=lambda run_id: _run_label(runs[run_id]),
        key=OTHER_RUN_KEY,
        placeholder="Pick another run",
    )
    if second is None:
        return
    rows = store.compare_runs(first, second)
    same = next(r for r in rows if r[""] == "same config")
    st.caption("The same configuration." if same[first] == same[second] else "Different configurations.")
    table = pd.DataFrame(
        {
            "": ["config hash" if r[""] == "same config" else r[""] for r in rows],
            "this run": [_cell(r[first]) for r in rows],
            "the other": [_cell(r[second]) for r in rows],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def recording_button(store: Store, run: RunSummary) -> None:
    """Download the run as a recording, to replay anywhere (the Run page's Watch a recorded run, or the CLI)."""
    result = store.run(run.id)
    st.download_button(
        "Download a recording",
        record(result, when=dt.datetime.fromtimestamp(run.created, dt.UTC)).to_json(),
        file_name=f"archon-recording-{slugify(result.architecture.name)}-{run.id}.json",
        mime="application/json",
        icon=":material/movie:",
        key="history_recording",
        help="Replays with no model or key: Watch a recorded run on the Run page, or python -m archon_engine replay",
    )


def runs_section(store: Store) -> None:
    runs = {r.id: r for r in store.runs()}
    if not runs:
        st.info("No runs yet: every run finished on the Run page is kept here.", icon="🗂️")
        return
    runs_table(list(runs.values()))
    chosen = st.selectbox(
        "Run",
        list(runs),
        format_func=lambda run_id: _run_label(runs[run_id]),
        key=RUN_KEY,
    )
    with st.container(horizontal=True):
        reopen = st.button("Open in Run", type="primary", icon=":material/open_in_new:", key="history_open_run")
        recording_button(store, runs[chosen])
        delete = st.button("Delete this run", icon=":material/delete:", key="history_delete_run")
    if reopen:
        state.set_last_run(store.run(chosen), chosen)
        st.switch_page("views/run.py")
    if delete:
        store.delete_run(chosen)
        _flash(f"Deleted the run of “{runs[chosen].name}”.")
        st.rerun()
    compare_two_runs(store, chosen, runs)


# ------------------------------------------------------------------------------------------- evaluations


def evaluations_section(store: Store) -> None:
    evaluations = {e.id: e for e in store.evaluations()}
    if not evaluations:
        st.info("No evaluations yet: run one on the Compare page.", icon="⚖️")
        return
    rows = [
        {
            "when": _when(e.created),
            "name": e.name,
            "dataset": e.dataset,
            "scorer": e.scorer,
            "systems": ", ".join(e.systems),
            "answers": f"{e.results} of {e.answers}",
            "status": e.status,
            "id": e.id,
        }
        for e in evaluations.values()
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    chosen = st.selectbox(
        "Evaluation",
        list(evaluations),
        format_func=lambda i: f"{_when(evaluations[i].created)} · {evaluations[i].name or evaluations[i].dataset}",
        key=EVALUATION_KEY,
    )
    summary = evaluations[chosen]
    resumable = evaluation_job.resumable(summary)
    with st.container(horizontal=True):
        reopen = st.button("Open in Compare", type="primary", icon=":material/open_in_new:", key="history_open_eval")
        resume = st.button(
            "Resume",
            icon=":material/replay:",
            disabled=not resumable,
            key="history_resume_eval",
            help="Runs only what is missing or failed." if resumable else "Only an evaluation that stopped early.",
        )
        delete = st.button(
            "Delete this evaluation",
            icon=":material/delete:",
            disabled=evaluation_job.is_active(chosen),
            key="history_delete_eval",
        )
    if reopen:
        state.set_last_evaluation(store.load_evaluation(chosen))
        st.switch_page("views/compare.py")
    if resume:
        resume_evaluation(store, chosen)
    if delete:
        store.delete_evaluation(chosen)
        shown = state.last_evaluation()
        if shown is not None and shown.id == chosen:
            state.set_last_evaluation(None)
        _flash(f"Deleted the evaluation “{summary.name or summary.dataset}”.")
        st.rerun()


def resume_evaluation(store: Store, evaluation_id: str) -> None:
    """Finish what is missing, on the Compare page; first check that every model has its key."""
    spec = store.evaluation_spec(evaluation_id)
    missing = evaluation_job.missing_keys(spec.systems, evaluation_job.judge_model(spec), state.api_keys())
    if missing:
        st.error(f"No API key for {', '.join(missing)}: add one on the Settings page to resume.", icon="🔑")
        return
    state.set_last_evaluation(None)
    evaluation_job.start(spec, resume=evaluation_id)
    st.switch_page("views/compare.py")


# ------------------------------------------------------------------------------------------- the page

st.title("History")
st.caption("Every finished run and every evaluation, kept in the run store. Nothing secret is stored.")

try:
    store = state.store()
except StoreError as exc:
    where = "Ask whoever runs the server to fix it" if state.store_path_locked() else "Change it on the Settings page"
    st.error(f"{exc}. {where}.", icon="🚫")
    st.stop()
st.caption(f"Store: `{store.path}`")
if store.visitor is not None:
    st.caption("This server keeps a history per visitor: only this browser's runs and evaluations are here.")
if notice := ss.pop(NOTICE_KEY, None):
    st.success(notice)

runs_tab, evaluations_tab = st.tabs(["Runs", "Evaluations"])
for tab, section in ((runs_tab, runs_section), (evaluations_tab, evaluations_section)):
    with tab:
        try:
            section(store)
        except PROBLEMS as exc:  # e.g. a record deleted by another session meanwhile
            st.error(f"The run store could not do that: {exc}", icon="🚫")
