"""rnnlab <-> Keras 3 weight conversion (rnnlab/layers/keras_interop.py, keras_weights.py).

1. the array functions on marked blocks (exact layouts, by hand);
2. rnnlab -> Keras: same outputs (1e-5) per kind x return_seq x bias (x forget_bias 0 / 1.5 for the LSTM),
   and back to rnnlab with the same weight arrays;
3. Keras-initialised layers -> rnnlab: same outputs;
4. dynamic LSTM vs keras Masking + LSTM, where the semantics coincide (post-padding, no all-zero real step),
   and the documented case where they do not (an all-zero step inside a sequence);
5. errors.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rnnlab  # noqa: E402
from rnnlab.layers import (  # noqa: E402
    InteropTypeError,
    from_keras,
    to_keras,
    weights_from_keras,
    weights_to_keras,
)

B, T, D, N = 3, 5, 4, 6
ATOL = 1e-5
RNNLAB = {"simple_rnn": rnnlab.SimpleRNN, "lstm": rnnlab.LSTM, "gru": rnnlab.GRU}


def inputs(seed=0, shape=(B, T, D)):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")  # [B, T, D]


def built_layer(kind, seed=0, forget_bias=None, **kwargs):
    """A built rnnlab layer with random N(0, 0.5) weights (biases included, so they matter)."""
    if forget_bias is not None:
        kwargs["forget_bias"] = forget_bias
    layer = RNNLAB[kind](N, **kwargs)
    layer.build((None, None, D))
    rng = np.random.default_rng(seed + 100)
    layer.set_weights([rng.normal(0.0, 0.5, w.shape).astype("float32") for w in layer.get_weights()])
    return layer


# ---------------------------------------------------------------------------------------------- 1. arrays


def marked(rows, blocks, n):
    """[rows, blocks * n] whose block b holds b + 0.1 * row (so both the block and the row can be read back)."""
    return np.concatenate([np.full((rows, n), b, "float64") + 0.1 * np.arange(rows)[:, None] for b in range(blocks)], 1)


def test_lstm_blocks_reordered_and_forget_bias_folded():
    d, n = 2, 3
    matrix, bias = marked(d + n, 4, n), np.repeat([10.0, 11.0, 12.0, 13.0], n)  # blocks i, j, f, o
    kernel, recurrent, keras_bias = weights_to_keras("lstm", [matrix, bias], d, n, forget_bias=1.5)
    assert kernel.shape == (d, 4 * n) and recurrent.shape == (n, 4 * n)
    np.testing.assert_array_equal(kernel[0, ::n], [0, 2, 1, 3])  # Keras order i, f, c (= j), o
    np.testing.assert_array_equal(recurrent[:, 0], 0.1 * np.arange(d, d + n))  # recurrent rows come second
    np.testing.assert_array_equal(keras_bias[::n], [10.0, 12.0 + 1.5, 11.0, 13.0])  # forget_bias in f
    back = weights_from_keras("lstm", [kernel, recurrent, keras_bias], forget_bias=1.5)
    np.testing.assert_array_equal(back[0], matrix)
    np.testing.assert_array_equal(back[1], bias)


def test_lstm_without_bias_gets_a_keras_bias_only_for_a_nonzero_forget_bias():
    matrix = marked(5, 4, 3)
    assert len(weights_to_keras("lstm", [matrix], 2, 3, forget_bias=0.0)) == 2
    kernel, recurrent, keras_bias = weights_to_keras("lstm", [matrix], 2, 3, forget_bias=1.0)
    np.testing.assert_array_equal(keras_bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    (back,) = weights_from_keras("lstm", [kernel, recurrent, keras_bias], forget_bias=1.0, bias=False)
    np.testing.assert_array_equal(back, matrix)


def test_gru_blocks_are_update_reset_candidate():
    d, n = 2, 3
    gates, cand = marked(d + n, 2, n), marked(d + n, 1, n) + 5  # gates blocks r (0), u (1); candidate 5
    gates_bias, cand_bias = np.repeat([20.0, 21.0], n), np.full(n, 25.0)
    kernel, recurrent, bias = weights_to_keras("gru", [gates, gates_bias, cand, cand_bias], d, n)
    np.testing.assert_array_equal(kernel[0, ::n], [1, 0, 5])  # Keras z (= u), r, h
    np.testing.assert_array_equal(recurrent[0, ::n], [1.2, 0.2, 5.2])
    np.testing.assert_array_equal(bias[::n], [21.0, 20.0, 25.0])
    back = weights_from_keras("gru", [kernel, recurrent, bias])
    for got, want in zip(back, [gates, gates_bias, cand, cand_bias]):
        np.testing.assert_array_equal(got, want)
    no_bias = weights_to_keras("gru", [gates, cand], d, n)
    assert len(no_bias) == 2
    for got, want in zip(weights_from_keras("gru", no_bias), [gates, cand]):
        np.testing.assert_array_equal(got, want)


def test_simple_rnn_splits_input_and_recurrent_rows():
    matrix, bias = marked(D + N, 1, N), np.arange(N, dtype="float64")
    kernel, recurrent, keras_bias = weights_to_keras("simple_rnn", [matrix, bias], D, N)
    np.testing.assert_array_equal(kernel, matrix[:D])
    np.testing.assert_array_equal(recurrent, matrix[D:])
    np.testing.assert_array_equal(keras_bias, bias)


# ---------------------------------------------------------------------------------------------- 2. rnnlab -> Keras

GRID = [
    (kind, return_seq, bias, forget_bias)
    for kind in ("simple_rnn", "lstm", "gru")
    for return_seq in (False, True)
    for bias in (True, False)
    for forget_bias in ((0.0, 1.5) if kind == "lstm" else (None,))
]


@pytest.mark.parametrize("kind, return_seq, bias, forget_bias", GRID)
def test_to_keras_same_outputs_and_round_trip(kind, return_seq, bias, forget_bias):
    layer = built_layer(kind, forget_bias=forget_bias, return_seq=return_seq, bias=bias)
    x = inputs()
    keras_layer = to_keras(layer)
    keras_classes = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
    assert type(keras_layer) is keras_classes[kind]
    assert keras_layer.units == N and keras_layer.return_sequences == return_seq
    assert keras_layer.use_bias == (bias or bool(forget_bias))  # an LSTM's forget_bias needs a Keras bias
    if kind == "gru":
        assert keras_layer.reset_after is False
    np.testing.assert_allclose(keras_layer(x).numpy(), layer(x).numpy(), atol=ATOL, rtol=0)

    extra = {"forget_bias": forget_bias} if kind == "lstm" else {}
    back = from_keras(keras_layer, bias=bias, **extra)
    assert type(back) is type(layer) and back.return_seq == return_seq and back.cell.bias == bias
    assert back.cell.activation == layer.cell.activation
    for got, want in zip(back.get_weights(), layer.get_weights(), strict=True):
        if kind == "lstm" and forget_bias and got.ndim == 1:
            # (b + forget_bias) is rounded to float32 in the Keras layer: the f block comes back within 1 ulp.
            np.testing.assert_allclose(got, want, rtol=0, atol=4e-7)
        else:
            np.testing.assert_array_equal(got, want)


def test_to_keras_return_state_orders_differ_as_documented():
    layer = built_layer("lstm", return_state=True, forget_bias=1.0)
    x = inputs(1)
    out, (c, h) = layer(x)
    keras_out, keras_h, keras_c = to_keras(layer)(x)  # Keras: [output, h, c]
    for got, want in ((keras_out, out), (keras_h, h), (keras_c, c)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=ATOL, rtol=0)


@pytest.mark.parametrize("kind, activation, inner", [("simple_rnn", "relu", None), ("lstm", "softsign", "tanh"),
                                                     ("gru", "linear", "sigmoid")])
def test_to_keras_maps_activations(kind, activation, inner):
    kwargs = {"activation": activation} | ({"inner_activation": inner} if inner else {})
    layer = built_layer(kind, seed=3, return_seq=True, **kwargs)
    keras_layer = to_keras(layer)
    assert keras_layer.activation is keras.activations.get(activation)
    x = inputs(3)
    np.testing.assert_allclose(keras_layer(x).numpy(), layer(x).numpy(), atol=ATOL, rtol=0)


def test_custom_callable_activation_passes_through_both_ways():
    def half_tanh(v):
        return 0.5 * keras.ops.tanh(v)

    layer = built_layer("simple_rnn", activation=half_tanh, return_seq=True)
    keras_layer = to_keras(layer)
    assert keras_layer.activation is half_tanh
    x = inputs(4)
    np.testing.assert_allclose(keras_layer(x).numpy(), layer(x).numpy(), atol=ATOL, rtol=0)
    assert from_keras(keras_layer).cell.activation is half_tanh


# ---------------------------------------------------------------------------------------------- 3. Keras -> rnnlab


@pytest.mark.parametrize(
    "keras_layer",
    [
        lambda: keras.layers.LSTM(N),  # unit_forget_bias=True: the f block of the bias starts at 1
        lambda: keras.layers.GRU(N, reset_after=False, return_sequences=True, bias_initializer="random_normal"),
        lambda: keras.layers.SimpleRNN(N, activation="relu", return_sequences=True),
        lambda: keras.layers.LSTM(N, use_bias=False, recurrent_activation="tanh", return_sequences=True),
    ],
    ids=["lstm", "gru", "simple_rnn", "lstm_no_bias"],
)
def test_from_keras_initialised_layer_same_outputs(keras_layer):
    keras_layer = keras_layer()
    x = inputs(5)
    want = keras_layer(x).numpy()
    extra = {"forget_bias": 0.0} if isinstance(keras_layer, keras.layers.LSTM) and not keras_layer.use_bias else {}
    layer = from_keras(keras_layer, **extra)
    assert layer.cell.num_units == N and layer.return_seq == keras_layer.return_sequences
    np.testing.assert_allclose(layer(x).numpy(), want, atol=ATOL, rtol=0)


def test_from_keras_lstm_moves_unit_forget_bias_into_forget_bias():
    keras_layer = keras.layers.LSTM(N)
    keras_layer.build((None, None, D))
    _, bias = from_keras(keras_layer).get_weights()  # forget_bias=1.0 absorbs Keras's initial f bias of 1
    np.testing.assert_array_equal(bias, np.zeros(4 * N))
    _, bias = from_keras(keras_layer, forget_bias=0.0).get_weights()
    np.testing.assert_array_equal(bias[2 * N:3 * N], np.ones(N))  # rnnlab block f is third (i, j, f, o)
    x = inputs(6)
    np.testing.assert_allclose(
        from_keras(keras_layer, forget_bias=0.0)(x).numpy(), keras_layer(x).numpy(), atol=ATOL, rtol=0
    )


# ---------------------------------------------------------------------------------------------- 4. dynamic


def post_padded(lengths, seed=7):
    x = inputs(seed, (len(lengths), T, D))
    for b, length in enumerate(lengths):
        x[b, length:] = 0.0  # post-padding; real steps are never all zero (normal draws)
    return x


@pytest.mark.parametrize("return_seq", [False, True])
def test_dynamic_lstm_matches_keras_masking_lstm(return_seq):
    """Post-padded data, real steps never all zero: rnnlab dynamic == Masking + Keras LSTM, zero-length included."""
    layer = built_layer("lstm", dynamic=True, return_seq=return_seq, forget_bias=1.5)
    x = post_padded([5, 3, 1, 0])
    model = keras.Sequential([keras.Input((T, D)), keras.layers.Masking(0.0), to_keras(layer)])
    np.testing.assert_allclose(model(x).numpy(), layer(x).numpy(), atol=ATOL, rtol=0)


def test_dynamic_lstm_differs_from_keras_masking_at_an_inner_zero_step():
    """Documented difference: Keras skips an all-zero step inside a sequence; TFLearn's length count ends earlier."""
    layer = built_layer("lstm", dynamic=True)
    x = post_padded([5, 4])
    x[1, 1] = 0.0  # sample 1: a, 0, b, c, pad -> TFLearn length 3 (a, 0, b); Keras reads a, b, c
    model = keras.Sequential([keras.Input((T, D)), keras.layers.Masking(0.0), to_keras(layer)])
    ours, theirs = layer(x).numpy(), model(x).numpy()
    np.testing.assert_allclose(theirs[0], ours[0], atol=ATOL, rtol=0)  # sample 0 has no inner zero step
    assert np.abs(theirs[1] - ours[1]).max() > 1e-3


# ---------------------------------------------------------------------------------------------- 5. errors


def test_wrong_layer_types():
    with pytest.raises(InteropTypeError, match=r"`layer` must be an rnnlab.SimpleRNN.*Dense"):
        to_keras(keras.layers.Dense(3))
    with pytest.raises(TypeError, match="BiRNN.*weights_to_keras"):
        to_keras(rnnlab.BiRNN(rnnlab.GRUCell(3), rnnlab.GRUCell(3)))
    with pytest.raises(rnnlab.RnnlabError, match=r"`keras_layer` must be a keras.layers.LSTM.*Dense"):
        from_keras(keras.layers.Dense(3))
    with pytest.raises(InteropTypeError, match="Bidirectional"):
        from_keras(keras.layers.Bidirectional(keras.layers.LSTM(3)))
    with pytest.raises(InteropTypeError, match="already an rnnlab layer.*Use to_keras"):
        from_keras(rnnlab.GRU(3))
    with pytest.raises(InteropTypeError, match="already a Keras layer.*Use from_keras"):
        to_keras(keras.layers.GRU(3))


def test_gru_reset_after_true_is_refused_with_the_reason():
    keras_gru = keras.layers.GRU(N)  # reset_after=True by default
    keras_gru.build((None, None, D))
    with pytest.raises(rnnlab.RnnlabError, match=r"reset_after=True.*BEFORE.*reset_after=False"):
        from_keras(keras_gru)
    with pytest.raises(rnnlab.RnnlabError, match=r"keras_weights\[2\].*\(2, 18\).*reset_after=False"):
        weights_from_keras("gru", keras_gru.get_weights())


def test_activations_with_different_semantics_are_refused():
    layer = built_layer("lstm", inner_activation="hard_sigmoid")
    with pytest.raises(rnnlab.RnnlabError, match=r"`inner_activation`='hard_sigmoid'.*0\.2 x \+ 0\.5.*relu6"):
        to_keras(layer)
    with pytest.raises(rnnlab.RnnlabError, match="slope 0.1"):
        to_keras(built_layer("simple_rnn", activation="leaky_relu"))
    keras_lstm = keras.layers.LSTM(N, recurrent_activation="hard_sigmoid")
    keras_lstm.build((None, None, D))
    with pytest.raises(rnnlab.RnnlabError, match=r"`recurrent_activation` is 'hard_sigmoid'"):
        from_keras(keras_lstm)
    keras_rnn = keras.layers.SimpleRNN(N, activation="silu")
    keras_rnn.build((None, None, D))
    with pytest.raises(rnnlab.RnnlabError, match="'silu', which has no rnnlab counterpart"):
        from_keras(keras_rnn)


def test_unbuilt_and_conflicting_arguments():
    with pytest.raises(rnnlab.RnnlabError, match="not built"):
        to_keras(rnnlab.LSTM(3))
    with pytest.raises(rnnlab.RnnlabError, match="not built"):
        from_keras(keras.layers.LSTM(3))
    with pytest.raises(rnnlab.RnnlabError, match="`units`=3 cannot be given"):
        to_keras(built_layer("gru"), units=3)
    keras_rnn = keras.layers.SimpleRNN(N)
    keras_rnn.build((None, None, D))
    with pytest.raises(rnnlab.RnnlabError, match="`forget_bias`=1.0 applies to LSTM layers only"):
        from_keras(keras_rnn, forget_bias=1.0)
    with pytest.raises(rnnlab.RnnlabError, match="`n_units`=2 cannot be given"):
        from_keras(keras_rnn, n_units=2)
    backwards = keras.layers.LSTM(N, go_backwards=True)
    backwards.build((None, None, D))
    with pytest.raises(rnnlab.RnnlabError, match="go_backwards=True"):
        from_keras(backwards)


def test_mismatched_weight_shapes_name_the_array():
    matrix = np.zeros((D + N, 4 * N))
    expected = r"`weights\[0\]` \(rnnlab lstm Matrix\) must have shape \(10, 24\); received shape \(9, 24\)"
    with pytest.raises(rnnlab.RnnlabError, match=expected):
        weights_to_keras("lstm", [matrix[1:], np.zeros(4 * N)], D, N)
    with pytest.raises(rnnlab.RnnlabError, match=r"`weights\[1\]` \(rnnlab lstm Bias\) must have shape \(24,\)"):
        weights_to_keras("lstm", [matrix, np.zeros(N)], D, N)
    with pytest.raises(rnnlab.RnnlabError, match=r"`weights` must hold 2 arrays"):
        weights_to_keras("gru", [matrix, matrix, matrix], D, N)
    with pytest.raises(rnnlab.RnnlabError, match=r"`kind` must be one of .*received 'conv'"):
        weights_to_keras("conv", [matrix], D, N)
    with pytest.raises(rnnlab.RnnlabError, match=r"`input_dim` must be a positive int; received 0"):
        weights_to_keras("lstm", [matrix], 0, N)
    expected = r"`keras_weights\[1\]` \(Keras lstm recurrent_kernel\) must have shape \(6, 24\)"
    with pytest.raises(rnnlab.RnnlabError, match=expected):
        weights_from_keras("lstm", [np.zeros((D, 4 * N)), np.zeros((N, 3 * N)), np.zeros(4 * N)])
    with pytest.raises(rnnlab.RnnlabError, match=r"`bias=False`, but the Keras bias less forget_bias=1.0"):
        weights_from_keras("lstm", [np.zeros((D, 4 * N)), np.zeros((N, 4 * N)), np.ones(4 * N)], bias=False)


def test_dropout_is_not_carried_over_and_says_so():
    layer = built_layer("gru", dropout=0.8)
    with pytest.warns(UserWarning, match="dropout=0.8.*not carried over"):
        keras_layer = to_keras(layer)
    assert keras_layer.dropout == 0.0
