"""What the Padding lab shows is true on pre-padded data (zeros at the FRONT), and stays true on post-padded data.

The facts come from the data and its true lengths; the step return_seq=False returns is checked against a layer
whose outputs differ at every step (a non-zero initial state decays over the zero steps), so exactly one step's
output equals what the layer returned.
"""

import numpy as np
import pytest

import rnnlab
from rnnlab import plots
from rnnlab.plots.style import PADDING_BAND
from rnnlab.probes import padding_lab

T = 10
LENGTHS = np.array([7, 3, 10, 1, 0, 5])


def batches(seed=0):
    """-> (post-padded [B, T, 2], pre-padded [B, T, 2], true lengths [B]): the same sequences, no all-zero real step."""
    rng = np.random.default_rng(seed)
    post = rng.uniform(0.1, 1.0, size=(len(LENGTHS), T, 2)).astype(np.float32)
    post[np.arange(T)[None, :] >= LENGTHS[:, None]] = 0.0
    pre = np.zeros_like(post)
    for b, length in enumerate(LENGTHS):
        pre[b, T - length:] = post[b, :length]
    return post, pre, LENGTHS


def real_steps(pre: bool) -> list[set[int]]:
    """The true real steps of each row, written out by hand from LENGTHS."""
    return [set(range(T - n, T)) if pre else set(range(n)) for n in LENGTHS]


def step_the_layer_returns(x: np.ndarray, n_units: int = 3) -> np.ndarray:
    """[B, T, D] -> [B]: the one step whose output equals the dynamic LSTM's return_seq=False output (-1: it returned
    zeros and no step matches). A random initial state makes every step's output different, zero steps included."""
    with rnnlab.naming_context():
        seq = rnnlab.LSTM(n_units, return_seq=True, dynamic=True)
        last = rnnlab.LSTM(n_units, return_seq=False, dynamic=True)
        rng = np.random.default_rng(1)
        state = tuple(rng.uniform(-1, 1, size=(len(x), n_units)).astype(np.float32) for _ in range(2))  # (c, h)
        outputs = np.asarray(seq(x, initial_state=state))  # [B, T, n]
        last(x[:1], initial_state=tuple(s[:1] for s in state))
        last.set_weights(seq.get_weights())
        returned = np.asarray(last(x, initial_state=state))  # [B, n]
    steps = []
    for b in range(len(x)):
        matches = np.flatnonzero((outputs[b] == returned[b]).all(axis=1) & (np.abs(outputs[b]).max(axis=1) > 0))
        assert len(matches) <= 1, (b, matches)  # the outputs are told apart, so the match says which step it is
        steps.append(int(matches[0]) if len(matches) else -1)
        if not len(matches):
            assert np.all(returned[b] == 0)
    return np.array(steps)


# ------------------------------------------------------------------ where the real steps are


@pytest.mark.parametrize("pre", [False, True], ids=["post-padded", "pre-padded"])
def test_real_step_ranges_are_the_true_real_steps(pre):
    post, x_pre, lengths = batches()
    x = x_pre if pre else post
    ranges = padding_lab.real_step_ranges(x, lengths)
    assert [set(range(s, e)) for s, e in ranges] == real_steps(pre)
    mask = padding_lab.real_step_mask(ranges, T)
    assert [set(np.flatnonzero(row)) for row in mask] == real_steps(pre)


def test_an_all_zero_step_inside_the_real_steps_does_not_move_them():
    post, pre, lengths = batches()
    for x, is_pre in ((post, False), (pre, True)):
        holed = padding_lab.insert_zero_step(x, (0,), 8 if is_pre else 2)  # inside row 0's real steps
        ranges = padding_lab.real_step_ranges(holed, lengths)
        assert set(range(*ranges[0])) == real_steps(is_pre)[0]


# ------------------------------------------------------------------ the grid's markers


def test_padding_grid_brackets_the_true_real_steps_of_pre_padded_rows():
    _, x, lengths = batches()
    count = padding_lab.rnnlab_lengths(x)
    fig = plots.padding_grid(x, {"true real": padding_lab.real_step_ranges(x, lengths), "TFLearn": count})
    true_trace = next(t for t in fig.data[1:] if t.name.startswith("true real"))
    edges = np.array([v for v in true_trace.x if v is not None], dtype=float).reshape(-1, 2)  # [B, 2]
    # the markers sit on the edges of the real steps: before the first (start - 0.5) and after the last
    for b, steps in enumerate(real_steps(pre=True)):
        covered = {t for t in range(T) if edges[b, 0] < t < edges[b, 1]}
        assert covered == steps, (b, edges[b], steps)
    assert [set(range(s, e)) for s, e in fig.layout.meta["readings"]["true real"]] == real_steps(pre=True)
    tflearn = next(t for t in fig.data[1:] if t.name == "TFLearn length ends")
    np.testing.assert_allclose(tflearn.x, count - 0.5)  # dynamic mode computes steps 0..count-1
    # pre-padded rows with padding: the readings cover different steps; a full row (n = T) or an empty one agrees
    assert fig.layout.meta["disagree"] == [b for b, n in enumerate(lengths) if 0 < n < T]


# ------------------------------------------------------------------ the veils and frames of dynamic on / off


def veiled_steps(fig) -> list[set[int]]:
    """Per panel (left, right): the time steps inside a grey veil."""
    panels = {}
    for shape in fig.layout.shapes:
        if shape.fillcolor == PADDING_BAND:
            panels.setdefault(shape.xref, set()).update(t for t in range(T) if shape.x0 < t < shape.x1)
    return [panels.get("x", set()), panels.get("x2", set())]


def framed_step(fig, xref: str) -> int | None:
    frames = [s for s in fig.layout.shapes if s.xref == xref and s.line.color == plots.HIGHLIGHT]
    return None if not frames else int(round((frames[0].x0 + frames[0].x1) / 2))


@pytest.mark.parametrize("pre", [False, True], ids=["post-padded", "pre-padded"])
def test_veils_cover_exactly_the_padded_steps_and_the_frame_the_returned_step(pre):
    post, x_pre, lengths = batches()
    x = x_pre if pre else post
    out = padding_lab.dynamic_vs_static(x, "lstm", 3, seed=0)
    real = padding_lab.real_step_mask(padding_lab.real_step_ranges(x, lengths), T)
    layer_steps = step_the_layer_returns(x)
    for b, steps in enumerate(real_steps(pre)):
        computed = np.arange(T) < out["lengths"][b]
        fig = plots.dynamic_comparison(out["seq_dynamic"][b], out["seq_static"][b], real[b], computed=computed,
                                       returned_step_dynamic=int(out["returned_dynamic"][b]))
        padded = set(range(T)) - steps
        assert veiled_steps(fig) == [padded, padded], b  # no real step under a veil, every padded step under one
        assert set(fig.layout.meta["padded_steps"]) == padded
        assert set(fig.layout.meta["not_computed_steps"]) == steps - set(np.flatnonzero(computed))
        left = framed_step(fig, "x")
        assert (-1 if left is None else left) == layer_steps[b], b
        assert framed_step(fig, "x2") == T - 1


def test_dynamic_comparison_frames_real_steps_it_never_computes_and_names_a_padded_returned_step():
    on, off = np.zeros((T, 2)), np.ones((T, 2))
    valid = np.arange(T) >= 6  # pre-padded: real steps 6..9
    fig = plots.dynamic_comparison(on, off, valid, computed=np.arange(T) < 4, returned_step_dynamic=3)
    dotted = [s for s in fig.layout.shapes if s.name == "not computed"]
    assert [(s.x0, s.x1, s.xref) for s in dotted] == [(5.5, 9.5, "x")]
    assert any(a.text == "return_seq=False returns t=3 (a padded step)" for a in fig.layout.annotations)
    empty = plots.dynamic_comparison(on, off, valid, computed=np.zeros(T, bool), returned_step_dynamic=-1)
    assert framed_step(empty, "x") is None and empty.layout.meta["returned_steps"]["dynamic"] == -1
    assert any("returns zeros" in a.text for a in empty.layout.annotations)


# ------------------------------------------------------------------ which step return_seq=False returns


@pytest.mark.parametrize("pre", [False, True], ids=["post-padded", "pre-padded"])
def test_returned_step_is_the_step_the_layer_returns(pre):
    post, x_pre, lengths = batches()
    x = x_pre if pre else post
    out = padding_lab.dynamic_vs_static(x, "lstm", 3, seed=0)
    truth = step_the_layer_returns(x)
    np.testing.assert_array_equal(out["returned_dynamic"], truth)
    np.testing.assert_array_equal(out["returned_static"], np.full(len(x), T - 1))
    assert out["checked_dynamic"].all() and out["checked_static"].all()
    table = padding_lab.returned_steps_table(x, lengths)
    assert table["dynamic=True returns step"] == truth.tolist()
    assert table["dynamic=False returns step"] == [T - 1] * len(x)


def test_the_table_says_whether_the_returned_output_has_read_real_data():
    _, x, lengths = batches()
    table = padding_lab.returned_steps_table(x, lengths)
    for b, step in enumerate(table["dynamic=True returns step"]):
        read = x[b, : step + 1]  # the inputs the layer had read when it wrote that output
        assert table["from real data"][b] == bool(np.any(read != 0)), b
        if step >= 0 and not table["from real data"][b]:
            assert table["that output has read"][b].startswith("padding only"), table["that output has read"][b]
    # row 0: 7 real steps 3..9, the layer reads steps 0..6: 3 zeros, then 3..6, and never 7..9
    assert table["real steps"][0] == "t=3..9"
    assert table["that output has read"][0] == "3 padded step(s), then real steps t=3..6, not the last 3"
    assert table["that output has read"][4].startswith("nothing (length 0)")


def test_explanations_count_the_real_steps_that_are_dropped():
    _, x, lengths = batches()
    sentences = padding_lab.explanations(x, lengths)
    assert "computes steps 0..2: padding only, and drops all 3 real step(s)" in sentences[1]  # not "the last 7"
    assert "drops the last 3 real step(s)" in sentences[0]
    assert sentences[2] == "sample 2: length 10 under every reading."
