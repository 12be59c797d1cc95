"""Archon Studio: design, run, inspect and compare inference-time architectures.

streamlit run app/streamlit_app.py
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app import state  # noqa: E402

st.set_page_config(page_title="Archon Studio", page_icon="🏛️", layout="wide")

PAGES = Path(__file__).resolve().parent / "views"
navigation = st.navigation(
    [
        st.Page(PAGES / "design.py", title="Design", icon=":material/schema:", default=True),
        st.Page(PAGES / "run.py", title="Run", icon=":material/play_arrow:"),
        st.Page(PAGES / "compare.py", title="Compare", icon=":material/balance:"),
        st.Page(PAGES / "search.py", title="Search", icon=":material/travel_explore:"),
        st.Page(PAGES / "history.py", title="History", icon=":material/history:"),
        st.Page(PAGES / "settings.py", title="Settings", icon=":material/settings:"),
    ]
)
on_run_page = navigation.url_path == "run"
state.keep_in_url(on_run_page=on_run_page)  # a reload or the link brings the design (and the run) back
for notice in state.url_notices():
    st.warning(notice, icon=":material/link_off:")
navigation.run()
state.keep_in_url(on_run_page=on_run_page)  # what the page changed without a rerun
