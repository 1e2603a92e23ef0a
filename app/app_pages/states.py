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
lesson_here = None  # (lesson title, Evidence) when the loaded lesson is about this page and this run
with messages.guard("The lesson's evidence on this run"):
    lesson_here = lesson_runs.evidence_on(run, "states.py")
    messages.lesson_evidence(lesson_here)


def epoch_words(source, replayable: bool) -> str:
    """The chart titles' ending: ", epoch 3" for a training snapshot, ", final model" when the epoch slider could
    show another, nothing when the final model is all there is."""
    if source != "final":
        return f", epoch {source}"
    return ", final model" if replayable else ""


def pool_words(run, pool, batch: int, here) -> str:
    """Which sequences the trajectories are ("the first 48 test sequences"), and, when the lesson's check above
    counted other ones, how many it measured, so its number and the chart's do not seem to disagree."""
    train, test = experiment.run_data(run)
    which = "test" if test is not None and test.n_samples else "training"
    if pool.task == "classification":
        words = f"{batch} {which} sequences, the classes in turn"
    else:
        words = f"the first {batch} {which} sequences"
    counted = None if here is None else (here[1].numbers or {}).get("sequences")
    if counted is not None and int(counted) != batch:
        words += f"; the lesson's check above measured {int(counted)}, with its own PCA of them"
    return words


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
def trajectories(run, layer, quantity, values, valid, pool, basis_states, basis_of, about, epoch) -> None:
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
        note = f"The {batch} samples are {about}."
        axes = ("The PCA axes are fitted on all of them" if basis_of is None else
                f"The PCA axes are fitted on {basis_of} of all {batch}, so every epoch is drawn in the same axes")
        if default < batch:
            note += (f" {default} of {batch} samples drawn by default: with {time_steps} steps each, more "
                     f"trajectories tangle into a knot. {axes}; move 'Samples drawn' to add more.")
        elif basis_of is not None:
            note += f" {axes}."
        st.caption(note)
        # one PCA basis per (run, layer, state, dims), fitted on the final model: epochs and steps share axes, and
        # at a snapshot the axes say whose components they are (basis_of)
        basis = state.memo("pca", (run.run_id, layer, quantity, dims), lambda: plots.fit_pca(basis_states, dims))
        fig = plots.state_trajectories(
            values, valid, **options[colour], samples=shown, dims=dims, up_to_step=step, basis=basis,
            basis_of=basis_of, state_name=quantity,
            title=f"{layer}: {quantity} in PCA space, {shown} of {batch} samples, steps 0..{step}{epoch}",
        )
        figures.figure(fig, key="states_pca")


@st.fragment
def states_view(run, pool, final, here) -> None:
    """Every chart of the page and its settings: a fragment, so a view change (state, sample, units, epoch)
    reruns only this, not the router, the sidebar and the banner above it."""
    with messages.guard("States"):
        view(run, pool, final, here)


def view(run, pool, final, here) -> None:
    from rnnlab import plots

    final_note = st.container()  # right under the run line and the lesson's check: whose numbers they are
    if state.presentation():  # large type: the five controls in two rows, so no value is cut (the sample's name
        controls = [*st.columns([1, 1.2, 0.8]), *st.columns([3, 2])]  # with its id and class needs 3/5 of a row)
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
    epoch = epoch_words(source, bool(epochs))
    above = "The run line and the lesson's check above are" if here is not None else "The run line above is"
    if source != "final" and source == getattr(run, "final_snapshot", None):  # recorded with the final weights
        final_note.info(f"Epoch {source} is shown below, recorded with the final model's weights. {above} about "
                        "this model.")
    elif source != "final":  # the run line and the lesson's check above are not about this snapshot
        final_note.info(f"Epoch {source} is shown below, a snapshot recorded during training. {above} about the "
                        f"final model ({run.summary()}), not this epoch.")
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
                                  title=f"{layer}: {quantity} of {widgets.sample_label(pool, b)}, units x time{epoch}")
        figures.figure(fig, key="states_heatmap", share=0.5)
    with right:
        if units:
            fig = plots.unit_lines(values[b], units, valid[b], state_name=quantity,
                                   title=f"{layer}: chosen units of {quantity} over time{epoch}")
            figures.figure(fig, key="states_lines", share=0.5)
        else:
            st.info("Choose units to draw them as lines.")

    st.subheader("Trajectories in state space")
    basis_source = final.layers[layer] if layer in final.layers else record
    basis_of = f"the final model's {quantity}" if basis_source is not record else None
    trajectories(run, layer, quantity, values, valid, pool,
                 basis_source.quantities[quantity][basis_source.valid], basis_of,
                 pool_words(run, pool, batch, here), epoch)

    st.download_button("Download this layer's trace (CSV)", downloads.lazy(downloads.trace_csv, trace, layer),
                       file_name=f"rnnlab-trace-{run.run_id}-{layer.replace('/', '_')}"
                       + ("" if source == "final" else f"-epoch{source}") + ".csv", mime="text/csv",
                       key="states_trace_csv", icon=":material/download:")


with messages.guard("States"):
    states_view(run, experiment.probe_pool(run), experiment.run_trace(run), lesson_here)
