"""rnnlab.add_hook: NumPy records of every rnnlab layer's gates after forward calls, in fit and inference.

Checks: what a hook receives (StepRecords, names and shapes, values equal to probe's), when (every forward
call in model.fit, model.predict, evaluate and eager calls; every N calls per layer; only chosen layers),
removal (hook.remove(), context manager; no calls afterwards, also in a later fit; a hook added to a layer
reaches a model whose functions Keras had already traced), and that hooks never change what the model computes.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rnnlab  # noqa: E402

T, D, N = 6, 3, 4
SAMPLES, BATCH = 12, 4  # 3 batches per epoch
QUANTITIES = {
    "simple_rnn": ("pre_activation", "h"),
    "lstm": ("input", "candidate", "forget", "output", "c", "h"),
    "gru": ("reset", "update", "candidate", "h"),
}


def make_model(seed=0):
    """input -> LSTM(return_seq, dynamic) -> BiRNN(GRU, SimpleRNN) -> Dense(1), compiled (adam, mse)."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((T, D))
    lstm = rnnlab.LSTM(N, return_seq=True, dynamic=True, name="lstm")
    bi = rnnlab.BiRNN(rnnlab.GRUCell(N), rnnlab.BasicRNNCell(N), dynamic=True, name="bi")
    model = keras.Model(inputs, keras.layers.Dense(1)(bi(lstm(inputs))))
    model.compile(optimizer="adam", loss="mse")
    return model


def make_small_model(seed=0):
    """input -> LSTM -> Dense(1), compiled: for the tests that make Keras retrace its steps many times."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((T, D))
    model = keras.Model(inputs, keras.layers.Dense(1)(rnnlab.LSTM(N, name="lstm")(inputs)))
    model.compile(optimizer="adam", loss="mse")
    return model


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(SAMPLES, T, D)).astype(np.float32)
    x[1, 3:] = 0.0  # one padded sample: valid must say so
    y = rng.normal(size=(SAMPLES, 1)).astype(np.float32)
    return x, y


class Recorder:
    def __init__(self):
        self.records = []

    def __call__(self, rec):
        self.records.append(rec)

    def count(self, layer=None):
        return sum(1 for r in self.records if layer is None or r.layer == layer)


LAYER_KEYS = ("lstm", "bi/fw", "bi/bw")


def test_fit_calls_the_hook_every_batch_with_numpy_records():
    model, (x, y) = make_model(), make_data()
    recorder = Recorder()
    hook = rnnlab.add_hook(model, recorder)
    assert isinstance(hook, rnnlab.Hook)
    model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    for key in LAYER_KEYS:
        assert recorder.count(key) == 2 * SAMPLES // BATCH, key
    assert recorder.count() == 3 * 2 * SAMPLES // BATCH
    for rec in recorder.records:
        assert isinstance(rec, rnnlab.StepRecords)
        assert rec.kind == {"lstm": "lstm", "bi/fw": "gru", "bi/bw": "simple_rnn"}[rec.layer]
        assert rec.direction == {"lstm": None, "bi/fw": "fw", "bi/bw": "bw"}[rec.layer]
        assert tuple(rec.quantities) == QUANTITIES[rec.kind]
        for value in rec.quantities.values():
            assert isinstance(value, np.ndarray) and value.shape == (BATCH, T, N)
        assert isinstance(rec.valid, np.ndarray) and rec.valid.dtype == bool and rec.valid.shape == (BATCH, T)
    first_lstm = [r for r in recorder.records if r.layer == "lstm"]
    assert [r.call_index for r in first_lstm] == list(range(6))
    assert first_lstm[0].valid[1].tolist() == [True] * 3 + [False] * 3  # sample 1 of the first batch is padded
    hook.remove()


def test_every_n_batches_and_chosen_layers():
    model, (x, y) = make_model(), make_data()
    recorder = Recorder()
    with rnnlab.add_hook(model, recorder, every=2, layers=["bi"]):
        model.fit(x, y, batch_size=BATCH, epochs=3, shuffle=False, verbose=0)  # 9 forward calls per layer
    assert recorder.count("lstm") == 0
    for key in ("bi/fw", "bi/bw"):
        assert [r.call_index for r in recorder.records if r.layer == key] == [0, 2, 4, 6, 8]


def test_inference_predict_evaluate_and_eager_calls_match_probe():
    model, (x, y) = make_model(), make_data()
    trace = rnnlab.probe(model, x)
    recorder = Recorder()
    with rnnlab.add_hook(model, recorder) as hook:
        model.predict(x, batch_size=SAMPLES, verbose=0)
        assert recorder.count() == 3
        model(x, training=False)  # eager
        assert recorder.count() == 6
        model.evaluate(x, y, batch_size=BATCH, verbose=0)
        assert recorder.count() == 6 + 3 * SAMPLES // BATCH
        model.predict_on_batch(x)
        assert recorder.count() == 6 + 3 * SAMPLES // BATCH + 3
    assert not hook.active
    for rec in recorder.records[:6]:  # predict and the eager call saw the batch probe saw
        expected = trace.layers[rec.layer]
        for q, value in rec.quantities.items():
            np.testing.assert_allclose(value, expected.quantities[q], atol=1e-6, err_msg=f"{rec.layer} {q}")
        np.testing.assert_array_equal(rec.valid, expected.valid)


def test_removed_hook_is_never_called_again():
    model, (x, y) = make_small_model(), make_data()
    recorder = Recorder()
    hook = rnnlab.add_hook(model, recorder)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    seen = recorder.count()
    assert seen == SAMPLES // BATCH
    hook.remove()
    hook.remove()  # twice is harmless
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    model.predict(x, verbose=0)
    model(x)
    assert recorder.count() == seen

    with rnnlab.add_hook(model, recorder, every=3):  # a new hook (context manager) on the same model
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    assert recorder.count() == seen + 1  # batches 0, 3, 6, ...: one of three
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    assert recorder.count() == seen + 1


def test_hook_on_a_layer_reaches_already_traced_model_functions():
    model, (x, y) = make_small_model(), make_data()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # Keras traces and caches its train / predict steps
    model.predict(x, verbose=0)
    recorder = Recorder()
    hook = rnnlab.add_hook(model.get_layer("lstm"), recorder)
    model.predict(x, batch_size=SAMPLES, verbose=0)
    assert recorder.count("lstm") == 1 and recorder.count() == 1
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    assert recorder.count("lstm") == 1 + SAMPLES // BATCH
    hook.remove()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    model.predict(x, verbose=0)
    assert recorder.count() == 1 + SAMPLES // BATCH


def test_hooks_never_change_outputs_or_training():
    model, (x, y) = make_model(), make_data()
    predicted, eager = model.predict(x, verbose=0), np.asarray(model(x, training=False))
    with rnnlab.add_hook(model, Recorder()):
        np.testing.assert_allclose(model.predict(x, verbose=0), predicted, atol=1e-7)
        np.testing.assert_allclose(np.asarray(model(x, training=False)), eager, atol=1e-7)
    # removed: bit-identical to before
    np.testing.assert_array_equal(model.predict(x, verbose=0), predicted)
    np.testing.assert_array_equal(np.asarray(model(x, training=False)), eager)

    # training with a hook ends with the same weights as training without one
    plain, hooked = make_small_model(seed=1), make_small_model(seed=1)
    hooked.set_weights(plain.get_weights())
    plain.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    with rnnlab.add_hook(hooked, Recorder()):
        hooked.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(plain.get_weights(), hooked.get_weights()):
        np.testing.assert_allclose(b, a, atol=1e-6)


def test_bad_hooks_are_clear_errors():
    model = make_model()
    with pytest.raises(rnnlab.RnnlabError, match=r"`every` must be a positive int.*received 0"):
        rnnlab.add_hook(model, print, every=0)
    with pytest.raises(rnnlab.RnnlabError, match=r"`every`.*received '2'"):
        rnnlab.add_hook(model, print, every="2")
    with pytest.raises(TypeError, match=r"`fn` must be callable"):
        rnnlab.add_hook(model, "print")
    with pytest.raises(rnnlab.RnnlabError, match=r"Unknown layer name\(s\) \['nope'\].*lstm, bi"):
        rnnlab.add_hook(model, print, layers=["nope"])
    dense_only = keras.Sequential([keras.Input((T, D)), keras.layers.Dense(1)])
    with pytest.raises(rnnlab.RnnlabError, match=r"no rnnlab recurrent layers to hook \(received Sequential\)"):
        rnnlab.add_hook(dense_only, print)
    # a failed registration leaves nothing attached
    recorder = Recorder()
    with pytest.raises(rnnlab.RnnlabError):
        rnnlab.add_hook(model, recorder, every=-1)
    model(make_data()[0])
    assert recorder.count() == 0


def test_hook_turns_xla_off_while_attached_and_back_on_after():
    import keras
    import numpy as np

    import rnnlab

    inputs = rnnlab.input_data(shape=[None, 6, 2])
    model = keras.Model(inputs, keras.layers.Dense(1)(rnnlab.gru(inputs, 3)))
    model.compile("adam", "mse", jit_compile=True)
    seen = []
    x, y = np.random.rand(4, 6, 2).astype("float32"), np.random.rand(4, 1).astype("float32")
    with rnnlab.add_hook(model, lambda rec: seen.append(rec.layer)):
        assert model.jit_compile is False
        model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert model.jit_compile is True
    assert seen == ["GRU"]
