"""The Build page's "Bring your model" widgets: the two uploaders (a .keras file; TFLearn checkpoint files) and what
an imported model is (its layers, and for a checkpoint the load report: what loaded, what was left). The loading
itself is app/session/imported_model.py's; the page joins the two."""

from __future__ import annotations

import streamlit as st

from app import state

KERAS_UPLOAD_KEY = "build_keras_upload"
CHECKPOINT_UPLOAD_KEY = "build_tflearn_upload"
OPEN_KEY = "build_open_imported"


def keras_uploader(max_mb: int):
    """-> the uploaded .keras file (Streamlit's UploadedFile) or None; the limits are said beside it."""
    st.caption(
        f"A `.keras` file (`model.save('name.keras')`) of at most {max_mb} MB: Keras `LSTM`, `GRU` "
        "(`reset_after=False`), `SimpleRNN`, `Masking(0.0)`, `Dense`, ... or an rnnlab model. It is loaded in Keras's "
        "safe mode (a file holding code, such as a Lambda layer, is refused) and converted to rnnlab's layers, which "
        "show every gate. Its input [B, T, D] must fit the data above; its output, the data's task.")
    # max_upload_size: the widget says "Limit {max_mb}MB per file" (not the server's larger limit for data) and the
    # browser refuses a larger file before sending it; the page's own size check stays as the backstop
    return st.file_uploader("Your model (.keras)", key=KERAS_UPLOAD_KEY, max_upload_size=max_mb,
                            help="Any file type is accepted here so that the page can say what is wrong with "
                                 "another one.")


def checkpoint_uploader(max_mb: int):
    """-> the uploaded checkpoint files (a list, maybe empty)."""
    st.caption(
        "TFLearn's `DNN.save('net.tfl')` writes `net.tfl.index`, `net.tfl.data-00000-of-00001` and `net.tfl.meta`: "
        "upload the first two together (the `.meta` graph may come along; it is not read). Their weights go into "
        "the stack built above, matched by name: rnnlab names layers as TFLearn scopes them (LSTM, LSTM_1, GRU, "
        f"BiRNN, FullyConnected), so build the same layers in the same order. At most {max_mb} MB in all.")
    # the widget refuses a single file over the limit; the page checks the files' total
    return st.file_uploader("TFLearn checkpoint files (.index + .data-*)", accept_multiple_files=True,
                            key=CHECKPOINT_UPLOAD_KEY, max_upload_size=max_mb) or []


def show_imported(imported, rows: list[dict], report_rows: list[dict]) -> None:
    """An ImportedModel's layers (``rows``: ImportedModel.layers()) and, for a TFLearn checkpoint, its load report
    (``report_rows``: one row per variable loaded, then what was not loaded or left)."""
    st.markdown(f"**{imported.source}**: " + " → ".join(f"`{r['layer']}` {r['output shape']}" for r in rows))
    st.dataframe(rows, hide_index=True, key=f"build_imported_layers_{imported.kind}")
    report = imported.report
    if report is None:
        if any(r["type"] == "Identity" for r in rows):
            st.caption("A Masking(0.0) layer became Identity: the recurrent layers it masked run with dynamic=True, "
                       "each sample's length TFLearn's count of its steps that are not all zero. That is what the "
                       "mask says for post-padded data; an all-zero step inside a sequence differs (Keras skips it "
                       "and goes on, the converted layers stop early).")
        show_agreement(imported)
        return
    if report.loaded:
        st.success(f"Loaded {len(report.loaded)} variables from {report.checkpoint} into the stack.")
        st.dataframe(report_rows, hide_index=True, key="build_checkpoint_report")
    else:
        st.warning(f"Nothing in {report.checkpoint} matched the stack built above: its layers keep their fresh "
                   "weights. Build the same layers as the TFLearn network, in the same order.")
    for title, names, show in (
            ("Not loaded (the checkpoint has nothing for them, they keep fresh weights)", report.not_loaded, st.warning),
            ("Kept on purpose (restore=False)", report.kept, st.info),
            ("Left in the checkpoint (no layer of the stack has that name)", report.left_in_checkpoint, st.warning)):
        if names:
            show(f"{title}: {', '.join(names)}.")
    if report.training_state:
        st.caption(f"Training state not loaded (optimizer slots, step counters): {len(report.training_state)} "
                   "variables; they do not change what the model computes.")


def _opened_run(imported):
    """The latest session run opened from ``imported`` (the same model object), or None."""
    return next((run for run in reversed(state.session_runs())
                 if getattr(run, "model", None) is imported.model and hasattr(run, "agreement_message")), None)


def _numbers(metrics: dict) -> str:
    return ", ".join(f"{key} {value:.4g}" for key, value in metrics.items() if isinstance(value, (int, float)))


def show_agreement(imported) -> None:
    """Whether the converted model's predictions equal the .keras file's own model's on the run's data (measured
    when it opened as a run: ImportedRun.agreement), and the Keras model's own test numbers where they differ."""
    if getattr(imported, "original", None) is None:
        return
    run = _opened_run(imported)
    found = run.agreement_message() if run is not None else None
    if found is None:
        st.caption("Opening it as a run compares the converted model's predictions with the Keras model's on your "
                   "data (test and training rows) and says here where they differ.")
        return
    level, text = found
    if level == "success":
        st.success(f"**{run.label}**: {text}", icon=":material/check_circle:")
    else:
        st.warning(f"**{run.label}**: {text}", icon=":material/warning:")
    if run.keras_metrics:
        st.caption(f"Test numbers of run {run.label}: the converted model (what the pages show) "
                   f"{_numbers(run.final_metrics)}; the Keras model in {imported.source} "
                   f"{_numbers(run.keras_metrics)}.")


def open_button(imported) -> bool:
    """The "Open as a run" button (disabled for a checkpoint that loaded nothing) -> pressed."""
    empty = imported.report is not None and not imported.report.loaded
    return st.button("Open as a run", type="primary", key=f"{OPEN_KEY}_{imported.kind}", icon=":material/open_in_new:", disabled=empty,
                     help="Makes it this session's current run, on the data above (its test split is what the "
                          "inspection pages probe). Nothing is trained.")
