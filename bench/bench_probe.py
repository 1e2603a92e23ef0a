"""What probing costs: ``rnnlab.probe`` against a plain forward pass of the same model, same process, interleaved.

Model: ``input -> rnnlab.LSTM(units) -> Dense(1)``. Each repeat times, in turn:

* ``eager``   ``model(x, training=False)``              (plain forward, eager)
* ``predict`` ``model.predict_on_batch(x)``             (plain forward, compiled by Keras)
* ``probe``   ``rnnlab.probe(model, x)``                 (every gate of every step, as NumPy)
* ``probe+y`` ``rnnlab.probe(model, x, y, loss='mse')`` (also ||dL/dh_t||: forward + backward; for information)

and reports medians. Target: probe <= 2x the plain forward pass (the faster of eager and predict), and the trace
of a batch of 256 x 100 steps x 128 LSTM units under 150 MB (sum of its arrays' nbytes). ``first probe`` is the
first call on a fresh model, which includes tracing the recorded forward (later calls reuse it).

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_probe.py            # ~1 minute on 2 cores
    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_probe.py --quick    # fewer repeats
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import rnnlab  # noqa: E402

SIZES = {
    "standard": dict(batch=64, time=50, features=32, units=128),
    "large": dict(batch=256, time=100, features=32, units=128),
}
TARGET_RATIO = 2.0
TARGET_MB = 150.0


def make_model(size):
    inputs = keras.Input((size["time"], size["features"]))
    h = rnnlab.LSTM(size["units"])(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(h))


def make_batch(size, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(size["batch"], size["time"], size["features"])).astype("float32")
    y = rng.normal(size=(size["batch"], 1)).astype("float32")
    return x, y


def trace_nbytes(trace) -> int:
    """Sum of nbytes of every array a Trace holds (quantities, x, valid, seq_len, grad_norm, output)."""
    total = 0 if trace.output is None else trace.output.nbytes
    for record in trace.layers.values():
        total += sum(v.nbytes for v in record.quantities.values())
        total += record.x.nbytes + record.valid.nbytes + record.seq_len.nbytes
        total += 0 if record.grad_norm is None else record.grad_norm.nbytes
    return total


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def bench(size_name, repeats, warmup=3):
    size = SIZES[size_name]
    x, y = make_batch(size)
    model = make_model(size)
    first_probe = timed(lambda: rnnlab.probe(model, x))
    variants = {
        "eager": lambda: model(x, training=False).numpy(),
        "predict": lambda: model.predict_on_batch(x),
        "probe": lambda: rnnlab.probe(model, x),
        "probe+y": lambda: rnnlab.probe(model, x, y, loss="mse"),
    }
    for fn in variants.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in variants}
    for _ in range(repeats):  # interleaved: machine noise hits every variant alike
        for name, fn in variants.items():
            times[name].append(timed(fn))
    medians = {name: statistics.median(v) for name, v in times.items()}
    mb = trace_nbytes(rnnlab.probe(model, x)) / 1e6
    return medians, first_probe, mb


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 5 if args.quick else 15
    header = (f"{'size (B x T x D, n)':<24}{'eager ms':>10}{'predict ms':>12}{'probe ms':>10}{'probe+y ms':>12}"
              f"{'probe/eager':>13}{'probe/predict':>15}{'first probe ms':>16}{'trace MB':>10}")
    print(header)
    print("-" * len(header))
    verdicts = []
    for size_name, size in SIZES.items():
        medians, first, mb = bench(size_name, repeats)
        label = f"{size['batch']} x {size['time']} x {size['features']}, {size['units']}"
        plain = min(medians["eager"], medians["predict"])
        ratio_eager = medians["probe"] / medians["eager"]
        ratio_predict = medians["probe"] / medians["predict"]
        print(f"{label:<24}{medians['eager']:>10.1f}{medians['predict']:>12.1f}{medians['probe']:>10.1f}"
              f"{medians['probe+y']:>12.1f}{ratio_eager:>13.2f}{ratio_predict:>15.2f}{first:>16.0f}{mb:>10.1f}")
        verdicts.append(f"{size_name}: probe / fastest plain forward = {medians['probe'] / plain:.2f} "
                        f"(target <= {TARGET_RATIO})")
        if size_name == "large":
            verdicts.append(f"large: trace memory {mb:.1f} MB (target < {TARGET_MB:.0f} MB)")
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
