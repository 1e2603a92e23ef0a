"""rnnlab.probes.padding_check: the length every layer of a stack uses, and padded vs alone, against the NumPy truth.

The truth comes from tests/reference.py (written from SPEC.md, not from our TF code): lengths are TFLearn's count on
each layer's input, computed by running the reference layers (and the Dense between them) in NumPy; the
differences padded vs alone are the reference stack run on the padded batch and on each cut sequence.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from plots_loader import load_plots

import rnnlab
from rnnlab.probes import padding_check
from rnnlab.probes.padding_check import data_lengths, layer_lengths, padding_invariance

try:
    from tests import reference as ref
    from tests.reference_bridge import randomize, ref_cell
except ImportError:
    import reference as ref
    from reference_bridge import randomize, ref_cell

plots = load_plots()
B, T, D, N = 7, 9, 3, 4
LENGTHS = np.array([9, 6, 3, 1, 8, 6, 0])  # one full row, one empty row, two rows sharing a length


def post_padded(seed=0, lengths=LENGTHS):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(len(lengths), T, D)).astype(np.float32)
    x[np.arange(T)[None, :] >= lengths[:, None]] = 0.0
    return x


def pre_padded(seed=0, lengths=LENGTHS):
    post = post_padded(seed, lengths)
    return np.stack([np.roll(row, T - n, axis=0) for row, n in zip(post, lengths)])  # real steps at the end


def bi(return_seq, dynamic=True, seq_len=None, net=None):
    return rnnlab.bidirectional_rnn(net, rnnlab.BasicLSTMCell(N), rnnlab.GRUCell(N), return_seq=return_seq,
                                    dynamic=dynamic) if seq_len is None else rnnlab.BiRNN(
        rnnlab.BasicLSTMCell(N), rnnlab.GRUCell(N), return_seq=return_seq, dynamic=dynamic)(net, seq_len=seq_len)


def randomized(model, seed=1):
    for i, layer in enumerate(model.layers):
        if layer.get_weights():
            randomize(layer, seed + i)
    return model


def bias_between_bidirectional(time_steps=T):
    """BiRNN (dynamic) -> Dense with a bias, per step -> BiRNN (dynamic) -> Dense: the bias writes non-zero values
    into the padded steps, so the second BiRNN counts them as data (the TFLearn bug class)."""
    inputs = keras.Input(shape=(time_steps, D))
    net = bi(True, net=inputs)
    net = keras.layers.Dense(5, name="between")(net)
    net = bi(False, net=net)
    return randomized(keras.Model(inputs, keras.layers.Dense(2, name="head")(net)))


def clean_stack():
    """LSTM (dynamic) -> BiRNN (dynamic) -> GRU (dynamic): each layer's outputs are 0 past its length."""
    inputs = keras.Input(shape=(T, D))
    net = rnnlab.lstm(inputs, N, return_seq=True, dynamic=True)
    net = bi(True, net=net)
    net = rnnlab.gru(net, N, dynamic=True)
    return randomized(keras.Model(inputs, keras.layers.Dense(2, name="head")(net)))


def reference_bias_stack(model, x):
    """The NumPy reference of bias_between_bidirectional -> (lengths of BiRNN, of BiRNN_1, BiRNN_1's output)."""
    first, between, second = (model.get_layer(n) for n in ("BiRNN", "between", "BiRNN_1"))
    h1 = ref.bidirectional_rnn(x, ref_cell(first.cell_fw), ref_cell(first.cell_bw), return_seq=True, dynamic=True)
    kernel, bias = between.get_weights()
    mid = h1 @ kernel + bias  # [B, T, 5]
    out = ref.bidirectional_rnn(mid, ref_cell(second.cell_fw), ref_cell(second.cell_bw), dynamic=True)
    return ref.tflearn_lengths(x), ref.tflearn_lengths(mid), out


# ------------------------------------------------------------------------------------------ layer_lengths


def test_lengths_of_each_layer_match_numpy_through_a_bias():
    model, x = bias_between_bidirectional(), post_padded()
    table = layer_lengths(model, x, true_lengths=LENGTHS)
    first, second, _ = reference_bias_stack(model, x)
    assert table.layers == ["BiRNN", "BiRNN_1"] and table.modes == ["dynamic", "dynamic"]
    assert table.lengths.tolist() == [first.tolist(), second.tolist()]
    assert first.tolist() == LENGTHS.tolist() and set(second.tolist()) == {T}  # the bias fills the padding
    assert table.returned_steps.tolist() == [(first - 1).tolist(), (second - 1).tolist()]
    assert table.differs.tolist() == [[False] * B, (LENGTHS != T).tolist()]
    frame = table.to_frame()
    row = frame[(frame["layer"] == "BiRNN_1") & (frame["sample"] == 2)].iloc[0]
    assert (row["length used"], row["true length"], row["returned step"], row["differs"]) == (T, 3, T - 1, True)
    assert "backward half only step 8" in row["returns"]
    assert table.to_dict()["lengths"] == table.lengths.tolist()


def test_pre_padded_rows_return_a_step_before_their_last_real_one():
    x = pre_padded()
    inputs = keras.Input(shape=(None, D))
    model = keras.Model(inputs, rnnlab.lstm(inputs, N, dynamic=True))
    table = layer_lengths(model, x, true_lengths=LENGTHS)
    counted = ref.tflearn_lengths(x)  # the layer counts the non-zero steps: the true length again
    assert table.lengths[0].tolist() == counted.tolist() == LENGTHS.tolist()
    assert table.true_ranges.tolist() == [[T - n, T] if n else [0, 0] for n in LENGTHS]
    assert table.returned_steps[0].tolist() == (LENGTHS - 1).tolist()  # ... but takes step length-1, not T-1
    assert table.step_differs[0].tolist() == [0 < n < T for n in LENGTHS]
    assert not table.length_differs.any()


def test_static_layers_use_every_step_and_seq_len_is_received():
    x = post_padded()
    inputs, lengths = keras.Input(shape=(T, D)), keras.Input(shape=(), dtype="int32")
    net = rnnlab.lstm(inputs, N, return_seq=True)  # static: T for everyone
    net = rnnlab.gru(net, N, dynamic=True, seq_len=lengths)
    model = keras.Model([inputs, lengths], net)
    given = np.array([2, 2, 2, 1, 5, 6, 0])
    table = layer_lengths(model, [x, given], true_lengths=LENGTHS)
    assert table.modes == ["static", "seq_len"]
    assert table.lengths.tolist() == [[T] * B, given.tolist()]
    assert table.return_seq == [True, False]
    assert table.differs.tolist() == [(LENGTHS != T).tolist(), (given != LENGTHS).tolist()]


def test_true_lengths_read_from_the_zeros_tell_pre_from_post_padding():
    x = post_padded()
    x[1, 2] = 0.0  # an all-zero step inside the data stays a real step
    mixed = np.concatenate([x, pre_padded(seed=3)])
    expected = np.concatenate([LENGTHS, LENGTHS])
    assert data_lengths(mixed).tolist() == expected.tolist()
    inputs = keras.Input(shape=(None, D))
    table = layer_lengths(keras.Model(inputs, rnnlab.lstm(inputs, N, dynamic=True)), mixed)
    assert table.true_lengths.tolist() == expected.tolist()
    assert table.true_ranges[B:, 0].tolist() == [T - n if n else 0 for n in LENGTHS]


# ------------------------------------------------------------------------------------ padding_invariance


def test_a_bias_between_bidirectional_dynamic_layers_is_caught_at_the_second_one():
    model, x = bias_between_bidirectional(), post_padded()
    report = padding_invariance(model, x, LENGTHS)
    assert report.alone == padding_check.ALONE_CUT
    assert report.layers == ["BiRNN", "BiRNN_1", padding_check.MODEL_OUTPUT]
    padded_reference = reference_bias_stack(model, x)[2]
    for b, n in enumerate(LENGTHS):
        if n == 0:
            assert not report.checked[b] and np.isnan(report.max_diff[b]).all()
            continue
        alone_reference = reference_bias_stack(model, x[b : b + 1, :n])[2][0]
        truth = np.abs(padded_reference[b] - alone_reference).max()
        assert report.max_diff[b, 1] == pytest.approx(truth, abs=2e-5)
        assert report.max_diff[b, 0] <= 1e-5  # the first layer agrees: its outputs past the length are 0
        assert report.first_layer[b] == (1 if n < T else -1), (b, report.max_diff[b])
    assert report.differing_rows.tolist() == [b for b, n in enumerate(LENGTHS) if 0 < n < T]
    assert report.lengths_padded[1].tolist() == [T] * B
    assert report.lengths_alone[1].tolist() == [n if n else -1 for n in LENGTHS]
    assert "first at BiRNN_1" in report.verdict() and not report.passed
    frame = report.to_frame()
    assert frame.loc[2, "first differing layer"] == "BiRNN_1" and bool(frame.loc[0, "differs"]) is False


def test_a_clean_dynamic_stack_and_the_same_stack_with_seq_len_pass():
    x = post_padded()
    report = padding_invariance(clean_stack(), x, LENGTHS)
    assert report.passed and report.layers == ["LSTM", "BiRNN", "GRU", padding_check.MODEL_OUTPUT]
    assert report.lengths_padded.tolist() == [LENGTHS.tolist()] * 3
    assert report.verdict().startswith(f"All {B - 1} rows give the same outputs")
    inputs, lengths = keras.Input(shape=(T, D)), keras.Input(shape=(), dtype="int32")  # the bias stack, fixed
    net = bi(True, net=inputs, seq_len=lengths)
    net = keras.layers.Dense(5, name="between")(net)
    net = bi(False, net=net, seq_len=lengths)
    model = randomized(keras.Model([inputs, lengths], net))
    fixed = padding_invariance(model, [x, LENGTHS.astype(np.int32)], LENGTHS)
    assert fixed.passed, fixed.verdict()
    assert layer_lengths(model, [x, LENGTHS.astype(np.int32)]).modes == ["seq_len", "seq_len"]


def test_pre_padding_parts_ways_at_the_first_dynamic_layer():
    report = padding_invariance(clean_stack(), pre_padded(), LENGTHS)
    assert report.first_layer.tolist() == [0 if 0 < n < T else -1 for n in LENGTHS]


def test_a_static_bidirectional_layer_parts_ways_itself():
    inputs = keras.Input(shape=(None, D))
    net = bi(True, dynamic=False, net=inputs)  # its backward half reads the padding first
    model = randomized(keras.Model(inputs, bi(False, net=net)))
    report = padding_invariance(model, post_padded(), LENGTHS)
    assert report.first_layer.tolist() == [0 if 0 < n < T else -1 for n in LENGTHS]


def test_alone_runs_are_one_call_per_distinct_length(monkeypatch):
    calls = []
    real_probe = padding_check.probe
    monkeypatch.setattr(padding_check, "probe", lambda model, x, **kw: calls.append(np.shape(x)) or real_probe(
        model, x, **kw))
    padding_invariance(clean_stack(), post_padded(), LENGTHS)
    distinct = sorted({int(n) for n in LENGTHS if n})
    assert calls[0] == (B, T, D)
    assert sorted(shape[1] for shape in calls[1:]) == distinct
    assert sum(shape[0] for shape in calls[1:]) == int((LENGTHS > 0).sum())


def test_a_model_that_needs_its_fixed_t_runs_padded_alone_and_says_so():
    inputs = keras.Input(shape=(T, D))
    net = rnnlab.lstm(inputs, N, return_seq=True, dynamic=True)
    model = randomized(keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(net))))
    report = padding_invariance(model, post_padded(), LENGTHS)
    assert report.alone == padding_check.ALONE_PADDED and "batch of one" in report.how
    assert report.passed


def test_sequential_models_with_a_fixed_t_are_cut():
    model = randomized(keras.Sequential([keras.Input((T, D)), rnnlab.SimpleRNN(N, return_seq=True, dynamic=True),
                                         keras.layers.Dense(3, bias_initializer="ones"), rnnlab.LSTM(N, dynamic=True)]))
    report = padding_invariance(model, post_padded(), LENGTHS)
    assert report.alone == padding_check.ALONE_CUT
    assert report.first_layer.tolist() == [1 if 0 < n < T else -1 for n in LENGTHS]


def zero_step_inside(x, rows=(1, 4), step=2):
    """x with every feature of ``step`` set to 0 in ``rows``: a real reading of 0 inside the sequence, which
    TFLearn's dynamic count (non-zero steps) cannot tell from padding."""
    x = x.copy()
    x[list(rows), step] = 0.0
    return x


def test_an_all_zero_step_inside_a_sequence_runs_short_even_alone_and_is_not_green():
    x = zero_step_inside(post_padded())  # rows 1 (length 6) and 4 (length 8): step 2 is real and all zero
    report = padding_invariance(clean_stack(), x, LENGTHS)
    counted = ref.tflearn_lengths(x)  # the NumPy count of non-zero steps, padded or cut alike
    assert counted.tolist() == [9, 5, 3, 1, 7, 6, 0]
    assert report.passed  # alone the layer infers the same short length, so the outputs agree ...
    assert report.lengths_alone[0].tolist() == [n if n else -1 for n in counted]
    assert report.short_rows.tolist() == [1, 4]  # ... but rows 1 and 4 drop their last real step
    assert report.first_short_layer.tolist() == [-1, 0, -1, -1, 0, -1, -1]
    assert report.runs_short.tolist() == [[False, True, False, False, True, False, False]] * 3  # LSTM, BiRNN, GRU
    assert not report.all_clear and report.zero_steps.tolist() == [0, 1, 0, 0, 1, 0, 0]
    # the same rows the lengths table flags (its rule: the length, or the returned step, is not the truth)
    table = layer_lengths(clean_stack(), x, true_lengths=LENGTHS)
    assert table.differs.tolist() == report.runs_short.tolist()
    verdict = report.verdict()
    assert verdict.startswith(f"All {B - 1} rows give the same outputs alone and padded")
    assert ("but on rows [1, 4] layer LSTM (and BiRNN, GRU after it) uses fewer steps than the sample has even "
            "alone (row 1: 5 of 6; row 4: 7 of 8)") in verdict
    assert "all-zero step inside a sequence ends it" in verdict and "pass seq_len with the true lengths" in verdict
    assert report.to_frame()["runs short alone at"].tolist() == ["", "LSTM", "", "", "LSTM", "", ""]
    assert report.to_dict()["all_clear"] is False


def test_a_clean_batch_stays_green_and_seq_len_fixes_the_zero_step():
    x = post_padded()
    report = padding_invariance(clean_stack(), x, LENGTHS)
    assert report.all_clear and not report.short_rows.size and report.short_summary() == ""
    assert report.verdict() == f"All {B - 1} rows give the same outputs alone and padded (max difference " \
                               f"{report._max():.2g})."
    inputs, lengths = keras.Input(shape=(T, D)), keras.Input(shape=(), dtype="int32")
    model = randomized(keras.Model([inputs, lengths], rnnlab.LSTM(N, dynamic=True)(inputs, seq_len=lengths)))
    fixed = padding_invariance(model, [zero_step_inside(x), LENGTHS.astype(np.int32)], LENGTHS)
    assert fixed.modes == ["seq_len"] and fixed.all_clear, fixed.verdict()


def test_rows_that_differ_and_rows_that_run_short_are_both_said():
    x = zero_step_inside(post_padded(), rows=(0,), step=4)  # row 0 has no padding: alone == padded, but short
    report = padding_invariance(bias_between_bidirectional(), x, LENGTHS)
    assert report.differing_rows.tolist() == [b for b, n in enumerate(LENGTHS) if 0 < n < T]  # as without the zero
    assert report.short_rows.tolist() == [0] and report.first_short_layer[0] == 0
    verdict = report.verdict()
    differ, also = verdict.split(" Also, ")
    assert differ.startswith(f"{len(report.differing_rows)} of {B - 1} rows give different outputs alone and padded: ")
    assert "first at BiRNN_1" in differ and differ.endswith(".")
    assert also.startswith(f"on row [0] layer BiRNN uses fewer steps than the sample has even alone ({T - 1} of {T})")


def test_static_layers_never_run_short_even_when_they_read_the_padding():
    inputs = keras.Input(shape=(T, D))
    model = randomized(keras.Model(inputs, rnnlab.lstm(inputs, N, return_seq=True)))  # dynamic=False: T steps
    padded = padding_invariance(model, zero_step_inside(post_padded()), LENGTHS)
    assert padded.modes == ["static"] and not padded.short_rows.size  # it reads every real step, zeros included
    net = keras.layers.Flatten()(rnnlab.lstm(inputs, N, return_seq=True))
    flat = randomized(keras.Model(inputs, keras.layers.Dense(2)(net)))  # needs its T: each row runs padded alone
    alone = padding_invariance(flat, post_padded(), LENGTHS)
    assert alone.alone == padding_check.ALONE_PADDED and alone.lengths_alone[0].tolist() == [T] * 6 + [-1]
    assert not alone.short_rows.size and alone.all_clear  # T steps alone >= every sample's real steps


@pytest.mark.parametrize("call, message", [
    (lambda m, x: padding_invariance(m, x, LENGTHS, atol=-1), "`atol` must be a number >= 0; received -1"),
    (lambda m, x: padding_invariance(m, x, LENGTHS[:3]), "`true_lengths` must be [B] = (7,) integers in 0..9"),
    (lambda m, x: padding_invariance(m, x, LENGTHS + 5), "received [14, 11, 8, 6, 13, 11, 5]"),
    (lambda m, x: padding_invariance(m, x, None), "`true_lengths` is required"),
    (lambda m, x: layer_lengths(m, x[0]), "`x` must be 3-D [batch, time, input_dim]"),
    (lambda m, x: layer_lengths(keras.Sequential([keras.Input((T, D)), keras.layers.Dense(2)]), x), "no rnnlab"),
])
def test_bad_input_names_the_argument_and_the_value(call, message):
    with pytest.raises((rnnlab.RnnlabError, TypeError)) as error:
        call(clean_stack(), post_padded())
    assert message in str(error.value)


# ------------------------------------------------------------------------------------------------ plots


def test_the_lengths_chart_marks_exactly_the_cells_that_differ():
    lengths = np.array([[9, 6, 3], [9, 9, 9]])
    fig = plots.layer_lengths_chart(lengths, [9, 6, 3], ["BiRNN", "BiRNN_1"])
    grid = np.asarray(fig.data[0].z)
    assert grid.tolist() == [[9, 9, 9], [6, 6, 9], [3, 3, 9]]  # true length first, then each layer
    assert list(fig.layout.xaxis.ticktext) == ["true length", "BiRNN", "BiRNN_1"]
    assert list(fig.layout.xaxis.tickvals) == list(fig.data[0].x) == [0, 1, 2]
    assert sorted(marked_cells(fig)) == [(1, "BiRNN_1"), (2, "BiRNN_1")]
    assert fig.layout.meta["differs"] == [[1, "BiRNN_1"], [2, "BiRNN_1"]]
    assert fig.layout.meta["lengths"]["BiRNN_1"] == [9, 9, 9]
    flagged = plots.layer_lengths_chart(lengths, [9, 6, 3], ["a", "b"], differs=[[False, True, False], [0, 0, 0]])
    assert marked_cells(flagged) == [(1, "a")]


def marked_cells(fig):
    """The lengths chart -> [(sample, column name)] of its x marks: the cell whose centre is nearest each mark."""
    centres, names = np.asarray(fig.layout.xaxis.tickvals), list(fig.layout.xaxis.ticktext)
    return [(int(y), names[int(np.argmin(np.abs(centres - x)))]) for x, y in zip(fig.data[1].x, fig.data[1].y)]


def test_the_x_mark_sits_beside_the_number_it_flags_not_on_it():
    """Rows 3 and 7 (13 of 14, 10 of 11): the number is drawn at its cell's centre (heatmap texttemplate); the
    mark must stay in that cell but far enough from the centre that the number shows."""
    lengths = np.array([[14, 12, 13, 13, 9, 8, 11, 10]])
    truth = np.array([14, 12, 13, 14, 9, 8, 11, 11])
    fig = plots.layer_lengths_chart(lengths, truth, ["LSTM"])
    heat, marks = fig.data
    text = np.asarray(heat.text)
    assert heat.texttemplate == "%{text}" and text[3, 1] == "13" and text[7, 1] == "10"
    assert list(marks.y) == [3, 7] and marked_cells(fig) == [(3, "LSTM"), (7, "LSTM")]
    centre = list(heat.x)[1]  # where the number "13" / "10" is drawn
    for x in marks.x:
        assert 0.25 <= abs(x - centre) < 0.5  # beside the number, inside its cell (cells are 1 wide)
    assert marks.marker.size <= 12  # a mark that fits in the room left of the cell's edge
    assert list(marks.customdata[0][:2]) == [13, 14] and marks.customdata[0][2] == "LSTM"  # hover: the numbers


@pytest.mark.parametrize("draw", [
    lambda: plots.layer_lengths_chart([[3, 2]], [3, 2], ["LSTM"]),
    lambda: plots.invariance_chart([[0.0], [1.0]], ["x"]),
])
def test_the_layer_axis_above_the_plot_gets_room_under_the_title_and_subtitle(draw):
    """The layer names and LAYER_AXIS are drawn above the plot (side='top'), inside the top margin: the margin
    must hold the house title + subtitle (style._finish: 95 px) and those two lines, and the title must be pinned
    to the top (plotly's 'auto' centres it in the margin, onto the axis title)."""
    from rnnlab.plots import style

    fig = draw()
    house = style._finish(go_figure(), chart="x", title="t", reading="r").layout.margin.t
    assert fig.layout.xaxis.side == "top" and fig.layout.xaxis.title.text and fig.layout.title.subtitle.text
    assert fig.layout.margin.t >= house + 2 * 18 + 8  # tick labels and axis title: two 12-14 px lines + standoff
    assert (fig.layout.title.yref, fig.layout.title.y, fig.layout.title.yanchor) == ("container", 1, "top")
    assert fig.layout.title.pad.t + 2 * 22 <= house  # title + subtitle end inside the house room, above the axis


def go_figure():
    import plotly.graph_objects as go

    return go.Figure()


def test_the_invariance_chart_stars_each_rows_first_differing_layer():
    diff = np.array([[0.0, 0.0, 0.0], [0.0, 0.2, 0.05], [1e-7, 3e-5, 0.0], [np.nan] * 3])
    fig = plots.invariance_chart(diff, ["LSTM", "BiRNN", "model output"], atol=1e-5)
    assert list(zip(fig.data[1].y, fig.data[1].x)) == [(1, "BiRNN"), (2, "BiRNN")]
    assert fig.layout.meta["first_differing"] == {1: "BiRNN", 2: "BiRNN"}
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z[1, 1] == pytest.approx(np.log10(0.2)) and z[0, 0] == pytest.approx(-9) and np.isnan(z[3]).all()
    assert list(fig.layout.yaxis.ticktext) == ["0", "≠ 1", "≠ 2", "3"]
    assert fig.data[0].customdata[3][0] == "not checked"


def test_charts_follow_the_house_style_and_refuse_bad_shapes():
    for fig in (plots.layer_lengths_chart([[3, 2]], [3, 2], ["LSTM"]), plots.invariance_chart([[0.0], [1.0]], ["x"])):
        assert fig.layout.title.text and plots.how_to_read(fig) and fig.data[0].colorscale[0][1] == "#440154"
        assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
        fig.to_json()
    with pytest.raises(plots.PlotInputError, match=r"true_lengths must have shape \(2,\)"):
        plots.layer_lengths_chart([[3, 2]], [3], ["LSTM"])
    with pytest.raises(plots.PlotInputError, match="layers must be a list of 1 names"):
        plots.invariance_chart([[0.0], [1.0]], ["a", "b"])


def test_noise_far_below_atol_stays_at_the_pale_end_of_the_invariance_scale():
    """A passing check (every difference ~1e-7, atol 1e-5) must not fill the chart with the scale's strongest colour."""
    diff = np.full((4, 2), 1e-7)
    fig = plots.invariance_chart(diff, ["LSTM", "model output"], atol=1e-5)
    zmin, zmax = fig.data[0].zmin, fig.data[0].zmax
    assert zmax >= np.log10(1e-5) + 2
    assert (np.log10(1e-7) - zmin) / (zmax - zmin) < 0.5  # in the lower half of the colour scale
