"""Training orchestration for one browser session: the background training job (jobs), starting and collecting
trainings and loading presets (training), saving and reopening runs (run_store), and the data, probe pool and
traces of the session's experiment and runs (experiment).

May use streamlit and app/state.py; never imports app.ui (tests/app/test_app_layout.py checks it).
"""
