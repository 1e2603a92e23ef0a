"""Gradients: ||dL/dh_t|| over time per layer, and two layer kinds side by side on the same data.

The two layer kinds compared are kept in the URL (gr_left, gr_right).
"""

import dataclasses

import numpy as np
import streamlit as st

from app import state
from app.session import experiment
from app.ui import figures, messages, widgets
from app.ui import layer_docs as docs

PAGE = "grad"

st.title("Gradients through time")
st.markdown(
    "How strongly does the loss reach back to step t? The norm of dL/dh_t, averaged over samples, is the "
    "signal a layer gets to learn from step t. A line that falls towards early steps means vanishing "
    "gradients: those steps barely learn."
)


@st.cache_data(show_spinner="Building both models and measuring their gradients ...", max_entries=16)
def norms_at_init(spec_json: str, kind: str, x: np.ndarray, y: np.ndarray, n_classes: int | None, task: str) -> dict:
    """Spec (JSON) with every layer turned into ``kind`` -> {layer: [B, T] ||dL/dh_t||, '_valid': [B, T]} of
    the untrained model on x [B, T, D], y. Cached by its arguments (the same weights while cached)."""
    import rnnlab
    from rnnlab.experiments import ExperimentSpec, build_model

    from app.ui.layer_editor import convert

    spec = ExperimentSpec.from_json(spec_json)
    layers = tuple(
        dataclasses.replace(convert(layer, kind), weights_init=None) if layer.kind != "bidirectional_rnn" else
        dataclasses.replace(layer, cell_fw=dataclasses.replace(layer.cell_fw, kind=kind, activation=None),
                            cell_bw=dataclasses.replace(layer.cell_bw, kind=kind, activation=None))
        for layer in spec.layers
    )
    spec = spec.replace(layers=layers)
    model = build_model(spec, n_features=x.shape[-1], n_classes=n_classes, task=task,
                        n_outputs=None if n_classes else int(y.shape[-1]))
    trace = rnnlab.probe(model, x, y, loss=model.loss)
    out = {name: record.grad_norm for name, record in trace.layers.items()}
    out["_valid"] = next(iter(trace.layers.values())).valid
    return out


run = messages.need_run("The Gradients page")
if run is None:
    st.stop()
messages.run_banner(run)

with messages.guard("Gradients of this run"):
    from rnnlab import plots

    trace = experiment.run_trace(run)
    norms = {name: record.grad_norm for name, record in trace.layers.items() if record.grad_norm is not None}
    valid = next(iter(trace.layers.values())).valid
    fig = plots.gradient_norms(norms, valid, title=f"||dL/dh_t|| per layer of run {run.label} (trained)")
    figures.figure(fig, key="grad_norms")

with messages.guard("Side by side"):
    st.subheader("Two layer kinds on the same data")
    runs = state.session_runs()
    modes = ["Two layer kinds, untrained (same data, same seed)"]
    if len(runs) >= 2:
        modes.append("Two trained runs of this session")
    mode = st.radio("Compare", modes, horizontal=True, key="grad_mode")
    pool = experiment.probe_pool(run)
    if mode == modes[0]:
        a, b, c = st.columns(3)
        kinds = list(docs.CELL_KINDS)
        left_kind = widgets.url_choice(a.selectbox, "Left", kinds, view="gr_left", key="grad_left", default=0,
                                  format_func=lambda k: docs.LAYER_TITLES[k])
        right_kind = widgets.url_choice(b.selectbox, "Right", kinds, view="gr_right", key="grad_right", default=1,
                                   format_func=lambda k: docs.LAYER_TITLES[k])
        c.caption("Every layer of this run's stack becomes the chosen kind (with its default activation); both "
                  "models are untrained and read the same probe samples with the same loss.")
        spec_json = run.spec.to_json()
        task = run.spec.task(pool)
        left = norms_at_init(spec_json, left_kind, pool.x, pool.y, pool.n_classes, task)
        right = norms_at_init(spec_json, right_kind, pool.x, pool.y, pool.n_classes, task)
        names = (docs.LAYER_TITLES[left_kind], docs.LAYER_TITLES[right_kind])
    else:
        labels = [r.label for r in runs]
        a, b = st.columns(2)
        left_label = a.selectbox("Left", labels, index=len(labels) - 2, key="grad_run_left")
        right_label = b.selectbox("Right", labels, index=len(labels) - 1, key="grad_run_right")
        chosen = []
        for label in (left_label, right_label):
            other = next(r for r in runs if r.label == label)
            other_trace = experiment.run_trace(other)
            result = {n: rec.grad_norm for n, rec in other_trace.layers.items() if rec.grad_norm is not None}
            result["_valid"] = next(iter(other_trace.layers.values())).valid
            chosen.append(result)
        left, right = chosen
        names = (left_label, right_label)
    fig = plots.gradient_norms_side_by_side(
        {k: v for k, v in left.items() if k != "_valid"}, {k: v for k, v in right.items() if k != "_valid"},
        left_name=names[0], right_name=names[1], left_valid=left["_valid"], right_valid=right["_valid"],
        title=f"||dL/dh_t||: {names[0]} vs {names[1]}",
    )
    figures.figure(fig, key="grad_side_by_side")
