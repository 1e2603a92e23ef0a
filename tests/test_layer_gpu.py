"""The core layers on a GPU: the same outputs as on the CPU, and training runs there.

Marked ``gpu``; skipped (with the reason) where TensorFlow sees no GPU. Select or deselect with
``-m gpu`` / ``-m "not gpu"``.

TensorFloat-32 is switched off while these tests run: it rounds matmul inputs to 10 mantissa bits on
Ampere and later GPUs, which is a speed/precision setting of TensorFlow, not a property of the layers.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnlab  # noqa: E402

GPUS = tf.config.list_physical_devices("GPU")

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not GPUS, reason="no GPU visible to TensorFlow (tf.config.list_physical_devices('GPU') is empty)"
    ),
]

B, T, D, N = 8, 7, 3, 5  # batch, time, input_dim, units
ATOL = 1e-4
CPU, GPU = "/CPU:0", "/GPU:0"

KINDS = ("simple_rnn", "lstm", "gru", "bidirectional")


@pytest.fixture(autouse=True)
def _no_tf32():
    before = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    yield
    tf.config.experimental.enable_tensor_float_32_execution(before)


def padded_data(seed=0):
    """[B, T, D] float32; row b (b >= 1) post-padded to length T - b (row 0 full, some rows very short)."""
    x = np.random.default_rng(seed).normal(size=(B, T, D)).astype(np.float32)
    for b in range(1, B):
        x[b, max(T - b, 0):] = 0.0
    return x


def make_layer(kind, dynamic):
    """A layer returning the full sequence and its final state(s), so every returned value is compared."""
    if kind == "bidirectional":
        return rnnlab.BiRNN(rnnlab.BasicLSTMCell(N), rnnlab.GRUCell(N), return_seq=True, return_states=True,
                            dynamic=dynamic)
    layer_class = {"simple_rnn": rnnlab.SimpleRNN, "lstm": rnnlab.LSTM, "gru": rnnlab.GRU}[kind]
    return layer_class(N, return_seq=True, return_state=True, dynamic=dynamic)


def run_on(device, layer, x):
    """-> the layer's outputs (flat list of arrays) computed on ``device``, and the device of the first one."""
    with tf.device(device):
        outputs = keras.tree.flatten(layer(tf.constant(x)))
    return [o.numpy() for o in outputs], outputs[0].device


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("kind", KINDS)
def test_gpu_outputs_equal_cpu_outputs(kind, dynamic):
    x = padded_data()
    layer = make_layer(kind, dynamic)
    layer.build(x.shape)
    rng = np.random.default_rng(1)
    layer.set_weights([(0.5 * rng.normal(size=w.shape)).astype(np.float32) for w in layer.get_weights()])

    on_cpu, cpu_device = run_on(CPU, layer, x)
    on_gpu, gpu_device = run_on(GPU, layer, x)
    assert "CPU" in cpu_device.upper() and "GPU" in gpu_device.upper(), (cpu_device, gpu_device)
    assert len(on_cpu) == len(on_gpu)
    for a, b in zip(on_cpu, on_gpu):
        np.testing.assert_allclose(b, a, atol=ATOL, rtol=0)
    if dynamic:  # padded steps are exactly zero on the GPU too
        lengths = (np.abs(x).max(axis=2) > 0).sum(axis=1)
        past = np.arange(T)[None, :] >= lengths[:, None]  # [B, T]
        np.testing.assert_array_equal(on_gpu[0][past], 0.0)


def test_fit_step_runs_on_the_gpu():
    x = padded_data(seed=2)
    y = x[:, :, 0].sum(axis=1, keepdims=True)
    inp = rnnlab.input_data(shape=[None, T, D])
    h = rnnlab.lstm(inp, N, return_seq=True, dynamic=True, dropout=(0.9, 0.9))
    h = rnnlab.bidirectional_rnn(h, rnnlab.GRUCell(N), rnnlab.BasicRNNCell(N), dynamic=True)
    model = keras.Model(inp, keras.layers.Dense(1)(h))
    with tf.device(GPU):
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
        before = [w.numpy().copy() for w in model.trainable_weights]
        history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for variable in model.trainable_weights:
        assert "GPU" in variable.value.device.upper(), (variable.path, variable.value.device)
    changed = [not np.array_equal(b, w.numpy()) for b, w in zip(before, model.trainable_weights)]
    assert all(changed), [w.path for w, c in zip(model.trainable_weights, changed) if not c]
