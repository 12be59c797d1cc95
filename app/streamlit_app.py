"""Archon Studio: design, run, inspect and compare inference-time architectures.

streamlit run app/streamlit_app.py
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

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
navigation.run()
