"""The one module that touches ``st.session_state`` and ``st.query_params``.

Everything a browser session owns lives here, under keys of its own (pages never index session_state):

    spec            the ExperimentSpec being edited; mirrored into the URL query string on every run
    spec revision   bumped when the spec is replaced from outside the widgets (lesson, JSON upload, a
                    reopened run, a structural edit): widget keys carry it, so widgets start afresh from the
                    new spec instead of keeping stale values
    uploaded data   the user's own SequenceDataset (a file cannot travel in a URL)
    training job    the background training of this session (app.session.jobs.TrainingJob)
    session runs    finished trainings of this session (app.session.jobs.SessionRun), one of them current
    memo            a small per-session LRU of derived results (probe traces, model bytes, ...)
    view settings   presentation mode (also in the URL as ``present=1``) and the inspection pages' view choices
                    (layer, sample, units, ...: VIEW_PARAMS, in the URL under short per-page keys)

A shared link carries the spec (seed included), the presentation flag and the view choices, so it reproduces
the experiment and opens the same view. View choices are read from the URL once (the session's first run) and
then live here: a page reads one as its widget's default (``view_index`` / ``view_int`` / ``view_ints``: a value
that does not fit the current run is ignored) and writes the widget's value back (``set_view``), which updates
the URL. A view choice equal to the widget's own default leaves the URL, so links stay short.
Nothing here is module-level mutable state: each session has its own copy in st.session_state.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Sequence

import streamlit as st

from rnnlab.experiments import ExperimentSpec

_SPEC = "rnnlab:spec"
_REVISION = "rnnlab:spec_revision"
_UPLOAD = "rnnlab:uploaded_dataset"
_UPLOAD_TOKEN = "rnnlab:uploaded_token"
_JOB = "rnnlab:training_job"
_RUNS = "rnnlab:session_runs"
_CURRENT = "rnnlab:current_run"
_MEMO = "rnnlab:memo"
_RUNS_MADE = "rnnlab:runs_made"
_PRESENT = "rnnlab:presentation"
_FLASH = "rnnlab:flash"
_LESSON = "rnnlab:lesson"
_SEEN_FILES = "rnnlab:seen_files"
_VIEW = "rnnlab:view_params"
_LINKED_RUN = "rnnlab:linked_run"
_TRAIN_REQUEST = "rnnlab:train_request"

#: View choices of the inspection pages that travel in the URL: short keys, one prefix per page
#: (st_ States, gt_ Gates, gr_ Gradients, pd_ Padding lab). Values are plain strings; lists join with ",".
VIEW_PARAMS = (
    "st_epoch", "st_layer", "st_state", "st_sample", "st_units", "st_dims", "st_colour", "st_n", "st_step",
    "gt_layer", "gt_sample", "gt_units",
    "gr_left", "gr_right", "gr_sample",
    "pd_data", "pd_rows", "pd_from", "pd_zero", "pd_kind", "pd_n", "pd_seed", "pd_sample",
)
#: Query-string keys the app owns besides the spec's own (``run``: a stored run's id, so a link opens that
#: trained model on this server).
APP_PARAMS = ("present", "lesson", "run", *VIEW_PARAMS)
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
        session[_VIEW] = {k: str(v) for k, v in st.query_params.to_dict().items() if k in VIEW_PARAMS}
        session[_LINKED_RUN] = st.query_params.get("run") or None
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
    """The query string this session should show: the spec's settings plus the app's view flags and choices."""
    session = st.session_state
    params = dict(session[_SPEC].to_query())
    if session.get(_PRESENT):
        params["present"] = "1"
    if session.get(_LESSON):
        params["lesson"] = str(session[_LESSON])
    run = current_run()
    if run is not None and getattr(run, "store_id", None):
        params["run"] = str(run.store_id)
    params.update(session.get(_VIEW) or {})
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


def _encode_view(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _view_text(name: str) -> str | None:
    if name not in VIEW_PARAMS:
        raise KeyError(f"{name!r} is not a view setting of the URL; expected one of {VIEW_PARAMS}")
    return (st.session_state.get(_VIEW) or {}).get(name)


def view_index(name: str, options: Sequence, default: int = 0) -> int:
    """The index of the URL's view choice ``name`` among ``options`` (compared as text), else ``default``:
    a value that is not an option of the current run (a layer it lacks, a sample beyond its batch) is ignored."""
    text = _view_text(name)
    if text is not None:
        for index, option in enumerate(options):
            if str(option) == text:
                return index
    return default


def view_int(name: str, low: int, high: int, default: int) -> int:
    """The URL's view choice ``name`` as an int in [low, high], else ``default``."""
    text = _view_text(name)
    try:
        value = int(text) if text is not None else None
    except ValueError:
        value = None
    return value if value is not None and low <= value <= high else default


def view_ints(name: str, options: Sequence[int], default: Sequence[int]) -> list[int]:
    """The URL's view choice ``name`` as a list of ints (``"0,3,5"``), each one of ``options``, else
    ``default``; an empty value is an empty list (the user chose none)."""
    text = _view_text(name)
    if text is None:
        return list(default)
    if text.strip() == "":
        return []
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        return list(default)
    allowed = set(options)
    kept = [v for v in dict.fromkeys(values) if v in allowed]
    return kept if kept else list(default)


def set_view(name: str, value: Any, default: Any) -> None:
    """Write a view widget's value back into the session and the URL (dropped from the URL when it equals the
    widget's default). Never touches the spec: a view change never retrains."""
    _view_text(name)  # checks the name
    views = st.session_state.setdefault(_VIEW, {})
    text = _encode_view(value)
    before = views.get(name)
    if text == _encode_view(default):
        views.pop(name, None)
    else:
        views[name] = text
    if views.get(name) != before:
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
    """The user's own data: a SequenceDataset (split at random with the spec's validation_split), a (train, test)
    pair when the files carry their own split (a TRAIN / TEST pair, an NPZ split key), or None."""
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
    """This session's finished runs (app.session.jobs.SessionRun), oldest first."""
    return list(st.session_state.get(_RUNS, []))


def next_run_number() -> int:
    """The number of this session's next run: 1, 2, 3, ... for as long as the session lives (runs dropped beyond
    MAX_SESSION_RUNS keep theirs, so two runs never share a label)."""
    return st.session_state.get(_RUNS_MADE, 0) + 1


def add_session_run(run, *, make_current: bool = True) -> None:
    """Keep a finished run (the oldest are dropped beyond MAX_SESSION_RUNS, models and all)."""
    runs = st.session_state.setdefault(_RUNS, [])
    runs.append(run)
    st.session_state[_RUNS_MADE] = next_run_number()
    del runs[:-MAX_SESSION_RUNS]
    if make_current:
        st.session_state[_CURRENT] = run.run_id
        _sync_url()


def current_run():
    """The run the inspection pages look at (the latest unless another was reopened), or None."""
    wanted = st.session_state.get(_CURRENT)
    for run in st.session_state.get(_RUNS, []):
        if run.run_id == wanted:
            return run
    return None


def select_run(run_id: str) -> None:
    st.session_state[_CURRENT] = run_id
    _sync_url()


def linked_run_pending() -> bool:
    """Whether this session's link asks for a stored run (``?run=<id>``) not yet opened."""
    return bool(st.session_state.get(_LINKED_RUN))


def pop_linked_run() -> str | None:
    """The stored run id this session's link asked for (``?run=<id>``), once: None afterwards."""
    return st.session_state.pop(_LINKED_RUN, None)


def request_training() -> None:
    """Ask for the current spec to be trained (a page's "Train this experiment" button); the Train page starts it."""
    st.session_state[_TRAIN_REQUEST] = True


def pop_training_request() -> bool:
    """Whether training was requested since the last call (then forgotten)."""
    return bool(st.session_state.pop(_TRAIN_REQUEST, False))


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
