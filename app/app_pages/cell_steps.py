"""Step through a cell: one unit's equations at step t, written with the current run's numbers; previous / next /
play over t.

The layer / direction and the sample follow the Gates page's choice (kept in the URL as gt_layer, gt_sample); the
unit and the step live in this session. The numbers come from rnnlab.probes.cell_steps (every step of the chosen
unit at once, memoised), so previous, next and play recompute nothing.
"""

import pandas as pd
import streamlit as st

from app import state
from app.session import experiment
from app.ui import figures, messages, widgets

PAGE = "cell_steps"
PLAY_INTERVAL_S = 1.0  # seconds per step while playing
SHOWN_INPUTS = 8  # x_t entries written out (the rest are summarised)

st.title("Step through a cell")
st.caption("One unit of one layer at one time step: every gate's pre-activation and value, and how the new state is "
           "made from them, with this model's numbers. Gate and state values are the probe's, pre-activations come "
           "from the layer's weights.")
run = messages.need_run("The Step through a cell page")
if run is None:
    st.stop()
messages.run_banner(run)


def unit_sequence(run, trace, layer: str, b: int, u: int):
    """-> rnnlab CellSequence of (layer, sample b, unit u), memoised per session."""
    from rnnlab.probes import cell_steps

    return state.memo("cell_steps", (run.run_id, layer, b, u), lambda: cell_steps(trace, run.model, layer, b, u))


def inputs_text(x) -> str:
    shown = ", ".join(f"{v:.3f}" for v in x[:SHOWN_INPUTS])
    more = f", ... ({len(x)} in all)" if len(x) > SHOWN_INPUTS else ""
    return f"x_t = [{shown}{more}]"


def show_step(seq, t: int) -> None:
    """The equations, the chart and the table of step t."""
    from rnnlab import plots

    step = seq[t]
    (st.warning if step.padded else st.caption)(step.note)
    st.caption(inputs_text(step.x))
    unexplained = step.unexplained()
    if unexplained:
        st.warning(f"The weights do not give the trace's value of {', '.join(unexplained)} here (an intervention, or "
                   "a state the layer started from that is not zeros): those lines do not add up.")
    st.latex(step.latex(digits=3))
    fig = plots.cell_step_chart(seq.series, t, step.numbers(pre_activations=False), seq.valid,
                                title=f"{seq.layer}: unit {seq.unit} of sample {seq.sample}, step t={t}")
    figures.figure(fig, key="cell_chart")
    with st.expander("Every number of this step, unrounded"):
        numbers = step.numbers()
        st.dataframe(pd.DataFrame({"quantity": list(numbers), "value": list(numbers.values())}), hide_index=True,
                     key="cell_numbers")


with messages.guard("Step through a cell"):
    trace = experiment.run_trace(run)
    pool = experiment.probe_pool(run)  # the sequences the trace probed, in its order
    top = st.columns([1.3, 1.5, 0.7])
    with top[0]:
        layer = widgets.layer_choice(trace, key="cell_layer", label="Layer and direction", view="gt_layer")
    record = trace.layers[layer]
    batch, time_steps, n_units = record.quantities["h"].shape
    b = widgets.url_choice(top[1].selectbox, "Sample", range(batch), view="gt_sample", key=f"cell_sample_{batch}",
                           format_func=lambda i: widgets.sample_label(pool, i, record.seq_len[i]))
    u = top[2].selectbox("Unit", range(n_units), key=f"cell_unit_{layer}_{n_units}")
    seq = unit_sequence(run, trace, layer, b, u)
    playing = bool(state.recall("cell_playing", False))

    @st.fragment(run_every=PLAY_INTERVAL_S if playing else None)
    def stepper() -> None:
        """Previous / next / play and the step slider, then step t; while playing, one step further per run."""
        with messages.guard("Step through a cell"):
            last = time_steps - 1
            t = min(max(int(state.recall("cell_step_t", 0)), 0), last)
            generation = int(state.recall("cell_step_generation", 0))  # a new slider when a button moves t
            back, forward, play = st.columns(3, vertical_alignment="center")
            # not disabled at the ends: the slider's value is known only after the buttons are drawn
            previous = back.button("Previous", key="cell_previous", icon=":material/skip_previous:", width="stretch")
            following = forward.button("Next", key="cell_next", icon=":material/skip_next:", width="stretch")
            play_now = play.toggle("Play", value=playing, key="cell_play",
                                   help=f"Step forward every {PLAY_INTERVAL_S:g} s (after the last step, back to 0).")
            if play_now != playing:  # the timer is set where the fragment is defined: rerun the page
                state.remember("cell_playing", play_now)
                st.rerun(scope="app")
            moved = t - 1 if previous else t + 1 if following else (t + 1) % time_steps if playing else None
            if moved is not None:
                t, generation = min(max(moved, 0), last), generation + 1
            t = st.slider("Step t", 0, last, t, key=f"cell_step_{generation}") if last > 0 else 0
            state.remember("cell_step_t", t)
            state.remember("cell_step_generation", generation)
            show_step(seq, t)

    stepper()
