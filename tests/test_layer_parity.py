"""Parity: rnnlab's layers (float32, TF) against tests/reference.py (float64, NumPy).

The reference is written from SPEC.md alone. Each case builds an rnnlab layer,
reads its weights back with ``get_weights()`` (TFLearn layout), feeds the same
weights and inputs to the reference, and compares every returned array to
ATOL (plus an equal RTOL for the few cases whose values grow large, e.g. relu
with U[0, 1) kernels).

Sections:
1. reference self-checks (hand-computed values; no rnnlab needed),
2. the main grid: layer kind x API x dynamic mode x return_seq x return_state x
   initial_state x activation x inner_activation x weights_init x weight source,
   as a pairwise covering design (every pair of levels of any two factors
   appears in at least one case) instead of the full product,
3. every activation name, bias=False, forget_bias, set_weights, dropout at
   inference, stacking, None time steps, explicit seq_len, exact dynamic-mode
   zeros,
4. bidirectional_rnn (mixed cell kinds; pairwise grid),
5. weights_init statistics and initial biases.
"""

from __future__ import annotations

import itertools
import math
import os
import random

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnlab  # noqa: E402
from rnnlab.layers import fast_paths  # noqa: E402

try:  # tests/ as a package or as a plain directory on sys.path
    from tests import reference as ref
except ImportError:  # pragma: no cover
    import reference as ref

ATOL = 1e-5
RTOL = 1e-5
B, T, D, N = 6, 7, 3, 4  # batch, time, input_dim, units

KINDS = ("simple_rnn", "lstm", "gru")
N_KERNEL_BLOCKS = {"simple_rnn": 1, "lstm": 4, "gru": 3}  # gates + candidate for GRU


def assert_close(actual, expected, what=""):
    actual = np.asarray(actual)
    assert actual.shape == np.shape(expected), f"{what}: shape {actual.shape} != {np.shape(expected)}"
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=what)


# ----------------------------------------------------------------- data


def padded_batch(time_steps: int = T, seed: int = 0) -> np.ndarray:
    """[6, T, D] float32 with one row per padding situation (T >= 5).

    row 0: full length (no zero step)              -> length T
    row 1: all zeros                               -> length 0
    row 2: [a, 0, b, c, 0...] interior zero step   -> length 3 (a, 0, b computed; c dropped)
    row 3: post-padded, length 4, some single features exactly 0 (still counted)
    row 4: length 1
    row 5: [a, b, 0, 0, ..., e] zero run then a real last step -> length 3
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6, time_steps, D)).astype(np.float32)
    x[1] = 0.0
    x[2, 1] = 0.0
    x[2, 4:] = 0.0
    x[3, 4:] = 0.0
    x[3, 1, 0] = 0.0
    x[3, 2, 1:] = 0.0
    x[4, 1:] = 0.0
    x[5, 2:-1] = 0.0
    return x


def expected_tflearn_lengths(time_steps: int = T) -> np.ndarray:
    return np.array([time_steps, 0, 3, 4, 1, 3])


SEQ_LEN_OVERRIDE = np.array([7, 0, 5, 2, 1, 6], dtype=np.int32)  # differs from the inferred lengths


# ------------------------------------------------------------ activations

def scaled_tanh_tf(x):
    """A user callable (TF side)."""
    return 1.5 * keras.ops.tanh(0.5 * x)


def scaled_tanh_np(x):
    return 1.5 * np.tanh(0.5 * x)


CALLABLE_TWINS = {scaled_tanh_tf: scaled_tanh_np}


def ref_act(activation):
    return CALLABLE_TWINS.get(activation, activation)


def label(value) -> str:
    if callable(value):
        return "callable"
    return str(value)


# ===================================================== 1. reference self-checks


def _sig(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def test_reference_activation_values():
    x = np.array([-10.0, -3.0, -1.0, 0.0, 1.0, 10.0])
    np.testing.assert_allclose(ref.hard_sigmoid(x), [0.0, 0.0, 0.3, 0.5, 0.7, 1.0])
    assert ref.gelu(np.array(1.0)) == pytest.approx(0.8411919906, abs=1e-9)  # tanh form (erf form: 0.84134)
    np.testing.assert_allclose(ref.leaky_relu(x)[:3], [-1.0, -0.3, -0.1])
    np.testing.assert_allclose(ref.relu6(x)[-1], 6.0)
    np.testing.assert_allclose(ref.elu(np.array([-1.0])), [math.exp(-1) - 1])
    np.testing.assert_allclose(ref.selu(np.array([1.0])), [1.0507009873554805])
    np.testing.assert_allclose(ref.softmax(np.array([[0.0, math.log(3.0)]])), [[0.25, 0.75]])
    np.testing.assert_allclose(ref.softplus(np.array([0.0])), [math.log(2.0)])
    np.testing.assert_allclose(ref.softsign(np.array([3.0])), [0.75])
    assert ref.get_activation("ReLU") is ref.relu  # tried as given, then lower-cased
    assert ref.get_activation("prelu")(np.array([-2.0])) == 0.0  # fresh PReLU == ReLU


def test_reference_lstm_one_unit_by_hand():
    # D = 1, n = 1: Matrix [2, 4] (row 0: x, row 1: h), columns i, j, f, o.
    matrix = np.array([[0.5, 1.0, -1.0, 2.0], [0.3, -0.2, 0.4, 0.1]])
    bias = np.array([0.0, 0.1, 0.0, -0.5])
    x = np.array([[[1.0], [2.0]]])  # [1, 2, 1]
    out, (c, h) = ref.lstm(x, [matrix, bias], 1, forget_bias=1.0, return_seq=True, return_state=True)
    # step 0 from c = h = 0
    i, j, f, o = 0.5, 1.1, -1.0, 1.5
    c0 = 0.0 * _sig(f + 1.0) + _sig(i) * math.tanh(j)
    h0 = math.tanh(c0) * _sig(o)
    # step 1
    i, j, f, o = 1.0 + 0.3 * h0, 2.0 + 0.1 - 0.2 * h0, -2.0 + 0.4 * h0, 4.0 - 0.5 + 0.1 * h0
    c1 = c0 * _sig(f + 1.0) + _sig(i) * math.tanh(j)
    h1 = math.tanh(c1) * _sig(o)
    np.testing.assert_allclose(out[0, :, 0], [h0, h1], atol=1e-12)
    np.testing.assert_allclose([c[0, 0], h[0, 0]], [c1, h1], atol=1e-12)


def test_reference_gru_one_unit_by_hand_reset_before_matmul():
    # Wg [2, 2] columns r, u; Wc [2, 1]; start from h = 0.5 via initial_state.
    wg = np.array([[0.2, -0.3], [0.7, 0.4]])
    bg = np.array([1.0, 1.0])
    wc = np.array([[0.6], [-0.9]])
    bc = np.array([0.05])
    out, h = ref.gru(np.array([[[2.0]]]), [wg, bg, wc, bc], 1, initial_state=np.array([[0.5]]), return_state=True)
    r = _sig(2.0 * 0.2 + 0.5 * 0.7 + 1.0)
    u = _sig(2.0 * -0.3 + 0.5 * 0.4 + 1.0)
    cand = math.tanh(2.0 * 0.6 + (r * 0.5) * -0.9 + 0.05)
    expected = u * 0.5 + (1.0 - u) * cand
    assert out[0, 0] == pytest.approx(expected, abs=1e-12)
    assert h[0, 0] == pytest.approx(expected, abs=1e-12)


def test_reference_simple_rnn_by_hand():
    out = ref.simple_rnn(np.array([[[1.0], [-1.0]]]), [np.array([[2.0], [0.5]]), np.array([0.25])], 1,
                         activation="tanh", return_seq=True)
    h0 = math.tanh(2.0 + 0.25)
    h1 = math.tanh(-2.0 + 0.5 * h0 + 0.25)
    np.testing.assert_allclose(out[0, :, 0], [h0, h1], atol=1e-12)


def test_reference_dynamic_mode_semantics():
    x = padded_batch().astype(np.float64)
    np.testing.assert_array_equal(ref.tflearn_lengths(x), expected_tflearn_lengths())
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=(D + N, 4 * N)), rng.normal(size=4 * N)]
    init = (rng.normal(size=(B, N)), rng.normal(size=(B, N)))
    seq, (c, h) = ref.lstm(x, weights, N, return_seq=True, return_state=True, initial_state=init, dynamic=True)
    last = ref.lstm(x, weights, N, initial_state=init, dynamic=True)
    full = ref.lstm(x, weights, N, return_seq=True, initial_state=init)  # static: every step computed
    lengths = expected_tflearn_lengths()
    for b, length in enumerate(lengths):
        np.testing.assert_array_equal(seq[b, length:], 0.0)  # exactly zero past the length
        np.testing.assert_allclose(seq[b, :length], full[b, :length])  # same as static before it
        if length == 0:
            np.testing.assert_array_equal(last[b], 0.0)
            np.testing.assert_array_equal(c[b], init[0][b])
            np.testing.assert_array_equal(h[b], init[1][b])
        else:
            np.testing.assert_allclose(last[b], seq[b, length - 1])
            np.testing.assert_allclose(h[b], seq[b, length - 1])
    # row 2 is [a, 0, b, c, 0, ...]: the interior zero step is computed, c is dropped
    assert np.abs(seq[2, 1]).max() > 0 and np.abs(seq[2, 3]).max() == 0


def test_reference_bidirectional_memoryless_cells():
    # Zero recurrent rows: every output depends on its own step only, so the
    # backward output at step t is f(x_t) wherever t < length.
    rng = np.random.default_rng(2)
    x = padded_batch().astype(np.float64)
    w_in = rng.normal(size=(D, N))
    weights = [np.vstack([w_in, np.zeros((N, N))]), np.zeros(N)]
    cell_fw = ref.SimpleRNNCell(weights, N, "tanh")
    cell_bw = ref.SimpleRNNCell(weights, N, "tanh")
    out = ref.bidirectional_rnn(x, cell_fw, cell_bw, return_seq=True, dynamic=True)
    memoryless = np.tanh(x @ w_in)
    mask = (np.arange(T)[None, :] < expected_tflearn_lengths()[:, None])[..., None]
    np.testing.assert_allclose(out[..., :N], np.where(mask, memoryless, 0.0))
    np.testing.assert_allclose(out[..., N:], np.where(mask, memoryless, 0.0))
    # reverse_sequence reverses only the first length steps
    seq = np.arange(5.0)[None, :, None]
    np.testing.assert_array_equal(ref.reverse_sequence(seq, np.array([3]))[0, :, 0], [2, 1, 0, 3, 4])


def test_reference_bidirectional_last_step_backward_sees_one_step():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, D))
    wf = [rng.normal(size=(D + N, N)), rng.normal(size=N)]
    wb = [rng.normal(size=(D + N, 4 * N)), rng.normal(size=4 * N)]
    out, sfw, (cb, hb) = ref.bidirectional_rnn(
        x, ref.SimpleRNNCell(wf, N), ref.LSTMCell(wb, N), return_states=True
    )
    np.testing.assert_allclose(out[:, :N], ref.simple_rnn(x, wf, N, activation="tanh"))  # cell default: tanh
    np.testing.assert_allclose(out[:, N:], ref.lstm(x[:, -1:], wb, N))  # backward half: last step only
    np.testing.assert_allclose(hb, ref.lstm(x[:, ::-1], wb, N))  # state_bw: after reading step 0


# ============================================================ rnnlab helpers


def layer_class(kind):
    return {"simple_rnn": rnnlab.SimpleRNN, "lstm": rnnlab.LSTM, "gru": rnnlab.GRU}[kind]


def layer_function(kind):
    return {"simple_rnn": rnnlab.simple_rnn, "lstm": rnnlab.lstm, "gru": rnnlab.gru}[kind]


def n_state_parts(kind):
    return 2 if kind == "lstm" else 1


def weight_count(kind, bias=True):
    count = 4 if kind == "gru" else 2
    return count if bias else count // 2


def expected_weight_shapes(kind, d, n, bias=True):
    if kind == "gru":
        shapes = [(d + n, 2 * n), (2 * n,), (d + n, n), (n,)]
    else:
        k = N_KERNEL_BLOCKS[kind]
        shapes = [(d + n, k * n), (k * n,)]
    return shapes if bias else shapes[0::2]


def random_weights_like(weights, seed, scale=0.5):
    rng = np.random.default_rng(seed)
    return [(scale * rng.normal(size=np.shape(w))).astype(np.float32) for w in weights]


def make_initial_state(kind, batch, n, seed):
    rng = np.random.default_rng(seed)
    parts = [rng.normal(size=(batch, n)).astype(np.float32) for _ in range(n_state_parts(kind))]
    return tuple(parts) if kind == "lstm" else parts[0]


def flat(values):
    return [np.asarray(v) for v in keras.tree.flatten(values)]


def reference_layer(kind, x, weights, n, options, **call):
    """Runs the reference for one layer kind with rnnlab-style options."""
    kw = dict(bias=options.get("bias", True), **call)
    if "activation" in options:
        kw["activation"] = ref_act(options["activation"])
    if kind != "simple_rnn" and "inner_activation" in options:
        kw["inner_activation"] = ref_act(options["inner_activation"])
    if kind == "lstm" and "forget_bias" in options:
        kw["forget_bias"] = options["forget_bias"]
    return getattr(ref, kind)(x.astype(np.float64), weights, n, **kw)


def rnn_layers_of(model):
    layers = [layer for layer in model.layers if layer.weights]
    assert len(layers) == 1, f"expected one layer with weights, got {[l.name for l in layers]}"
    return layers[0]


def run_rnnlab(kind, api, x, n, options, *, return_seq, return_state, initial_state, seq_len, dynamic,
               weights=None):
    """Builds the layer through `api`, optionally set_weights(weights), runs it on x.

    Returns (flat list of output arrays, get_weights()).
    api: 'functional' (rnnlab.input_data + rnnlab.<kind>, static T), 'functional_none_T'
    ([None, None, D] input), 'class_eager' (layer called on tensors), 'class_in_model'
    (layer class inside a keras functional model).
    """
    layer_kw = dict(options, return_seq=return_seq, return_state=return_state, dynamic=dynamic)
    state_parts = [] if initial_state is None else flat(initial_state)

    if api == "class_eager":
        layer = layer_class(kind)(n, **layer_kw)
        call_kw = {}
        if initial_state is not None:
            parts = [tf.constant(p) for p in state_parts]
            call_kw["initial_state"] = tuple(parts) if kind == "lstm" else parts[0]
        if seq_len is not None:
            call_kw["seq_len"] = seq_len
        layer(tf.constant(x), **call_kw)  # builds
        if weights is not None:
            layer.set_weights(weights)
        return flat(layer(tf.constant(x), **call_kw)), layer.get_weights()

    time_steps = None if api == "functional_none_T" else x.shape[1]
    if api == "class_in_model":
        inp = keras.Input(shape=(time_steps, x.shape[2]))
    else:
        inp = rnnlab.input_data(shape=[None, time_steps, x.shape[2]])
    inputs, feeds = [inp], [x]
    call_kw = {}
    if initial_state is not None:
        state_inputs = [keras.Input(shape=(n,)) for _ in state_parts]
        inputs += state_inputs
        feeds += state_parts
        call_kw["initial_state"] = tuple(state_inputs) if kind == "lstm" else state_inputs[0]
    if seq_len is not None:
        len_input = keras.Input(shape=(), dtype="int32")
        inputs.append(len_input)
        feeds.append(np.asarray(seq_len, dtype=np.int32))
        call_kw["seq_len"] = len_input
    if api == "class_in_model":
        out = layer_class(kind)(n, **layer_kw)(inp, **call_kw)
    else:
        out = layer_function(kind)(inp, n, **layer_kw, **call_kw)
    model = keras.Model(inputs, keras.tree.flatten(out))
    layer = rnn_layers_of(model)
    if weights is not None:
        layer.set_weights(weights)
    return flat(model(feeds)), layer.get_weights()


# ================================================== 2. the main grid (pairwise)


def pairwise_cases(factors: dict, seed: int = 0, candidates: int = 20) -> list[dict]:
    """A covering design: every pair of levels of any two factors appears in some case.

    Greedy (AETG-style): each new case starts from an uncovered pair, then fills
    the other factors one at a time with the level that covers the most new
    pairs; the best of `candidates` tries is kept. Deterministic for a seed.
    """
    names = list(factors)
    sizes = {k: len(v) for k, v in factors.items()}
    pairs = list(itertools.combinations(names, 2))
    uncovered = {(a, i, b, j) for a, b in pairs for i in range(sizes[a]) for j in range(sizes[b])}
    rng = random.Random(seed)
    rows = []
    while uncovered:
        a0, i0, b0, j0 = min(uncovered)
        best, best_gain = None, -1
        for _ in range(candidates):
            row = {a0: i0, b0: j0}
            rest = [k for k in names if k not in row]
            rng.shuffle(rest)
            for k in rest:
                gains = []
                for level in range(sizes[k]):
                    gain = sum(
                        ((f, row[f], k, level) if names.index(f) < names.index(k) else (k, level, f, row[f]))
                        in uncovered
                        for f in row
                    )
                    gains.append((gain, rng.random(), level))
                row[k] = max(gains)[2]
            gain = sum((a, row[a], b, row[b]) in uncovered for a, b in pairs)
            if gain > best_gain:
                best, best_gain = row, gain
        rows.append(best)
        uncovered -= {(a, best[a], b, best[b]) for a, b in pairs}
    return [{k: factors[k][row[k]] for k in names} for row in rows]


GRID_FACTORS = {
    "kind": list(KINDS),
    "api": ["functional", "functional_none_T", "class_eager", "class_in_model"],
    "mode": ["static", "dynamic", "dynamic_seq_len"],
    "return_seq": [False, True],
    "return_state": [False, True],
    "initial_state": [False, True],
    "activation": ["tanh", "sigmoid", "relu", "hard_sigmoid", "gelu", scaled_tanh_tf],
    "inner_activation": ["sigmoid", "hard_sigmoid", "tanh"],
    "weights_init": [None, "zeros", "uniform", "uniform_scaling", "normal", "truncated_normal", "xavier",
                     "variance_scaling"],
    "weights": ["init", "set_random"],
}
GRID = pairwise_cases(GRID_FACTORS)


def case_id(case: dict) -> str:
    return "-".join(
        f"{k}={label(v)}" if isinstance(v, bool) or v is None else label(v) for k, v in case.items()
    )


def check_layer_case(kind, api, mode, return_seq, return_state, initial_state, options, weights_source,
                     x=None, seed=0, n=N, scale=0.5):
    x = padded_batch() if x is None else x
    dynamic = mode != "static"
    seq_len = SEQ_LEN_OVERRIDE if mode == "dynamic_seq_len" else None
    init = make_initial_state(kind, x.shape[0], n, seed=seed + 100) if initial_state else None
    new_weights = None
    if weights_source == "set_random":
        shapes = expected_weight_shapes(kind, x.shape[2], n, options.get("bias", True))
        new_weights = random_weights_like([np.zeros(s) for s in shapes], seed=seed + 200, scale=scale)
    got, weights = run_rnnlab(kind, api, x, n, options, return_seq=return_seq, return_state=return_state,
                              initial_state=init, seq_len=seq_len, dynamic=dynamic, weights=new_weights)
    assert [w.shape for w in weights] == expected_weight_shapes(kind, x.shape[2], n, options.get("bias", True))
    if new_weights is not None:
        for w_got, w_set in zip(weights, new_weights):
            np.testing.assert_array_equal(w_got, w_set)
    expected = reference_layer(kind, x, weights, n, options, return_seq=return_seq, return_state=return_state,
                               initial_state=init, dynamic=dynamic, seq_len=seq_len)
    expected = flat(expected)
    assert len(got) == len(expected), f"{len(got)} arrays returned, expected {len(expected)}"
    for index, (g, e) in enumerate(zip(got, expected)):
        assert_close(g, e, what=f"returned array {index}")
    return got, expected


@pytest.mark.parametrize("case", GRID, ids=[f"{i:02d}-{case_id(c)}" for i, c in enumerate(GRID)])
def test_layer_parity_grid(case):
    kind = case["kind"]
    options = {"activation": case["activation"], "weights_init": case["weights_init"]}
    if kind != "simple_rnn":
        options["inner_activation"] = case["inner_activation"]
    check_layer_case(kind, case["api"], case["mode"], case["return_seq"], case["return_state"],
                     case["initial_state"], options, case["weights"], seed=GRID.index(case))


# The same LSTM cases on the fused kernel (rnnlab.layers.fast_paths, path "block_lstm"), with the only activations
# it computes; every other factor of each case is kept.
BLOCK_LSTM_GRID = [dict(c, activation="tanh", inner_activation="sigmoid") for c in GRID if c["kind"] == "lstm"]


def count_block_lstm_calls(monkeypatch) -> list:
    """Every later call of the fused LSTM path appends to the returned list."""
    calls, original = [], fast_paths.block_lstm

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(fast_paths, "block_lstm", counted)
    return calls


@pytest.mark.parametrize("case", BLOCK_LSTM_GRID, ids=[f"{i:02d}-{case_id(c)}" for i, c in enumerate(BLOCK_LSTM_GRID)])
def test_layer_parity_grid_on_the_fused_lstm_kernel(case, monkeypatch):
    calls = count_block_lstm_calls(monkeypatch)
    options = {"activation": "tanh", "inner_activation": "sigmoid", "weights_init": case["weights_init"]}
    with fast_paths.force_path("block_lstm"):
        check_layer_case("lstm", case["api"], case["mode"], case["return_seq"], case["return_state"],
                         case["initial_state"], options, case["weights"], seed=BLOCK_LSTM_GRID.index(case))
    assert calls, "the fused kernel did not run"


def test_grid_is_pairwise_and_small():
    names = list(GRID_FACTORS)
    for a, b in itertools.combinations(names, 2):
        seen = {(label(c[a]), label(c[b])) for c in GRID}
        assert len(seen) == len(GRID_FACTORS[a]) * len(GRID_FACTORS[b]), (a, b)
    assert len(GRID) <= 70


# ============================================ 3. focused checks, one concern each

ACTIVATION_NAMES = ["linear", "tanh", "sigmoid", "softmax", "softplus", "softsign", "relu", "relu6",
                    "leaky_relu", "leakyrelu", "prelu", "elu", "selu", "hard_sigmoid", "gelu",
                    "TANH", "Hard_Sigmoid"]


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
@pytest.mark.parametrize("kind, argument", [("simple_rnn", "activation"), ("lstm", "activation"),
                                            ("gru", "inner_activation")])
def test_every_activation_name(kind, argument, name):
    """Each name as SimpleRNN / LSTM activation and as GRU inner_activation (the gates).

    Random weights with std 0.2, so that unbounded functions (linear, softplus, selu, ...)
    stay finite over T steps. Static mode: dynamic mode is the grid's business.
    """
    options = {argument: name}
    check_layer_case(kind, "class_eager", "static", True, True, True, options, "set_random", seed=7, scale=0.2)


def test_crelu_rejected_inside_a_cell():
    with pytest.raises(ValueError, match="crelu"):
        layer = rnnlab.SimpleRNN(N, activation="crelu")
        layer(tf.constant(padded_batch()))


@pytest.mark.parametrize("api", ["functional", "class_eager"])
@pytest.mark.parametrize("kind", KINDS)
def test_bias_false(kind, api):
    options = {"bias": False, "activation": "tanh"}
    check_layer_case(kind, api, "dynamic", True, False, False, options, "set_random", seed=11)


@pytest.mark.parametrize("forget_bias", [0.0, 1.0, 2.5, -1.5])
def test_lstm_forget_bias(forget_bias):
    layer = rnnlab.LSTM(N, forget_bias=forget_bias, return_seq=True)
    layer(tf.constant(padded_batch()))
    np.testing.assert_array_equal(layer.get_weights()[1], 0.0)  # added at run time, not stored in Bias
    options = {"forget_bias": forget_bias}
    check_layer_case("lstm", "class_eager", "static", True, True, False, options, "init", seed=12)
    check_layer_case("lstm", "functional", "dynamic", False, True, True, options, "set_random", seed=13)


@pytest.mark.parametrize("kind", KINDS)
def test_weight_layout_and_set_weights(kind):
    """TFLearn layout: shapes in order, set_weights round trip, and outputs from those arrays."""
    d, n = 3, 5
    x = padded_batch(time_steps=5, seed=21)
    layer = layer_class(kind)(n, return_seq=True)
    layer(tf.constant(x))
    assert [w.shape for w in layer.get_weights()] == expected_weight_shapes(kind, d, n)
    new = random_weights_like(layer.get_weights(), seed=22, scale=0.8)
    layer.set_weights(new)
    for got, want in zip(layer.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    options = {"activation": "tanh"} if kind != "simple_rnn" else {}
    expected = reference_layer(kind, x, new, n, options, return_seq=True)
    assert_close(layer(tf.constant(x)), expected, "outputs from set_weights arrays")


@pytest.mark.parametrize("dropout", [0.5, (0.8, 0.6)])
@pytest.mark.parametrize("kind", KINDS)
def test_dropout_is_identity_at_inference(kind, dropout):
    x = padded_batch()
    layer = layer_class(kind)(N, dropout=dropout, return_seq=True, dynamic=True)
    got = layer(tf.constant(x), training=False)
    expected = reference_layer(kind, x, layer.get_weights(), N, {}, return_seq=True, dynamic=True)
    assert_close(got, expected)


def test_stacked_dynamic_layers_in_sequential():
    """keras.Sequential of layer classes: GRU(return_seq, dynamic) -> LSTM(dynamic)."""
    x = padded_batch()
    model = keras.Sequential([
        keras.Input(shape=(T, D)),
        rnnlab.GRU(N, return_seq=True, dynamic=True),
        rnnlab.LSTM(5, dynamic=True),
    ])
    gru_layer, lstm_layer = [layer for layer in model.layers if layer.weights]
    lstm_layer.set_weights(random_weights_like(lstm_layer.get_weights(), seed=31))
    got = model(x)
    hidden = ref.gru(x, gru_layer.get_weights(), N, return_seq=True, dynamic=True)
    # the second layer infers its lengths from the first one's outputs (zero past each length)
    np.testing.assert_array_equal(ref.tflearn_lengths(hidden), expected_tflearn_lengths())
    expected = ref.lstm(hidden, lstm_layer.get_weights(), 5, dynamic=True)
    assert_close(got, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_none_time_steps_accepts_several_lengths(kind):
    inp = rnnlab.input_data(shape=[None, None, D])
    model = keras.Model(inp, layer_function(kind)(inp, N, return_seq=True, dynamic=True))
    layer = rnn_layers_of(model)
    layer.set_weights(random_weights_like(layer.get_weights(), seed=41))
    for time_steps in (5, 8):
        x = padded_batch(time_steps=time_steps, seed=time_steps)
        expected = reference_layer(kind, x, layer.get_weights(), N, {}, return_seq=True, dynamic=True)
        assert_close(model(x), expected, f"T={time_steps}")


@pytest.mark.parametrize("kind", KINDS)
def test_explicit_seq_len_on_unpadded_data(kind):
    """seq_len overrides inference: data with no zero step at all still stops at seq_len."""
    x = np.random.default_rng(51).normal(size=(B, T, D)).astype(np.float32)
    seq_len = np.array([7, 0, 3, 1, 5, 2], dtype=np.int32)
    layer = layer_class(kind)(N, return_seq=True, return_state=True, dynamic=True)
    layer(tf.constant(x), seq_len=seq_len)
    layer.set_weights(random_weights_like(layer.get_weights(), seed=52))
    got = flat(layer(tf.constant(x), seq_len=seq_len))
    expected = flat(reference_layer(kind, x, layer.get_weights(), N, {}, return_seq=True, return_state=True,
                                    dynamic=True, seq_len=seq_len))
    for g, e in zip(got, expected):
        assert_close(g, e)
    for b, length in enumerate(seq_len):
        np.testing.assert_array_equal(got[0][b, length:], 0.0)
    # without seq_len, the same unpadded data runs every step
    full = layer(tf.constant(x))
    assert_close(full[0], reference_layer(kind, x, layer.get_weights(), N, {}, return_seq=True, dynamic=True))


@pytest.mark.parametrize("kind", KINDS)
def test_dynamic_zeros_and_states_are_exact(kind):
    """Past each length: output exactly 0; zero-length rows: output 0 and the initial state itself."""
    x = padded_batch()
    init = make_initial_state(kind, B, N, seed=61)
    init_tf = tuple(tf.constant(p) for p in flat(init)) if kind == "lstm" else tf.constant(init)
    layer = layer_class(kind)(N, return_seq=True, return_state=True, dynamic=True)
    layer(tf.constant(x), initial_state=init_tf)
    layer.set_weights(random_weights_like(layer.get_weights(), seed=62))
    seq, *state = flat(layer(tf.constant(x), initial_state=init_tf))
    last_layer = layer_class(kind)(N, dynamic=True)
    last_layer(tf.constant(x))
    last_layer.set_weights(layer.get_weights())
    last = np.asarray(last_layer(tf.constant(x), initial_state=init_tf))
    for b, length in enumerate(expected_tflearn_lengths()):
        np.testing.assert_array_equal(seq[b, length:], 0.0)
        if length == 0:
            np.testing.assert_array_equal(last[b], 0.0)
            for got_part, init_part in zip(state, flat(init)):
                np.testing.assert_array_equal(got_part[b], init_part[b])
        else:
            np.testing.assert_array_equal(last[b], seq[b, length - 1])


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("api", ["class_eager", "class_in_model"])
@pytest.mark.parametrize("mode", ["static", "dynamic", "dynamic_seq_len"])
@pytest.mark.parametrize("options", [{}, {"bias": False, "activation": "relu"}], ids=["default", "no_bias_relu"])
def test_split_gate_matmul_parity(monkeypatch, kind, api, mode, options):
    """The recurrent gate matmul computed as two halves (LSTM i, j | f, o; GRU reset | update: the CPU path for
    large steps) gives the reference layer; forced on at the grid's small size."""
    monkeypatch.setattr(rnnlab.layers.cells, "SPLIT_MIN_MULTIPLY_ADDS", 0)
    monkeypatch.setattr(rnnlab.layers.cells, "_gpu_visible", lambda: False)
    assert rnnlab.layers.cells.split_gate_matmul(B, N, N_KERNEL_BLOCKS[kind] - (kind == "gru"))
    if kind == "lstm":
        options = dict(options, forget_bias=-0.5)
    check_layer_case(kind, api, mode, True, True, True, options, "set_random", seed=21)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_parity_at_a_size_that_splits_the_gate_matmul(kind):
    """Batch 64, 128 units (the benchmark's standard size) takes the two-halves path on CPU; parity holds."""
    blocks = {"lstm": 4, "gru": 2}[kind]
    assert rnnlab.layers.cells.split_gate_matmul(64, 128, blocks) != bool(tf.config.list_logical_devices("GPU"))
    assert not rnnlab.layers.cells.split_gate_matmul(32, 16, blocks)  # classroom size: one matmul
    x = np.concatenate([padded_batch(9, seed=s) for s in range(11)])[:64]  # [64, 9, 3], every padding case
    check_layer_case(kind, "class_eager", "dynamic", True, True, True, {}, "init", x=x, n=128, seed=22)


def test_padded_steps_do_not_continue_the_recurrence():
    """SPEC: past the length the state is carried unchanged and the output is exactly 0.

    h' = x + 10 h (linear): a length-1 row would overflow float32 by step 39 if
    the recurrence kept running through the padding; it must not.
    """
    x = np.zeros((1, 40, 1), np.float32)
    x[0, 0, 0] = 1.0
    layer = rnnlab.SimpleRNN(1, activation="linear", return_seq=True, return_state=True, dynamic=True)
    layer(tf.constant(x))
    layer.set_weights([np.array([[1.0], [10.0]], np.float32), np.zeros(1, np.float32)])
    out, state = flat(layer(tf.constant(x)))
    np.testing.assert_array_equal(out[0, :, 0], [1.0] + [0.0] * 39)
    np.testing.assert_array_equal(state, [[1.0]])


@pytest.mark.parametrize("kind", KINDS)
def test_functional_call_on_concrete_array_runs_at_once(kind):
    """rnnlab.<kind>(np.ndarray, ...) returns tf.Tensors; kernels from a Keras initializer, default biases."""
    x = padded_batch()
    out = layer_function(kind)(x, N, weights_init=keras.initializers.Constant(0.1), return_seq=True,
                               dynamic=True)
    assert isinstance(out, tf.Tensor)
    weights = [np.full(s, 0.1) if len(s) == 2 else np.zeros(s)
               for s in expected_weight_shapes(kind, D, N)]
    if kind == "gru":
        weights[1] = np.ones(2 * N)  # gates bias starts at 1.0
    assert_close(out, reference_layer(kind, x, weights, N, {}, return_seq=True, dynamic=True))


# ============================================================ 4. bidirectional

CELL_OPTIONS = {
    "simple_rnn": {"activation": "tanh"},
    "lstm": {"forget_bias": 0.5, "activation": "tanh", "inner_activation": "hard_sigmoid"},
    "gru": {"activation": "softsign", "inner_activation": "sigmoid"},
}


def rnnlab_cell(kind, n):
    options = CELL_OPTIONS[kind]
    return {"simple_rnn": rnnlab.BasicRNNCell, "lstm": rnnlab.BasicLSTMCell, "gru": rnnlab.GRUCell}[kind](
        n, **options)


def reference_cell(kind, weights, n):
    options = dict(CELL_OPTIONS[kind])
    cls = {"simple_rnn": ref.SimpleRNNCell, "lstm": ref.LSTMCell, "gru": ref.GRUCell}[kind]
    return cls(weights, n, **options)


BIDI_FACTORS = {
    "fw": list(KINDS),
    "bw": list(KINDS),
    "api": ["functional", "functional_none_T", "class_eager", "class_in_model"],
    "mode": ["static", "dynamic", "dynamic_seq_len"],
    "return_seq": [False, True],
    "return_states": [False, True],
    "initial_state_fw": [False, True],
    "initial_state_bw": [False, True],
    "weights": ["init", "set_random"],
}
BIDI_GRID = pairwise_cases(BIDI_FACTORS, seed=1)


def run_bidirectional(case, x, n):
    fw, bw, api = case["fw"], case["bw"], case["api"]
    dynamic = case["mode"] != "static"
    seq_len = SEQ_LEN_OVERRIDE if case["mode"] == "dynamic_seq_len" else None
    init_fw = make_initial_state(fw, x.shape[0], n, seed=71) if case["initial_state_fw"] else None
    init_bw = make_initial_state(bw, x.shape[0], n, seed=72) if case["initial_state_bw"] else None
    layer_kw = dict(return_seq=case["return_seq"], return_states=case["return_states"], dynamic=dynamic)

    def as_tf(state):
        parts = [tf.constant(p) for p in flat(state)]
        return tuple(parts) if len(parts) == 2 else parts[0]

    if api == "class_eager":
        layer = rnnlab.BiRNN(rnnlab_cell(fw, n), rnnlab_cell(bw, n), **layer_kw)
        call_kw = {}
        if init_fw is not None:
            call_kw["initial_state_fw"] = as_tf(init_fw)
        if init_bw is not None:
            call_kw["initial_state_bw"] = as_tf(init_bw)
        if seq_len is not None:
            call_kw["seq_len"] = seq_len
        layer(tf.constant(x), **call_kw)
        if case["weights"] == "set_random":
            layer.set_weights(random_weights_like(layer.get_weights(), seed=73))
        got = flat(layer(tf.constant(x), **call_kw))
    else:
        time_steps = None if api == "functional_none_T" else x.shape[1]
        if api == "class_in_model":
            inp = keras.Input(shape=(time_steps, x.shape[2]))
        else:
            inp = rnnlab.input_data(shape=[None, time_steps, x.shape[2]])
        inputs, feeds, call_kw = [inp], [x], {}
        for key, state, kind in (("initial_state_fw", init_fw, fw), ("initial_state_bw", init_bw, bw)):
            if state is not None:
                parts = [keras.Input(shape=(n,)) for _ in flat(state)]
                inputs += parts
                feeds += flat(state)
                call_kw[key] = tuple(parts) if kind == "lstm" else parts[0]
        if seq_len is not None:
            len_input = keras.Input(shape=(), dtype="int32")
            inputs.append(len_input)
            feeds.append(seq_len)
            call_kw["seq_len"] = len_input
        if api == "class_in_model":
            out = rnnlab.BiRNN(rnnlab_cell(fw, n), rnnlab_cell(bw, n), **layer_kw)(inp, **call_kw)
        else:
            out = rnnlab.bidirectional_rnn(inp, rnnlab_cell(fw, n), rnnlab_cell(bw, n), **layer_kw, **call_kw)
        model = keras.Model(inputs, keras.tree.flatten(out))
        layer = rnn_layers_of(model)
        if case["weights"] == "set_random":
            layer.set_weights(random_weights_like(layer.get_weights(), seed=73))
        got = flat(model(feeds))
    weights = layer.get_weights()
    n_fw = weight_count(fw)
    assert len(weights) == n_fw + weight_count(bw), "bidirectional weights: forward cell's, then backward's"
    assert [w.shape for w in weights] == expected_weight_shapes(fw, x.shape[2], n) + expected_weight_shapes(
        bw, x.shape[2], n)
    expected = ref.bidirectional_rnn(
        x, reference_cell(fw, weights[:n_fw], n), reference_cell(bw, weights[n_fw:], n),
        initial_state_fw=init_fw, initial_state_bw=init_bw, seq_len=seq_len, **layer_kw)
    return got, flat(expected)


@pytest.mark.parametrize("case", BIDI_GRID, ids=[f"{i:02d}-{case_id(c)}" for i, c in enumerate(BIDI_GRID)])
def test_bidirectional_parity_grid(case):
    got, expected = run_bidirectional(case, padded_batch(), N)
    assert len(got) == len(expected), f"{len(got)} arrays returned, expected {len(expected)}"
    for index, (g, e) in enumerate(zip(got, expected)):
        assert_close(g, e, what=f"returned array {index}")


@pytest.mark.parametrize("case", [c for c in BIDI_GRID if "lstm" in (c["fw"], c["bw"])],
                         ids=lambda c: case_id(c))
def test_bidirectional_parity_grid_on_the_fused_lstm_kernel(case, monkeypatch):
    monkeypatch.setitem(CELL_OPTIONS["lstm"], "inner_activation", "sigmoid")  # the fused kernel's only gate
    calls = count_block_lstm_calls(monkeypatch)
    with fast_paths.force_path("block_lstm"):
        got, expected = run_bidirectional(case, padded_batch(), N)
    assert calls, "the fused kernel did not run"
    for index, (g, e) in enumerate(zip(got, expected)):
        assert_close(g, e, what=f"returned array {index}")


def test_bidirectional_grid_is_pairwise():
    for a, b in itertools.combinations(BIDI_FACTORS, 2):
        seen = {(label(c[a]), label(c[b])) for c in BIDI_GRID}
        assert len(seen) == len(BIDI_FACTORS[a]) * len(BIDI_FACTORS[b]), (a, b)


# ==================================================== 5. weights_init statistics

STAT_D, STAT_N = 60, 68  # fan_in = 128 rows


def built_layer_weights(kind, weights_init):
    keras.utils.set_random_seed(1234)
    layer = layer_class(kind)(STAT_N, weights_init=weights_init)
    layer(tf.zeros((1, 2, STAT_D)))
    return layer.get_weights()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("weights_init", [None, "zeros", "uniform", "uniform_scaling", "normal", "truncated_normal",
                                          "xavier", "variance_scaling"])
def test_weights_init_statistics(kind, weights_init):
    weights = built_layer_weights(kind, weights_init)
    kernels, biases = weights[0::2], weights[1::2]  # [Matrix, Bias] pairs in TFLearn order
    fan_in = STAT_D + STAT_N
    for kernel in kernels:
        fan_out = kernel.shape[1]
        assert kernel.shape[0] == fan_in
        mean, std, top = kernel.mean(), kernel.std(), np.abs(kernel).max()
        if weights_init == "zeros":
            np.testing.assert_array_equal(kernel, 0.0)
        elif weights_init == "uniform":  # U[0, 1)
            assert kernel.min() >= 0.0 and kernel.max() < 1.0
            assert mean == pytest.approx(0.5, abs=0.02) and std == pytest.approx(math.sqrt(1 / 12), rel=0.05)
        elif weights_init == "uniform_scaling":  # U(+-sqrt(3 / fan_in))
            bound = math.sqrt(3.0 / fan_in)
            assert top <= bound * (1 + 1e-6) and top > 0.95 * bound
            assert std == pytest.approx(bound / math.sqrt(3), rel=0.05)
        elif weights_init == "normal":
            assert mean == pytest.approx(0.0, abs=0.002) and std == pytest.approx(0.02, rel=0.05)
        elif weights_init == "truncated_normal":  # std 0.02 before truncation at 2 std
            assert top <= 0.04 * (1 + 1e-6)
            assert mean == pytest.approx(0.0, abs=0.002) and std == pytest.approx(0.02 * 0.8796, rel=0.05)
        elif weights_init in (None, "xavier"):  # Glorot uniform
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            assert top <= limit * (1 + 1e-6) and top > 0.95 * limit
            assert std == pytest.approx(limit / math.sqrt(3), rel=0.05)
        elif weights_init == "variance_scaling":  # factor 2, FAN_IN, normal: std sqrt(2 / fan_in)
            assert mean == pytest.approx(0.0, abs=0.01)
            assert std == pytest.approx(math.sqrt(2.0 / fan_in), rel=0.08)
    # biases are never drawn from weights_init: 0, except the GRU gates bias (1.0)
    for index, bias in enumerate(biases):
        expected = 1.0 if (kind == "gru" and index == 0) else 0.0
        np.testing.assert_array_equal(bias, expected)
