"""bench/bench_layers.py still runs: one tiny row, both models trained, numbers that make sense.

Speed itself is measured by the benchmark, never asserted here.
"""

import importlib.util
import pathlib

import numpy as np
import pytest

BENCH = pathlib.Path(__file__).resolve().parents[1] / "bench" / "bench_layers.py"


@pytest.fixture(scope="module")
def bench_layers():
    spec = importlib.util.spec_from_file_location("bench_layers", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.SIZES["tiny"] = dict(batch=4, time=5, features=2, units=3)
    return module


@pytest.mark.parametrize("dynamic", [False, True])
def test_one_row_of_two_trials(bench_layers, dynamic):
    result = bench_layers.bench("tiny", "lstm", dynamic, repeats=3, trials=2, warmup=1, optimizer="sgd",
                                paths=("general",))
    assert result["rnnlab"] > 0 and result["keras"] > 0 and result["fused"] > 0 and result["general"] > 0
    assert len(result["trial_ratios"]) == 2
    # the median of all rounds lies between the trials' medians
    assert min(result["trial_ratios"]) <= result["ratio"] <= max(result["trial_ratios"])
    assert result["path"] == "block_lstm" or bench_layers.tf.config.list_logical_devices("GPU")
    assert result["fused_ratio"] > 0 and result["general_ratio"] > 0


@pytest.mark.parametrize("dynamic", [False, True])
def test_fused_kernel_peer_computes_the_lstm_output_at_the_last_valid_step(bench_layers, dynamic):
    """The fused-kernel column is an LSTM (gates i, f, j, o, no forget bias) read at step length - 1."""
    size = bench_layers.SIZES["tiny"]
    x, _ = bench_layers.make_batch(size, dynamic)
    layer = bench_layers.FusedLSTM(size["units"], dynamic=dynamic)
    got = layer(x).numpy()
    w, b = (v.numpy().astype("float64") for v in layer.weights)
    n = size["units"]
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    c = h = np.zeros((x.shape[0], n))
    lengths = (abs(x).max(axis=2) > 0).sum(axis=1) if dynamic else np.full(x.shape[0], x.shape[1])
    expected = np.zeros_like(h)
    for t in range(x.shape[1]):
        i, f, j, o = np.split(np.concatenate([x[:, t], h], axis=1) @ w + b, 4, axis=1)
        c = c * sig(f) + sig(i) * np.tanh(j)
        h = np.tanh(c) * sig(o)
        expected[lengths - 1 == t] = h[lengths - 1 == t]
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_dynamic_batch_is_zero_padded_to_random_lengths(bench_layers):
    x, _ = bench_layers.make_batch(bench_layers.SIZES["standard"], dynamic=True)
    lengths = (abs(x).sum(axis=2) > 0).sum(axis=1)
    assert lengths.min() >= 50 // 3 and lengths.max() <= 50 and len(set(lengths)) > 5
    for row, length in zip(x, lengths):  # zeros only after the length: post-padding
        assert (abs(row[length:]).sum() == 0) and (abs(row[:length]).sum(axis=1) > 0).all()


@pytest.mark.parametrize("dynamic", [False, True])
def test_pytorch_peer_trains_where_installed(bench_layers, dynamic):
    """PyTorch is an optional peer of the benchmark, not a dependency: checked only where it is installed."""
    pytest.importorskip("torch")
    size = bench_layers.SIZES["tiny"]
    x, y = bench_layers.make_batch(size, dynamic)
    model = bench_layers.TorchModel("lstm", size, dynamic)
    losses = [model.train_on_batch(x, y) for _ in range(30)]
    assert losses[-1] < losses[0]  # Adam on one batch: the loss goes down
