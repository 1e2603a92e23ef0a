"""Behaviour of the core layers beyond the numbers (the NumPy parity grid is tests/test_layer_parity.py):

1. Keras integration: Sequential and functional models, stacking dynamic layers, fit, .keras save/load,
   get_config/from_config;
2. restore=False with rnnlab.load_weights;
3. trainable=False;
4. scope / reuse / names / naming_context, and saving models with shared layers;
5. dropout statistics in training, exact identity at inference;
6. gradients reach every weight; padded steps get exactly zero input gradient;
7. None time steps; TFLearn's input_data shape rule.
"""

from __future__ import annotations

import gc
import json
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnlab  # noqa: E402

try:  # tests/ as a package or as a plain directory on sys.path
    from tests import reference as ref
except ImportError:  # pragma: no cover
    import reference as ref

B, T, D, N = 4, 6, 3, 4  # batch, time, input_dim, units
ATOL = 1e-5

KINDS = ("simple_rnn", "lstm", "gru")
LAYER_CLASSES = {"simple_rnn": rnnlab.SimpleRNN, "lstm": rnnlab.LSTM, "gru": rnnlab.GRU}
CELL_CLASSES = {"simple_rnn": rnnlab.BasicRNNCell, "lstm": rnnlab.BasicLSTMCell, "gru": rnnlab.GRUCell}


def data(batch=B, time_steps=T, dim=D, seed=0, padded=True):
    """[batch, time, dim] float32; when padded, row b (b >= 1) is post-padded to length T - b (row 0 full)."""
    x = np.random.default_rng(seed).normal(size=(batch, time_steps, dim)).astype(np.float32)
    if padded:
        for b in range(1, batch):
            x[b, max(time_steps - b, 0):] = 0.0
    return x


def true_lengths(x):
    return ref.tflearn_lengths(x)


def randomise(layer, seed, scale=0.5):
    """Give ``layer`` random weights (not the initial ones), so that tests do not pass by symmetry."""
    rng = np.random.default_rng(seed)
    layer.set_weights([(scale * rng.normal(size=np.shape(w))).astype(np.float32) for w in layer.get_weights()])


def bi_cells(kind_fw="lstm", kind_bw="gru", n=N, **kwargs):
    return CELL_CLASSES[kind_fw](n, **kwargs), CELL_CLASSES[kind_bw](n, **kwargs)


def recurrent_layers(model):
    return [layer for layer in model.layers if isinstance(layer, (rnnlab.Recurrent, rnnlab.BiRNN))]


def assert_same_outputs(a, b):
    a, b = keras.tree.flatten(a), keras.tree.flatten(b)
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(np.asarray(u), np.asarray(v))


@keras.saving.register_keras_serializable(package="rnnlab_tests")
def half_tanh(v):
    """A user activation: registered so that .keras files can name it."""
    return 0.5 * keras.ops.tanh(v)


# =========================================================================== 1. Keras integration


@pytest.mark.parametrize("kind", KINDS + ("bidirectional",))
def test_layer_classes_in_sequential_and_functional_models(kind):
    """The same layer object inside keras.Sequential and a functional model computes what it computes alone."""
    x = data()
    if kind == "bidirectional":
        layer = rnnlab.BiRNN(*bi_cells(), return_seq=True, dynamic=True)
    else:
        layer = LAYER_CLASSES[kind](N, return_seq=True, dynamic=True)
    alone = layer(x)
    randomise(layer, seed=1)
    alone = layer(x)
    sequential = keras.Sequential([keras.Input(shape=(T, D)), layer])
    inp = keras.Input(shape=(T, D))
    functional = keras.Model(inp, layer(inp))
    width = 2 * N if kind == "bidirectional" else N
    assert sequential.output_shape == functional.output_shape == (None, T, width)
    np.testing.assert_allclose(sequential(x), alone, atol=ATOL)
    np.testing.assert_allclose(functional.predict(x, verbose=0), alone, atol=ATOL)


def test_stacked_dynamic_layers_equal_the_manual_composition():
    """return_seq=True then a second dynamic layer (tflearn#227, #463): the model equals layer-by-layer."""
    x = data()
    inp = rnnlab.input_data(shape=[None, T, D])
    h = rnnlab.lstm(inp, N, return_seq=True, dynamic=True)
    h = rnnlab.bidirectional_rnn(h, *bi_cells("gru", "simple_rnn"), return_seq=True, dynamic=True)
    out = rnnlab.gru(h, 5, dynamic=True)
    model = keras.Model(inp, out)
    first, second, third = recurrent_layers(model)
    for seed, layer in enumerate((first, second, third)):
        randomise(layer, seed=10 + seed)
    h1 = first(x)
    # padding survives: the first layer's outputs are exactly 0 past each length, so the next infers it again
    np.testing.assert_array_equal(true_lengths(np.asarray(h1)), true_lengths(x))
    manual = third(second(h1))
    np.testing.assert_allclose(model.predict(x, verbose=0), manual, atol=ATOL)
    w1 = first.get_weights()
    expected_h1 = ref.lstm(x, w1, N, return_seq=True, dynamic=True)
    np.testing.assert_allclose(h1, expected_h1, atol=ATOL)


def easy_regression(n=96, seed=0):
    """[n, T, 2] inputs, target: the sum of feature 0 over time (learnable in a few steps)."""
    x = np.random.default_rng(seed).uniform(-1, 1, size=(n, T, 2)).astype(np.float32)
    return x, x[:, :, 0].sum(axis=1, keepdims=True).astype(np.float32)


def test_fit_two_epochs_decreases_the_loss():
    x, y = easy_regression()
    inp = rnnlab.input_data(shape=[None, T, 2])
    h = rnnlab.simple_rnn(inp, 8, return_seq=True, activation="tanh")
    h = rnnlab.lstm(h, 8, return_seq=True, dynamic=True, dropout=(0.9, 0.9))
    h = rnnlab.bidirectional_rnn(h, *bi_cells("gru", "simple_rnn", n=6), return_seq=True)
    h = rnnlab.gru(h, 8)
    model = keras.Model(inp, keras.layers.Dense(1)(h))
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    assert len(history.history["loss"]) == 2
    assert all(math.isfinite(v) for v in history.history["loss"])
    assert after < 0.7 * before, (before, after)


def as_json(config):
    """A config as a .keras file stores it (tuples become lists): what a round trip can preserve."""
    return json.loads(json.dumps(config))


def save_and_load(model, tmp_path, name="m.keras"):
    path = tmp_path / name
    model.save(path)
    return keras.models.load_model(path)


def test_keras_file_round_trip_functional_every_kind(tmp_path):
    """One model with every layer kind and the awkward options: identical outputs and configs after load."""
    x = data()
    array_init = np.random.default_rng(3).normal(size=(D + N, N)).astype(np.float32)
    inp = rnnlab.input_data(shape=[None, T, D])
    h = rnnlab.simple_rnn(inp, N, return_seq=True, weights_init=array_init, dropout=(0.8, 0.9))
    h = rnnlab.lstm(h, N, return_seq=True, activation=half_tanh, inner_activation="hard_sigmoid",
                    forget_bias=0.5, dynamic=True, dropout=0.7)
    h = rnnlab.gru(h, N, return_seq=True, bias=False, weights_init="normal", inner_activation=half_tanh)
    h, state_fw, state_bw = rnnlab.bidirectional_rnn(
        h, rnnlab.BasicLSTMCell(N, activation=half_tanh), rnnlab.GRUCell(N, weights_init="uniform"),
        return_seq=True, return_states=True, dynamic=True,
    )
    out, state = rnnlab.lstm(h, 3, return_state=True, trainable=False, restore=False)
    model = keras.Model(inp, [out, state, state_fw, state_bw])
    for seed, layer in enumerate(recurrent_layers(model)):
        randomise(layer, seed=20 + seed)
    loaded = save_and_load(model, tmp_path)
    assert_same_outputs(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    for original, copy in zip(recurrent_layers(model), recurrent_layers(loaded)):
        assert type(copy) is type(original)
        assert as_json(copy.get_config()) == as_json(original.get_config())
        assert_same_outputs(original.get_weights(), copy.get_weights())
    lstm_copy = recurrent_layers(loaded)[1]
    assert lstm_copy.dropout == 0.7 and lstm_copy.cell.activation is half_tanh
    assert recurrent_layers(loaded)[0].dropout == (0.8, 0.9)  # a tuple again, not a JSON list
    assert recurrent_layers(loaded)[-1].trainable is False and recurrent_layers(loaded)[-1].restore is False


def test_keras_file_round_trip_layer_classes_in_sequential(tmp_path):
    x = data()
    model = keras.Sequential([
        keras.Input(shape=(T, D)),
        rnnlab.GRU(N, return_seq=True, dynamic=True, dropout=(0.5, 1.0), weights_init="xavier"),
        rnnlab.BiRNN(rnnlab.BasicRNNCell(N, activation=half_tanh), rnnlab.BasicLSTMCell(N, forget_bias=2.0),
                     return_seq=True, dynamic=True),
        rnnlab.SimpleRNN(N, activation="relu6", return_seq=True, weights_init=np.full((3 * N, N), 0.1)),
        rnnlab.LSTM(N, activation=half_tanh, dropout=(0.9, 0.8)),
    ])
    for seed, layer in enumerate(recurrent_layers(model)):
        randomise(layer, seed=30 + seed)
    loaded = save_and_load(model, tmp_path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert [as_json(l.get_config()) for l in recurrent_layers(loaded)] == [
        as_json(l.get_config()) for l in recurrent_layers(model)]


def config_cases():
    yield "simple_rnn", lambda: rnnlab.SimpleRNN(
        5, activation="relu", dropout=(0.5, 0.75), bias=False, weights_init="uniform_scaling", return_seq=True,
        return_state=True, dynamic=True, trainable=False, restore=False, name="srnn")
    yield "lstm", lambda: rnnlab.LSTM(
        5, activation=half_tanh, inner_activation="hard_sigmoid", dropout=0.5, forget_bias=0.25,
        weights_init=np.ones((D + 5, 20), dtype=np.float32), return_seq=True, dynamic=True)
    yield "gru", lambda: rnnlab.GRU(5, inner_activation=half_tanh, weights_init="truncated_normal",
                                    return_state=True)
    yield "bidirectional", lambda: rnnlab.BiRNN(
        rnnlab.GRUCell(5, bias=False, restore=False), rnnlab.BasicLSTMCell(5, forget_bias=0.0, trainable=False),
        return_seq=True, return_states=True, dynamic=True, name="bi")


@pytest.mark.parametrize("make", [make for _, make in config_cases()], ids=[k for k, _ in config_cases()])
def test_get_config_from_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    copy = type(layer).from_config(config)
    assert copy.get_config() == config
    # and the copy computes the same thing with the same weights
    x = data()
    layer(x)
    copy(x)
    randomise(layer, seed=5)
    copy.set_weights(layer.get_weights())
    assert_same_outputs(layer(x, training=False), copy(x, training=False))


def test_numpy_numbers_are_accepted_for_n_units_and_dropout():
    """Settings read from arrays or data frames arrive as NumPy scalars; configs stay plain JSON."""
    layer = rnnlab.LSTM(np.int64(5), dropout=np.float32(0.5))
    assert layer.cell.num_units == 5 and type(layer.cell.num_units) is int
    assert json.dumps(layer.get_config())
    pair = rnnlab.GRU(np.int32(3), dropout=[np.float64(0.5), np.float32(0.25)])
    assert pair.get_config()["dropout"] == (0.5, 0.25)
    assert rnnlab.simple_rnn(data(), np.int16(2)).shape == (B, 2)


# =========================================================================== 2. restore=False


def restore_model(restore_gru=True, restore_bw=True):
    """input -> lstm -> gru (restore?) -> bidirectional(lstm cell, gru cell (restore?)) -> Dense 'head'."""
    inp = rnnlab.input_data(shape=[None, T, D])
    h = rnnlab.lstm(inp, N, return_seq=True)
    h = rnnlab.gru(h, N, return_seq=True, restore=restore_gru)
    h = rnnlab.bidirectional_rnn(h, rnnlab.BasicLSTMCell(N), rnnlab.GRUCell(N, restore=restore_bw))
    return keras.Model(inp, keras.layers.Dense(2, name="head")(h))


@pytest.mark.parametrize("file_name", ["a.weights.h5", "a.keras"])
def test_restore_false_keeps_the_layer_weights_on_load(tmp_path, file_name):
    model_a = restore_model()
    for seed, layer in enumerate(recurrent_layers(model_a)):
        randomise(layer, seed=40 + seed)
    path = tmp_path / file_name
    model_a.save_weights(path) if file_name.endswith(".h5") else model_a.save(path)

    with rnnlab.naming_context():  # a second model built the same way gets the same layer names
        model_b = restore_model(restore_gru=False, restore_bw=False)
    lstm_a, gru_a, bi_a = recurrent_layers(model_a)
    lstm_b, gru_b, bi_b = recurrent_layers(model_b)
    assert gru_b.name == gru_a.name and bi_b.name == bi_a.name
    gru_b_initial = gru_b.get_weights()
    bw_b_initial = [w.numpy() for w in bi_b.cell_bw.weights]
    head_a = model_a.get_layer("head").get_weights()

    assert rnnlab.load_weights(model_b, path) is model_b

    assert_same_outputs(lstm_b.get_weights(), lstm_a.get_weights())  # restored
    assert_same_outputs(model_b.get_layer("head").get_weights(), head_a)  # restored
    assert_same_outputs([w.numpy() for w in bi_b.cell_fw.weights], [w.numpy() for w in bi_a.cell_fw.weights])
    assert_same_outputs(gru_b.get_weights(), gru_b_initial)  # kept: B's own initial values
    assert_same_outputs([w.numpy() for w in bi_b.cell_bw.weights], bw_b_initial)  # kept
    for kept, other in zip(gru_b_initial, gru_a.get_weights()):
        assert not np.array_equal(kept, other)


def test_restore_true_everywhere_loads_everything(tmp_path):
    """The control for the test above: with restore=True the same load changes every layer."""
    model_a = restore_model()
    for seed, layer in enumerate(recurrent_layers(model_a)):
        randomise(layer, seed=50 + seed)
    model_a.save_weights(tmp_path / "a.weights.h5")
    with rnnlab.naming_context():
        model_b = restore_model()
    rnnlab.load_weights(model_b, tmp_path / "a.weights.h5")
    assert_same_outputs(model_b.get_weights(), model_a.get_weights())


def test_restore_false_on_a_layer_class(tmp_path):
    def build():
        return keras.Sequential([keras.Input(shape=(T, D)), rnnlab.LSTM(N, return_seq=True, name="body"),
                                 rnnlab.SimpleRNN(N, restore=False, name="new_head")])

    model_a = build()
    randomise(model_a.get_layer("body"), seed=60)
    randomise(model_a.get_layer("new_head"), seed=61)
    model_a.save_weights(tmp_path / "a.weights.h5")
    model_b = build()
    kept = model_b.get_layer("new_head").get_weights()
    rnnlab.load_weights(model_b, tmp_path / "a.weights.h5")
    assert_same_outputs(model_b.get_layer("body").get_weights(), model_a.get_layer("body").get_weights())
    assert_same_outputs(model_b.get_layer("new_head").get_weights(), kept)


# =========================================================================== 3. trainable=False


def test_trainable_false_freezes_the_layer_in_fit():
    x, y = easy_regression(n=32)
    inp = rnnlab.input_data(shape=[None, T, 2])
    h = rnnlab.lstm(inp, N, return_seq=True, trainable=False, name="frozen")
    h = rnnlab.bidirectional_rnn(h, rnnlab.GRUCell(N), rnnlab.BasicRNNCell(N, trainable=False), return_seq=True)
    h = rnnlab.gru(h, N, name="trained")
    model = keras.Model(inp, keras.layers.Dense(1)(h))
    frozen, bi, trained = recurrent_layers(model)
    assert frozen.trainable_weights == [] and frozen.cell.trainable_weights == []
    assert len(frozen.non_trainable_weights) == 2
    assert bi.cell_bw.trainable_weights == [] and len(bi.cell_fw.trainable_weights) == 4
    assert {id(v) for v in model.trainable_weights}.isdisjoint(
        {id(v) for v in frozen.weights + bi.cell_bw.weights})

    def snapshot(layer):
        return [w.numpy().copy() for w in layer.weights]

    before = {name: snapshot(layer) for name, layer in
              (("frozen", frozen), ("bw", bi.cell_bw), ("fw", bi.cell_fw), ("trained", trained))}
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert_same_outputs(snapshot(frozen), before["frozen"])
    assert_same_outputs(snapshot(bi.cell_bw), before["bw"])
    for name, layer in (("fw", bi.cell_fw), ("trained", trained)):
        for old, new in zip(before[name], snapshot(layer)):
            assert not np.array_equal(old, new), f"{name}: a weight did not change in fit"


# =========================================================================== 4. scope / reuse / names


def test_reuse_shares_one_set_of_variables():
    x1, x2 = data(seed=1), data(seed=2)
    in1, in2 = rnnlab.input_data(shape=[None, T, D]), rnnlab.input_data(shape=[None, T, D])
    out1 = rnnlab.lstm(in1, 8, scope="enc", dynamic=True)
    out2 = rnnlab.lstm(in2, 8, scope="enc", reuse=True, dynamic=True)
    model = keras.Model([in1, in2], [out1, out2])
    (layer,) = recurrent_layers(model)  # the very same layer, called twice
    assert layer.name == "enc"
    assert len(model.weights) == 2 and len(model.trainable_weights) == 2
    randomise(layer, seed=70)
    got1, got2 = model.predict([x1, x2], verbose=0)
    weights = layer.get_weights()
    np.testing.assert_allclose(got1, ref.lstm(x1, weights, 8, dynamic=True), atol=ATOL)
    np.testing.assert_allclose(got2, ref.lstm(x2, weights, 8, dynamic=True), atol=ATOL)


def test_reuse_on_concrete_arrays_uses_the_same_weights():
    """Nothing but the scope registry holds a layer run on arrays: reuse must still find it (after a GC too)."""
    x1, x2 = data(seed=3), data(seed=4)
    out1 = rnnlab.gru(x1, N, scope="enc")
    gc.collect()
    out2 = rnnlab.gru(x2, N, scope="enc", reuse=True)
    registry_layer = rnnlab.layers.scopes.current().lookup("enc")
    weights = registry_layer.get_weights()
    np.testing.assert_allclose(out1, ref.gru(x1, weights, N), atol=ATOL)
    np.testing.assert_allclose(out2, ref.gru(x2, weights, N), atol=ATOL)


def test_reuse_with_other_return_options_still_shares_the_variables():
    x1, x2 = data(seed=5), data(seed=6)
    in1, in2 = rnnlab.input_data(shape=[None, T, D]), rnnlab.input_data(shape=[None, T, D])
    last = rnnlab.lstm(in1, N, scope="enc")
    seq, (c, h) = rnnlab.lstm(in2, N, scope="enc", reuse=True, return_seq=True, return_state=True)
    model = keras.Model([in1, in2], [last, seq, c, h])
    first, second = recurrent_layers(model)
    assert (first.name, second.name) == ("enc", "enc_1")
    assert first.cell is second.cell
    assert len(model.weights) == 2
    assert {id(v) for v in first.weights} == {id(v) for v in second.weights}
    randomise(first, seed=71)  # changing one changes the other
    assert_same_outputs(second.get_weights(), first.get_weights())
    got = model.predict([x1, x2], verbose=0)
    weights = first.get_weights()
    np.testing.assert_allclose(got[0], ref.lstm(x1, weights, N), atol=ATOL)
    seq_ref, (c_ref, h_ref) = ref.lstm(x2, weights, N, return_seq=True, return_state=True)
    for actual, expected in zip(got[1:], (seq_ref, c_ref, h_ref)):
        np.testing.assert_allclose(actual, expected, atol=ATOL)


def test_scope_overrides_name_and_default_names_are_unique():
    x = rnnlab.input_data(shape=[None, T, D])
    names = [
        rnnlab.lstm(x, N)._keras_history.operation.name,
        rnnlab.lstm(x, N)._keras_history.operation.name,
        rnnlab.lstm(x, N, name="LSTM")._keras_history.operation.name,
        rnnlab.gru(x, N)._keras_history.operation.name,
        rnnlab.simple_rnn(x, N)._keras_history.operation.name,
        rnnlab.bidirectional_rnn(x, *bi_cells())._keras_history.operation.name,
        rnnlab.bidirectional_rnn(x, *bi_cells())._keras_history.operation.name,
        rnnlab.lstm(x, N, name="Encoder")._keras_history.operation.name,
        rnnlab.lstm(x, N, name="Encoder")._keras_history.operation.name,
        rnnlab.lstm(x, N, scope="dec", name="Ignored")._keras_history.operation.name,
    ]
    assert names == ["LSTM", "LSTM_1", "LSTM_2", "GRU", "SimpleRNN", "BiRNN", "BiRNN_1", "Encoder", "Encoder_1",
                     "dec"]


def test_several_inputs_get_unique_names_and_build_a_model():
    in1, in2 = rnnlab.input_data(shape=[None, T, D]), rnnlab.input_data(shape=[None, T, D])
    assert in1.name != in2.name
    model = keras.Model([in1, in2], [rnnlab.gru(in1, N), rnnlab.gru(in2, N)])
    assert [l.name for l in model.layers] == ["InputData", "InputData_1", "GRU", "GRU_1"]


def test_naming_context_starts_fresh_and_hides_outer_scopes():
    x = data()
    rnnlab.lstm(x, N, scope="enc")
    outer_name = rnnlab.lstm(rnnlab.input_data(shape=[None, T, D]), N)._keras_history.operation.name
    assert outer_name == "LSTM"
    with rnnlab.naming_context():
        assert rnnlab.lstm(rnnlab.input_data(shape=[None, T, D]), N)._keras_history.operation.name == "LSTM"
        with pytest.raises(rnnlab.RnnlabError, match="no layer with that scope"):
            rnnlab.lstm(x, N, scope="enc", reuse=True)  # the outer 'enc' is not visible
        rnnlab.lstm(x, N, scope="enc")  # and its name is free here
    # back outside: the outer registry continues where it was
    assert rnnlab.lstm(rnnlab.input_data(shape=[None, T, D]), N)._keras_history.operation.name == "LSTM_1"
    rnnlab.lstm(x, N, scope="enc", reuse=True)
    with pytest.raises(rnnlab.RnnlabError, match="already used"):
        rnnlab.lstm(x, N, scope="enc")


def reused_model(different_options: bool):
    in1, in2 = rnnlab.input_data(shape=[None, T, D]), rnnlab.input_data(shape=[None, T, D])
    out1 = rnnlab.lstm(in1, N, scope="enc", dynamic=True)
    out2 = rnnlab.lstm(in2, N, scope="enc", reuse=True, dynamic=True, return_seq=different_options)
    return keras.Model([in1, in2], [out1, rnnlab.gru(out2, 3) if different_options else out2])


@pytest.mark.parametrize("different_options", [False, True], ids=["same layer", "twin layer sharing a cell"])
def test_model_with_a_reused_layer_round_trips_through_a_keras_file(tmp_path, different_options):
    x1, x2 = data(seed=7), data(seed=8)
    model = reused_model(different_options)
    randomise(recurrent_layers(model)[0], seed=72)
    loaded = save_and_load(model, tmp_path)
    assert_same_outputs(model.predict([x1, x2], verbose=0), loaded.predict([x1, x2], verbose=0))
    shared = [l for l in recurrent_layers(loaded) if isinstance(l, rnnlab.LSTM)]
    assert len(shared) == (2 if different_options else 1)
    assert all(l.cell is shared[0].cell for l in shared)  # still one set of weights after loading
    assert len(loaded.weights) == len(model.weights)
    # and it saves again
    again = save_and_load(loaded, tmp_path, "again.keras")
    assert_same_outputs(model.predict([x1, x2], verbose=0), again.predict([x1, x2], verbose=0))


def test_several_twins_get_unique_names():
    inputs = [rnnlab.input_data(shape=[None, T, D]) for _ in range(3)]
    a = rnnlab.gru(inputs[0], N, scope="enc")
    b = rnnlab.gru(inputs[1], N, scope="enc", reuse=True, return_seq=True)
    c, _ = rnnlab.gru(inputs[2], N, scope="enc", reuse=True, return_state=True)
    model = keras.Model(inputs, [a, b, c])
    assert [l.name for l in recurrent_layers(model)] == ["enc", "enc_1", "enc_2"]
    assert len(model.weights) == 4


# =========================================================================== 5. dropout


def binomial_tolerance(p, count, sigmas=5.0):
    return sigmas * math.sqrt(p * (1 - p) / count)


def test_output_dropout_statistics():
    keep_out = 0.7
    x = data(batch=512, padded=False, seed=9)
    layer = rnnlab.LSTM(8, dropout=(1.0, keep_out), return_seq=True)
    clean = layer(x, training=False).numpy()  # [B, T, n], no exact zeros
    assert np.all(clean != 0)
    dropped = layer(x, training=True).numpy()
    zero = dropped == 0
    p = 1 - keep_out
    assert abs(zero.mean() - p) < binomial_tolerance(p, zero.size)
    for t in range(T):  # each step on its own
        assert abs(zero[:, t].mean() - p) < binomial_tolerance(p, zero[:, t].size)
    # survivors are scaled by 1 / keep (inverted dropout), at the same steps as the clean output
    np.testing.assert_allclose(dropped[~zero], clean[~zero] / keep_out, rtol=1e-5, atol=1e-6)
    # a fresh mask every step: masks of neighbouring steps differ where independent masks would
    for t in range(T - 1):
        differ = (zero[:, t] != zero[:, t + 1]).mean()
        assert abs(differ - 2 * p * (1 - p)) < binomial_tolerance(2 * p * (1 - p), zero[:, t].size)
    # and a fresh mask every call
    assert not np.array_equal(zero, layer(x, training=True).numpy() == 0)


def identity_rnn(dropout):
    """SimpleRNN with h_t = x_t (linear, input kernel 1, recurrent kernel 0, no bias): shows what reaches h."""
    return rnnlab.SimpleRNN(1, activation="linear", bias=False, weights_init=np.array([[1.0], [0.0]]),
                            dropout=dropout, return_seq=True)


def test_input_dropout_statistics():
    keep_in = 0.6
    x = np.ones((2000, T, 1), dtype=np.float32)
    h = identity_rnn((keep_in, 1.0))(x, training=True).numpy()[..., 0]  # [B, T]
    zero = h == 0
    p = 1 - keep_in
    assert abs(zero.mean() - p) < binomial_tolerance(p, zero.size)
    np.testing.assert_allclose(h[~zero], 1.0 / keep_in, rtol=1e-6)
    for t in range(T - 1):
        differ = (zero[:, t] != zero[:, t + 1]).mean()
        assert abs(differ - 2 * p * (1 - p)) < binomial_tolerance(2 * p * (1 - p), zero[:, t].size)


def test_float_dropout_drops_input_and_output():
    keep = 0.5
    x = np.ones((2000, T, 1), dtype=np.float32)
    h = identity_rnn(keep)(x, training=True).numpy()[..., 0]
    survive = keep * keep  # kept at the input and at the output
    zero = h == 0
    assert abs(zero.mean() - (1 - survive)) < binomial_tolerance(survive, zero.size)
    np.testing.assert_allclose(h[~zero], 1.0 / survive, rtol=1e-6)


@pytest.mark.parametrize("path", ["general", "xla"])
def test_dropout_does_not_touch_the_carried_state(path):
    """Input keep 1, output keep 0.5: the state returned is the clean one (only outputs are dropped).

    Both calls on one path: a training call of a small GRU takes the compiled loop by itself, an inference call
    the general one, and the two round differently in the last bits (rnnlab/layers/fast_paths.py)."""
    x = data(batch=64, padded=False)
    layer = rnnlab.GRU(N, dropout=(1.0, 0.5), return_seq=True, return_state=True)
    with rnnlab.layers.force_path(path):
        clean_seq, clean_state = layer(x, training=False)
        seq, state = layer(x, training=True)
    assert layer.last_path == path
    np.testing.assert_array_equal(state, clean_state)
    assert (seq.numpy() == 0).mean() > 0.3


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_is_exactly_off_at_inference(kind):
    x = data()
    with_dropout = LAYER_CLASSES[kind](N, dropout=(0.5, 0.6), return_seq=True, dynamic=True)
    without = LAYER_CLASSES[kind](N, return_seq=True, dynamic=True)
    with_dropout(x)
    without(x)
    randomise(with_dropout, seed=80)
    without.set_weights(with_dropout.get_weights())
    expected = without(x).numpy()
    np.testing.assert_array_equal(with_dropout(x, training=False), expected)
    np.testing.assert_array_equal(with_dropout(x), expected)  # training=None
    inp = keras.Input(shape=(T, D))
    model = keras.Model(inp, with_dropout(inp))
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
    np.testing.assert_array_equal(model(x, training=False), expected)
    assert not np.array_equal(model(x, training=True), expected)  # and it is on in training


# =========================================================================== 6. gradients


def gradient_layer(kind, dynamic, bias, with_state=False):
    if kind == "bidirectional":
        return rnnlab.BiRNN(*bi_cells("lstm", "gru", bias=bias), return_seq=True, dynamic=dynamic,
                            return_states=with_state)
    return LAYER_CLASSES[kind](N, bias=bias, return_seq=True, dynamic=dynamic, return_state=with_state)


def probe_loss(outputs, seed):
    """sum(outputs * fixed random weights) over every returned tensor: each output value matters."""
    rng = np.random.default_rng(seed)
    return tf.add_n([tf.reduce_sum(v * rng.normal(size=v.shape).astype(np.float32))
                     for v in keras.tree.flatten(outputs)])


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("kind", KINDS + ("bidirectional",))
def test_gradients_reach_every_weight(kind, dynamic, bias):
    x = tf.constant(data(seed=11))
    layer = gradient_layer(kind, dynamic, bias)
    layer(x)
    randomise(layer, seed=12)
    expected_count = {"simple_rnn": 2, "lstm": 2, "gru": 4, "bidirectional": 6}[kind]
    assert len(layer.trainable_weights) == (expected_count if bias else expected_count // 2)
    with tf.GradientTape() as tape:
        loss = probe_loss(layer(x, training=True), seed=13)
    grads = tape.gradient(loss, layer.trainable_weights)
    for weight, grad in zip(layer.trainable_weights, grads):
        assert grad is not None, f"no gradient for {weight.path}"
        grad = np.asarray(tf.convert_to_tensor(grad))
        assert np.all(np.isfinite(grad)), weight.path
        assert np.any(grad != 0), f"zero gradient for {weight.path}"


@pytest.mark.parametrize("explicit_seq_len", [False, True], ids=["inferred", "seq_len"])
@pytest.mark.parametrize("kind", KINDS + ("bidirectional",))
def test_padded_steps_get_exactly_zero_input_gradient(kind, explicit_seq_len):
    """Dynamic mode: nothing computed at t >= length reaches the outputs or the final states, so the gradient of
    a loss on all of them with respect to x is exactly 0 there."""
    x_np = data(seed=14)
    lengths = true_lengths(x_np)
    if explicit_seq_len:  # real (non-zero) values past the given lengths: they must not matter either
        x_np = data(seed=14, padded=False)
    x = tf.constant(x_np)
    layer = gradient_layer(kind, dynamic=True, bias=True, with_state=True)
    layer(x)
    randomise(layer, seed=15)
    call = {"seq_len": lengths} if explicit_seq_len else {}
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = probe_loss(layer(x, **call), seed=16)
    grad = tape.gradient(loss, x).numpy()
    valid = np.arange(T)[None, :] < lengths[:, None]  # [B, T]
    assert lengths.min() < T  # the batch has padding
    np.testing.assert_array_equal(grad[~valid], 0.0)
    assert np.all(np.abs(grad[valid]).sum(axis=-1) > 0)  # and every real step does get a gradient


# =========================================================================== 7. time steps None, input_data


def test_none_time_steps_run_with_two_lengths():
    inp = rnnlab.input_data(shape=[None, None, D])
    h = rnnlab.lstm(inp, N, return_seq=True, dynamic=True)
    h = rnnlab.bidirectional_rnn(h, *bi_cells("gru", "simple_rnn"), return_seq=True, dynamic=True)
    out, state = rnnlab.gru(h, N, return_state=True)
    model = keras.Model(inp, [out, state])
    assert model.input_shape == (None, None, D)
    layers = recurrent_layers(model)
    for seed, layer in enumerate(layers):
        randomise(layer, seed=90 + seed)
    for time_steps in (3, 9):
        x = data(time_steps=time_steps, seed=time_steps)
        got = model.predict(x, verbose=0)
        h1 = layers[0](x)
        expected = layers[2](layers[1](h1))
        assert got[0].shape == (B, N)
        assert_close_all(got, expected)
        np.testing.assert_allclose(h1, ref.lstm(x, layers[0].get_weights(), N, return_seq=True, dynamic=True),
                                   atol=ATOL)


def assert_close_all(actual, expected):
    for a, e in zip(keras.tree.flatten(actual), keras.tree.flatten(expected)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), atol=ATOL)


def test_input_data_adds_the_batch_axis_like_tflearn():
    """TFLearn: a shape whose first entry is not None gets None put in front."""
    assert tuple(rnnlab.input_data(shape=[T, D]).shape) == (None, T, D)
    assert tuple(rnnlab.input_data(shape=[None, T, D]).shape) == (None, T, D)
    assert tuple(rnnlab.input_data(shape=(None, None, D)).shape) == (None, None, D)
