"""A finished search: its outcome and trials, a trial's architecture to open or compare, and the held-out check."""

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from app import state
from app.jobs.search import SearchJob, SearchView
from app.views.search_parts.form import item_count
from app.views.search_parts.live import live_held_out
from app.views.search_parts.trials import charts_section, distinct_best, interval, progress, trial_key, trials_table
from app.widgets import trace_view
from archon_engine import Architecture, estimate, validate
from archon_engine.design.presets import slugify

PAGES = Path(__file__).resolve().parents[1]
DESIGN_PAGE, COMPARE_PAGE = PAGES / "design.py", PAGES / "compare.py"
COMPARE_KEY = "compare_systems"  # architectures for the Compare page: a list of Architecture

ss = st.session_state


def outcome(view: SearchView) -> None:
    """How the search ended, and its best (or its Pareto front)."""
    best = view.trial(view.best[0]) if view.best else None
    if view.status == "failed":
        st.error(f"The search failed: {view.error}", icon="🚫")
    elif view.status == "stopped":
        st.warning(
            f"Stopped after {view.evaluations} of {view.request.evaluations} evaluations: the results so far are "
            "below.",
            icon="⏹️",
        )
    if best is None:
        if view.status == "failed" or not view.trials:
            return
        st.info(
            "No architecture was evaluated: every trial was pruned (the table says why). Loosen the budget or "
            "widen the space.",
            icon="ℹ️",
        )
    elif view.request.objective == "pareto":
        st.success(
            f"Pareto front: {len(distinct_best(view))} architectures nothing beats on quality, cost and latency.",
            icon="🏅",
        )
    else:
        st.success(f"Best: trial {best.number}, “{best.name}”, quality {best.quality:.3f}.", icon="🏅")


def _registered(page: Path) -> bool:
    """True when ``page`` is one of the app's pages (st.navigation lists it)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    try:
        pages = get_script_run_ctx().pages_manager.get_pages().values()
        return any(Path(p["script_path"]).resolve() == page.resolve() for p in pages)
    except Exception:  # no session context, or Streamlit changed its internals
        return False


def _open_in_design(arch: Architecture) -> None:
    state.set_architecture(arch)
    st.switch_page(DESIGN_PAGE)


def _compare(arch: Architecture) -> None:
    ss[COMPARE_KEY] = [a for a in ss.get(COMPARE_KEY) or [] if a != arch] + [arch]
    st.switch_page(COMPARE_PAGE)


def trial_picker(view: SearchView) -> None:
    """Pick an evaluated trial (or click its row): its architecture, small, to open or compare."""
    evaluated = {t.number: t for t in view.evaluated() if t.duplicate_of is None}
    if not evaluated:
        return
    best = distinct_best(view)
    order = [n for n in best if n in evaluated] + [n for n in evaluated if n not in best]
    number = st.selectbox(
        "Trial",
        order,
        format_func=lambda n: f"trial {n}: {evaluated[n].name} · quality {evaluated[n].quality:.3f}",
        key=trial_key(view),
    )
    trial = evaluated[number]
    arch = trial.architecture
    trace_view.architecture_summary(arch, validate(arch), estimate(arch))
    if trial.evaluation_id:
        st.caption(f"Its answers on the dev split are in History as evaluation `{trial.evaluation_id}`.")
    compare_ready = _registered(COMPARE_PAGE)
    with st.container(horizontal=True):
        design = st.button(
            "Open in Design",
            type="primary",
            icon=":material/open_in_new:",
            key="search_open_design",
            disabled=not _registered(DESIGN_PAGE),
        )
        compare = st.button(
            "Compare",
            icon=":material/balance:",
            key="search_compare",
            disabled=not compare_ready,
            help="Adds it to the systems of the Compare page." if compare_ready else "The Compare page is not here.",
        )
        st.download_button(
            "Download the architecture (JSON)",
            json.dumps(arch.to_dict(), indent=2),
            file_name=f"archon-search-trial-{trial.number}-{slugify(trial.name)[:40]}.json",
            mime="application/json",
            icon=":material/download:",
        )
    if design:
        _open_in_design(arch)
    if compare:
        _compare(arch)


def held_out_table(view: SearchView) -> None:
    """The top architectures' figures on the held-out split beside their dev quality."""
    rows = [
        {
            "rank": i + 1,
            "trial": h.trial,
            "architecture": h.name,
            "held-out quality": h.quality,
            "95% CI": interval(h.quality_low, h.quality_high),
            "dev quality": h.dev_quality,
            "cost/query $": h.cost_per_query,
            "latency s": h.latency_s,
        }
        for i, h in enumerate(view.held_out or [])
    ]
    number = st.column_config.NumberColumn
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "held-out quality": number(format="%.3f", help="On items the search never saw"),
            "dev quality": number(format="%.3f", help="What the search measured"),
            "cost/query $": number(format="%.6f"),
            "latency s": number(format="%.2f"),
        },
    )


def held_out_section(job: SearchJob) -> None:
    """Re-evaluate the best on the held-out split: do they stay best on items the search never saw?"""
    view = job.view
    if not view.evaluated():
        return
    st.subheader("Held-out check")
    dev, held = view.split or (0, 0)
    st.caption(
        f"The search scored {item_count(dev)} of the dev split and held out {item_count(held)}, which show whether "
        "the best stay best on items the search never saw."
    )
    top = int(st.number_input("Top N", min_value=1, max_value=10, value=3, key="search_top", persist_state="session"))
    st.button(
        f"Re-evaluate the top {top} on the held-out split",
        icon=":material/fact_check:",
        on_click=job.finalize,
        args=(top,),
        disabled=not job.can_finalize,
    )
    if view.finalizing:
        st.button(
            "Stop the held-out check",
            icon=":material/stop:",
            on_click=job.stop_held_out,
            help="Cancels the evaluation in progress (History keeps what it did).",
        )
        live_held_out()
    elif view.held_out_stopped:
        st.warning("The held-out check was stopped. History keeps what it evaluated, as cancelled.", icon="⏹️")
    elif view.held_out_error:
        st.error(f"The held-out check failed: {view.held_out_error}", icon="🚫")
    elif view.held_out:
        held_out_table(view)


def results(job: SearchJob) -> None:
    """A finished, stopped or failed search: everything it found."""
    view = job.view
    outcome(view)
    progress(view)
    trials_table(view, selectable=True)
    charts_section(view)
    if view.evaluated():
        st.subheader("A trial's architecture")
        trial_picker(view)
    held_out_section(job)
