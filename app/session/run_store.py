"""The run store from the app: save a session run there, reopen a stored run into the session."""

from __future__ import annotations

import logging

from app import state
from app.errors import error_message
from app.session import imported_model, jobs
from app.session.experiment import is_upload

log = logging.getLogger("rnnlab.app")


def run_runs_root() -> str:
    """Where the run store lives: $RNNLAB_RUNS_DIR, default 'runs' (relative to the working directory)."""
    import os

    return os.environ.get("RNNLAB_RUNS_DIR", "runs")


def save_run(run) -> None:
    """Save a session run in the run store (RunStore.save(spec, result)); remembers the store id. A run of the
    user's upload keeps its (train, test) data in the store too, so it reopens (and its link works) without the
    file; data over the store's limit is left out, and the message says so. A model imported from the user's
    files (Bring your model) is stored as it is held, with where it came from (imported_model.origin), and no
    history. A run in the store already is not saved again; a store that cannot be written is a message, and the
    run stays in this session unsaved, so nothing is lost and Save can be pressed again."""
    from rnnlab.experiments import RunStore
    from rnnlab.experiments.run_data import RunDataTooLarge

    root = run_runs_root()
    try:
        store = RunStore(root=root)
        stored_ids = store.run_ids() if run.store_id else []
    except OSError as error:
        state.flash("error", _not_written(run, root, error))
        return
    if run.store_id and run.store_id in stored_ids:
        state.flash("info", f"Run {run.label} is in the run store already, as {run.store_id}: nothing was saved "
                            "again, and its link stays the same.")
        return
    imported = imported_model.is_imported(run)
    if run.result is None and not imported:
        raise ValueError(f"run {run.label} came from the store and is saved there already")
    result = run if imported else run.result  # an imported run holds what the store reads: model, metrics, ...
    origin = imported_model.origin(run) if imported else None
    data = run.data if is_upload(run.spec.dataset) and run.data is not None else None
    note = ""
    try:
        try:
            store_id = store.save(run.spec, result, data=data, imported=origin)
        except RunDataTooLarge as error:
            store_id = store.save(run.spec, result, imported=origin)
            note = (f" Its data was left out ({error}), so reopening it or its link needs the file uploaded again.")
    except OSError as error:  # not writable, disk full: RunStore.save leaves no half run behind
        log.warning("saving a run failed", exc_info=True)
        state.flash("error", _not_written(run, root, error))
        return
    run.store_id = store_id
    kept = " with its uploaded data" if data is not None and not note else ""
    what = f" (imported from {run.source}, not trained here)" if imported else ""
    state.flash("warning" if note else "success",
                f"Saved run {run.label}{what} in the run store as {run.store_id}{kept}.{note}")


def _not_written(run, root: str, error: OSError) -> str:
    """The sentence for a run store that cannot be written (permissions, a full disk, a file in the way)."""
    why = error.strerror or type(error).__name__
    where = f" ({error.filename})" if getattr(error, "filename", None) else ""
    return (f"Run {run.label} was not saved: the run store {root}/ cannot be written: {why}{where}. Nothing was "
            "stored, and the run is still open in this session: make that folder writable (or point "
            "$RNNLAB_RUNS_DIR at one that is) and press Save again.")


def reopen_stored_run(store, run_id: str) -> None:
    """Load a stored run (model, history, snapshots) into this session and make it current; a model imported
    from the user's files reopens as what it is (imported_model.reopened_run: not trained here, no curves)."""
    stored = store.load(run_id)
    history = stored.history
    final = dict(getattr(stored, "final_metrics", {}) or {})
    if not final and history is not None and len(history):
        final = {k: float(v) for k, v in history.iloc[-1].items() if k not in ("epoch", "seconds")}
    meta = dict(getattr(stored, "meta", {}) or {})
    if stored.model is None:
        raise ValueError(f"run {run_id} was saved without its model, so it cannot be inspected; its curves can "
                         "still be overlaid below")
    origin = getattr(stored, "imported", None)  # where a model not trained here came from; None for a training
    if origin is not None:
        run = imported_model.reopened_run(stored, state.next_run_number())
        state.add_session_run(run)
        state.flash("success", f"Reopened {run_id}: imported from {origin.source}, not trained here. The States, "
                               "Gates and Gradients pages now show it.")
        return
    run = jobs.SessionRun(
        run_id=f"store-{run_id}",
        label=f"#{state.next_run_number()} stored {run_id}",
        spec=stored.spec,
        model=stored.model,
        history=history,
        final_metrics=final,
        message=str(meta.get("message", "")),
        stopped_early=bool(meta.get("stopped_early", False)),
        diverged=bool(meta.get("diverged", False)),
        snapshots={e: t for e, t in (getattr(stored, "snapshots", None) or {}).items() if hasattr(t, "layers")},
        snapshot_indices=tuple(getattr(stored, "snapshot_indices", ()) or ()),
        data=getattr(stored, "data", None),  # the data the run keeps (an upload's), else its spec names it
        store_id=run_id,
    )
    state.add_session_run(run)
    state.flash("success", f"Reopened {run_id}: the States, Gates and Gradients pages now show it.")


def adopt_run_data(run) -> None:
    """A run of the user's upload that carries its data: make that data the session's upload, so its spec can be
    built and trained again on the Build and Train pages (as when the file was uploaded here)."""
    if is_upload(run.spec.dataset) and run.data is not None:
        state.set_uploaded_dataset(run.data, run.spec.dataset)


def import_run(data: bytes, file_name: str) -> None:
    """An uploaded .rnnlab.zip -> the run in the store (checked in full first: RunStore.import_run), reopened in
    this session and made current, its spec and data loaded."""
    from rnnlab.experiments import RunStore

    store = RunStore(root=run_runs_root())
    outcome = store.import_run(data)
    reopen_stored_run(store, outcome.run_id)
    run = state.current_run()
    adopt_run_data(run)
    state.set_spec(run.spec, reset_widgets=True)
    state.flash("success", f"{file_name}: {outcome.message[0].upper()}{outcome.message[1:]} It is open now: the "
                           "States, Gates and Gradients pages show it.")


def open_linked_run() -> None:
    """A link with ``?run=<id>`` (a teacher shares a trained model with the room): reopen that stored run in this
    session once, with its spec, so every inspection page shows it. A run this server does not hold is said in
    the page."""
    run_id = state.pop_linked_run()
    if not run_id or any(getattr(r, "store_id", None) == run_id for r in state.session_runs()):
        return
    from rnnlab.experiments import RunStore

    store = RunStore(root=run_runs_root())
    if run_id not in store.run_ids():
        state.flash("error", f"The link names run {run_id!r}, which is not in this server's run store "
                             f"({store.root}/). Ask for the run's spec instead, or train the experiment here.")
        return
    try:
        reopen_stored_run(store, run_id)
    except Exception as error:  # noqa: BLE001 - a damaged run folder: say so, keep the session going
        state.flash("error", error_message(f"Opening run {run_id}", error))
        return
    adopt_run_data(state.current_run())
    state.set_spec(state.current_run().spec, reset_widgets=True)


def link_to(run, page_url: str | None) -> str | None:
    """The link that reopens a saved run on this server, on the page the user is on, with the view choices of its
    address (state.VIEW_PARAMS: colour by, sample, units, ...): ``<scheme>://<host>/<page>?<view>&run=<store id>``.
    The experiment's parameters stay out (the run brings its own), so it stays short enough to read out. None
    until the run is saved; a relative link when the address is unknown."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    if not getattr(run, "store_id", None):
        return None
    parts = urlsplit(page_url or "")
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    page = parts.path.strip("/") if origin else ""
    views = [(k, v) for k, v in parse_qsl(parts.query) if k in state.VIEW_PARAMS]
    return f"{origin}/{page}?{urlencode([*views, ('run', run.store_id)])}"
