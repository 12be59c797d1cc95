"""What is redrawn twice a second while a search, or its held-out check, runs in the background."""

from collections.abc import Callable

import streamlit as st

from app.jobs import search as search_job
from app.views.search_parts.trials import charts_section, progress, trials_table

REFRESH_S = 0.5


def _polled(ended: Callable[[search_job.SearchView], bool]) -> search_job.SearchJob | None:
    """The session's search with its events taken in; a full rerun follows once ``ended(view)``."""
    job = search_job.session_job()
    if job is not None:
        job.poll()
        if ended(job.view):
            st.rerun()
    return job


@st.fragment(run_every=REFRESH_S)
def live_search() -> None:
    """Redrawn twice a second while the search goes; a full rerun follows once it ends."""
    if (job := _polled(lambda view: view.finished)) is not None:
        progress(job.view)
        trials_table(job.view)
        charts_section(job.view)


@st.fragment(run_every=REFRESH_S)
def live_held_out() -> None:
    """Waits for the held-out check; a full rerun follows once it ends."""
    if _polled(lambda view: not view.finalizing) is not None:
        st.info("Re-evaluating the best architectures on the held-out split…", icon="⏳")
