"""Lessons (landing page): presets that load a whole experiment in one click, and what to look for.

The first page a user sees, so it imports no TensorFlow: app/session's training and lesson_runs (which do) are
imported only once this session has runs to measure or a lesson to train, after the router's background import.
"""

import streamlit as st

from app import compat, state
from app.session import jobs
from app.ui import messages
from rnnlab.experiments import lessons


def trained_evidence(lesson):
    """lesson -> the Evidence its claim measures on this session's runs (None until the session has runs)."""
    if not state.session_runs():
        return None  # no run, so no evidence: TensorFlow need not be loaded for it
    from app.session import lesson_runs

    return lesson_runs.evidence(lesson)


def load_lesson(preset: str, lesson_key: str, *, train: bool) -> None:
    """A lesson's button: load (and train) its preset, once the background import has TensorFlow ready."""
    if not compat.tensorflow_ready():
        with st.spinner("Loading TensorFlow (once, after the server started) ..."):
            compat.wait_for_tensorflow()
    from app.session import training

    training.load_preset(preset, lesson_key, train=train)


st.title("rnnlab: recurrent networks with every gate visible")
st.markdown(
    "TFLearn's recurrent layers (simple_rnn, lstm, gru, bidirectional_rnn) on TensorFlow 2, with every gate "
    "and state of every time step on screen. Pick a lesson: **Load** sets up the whole experiment (data, "
    "layers, training settings); **Load and train** also starts training and takes you to the Train page. "
    "Then open the page the lesson points to."
)

with messages.guard("Lessons"):
    from rnnlab.experiments import PRESET_DESCRIPTIONS, PRESETS

    columns = st.columns(2, gap="medium")
    for index, lesson in enumerate(lessons.LESSONS):
        with columns[index % 2].container(border=True):
            st.subheader(lesson.title)
            st.markdown(lesson.look_for)
            spec = PRESETS[lesson.preset]
            st.caption(f"{PRESET_DESCRIPTIONS.get(lesson.preset, '')} `{spec.describe()}`, {spec.epochs} epochs.")
            with messages.guard(f"The lesson's evidence on your model ({lesson.title})"):
                found = trained_evidence(lesson)  # None until this session has trained the lesson
                if found is not None:
                    st.markdown("**What your model shows:**")
                    messages.evidence(found)
                    from app.session import lesson_runs  # imported already: there is evidence

                    page = lesson_runs.PAGE_TITLES.get(lesson.page, lesson.page)
                    if st.button(f"Look here: the {page} page", key=f"lessons_look_{lesson.key}",
                                 icon=":material/arrow_forward:"):
                        state.set_lesson(lesson.key)
                        lesson_runs.look_here(lesson, found)
            with st.container(horizontal=True, gap="small"):  # buttons whole, on a second row when narrow
                load = st.button("Load", key=f"lessons_load_{lesson.key}")
                train = st.button("Load and train", key=f"lessons_train_{lesson.key}", type="primary")
                other = None
                for label, preset in lesson.also:
                    if st.button(label, key=f"lessons_{preset}"):
                        other = preset
            if load or train or other:  # a companion button loads and trains, as "Load and train" does
                load_lesson(other or lesson.preset, lesson.key, train=bool(train or other))

with st.expander("Limits of this lab"):
    st.markdown(
        f"""
- **Uploads**: at most 50 MB per file (`server.maxUploadSize` in `.streamlit/config.toml`); at most 20,000
  sequences, 1,000 time steps, 1,000 features and 50 million values; finite numbers only. An uploaded file
  lives in your browser session only: a shared link carries every setting, but not your file.
- **Models**: at most 8 recurrent layers of at most 1,024 units; epochs, batch size and learning rate within
  the ranges `ExperimentSpec.validate()` accepts. Training runs on the server's CPU (or GPU), one training
  at a time per browser session (starting another stops the first); a training stops by itself after
  {jobs.MAX_TRAINING_S / 60:g} minutes, or when its browser tab has been closed for {jobs.SESSION_GONE_GRACE_S:g} seconds.
- **Looking inside**: the States, Gates and Gradients pages probe up to 48 held-out sequences (for
  classification the classes in turn, so every class shows); the epoch slider replays them as snapshots recorded
  while training.
- **Memory**: a session keeps its last 8 runs (models included). The run store on the server's disk keeps
  a run only when you press *Save*; it is shared with the `rnnlab` command line.
- A session's results are its own: other people using the app at the same time never see them.
"""
    )
