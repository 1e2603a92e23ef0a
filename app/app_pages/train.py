"""Train: settings, start / stop, a progress bar and curves that grow every epoch, final metrics, downloads."""

import streamlit as st

from app import state
from app.keras_files import keras_bytes
from app.session import experiment, imported_model, jobs, lesson_runs, run_store, training
from app.ui import downloads, figures, messages
from app.ui import layer_docs as docs

PAGE = "train"
LIVE_REFRESH_S = 0.75  # how often the progress and the curves are redrawn while training

st.title("Train")


def settings(spec):
    """Training settings (spec fields) -> the spec as the widgets say."""
    from rnnlab.experiments import HEADS, MAX_BATCH_SIZE, MAX_EPOCHS, MAX_LEARNING_RATE, MAX_SEED, OPTIMIZERS

    k = lambda name: state.key(PAGE, name)  # noqa: E731
    a, b, c, d = st.columns(4)
    head = a.selectbox("head", list(HEADS), index=list(HEADS).index(spec.head), key=k("head"), help=docs.TRAIN_HELP["head"])
    optimizer = b.selectbox("optimizer", list(OPTIMIZERS), index=list(OPTIMIZERS).index(spec.optimizer),
                            key=k("optimizer"), help=docs.TRAIN_HELP["optimizer"])
    learning_rate = c.number_input("learning_rate", min_value=1e-8, max_value=float(MAX_LEARNING_RATE),
                                   value=min(max(float(spec.learning_rate), 1e-8), float(MAX_LEARNING_RATE)),
                                   step=0.001, format="%.4g", key=k("lr"), help=docs.TRAIN_HELP["learning_rate"])
    batch_size = d.number_input("batch_size", 1, MAX_BATCH_SIZE, int(spec.batch_size), key=k("batch"),
                                help=docs.TRAIN_HELP["batch_size"])
    a, b, c, d = st.columns(4)
    epochs = a.number_input("epochs", 1, MAX_EPOCHS, int(spec.epochs), key=k("epochs"), help=docs.TRAIN_HELP["epochs"])
    seed = b.number_input("seed", 0, MAX_SEED, int(spec.seed), key=k("seed"), help=docs.TRAIN_HELP["seed"])
    validation_split = spec.validation_split
    if experiment.is_upload(spec.dataset) and not isinstance(state.uploaded_dataset(), tuple):  # no own split
        validation_split = c.number_input("validation_split", 0.01, 0.9, float(spec.validation_split), 0.05,
                                          key=k("val"), help=docs.TRAIN_HELP["validation_split"])
    every = d.number_input("snapshot every k epochs", 0, MAX_EPOCHS, max(1, int(epochs) // 5), key=k("snap"),
                           help=docs.TRAIN_HELP["snapshot_every"])
    new = spec.replace(head=head, optimizer=optimizer, learning_rate=float(learning_rate), batch_size=int(batch_size),
                       epochs=int(epochs), seed=int(seed), validation_split=float(validation_split))
    return new, int(every)


@st.fragment(run_every=LIVE_REFRESH_S if (state.training_job() is not None and not state.training_job().finished) else None)
def live() -> None:
    """Progress bar and curves, redrawn every LIVE_REFRESH_S seconds while this session's job runs."""
    from rnnlab import plots

    job = state.training_job()
    if job is None:
        return
    progress = job.progress()
    if progress.status == "queued":
        running, _ = job.slots.counts()
        st.progress(0.0, text=f"Waiting for a free training slot: number {progress.place or 1} in line "
                              f"({running} of {job.slots.capacity} trainings running on this server).")
        return
    text = f"epoch {progress.epochs_done} of {progress.epochs_total}"
    if progress.status == "running":
        if progress.n_batches:
            text += f", batch {progress.batch} of {progress.n_batches}"
        if progress.last_batch_loss is not None:
            text += f", batch loss {progress.last_batch_loss:.4g}"
        if job.stop_requested:
            text += " (stopping ...)"
    text += f", {progress.seconds:.1f} s"
    st.progress(progress.fraction, text=text)
    if progress.rows:
        fig = plots.training_curves(progress.history(), title=f"Training curves: {job.label}",
                                    baseline=experiment.job_baseline(job))
        figures.figure(fig, key="train_curves")
    elif progress.status == "running":
        st.caption("The curves appear after the first epoch.")
    if job.finished and not getattr(job, "collected", False):
        st.rerun(scope="app")  # the app collects the finished run and shows the result


def outcome(job, run) -> None:
    """How the job ended; a finished training that did not beat the trivial predictor is a warning, not a success."""
    progress = job.progress()
    if progress.status in ("failed", "diverged"):
        st.error(progress.message)
    elif progress.status == "stopped":
        st.warning(progress.message)
    elif progress.status == "done":
        verdict = experiment.run_verdict(run) if run is not None and run.run_id == job.job_id else None
        if verdict is not None and verdict.learned is False:
            st.warning(f"{progress.message}, but it has not learned the task: {verdict.sentence}")
        else:
            st.success(progress.message)


def result(run) -> None:
    st.subheader(f"Result: run {run.label}")
    imported = imported_model.is_imported(run)
    if imported:
        st.info(f"Imported from {run.source}, not trained here: no training curves. The numbers below are the "
                "model's own on this run's test data; the inspection pages show its gates and states.")
    job = state.training_job()
    if not imported and (job is None or job.job_id != run.run_id) and run.history is not None and len(run.history):
        # a run reopened from the store or a link: no live training drew its curves, its history draws them
        from rnnlab import plots

        fig = plots.training_curves(run.history, title=f"Training curves: run {run.label}",
                                    baseline=experiment.run_baseline(run))
        figures.figure(fig, key="train_curves_of_run")
    metrics = {k: v for k, v in run.final_metrics.items() if isinstance(v, (int, float)) and k not in ("epochs",)}
    columns = st.columns(min(6, max(1, len(metrics))))
    for column, (name, value) in zip(columns, metrics.items()):
        column.metric(name, f"{value:.4g}" + (" s" if name == "seconds" else ""))
    reference = experiment.run_baseline(run)
    verdict = experiment.run_verdict(run)
    {True: st.success, False: st.warning}.get(verdict.learned, st.info)(verdict.sentence)
    st.caption(
        "The trivial predictor (always the training mean, or the training class frequencies) scores "
        + ", ".join(f"{k} {v:.4g}" for k, v in reference.items())
        + " on the test data: a model has learned something only when it beats that."
    )
    left, right, store = st.columns(3)
    model_file = run.model_file or downloads.lazy(keras_bytes, run.model)  # made on click for a reopened run
    model_label = "Download the model (.keras)" if imported else "Download the trained model (.keras)"
    left.download_button(model_label, model_file,
                         file_name=f"rnnlab-{run.spec.short_hash()}-{run.run_id}.keras",
                         mime="application/octet-stream", key="train_model_download", icon=":material/download:")
    if not imported:  # an imported model has no training history
        right.download_button("Download the history (CSV)", run.history.to_csv(index=False).encode(),
                              file_name=f"rnnlab-history-{run.run_id}.csv", mime="text/csv",
                              key="train_history_download", icon=":material/download:")
    what = f"imported model ({run.source})" if imported else "trained model"
    if run.store_id:  # the link takes the page's whole width: a teacher reads it out or projects it
        store.caption(f"Saved in the run store as `{run.store_id}`.")
        st.caption(f"This link opens the {what} on this server (share it with the room):")
        st.code(run_store.link_to(run, st.context.url), language=None, wrap_lines=True)
    elif store.button("Save to the run store", key="train_save_run", icon=":material/save:",
                      help="Keeps the model (and your own data) on this server and gives a link that opens it for "
                           "everyone in the room." + (" Stored as imported, not as a training." if imported else "")):
        run_store.save_run(run)
        st.rerun()


def lesson_outcome(run) -> None:
    """When the run belongs to the loaded lesson: what the lesson's claim measures on it, and a button to its view."""
    lesson = lesson_runs.current()
    if lesson is None or all(r is not run for r in lesson_runs.runs_of(lesson).values()):
        return
    found = lesson_runs.evidence(lesson)
    if found is None:
        return
    st.subheader(f"Lesson: {lesson.title}")
    messages.evidence(found)
    title = lesson_runs.PAGE_TITLES.get(lesson.page, lesson.page)
    if st.button(f"Look here: the {title} page", type="primary", key="train_look_here",
                 icon=":material/arrow_forward:", help="Opens the lesson's view on this run, with the layer, "
                 "sample and units the evidence is about preselected."):
        lesson_runs.look_here(lesson, found)


spec = state.spec()
job = state.training_job()
running = job is not None and not job.finished

with messages.guard("Training settings"):
    st.markdown(f"Experiment: `{spec.describe()}`")
    new_spec, snapshot_every = settings(spec)
    if new_spec != spec:
        state.set_spec(new_spec)
        spec = new_spec

with messages.guard("Training"):
    start_col, stop_col, note_col = st.columns([1.7, 1, 3.3], vertical_alignment="center")
    start = start_col.button("Start training", type="primary", key="train_start", disabled=running,
                             icon=":material/play_arrow:")
    stop = stop_col.button("Stop", key="train_stop", disabled=not running, icon=":material/stop:")
    note_col.caption("Training runs in the background: you may open other pages meanwhile. Stop keeps the "
                     "epochs finished so far. Changing a view never retrains; only Start does. A training stops "
                     f"by itself after {jobs.MAX_TRAINING_S / 60:g} minutes, or when this browser tab has been "
                     "closed for a while.")
    if stop and job is not None:
        job.stop()
    requested = state.pop_training_request() and not running  # "Train this experiment" on another page
    if start or requested:
        training.start_training(spec, snapshot_every=snapshot_every)
        st.rerun()

with messages.guard("Progress"):
    live()
    job = state.training_job()
    if job is not None and job.finished:
        outcome(job, state.current_run())

run = state.current_run()
with messages.guard("Lesson"):
    if run is not None:
        lesson_outcome(run)

with messages.guard("Result"):
    if run is not None:
        result(run)
    elif job is None:
        st.info("Press Start training, or load a lesson on the Lessons page.")
