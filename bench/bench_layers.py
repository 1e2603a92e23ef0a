"""Training-step speed of rnnlab's recurrent layers against Keras's own, same process, interleaved.

One step = forward + backward + Adam update through ``model.train_on_batch`` on a model
``input -> recurrent layer -> Dense(1)``, so both sides get exactly what a Keras user gets from ``compile``.
Dynamic mode: rnnlab ``dynamic=True`` against Keras ``Masking(0.0)`` before the layer, on a batch whose
samples are zero-padded to random lengths.

    .venv/bin/python bench/bench_layers.py            # both sizes, ~3 minutes on 2 cores
    .venv/bin/python bench/bench_layers.py --quick    # fewer repeats
    .venv/bin/python bench/bench_layers.py --kinds lstm --sizes standard --repeats 200

Prints one row per (size, layer, dynamic): median ms per step for each and the ratio rnnlab / keras
(below 1.0: rnnlab is faster).
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
    "classroom": dict(batch=32, time=30, features=1, units=16),
    "standard": dict(batch=64, time=50, features=32, units=128),
}
KINDS = {
    "lstm": (rnnlab.LSTM, keras.layers.LSTM),
    "gru": (rnnlab.GRU, keras.layers.GRU),
    "simple_rnn": (rnnlab.SimpleRNN, keras.layers.SimpleRNN),
}


def make_batch(size, dynamic, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(size["batch"], size["time"], size["features"])).astype("float32")
    if dynamic:
        lengths = rng.integers(size["time"] // 3, size["time"] + 1, size=size["batch"])
        x[np.arange(size["time"])[None, :] >= lengths[:, None]] = 0.0
    y = rng.normal(size=(size["batch"], 1)).astype("float32")
    return x, y


def rnnlab_model(kind, size, dynamic):
    layer_class = KINDS[kind][0]
    inputs = keras.Input((size["time"], size["features"]))
    kwargs = {"activation": "tanh"} if kind == "simple_rnn" else {}
    h = layer_class(size["units"], dynamic=dynamic, **kwargs)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    model.compile(optimizer="adam", loss="mse")
    return model


def keras_model(kind, size, dynamic):
    layer_class = KINDS[kind][1]
    inputs = keras.Input((size["time"], size["features"]))
    h = keras.layers.Masking(0.0)(inputs) if dynamic else inputs
    h = layer_class(size["units"])(h)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    model.compile(optimizer="adam", loss="mse")
    return model


def time_step(model, x, y) -> float:
    start = time.perf_counter()
    model.train_on_batch(x, y)
    return (time.perf_counter() - start) * 1e3


def bench(size_name, kind, dynamic, repeats, warmup=5):
    size = SIZES[size_name]
    x, y = make_batch(size, dynamic)
    models = {"keras": keras_model(kind, size, dynamic), "rnnlab": rnnlab_model(kind, size, dynamic)}
    for model in models.values():
        for _ in range(warmup):
            model.train_on_batch(x, y)
    times = {name: [] for name in models}
    for _ in range(repeats):  # interleaved: one step of each per round
        for name, model in models.items():
            times[name].append(time_step(model, x, y))
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--sizes", default="classroom,standard")
    parser.add_argument("--kinds", default="lstm,gru,simple_rnn")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved steps per row (default 40)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (15 if args.quick else 40)
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}, {os.cpu_count()} CPUs, "
          f"median of {repeats} interleaved train_on_batch steps")
    print(f"{'size':10} {'layer':10} {'dynamic':7} {'rnnlab ms':>10} {'keras ms':>9} {'ratio':>6}")
    for size_name in args.sizes.split(","):
        for kind in args.kinds.split(","):
            for dynamic in (False, True):
                result = bench(size_name, kind, dynamic, repeats)
                ratio = result["rnnlab"] / result["keras"]
                print(f"{size_name:10} {kind:10} {str(dynamic):7} {result['rnnlab']:10.2f} "
                      f"{result['keras']:9.2f} {ratio:6.2f}", flush=True)


if __name__ == "__main__":
    main()
