"""rnnlab.probe: every gate and state of every step, gradients through time, tidy export, bad input.

Values are checked against tests/reference.py (NumPy, float64, written from SPEC.md): its
``run_loop_records`` / ``bidirectional_records`` return per-step gates named as the probes name them.
Gradients through time are checked against an independent, hand-unrolled TensorFlow float64 model whose
per-step h_t are differentiated with tf.GradientTape.

Sections:
1. gates and states against the reference; h / c against the layer's own outputs and states
   (every kind x dynamic on/off, bidirectional with mixed kinds, stacked layers, dropout at inference,
   a single layer with explicit seq_len, Sequential and nested models),
2. gradients through time (grad_norm) against the hand-unrolled model; loss sources; vanishing gradients,
3. Trace.to_frame and Trace.save / Trace.load,
4. bad input: each a clear RnnlabError.
"""

from __future__ import annotations

import functools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnlab  # noqa: E402

try:  # tests/ as a package or as a plain directory on sys.path
    from tests import reference as ref
except ImportError:  # pragma: no cover
    import reference as ref
try:
    from tests.reference_bridge import randomize, ref_cell
except ImportError:
    from reference_bridge import randomize, ref_cell

B, T, D, N = 5, 7, 3, 4  # batch, time, input_dim, units
ATOL = 2e-5
QUANTITIES = {
    "simple_rnn": ("pre_activation", "h"),
    "lstm": ("input", "candidate", "forget", "output", "c", "h"),
    "gru": ("reset", "update", "candidate", "h"),
}
LAYER_CLASSES = {"simple_rnn": rnnlab.SimpleRNN, "lstm": rnnlab.LSTM, "gru": rnnlab.GRU}
CELL_CLASSES = {"simple_rnn": rnnlab.BasicRNNCell, "lstm": rnnlab.BasicLSTMCell, "gru": rnnlab.GRUCell}


# ----------------------------------------------------------------- helpers


def padded_x(seed=0, time_steps=T) -> np.ndarray:
    """[5, T, 3] float32, post-padded. Lengths (TFLearn count): T, 4, 0, T-1 (a zero step inside), 1."""
    x = np.random.default_rng(seed).normal(size=(B, time_steps, D)).astype(np.float32)
    x[1, 4:] = 0.0
    x[2] = 0.0
    x[3, 2] = 0.0  # counted out: steps 0..T-2 are computed (the zero one included), the last is dropped
    x[4, 1:] = 0.0
    return x






def make_layer(kind, **kwargs):
    if kind == "lstm":
        kwargs.setdefault("forget_bias", 0.7)  # so that 'forget' must hold sig(f + forget_bias)
    return LAYER_CLASSES[kind](N, **kwargs)


def assert_records(layer_trace, expected: dict, kind, what=""):
    assert set(layer_trace.quantities) == set(QUANTITIES[kind]), what
    for q in QUANTITIES[kind]:
        got = layer_trace.quantities[q]
        assert got.shape == expected[q].shape, f"{what} {q}"
        np.testing.assert_allclose(got, expected[q], atol=ATOL, rtol=1e-5, err_msg=f"{what} {q}")


def last_valid(seq, lengths):
    """[B, T, n], [B] -> [B, n] at step length-1 (rows of length 0 are left out by the callers)."""
    return seq[np.arange(seq.shape[0]), np.maximum(lengths - 1, 0)]


# ----------------------------------------------------------------- 0. reference self-check


def test_reference_records_agree_with_reference_loop():
    rng = np.random.default_rng(0)
    x = padded_x()
    for cell in (ref.LSTMCell([rng.normal(size=(D + N, 4 * N)), rng.normal(size=4 * N)], N, forget_bias=0.3),
                 ref.GRUCell([rng.normal(size=(D + N, 2 * N)), rng.normal(size=2 * N),
                              rng.normal(size=(D + N, N)), rng.normal(size=N)], N),
                 ref.SimpleRNNCell([rng.normal(size=(D + N, N)), rng.normal(size=N)], N)):
        for dynamic in (False, True):
            plain = ref.run_loop(cell, x, dynamic=dynamic)
            rec = ref.run_loop_records(cell, x, dynamic=dynamic)
            np.testing.assert_allclose(rec.outputs, plain.outputs)
            np.testing.assert_allclose(rec.records["h"], plain.outputs)
            for a, b in zip(rec.state, plain.state):
                np.testing.assert_allclose(a, b)
    # the forget gate as used: sig(f + forget_bias), by hand for one step
    w = [rng.normal(size=(D + N, 4 * N)), rng.normal(size=4 * N)]
    cell = ref.LSTMCell(w, N, forget_bias=0.3)
    x0 = x[:1, :1]
    z = np.concatenate([x0[:, 0], np.zeros((1, N))], axis=1) @ w[0] + w[1]
    rec = ref.run_loop_records(cell, x0)
    np.testing.assert_allclose(rec.records["forget"][0, 0], 1 / (1 + np.exp(-(z[0, 2 * N:3 * N] + 0.3))))


# ----------------------------------------------------------------- 1. gates and states


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_gates_match_reference_and_layer_outputs(kind, dynamic):
    x = padded_x(seed=1)
    layer = make_layer(kind, return_seq=True, return_state=True, dynamic=dynamic)
    inputs = keras.Input((T, D))
    seq, state = layer(inputs)
    state = tuple(state) if kind == "lstm" else (state,)
    model = keras.Model(inputs, [seq, *state])
    randomize(layer, seed=2)

    trace = rnnlab.probe(model, x)
    assert trace.layer_names == [layer.name]
    rec = trace.layers[layer.name]
    assert (rec.name, rec.kind, rec.direction) == (layer.name, kind, None)

    expected = ref.run_loop_records(ref_cell(layer.cell), x, dynamic=dynamic)
    assert_records(rec, expected.records, kind, kind)
    lengths = ref.tflearn_lengths(x) if dynamic else np.full(B, T)
    np.testing.assert_array_equal(rec.seq_len, lengths)
    np.testing.assert_array_equal(rec.valid, np.arange(T)[None, :] < lengths[:, None])
    assert rec.valid.dtype == bool and rec.x.shape == (B, T, D)
    np.testing.assert_array_equal(rec.x, x)

    # against the layer itself: h is its return_seq output at valid steps; the last valid c, h its state
    outputs = [np.asarray(o) for o in model(x, training=False)]
    h = rec.quantities["h"]
    np.testing.assert_allclose(h[rec.valid], outputs[0][rec.valid], atol=1e-6)
    np.testing.assert_allclose(trace.output, outputs[0], atol=1e-6)
    if dynamic:
        assert np.all(h[~rec.valid] == 0) and np.all(outputs[0][~rec.valid] == 0)
    has_steps = lengths > 0
    state_names = ("c", "h") if kind == "lstm" else ("h",)
    for name, value in zip(state_names, outputs[1:]):
        np.testing.assert_allclose(last_valid(rec.quantities[name], lengths)[has_steps], value[has_steps],
                                   atol=1e-6, err_msg=name)
        np.testing.assert_allclose(value[~has_steps], 0.0)  # length 0: the initial (zero) state


def test_single_layer_with_explicit_seq_len_and_first_call_builds_it():
    x = np.random.default_rng(3).normal(size=(B, T, D)).astype(np.float32)  # no zero steps at all
    seq_len = np.array([7, 3, 0, 5, 1])
    layer = rnnlab.GRU(N, return_seq=True)  # not built yet: probe's first call builds it
    trace = rnnlab.probe(layer, x, seq_len=seq_len)
    rec = trace.layers[layer.name]
    expected = ref.run_loop_records(ref_cell(layer.cell), x, seq_len=seq_len)
    assert_records(rec, expected.records, "gru")
    np.testing.assert_array_equal(rec.seq_len, seq_len)
    np.testing.assert_allclose(trace.output, expected.outputs, atol=ATOL)
    # a second call (the compiled path) gives the same numbers
    again = rnnlab.probe(layer, x, seq_len=seq_len).layers[layer.name]
    assert_records(again, expected.records, "gru", "second call")


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("kinds", [("lstm", "gru"), ("gru", "simple_rnn"), ("simple_rnn", "lstm")],
                         ids=lambda k: "-".join(k))
def test_bidirectional_mixed_kinds(kinds, dynamic):
    x = padded_x(seed=4)
    cells = [CELL_CLASSES[k](N, forget_bias=0.5) if k == "lstm" else CELL_CLASSES[k](N) for k in kinds]
    layer = rnnlab.BiRNN(*cells, return_seq=True, return_states=True, dynamic=dynamic)
    inputs = keras.Input((T, D))
    out, state_fw, state_bw = layer(inputs)
    flat = [s for st in (state_fw, state_bw) for s in (st if isinstance(st, (tuple, list)) else (st,))]
    model = keras.Model(inputs, [out, *flat])
    randomize(layer.cell_fw, seed=5)
    randomize(layer.cell_bw, seed=6)

    trace = rnnlab.probe(model, x)
    assert trace.layer_names == [f"{layer.name}/fw", f"{layer.name}/bw"]
    fw, bw = trace.layers[f"{layer.name}/fw"], trace.layers[f"{layer.name}/bw"]
    assert (fw.kind, fw.direction, bw.kind, bw.direction) == (kinds[0], "fw", kinds[1], "bw")
    exp_fw, exp_bw = ref.bidirectional_records(x, ref_cell(layer.cell_fw), ref_cell(layer.cell_bw), dynamic)
    assert_records(fw, exp_fw.records, kinds[0], "fw")
    assert_records(bw, exp_bw.records, kinds[1], "bw (original time order)")
    np.testing.assert_array_equal(bw.x, x)  # both directions record the layer's input in time order

    outputs = [np.asarray(o) for o in model(x, training=False)]
    valid = fw.valid
    np.testing.assert_allclose(fw.quantities["h"][valid], outputs[0][..., :N][valid], atol=1e-6)
    np.testing.assert_allclose(bw.quantities["h"][valid], outputs[0][..., N:][valid], atol=1e-6)
    lengths = fw.seq_len
    has_steps = lengths > 0
    k = 1
    for rec, kind, last in ((fw, kinds[0], last_valid), (bw, kinds[1], lambda s, _: s[:, 0])):
        for name in ("c", "h") if kind == "lstm" else ("h",):  # bw: its final state is after reading step 0
            np.testing.assert_allclose(last(rec.quantities[name], lengths)[has_steps], outputs[k][has_steps],
                                       atol=1e-6, err_msg=f"{rec.direction} {name}")
            k += 1


def test_stacked_layers_record_the_previous_layer_output():
    x = padded_x(seed=7)
    inputs = keras.Input((T, D))
    first = rnnlab.LSTM(N, return_seq=True, dynamic=True)
    second = rnnlab.BiRNN(rnnlab.GRUCell(N), rnnlab.BasicRNNCell(N), return_seq=True, dynamic=True)
    third = rnnlab.SimpleRNN(N, dynamic=True)
    h1 = first(inputs)
    h2 = second(h1)
    h3 = third(h2)
    model = keras.Model(inputs, keras.layers.Dense(2)(h3))
    for i, cell in enumerate((first, second.cell_fw, second.cell_bw, third)):
        randomize(cell, seed=10 + i)

    trace = rnnlab.probe(model, x)
    assert trace.layer_names == [first.name, f"{second.name}/fw", f"{second.name}/bw", third.name]
    out1, out2 = (np.asarray(o) for o in keras.Model(inputs, [h1, h2])(x, training=False))
    np.testing.assert_allclose(trace.layers[f"{second.name}/fw"].x, out1, atol=1e-6)
    np.testing.assert_allclose(trace.layers[f"{second.name}/bw"].x, out1, atol=1e-6)
    np.testing.assert_allclose(trace.layers[third.name].x, out2, atol=1e-6)
    np.testing.assert_allclose(trace.layers[f"{second.name}/fw"].x, trace.layers[first.name].quantities["h"],
                               atol=1e-6)

    # the whole chain against the reference
    r1 = ref.run_loop_records(ref_cell(first.cell), x, dynamic=True)
    assert_records(trace.layers[first.name], r1.records, "lstm", "first")
    r2fw, r2bw = ref.bidirectional_records(r1.outputs, ref_cell(second.cell_fw), ref_cell(second.cell_bw), True)
    assert_records(trace.layers[f"{second.name}/fw"], r2fw.records, "gru", "second fw")
    assert_records(trace.layers[f"{second.name}/bw"], r2bw.records, "simple_rnn", "second bw")
    r3 = ref.run_loop_records(ref_cell(third.cell), np.concatenate([r2fw.outputs, r2bw.outputs], -1), dynamic=True)
    assert_records(trace.layers[third.name], r3.records, "simple_rnn", "third")

    only = rnnlab.probe(model, x, layers=[third.name])  # layers=: only those are recorded
    assert only.layer_names == [third.name]
    np.testing.assert_allclose(only.layers[third.name].quantities["h"], trace.layers[third.name].quantities["h"])


def test_dropout_is_off_when_probing():
    x = padded_x(seed=8)

    def build(dropout_lstm, dropout_gru):
        inputs = keras.Input((T, D))
        h = rnnlab.LSTM(N, return_seq=True, dropout=dropout_lstm)(inputs)
        return keras.Model(inputs, rnnlab.GRU(N, return_seq=True, dropout=dropout_gru)(h))

    with_dropout, twin = build(0.5, (0.6, 0.7)), build(None, None)
    randomize(with_dropout.layers[1], 20)
    randomize(with_dropout.layers[2], 21)
    twin.set_weights(with_dropout.get_weights())
    a, b = rnnlab.probe(with_dropout, x), rnnlab.probe(twin, x)
    for (name_a, rec_a), rec_b in zip(a.layers.items(), b.layers.values()):
        for q in rec_a.quantities:
            np.testing.assert_allclose(rec_a.quantities[q], rec_b.quantities[q], atol=1e-6, err_msg=f"{name_a} {q}")
    np.testing.assert_allclose(a.output, b.output, atol=1e-6)
    expected = ref.run_loop_records(ref_cell(twin.layers[1].cell), x)
    assert_records(a.layers[with_dropout.layers[1].name], expected.records, "lstm")


def test_sequential_and_nested_models():
    x = padded_x(seed=9)
    inner = keras.Sequential([keras.Input((T, D)), rnnlab.LSTM(N, return_seq=True, name="inner_lstm")])
    inputs = keras.Input((T, D))
    outer = keras.Model(inputs, rnnlab.GRU(N, name="top_gru")(inner(inputs)))
    trace = rnnlab.probe(outer, x)
    assert trace.layer_names == ["inner_lstm", "top_gru"]
    expected = ref.run_loop_records(ref_cell(inner.layers[0].cell), x)
    assert_records(trace.layers["inner_lstm"], expected.records, "lstm")
    np.testing.assert_allclose(trace.output, np.asarray(outer(x)), atol=1e-6)


def test_repeated_probes_follow_new_weights_and_batch_shapes():
    """probe compiles its recorded pass once per model and settings: later calls must still see new weights."""
    x = padded_x(seed=22)
    layer = rnnlab.LSTM(N, return_seq=True, dynamic=True)
    model = keras.Model(inputs := keras.Input((T, D)), layer(inputs))
    rnnlab.probe(model, x)
    for seed in (23, 24):
        randomize(layer, seed)
        expected = ref.run_loop_records(ref_cell(layer.cell), x, dynamic=True)
        assert_records(rnnlab.probe(model, x).layers[layer.name], expected.records, "lstm", f"weights {seed}")
    small = x[:2]  # another batch size
    expected = ref.run_loop_records(ref_cell(layer.cell), small, dynamic=True)
    assert_records(rnnlab.probe(model, small).layers[layer.name], expected.records, "lstm", "batch of 2")


# ----------------------------------------------------------------- 2. gradients through time

ACT = {"tanh": tf.tanh, "sigmoid": tf.sigmoid}


def tf_step(cell, w, x_t, state):
    """One step in TensorFlow float64 from SPEC.md (independent of rnnlab.layers.cells)."""
    act = ACT[cell.activation]
    if cell.kind == "lstm":
        sig = ACT[cell.inner_activation]
        c, h = state
        n = cell.num_units
        z = tf.concat([x_t, h], 1) @ w[0] + w[1]
        i, j, f, o = (z[:, k * n:(k + 1) * n] for k in range(4))
        c = c * sig(f + cell.forget_bias) + sig(i) * act(j)
        h = act(c) * sig(o)
        return h, (c, h)
    if cell.kind == "gru":
        sig = ACT[cell.inner_activation]
        (h,) = state
        n = cell.num_units
        g = sig(tf.concat([x_t, h], 1) @ w[0] + w[1])
        r, u = g[:, :n], g[:, n:]
        h = u * h + (1 - u) * act(tf.concat([x_t, r * h], 1) @ w[2] + w[3])
        return h, (h,)
    (h,) = state
    h = act(tf.concat([x_t, h], 1) @ w[0] + w[1])
    return h, (h,)


def tf_unroll(cell, w, x, lengths):
    """[B, T, D] float64 -> (per-step h_t before masking (the tensors to differentiate), masked outputs [B, T, n])."""
    batch, time_steps = x.shape[0], x.shape[1]
    state = tuple(tf.zeros([batch, cell.num_units], tf.float64) for _ in cell.state_names)
    hs, outs = [], []
    for t in range(time_steps):
        h, new_state = tf_step(cell, w, x[:, t], state)
        hs.append(h)
        valid = tf.constant((t < lengths)[:, None])
        state = tuple(tf.where(valid, a, b) for a, b in zip(new_state, state))
        outs.append(tf.where(valid, h, tf.zeros_like(h)))
    return hs, tf.stack(outs, 1)


def weights64(layer_or_cell):
    return [tf.constant(v, tf.float64) for v in layer_or_cell.get_weights()]


def norms(tape, loss, hs):
    grads = tape.gradient(loss, hs)
    return np.stack([np.zeros(h.shape[0]) if g is None else np.linalg.norm(g.numpy(), axis=-1)
                     for g, h in zip(grads, hs)], axis=1)  # [B, T]


def test_grad_norm_matches_hand_unrolled_model_stacked_dynamic():
    x = padded_x(seed=11)
    y = np.random.default_rng(12).normal(size=(B, 2)).astype(np.float32)
    inputs = keras.Input((T, D))
    first = rnnlab.LSTM(N, return_seq=True, dynamic=True, forget_bias=0.6)
    second = rnnlab.GRU(N, dynamic=True)
    dense = keras.layers.Dense(2)
    model = keras.Model(inputs, dense(second(first(inputs))))
    randomize(first, 13)
    randomize(second, 14)
    model.compile(loss="mse")

    trace = rnnlab.probe(model, x, y)
    lengths = ref.tflearn_lengths(x)
    w1, w2, wd = weights64(first), weights64(second), weights64(dense)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(w1 + w2)
        hs1, out1 = tf_unroll(first.cell, w1, tf.constant(x, tf.float64), lengths)
        hs2, out2 = tf_unroll(second.cell, w2, out1, ref.tflearn_lengths(out1.numpy()))
        index = np.maximum(lengths - 1, 0)
        last = tf.gather(out2, index, axis=1, batch_dims=1) * tf.constant((lengths > 0)[:, None], tf.float64)
        prediction = last @ wd[0] + wd[1]
        loss = tf.reduce_mean(tf.reduce_mean((prediction - y) ** 2, axis=-1))
    assert trace.loss == pytest.approx(float(loss), rel=1e-5)
    for layer, hs in ((first, hs1), (second, hs2)):
        rec = trace.layers[layer.name]
        expected = norms(tape, loss, hs)
        assert rec.grad_norm.shape == (B, T)
        np.testing.assert_allclose(rec.grad_norm, expected, rtol=1e-4, atol=1e-7, err_msg=layer.name)
        assert np.all(rec.grad_norm[~rec.valid] == 0.0), "padded steps must have zero gradient"
        assert np.all(rec.grad_norm[rec.valid] > 0.0)
    assert trace.get(first.name, "grad_norm") is trace.layers[first.name].grad_norm


@pytest.mark.parametrize("return_seq,dynamic", [(False, True), (True, False)], ids=["last-dynamic", "seq-static"])
def test_grad_norm_bidirectional_in_time_order(return_seq, dynamic):
    x = padded_x(seed=15)
    layer = rnnlab.BiRNN(rnnlab.BasicLSTMCell(N), rnnlab.GRUCell(N), return_seq=return_seq, dynamic=dynamic)
    dense = keras.layers.Dense(1)
    inputs = keras.Input((T, D))
    model = keras.Model(inputs, dense(layer(inputs)))
    randomize(layer.cell_fw, 16)
    randomize(layer.cell_bw, 17)
    y = np.random.default_rng(18).normal(size=(B, T, 1) if return_seq else (B, 1)).astype(np.float32)

    trace = rnnlab.probe(model, x, y, loss="mse")
    lengths = ref.tflearn_lengths(x) if dynamic else np.full(B, T)
    wf, wb, wd = weights64(layer.cell_fw), weights64(layer.cell_bw), weights64(dense)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(wf + wb)
        hs_fw, out_fw = tf_unroll(layer.cell_fw, wf, tf.constant(x, tf.float64), lengths)
        hs_bw, out_bw = tf_unroll(layer.cell_bw, wb, tf.constant(ref.reverse_sequence(x, lengths), tf.float64),
                                  lengths)
        out_bw = tf.reverse_sequence(out_bw, lengths, seq_axis=1, batch_axis=0)
        out = tf.concat([out_fw, out_bw], -1)
        if not return_seq:
            out = tf.gather(out, np.maximum(lengths - 1, 0), axis=1, batch_dims=1)
            out = out * tf.constant((lengths > 0)[:, None], tf.float64)
        prediction = out @ wd[0] + wd[1]
        loss = tf.reduce_mean(tf.reduce_mean((prediction - y) ** 2, axis=-1))
    expected_fw = norms(tape, loss, hs_fw)
    expected_bw = ref.reverse_sequence(norms(tape, loss, hs_bw)[:, :, None], lengths)[:, :, 0]  # time order
    np.testing.assert_allclose(trace.layers[f"{layer.name}/fw"].grad_norm, expected_fw, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(trace.layers[f"{layer.name}/bw"].grad_norm, expected_bw, rtol=1e-4, atol=1e-7)
    if not return_seq:  # the backward half of the last output has seen one step: its gradient sits there only
        bw = trace.layers[f"{layer.name}/bw"].grad_norm
        has_steps = lengths > 0
        assert np.all(last_valid(bw[:, :, None], lengths)[has_steps, 0] > 0)
        assert np.count_nonzero(bw) == np.count_nonzero(has_steps)


def test_loss_sources_agree_and_matter():
    x = padded_x(seed=19)
    y = np.random.default_rng(20).normal(size=(B, 1)).astype(np.float32)
    inputs = keras.Input((T, D))
    lstm = rnnlab.LSTM(N)
    model = keras.Model(inputs, keras.layers.Dense(1)(lstm(inputs)))
    by_name = rnnlab.probe(model, x, y, loss="mse").layers[lstm.name].grad_norm
    by_callable = rnnlab.probe(model, x, y, loss=lambda t, p: tf.reduce_mean(tf.square(t - p), -1)).layers[
        lstm.name].grad_norm
    model.compile(loss="mse")
    compiled = rnnlab.probe(model, x, y).layers[lstm.name].grad_norm
    np.testing.assert_allclose(by_callable, by_name, rtol=1e-6)
    np.testing.assert_allclose(compiled, by_name, rtol=1e-6)
    mae = rnnlab.probe(model, x, y, loss="mae").layers[lstm.name].grad_norm  # loss= overrides the compiled one
    assert not np.allclose(mae, by_name)
    assert rnnlab.probe(model, x).layers[lstm.name].grad_norm is None  # no y: no gradients


def test_simple_rnn_gradient_vanishes_faster_than_lstm():
    """Over T=60 steps the gradient reaching step 0 falls off by far more in a SimpleRNN than in an LSTM."""
    time_steps, log_ratios = 60, {"simple_rnn": [], "lstm": []}
    models = {}
    for kind in log_ratios:
        layer = LAYER_CLASSES[kind](16)
        inputs = keras.Input((time_steps, 2))
        models[kind] = (layer, keras.Model(inputs, keras.layers.Dense(1)(layer(inputs))))
    for seed in range(3):  # 3 weight draws (Glorot uniform, zero bias: the layers' defaults) x 8 samples
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(8, time_steps, 2)).astype(np.float32)
        y = rng.normal(size=(8, 1)).astype(np.float32)
        for kind, (layer, model) in models.items():
            matrix, bias = layer.get_weights()
            limit = np.sqrt(6.0 / sum(matrix.shape))
            layer.set_weights([rng.uniform(-limit, limit, matrix.shape).astype(np.float32), np.zeros_like(bias)])
            g = rnnlab.probe(model, x, y, loss="mse").layers[layer.name].grad_norm.astype(np.float64)
            assert np.all(g[:, -1] > 0)
            log_ratios[kind].extend(np.log10(np.maximum(g[:, 0] / g[:, -1], 1e-45)))  # float32 may underflow
    simple, lstm = np.mean(log_ratios["simple_rnn"]), np.mean(log_ratios["lstm"])
    assert np.all(np.isfinite(log_ratios["lstm"])) and lstm < 0  # the LSTM's gradient decays too, but ...
    assert simple < lstm - 5, (simple, lstm)  # ... the SimpleRNN's by at least 5 more orders of magnitude


# ----------------------------------------------------------------- 3. tidy export and files


@functools.lru_cache(maxsize=None)  # built once per module run: the tests below only read it
def small_trace(with_gradients=True):
    x = padded_x(seed=21)
    inputs = keras.Input((T, D))
    h = rnnlab.LSTM(N, return_seq=True, dynamic=True)(inputs)
    h = rnnlab.BiRNN(rnnlab.GRUCell(3), rnnlab.BasicRNNCell(3), dynamic=True)(h)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    y = np.ones((B, 1), np.float32) if with_gradients else None
    return rnnlab.probe(model, x, y, loss="mse")


def test_to_frame_rows_columns_and_round_trip():
    trace = small_trace()
    frame = trace.to_frame()
    assert list(frame.columns) == ["layer", "direction", "sample", "t", "unit", "quantity", "value", "valid"]
    expected_rows = sum(v.size for rec in trace.layers.values() for v in rec.quantities.values())
    expected_rows += sum(rec.grad_norm.size for rec in trace.layers.values())
    assert len(frame) == expected_rows
    for name, rec in trace.layers.items():
        rows = frame[frame["layer"] == name]
        assert set(rows["direction"]) == {rec.direction or ""}
        for q in [*rec.quantities, "grad_norm"]:
            part = rows[rows["quantity"] == q]
            values = trace.get(name, q)
            rebuilt = np.full(values.shape if values.ndim == 3 else (*values.shape, 1), np.nan)
            unit = part["unit"].to_numpy() if q != "grad_norm" else np.zeros(len(part), int)
            if q == "grad_norm":
                assert set(part["unit"]) == {-1}
            rebuilt[part["sample"].to_numpy(), part["t"].to_numpy(), unit] = part["value"].to_numpy()
            np.testing.assert_allclose(rebuilt.reshape(values.shape), values, err_msg=f"{name} {q}")
            np.testing.assert_array_equal(part["valid"].to_numpy(), rec.valid[part["sample"], part["t"]])
    # a trace without gradients has no grad_norm rows
    assert "grad_norm" not in set(small_trace(with_gradients=False).to_frame()["quantity"])


@pytest.mark.parametrize("with_gradients", [True, False])
def test_save_load_round_trip(tmp_path, with_gradients):
    trace = small_trace(with_gradients)
    path = tmp_path / "trace.npz"
    trace.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["trace.npz"]  # no temporary file left behind
    loaded = rnnlab.Trace.load(path)
    assert loaded.layer_names == trace.layer_names
    assert loaded.loss == trace.loss
    np.testing.assert_array_equal(loaded.output, trace.output)
    for name, rec in trace.layers.items():
        got = loaded.layers[name]
        assert (got.name, got.kind, got.direction) == (rec.name, rec.kind, rec.direction)
        assert list(got.quantities) == list(rec.quantities)
        for q in rec.quantities:
            np.testing.assert_array_equal(got.quantities[q], rec.quantities[q])
            assert got.quantities[q].dtype == rec.quantities[q].dtype
        for attr in ("x", "valid", "seq_len"):
            np.testing.assert_array_equal(getattr(got, attr), getattr(rec, attr))
        if with_gradients:
            np.testing.assert_array_equal(got.grad_norm, rec.grad_norm)
        else:
            assert got.grad_norm is None
    pd.testing.assert_frame_equal(loaded.to_frame(), trace.to_frame())


# ----------------------------------------------------------------- 4. bad input


@pytest.fixture
def gru_model():
    inputs = keras.Input((T, D))
    layer = rnnlab.GRU(N, return_seq=True, name="enc")
    return keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))


def test_error_model_without_rnnlab_layers():
    model = keras.Sequential([keras.Input((T, D)), keras.layers.LSTM(4)])  # Keras's own LSTM
    with pytest.raises(rnnlab.RnnlabError, match=r"no rnnlab recurrent layers.*Sequential"):
        rnnlab.probe(model, padded_x())


def test_error_unknown_layer_names(gru_model):
    with pytest.raises(rnnlab.RnnlabError, match=r"'nope'.*recurrent layers are: enc"):
        rnnlab.probe(gru_model, padded_x(), layers=["nope"])
    trace = rnnlab.probe(gru_model, padded_x())
    with pytest.raises(rnnlab.RnnlabError, match=r"Unknown layer 'nope'.*enc"):
        trace.get("nope", "h")


def test_error_unknown_quantity(gru_model):
    trace = rnnlab.probe(gru_model, padded_x())
    with pytest.raises(rnnlab.RnnlabError, match=r"quantity 'forget' for gru layer 'enc'.*reset, update"):
        trace.get("enc", "forget")
    with pytest.raises(rnnlab.RnnlabError, match=r"'grad_norm'.*probe with y"):
        trace.get("enc", "grad_norm")


@pytest.mark.parametrize("bad,match", [
    (np.zeros((B, T, D + 1), np.float32), r"`x` of shape \(5, 7, 4\) does not fit.*expected 3, received 4"),
    (np.zeros((B, T + 2, D), np.float32), r"`x` of shape \(5, 9, 3\) does not fit.*expected 7, received 9"),
    (np.zeros((B, T), np.float32), r"`x` must be 3-D.*\(5, 7\)"),
    (np.zeros((B, T, D), np.int64), r"`x` must hold floating-point data.*int64"),
], ids=["wrong-D", "wrong-T", "2-D", "int"])
def test_error_x_does_not_fit(gru_model, bad, match):
    with pytest.raises(rnnlab.RnnlabError, match=match):
        rnnlab.probe(gru_model, bad)


def test_any_time_steps_accepted_when_the_model_has_none():
    inputs = keras.Input((None, D))
    layer = rnnlab.LSTM(N, return_seq=True)
    model = keras.Model(inputs, layer(inputs))
    for time_steps in (4, 9):
        assert rnnlab.probe(model, padded_x(time_steps=time_steps)).get(layer.name, "c").shape == (B, time_steps, N)
    with pytest.raises(rnnlab.RnnlabError, match=r"expected 3, received 2"):
        rnnlab.probe(model, np.ones((B, 4, 2), np.float32))


def test_error_intervention_on_missing_gate_or_units(gru_model):
    with pytest.raises(rnnlab.RnnlabError, match=r"quantity 'forget'.*'enc' \(gru\).*reset, update, candidate, h"):
        rnnlab.probe(gru_model, padded_x(), interventions=[rnnlab.Intervention("enc", "forget", 1.0)])
    with pytest.raises(rnnlab.RnnlabError, match=r"units \(1, 4\) out of range.*4 units.*0\.\.3"):
        rnnlab.probe(gru_model, padded_x(), interventions=[rnnlab.Intervention("enc", "h", 0.0, units=(1, 4))])
    with pytest.raises(rnnlab.RnnlabError, match=r"unknown layer 'dec'.*enc"):
        rnnlab.probe(gru_model, padded_x(), interventions=[rnnlab.Intervention("dec", "h", 0.0)])


def test_error_gradients_without_loss(gru_model):
    with pytest.raises(rnnlab.RnnlabError, match=r"need a loss.*`loss=`"):
        rnnlab.probe(gru_model, padded_x(), np.zeros((B, T, 1), np.float32))


def test_a_layer_called_twice_is_recorded_once_per_call():
    import keras

    a_in, b_in = rnnlab.input_data(shape=[None, T, D]), rnnlab.input_data(shape=[None, T, D])
    encode_a = rnnlab.lstm(a_in, N, return_seq=True, scope="enc")
    encode_b = rnnlab.lstm(b_in, N, return_seq=True, scope="enc", reuse=True)  # the same layer object
    summed = keras.layers.Dense(1)(keras.layers.Flatten()(keras.layers.Add()([encode_a, encode_b])))
    model = keras.Model([a_in, b_in], summed)
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    xa, xb = (rng.normal(size=(2, T, D)).astype(np.float32) for _ in range(2))
    trace = rnnlab.probe(model, [xa, xb], np.zeros((2, 1), np.float32))
    assert set(trace.layers) == {"enc", "enc#1"}
    layer = model.get_layer("enc")
    np.testing.assert_allclose(trace.get("enc", "h"), layer(xa), atol=1e-6)
    np.testing.assert_allclose(trace.get("enc#1", "h"), layer(xb), atol=1e-6)
    assert trace.layers["enc"].grad_norm.shape == (2, T) and trace.layers["enc#1"].grad_norm.shape == (2, T)


def test_a_layer_called_twice_has_gradients_through_time_for_each_call():
    """A shared encoder on two inputs of different lengths: ||dL/dh_t|| of each call, against a float64
    hand-unrolled model (tf_unroll above)."""
    import keras

    time_b = T + 3  # the second call sees longer sequences
    a_in, b_in = keras.Input((T, D)), keras.Input((time_b, D))
    encoder = rnnlab.LSTM(N, dynamic=True, forget_bias=0.4)
    dense = keras.layers.Dense(1)
    model = keras.Model([a_in, b_in], dense(keras.layers.Concatenate()([encoder(a_in), encoder(b_in)])))
    randomize(encoder, 31)
    model.compile(loss="mse")
    xa, xb = padded_x(seed=32), np.random.default_rng(33).normal(size=(B, time_b, D)).astype(np.float32)
    xb[0, 5:] = 0.0  # one padded row in the second input too
    y = np.random.default_rng(34).normal(size=(B, 1)).astype(np.float32)

    trace = rnnlab.probe(model, [xa, xb], y)
    w, wd = weights64(encoder), weights64(dense)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(w)
        lasts, hs_per_call = [], []
        for x in (xa, xb):
            lengths = ref.tflearn_lengths(x)
            hs, out = tf_unroll(encoder.cell, w, tf.constant(x, tf.float64), lengths)
            index = np.maximum(lengths - 1, 0)
            lasts.append(tf.gather(out, index, axis=1, batch_dims=1) * tf.constant((lengths > 0)[:, None], tf.float64))
            hs_per_call.append(hs)
        prediction = tf.concat(lasts, axis=1) @ wd[0] + wd[1]
        loss = tf.reduce_mean(tf.reduce_mean((prediction - y) ** 2, axis=-1))
    assert trace.loss == pytest.approx(float(loss), rel=1e-5)
    for name, hs in (("enc", hs_per_call[0]), ("enc#1", hs_per_call[1])):
        name = name.replace("enc", encoder.name)
        rec = trace.layers[name]
        assert rec.grad_norm.shape == (B, len(hs))
        np.testing.assert_allclose(rec.grad_norm, norms(tape, loss, hs), rtol=1e-4, atol=1e-7, err_msg=name)
        assert np.all(rec.grad_norm[~rec.valid] == 0.0) and np.all(rec.grad_norm[rec.valid] > 0.0)
