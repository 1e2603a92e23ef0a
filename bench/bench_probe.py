"""What probing costs: ``rnnlab.probe`` against ``model.predict_on_batch`` on the same model, same process, interleaved.

Model: ``input -> rnnlab.LSTM(units) -> Dense(1)``. Each round times, in turn:

* ``predict``     ``model.predict_on_batch(x)``                        (plain forward, compiled by Keras)
* ``probe``       ``rnnlab.probe(model, x)``                            (every gate of every step, as NumPy; path='auto')
* ``batched``     ``rnnlab.probe(model, x, path='batched')``            (gates recomputed from the states in one call)
* ``sequential``  ``rnnlab.probe(model, x, path='sequential')``         (gates written by the time loop at every step)
* ``probe+y``     ``rnnlab.probe(model, x, y, loss='mse')``             (also ||dL/dh_t||: forward + backward; for information)

and reports wall-clock medians and each probe's ratio to predict (also in CPU time, steadier on a shared machine). Targets (issue 13): probe <= 1.3x predict_on_batch at the
classroom and the standard size, and the trace of a batch of 256 x 100 steps x 128 LSTM units under 150 MB (sum of
its arrays' nbytes; ``--large`` measures that size too). ``first probe`` is the first call on a fresh model, which
includes tracing the recorded forward (later calls reuse it).

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_probe.py            # ~1 minute on 2 cores
    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_probe.py --quick    # fewer rounds
    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_probe.py --large    # also 256 x 100 x 32, 128 (slow)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import rnnlab  # noqa: E402

SIZES = {
    "classroom": dict(batch=32, time=30, features=1, units=16),
    "standard": dict(batch=64, time=50, features=32, units=128),
    "large": dict(batch=256, time=100, features=32, units=128),
}
TARGET_RATIO = 1.3  # probe / predict_on_batch
TARGET_MB = 150.0
PROBES = ("probe", "batched", "sequential", "probe+y")


def make_model(size):
    """-> input [B, T, D] -> rnnlab.LSTM(n) -> Dense(1), compiled with mse (probe+y uses its loss)."""
    inputs = keras.Input((size["time"], size["features"]))
    h = rnnlab.LSTM(size["units"])(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    model.compile(loss="mse")
    return model


def make_batch(size, seed=0):
    """-> x [B, T, D], y [B, 1] float32, standard normal."""
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


def timed(fn) -> tuple[float, float]:
    """-> (wall ms, this process's CPU ms, all threads) of one call."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - start) * 1e3, (time.process_time() - cpu) * 1e3


def bench(size, rounds, warmup=3):
    """-> (median wall ms per variant, median CPU ms per variant, first probe ms, trace MB, the path 'auto' took)."""
    x, y = make_batch(size)
    model = make_model(size)
    first_probe = timed(lambda: rnnlab.probe(model, x))[0]
    variants = {
        "predict": lambda: model.predict_on_batch(x),
        "probe": lambda: rnnlab.probe(model, x),
        "batched": lambda: rnnlab.probe(model, x, path="batched"),
        "sequential": lambda: rnnlab.probe(model, x, path="sequential"),
        "probe+y": lambda: rnnlab.probe(model, x, y, loss="mse"),
    }
    for fn in variants.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in variants}
    for _ in range(rounds):  # interleaved: machine noise hits every variant alike
        for name, fn in variants.items():
            times[name].append(timed(fn))
    medians = {name: statistics.median(wall for wall, _ in v) for name, v in times.items()}
    cpu_medians = {name: statistics.median(cpu for _, cpu in v) for name, v in times.items()}
    trace = rnnlab.probe(model, x)
    auto_path = next(iter(trace.layers.values())).gate_path
    return medians, cpu_medians, first_probe, trace_nbytes(trace) / 1e6, auto_path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--large", action="store_true", help="also the 256 x 100 x 32, 128 size (trace memory)")
    args = parser.parse_args()
    rounds = 7 if args.quick else 21
    print("command: TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_probe.py " + " ".join(sys.argv[1:]))
    print(f"medians of {rounds} interleaved rounds, ms; ratios are probe / predict_on_batch")
    header = (f"{'size':<10}{'B x T x D, n':<20}{'predict':>9}" + "".join(f"{p:>12}" for p in PROBES)
              + "".join(f"{p + '/pred':>17}" for p in PROBES[:3]) + f"{'auto path':>12}{'first probe':>13}"
              + f"{'trace MB':>10}")
    print(header)
    print("-" * len(header))
    verdicts, cpu_lines = [], []
    for size_name in ("classroom", "standard") + (("large",) if args.large else ()):
        size = SIZES[size_name]
        medians, cpu, first, mb, auto_path = bench(size, rounds)
        label = f"{size['batch']} x {size['time']} x {size['features']}, {size['units']}"
        ratios = {p: medians[p] / medians["predict"] for p in PROBES}
        print(f"{size_name:<10}{label:<20}{medians['predict']:>9.2f}" + "".join(f"{medians[p]:>12.2f}" for p in PROBES)
              + "".join(f"{ratios[p]:>17.2f}" for p in PROBES[:3]) + f"{auto_path:>12}{first:>13.0f}{mb:>10.1f}")
        cpu_lines.append(f"{size_name:<10}" + "  ".join(f"{p} {cpu[p] / cpu['predict']:.2f}" for p in PROBES[:3]))
        if size_name == "large":
            verdicts.append(f"large: trace memory {mb:.1f} MB (target < {TARGET_MB:.0f} MB)")
        else:
            ok = "met" if ratios["probe"] <= TARGET_RATIO else "NOT met"
            verdicts.append(f"{size_name}: probe / predict_on_batch = {ratios['probe']:.2f} (target <= {TARGET_RATIO}: "
                            f"{ok})")
    print()
    print("the same ratios in CPU time (this process, all threads; steadier than wall time on a busy machine):")
    print("\n".join(cpu_lines))
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
