"""bench/bench_layers.py still runs: one tiny row, both models trained, numbers that make sense.

Speed itself is measured by the benchmark, never asserted here.
"""

import importlib.util
import pathlib

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
    result = bench_layers.bench("tiny", "lstm", dynamic, repeats=3, trials=2, warmup=1)
    assert result["rnnlab"] > 0 and result["keras"] > 0
    assert len(result["trial_ratios"]) == 2
    # the median of all rounds lies between the trials' medians
    assert min(result["trial_ratios"]) <= result["ratio"] <= max(result["trial_ratios"])


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
