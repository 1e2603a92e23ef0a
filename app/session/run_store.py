"""The run store from the app: save a session run there, reopen a stored run into the session."""

from __future__ import annotations

from app import state
from app.session import jobs


def run_runs_root() -> str:
    """Where the run store lives: $RNNLAB_RUNS_DIR, default 'runs' (relative to the working directory)."""
    import os

    return os.environ.get("RNNLAB_RUNS_DIR", "runs")


def save_run(run) -> None:
    """Save a session run in the run store (RunStore.save(spec, result)); remembers the store id."""
    from rnnlab.experiments import RunStore

    if run.result is None:
        raise ValueError(f"run {run.label} came from the store and is saved there already")
    run.store_id = RunStore(root=run_runs_root()).save(run.spec, run.result)
    state.flash("success", f"Saved run {run.label} in the run store as {run.store_id}.")


def reopen_stored_run(store, run_id: str) -> None:
    """Load a stored run (model, history, snapshots) into this session and make it current."""
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
