"""Gates: every gate of a layer and direction per time step under the sample's input (and target) strip, saturation,
and interventions (before / after).

The layer / direction, the sample and the intervention's units are kept in the URL (gt_layer, gt_sample, gt_units).
"""

import numpy as np
import pandas as pd
import streamlit as st

from app import state
from app.session import experiment, lesson_runs
from app.ui import downloads, figures, messages, widgets

PAGE = "gates"
GATES = {"lstm": ("input", "forget", "output", "candidate"), "gru": ("reset", "update", "candidate"), "simple_rnn": ()}
RANGES = {"input": (0.0, 1.0), "forget": (0.0, 1.0), "output": (0.0, 1.0), "reset": (0.0, 1.0), "update": (0.0, 1.0),
          "candidate": (-1.0, 1.0)}
KNOCK_ON = 3  # the h chart adds (marked knock-on) up to this many units not chosen: those whose h changed most

st.title("Gates")
run = messages.need_run("The Gates page")
if run is None:
    st.stop()
messages.run_banner(run)
with messages.guard("The lesson's evidence on this run"):
    messages.lesson_evidence(lesson_runs.evidence_on(run, "gates.py"))


def intervened(run, pool, layer_key: str, quantity: str, value: float, units, from_step: int, b: int):
    """Probe sample b with the intervention -> Trace (memoised per session)."""
    import rnnlab

    name, _, direction = layer_key.partition("/")
    intervention = rnnlab.Intervention(name, quantity, float(value), units=tuple(units) if units else None,
                                       from_step=int(from_step), direction=direction or None)
    key = (run.run_id, layer_key, quantity, float(value), tuple(units), int(from_step), int(b))
    return state.memo("intervention", key, lambda: rnnlab.probe(run.model, pool.x[b : b + 1], interventions=[intervention]))


def output_names(pool, k: int) -> list[str]:
    """The names of the model's k outputs: "output[i]" (as the target strip says "target[i]"), "P(class)" for a
    class per step; the classes' names for a classification."""
    if pool.task == "classification" or (pool.task == "sequence_labelling" and pool.n_classes):
        classes = list(pool.class_names) if pool.class_names else [f"class {i}" for i in range(k)]
        return classes if pool.task == "classification" else [f"P({c})" for c in classes]
    return ["output"] if k == 1 else [f"output[{i}]" for i in range(k)]


def output_change(before: np.ndarray, after: np.ndarray, pool, b: int, record, start: int, sample: str) -> None:
    """Show the model output before and after: a line chart for per-step outputs, a table otherwise."""
    from rnnlab import plots

    k = before.shape[-1]
    names = output_names(pool, k)
    if before.ndim == 2:  # [T, k] per-step outputs (sequence labelling): all of them, else the 6 that change most
        fig = plots.intervention_before_after(before, after, start, units=range(k) if k <= 6 else None, names=names,
                                              noun="output", valid=record.valid[b], state_name="model output",
                                              **experiment.sample_strips(pool, b),
                                              title=f"Model output per step of {sample}: before vs after the "
                                                    "intervention")
        figures.figure(fig, key="gates_output_change")
        return
    rows = {"output": names, "before": before, "after": after, "change": after - before}
    if pool.task == "classification":
        target = int(pool.y[b])
        st.markdown(f"Predicted class: **{names[int(np.argmax(before))]}** before, "
                    f"**{names[int(np.argmax(after))]}** after (true: {names[target]}).")
    else:
        st.markdown(f"Target {np.round(np.asarray(pool.y[b]).ravel(), 4).tolist()}; prediction "
                    f"{np.round(before, 4).tolist()} before, {np.round(after, 4).tolist()} after.")
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="gates_output_table")


with messages.guard("Gates"):
    from rnnlab import plots

    pool = experiment.probe_pool(run)
    trace = experiment.run_trace(run)
    top = st.columns([1.4, 1.6, 1])
    with top[0]:
        layer = widgets.layer_choice(trace, key="gates_layer", label="Layer and direction", view="gt_layer")
    record = trace.layers[layer]
    batch, time_steps, n_units = record.quantities["h"].shape
    b = widgets.url_choice(top[1].selectbox, "Sample", range(batch), view="gt_sample", key=f"gates_sample_{batch}",
                      format_func=lambda i: widgets.sample_label(pool, i, record.seq_len[i]))
    sample = widgets.sample_label(pool, b, record.seq_len[b])  # as the picker names it
    gate_names = GATES[record.kind]
    if gate_names:
        gates = {g: record.quantities[g][b] for g in gate_names}
        fig = plots.gate_heatmaps(gates, record.valid[b], **experiment.sample_strips(pool, b),
                                  title=f"{layer}: gates of {sample} per unit over time")
        figures.figure(fig, key="gates_heatmaps")
        fig = plots.gate_saturation({g: record.quantities[g] for g in gate_names}, record.valid,
                                    title=f"{layer}: gate saturation over {batch} samples")
        figures.figure(fig, key="gates_saturation")
    else:
        st.info("A SimpleRNN has no gates: h = activation([x_t, h] @ W + b). Here is its pre-activation instead.")
        fig = plots.state_heatmap(record.quantities["pre_activation"][b], record.valid[b], state_name="pre_activation",
                                  **experiment.sample_strips(pool, b), title=f"{layer}: pre-activation of {sample}")
        figures.figure(fig, key="gates_preactivation")

with messages.guard("Intervention"):
    st.subheader("Intervene: fix a gate or silence a unit from step t on")
    st.caption("The model runs again on this sample with the chosen gate or state held at a value (for the "
               "chosen units, from the chosen step on); everything computed after it changes accordingly.")
    quantities = list(record.quantities)
    with st.form("gates_intervention_form", border=True):
        a, c, d = st.columns([1, 1.4, 1.6])
        default_q = "forget" if "forget" in quantities else quantities[-1]
        quantity = a.selectbox("Gate or state", quantities, index=quantities.index(default_q), key="gates_iv_quantity",
                               help="A gate (e.g. forget) or a state (h, c). Setting h to 0 silences units.")
        low, high = RANGES.get(quantity, (-1.0, 1.0))
        value = a.number_input("Value", min_value=-10.0, max_value=10.0, value=0.0, step=0.1, key="gates_iv_value",
                               help=f"The value to hold (this gate's natural range is {low:g}..{high:g}).")
        units = widgets.url_multi(c.multiselect, "Units (none = all units)", range(n_units), [], view="gt_units",
                                  key=f"gates_iv_units_{layer}", help="Only these units are changed.")
        from_step = d.slider("From step t", 0, time_steps - 1, min(time_steps - 1, time_steps // 3),
                             key=f"gates_iv_step_{time_steps}")
        applied = st.form_submit_button("Apply the intervention", type="primary")
    if applied:
        state.remember("gates_intervention", (run.run_id, layer, b, quantity, float(value), tuple(units), int(from_step)))
    last = state.recall("gates_intervention")
    if last is not None and last[:3] == (run.run_id, layer, b):
        _, _, _, quantity, value, units, from_step = last
        after = intervened(run, pool, layer, quantity, value, units, from_step, b)
        before_h = record.quantities["h"][b]
        after_h = after.layers[layer].quantities["h"][0]
        which = f"units {sorted(units)}" if units else "all units"
        fig = plots.intervention_before_after(before_h, after_h, from_step, units=sorted(units) or None,
                                              also_changed=KNOCK_ON if units else 0, valid=record.valid[b],
                                              state_name="h", **experiment.sample_strips(pool, b),
                                              title=f"{layer}, {sample}: h with {quantity} = {value:g} ({which}) "
                                                    f"from t={from_step}")
        figures.figure(fig, key="gates_iv_states")
        output_change(np.asarray(trace.output)[b], np.asarray(after.output)[0], pool, b, record, from_step, sample)
    else:
        st.caption("Choose an intervention and press Apply: the result shows here for this layer and sample.")

    st.download_button("Download this layer's trace (CSV)", downloads.lazy(downloads.trace_csv, trace, layer),
                       file_name=f"rnnlab-trace-{run.run_id}-{layer.replace('/', '_')}.csv", mime="text/csv",
                       key="gates_trace_csv", icon=":material/download:")
