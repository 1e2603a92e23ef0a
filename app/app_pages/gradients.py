"""Gradients: ||dL/dh_t|| over time per layer under a sample's input strip, and two models side by side: two
layer kinds, untrained, on the same data, or two trained runs of this session. When the loaded lesson compares
two presets (adding: LSTM vs SimpleRNN) and both are trained, those two runs are the default comparison.

The two layer kinds compared are kept in the URL (gr_left, gr_right).
"""

import dataclasses

import numpy as np
import streamlit as st

from app import state
from app.session import experiment, imported_model, lesson_runs
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


def lesson_pair():
    """-> (lesson, [latest run of the lesson's preset, of its companion] with None where untrained), or
    (None, None) when the loaded lesson (if any) has no companion preset to compare with."""
    lesson = lesson_runs.current()
    if lesson is None or not lesson.also:
        return None, None
    found = lesson_runs.runs_of(lesson)
    return lesson, [found.get(lesson.preset), found.get(lesson.also[0][1])]


def run_norms(other) -> dict:
    """A run -> {layer: [B, T] ||dL/dh_t||, '_valid': [B, T]} of its trained model on its probe pool."""
    other_trace = experiment.run_trace(other)
    result = {n: rec.grad_norm for n, rec in other_trace.layers.items() if rec.grad_norm is not None}
    result["_valid"] = next(iter(other_trace.layers.values())).valid
    return result


run = messages.need_run("The Gradients page")
if run is None:
    st.stop()
messages.run_banner(run)
with messages.guard("The lesson's evidence on this run"):
    messages.lesson_evidence(lesson_runs.evidence_on(run, "gradients.py"))

with messages.guard("Gradients of this run"):
    from rnnlab import plots

    trace = experiment.run_trace(run)
    pool = experiment.probe_pool(run)
    norms = {name: record.grad_norm for name, record in trace.layers.items() if record.grad_norm is not None}
    valid = next(iter(trace.layers.values())).valid
    batch = valid.shape[0]
    b = widgets.url_choice(st.selectbox, "Sample for the input strip and the dotted line", range(batch),
                           view="gr_sample", key=f"grad_sample_{batch}",
                           format_func=lambda i: widgets.sample_label(pool, i),
                           help="The strip above each chart shows this sample's input on the same time steps; the "
                                "dotted line is this sample's own ||dL/dh_t||.")
    fig = plots.gradient_norms(norms, valid, sample=b, **experiment.sample_strips(pool, b),
                               title=f"||dL/dh_t|| per layer of run {run.label} "
                                     f"({'imported' if imported_model.is_imported(run) else 'trained'})")
    figures.figure(fig, key="grad_norms")

with messages.guard("Side by side"):
    st.subheader("Two models side by side")
    runs = state.session_runs()
    lesson, pair = lesson_pair()
    paired = pair is not None and all(r is not None for r in pair)
    modes = ["Two layer kinds, untrained (same data, same seed)"]
    if len(runs) >= 2:
        modes.append("Two trained runs of this session")
    if lesson is not None and not paired:
        missing = [name for name, r in zip((lesson.preset, lesson.also[0][1]), pair) if r is None]
        st.info(f"Lesson '{lesson.title}': train both {lesson.preset} and {lesson.also[0][1]} (Lessons page) to see "
                f"the lesson's comparison here, the two trained runs side by side. Not trained yet: "
                f"{', '.join(missing)}. Until then the default is two untrained layer kinds.")
    token = "-".join(r.run_id for r in pair) if paired else "none"  # a new pair starts from its default
    mode = st.radio("Compare", modes, index=1 if paired else 0, horizontal=True, key=f"grad_mode_{token}")
    if mode == modes[0]:
        left_col, right_col, note_col = st.columns([1.3, 1.3, 1])
        kinds = list(docs.CELL_KINDS)
        left_kind = widgets.url_choice(left_col.selectbox, "Left", kinds, view="gr_left", key="grad_left", default=0,
                                       format_func=lambda k: docs.LAYER_TITLES[k])
        right_kind = widgets.url_choice(right_col.selectbox, "Right", kinds, view="gr_right", key="grad_right", default=1,
                                        format_func=lambda k: docs.LAYER_TITLES[k])
        note_col.caption("Every layer of this run's stack becomes the chosen kind (with its default activation); "
                        "both models are untrained and read the same probe samples with the same loss.")
        spec_json = run.spec.to_json()
        task = run.spec.task(pool)
        left = norms_at_init(spec_json, left_kind, pool.x, pool.y, pool.n_classes, task)
        right = norms_at_init(spec_json, right_kind, pool.x, pool.y, pool.n_classes, task)
        names = (docs.LAYER_TITLES[left_kind], docs.LAYER_TITLES[right_kind])
        same_data = True
    else:
        labels = [r.label for r in runs]
        left_index, right_index = (runs.index(pair[0]), runs.index(pair[1])) if paired else (len(runs) - 2, len(runs) - 1)
        if paired:
            st.caption(f"Lesson '{lesson.title}': your trained runs of {lesson.preset} (left) and "
                       f"{lesson.also[0][1]} (right).")
        left_col, right_col = st.columns(2)
        left_i = left_col.selectbox("Left", range(len(runs)), index=left_index, key=f"grad_run_left_{token}",
                             format_func=lambda i: labels[i])
        right_i = right_col.selectbox("Right", range(len(runs)), index=right_index, key=f"grad_run_right_{token}",
                                    format_func=lambda i: labels[i])
        left, right = run_norms(runs[left_i]), run_norms(runs[right_i])
        names = (labels[left_i], labels[right_i])
        pools = [experiment.probe_pool(runs[i]).x for i in (left_i, right_i)]
        same_data = all(x.shape == pool.x.shape and np.array_equal(x, pool.x) for x in pools)
    fig = plots.gradient_norms_side_by_side(
        {k: v for k, v in left.items() if k != "_valid"}, {k: v for k, v in right.items() if k != "_valid"},
        left_name=names[0], right_name=names[1], left_valid=left["_valid"], right_valid=right["_valid"],
        title=f"||dL/dh_t||: {names[0]} vs {names[1]}",
        **(dict(sample=b, **experiment.sample_strips(pool, b)) if same_data else {}),
    )
    figures.figure(fig, key="grad_side_by_side")
