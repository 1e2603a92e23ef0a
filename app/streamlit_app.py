"""rnnlab's Streamlit app: the router (st.navigation), the shared sidebar and the session defaults.

    streamlit run app/streamlit_app.py        (or `make app`)

Pages live in app/app_pages/ and stay thin: read widgets -> call rnnlab -> show figures from rnnlab.plots.
app/state.py is the only module that touches st.session_state and st.query_params. Widgets, figure display and
messages live in app/ui/, training orchestration (jobs, the session's runs) in app/session/; app/ui never
imports app/session, and the router collects a finished training before the sidebar draws.

The first page (Lessons) draws without TensorFlow: rnnlab is imported with TensorFlow deferred and TensorFlow
loads in a background thread (app/compat.py); the other pages wait for it (only in the server's first seconds).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run app/streamlit_app.py` puts app/ on the path, not the repo
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

st.set_page_config(page_title="rnnlab", page_icon=":material/cyclone:", layout="wide")

from app import compat  # noqa: E402

compat.import_rnnlab_deferred()  # the Lessons page needs no TensorFlow: it loads in the background (below)

from app import state  # noqa: E402
from app.ui import messages, sidebar  # noqa: E402
from rnnlab.experiments import lessons, presets  # noqa: E402,F401  (what the Lessons page shows, pure Python)

compat.keep_keras_session()  # background training must not meet Streamlit's per-run keras clear_session

state.init()

LESSONS_PAGE = st.Page("app_pages/lessons.py", title="Lessons", icon=":material/school:", url_path="lessons",
                       default=True)
PAGES = {
    "Start": [LESSONS_PAGE],
    "Experiment": [
        st.Page("app_pages/build.py", title="Build", icon=":material/construction:", url_path="build"),
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
        st.Page("app_pages/runs.py", title="Runs", icon=":material/table_chart:", url_path="runs"),
    ],
    "Look inside": [
        st.Page("app_pages/states.py", title="States", icon=":material/scatter_plot:", url_path="states"),
        st.Page("app_pages/gates.py", title="Gates", icon=":material/tune:", url_path="gates"),
        st.Page("app_pages/cell_steps.py", title="Step through a cell", icon=":material/footprint:", url_path="cell"),
        st.Page("app_pages/padding.py", title="Padding lab", icon=":material/view_week:", url_path="padding"),
        st.Page("app_pages/gradients.py", title="Gradients", icon=":material/trending_down:", url_path="gradients"),
    ],
}

page = st.navigation(PAGES)

# Every page but Lessons needs TensorFlow, and so does a session with a training or a run to show: wait for the
# background import (seconds, only in the first moments after the server started) before importing those pages.
if page is not LESSONS_PAGE or state.training_job() is not None or state.session_runs() or state.linked_run_pending():
    if not compat.tensorflow_ready():
        with st.spinner("Loading TensorFlow (once, after the server started) ..."):
            compat.wait_for_tensorflow()
    from app.session import run_store, training

    run_store.open_linked_run()
    training.collect_finished_job()

summary_slot = None
with st.sidebar:
    with messages.guard("Sidebar"):
        summary_slot = sidebar.sidebar()
summary_drawn = sidebar.summary_facts()

sidebar.apply_view_settings()
messages.show_messages()
page.run()
with messages.guard("Sidebar"):
    sidebar.refresh_summary(summary_slot, summary_drawn)  # what the page changed (an upload, a layer, a training)
# after the page, so the first page's script run does not share the interpreter with TensorFlow's import; then
# compat.freeze_startup_objects() keeps TensorFlow's objects out of every later full garbage collection
compat.start_tensorflow_import()
