"""Padding lab: where each sequence really ends, what dynamic mode computes, and the classic pitfalls.

Its choices are kept in the URL (pd_data, pd_rows, pd_from, pd_zero, pd_kind, pd_n, pd_seed, pd_sample).
"""

import zlib

import numpy as np
import pandas as pd
import streamlit as st

from app import services, state
from app.session import experiment
from app.ui import figures, messages, widgets

PAGE = "pad"
SOURCES = {
    "variable_length": "Random walks, zero-padded at the end (post-padding)",
    "variable_length_prepadded": "The same walks, zero-padded at the front (pre-padding)",
    "experiment": "The current experiment's data",
}

st.title("Padding lab")
st.markdown(
    "With `dynamic=True` a layer infers each sequence's length from zero padding: TFLearn **counts the steps "
    "that are not all zero**; its documentation says it *stops at the first step with a value of 0*. The two "
    "readings agree on clean post-padded data and part ways as soon as a real step is all zeros or the padding "
    "sits at the front. **Your stack** checks a model of this session (trained or imported) on its own data; "
    "**the lab with fresh layers** below uses seeded, untrained layers: padding is about the computation, not "
    "training."
)


st.header("Your stack", divider="gray")
with messages.guard("Your stack"):
    from app.session import padding_stack

    options = padding_stack.choices()
    choice = st.selectbox("Model", list(options), index=list(options).index(padding_stack.default_choice()),
                          format_func=options.get, key="pad_stack_run",
                          help="A run of this session (trained or reopened): its own model on its own data, layer "
                               "by layer. Or fresh, untrained layers: the lab below.")
    run = padding_stack.run_by_id(choice)
    if run is None:
        st.caption("Train a run (or reopen one on the Runs page) to see how each of its recurrent layers reads "
                   "the padding, and whether its outputs change when a sequence is padded.")
    else:
        from rnnlab import plots

        rows = st.number_input("Rows", 1, 512, padding_stack.STACK_ROWS, key="pad_stack_rows",
                               help="The first rows of the run's held-out data.")
        _, _, what = padding_stack.stack_data(run, int(rows))
        table = padding_stack.layer_lengths(run, int(rows))
        st.markdown(f"**{run.label}** on {what}: the length each recurrent layer infers (dynamic) or receives "
                    "(seq_len; every step, T, when static), and the step `return_seq=False` takes.")
        figures.figure(plots.layer_lengths_chart(table.lengths, table.true_lengths, table.layers,
                                                 differs=table.differs), key="pad_stack_chart")
        st.dataframe(padding_stack.lengths_frame(table), hide_index=True, key="pad_stack_table")
        if st.button("Check padding invariance", key="pad_stack_check", icon=":material/rule:"):
            state.remember(f"pad_stack_checked:{run.run_id}:{int(rows)}", True)
        if state.recall(f"pad_stack_checked:{run.run_id}:{int(rows)}"):
            report = padding_stack.invariance(run, int(rows))
            good, box = padding_stack.invariance_box(report)  # green only when no layer drops real steps either
            (st.success if good else st.warning)(box)
            st.caption(f"Alone: {report.how}. " + " ".join(report.notes))
            figures.figure(plots.invariance_chart(report.max_diff, report.layers, atol=report.atol),
                           key="pad_stack_invariance")
st.header("The lab with fresh layers", divider="gray")


def data_for(source: str):
    """-> the SequenceDataset [N, T, D] of the chosen source."""
    if source == "experiment":
        train, _ = experiment.experiment_data(state.spec())
        return train
    return services.load_sample(source, "train")


with messages.guard("Padding lab"):
    from rnnlab import padding, plots
    from rnnlab.probes import padding_lab

    present = state.presentation()  # large type: the long data names get a row of their own
    if present:
        c1 = st.container()
        c2, c3, c4 = st.columns([1, 1, 1.4])
    else:
        c1, c2, c3, c4 = st.columns([2.2, 1, 1, 1.4])
    source = widgets.url_choice(c1.selectbox, "Data", SOURCES, view="pd_data", key="pad_source", format_func=SOURCES.get)
    data = data_for(source)
    rows = widgets.url_number(c2.number_input, "Samples", 2, 24, 8, view="pd_rows", key="pad_rows")
    start = c3.number_input("From sample", 0, 10_000, state.view_int("pd_from", 0, max(data.n_samples - 1, 0), 0),
                            key="pad_start")
    state.set_view("pd_from", int(start), 0)
    stop = min(data.n_samples, int(start) + int(rows))
    name, x, lengths = data.name, data.x[int(start):stop], data.lengths[int(start):stop]
    batch, time_steps, _ = x.shape
    zero = widgets.url_number(c4.number_input, "All-zero step at t", -1, time_steps - 1, -1,
                              view="pd_zero", key=f"pad_zero_{time_steps}",
                              help="-1: none. Sets every feature of that step to 0 in the first two samples: a "
                                   "silent frame or a real reading of 0, which dynamic mode cannot tell from padding.")
    if zero >= 0:
        x = services.insert_zero_step(x, tuple(range(min(2, batch))), int(zero))

    st.header("1. Where does each sequence end?", divider="gray")
    report = padding.padding_report(x)
    ranges = padding_lab.real_step_ranges(x, lengths)  # [B, 2]: real steps start..stop-1 (pre-padded: the last ones)
    real = padding_lab.real_step_mask(ranges, time_steps)  # [B, T]
    readings = {"true real": ranges, "TFLearn (count of non-zero steps)": report.tflearn,
                "stop at first zero": report.first_zero}
    fig = plots.padding_grid(x, readings, title=f"{name}: samples {start}..{start + batch - 1}, real steps and padding")
    figures.figure(fig, key="pad_grid")
    table = pd.DataFrame({
        "sample": np.arange(start, start + batch),
        "true length": lengths,
        "true real steps": [f"t={s}..{e - 1}" if e > s else "none" for s, e in ranges],
        "TFLearn's inferred length": report.tflearn,
        "stop at first zero": report.first_zero,
        "after last non-zero step": report.trailing,
        "leading zero steps": report.leading_padding,
        "readings disagree": report.disagree | (report.tflearn != lengths),
    })
    flagged = table["readings disagree"].to_numpy()
    st.dataframe(
        table.style.apply(lambda row: ["background-color: #FBE3D6" if row["readings disagree"] else "" for _ in row],
                          axis=1),
        hide_index=True, key="pad_table",
    )
    if flagged.any():
        sentences = padding_lab.explanations(x, lengths)
        for b in np.flatnonzero(flagged):
            st.markdown(f"- **Row {b}**: {sentences[b]}" + (
                f" (its true length is {int(lengths[b])})" if report.tflearn[b] != lengths[b] else ""))
    else:
        st.success("Every reading agrees with the true lengths: clean post-padded data. Try the pre-padded "
                   "walks, or insert an all-zero step.")

    st.header("2. Step by step: dynamic on and off", divider="gray")
    k1, k2, k3, k4 = [*st.columns(2), *st.columns(2)] if present else st.columns([1, 1, 1, 1.5])
    kind = widgets.url_choice(k1.selectbox, "Layer", ["lstm", "gru", "simple_rnn"], view="pd_kind", key="pad_kind")
    n_units = widgets.url_number(k2.number_input, "n_units", 1, 64, 8, view="pd_n", key="pad_units")
    seed = widgets.url_number(k3.number_input, "Weights seed", 0, 10_000, 0, view="pd_seed", key="pad_seed")
    # the picker's key follows the rows shown (source, first row, where their real steps are), so switching the
    # data makes a fresh picker: a browser never keeps the label (and length) of a row of other data
    shown = zlib.crc32(f"{source}|{int(start)}|{zero}".encode() + ranges.tobytes())
    b = widgets.url_choice(k4.selectbox, "Sample", range(batch), view="pd_sample", key=f"pad_sample_{shown:08x}",
                           format_func=lambda i: f"row {i} (length {int(lengths[i])}, t={int(ranges[i, 0])}.."
                                                 f"{int(ranges[i, 1]) - 1})" if lengths[i] else f"row {i} (length 0)")
    out = services.dynamic_vs_static(x, kind, int(n_units), int(seed))
    computed = np.arange(time_steps) < out["lengths"][b]  # dynamic=True computes steps 0..length-1
    for value, symbol, key in (("seq", "h", "pad_dynamic_h"), ("c", "c", "pad_dynamic_c")):
        if f"{value}_dynamic" not in out:
            continue
        what = f"{kind} outputs h" if value == "seq" else "LSTM cell state c"
        fig = plots.dynamic_comparison(out[f"{value}_dynamic"][b], out[f"{value}_static"][b], real[b],
                                       computed=computed, returned_step_dynamic=int(out["returned_dynamic"][b]),
                                       returned_step_static=int(out["returned_static"][b]), value_name=symbol,
                                       title=f"{what} of row {b}: dynamic=True vs dynamic=False")
        figures.figure(fig, key=key)
    st.markdown("**Which step does `return_seq=False` return?**")
    returned = pd.DataFrame(padding_lab.returned_steps_table(x, lengths))
    returned["checked: output there == returned"] = out["checked_dynamic"] & out["checked_static"]
    st.dataframe(returned, hide_index=True, key="pad_returned")
    st.caption("dynamic=True returns the output at step length-1, where length is TFLearn's count of non-zero "
               "steps (zeros when the count is 0); the state is carried through the steps after it. On post-padded "
               "data that is the last real step. On pre-padded data the layer reads the first `length` steps, "
               "leading zeros first, so that step lies in the padding (an output of zeros only: 'from real data' "
               "is unticked) or before the last real steps. dynamic=False returns the last time step T-1. The "
               "last column checks each rule against the layer: its output at that step equals what it returned.")
    if not returned["checked: output there == returned"].all():
        st.error("For some rows the layer's return_seq=False output differs from its output at the step above: "
                 "please report this (rows " + ", ".join(map(str, np.flatnonzero(
                     ~returned["checked: output there == returned"].to_numpy()))) + ").")

    st.header("3. Post- vs pre-padding", divider="gray")
    post = services.load_sample("variable_length", "train")
    pre = services.load_sample("variable_length_prepadded", "train")
    stop = min(post.n_samples, int(start) + int(rows))
    compared = services.post_vs_pre(post.x[int(start):stop], pre.x[int(start):stop], post.lengths[int(start):stop],
                                    kind, int(n_units), int(seed))
    pb = min(b, stop - int(start) - 1)
    real_pp = {name: padding_lab.real_step_mask(padding_lab.real_step_ranges(
                   data.x[int(start) + pb][None], data.lengths[int(start) + pb][None]), data.time_steps)[0]
               for name, data in (("post", post), ("pre", pre))}
    left, right = st.columns(2)
    with left:
        fig = plots.state_heatmap(compared["seq_post"][pb], real_pp["post"], title=f"Post-padded row {pb}: output h")
        figures.figure(fig, key="pad_post", share=0.5)
    with right:
        fig = plots.state_heatmap(compared["seq_pre"][pb], real_pp["pre"], title=f"Pre-padded row {pb}: output h")
        figures.figure(fig, key="pad_pre", share=0.5)
    st.caption("Both with dynamic=True; grey = padded steps. Post-padded: the layer reads the real steps and "
               "stops. Pre-padded: it reads the leading zeros (under the grey) as if they were data and stops as "
               "many steps before the end: the last real steps show an output of 0, never computed.")
    st.dataframe(pd.DataFrame({
        "row": np.arange(stop - int(start)),
        "true length": post.lengths[int(start):stop],
        "post-padded: max |returned - unpadded run|": compared["error_post"],
        "pre-padded: max |returned - unpadded run|": compared["error_pre"],
    }), hide_index=True, key="pad_post_pre_table")
    st.caption("The reference is the same layer run on each sequence alone, without padding. Post-padding "
               "reproduces it exactly; pre-padding feeds the zeros first and cuts the last real steps.")

    st.header("4. The bidirectional last-output pitfall", divider="gray")
    bi = services.bidirectional_last(x, kind, kind, int(n_units), int(seed), True)
    n = int(n_units)
    fig = plots.state_heatmap(bi["seq"][b][:, n:], real[b], state_name="h_bw",
                              title=f"Backward half of a bidirectional_rnn's outputs, row {b}, in time order")
    figures.figure(fig, key="pad_bidirectional")
    st.markdown(
        f"`return_seq=False` returns step **{int(bi['lengths'][b]) - 1}** (length-1, TFLearn's count). Its "
        "backward half is the backward cell's *first* output: it has read only that one step. The backward summary "
        "of the steps it counts is at **t=0**."
    )
    st.dataframe(pd.DataFrame({
        "row": np.arange(batch),
        "length": bi["lengths"],
        "max |bw returned - bw after one step|": np.abs(bi["bw_returned"] - bi["bw_one_step"]).max(axis=1),
        "max |bw returned - bw at t=0 (whole sequence)|": np.abs(bi["bw_returned"] - bi["bw_full"]).max(axis=1),
    }), hide_index=True, key="pad_bidirectional_table")
    st.caption("The first column is 0: the returned backward half equals the backward cell run on the single "
               "last step. For a summary of the whole sequence from both sides, use return_seq=True and take "
               "the forward half at length-1 and the backward half at t=0.")

    st.header("5. After an embedding, padding is not zero", divider="gray")
    vocab, dim, emb_rows, emb_steps = services.EMBEDDING_DEMO
    ids, _ = services.padded_ids(emb_rows, emb_steps, vocab, int(seed))
    emb = services.embedding_pitfall(ids, vocab, dim, int(n_units), int(seed))
    st.markdown(
        f"Integer ids padded with **0**, through `keras.layers.Embedding({vocab}, {dim})` (weights seed {int(seed)}), "
        "then a dynamic LSTM. The embedding maps id 0 to a vector like any other id, so no embedded step is all "
        "zero: TFLearn's count says every sequence is "
        f"**{emb_steps}** steps long, and dynamic mode masks nothing."
    )
    st.dataframe(pd.DataFrame({"row": np.arange(emb_rows), "ids": [" ".join(map(str, row)) for row in ids]}),
                 hide_index=True, key="pad_emb_ids")
    fig = plots.padding_grid(emb["embedded"], {"true (ids != 0)": emb["true_lengths"],
                                                "TFLearn (count of non-zero steps)": emb["inferred_lengths"]},
                             title=f"Embedded ids [B, T, {dim}]: every step looks real, padding included")
    figures.figure(fig, key="pad_emb_grid")
    scale = np.maximum(np.abs(emb["reference"]).max(axis=1), 1e-12)
    st.dataframe(pd.DataFrame({
        "row": np.arange(emb_rows),
        "true length (ids != 0)": emb["true_lengths"],
        "inferred from the embedded steps": emb["inferred_lengths"],
        "without seq_len: max |returned - unpadded| / max |unpadded|": emb["error_inferred"] / scale,
        "with seq_len: max |returned - unpadded| / max |unpadded|": emb["error_fixed"] / scale,
    }), hide_index=True, key="pad_emb_table")
    st.markdown("**The fix**: count the lengths from the ids, before the embedding, and pass them on "
                "(`mask_zero`-style):")
    st.code("lengths = np.count_nonzero(ids, axis=1)  # [B]\n"
            f"net = rnnlab.lstm(keras.layers.Embedding({vocab}, {dim})(ids), {int(n_units)}, dynamic=True, seq_len=lengths)",
            language="python")
    st.caption("The reference is the same LSTM run on each sequence alone, unpadded. Without seq_len the layer "
               "reads the padding vectors and returns the last time step; with seq_len it matches the reference.")
