"""Bad arguments and bad data: each is a clear error whose message names the argument, echoes the value
received and says what was expected. Every case runs through the functional API (rnnlab.lstm, ...) and the
layer classes (rnnlab.LSTM, ...), eagerly (arrays) and symbolically (keras.Input) where both apply.

Errors are RnnlabError (a ValueError) for bad values and TypeError for wrong types; a few type mistakes
(n_units='8') are reported as RnnlabError, so those cases accept either.
"""

from __future__ import annotations

import contextlib
import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rnnlab  # noqa: E402

B, T, D, N = 2, 5, 3, 4  # batch, time, input_dim, units

KINDS = ("simple_rnn", "lstm", "gru")
LAYER_CLASSES = {"simple_rnn": rnnlab.SimpleRNN, "lstm": rnnlab.LSTM, "gru": rnnlab.GRU}
CELL_CLASSES = {"simple_rnn": rnnlab.BasicRNNCell, "lstm": rnnlab.BasicLSTMCell, "gru": rnnlab.GRUCell}
APIS = ("functional", "class")


@contextlib.contextmanager
def raises(exception, *fragments):
    """pytest.raises plus: the message contains every fragment (the argument, the value, what was expected)."""
    with pytest.raises(exception) as info:
        yield info
    message = str(info.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"message lacks {missing!r}:\n{message}"


def x3(batch=B, time_steps=T, dim=D, dtype="float32"):
    return np.random.default_rng(0).normal(size=(batch, time_steps, dim)).astype(dtype)


def apply(api, kind, incoming, n_units=N, initial_state=None, **kwargs):
    """Run one layer of ``kind`` on ``incoming`` through the functional API or the layer class."""
    if api == "functional":
        return getattr(rnnlab, kind)(incoming, n_units, initial_state=initial_state, **kwargs)
    layer = LAYER_CLASSES[kind](n_units, **kwargs)
    return layer(incoming, initial_state=initial_state)


# ---------------------------------------------------------------------------------------- input data


BAD_RANK = {
    "2-D": np.zeros((B, T), dtype="float32"),
    "4-D": np.zeros((B, T, D, 2), dtype="float32"),
}


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rank", list(BAD_RANK))
def test_input_of_rank_other_than_3_is_rejected_eagerly(api, kind, rank):
    x = BAD_RANK[rank]
    with raises(rnnlab.RnnlabError, "`incoming`", "3-D [samples, timesteps, input_dim]", str(x.shape),
                f"rank {x.ndim}"):
        apply(api, kind, x)


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("rank", list(BAD_RANK))
def test_input_of_rank_other_than_3_is_rejected_symbolically(api, rank):
    """A keras.Input of the wrong rank fails when the model is built, not later when it runs."""
    inp = keras.Input(shape=BAD_RANK[rank].shape[1:])
    expected_shape = str((None, *BAD_RANK[rank].shape[1:]))
    with raises(rnnlab.RnnlabError, "`incoming`", "3-D", expected_shape):
        apply(api, "lstm", inp)


def test_input_of_wrong_rank_in_sequential_is_rejected():
    with raises(rnnlab.RnnlabError, "`incoming`", "3-D", "(None, 5)", "rank 2"):
        keras.Sequential([keras.Input(shape=(5,)), rnnlab.GRU(N)])


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("kind", KINDS)
def test_integer_input_is_rejected(api, kind):
    with raises(rnnlab.RnnlabError, "`incoming`", "floating-point", "int32"):
        apply(api, kind, np.ones((B, T, D), dtype="int32"))


@pytest.mark.parametrize("api", APIS)
def test_integer_symbolic_input_is_rejected(api):
    with raises(rnnlab.RnnlabError, "`incoming`", "floating-point", "int32"):
        apply(api, "gru", keras.Input(shape=(T, D), dtype="int32"))


def test_bad_input_to_bidirectional_is_rejected():
    cells = lambda: (rnnlab.GRUCell(N), rnnlab.BasicLSTMCell(N))  # noqa: E731
    with raises(rnnlab.RnnlabError, "`incoming`", "3-D", "rank 2"):
        rnnlab.bidirectional_rnn(BAD_RANK["2-D"], *cells())
    with raises(rnnlab.RnnlabError, "`incoming`", "3-D", "rank 4"):
        rnnlab.BiRNN(*cells())(keras.Input(shape=(T, D, 2)))
    with raises(rnnlab.RnnlabError, "`incoming`", "floating-point", "int64"):
        rnnlab.bidirectional_rnn(np.ones((B, T, D), dtype="int64"), *cells())


def test_non_array_input_is_a_type_error():
    with raises(TypeError, "`incoming`", "'not data'"):
        rnnlab.lstm("not data", N)


# ---------------------------------------------------------------------------------------- n_units


BAD_UNITS = [0, -3, 2.5, "8", True]


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_units", BAD_UNITS, ids=repr)
def test_n_units_must_be_a_positive_int(api, kind, n_units):
    with raises((TypeError, ValueError), "`n_units`", f"received {n_units!r}", "positive int"):
        apply(api, kind, x3(), n_units=n_units)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_units", BAD_UNITS, ids=repr)
def test_cell_num_units_must_be_a_positive_int(kind, n_units):
    with raises((TypeError, ValueError), "`num_units`", f"received {n_units!r}", "positive int"):
        CELL_CLASSES[kind](n_units)


# ---------------------------------------------------------------------------------------- activations


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("kind", KINDS)
def test_unknown_activation_name(api, kind):
    with raises(rnnlab.RnnlabError, "Unknown `activation`", "'tanhh'", "one of", "sigmoid", "hard_sigmoid"):
        apply(api, kind, x3(), activation="tanhh")


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("kind", ("lstm", "gru"))
def test_unknown_inner_activation_name(api, kind):
    with raises(rnnlab.RnnlabError, "Unknown `inner_activation`", "'sigmod'", "one of", "sigmoid"):
        apply(api, kind, x3(), inner_activation="sigmod")


@pytest.mark.parametrize("kind", KINDS)
def test_activation_of_wrong_type(kind):
    with raises(TypeError, "`activation`", "received 3", "name or a callable"):
        LAYER_CLASSES[kind](N, activation=3)


@pytest.mark.parametrize(
    "kind, argument",
    [(kind, "activation") for kind in KINDS] + [(kind, "inner_activation") for kind in ("lstm", "gru")],
)
def test_crelu_in_a_cell_is_a_clear_error(kind, argument):
    with raises(rnnlab.RnnlabError, f"`{argument}`='crelu'", "inside a recurrent cell", "doubling the width"):
        CELL_CLASSES[kind](N, **{argument: "crelu"})
    with raises(rnnlab.RnnlabError, f"`{argument}`='crelu'", "inside a recurrent cell"):
        apply("functional", kind, x3(), **{argument: "CReLU"})


# ---------------------------------------------------------------------------------------- weights_init


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("kind", KINDS)
def test_unknown_weights_init_name(api, kind):
    with raises(rnnlab.RnnlabError, "Unknown `weights_init`", "'glorot'", "xavier", "truncated_normal"):
        apply(api, kind, x3(), weights_init="glorot")


def test_weights_init_of_wrong_type():
    with raises(TypeError, "`weights_init`", "received 3", "initializer name"):
        rnnlab.LSTM(N, weights_init=3)


@pytest.mark.parametrize("api", APIS)
def test_weights_init_array_of_wrong_shape(api):
    wrong = np.zeros((D, 4 * N), dtype="float32")  # the recurrent rows are missing
    with raises(rnnlab.RnnlabError, "`weights_init`", str(wrong.shape), str((D + N, 4 * N))):
        apply(api, "lstm", x3(), weights_init=wrong)


def test_forget_bias_of_wrong_type():
    with raises(TypeError, "`forget_bias`", "'1.0'", "number"):
        rnnlab.lstm(x3(), N, forget_bias="1.0")


# ---------------------------------------------------------------------------------------- dropout


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "dropout, which, value",
    [(0, "input_keep_prob", 0.0), (1.5, "input_keep_prob", 1.5), (-0.1, "input_keep_prob", -0.1),
     ((0.5, 0), "output_keep_prob", 0.0), ((2, 0.5), "input_keep_prob", 2.0)],
    ids=repr,
)
def test_dropout_outside_0_1(api, kind, dropout, which, value):
    with raises(rnnlab.RnnlabError, "`dropout`", "keep probabilities", "(0, 1]", f"{which}={value}",
                f"dropout={dropout!r}"):
        apply(api, kind, x3(), dropout=dropout)


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dropout", ["0.5", [0.1, 0.2, 0.3], True, (0.5, "0.5"), (True, 0.5)], ids=repr)
def test_dropout_of_wrong_type(api, kind, dropout):
    with raises(TypeError, "`dropout`", f"received {dropout!r}", "float", "tuple"):
        apply(api, kind, x3(), dropout=dropout)


# ---------------------------------------------------------------------------------------- initial_state


def zeros(*shape):
    return np.zeros(shape, dtype="float32")


@pytest.mark.parametrize("api", APIS)
def test_lstm_initial_state_must_be_a_pair(api):
    with raises(rnnlab.RnnlabError, "`initial_state`", "LSTM", "pair (c, h)", f"[batch, {N}]", str((B, N))):
        apply(api, "lstm", x3(), initial_state=zeros(B, N))


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("kind", ("gru", "simple_rnn"))
def test_single_state_layers_reject_a_pair(api, kind):
    with raises(rnnlab.RnnlabError, "`initial_state`", kind, f"a [batch, {N}] tensor", str((B, N))):
        apply(api, kind, x3(), initial_state=(zeros(B, N), zeros(B, N)))


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("kind", KINDS)
def test_initial_state_with_wrong_n_units(api, kind):
    state = (zeros(B, N + 1), zeros(B, N + 1)) if kind == "lstm" else zeros(B, N + 1)
    with raises(rnnlab.RnnlabError, "`initial_state`", f"[batch, {N}]", str((B, N + 1))):
        apply(api, kind, x3(), initial_state=state)


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("kind", KINDS)
def test_initial_state_with_wrong_batch_size(api, kind):
    state = (zeros(B + 1, N), zeros(B + 1, N)) if kind == "lstm" else zeros(B + 1, N)
    with raises(rnnlab.RnnlabError, "`initial_state`", f"batch size {B}", str((B + 1, N))):
        apply(api, kind, x3(), initial_state=state)


@pytest.mark.parametrize("kind", KINDS)
def test_initial_state_of_wrong_rank(kind):
    state = (zeros(B, 1, N), zeros(B, 1, N)) if kind == "lstm" else zeros(B, 1, N)
    with raises(rnnlab.RnnlabError, "`initial_state`", f"[batch, {N}]", str((B, 1, N))):
        apply("functional", kind, x3(), initial_state=state)


@pytest.mark.parametrize("api", APIS)
def test_symbolic_initial_state_is_checked_when_the_model_is_built(api):
    inp = rnnlab.input_data(shape=[None, T, D])
    with raises(rnnlab.RnnlabError, "`initial_state`", "pair (c, h)", "(None, 4)"):
        apply(api, "lstm", inp, initial_state=keras.Input(shape=(N,)))
    with raises(rnnlab.RnnlabError, "`initial_state`", f"[batch, {N}]", str((None, N + 1))):
        apply(api, "gru", inp, initial_state=keras.Input(shape=(N + 1,)))


def test_bidirectional_initial_states_are_checked():
    with raises(rnnlab.RnnlabError, "`initial_state_fw`", "pair (c, h)", str((B, N))):
        rnnlab.bidirectional_rnn(x3(), rnnlab.BasicLSTMCell(N), rnnlab.GRUCell(N), initial_state_fw=zeros(B, N))
    with raises(rnnlab.RnnlabError, "`initial_state_bw`", f"[batch, {N}]", str((B, N + 2))):
        rnnlab.bidirectional_rnn(x3(), rnnlab.BasicLSTMCell(N), rnnlab.GRUCell(N),
                                 initial_state_bw=zeros(B, N + 2))
    inp = rnnlab.input_data(shape=[None, T, D])
    with raises(rnnlab.RnnlabError, "`initial_state_bw`", f"[batch, {N}]", str((None, N + 2))):
        rnnlab.BiRNN(rnnlab.GRUCell(N), rnnlab.GRUCell(N))(inp, initial_state_bw=keras.Input(shape=(N + 2,)))


# ---------------------------------------------------------------------------------------- bidirectional


@pytest.mark.parametrize("api", APIS)
def test_bidirectional_cells_must_have_equal_units(api):
    fw, bw = rnnlab.BasicLSTMCell(4), rnnlab.GRUCell(6)
    with raises(rnnlab.RnnlabError, "`rnncell_fw`", "`rnncell_bw`", "same number of units", "4 (forward)",
                "6 (backward)"):
        if api == "functional":
            rnnlab.bidirectional_rnn(x3(), fw, bw)
        else:
            rnnlab.BiRNN(fw, bw)


@pytest.mark.parametrize(
    "not_a_cell",
    [rnnlab.GRU(N), keras.layers.GRUCell(N), "lstm", None],
    ids=["rnnlab.GRU layer", "keras GRUCell", "string", "None"],
)
def test_bidirectional_needs_rnnlab_cells(not_a_cell):
    with raises(TypeError, "`rnncell_bw`", "rnnlab cell", "BasicLSTMCell"):
        rnnlab.bidirectional_rnn(x3(), rnnlab.GRUCell(N), not_a_cell)
    with raises(TypeError, "`rnncell_fw`", "rnnlab cell"):
        rnnlab.BiRNN(not_a_cell, rnnlab.GRUCell(N))


def test_bidirectional_needs_two_distinct_cells():
    cell = rnnlab.GRUCell(N)
    with raises(rnnlab.RnnlabError, "`rnncell_fw`", "`rnncell_bw`", "two different cell objects"):
        rnnlab.bidirectional_rnn(x3(), cell, cell)


# ---------------------------------------------------------------------------------------- scope / reuse


@pytest.mark.parametrize("kind", KINDS)
def test_reuse_of_an_unknown_scope(kind):
    with raises(rnnlab.RnnlabError, "`reuse=True`", "scope='nowhere'", "no layer with that scope exists"):
        getattr(rnnlab, kind)(x3(), N, scope="nowhere", reuse=True)


def test_reuse_without_a_scope():
    with raises(rnnlab.RnnlabError, "`reuse=True`", "`scope`", "scope=None"):
        rnnlab.lstm(x3(), N, reuse=True)


@pytest.mark.parametrize("symbolic", (False, True), ids=("eager", "symbolic"))
def test_existing_scope_without_reuse(symbolic):
    x = rnnlab.input_data(shape=[None, T, D]) if symbolic else x3()
    rnnlab.lstm(x, N, scope="enc")
    with raises(rnnlab.RnnlabError, "scope='enc'", "already used", "`reuse=True`"):
        rnnlab.lstm(x, N, scope="enc")
    with raises(rnnlab.RnnlabError, "scope='enc'", "already used"):
        rnnlab.gru(x, N, scope="enc")
    with raises(rnnlab.RnnlabError, "scope='enc'", "already used"):
        rnnlab.bidirectional_rnn(x, rnnlab.GRUCell(N), rnnlab.GRUCell(N), scope="enc")


def test_reuse_with_other_n_units_or_kind():
    rnnlab.lstm(x3(), N, scope="enc")
    with raises(rnnlab.RnnlabError, "`reuse=True`", "scope='enc'", f"{N} units", f"{N + 1} units", "must match"):
        rnnlab.lstm(x3(), N + 1, scope="enc", reuse=True)
    with raises(rnnlab.RnnlabError, "`reuse=True`", "scope='enc'", "LSTM", "GRU"):
        rnnlab.gru(x3(), N, scope="enc", reuse=True)
    with raises(rnnlab.RnnlabError, "`reuse=True`", "scope='enc'"):
        rnnlab.lstm(x3(), N, activation="relu", scope="enc", reuse=True)


def test_reuse_with_other_input_dim():
    rnnlab.lstm(x3(dim=D), N, scope="enc")
    with raises(rnnlab.RnnlabError, f"input_dim={D}", str((B, T, D + 1))):
        rnnlab.lstm(x3(dim=D + 1), N, scope="enc", reuse=True)


def test_empty_scope():
    with raises(rnnlab.RnnlabError, "`scope`", "non-empty string", "''"):
        rnnlab.gru(x3(), N, scope="")


# ---------------------------------------------------------------------------------------- input_data


@pytest.mark.parametrize(
    "shape", [None, 5, "abc", [None], [None, 0, D], [None, -1, D], [None, T, 2.5], [None, T, True]], ids=repr,
)
def test_input_data_with_a_bad_shape(shape):
    with raises(rnnlab.RnnlabError, "`shape`", repr(list(shape)) if isinstance(shape, list) else repr(shape),
                "[None, timesteps, input_dim]"):
        rnnlab.input_data(shape=shape)


def test_error_types_are_value_and_type_errors():
    assert issubclass(rnnlab.RnnlabError, ValueError)
    with pytest.raises(ValueError):
        rnnlab.lstm(x3(), N, dropout=0)
    with pytest.raises(TypeError):
        rnnlab.lstm(x3(), N, dropout="0.5")
    assert re.search(r"received \(0\.5, 'x'\)", _message(lambda: rnnlab.GRU(N, dropout=(0.5, "x"))))


def _message(fn) -> str:
    try:
        fn()
    except (TypeError, ValueError) as error:
        return str(error)
    raise AssertionError("no error raised")
