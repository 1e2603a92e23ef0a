"""States: h (and c) per unit over time under the sample's input (and target) strip, chosen units as lines, PCA
trajectories coloured by time, label or target, time-step and epoch sliders.

Every view choice is kept in the URL (st_layer, st_state, st_sample, st_units, st_dims, st_colour, st_n, st_step,
st_epoch), so a shared link opens the same view.
"""

import streamlit as st

from app import state
from app.session import experiment, imported_model, lesson_runs
from app.ui import downloads, figures, messages, widgets

PAGE = "states"
NO_SNAPSHOTS = "No snapshots in this run: set 'snapshot every k epochs' on the Train page to replay training here."
IMPORTED_NO_SNAPSHOTS = ("An imported model was not trained here, so it has no training snapshots to replay: the "
                         "states below are those of the model as imported.")
OTHER_SNAPSHOTS = ("This run's training snapshots recorded other sequences than the ones shown here (it was "
                   "trained before the pages chose their samples class by class, or with other snapshot samples), "
                   "so they are not replayed: train it again to replay training here.")

st.title("States")
run = messages.need_run("The States page")
if run is None:
    st.stop()
messages.run_banner(run)
with messages.guard("The lesson's evidence on this run"):
    messages.lesson_evidence(lesson_runs.evidence_on(run, "states.py"))


def colourings(pool, batch: int) -> dict:
    """'Colour by' option -> state_trajectories keyword arguments: class labels per sample or per step, or a
    regression target (one option per output, up to 4) on a continuous scale."""
    y = pool.y[:batch]
    options = {"time": {}}
    if pool.n_classes:  # a class per sequence [B] or per step [B, T]
        options["label"] = dict(labels=y, class_names=pool.class_names or None)
    elif y.ndim >= 2:  # numbers: [B, k] per sequence or [B, T, k] per step
        k = y.shape[-1]
        for i in range(min(k, 4)):
            options["target" if k == 1 else f"target {i + 1}"] = dict(targets=y[..., i])
    return options


@st.fragment
def trajectories(run_id, layer, quantity, source, values, valid, pool, basis_states) -> None:
    """The PCA panel: a fragment, so its own settings (dimensions, colour, samples, time step) rerun only it."""
    from rnnlab import plots

    with messages.guard("Trajectories"):
        batch, time_steps, _ = values.shape
        options = colourings(pool, batch)
        c1, c2, c3, c4 = st.columns(4)
        dims = widgets.url_choice(c1.radio, "PCA dimensions", [2, 3], view="st_dims", key="states_dims", horizontal=True)
        colour = widgets.url_choice(c2.radio, "Colour by", list(options), view="st_colour", key="states_colour",
                                    horizontal=True,
                                    help="label: one colour per class (per sequence, or per step for a label per "
                                         "step); target: the regression target on a continuous scale.")
        default = plots.default_samples(batch, time_steps)
        shown = widgets.url_number(c3.slider, "Samples drawn", 1, batch, default, view="st_n",
                                   key=f"states_n_samples_{batch}",
                                   help="Trajectories drawn; the PCA axes are fitted on every sample either way.")
        step = widgets.url_number(c4.slider, "Up to time step", 0, time_steps - 1, time_steps - 1, view="st_step",
                                  key=f"states_step_{time_steps}",
                                  help="Draw each trajectory from step 0 to this step; the axes stay fixed.")
        if default < batch:
            st.caption(f"{default} of {batch} samples drawn by default: with {time_steps} steps each, more "
                       "trajectories tangle into a knot. The PCA axes are fitted on all of them; move 'Samples "
                       "drawn' to add more.")
        # one PCA basis per (run, layer, state, dims), fitted on the final model: epochs and steps share axes
        basis = state.memo("pca", (run_id, layer, quantity, dims), lambda: plots.fit_pca(basis_states, dims))
        fig = plots.state_trajectories(
            values, valid, **options[colour], samples=shown, dims=dims, up_to_step=step, basis=basis,
            state_name=quantity,
            title=f"{layer}: {quantity} in PCA space, {shown} of {batch} samples, steps 0..{step}"
            + ("" if source == "final" else f", epoch {source}"),
        )
        figures.figure(fig, key="states_pca")


@st.fragment
def states_view(run, pool, final) -> None:
    """Every chart of the page and its settings: a fragment, so a view change (state, sample, units, epoch)
    reruns only this, not the router, the sidebar and the banner above it."""
    with messages.guard("States"):
        view(run, pool, final)


def view(run, pool, final) -> None:
    from rnnlab import plots

    if state.presentation():  # large type: the five controls in two rows, so no value is cut
        controls = [*st.columns([1, 1.2, 0.8]), *st.columns(2)]
    else:
        controls = st.columns([1.1, 1.1, 0.7, 1.4, 1.4])
    snapshots = experiment.pool_snapshots(run)  # only those whose sample b is the pool's sample b
    epochs = sorted(snapshots)
    source = "final"
    if epochs:
        source = widgets.url_select_slider(
            controls[0].select_slider, "Epoch", [*epochs, "final"], view="st_epoch", key="states_epoch",
            help="States recorded during training (snapshots of the same test sequences). "
                 "0 is the untrained model.")
    elif imported_model.is_imported(run):  # not trained here, so there is no training to replay
        controls[0].caption(IMPORTED_NO_SNAPSHOTS)
    elif run.snapshots:
        controls[0].caption(OTHER_SNAPSHOTS)
    else:
        controls[0].caption(NO_SNAPSHOTS)
    trace = final if source == "final" else snapshots[source]
    with controls[1]:
        layer = widgets.layer_choice(trace, key="states_layer", view="st_layer")
    record = trace.layers[layer]
    quantities = [q for q in ("h", "c") if q in record.quantities]
    quantity = widgets.url_choice(controls[2].radio, "State", quantities, view="st_state", key="states_quantity",
                             horizontal=True, help="h: the output / hidden state; c: the LSTM's cell state (its memory).")
    values = record.quantities[quantity]  # [B, T, n]
    valid = record.valid  # [B, T]
    batch, time_steps, n_units = values.shape
    b = widgets.url_choice(controls[3].selectbox, "Sample", range(batch), view="st_sample", key=f"states_sample_{batch}",
                      format_func=lambda i: widgets.sample_label(pool, i))
    units = widgets.url_multi(controls[4].multiselect, "Units for the lines", range(n_units), list(range(min(4, n_units))),
                         view="st_units", key=f"states_units_{layer}_{n_units}")

    left, right = st.columns(2)
    with left:
        fig = plots.state_heatmap(values[b], valid[b], state_name=quantity, **experiment.sample_strips(pool, b),
                                  title=f"{layer}: {quantity} of {widgets.sample_label(pool, b)}, units x time")
        figures.figure(fig, key="states_heatmap", share=0.5)
    with right:
        if units:
            fig = plots.unit_lines(values[b], units, valid[b], state_name=quantity,
                                   title=f"{layer}: chosen units of {quantity} over time")
            figures.figure(fig, key="states_lines", share=0.5)
        else:
            st.info("Choose units to draw them as lines.")

    st.subheader("Trajectories in state space")
    basis_source = final.layers[layer] if layer in final.layers else record
    trajectories(run.run_id, layer, quantity, source, values, valid, pool,
                 basis_source.quantities[quantity][basis_source.valid])

    st.download_button("Download this layer's trace (CSV)", downloads.lazy(downloads.trace_csv, trace, layer),
                       file_name=f"rnnlab-trace-{run.run_id}-{layer.replace('/', '_')}.csv", mime="text/csv",
                       key="states_trace_csv", icon=":material/download:")


with messages.guard("States"):
    states_view(run, experiment.probe_pool(run), experiment.run_trace(run))
