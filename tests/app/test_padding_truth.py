"""Padding lab on pre-padded data: the marker, the veils, the returned-step table and the sample picker tell the truth.

The truth comes from the data set itself (pre-padded: the real steps are the LAST `length` steps) and from running
a layer, not from the lab's own helpers.
"""

import numpy as np
from apptools import array, assert_clean, chart, charts, frame_with, new_app, title

import rnnlab
from rnnlab import datasets
from rnnlab.plots.style import PADDING_BAND

ROWS = 8
PRE = "variable_length_prepadded"


def pre_padded_lab():
    at = new_app(page="padding")
    at.selectbox(key="pad_source").set_value(PRE).run()
    assert_clean(at)
    return at


def picker(at):
    found = [w for w in at.selectbox if w.key and w.key.startswith("pad_sample_")]
    assert len(found) == 1, [w.key for w in at.selectbox]
    return found[0]


def true_real_steps(name=PRE):
    """-> (x [ROWS, T, D], lengths [ROWS], real steps per row as sets), from the shipped file and its lengths."""
    data = datasets.load(name, "train")
    x, lengths, time_steps = data.x[:ROWS], data.lengths[:ROWS], data.time_steps
    steps = [set(range(time_steps - n, time_steps)) if name == PRE else set(range(n)) for n in lengths]
    for b, row in enumerate(steps):  # the file agrees: exactly those steps hold data
        assert set(np.flatnonzero(np.abs(x[b]).max(axis=1) > 0)) == row
    return x, lengths, steps


def test_the_true_marker_brackets_the_last_length_steps():
    at = pre_padded_lab()
    _, _, steps = true_real_steps()
    grid = chart(at, "padding_grid")
    true_trace = next(t for t in grid["data"][1:] if t["name"].startswith("true"))
    edges = np.array([v for v in array(true_trace["x"]) if v is not None], dtype=float).reshape(-1, 2)
    time_steps = array(grid["data"][0]["z"]).shape[1]
    for b, row in enumerate(steps):
        assert {t for t in range(time_steps) if edges[b, 0] < t < edges[b, 1]} == row, (b, edges[b])
    explanations = [m.value for m in at.markdown if m.value.startswith("- **Row")]
    lengths = datasets.load(PRE, "train").lengths[:ROWS]
    for b, n in enumerate(lengths):  # rows with more padding than data lose all their real steps, not "the last T-n"
        if n <= time_steps - n:
            assert f"drops all {n} real step(s)" in explanations[b], explanations[b]


def test_the_veils_cover_exactly_the_padded_steps_on_both_sides():
    at = pre_padded_lab()
    _, lengths, steps = true_real_steps()
    for sample in (0, 3):  # 6 leading zeros; 44 leading zeros
        picker(at).set_value(sample).run()
        comparisons = [f for f in charts(at) if f["layout"].get("meta", {}).get("chart") == "dynamic_comparison"]
        assert len(comparisons) == 2  # h and c of the LSTM
        time_steps = len(array(comparisons[0]["data"][0]["z"])[0])
        padded = set(range(time_steps)) - steps[sample]
        for fig in comparisons:
            assert f"row {sample}" in title(fig)
            veiled = {"x": set(), "x2": set()}
            for shape in fig["layout"]["shapes"]:
                if shape.get("fillcolor") == PADDING_BAND:
                    veiled[shape["xref"]].update(t for t in range(time_steps) if shape["x0"] < t < shape["x1"])
            assert veiled == {"x": padded, "x2": padded}  # no real step veiled, every leading zero veiled


def step_the_layer_returns(x: np.ndarray, n_units: int = 4) -> np.ndarray:
    """[B, T, D] -> [B]: the one step whose output equals a dynamic LSTM's return_seq=False output. A random
    initial state makes every step's output different (zero steps too), so the match is unique."""
    with rnnlab.naming_context():
        seq = rnnlab.LSTM(n_units, return_seq=True, dynamic=True)
        last = rnnlab.LSTM(n_units, return_seq=False, dynamic=True)
        rng = np.random.default_rng(0)
        state = tuple(rng.uniform(-1, 1, size=(len(x), n_units)).astype(np.float32) for _ in range(2))
        outputs = np.asarray(seq(x, initial_state=state))  # [B, T, n]
        last(x[:1], initial_state=tuple(s[:1] for s in state))
        last.set_weights(seq.get_weights())
        returned = np.asarray(last(x, initial_state=state))  # [B, n]
    steps = []
    for b in range(len(x)):
        matches = np.flatnonzero((outputs[b] == returned[b]).all(axis=1))
        assert len(matches) == 1, (b, matches)
        steps.append(int(matches[0]))
    return np.array(steps)


def test_the_returned_step_table_states_the_step_the_layer_returns():
    at = pre_padded_lab()
    x, _, steps = true_real_steps()
    table = frame_with(at, "dynamic=True returns step")
    truth = step_the_layer_returns(x)
    assert table["dynamic=True returns step"].tolist() == truth.tolist()
    assert table["dynamic=True returns step"].tolist() == (table["TFLearn length"] - 1).tolist()  # the caption's rule
    assert any("length-1" in c.value for c in at.caption)
    # "from real data": the output at that step has read a real step, else it comes from the leading zeros only
    assert table["from real data"].tolist() == [min(row) <= step for row, step in zip(steps, truth)]
    assert not table["from real data"].all() and table["from real data"].any()
    assert set(table["dynamic=False returns step"]) == {x.shape[1] - 1}
    assert table["checked: output there == returned"].all()


def test_the_sample_picker_follows_the_data():
    at = new_app(page="padding")
    picker(at).set_value(3).run()
    before = picker(at).key
    at.selectbox(key="pad_source").set_value(PRE).run()
    assert_clean(at)
    now = picker(at)
    assert now.key != before  # a fresh widget: the browser cannot keep the label of the post-padded row
    _, lengths, steps = true_real_steps()
    assert now.value == 3 and now.options[now.index] == f"row 3 (length {lengths[3]}, t={min(steps[3])}..{max(steps[3])})"
    assert "row 3" in title(chart(at, "dynamic_comparison"))
    at.selectbox(key="pad_source").set_value("experiment").run()
    assert_clean(at)
    after = picker(at)
    shown = frame_with(at, "TFLearn's inferred length")["true length"].tolist()
    assert after.key != now.key
    assert after.options == [
        f"row {i} (length {n}, t=0..{n - 1})" for i, n in enumerate(shown)]  # the experiment's rows (post-padded)
    assert after.value == 3
