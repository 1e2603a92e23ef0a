"""The trainings of one browser session: start one in the background (app/session/jobs.py), collect it as
the session's run when it ends, and load a lesson's preset (optionally training it at once)."""

from __future__ import annotations

import streamlit as st

from app import state
from app.session import jobs
from app.session.experiment import experiment_data


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
    HANDOVER_WAIT_S); the new job watches this browser session and stops when it ends (app/session/jobs.py)."""
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
    job = state.training_job()
    if job is None or not job.finished or getattr(job, "collected", False):
        return
    job.collected = True
    run = jobs.run_from_job(job, number=state.next_run_number())
    if run is not None:
        state.add_session_run(run)


def load_preset(name: str, lesson_key: str | None, *, train: bool) -> None:
    """A lesson's button: load the preset's spec (widgets start afresh), optionally start training, go on."""
    from rnnlab.experiments import PRESETS

    spec = PRESETS[name]
    state.set_spec(spec, reset_widgets=True)
    state.set_lesson(lesson_key)
    if train:
        start_training(spec)
    state.flash("success", f"Loaded {spec.describe()}." + (" Training started." if train else ""))
    st.switch_page("app_pages/train.py" if train else "app_pages/build.py", query_params=state.url_params())
