"""The one module that touches ``st.session_state`` and ``st.query_params``.

Everything a browser session owns lives here, under keys of its own (pages never index session_state):

    spec            the ExperimentSpec being edited; mirrored into the URL query string on every run
    spec revision   bumped when the spec is replaced from outside the widgets (lesson, JSON upload, a
                    reopened run, a structural edit): widget keys carry it, so widgets start afresh from the
                    new spec instead of keeping stale values
    uploaded data   the user's own SequenceDataset (a file cannot travel in a URL)
    training job    the background training of this session (app.jobs.TrainingJob)
    session runs    finished trainings of this session (app.jobs.SessionRun), one of them current
    memo            a small per-session LRU of derived results (probe traces, model bytes, ...)
    view settings   presentation mode (also in the URL as ``present=1``)

A shared link carries the spec (seed included) and the presentation flag, so it reproduces the experiment.
Nothing here is module-level mutable state: each session has its own copy in st.session_state.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import streamlit as st

from rnnlab.experiment import ExperimentSpec

_SPEC = "rnnlab:spec"
_REVISION = "rnnlab:spec_revision"
_UPLOAD = "rnnlab:uploaded_dataset"
_UPLOAD_TOKEN = "rnnlab:uploaded_token"
_JOB = "rnnlab:training_job"
_RUNS = "rnnlab:session_runs"
_CURRENT = "rnnlab:current_run"
_MEMO = "rnnlab:memo"
_PRESENT = "rnnlab:presentation"
_FLASH = "rnnlab:flash"
_LESSON = "rnnlab:lesson"
_SEEN_FILES = "rnnlab:seen_files"

#: Query-string keys the app owns besides the spec's own.
APP_PARAMS = ("present", "lesson")
MEMO_SIZE = 24
MAX_SESSION_RUNS = 8


# ------------------------------------------------------------------------------------ session set-up


def init() -> None:
    """Every script run: on a session's first run, defaults and the spec read from the URL; then the URL
    is kept equal to the spec (page switches clear the query string, so it is written back)."""
    session = st.session_state
    if _SPEC not in session:
        spec, problem = _spec_from_url()
        session[_SPEC] = spec
        session[_REVISION] = 0
        session[_RUNS] = []
        session[_CURRENT] = None
        session[_MEMO] = OrderedDict()
        session[_FLASH] = []
        session[_SEEN_FILES] = set()
        session[_PRESENT] = st.query_params.get("present") == "1"
        session[_LESSON] = st.query_params.get("lesson") or None
        if problem:
            flash("error", problem)
    _sync_url()


def _spec_from_url() -> tuple[ExperimentSpec, str | None]:
    params = {k: v for k, v in st.query_params.to_dict().items() if k not in APP_PARAMS}
    if not params:
        return ExperimentSpec(), None
    try:
        return ExperimentSpec.from_query(params), None
    except Exception as error:  # a hand-edited or outdated link: start from the defaults, say why
        return ExperimentSpec(), (
            f"The settings in this link could not be read, so the default experiment is shown instead: {error}"
        )


def url_params() -> dict[str, str]:
    """The query string this session should show: the spec's settings plus the app's view flags."""
    session = st.session_state
    params = dict(session[_SPEC].to_query())
    if session.get(_PRESENT):
        params["present"] = "1"
    if session.get(_LESSON):
        params["lesson"] = str(session[_LESSON])
    return params


def _sync_url() -> None:
    wanted = url_params()
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


# ----------------------------------------------------------------------------------------- the spec


def spec() -> ExperimentSpec:
    """The session's current ExperimentSpec."""
    return st.session_state[_SPEC]


def set_spec(new_spec: ExperimentSpec, *, reset_widgets: bool = False) -> None:
    """Replace the spec (and the URL). ``reset_widgets``: the change came from outside the widgets, so
    widgets are re-created from the new spec (their keys change with the revision)."""
    changed = new_spec != st.session_state[_SPEC]
    st.session_state[_SPEC] = new_spec
    if reset_widgets:
        st.session_state[_REVISION] += 1
    if changed or reset_widgets:
        _sync_url()


def revision() -> int:
    """How many times the spec was replaced from outside the widgets (part of every spec widget's key)."""
    return st.session_state[_REVISION]


def key(page: str, name: str) -> str:
    """Widget key for a setting that mirrors the spec: page prefix, name and the spec revision."""
    return f"{page}_{name}_r{st.session_state[_REVISION]}"


def lesson() -> str | None:
    """The key of the lesson loaded last (None when the experiment was built by hand)."""
    return st.session_state.get(_LESSON)


def set_lesson(key_: str | None) -> None:
    st.session_state[_LESSON] = key_
    _sync_url()


# -------------------------------------------------------------------------------------- view settings


def presentation() -> bool:
    """Presentation mode (large type)."""
    return bool(st.session_state.get(_PRESENT))


def set_presentation(on: bool) -> None:
    if bool(on) != presentation():
        st.session_state[_PRESENT] = bool(on)
        _sync_url()


def flash(level: str, message: str) -> None:
    """Queue a message for the next time a page shows messages (survives st.rerun / st.switch_page)."""
    st.session_state.setdefault(_FLASH, []).append((level, message))


def pop_flashes() -> list[tuple[str, str]]:
    """The queued messages, emptied."""
    messages = list(st.session_state.get(_FLASH, []))
    st.session_state[_FLASH] = []
    return messages


def first_time(file_id: str) -> bool:
    """True the first time this session sees an uploaded file id (file uploaders keep files across reruns,
    so an upload must be applied once, not on every rerun)."""
    seen = st.session_state.setdefault(_SEEN_FILES, set())
    if file_id in seen:
        return False
    seen.add(file_id)
    return True


# ---------------------------------------------------------------------------------- uploaded data


def uploaded_dataset():
    """The user's own SequenceDataset, or None."""
    return st.session_state.get(_UPLOAD)


def uploaded_token() -> str | None:
    """A short id of the uploaded data (part of cache keys)."""
    return st.session_state.get(_UPLOAD_TOKEN)


def set_uploaded_dataset(dataset, token: str | None) -> None:
    st.session_state[_UPLOAD] = dataset
    st.session_state[_UPLOAD_TOKEN] = token


# ------------------------------------------------------------------------------- training and runs


def training_job():
    """This session's training job (running or finished but not yet collected), or None."""
    return st.session_state.get(_JOB)


def set_training_job(job) -> None:
    st.session_state[_JOB] = job


def session_runs() -> list:
    """This session's finished runs (app.jobs.SessionRun), oldest first."""
    return list(st.session_state.get(_RUNS, []))


def add_session_run(run, *, make_current: bool = True) -> None:
    """Keep a finished run (the oldest are dropped beyond MAX_SESSION_RUNS, models and all)."""
    runs = st.session_state.setdefault(_RUNS, [])
    runs.append(run)
    del runs[:-MAX_SESSION_RUNS]
    if make_current:
        st.session_state[_CURRENT] = run.run_id


def current_run():
    """The run the inspection pages look at (the latest unless another was reopened), or None."""
    wanted = st.session_state.get(_CURRENT)
    for run in st.session_state.get(_RUNS, []):
        if run.run_id == wanted:
            return run
    return None


def select_run(run_id: str) -> None:
    st.session_state[_CURRENT] = run_id


# ----------------------------------------------------------------------------------------- memo


def memo(namespace: str, key_: Any, compute: Callable[[], Any]) -> Any:
    """Per-session LRU of derived results: ``compute()`` once per (namespace, key), kept for this session
    only (models differ between sessions, so probe traces cannot go into a shared cache)."""
    store: OrderedDict = st.session_state.setdefault(_MEMO, OrderedDict())
    full_key = (namespace, key_)
    if full_key in store:
        store.move_to_end(full_key)
        return store[full_key]
    value = compute()
    store[full_key] = value
    while len(store) > MEMO_SIZE:
        store.popitem(last=False)
    return value


# ----------------------------------------------------------------------------------- page memory


def remember(name: str, value: Any) -> None:
    """Keep a small page value across reruns (e.g. the intervention last applied)."""
    st.session_state[f"rnnlab:view:{name}"] = value


def recall(name: str, default: Any = None) -> Any:
    """A value kept with remember(), else default."""
    return st.session_state.get(f"rnnlab:view:{name}", default)
