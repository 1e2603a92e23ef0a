"""Whole Keras models into rnnlab (rnnlab/layers/keras_models.py, through rnnlab.from_keras).

The reference is the Keras model itself: the converted model's predict must equal the original's (Keras's own
LSTM / GRU / SimpleRNN code computes it), on post-padded data for masked models, for Functional and Sequential
models and for a .keras file. Then the refusals, each naming the layer and why.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rnnlab  # noqa: E402

B, T, D = 5, 6, 3
ATOL = 1e-5


def padded(seed=0):
    """[B, T, D] normal data, sample b post-padded with zeros after 1 + b steps (no all-zero real step)."""
    x = np.random.default_rng(seed).normal(size=(B, T, D)).astype("float32")
    for b in range(B):
        x[b, 1 + b:] = 0.0
    return x


def masked_stack(seed=1):
    """Masking -> LSTM(return_sequences) -> GRU(reset_after=False) -> Dense: a typical padded classifier."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((T, D))
    net = keras.layers.Masking(0.0, name="masking")(inputs)
    net = keras.layers.LSTM(5, return_sequences=True, name="lstm")(net)
    net = keras.layers.GRU(4, reset_after=False, name="gru", bias_initializer="random_normal")(net)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax", name="head")(net))


def assert_same_predictions(converted, original, x):
    got, want = converted.predict(x, verbose=0), original.predict(x, verbose=0)
    assert np.abs(want).max() > 1e-3  # something to compare
    np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)


def test_masked_functional_model_becomes_dynamic_rnnlab_layers_with_the_same_outputs():
    original = masked_stack()
    converted = rnnlab.from_keras(original)
    layers = {layer.name: layer for layer in converted.layers}
    assert isinstance(layers["lstm"], rnnlab.LSTM) and isinstance(layers["gru"], rnnlab.GRU)
    assert layers["lstm"].dynamic_lengths and layers["gru"].dynamic_lengths  # the mask became dynamic mode
    assert isinstance(layers["masking"], keras.layers.Identity)
    assert type(layers["head"]) is keras.layers.Dense and layers["head"] is not original.get_layer("head")
    for got, want in zip(layers["head"].get_weights(), original.get_layer("head").get_weights()):
        np.testing.assert_array_equal(got, want)
    assert_same_predictions(converted, original, padded())
    full = np.random.default_rng(3).normal(size=(B, T, D)).astype("float32")  # nothing padded
    assert_same_predictions(converted, original, full)


def test_sequential_model_without_mask_stays_static():
    keras.utils.set_random_seed(2)
    original = keras.Sequential([
        keras.Input((T, D)),
        keras.layers.SimpleRNN(4, return_sequences=True, name="rnn"),
        keras.layers.LSTM(3, name="lstm", recurrent_activation="tanh"),
        keras.layers.Dense(1, name="out"),
    ])
    converted = rnnlab.from_keras(original)
    assert isinstance(converted, keras.Sequential)
    assert [type(layer).__name__ for layer in converted.layers] == ["SimpleRNN", "LSTM", "Dense"]
    assert isinstance(converted.layers[0], rnnlab.SimpleRNN) and not converted.layers[0].dynamic_lengths
    assert converted.get_layer("lstm").cell.inner_activation == "tanh"
    assert_same_predictions(converted, original, np.random.default_rng(4).normal(size=(B, T, D)).astype("float32"))


def test_keras_file_is_loaded_in_safe_mode_and_converted(tmp_path):
    original = masked_stack(seed=5)
    path = tmp_path / "classifier.keras"
    original.save(path)
    for given in (path, str(path)):
        assert_same_predictions(rnnlab.from_keras(given), original, padded(6))


def test_keras_file_with_code_is_refused_by_safe_mode(tmp_path):
    inputs = keras.Input((T, D))
    net = keras.layers.Lambda(lambda v: v * 2.0)(inputs)
    path = tmp_path / "with_code.keras"
    keras.Model(inputs, keras.layers.LSTM(2)(net)).save(path)
    with pytest.raises(rnnlab.RnnlabError, match=r"with_code.keras' was refused in safe mode: it holds code"):
        rnnlab.from_keras(path)


def test_bad_paths_name_the_file(tmp_path):
    with pytest.raises(rnnlab.RnnlabError, match=r"`path`='.*missing.keras': no such file"):
        rnnlab.from_keras(tmp_path / "missing.keras")
    with pytest.raises(rnnlab.RnnlabError, match=r"`path`='model.h5' must name a .keras model file"):
        rnnlab.from_keras("model.h5")
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip archive")
    with pytest.raises(rnnlab.RnnlabError, match=r"`path`='.*broken.keras' is not a .keras model file: a .keras file "
                                                  r"is a zip archive"):
        rnnlab.from_keras(broken)
    import zipfile

    other_zip = tmp_path / "other.keras"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("notes.txt", "a zip, but no model in it")
    with pytest.raises(rnnlab.RnnlabError, match=r"The file '.*other.keras' could not be read as a .keras model"):
        rnnlab.from_keras(other_zip)


def model_with(*layers, input_shape=(T, D), dtype="float32"):
    inputs = keras.Input(input_shape, dtype=dtype)
    net = inputs
    for layer in layers:
        net = layer(net)
    return keras.Model(inputs, net)


@pytest.mark.parametrize("layers, message", [
    ((keras.layers.GRU(3, name="gru_1"),),
     r"layer 'gru_1' \(keras GRU\): reset_after=True has no TFLearn/rnnlab equivalent .* rebuild it with "
     r"reset_after=False"),
    ((keras.layers.LSTM(3, recurrent_activation="hard_sigmoid", name="lstm_h"),),
     r"layer 'lstm_h' \(keras LSTM\): .*`recurrent_activation` is 'hard_sigmoid'"),
    ((keras.layers.Masking(0.0), keras.layers.Dense(4, name="proj"), keras.layers.LSTM(3, name="lstm_m")),
     r"layer 'lstm_m' \(keras LSTM\) receives a mask rnnlab cannot reproduce: its input comes from layer 'proj'"),
    ((keras.layers.Masking(-1.0, name="mask_neg"), keras.layers.LSTM(3)),
     r"layer 'mask_neg' \(keras Masking\): mask_value=-1.0"),
    ((keras.layers.Bidirectional(keras.layers.LSTM(3), name="bi"),),
     r"layer 'bi' \(keras Bidirectional\): keras Bidirectional has no rnnlab twin"),
    ((keras.layers.LSTM(3, go_backwards=True, name="back"),), r"layer 'back' \(keras LSTM\): go_backwards=True"),
    ((keras.layers.RNN(keras.layers.LSTMCell(3), name="generic"),),
     r"layer 'generic' \(keras RNN\): only keras LSTM, GRU and SimpleRNN .* LSTMCell"),
])
def test_layers_that_cannot_convert_are_named_with_the_reason(layers, message):
    with pytest.raises(rnnlab.RnnlabError, match=message):
        rnnlab.from_keras(model_with(*layers))


def test_embedding_mask_zero_is_refused_with_the_pitfall_explained():
    model = model_with(keras.layers.Embedding(10, 3, mask_zero=True, name="emb"), keras.layers.LSTM(3, name="lstm"),
                       input_shape=(T,), dtype="int32")
    with pytest.raises(rnnlab.RnnlabError, match=r"'lstm' \(keras LSTM\) receives a mask .* 'emb' \(keras Embedding\) "
                                                 r"with mask_zero=True.*padding id 0 maps to a non-zero"):
        rnnlab.from_keras(model)


def test_return_state_and_keyword_arguments_are_refused():
    inputs = keras.Input((T, D))
    out, h, c = keras.layers.LSTM(3, return_state=True, name="enc")(inputs)
    with pytest.raises(rnnlab.RnnlabError, match=r"layer 'enc' \(keras LSTM\): return_state=True"):
        rnnlab.from_keras(keras.Model(inputs, [out, h, c]))
    with pytest.raises(rnnlab.RnnlabError, match=r"keyword arguments \(dynamic\) for a single layer only"):
        rnnlab.from_keras(masked_stack(), dynamic=True)


def test_subclassed_models_and_other_objects_are_type_errors():
    class Custom(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(TypeError, match=r"subclassed model 'Custom'.*keras.Model\(inputs, outputs\)"):
        rnnlab.from_keras(Custom())
    with pytest.raises(TypeError, match=r"`keras_layer` must be a keras.layers.LSTM.*keras.Model.*received 3"):
        rnnlab.from_keras(3)


def test_masked_sequence_output_warns_and_differs_only_at_padded_steps():
    keras.utils.set_random_seed(7)
    original = model_with(keras.layers.Masking(0.0), keras.layers.SimpleRNN(3, return_sequences=True, name="seq"))
    with pytest.warns(UserWarning, match=r"'seq' \(keras SimpleRNN\) is masked and returns sequences.*outputs 0"):
        converted = rnnlab.from_keras(original)
    x = padded(8)
    got, want = converted.predict(x, verbose=0), original.predict(x, verbose=0)
    real = np.abs(x).max(axis=-1) > 0  # [B, T]
    np.testing.assert_allclose(got[real], want[real], atol=ATOL, rtol=0)
    assert np.all(got[~real] == 0.0)
    assert np.abs(want[~real]).min() > 0  # Keras repeats the last valid output there


def test_single_layer_path_still_returns_a_layer():
    keras_lstm = keras.layers.LSTM(3)
    keras_lstm.build((None, None, D))
    layer = rnnlab.from_keras(keras_lstm, dynamic=True)
    assert isinstance(layer, rnnlab.LSTM) and layer.dynamic_lengths


def test_nested_models_are_converted_too_and_rnnlab_layers_are_copied(tmp_path):
    keras.utils.set_random_seed(9)
    body = keras.Sequential([keras.Input((T, D)), keras.layers.LSTM(4, return_sequences=True, name="inner")],
                            name="body")
    inputs = keras.Input((T, D))
    net = keras.layers.GRU(3, reset_after=False, name="gru")(body(inputs))
    original = keras.Model(inputs, keras.layers.Dense(2, name="head")(net))
    converted = rnnlab.from_keras(original)
    assert isinstance(converted.get_layer("body").get_layer("inner"), rnnlab.LSTM)
    x = np.random.default_rng(10).normal(size=(B, T, D)).astype("float32")
    assert_same_predictions(converted, original, x)
    # a model already on rnnlab's layers (here from a .keras file) converts to an equal copy
    path = tmp_path / "rnnlab_model.keras"
    converted.save(path)
    again = rnnlab.from_keras(path)
    assert again.get_layer("gru") is not converted.get_layer("gru")
    assert_same_predictions(again, original, x)
