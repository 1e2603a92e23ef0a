"""Input / target strips over time, colour by label or target in the PCA trajectories, fewer samples drawn, and
the trivial baseline on the training curves: what the figure shows must be the data given.

Loaded without TensorFlow like tests/test_plots.py (see tests/plots_loader.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from plots_loader import load_plots

plots = load_plots()

T = 12
RNG = np.random.default_rng(7)


def adding_sample(time_steps=T):
    """x [T, 2] of the adding problem: values in (0, 1], markers (1.0) at steps 2 and 7."""
    x = np.zeros((time_steps, 2))
    x[:, 0] = 1.0 - RNG.random(time_steps)
    x[[2, 7], 1] = 1.0
    return x


def strip_traces(fig: go.Figure, kind: str | None = None) -> list:
    return [t for t in fig.data if isinstance(t.meta, dict) and "strip" in t.meta
            and (kind is None or t.meta["strip"] == kind)]


def own_traces(fig: go.Figure) -> list:
    return [t for t in fig.data if not (isinstance(t.meta, dict) and "strip" in t.meta)]


def axis(fig: go.Figure, ref: str):
    """'x2' -> fig.layout.xaxis2, 'y' -> fig.layout.yaxis."""
    return fig.layout[f"{ref[0]}axis{ref[1:]}"]


def scale_colour(scale, value: float, low: float, high: float) -> str:
    """The colour a flat-banded (categorical) colour scale gives to ``value`` on a [low, high] range."""
    position = (value - low) / (high - low)
    for (start, colour), (end, _) in zip(scale[:-1], scale[1:]):
        if start <= position <= end and start < end:
            return colour
    raise AssertionError(f"{value} not on the scale")


# ------------------------------------------------------------------------------------ strips


def test_state_heatmap_input_strip_shares_the_time_axis_and_shows_the_inputs():
    x = adding_sample()
    h = np.tanh(RNG.normal(size=(T, 4)))
    valid = np.arange(T) < 10
    fig = plots.state_heatmap(h, valid, inputs=x, feature_names=("value", "marker"))
    heatmap = fig.data[0]  # the chart's own trace stays first, on the axes it has without strips
    assert heatmap.xaxis == "x" and heatmap.yaxis == "y" and fig.layout.yaxis.title.text == "unit"
    np.testing.assert_array_equal(np.asarray(heatmap.z, float)[:, :10], h.T[:, :10])
    (strip,) = strip_traces(fig)
    assert strip.meta == {"strip": "input"} and isinstance(strip, go.Heatmap)
    np.testing.assert_array_equal(strip.x, heatmap.x)  # the same time steps ...
    assert axis(fig, strip.xaxis).matches == "x"  # ... on the same (shared) time axis
    z = np.asarray(strip.z, float)  # [D, T]: one row per input feature
    np.testing.assert_array_equal(z[:, :10], x.T[:, :10])
    assert np.isnan(z[:, 10:]).all()  # padded steps blank, like the heatmap's
    assert list(strip.y) == ["value", "marker"] and axis(fig, strip.yaxis).title.text == "input"
    marker_row = z[list(strip.y).index("marker")]
    np.testing.assert_array_equal(np.asarray(strip.x)[marker_row == 1.0], [2, 7])  # the pulse at 7 is at x=7
    assert axis(fig, strip.yaxis).domain[0] > fig.layout.yaxis.domain[1]  # above the heatmap
    assert fig.layout.meta["strips"] == {"input": ["value", "marker"]}
    assert "strip" in plots.how_to_read(fig)


def test_no_strip_arguments_leave_the_figure_as_it_was():
    h = np.tanh(RNG.normal(size=(T, 3)))
    assert plots.state_heatmap(h).to_dict() == plots.state_heatmap(h, inputs=None, targets=None).to_dict()
    assert not strip_traces(plots.state_heatmap(h)) and "strips" not in plots.state_heatmap(h).layout.meta


def test_target_strip_of_class_labels_colours_each_class_like_the_palette():
    bits = np.array([1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1])
    labels = np.cumsum(bits) % 2  # running parity, a class per step
    fig = plots.state_heatmap(np.zeros((T, 2)), inputs=(2.0 * bits - 1)[:, None], targets=labels,
                              feature_names=["bit"], class_names=["even", "odd"])
    (inputs,) = strip_traces(fig, "input")
    (target,) = strip_traces(fig, "target")
    np.testing.assert_array_equal(np.asarray(inputs.z, float)[0], 2.0 * bits - 1)
    np.testing.assert_array_equal(np.asarray(target.z, float)[0], labels)
    np.testing.assert_array_equal(target.x, fig.data[0].x)
    assert axis(fig, target.yaxis).title.text == "target"
    for t, label in enumerate(labels):
        colour = scale_colour(target.colorscale, label, target.zmin, target.zmax)
        assert colour == plots.OKABE_ITO[label], (t, label, colour)
        assert target.customdata[0][t] == ["even", "odd"][label]
    # the strips top to bottom: input, then target, then the heatmap
    assert axis(fig, inputs.yaxis).domain[0] > axis(fig, target.yaxis).domain[1] > fig.layout.yaxis.domain[1]
    assert "blue = even, orange = odd" in plots.how_to_read(fig)


def test_target_strip_of_numbers_per_step_and_inputs_of_valid_steps_only():
    targets = RNG.choice([-1.0, 0.0, 1.0], size=(T, 3))  # flip-flop: the bit held, per channel
    x = adding_sample()[:9]  # only the 9 valid steps given: the rest of the strip stays blank
    fig = plots.state_heatmap(np.zeros((T, 2)), np.arange(T) < 9, inputs=x, targets=targets)
    (inputs,) = strip_traces(fig, "input")
    (target,) = strip_traces(fig, "target")
    assert list(inputs.y) == ["x[0]", "x[1]"] and list(target.y) == ["target[0]", "target[1]", "target[2]"]
    np.testing.assert_array_equal(np.asarray(inputs.z, float)[:, :9], x.T)
    assert np.isnan(np.asarray(inputs.z, float)[:, 9:]).all()
    np.testing.assert_array_equal(np.asarray(target.z, float)[:, :9], targets[:9].T)
    assert target.colorscale == go.Heatmap(colorscale="RdBu").colorscale and target.zmid == 0.0


def test_strip_bad_input_names_the_argument():
    h = np.zeros((T, 2))
    with pytest.raises(ValueError, match=r"inputs must have at most T=12 steps .*got shape \(13, 2\)"):
        plots.state_heatmap(h, inputs=np.zeros((T + 1, 2)))
    with pytest.raises(ValueError, match=r"feature_names must name each of the 2 rows; got 1"):
        plots.state_heatmap(h, inputs=np.zeros((T, 2)), feature_names=["value"])
    with pytest.raises(ValueError, match=r"targets must be a 1-D or 2-D array"):
        plots.gate_heatmaps({"forget": np.zeros((T, 2))}, targets=np.zeros((T, 2, 1)))


def test_gate_heatmaps_keep_their_gates_and_add_the_strip_above():
    gates = {g: RNG.random((T, 3)) for g in ("input", "forget", "output")}
    gates["candidate"] = np.tanh(RNG.normal(size=(T, 3)))
    x = adding_sample()
    fig = plots.gate_heatmaps(gates, inputs=x, feature_names=("value", "marker"))
    assert [t.name for t in own_traces(fig)] == list(gates)  # the gates first, in order
    (strip,) = strip_traces(fig, "input")
    assert fig.data[-1] is strip
    bottom_gate = own_traces(fig)[-1]
    for gate in own_traces(fig):
        np.testing.assert_array_equal(strip.x, gate.x)
    assert axis(fig, strip.xaxis).matches == bottom_gate.xaxis  # one shared time axis
    np.testing.assert_array_equal(np.asarray(strip.z, float), x.T)
    tops = [axis(fig, t.yaxis).domain[1] for t in [strip, *own_traces(fig)]]
    assert tops == sorted(tops, reverse=True)  # strip, input gate, forget, output, candidate: top to bottom
    assert axis(fig, bottom_gate.xaxis).title.text == "time step t"
    assert [t.coloraxis for t in own_traces(fig)] == ["coloraxis"] * 3 + ["coloraxis2"]


def test_gradient_norms_strip_sample_line_and_log_axis():
    norms = RNG.random((3, T)) + 0.1
    valid = np.arange(T)[None, :] < np.array([[12], [9], [5]])
    x = adding_sample()
    fig = plots.gradient_norms({"LSTM": norms}, valid, sample=1, inputs=x, feature_names=("value", "marker"))
    assert fig.layout.yaxis.type == "log" and fig.layout.xaxis.title.text == "time step t"  # the chart keeps x/y
    line = next(t for t in fig.data if t.name == "LSTM: sample 1")
    y = np.asarray(line.y, float)
    np.testing.assert_array_equal(y[:9], norms[1, :9])
    assert np.isnan(y[9:]).all()
    (strip,) = strip_traces(fig)
    assert axis(fig, strip.yaxis).type != "log" and axis(fig, strip.xaxis).matches == "x"
    np.testing.assert_array_equal(strip.x, np.arange(T))
    z = np.asarray(strip.z, float)
    np.testing.assert_array_equal(z[:, :9], x[:9].T)  # masked by the sample's own valid steps
    assert np.isnan(z[:, 9:]).all()
    bands = [(s.x0, s.x1) for s in fig.layout.shapes if s.yref and s.yref.startswith(strip.yaxis)]
    assert bands == [(8.5, 11.5)]  # its padded steps greyed in the strip
    with pytest.raises(ValueError, match=r"sample must be an int sample index in \[0, 3\); got 3"):
        plots.gradient_norms(norms, valid, sample=3)


def test_gradient_norms_side_by_side_strip_over_each_panel():
    left, right = RNG.random((2, T)) + 0.1, RNG.random((2, T)) + 0.1
    x = adding_sample()
    fig = plots.gradient_norms_side_by_side({"LSTM": left}, {"SimpleRNN": right}, left_name="LSTM run",
                                            right_name="SimpleRNN run", sample=0, inputs=x)
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type == "log" and fig.layout.yaxis2.matches == "y"
    strips = strip_traces(fig)
    assert len(strips) == 2
    assert {axis(fig, s.xaxis).matches for s in strips} == {"x", "x2"}  # one strip on each panel's time axis
    for strip in strips:
        np.testing.assert_array_equal(np.asarray(strip.z, float), x.T)
    assert [a.text for a in fig.layout.annotations][:2] == ["LSTM run", "SimpleRNN run"]
    assert {t.name for t in fig.data} >= {"LSTM: sample 0", "SimpleRNN: sample 0"}


# ------------------------------------------------------------------------- colour by label


def trajectories_data(batch=5, time_steps=T, units=4):
    states = np.tanh(RNG.normal(size=(batch, time_steps, units)).cumsum(axis=1) * 0.3)
    valid = np.arange(time_steps)[None, :] < np.array([time_steps, 10, 8, time_steps, 6])[:batch, None]
    return states, valid


def test_trajectories_points_take_the_colour_of_their_steps_label():
    states, valid = trajectories_data()
    labels = RNG.integers(0, 2, size=valid.shape)
    labels[~valid] = 5  # padded steps' labels are never drawn nor listed
    fig = plots.state_trajectories(states, valid, labels=labels, class_names=["even", "odd"])
    legend = {t.name: t.marker.color for t in fig.data if t.showlegend}
    assert legend == {"label even": plots.OKABE_ITO[0], "label odd": plots.OKABE_ITO[1]}
    for b in range(5):
        trace = fig.data[b]
        steps = np.flatnonzero(valid[b])
        np.testing.assert_array_equal(trace.customdata, steps)
        for colour, label, name in zip(trace.marker.color, labels[b, steps], trace.text):
            assert colour == legend[f"label {name}"]  # label 1 points get label 1's colour
            assert name == ["even", "odd"][label]
    assert "0 = even" in fig.layout.legend.title.text and fig.layout.meta["colour_by"] == "label per step"


def test_trajectories_label_per_sample_uses_the_labels_own_colour():
    states, valid = trajectories_data()
    fig = plots.state_trajectories(states, valid, labels=np.array([1, 0, 1, 1, 0]))
    assert [t.line.color for t in fig.data] == [plots.OKABE_ITO[i] for i in (1, 0, 1, 1, 0)]


def test_trajectories_of_nine_classes_get_nine_colours():
    """Japanese Vowels has 9 speakers: the ninth must not wear the first one's colour (an 8-colour palette
    repeated), and each trace's colour is its own label's in the legend."""
    rng = np.random.default_rng(0)
    states, valid = rng.normal(size=(18, 6, 3)), np.ones((18, 6), bool)
    labels = np.arange(18) % 9
    fig = plots.state_trajectories(states, valid, labels=labels)
    colours = [t.line.color for t in fig.data[:18]]
    assert len(set(colours)) == 9
    assert all(colours[b] == colours[b + 9] == plots.CATEGORICAL[labels[b]] for b in range(9))


def test_trajectories_coloured_by_a_continuous_target():
    states, valid = trajectories_data()
    targets = np.array([0.2, 1.7, 0.9, 1.1, 0.5])  # regression: a number per sample
    fig = plots.state_trajectories(states, valid, targets=targets)
    for b, trace in enumerate(fig.data):
        np.testing.assert_array_equal(trace.marker.color, np.full(valid[b].sum(), targets[b]))
        assert (trace.marker.cmin, trace.marker.cmax) == (0.2, 1.7)
        assert trace.marker.colorscale == go.Scatter(marker=dict(colorscale="Viridis")).marker.colorscale
    assert [t.marker.showscale for t in fig.data] == [True] + [False] * 4
    per_step = RNG.random(valid.shape)
    fig = plots.state_trajectories(states, valid, targets=per_step, up_to_step=4)
    np.testing.assert_array_equal(fig.data[2].marker.color, per_step[2, :5])
    with pytest.raises(ValueError, match=r"pass one of them"):
        plots.state_trajectories(states, valid, labels=[0] * 5, targets=targets)
    with pytest.raises(ValueError, match=r"targets must have shape \(5,\) \[B\] or \(5, 12\)"):
        plots.state_trajectories(states, valid, targets=targets[:3])


def test_fewer_samples_drawn_with_the_pca_fitted_on_all():
    states, valid = trajectories_data()
    every = plots.state_trajectories(states, valid)
    fig = plots.state_trajectories(states, valid, samples=2)
    assert len(fig.data) == 2 and fig.layout.meta["samples_drawn"] == 2
    basis = plots.fit_pca(states[valid], 2)  # all five samples
    for b in range(2):
        steps = np.flatnonzero(valid[b])
        np.testing.assert_allclose(np.c_[fig.data[b].x, fig.data[b].y], basis.project(states[b, steps]), atol=1e-10)
    assert fig.layout.xaxis.range == every.layout.xaxis.range and fig.layout.yaxis.range == every.layout.yaxis.range
    assert "2 of 5 samples drawn" in plots.how_to_read(fig)
    with pytest.raises(ValueError, match=r"samples must be an int in \[1, B\] = \[1, 5\]; got 0"):
        plots.state_trajectories(states, valid, samples=0)


def test_default_samples_draws_few_when_sequences_are_long():
    assert plots.default_samples(16, 50) == 6  # adding / sine / walks: 50 steps tangle
    assert plots.default_samples(48, 100) == 6  # flip-flop
    assert plots.default_samples(16, 20) == 16 and plots.default_samples(48, 20) == 24  # parity
    assert plots.default_samples(3, 100) == 3


# ------------------------------------------------------------------------------- baseline


def history_frame(metric="mae"):
    frame = pd.DataFrame({"epoch": [1, 2, 3], "loss": [0.3, 0.2, 0.1], "val_loss": [0.31, 0.22, 0.15]})
    frame[metric] = [0.5, 0.4, 0.3]
    return frame


def hlines(fig: go.Figure) -> dict[str, float]:
    """yref -> y of every horizontal line across a panel."""
    found = {}
    for shape in fig.layout.shapes:
        if shape.type == "line" and shape.y0 == shape.y1 and "domain" in (shape.xref or ""):
            found[shape.yref] = shape.y0
    return found


def test_training_curves_baseline_line_sits_at_the_value_given():
    fig = plots.training_curves(history_frame(), baseline=0.167)
    assert hlines(fig) == {"y": 0.167}  # the loss panel only
    assert any("trivial baseline 0.167" in a.text for a in fig.layout.annotations)
    assert fig.layout.meta["baseline"] == {"loss": 0.167}
    assert "baseline" in plots.how_to_read(fig)
    # the dict rnnlab.experiments.baseline() returns: each quantity on its own panel
    fig = plots.training_curves(history_frame(), baseline={"loss": 0.167, "mae": 0.333, "accuracy": 0.5})
    assert hlines(fig) == {"y": 0.167, "y2": 0.333}  # accuracy is not drawn here: no line for it
    assert plots.training_curves(history_frame()).layout.shapes == ()
    empty = plots.training_curves(pd.DataFrame({"epoch": [], "loss": []}), baseline=0.167)  # before epoch 1
    assert hlines(empty) == {"y": 0.167}
    with pytest.raises(ValueError, match=r"baseline must be a number .*got 'low'"):
        plots.training_curves(history_frame(), baseline="low")


def test_training_curves_overlay_baseline():
    fig = plots.training_curves_overlay({"lstm": history_frame("accuracy"), "rnn": history_frame("accuracy")},
                                        baseline={"loss": 0.69, "accuracy": 0.5})
    assert hlines(fig) == {"y": 0.69, "y2": 0.5}
    assert fig.layout.meta["baseline"] == {"loss": 0.69, "accuracy": 0.5}
