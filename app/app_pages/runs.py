"""Runs: this session's runs and the run store as tables; reopen, download or import a run (one .rnnlab.zip file:
spec, weights, history, snapshots and an upload's data); overlay several runs' curves."""

import pandas as pd
import streamlit as st

from app import state
from app.session import imported_model, run_store
from app.ui import downloads, figures, messages

PAGE = "runs"

st.title("Runs")
stored_ids: list[str] = []
store = None


def session_table(runs) -> pd.DataFrame:
    rows = []
    for run in runs:
        row = {"run": run.label, "data": run.spec.dataset, "layers": run.layers_text(),
               "epochs": len(run.history)}
        row.update({k: round(float(v), 5) for k, v in run.final_metrics.items()
                    if isinstance(v, (int, float)) and k not in ("epochs",)})
        row["ended"] = ("imported, not trained here" if imported_model.is_imported(run) else "diverged" if run.diverged
                        else "stopped" if run.stopped_early else "finished")
        row["in the store as"] = run.store_id or ""
        rows.append(row)
    return pd.DataFrame(rows)


def short_name(label: str) -> str:
    """A run's name in the overlay's title and legend: '#2 sine: lstm(32)' -> '#2' (a stored run keeps its id)."""
    return label.split(" ", 1)[0] if label.startswith("#") else label


def stored_history(store, run_id: str):
    """A stored run's history (without loading its model), once per session."""
    return state.memo("store_history", (str(store.root), run_id),
                      lambda: store.load(run_id, load_model=False, load_data=False).history)


with messages.guard("This session's runs"):
    st.header("This session", divider="gray")
    runs = state.session_runs()
    current = state.current_run()
    if not runs:
        st.info("No runs yet in this session: train one on the Train page (or reopen one from the store below).")
    else:
        st.dataframe(session_table(runs), hide_index=True, key="runs_session_table")
        labels = [r.label for r in runs]
        chosen = st.selectbox("Run", labels, index=labels.index(current.label) if current else len(labels) - 1,
                              key="runs_session_choice")
        run = next(r for r in runs if r.label == chosen)
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):  # whole buttons, wrapping
            inspect = st.button("Inspect this run", key="runs_inspect",
                                help="The States, Gates and Gradients pages show it.")
            load_spec = st.button("Load its spec", key="runs_load_spec", help="Into Build and Train (and the address bar).")
            save = False
            if run.store_id:
                st.caption(f"stored as `{run.store_id}`")
            else:
                save = st.button("Save to the store", key="runs_save",
                                 help="Its link (?run=<id>) then opens it for everyone on this server."
                                 + (f" Stored as imported from {run.source}, not as a training."
                                    if imported_model.is_imported(run) else ""))
        if inspect:
            state.select_run(run.run_id)
            st.rerun()
        if load_spec:
            run_store.adopt_run_data(run)  # a run of an upload brings its data along
            state.set_spec(run.spec, reset_widgets=True)
            state.flash("success", f"Loaded the spec of run {run.label}.")
            st.rerun()
        if save:
            run_store.save_run(run)
            st.rerun()

with messages.guard("The run store"):
    from rnnlab.experiments import RunStore

    st.header("The run store", divider="gray")
    store = RunStore(root=run_store.run_runs_root())
    st.caption(f"Saved runs on the server's disk ({run_store.run_runs_root()}/<run-id>/): shared with the `rnnlab` command "
               "line, kept across sessions. A run enters it only when you press Save.")
    listing = store.list()
    if listing is None or len(listing) == 0:
        st.info("The store is empty.")
    else:
        st.dataframe(listing, hide_index=True, key="runs_store_table")
        id_column = "run_id" if "run_id" in listing.columns else listing.columns[0]
        stored_ids = [str(v) for v in listing[id_column].tolist()]
        current_id = getattr(state.current_run(), "store_id", None)
        chosen_id = st.selectbox("Stored run", stored_ids, key="runs_store_choice",
                                 index=stored_ids.index(current_id) if current_id in stored_ids else 0)
        with st.container(horizontal=True, gap="small"):
            reopen = st.button("Reopen", key="runs_reopen",
                               help="Load its model and history into this session to inspect it.")
            st.download_button("Download this run", data=downloads.lazy(store.export_bytes, chosen_id),
                               file_name=f"{chosen_id}.rnnlab.zip", mime="application/zip", key="runs_download",
                               icon=":material/download:", help="One file: spec, weights, history, snapshots and "
                               "(for your own data) the data. Import it on another rnnlab server, or with "
                               "`rnnlab runs --import FILE`.")
            delete = st.button("Delete", key="runs_delete")
        if reopen:  # as its link does: the run, its data and its spec (Build and Train show its experiment)
            run_store.reopen_stored_run(store, chosen_id)
            run_store.adopt_run_data(state.current_run())
            state.set_spec(state.current_run().spec, reset_widgets=True)
            st.rerun()
        if delete:
            store.delete(chosen_id)
            state.flash("success", f"Deleted {chosen_id} from the store.")
            st.rerun()

with messages.guard("Importing a run"):
    imported = st.file_uploader(
        "Import a run", key="runs_import", help="A <run-id>.rnnlab.zip from Download this run (or `rnnlab runs "
        "--export RUN`): checked in full, added to the store and opened here.")
    if imported is not None and state.first_time(imported.file_id):
        run_store.import_run(imported.getvalue(), imported.name)
        st.rerun()

with messages.guard("Overlay"):
    from rnnlab import plots

    st.header("Overlay training curves", divider="gray")
    runs = state.session_runs()
    options = [r.label for r in runs] + [f"store: {i}" for i in stored_ids if i not in {r.store_id for r in runs}]
    if len(options) < 2:
        st.info("Two runs (this session's or stored) are needed to compare curves.")
    else:
        picked = st.multiselect("Runs to overlay", options, default=options[-2:] if len(runs) < 2 else
                                [r.label for r in runs][-2:], key="runs_overlay")
        histories = {}  # short names: long ones would fill the legend and squeeze the plot
        untrained = []  # imported models: no curves to draw
        for label in picked:
            if label.startswith("store: ") and store is not None:
                history = stored_history(store, label[len("store: "):])
            else:
                history = next(r for r in runs if r.label == label).history
            if history is None or not len(history):
                untrained.append(label)
                continue
            histories[short_name(label)] = history
        if untrained:
            st.caption(f"No training curves for {', '.join(untrained)}: not trained here (an imported model).")
        if histories:
            named = [f"**{short_name(label)}** {label.split(' ', 1)[1]}" for label in picked
                     if short_name(label) != label and label not in untrained]
            if named:
                st.caption("; ".join(named))
            fig = plots.training_curves_overlay(histories, title="Training curves: " + " vs ".join(histories))
            figures.figure(fig, key="runs_overlay_chart")
