"""Search: find the architecture that does best on a dataset within a budget (ITAS), watch the trials
arrive, and take the winners to the Design or Compare page.

The page entry: the form (``search_parts.form``), Start and Stop, then the live view while the search runs
(``search_parts.live``) or its results (``search_parts.results``). The search runs in the background
(``app.jobs.search``); while it goes, a fragment redraws the progress, the trial table and the charts twice
a second. Studies live in Optuna's storage under the data folder (the same settings continue the same
study), every answer goes through the response cache, and every evaluation is kept in the run store (the
History page).
"""

import streamlit as st

from app.jobs import search as search_job
from app.jobs.base import BACKEND_KEY, warm_up
from app.views.search_parts.form import search_form
from app.views.search_parts.live import live_search
from app.views.search_parts.results import results

ss = st.session_state


def _stop() -> None:
    if (job := search_job.session_job()) is not None:
        job.stop()


if ss.get(BACKEND_KEY) is None:
    warm_up()

st.title("Search")
st.caption(
    "Find the architecture that does best on your task within a budget: Bayesian search (a Gaussian process or "
    "TPE), the Pareto front of quality, cost and latency, or random and grid baselines."
)

job = search_job.session_job()
if job is not None:
    job.poll()
running = job is not None and not job.view.finished

request, problem = search_form()
with st.container(horizontal=True):
    st.button(
        "Start",
        type="primary",
        icon=":material/play_arrow:",
        on_click=search_job.start,
        args=(request,),
        disabled=running or request is None,
    )
    st.button(
        "Stop",
        icon=":material/stop:",
        on_click=_stop,
        disabled=not running or job.view.stop_requested,
        help="Stops now: the evaluation in progress is cancelled (History keeps what it did).",
    )
if problem:
    st.error(problem, icon="🔑" if problem.startswith("No API key") else "🚫")
if job is not None and job.view.notice:
    st.warning(job.view.notice, icon="🗂️")

st.divider()
if job is None:
    st.info("Choose the task and the space, then press **Start**. Trials appear here as they finish.", icon="🔎")
elif running:
    live_search()
else:
    results(job)
