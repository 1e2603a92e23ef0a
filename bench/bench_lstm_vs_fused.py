"""rnnlab's classroom LSTM against TensorFlow's fused kernel alone, many interleaved rounds (not a test).

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_lstm_vs_fused.py            # 400 rounds
    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_lstm_vs_fused.py --rounds 1000

bench_layers.py builds fresh models per trial and runs 20 rounds each, with Keras's model in every round; its
"rnnlab / fused" column for the classroom LSTM without dynamic mode moved between 1.05 and 1.12 across runs. Both
models run the same kernel (rnnlab's block_lstm path takes BlockLSTM, gates i, j, f, o; bench_layers' FusedLSTM
takes BlockLSTMV2, gates i, f, j, o), so this runs just those two (and the V1 op in the same Keras layer as a
third, to separate the op version from rnnlab's layer), one train_on_batch each per round, SGD, and prints the
medians and their ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import bench_layers  # noqa: E402


class FusedLSTMV1(bench_layers.FusedLSTM):
    """bench_layers.FusedLSTM with the V1 op (TFLearn's gate order i, j, f, o and a forget_bias), as rnnlab uses."""

    def call(self, x):
        n = self.units
        zeros = tf.zeros([tf.shape(x)[0], n])
        x_tm = tf.transpose(x, [1, 0, 2])
        h_seq = tf.raw_ops.BlockLSTM(
            seq_len_max=tf.cast(tf.shape(x_tm)[0], tf.int64), x=x_tm, cs_prev=zeros, h_prev=zeros, w=self.w,
            wci=tf.zeros([n]), wcf=tf.zeros([n]), wco=tf.zeros([n]), b=self.b, forget_bias=1.0, cell_clip=-1.0,
            use_peephole=False,
        )[6]
        return h_seq[-1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args(argv)
    size = bench_layers.SIZES["classroom"]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(size["batch"], size["time"], size["features"])).astype("float32")
    y = np.zeros((size["batch"], 1), "float32")

    def fused(layer_class):
        inputs = keras.Input((size["time"], size["features"]))
        model = keras.Model(inputs, keras.layers.Dense(1)(layer_class(size["units"])(inputs)))
        model.compile(optimizer="sgd", loss="mse")
        return model

    models = {"fused V2": fused(bench_layers.FusedLSTM), "fused V1": fused(FusedLSTMV1),
              "rnnlab": bench_layers.rnnlab_model("lstm", size, False, "sgd")}
    for model in models.values():  # trace and warm up
        model.train_on_batch(x, y)
        model.train_on_batch(x, y)
    times = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, model in models.items():
            start = time.perf_counter()
            model.train_on_batch(x, y)
            times[name].append(time.perf_counter() - start)
    ms = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    print(f"classroom LSTM, dynamic off, SGD, {args.rounds} interleaved rounds, median ms per train_on_batch:")
    for name, value in ms.items():
        print(f"  {name:9s} {value:.3f}")
    print(f"rnnlab / fused V2 {ms['rnnlab'] / ms['fused V2']:.3f}   rnnlab / fused V1 "
          f"{ms['rnnlab'] / ms['fused V1']:.3f}   V1 / V2 {ms['fused V1'] / ms['fused V2']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
