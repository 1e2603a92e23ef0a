"""Small UI helpers shared by the pages: error guard, figure display, presentation CSS, messages.

UI functions return plain values; none of them keeps state (that is app/state.py's job).
"""

from __future__ import annotations

import contextlib
import logging
import traceback

import numpy as np

import streamlit as st

from app import state

log = logging.getLogger("rnnlab.app")

PRESENTATION_CSS = """
<style>
/* presentation mode: everything in Streamlit is sized in rem, so a larger root font scales it all alike */
html { font-size: 21px !important; }
[data-testid="stSidebar"] { min-width: 320px; }
</style>
"""
PRESENTATION_FIGURE_FONT = 17  # plotly sizes its text in px: larger in presentation mode

PLOTLY_CONFIG = {
    "displaylogo": False,
    # keep the camera button: "Download plot as a PNG"
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


@contextlib.contextmanager
def guard(what: str):
    """Run a page section; an error becomes an st.error in the page (never a traceback), the rest of the
    page and the user's work stay. rnnlab errors already say what was wrong and what was expected."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - shown to the user, logged for the developer
        st.error(error_message(what, error))
        log.warning("%s failed:\n%s", what, traceback.format_exc())


def error_message(what: str, error: BaseException) -> str:
    """A user-facing sentence for an exception raised while doing ``what``."""
    from rnnlab import RnnlabError

    if isinstance(error, RnnlabError):
        return f"{what}: {error}"
    if isinstance(error, (ValueError, TypeError, KeyError)):
        return f"{what}: {error}"
    if isinstance(error, MemoryError):
        return f"{what}: not enough memory. Use fewer samples, fewer units or a shorter sequence."
    return f"{what} failed unexpectedly ({type(error).__name__}: {error}). Your settings are kept; try again or change them."


def apply_view_settings() -> None:
    """Inject the presentation CSS when presentation mode is on."""
    if state.presentation():
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)


def show_messages() -> None:
    """Messages queued with state.flash (e.g. by a button before a page switch)."""
    for level, message in state.pop_flashes():
        {"error": st.error, "warning": st.warning, "success": st.success}.get(level, st.info)(message)


def figure(fig, *, key: str, how_to_read: bool = True) -> None:
    """A plotly Figure from rnnlab.plots, with its one-line how-to-read below; PNG export kept."""
    from rnnlab import plots

    if state.presentation():
        fig = go_copy(fig)
        fig.update_layout(font=dict(size=PRESENTATION_FIGURE_FONT))
    st.plotly_chart(fig, theme=None, key=key, config=PLOTLY_CONFIG)
    if how_to_read:
        reading = plots.how_to_read(fig)
        if reading:
            st.caption(f"How to read it: {reading}")


def go_copy(fig):
    """A copy of a plotly Figure (so a view tweak never changes a cached or shared figure)."""
    import plotly.graph_objects as go

    return go.Figure(fig)


def need_run(page: str) -> object | None:
    """The current run, or None after saying how to get one."""
    run = state.current_run()
    if run is None:
        job = state.training_job()
        if job is not None and not job.finished:
            st.info("Training is running: this page fills in when it finishes (see the Train page).")
        else:
            st.info(f"{page} needs a trained model. Load a lesson, or build a model and train it on the Train page.")
    return run


def run_banner(run) -> None:
    """One line naming the run being inspected."""
    st.caption(f"Inspecting run **{run.label}** · {run.summary()}")


def sidebar() -> None:
    """The shared sidebar: presentation mode, the experiment in one line, training status, spec download."""
    on = st.toggle(
        "Presentation mode",
        value=state.presentation(),
        key="side_presentation",
        help="Large type for a projector or a screen share. Kept in the link (present=1).",
    )
    state.set_presentation(on)
    spec = state.spec()
    st.caption("Experiment (every setting is in the address bar: copy it to share)")
    st.markdown(f"`{spec.describe()}`")
    job = state.training_job()
    if job is not None and not job.finished:
        progress = job.progress()
        st.caption(f"Training: epoch {progress.epochs_done} of {progress.epochs_total} ...")
    run = state.current_run()
    if run is not None:
        st.caption(f"Inspecting run {run.label}")
    st.download_button(
        "Download spec JSON",
        data=spec.to_json(),
        file_name=f"rnnlab-spec-{spec.short_hash()}.json",
        mime="application/json",
        key="side_spec_json",
        icon=":material/download:",
    )


# ------------------------------------------------------------------------------------------- actions

UPLOAD_PREFIX = "upload:"


def is_upload(dataset_name: str) -> bool:
    """Whether a spec's dataset names the user's own uploaded data."""
    return str(dataset_name).startswith(UPLOAD_PREFIX)


def experiment_data(spec):
    """spec -> (train, test) SequenceDatasets [N, T, D]: the shipped / generated set the spec names, or the
    session's uploaded data split with spec.validation_split."""
    from rnnlab.datasets import DataError
    from rnnlab.experiment import load_data

    if is_upload(spec.dataset):
        dataset = state.uploaded_dataset()
        if dataset is None or state.uploaded_token() != spec.dataset:
            raise DataError(
                f"this experiment uses your own data ({spec.dataset[len(UPLOAD_PREFIX):]}), which cannot travel "
                "in a link or survive a new session: upload the file again on the Build page, or choose sample data."
            )
        from rnnlab.training import split_dataset

        return split_dataset(dataset, spec)
    return load_data(spec)


def snapshot_epochs(epochs: int, every: int) -> tuple[int, ...]:
    """Epochs after which to record states for the States page's epoch slider (0 = before training)."""
    if every <= 0:
        return ()
    return tuple(sorted({0, *range(every, epochs + 1, every), epochs}))


#: How long starting a new training waits for the session's previous one to stop (it stops between batches).
HANDOVER_WAIT_S = 5.0


def start_training(spec, *, snapshot_every: int | None = None) -> None:
    """Validate the spec against its data and start this session's background training. A training still
    running in this session is asked to stop first (its finished epochs are kept as a run when it ends within
    HANDOVER_WAIT_S); the new job watches this browser session and stops when it ends (app/jobs.py)."""
    from app import jobs

    train, test = experiment_data(spec)
    spec.validate(dataset_info=train)
    previous = state.training_job()
    if previous is not None and not previous.finished:
        previous.stop("replaced")
        if previous.wait(HANDOVER_WAIT_S):
            collect_finished_job()
    every = max(1, spec.epochs // 5) if snapshot_every is None else snapshot_every
    job = jobs.TrainingJob(spec, (train, test), label=spec.describe(), snapshot_epochs=snapshot_epochs(spec.epochs, every),
                           alive=jobs.session_probe())
    state.set_training_job(job.start())


def collect_finished_job() -> None:
    """Once a job has ended: keep its run in the session (made current) and say how it ended."""
    from app import jobs

    job = state.training_job()
    if job is None or not job.finished or getattr(job, "collected", False):
        return
    job.collected = True
    run = jobs.run_from_job(job, number=len(state.session_runs()) + 1)
    if run is not None:
        state.add_session_run(run)


def load_preset(name: str, lesson_key: str | None, *, train: bool) -> None:
    """A lesson's button: load the preset's spec (widgets start afresh), optionally start training, go on."""
    from rnnlab.experiment import PRESETS

    spec = PRESETS[name]
    state.set_spec(spec, reset_widgets=True)
    state.set_lesson(lesson_key)
    if train:
        start_training(spec)
    state.flash("success", f"Loaded {spec.describe()}." + (" Training started." if train else ""))
    st.switch_page("app_pages/train.py" if train else "app_pages/build.py", query_params=state.url_params())


# --------------------------------------------------------------------------------- runs and traces


def run_data(run):
    """A run -> (train, test) SequenceDatasets: those it trained on, or its spec's data when reopened."""
    if run.data is not None:
        return run.data
    return experiment_data(run.spec)


def probe_pool(run):
    """A run -> the SequenceDataset the inspection pages probe: the first PROBE_SAMPLES held-out sequences
    (the training ones when there is no test data), in file order, so sample b is the same on every page."""
    from app import services

    train, test = run_data(run)
    source = test if test is not None and test.n_samples else train
    return source.subset(np.arange(min(services.PROBE_SAMPLES, source.n_samples)))


def loss_name(run, dataset) -> str:
    """The Keras loss of the run's head (for gradients through time)."""
    from rnnlab.experiment import head_for

    task = run.spec.task(dataset)
    n_outputs = None if dataset.n_classes else int(dataset.y.shape[-1])
    return head_for(task, dataset.n_classes, n_outputs)["loss"]


def run_trace(run):
    """A run -> rnnlab Trace of its model on the probe pool, with y (so grad_norm is there); once per run."""
    import rnnlab

    def compute():
        pool = probe_pool(run)
        return rnnlab.probe(run.model, pool.x, pool.y, loss=loss_name(run, pool))

    with st.spinner("Probing the model: every gate and state of every step ..."):
        return state.memo("trace", run.run_id, compute)


def keras_bytes(model) -> bytes:
    """A Keras model -> the bytes of its .keras file."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        with open(path, "rb") as handle:
            return handle.read()


def lazy(function, *args):
    """A download's data made only when the user clicks (st.download_button runs the callable then, in
    another thread), so page reruns never pay for it. The callable holds plain objects, not session state."""
    return lambda: function(*args)


def trace_csv(trace, layer: str | None = None) -> bytes:
    """Trace -> long CSV (layer, direction, sample, t, unit, quantity, value, valid), one layer or all."""
    frame = trace.to_frame()
    if layer is not None:
        frame = frame[frame["layer"] == layer]
    return frame.to_csv(index=False).encode()


def layer_choice(trace, *, key: str, label: str = "Layer", view: str | None = None) -> str:
    """A selectbox over a trace's layers ('NAME/fw', 'NAME/bw' for each direction of a bidirectional layer);
    ``view``: the URL key it is kept under (see url_choice)."""
    names = list(trace.layers)
    format_func = lambda n: f"{n} ({trace.layers[n].kind})"  # noqa: E731
    if view is None:
        return st.selectbox(label, names, key=key, format_func=format_func)
    return url_choice(st.selectbox, label, names, view=view, key=key, format_func=format_func)


# ----------------------------------------------------------------------- view choices kept in the URL


def url_choice(widget, label: str, options, *, view: str, key: str, default: int = 0, **kwargs):
    """A selectbox / radio (``widget``, e.g. ``st.radio`` or ``column.selectbox``) whose choice is kept in the
    URL under ``view``: the link's value when it is one of ``options``, else ``options[default]``."""
    options = list(options)
    value = widget(label, options, index=state.view_index(view, options, default), key=key, **kwargs)
    state.set_view(view, value, options[default])
    return value


def url_select_slider(widget, label: str, options, *, view: str, key: str, default: int = -1, **kwargs):
    """A select_slider kept in the URL under ``view`` (default: ``options[default]``)."""
    options = list(options)
    fallback = default % len(options)
    value = widget(label, options=options, value=options[state.view_index(view, options, fallback)], key=key, **kwargs)
    state.set_view(view, value, options[fallback])
    return value


def url_number(widget, label: str, low: int, high: int, default: int, *, view: str, key: str, **kwargs) -> int:
    """An int slider / number_input in [low, high] kept in the URL under ``view`` (a value outside is ignored)."""
    value = widget(label, low, high, state.view_int(view, low, high, default), key=key, **kwargs)
    state.set_view(view, int(value), int(default))
    return int(value)


def url_multi(widget, label: str, options, default, *, view: str, key: str, **kwargs) -> list:
    """An int multiselect kept in the URL under ``view`` ("0,3,5"; choices the run lacks are dropped)."""
    options = list(options)
    value = widget(label, options, default=state.view_ints(view, options, default), key=key, **kwargs)
    state.set_view(view, list(value), list(default))
    return list(value)


def run_runs_root() -> str:
    """Where the run store lives: $RNNLAB_RUNS_DIR, default 'runs' (relative to the working directory)."""
    import os

    return os.environ.get("RNNLAB_RUNS_DIR", "runs")


def save_run(run) -> None:
    """Save a session run in the run store (RunStore.save(spec, result)); remembers the store id."""
    from rnnlab.runs import RunStore

    if run.result is None:
        raise ValueError(f"run {run.label} came from the store and is saved there already")
    run.store_id = RunStore(root=run_runs_root()).save(run.spec, run.result)
    state.flash("success", f"Saved run {run.label} in the run store as {run.store_id}.")


def reopen_stored_run(store, run_id: str) -> None:
    """Load a stored run (model, history, snapshots) into this session and make it current."""
    from app import jobs

    stored = store.load(run_id)
    history = stored.history
    final = dict(getattr(stored, "final_metrics", {}) or {})
    if not final and history is not None and len(history):
        final = {k: float(v) for k, v in history.iloc[-1].items() if k not in ("epoch", "seconds")}
    meta = dict(getattr(stored, "meta", {}) or {})
    if stored.model is None:
        raise ValueError(f"run {run_id} was saved without its model, so it cannot be inspected; its curves can "
                         "still be overlaid below")
    run = jobs.SessionRun(
        run_id=f"store-{run_id}",
        label=f"#{len(state.session_runs()) + 1} stored {run_id}",
        spec=stored.spec,
        model=stored.model,
        history=history,
        final_metrics=final,
        message=str(meta.get("message", "")),
        stopped_early=bool(meta.get("stopped_early", False)),
        diverged=bool(meta.get("diverged", False)),
        snapshots={e: t for e, t in (getattr(stored, "snapshots", None) or {}).items() if hasattr(t, "layers")},
        snapshot_indices=tuple(getattr(stored, "snapshot_indices", ()) or ()),
        data=None,
        store_id=run_id,
    )
    state.add_session_run(run)
    state.flash("success", f"Reopened {run_id}: the States, Gates and Gradients pages now show it.")
