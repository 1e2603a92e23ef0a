"""Training-step speed of rnnlab's recurrent layers against Keras's own, same process, interleaved.

One step = forward + backward + optimizer update (Adam, or ``--optimizer sgd``) through ``model.train_on_batch``
on a model ``input -> recurrent layer -> Dense(1)``, so both sides get exactly what a Keras user gets from
``compile``. Dynamic mode: rnnlab ``dynamic=True`` against Keras ``Masking(0.0)`` before the layer, on a batch
whose samples are zero-padded to random lengths.

    .venv/bin/python bench/bench_layers.py            # both sizes, ~4 minutes on 2 cores
    .venv/bin/python bench/bench_layers.py --quick    # one trial, fewer rounds
    .venv/bin/python bench/bench_layers.py --kinds lstm --sizes standard --trials 5 --repeats 40
    .venv/bin/python bench/bench_layers.py --optimizer sgd --paths general,block_lstm,xla   # each path forced

For LSTM rows a third model joins each round: TensorFlow's fused kernel (the raw ``BlockLSTMV2`` op) inside a
Keras layer of the same size ("fused ms"; in dynamic mode it runs over the padded sequence and reads the output
at step length - 1, as rnnlab's block_lstm path does). ``--paths`` adds one rnnlab model per forced path
(``rnnlab.layers.force_path``; a path that cannot run a layer falls back to the general loop), printed as
"<path> ms" and its ratio to Keras.

Each row is measured in ``--trials`` trials; a trial builds a fresh pair of models (Keras's first), warms both
up, then runs ``--repeats`` rounds of one step each. On a shared 2-core machine a freshly built model lands
on a fast or a slow run by chance (medians of the same model differ by up to 20% between builds), so one
pair can mislead; several trials show it.

Where PyTorch is installed (it is not a dependency: ``.venv/bin/pip install torch``), its nn.LSTM / nn.GRU /
nn.RNN(tanh) with a Linear(1) head and Adam join each round as a third peer (dynamic mode: a packed sequence),
with GOMP_SPINCOUNT=1000: by default its OpenMP threads spin on the cores for a while after their turn and slow
whichever model runs next (Keras's step by 25%); with a short spin PyTorch's own step is as fast (measured
13.8 vs 14.5 ms alone), while OMP_WAIT_POLICY=PASSIVE would double it.

Prints one row per (size, layer, dynamic): median ms per step of all rounds for each, the ratio rnnlab / keras
as the median over all rounds of the round's ratio (below 1.0: rnnlab is faster), the lowest and highest ratio
of a single trial, the path rnnlab chose, and for LSTMs the ratio rnnlab / fused kernel.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GOMP_SPINCOUNT", "1000")  # PyTorch's OpenMP threads: no long spin after their turn

import keras  # noqa: E402
import numpy as np  # noqa: E402

import tensorflow as tf  # noqa: E402

import rnnlab  # noqa: E402
from rnnlab import padding  # noqa: E402
from rnnlab.layers.fast_paths import force_path  # noqa: E402

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


def _compiled(inputs, outputs, optimizer):
    model = keras.Model(inputs, keras.layers.Dense(1)(outputs))
    model.compile(optimizer=optimizer, loss="mse")
    return model


def rnnlab_model(kind, size, dynamic, optimizer="adam"):
    layer_class = KINDS[kind][0]
    inputs = keras.Input((size["time"], size["features"]))
    kwargs = {"activation": "tanh"} if kind == "simple_rnn" else {}
    return _compiled(inputs, layer_class(size["units"], dynamic=dynamic, **kwargs)(inputs), optimizer)


def keras_model(kind, size, dynamic, optimizer="adam"):
    layer_class = KINDS[kind][1]
    inputs = keras.Input((size["time"], size["features"]))
    h = keras.layers.Masking(0.0)(inputs) if dynamic else inputs
    return _compiled(inputs, layer_class(size["units"])(h), optimizer)


class FusedLSTM(keras.layers.Layer):
    """[B, T, D] -> [B, n]: TensorFlow's fused ``BlockLSTMV2`` kernel (gates i, f, j, o) as a Keras layer.

    dynamic: the output at step length - 1 (TFLearn's count of non-zero steps), zeros for length 0.
    """

    def __init__(self, units, dynamic=False, **kwargs):
        super().__init__(**kwargs)
        self.units, self.dynamic = units, dynamic

    def build(self, input_shape):
        n = self.units
        self.w = self.add_weight(shape=(input_shape[-1] + n, 4 * n), initializer="glorot_uniform")
        self.b = self.add_weight(shape=(4 * n,), initializer="zeros")

    def call(self, x):
        n = self.units
        zeros = tf.zeros([tf.shape(x)[0], n])
        x_tm = tf.transpose(x, [1, 0, 2])  # [T, B, D]
        h_seq = tf.raw_ops.BlockLSTMV2(
            seq_len_max=tf.cast(tf.shape(x_tm)[0], tf.int64), x=x_tm, cs_prev=zeros, h_prev=zeros, w=self.w,
            wci=tf.zeros([n]), wcf=tf.zeros([n]), wco=tf.zeros([n]), b=self.b, cell_clip=-1.0, use_peephole=False,
        )[6]  # [T, B, n]
        if not self.dynamic:
            return h_seq[-1]
        return padding.gather_last_valid(tf.transpose(h_seq, [1, 0, 2]), padding.tflearn_lengths(x))


def fused_model(size, dynamic, optimizer="adam"):
    inputs = keras.Input((size["time"], size["features"]))
    return _compiled(inputs, FusedLSTM(size["units"], dynamic=dynamic)(inputs), optimizer)


class ForcedPathModel:
    """An rnnlab model whose layer takes ``path`` (traced inside ``force_path``), with Keras's train_on_batch."""

    def __init__(self, path, kind, size, dynamic, optimizer="adam"):
        self.path = path
        with force_path(path):
            self.model = rnnlab_model(kind, size, dynamic, optimizer)

    def train_on_batch(self, x, y):
        with force_path(self.path):
            return self.model.train_on_batch(x, y)


class TorchModel:
    """PyTorch's own layer -> Linear(1), MSE, Adam, with a ``train_on_batch(x, y)`` like Keras's."""

    def __init__(self, kind, size, dynamic):
        import torch

        self.torch, self.dynamic = torch, dynamic
        layer_class = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "simple_rnn": torch.nn.RNN}[kind]
        self.layer = layer_class(size["features"], size["units"], batch_first=True)
        self.head = torch.nn.Linear(size["units"], 1)
        self.optimizer = torch.optim.Adam([*self.layer.parameters(), *self.head.parameters()], lr=1e-3)

    def train_on_batch(self, x, y):
        torch = self.torch
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        if self.dynamic:  # TFLearn's length: steps with a non-zero feature
            lengths = (x != 0).any(dim=2).sum(dim=1)
            x = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, state = self.layer(x)
        h = state[0] if isinstance(state, tuple) else state  # [layers, B, n]
        loss = torch.nn.functional.mse_loss(self.head(h[-1]), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())


def torch_version() -> str | None:
    """PyTorch's version where it is installed, else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def time_step(model, x, y) -> float:
    start = time.perf_counter()
    model.train_on_batch(x, y)
    return (time.perf_counter() - start) * 1e3


def chosen_path(model) -> str:
    """The path the rnnlab layer of ``model`` took at its last traced call."""
    model = getattr(model, "model", model)
    return next(layer.last_path for layer in model.layers if hasattr(layer, "last_path"))


def bench(size_name, kind, dynamic, repeats, trials, warmup=5, torch=False, optimizer="adam", paths=()):
    """-> {'rnnlab': median ms, 'keras': median ms, ('fused': ms for LSTMs, 'torch': ms, '<path>': ms,)
    'ratio': median round ratio rnnlab / keras, 'trial_ratios': [...], 'path': the path rnnlab chose,
    ('fused_ratio': rnnlab / fused, '<path>_ratio': forced path / keras)}."""
    size = SIZES[size_name]
    x, y = make_batch(size, dynamic)
    round_ratios, trial_ratios, times, ratios = [], [], {}, {}
    for _ in range(trials):
        with rnnlab.naming_context():  # fresh layer names each trial; the old models are freed
            models = {"keras": keras_model(kind, size, dynamic, optimizer),
                      "rnnlab": rnnlab_model(kind, size, dynamic, optimizer)}
            if kind == "lstm":
                models["fused"] = fused_model(size, dynamic, optimizer)
            for path in paths:
                models[path] = ForcedPathModel(path, kind, size, dynamic, optimizer)
        if torch:
            models["torch"] = TorchModel(kind, size, dynamic)
        for model in models.values():
            for _ in range(warmup):
                model.train_on_batch(x, y)
        trial = {name: [] for name in models}
        for _ in range(repeats):  # interleaved: one step of each per round
            for name, model in models.items():
                trial[name].append(time_step(model, x, y))
        round_ratios += [r / k for r, k in zip(trial["rnnlab"], trial["keras"])]
        trial_ratios.append(statistics.median(r / k for r, k in zip(trial["rnnlab"], trial["keras"])))
        for name in trial:
            times.setdefault(name, []).extend(trial[name])
            peer = "fused" if name == "rnnlab" else "keras"
            if name not in ("keras", "torch", "fused") and peer in trial:
                ratios.setdefault(name, []).extend(a / b for a, b in zip(trial[name], trial[peer]))
        path = chosen_path(models["rnnlab"])
        del models
        gc.collect()
    result = {name: statistics.median(t) for name, t in times.items()}
    result.update({f"{name}_ratio": statistics.median(r) for name, r in ratios.items() if name != "rnnlab"})
    if "rnnlab" in ratios:
        result["fused_ratio"] = statistics.median(ratios["rnnlab"])
    return {**result, "ratio": statistics.median(round_ratios), "trial_ratios": trial_ratios, "path": path}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one trial of 15 rounds")
    parser.add_argument("--sizes", default="classroom,standard")
    parser.add_argument("--kinds", default="lstm,gru,simple_rnn")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved rounds per trial (default 20)")
    parser.add_argument("--trials", type=int, default=None, help="fresh model pairs per row (default 3)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even where installed")
    parser.add_argument("--optimizer", default="adam", choices=["adam", "sgd"])
    parser.add_argument("--paths", default="", help="rnnlab paths to force, each as its own model: general,block_lstm,xla")
    args = parser.parse_args(argv)
    repeats = args.repeats or (15 if args.quick else 20)
    trials = args.trials or (1 if args.quick else 3)
    paths = [p for p in args.paths.split(",") if p]
    version = None if args.no_torch else torch_version()
    torch = version is not None
    peers = f"keras {keras.__version__}" + (f", torch {version}" if torch else "")
    print(f"{peers}, {os.cpu_count()} CPUs, {trials} trials x {repeats} interleaved training steps, "
          f"{args.optimizer}")
    torch_header = f" {'torch ms':>9}" if torch else ""
    path_header = "".join(f" {p + ' ms':>14} {'ratio':>6}" for p in paths)
    print(f"{'size':10} {'layer':10} {'dynamic':7} {'rnnlab ms':>10} {'keras ms':>9}{torch_header} "
          f"{'ratio':>6} {'trials':>9} {'path':>10} {'fused ms':>9} {'/fused':>6}{path_header}")
    for size_name in args.sizes.split(","):
        for kind in args.kinds.split(","):
            for dynamic in (False, True):
                r = bench(size_name, kind, dynamic, repeats, trials, torch=torch, optimizer=args.optimizer,
                          paths=paths)
                spread = f"{min(r['trial_ratios']):.2f}-{max(r['trial_ratios']):.2f}"
                torch_ms = f" {r['torch']:9.2f}" if torch else ""
                fused = f"{r['fused']:9.2f} {r['fused_ratio']:6.2f}" if "fused" in r else f"{'-':>9} {'-':>6}"
                forced = "".join(f" {r[p]:14.2f} {r[p + '_ratio']:6.2f}" for p in paths)
                print(f"{size_name:10} {kind:10} {str(dynamic):7} {r['rnnlab']:10.2f} {r['keras']:9.2f}{torch_ms} "
                      f"{r['ratio']:6.2f} {spread:>9} {r['path']:>10} {fused}{forced}", flush=True)


if __name__ == "__main__":
    main()
