"""Sample sequence tasks and loaders for your own data, all behind one type.

Every data set is a :class:`SequenceDataset`: ``x`` [N, T, D] float32, zero-padded at the end,
``lengths`` [N] the true number of steps, and ``y`` shaped by the task:

    classification       y [N] int64 in 0..n_classes-1          (one label per sequence)
    regression           y [N, k] float32                        (k numbers per sequence)
    sequence_labelling   y [N, T] int64 (a class per step)  or  y [N, T, k] float32 (numbers per step)

Three ways in:

    datasets.load(name, split)      the shipped sample sets in sample_data/ (never the network)
    datasets.make_adding(...) etc.  the generators behind the synthetic sets, at any size and seed
    datasets.load_csv / load_npz    your own data, validated; problems raise DataError, and
                                    all-zero real steps (which dynamic mode would cut) give warnings

Limits for your own data (MAX_*): 20,000 sequences, 1,000 steps, 1,000 features, 50 million values.
Generated data is identical for a seed (for a given NumPy version) and never has an all-zero real
step, so TFLearn's inferred length equals ``lengths`` (the one exception is the set padded at the
front on purpose, 'variable_length_prepadded').
"""

from __future__ import annotations

import io
import os
import warnings as _warnings
import zipfile
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from rnnlab.errors import RnnlabError
from rnnlab.padding import padding_report

# ------------------------------------------------------------------- errors, limits


class DataError(RnnlabError):
    """Data that cannot be used: the message names the column / row / sequence, the value and what was expected."""


class DataWarning(UserWarning):
    """Data that loads but will surprise you, such as all-zero real steps that dynamic mode cuts."""


SAMPLE_DATA_DIR = Path(__file__).resolve().parents[1] / "sample_data"

MAX_SEQUENCES = 20_000
MAX_TIME_STEPS = 1_000
MAX_FEATURES = 1_000
MAX_VALUES = 50_000_000  # N * T * D, 200 MB of float32
MAX_FILE_BYTES = 200 * 1024 * 1024  # Streamlit's default upload limit
MAX_INFERRED_CLASSES = 50  # more distinct whole-number labels than this: inferred as regression

TASKS = ("classification", "regression", "sequence_labelling")
SPLITS = ("train", "test", "all")
_WARNING_DETAIL_LIMIT = 10  # sequences described one by one before a summary line

# ------------------------------------------------------------------ the data type


@dataclass(frozen=True, eq=False)
class SequenceDataset:
    """x [N, T, D] float32 zero-padded, y (see module docstring), lengths [N] int64, and what they mean.

    ``warnings`` holds messages about the data (all-zero real steps, padding at the front).
    ``class_names`` [n_classes] names the classes when known; ``sequence_ids`` [N] names the sequences
    (the CSV's ids, else "0".."N-1"). Arrays are coerced to the documented dtypes on construction.
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    lengths: np.ndarray
    task: str
    n_classes: int | None = None
    feature_names: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    class_names: tuple[str, ...] = ()
    sequence_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        x = np.asarray(self.x)
        if x.ndim != 3:
            raise DataError(f"x must be 3-D [N, T, D]; received shape {x.shape}.")
        x = x.astype(np.float32, copy=False)
        n, t, d = x.shape
        lengths = np.asarray(self.lengths)
        if lengths.shape != (n,):
            raise DataError(f"lengths must have shape [N] = ({n},); received shape {lengths.shape}.")
        lengths = lengths.astype(np.int64, copy=False)
        if n and (lengths.min() < 0 or lengths.max() > t):
            raise DataError(f"lengths must lie in 0..T={t}; received values {lengths.min()}..{lengths.max()}.")
        if self.task not in TASKS:
            raise DataError(f"task must be one of {TASKS}; received {self.task!r}.")
        y = np.asarray(self.y)
        if y.ndim == 0 or y.shape[0] != n:
            raise DataError(f"y must have one entry per sequence (N={n}); received shape {y.shape}.")
        n_classes = None if self.n_classes is None else int(self.n_classes)
        if self.task == "classification":
            if y.ndim != 1:
                raise DataError(f"classification y must be [N]; received shape {y.shape}.")
            y, n_classes = _checked_class_codes(y, n_classes, "y")
        elif self.task == "regression":
            if y.ndim == 1:
                y = y[:, None]
            if y.ndim != 2:
                raise DataError(f"regression y must be [N, k]; received shape {y.shape}.")
            y, n_classes = y.astype(np.float32, copy=False), None
        else:
            if y.ndim < 2 or y.shape[1] != t:
                raise DataError(
                    f"sequence_labelling y must be [N, T] (classes) or [N, T, k] (numbers) with T={t}; "
                    f"received shape {y.shape}."
                )
            if y.ndim == 2:
                y, n_classes = _checked_class_codes(y, n_classes, "y")
            elif y.ndim == 3:
                y, n_classes = y.astype(np.float32, copy=False), None
            else:
                raise DataError(f"sequence_labelling y must be 2-D or 3-D; received shape {y.shape}.")
        feature_names = tuple(str(f) for f in self.feature_names) or tuple(f"x{i}" for i in range(d))
        if len(feature_names) != d:
            raise DataError(f"feature_names must name the D={d} features; received {len(feature_names)} names.")
        class_names = tuple(str(c) for c in self.class_names)
        if class_names and (n_classes is None or len(class_names) != n_classes):
            raise DataError(f"class_names must have n_classes={n_classes} entries; received {len(class_names)}.")
        sequence_ids = tuple(str(s) for s in self.sequence_ids) or tuple(str(i) for i in range(n))
        if len(sequence_ids) != n:
            raise DataError(f"sequence_ids must name the N={n} sequences; received {len(sequence_ids)}.")
        set_(self, "x", x)
        set_(self, "y", y)
        set_(self, "lengths", lengths)
        set_(self, "n_classes", n_classes)
        set_(self, "feature_names", feature_names)
        set_(self, "warnings", tuple(str(w) for w in self.warnings))
        set_(self, "class_names", class_names)
        set_(self, "sequence_ids", sequence_ids)

    # ---- sizes
    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def n_samples(self) -> int:
        """N, the number of sequences."""
        return int(self.x.shape[0])

    @property
    def time_steps(self) -> int:
        """T, the padded number of steps."""
        return int(self.x.shape[1])

    @property
    def n_features(self) -> int:
        """D, the features per step."""
        return int(self.x.shape[2])

    @property
    def valid_mask(self) -> np.ndarray:
        """[N, T] bool: True at real steps (t < length)."""
        return np.arange(self.time_steps)[None, :] < self.lengths[:, None]

    # ---- derived sets
    def subset(self, indices) -> SequenceDataset:
        """[N, ...] -> [len(indices), ...]: the chosen sequences (indices or a [N] bool mask), copied.

        ``warnings`` are kept as they were for the whole set.
        """
        index = np.asarray(indices)
        if index.dtype == bool:
            if index.shape != (self.n_samples,):
                raise DataError(f"a bool mask for subset must have shape ({self.n_samples},); received {index.shape}.")
            index = np.flatnonzero(index)
        index = index.astype(np.int64).reshape(-1)
        if index.size and (index.min() < -self.n_samples or index.max() >= self.n_samples):
            raise DataError(f"subset indices must lie in 0..{self.n_samples - 1}; received {index.min()}..{index.max()}.")
        ids = np.asarray(self.sequence_ids, dtype=object)
        return replace(
            self,
            x=self.x[index],
            y=self.y[index],
            lengths=self.lengths[index],
            sequence_ids=tuple(ids[index]),
        )

    def to_frame(self) -> pd.DataFrame:
        """[N, T, D] -> long DataFrame: one row per real step (sequence_id, t, features..., label[s]).

        ``load_csv`` reads it back (labels are the class codes 0..n_classes-1).
        """
        mask = self.valid_mask  # [N, T]
        seq, step = np.nonzero(mask)
        frame = pd.DataFrame({"sequence_id": np.asarray(self.sequence_ids, dtype=object)[seq], "t": step})
        for d, fname in enumerate(self.feature_names):
            frame[fname] = self.x[seq, step, d]
        for column, values in self._label_columns(seq, step).items():
            frame[column] = values
        return frame

    def _label_columns(self, seq: np.ndarray, step: np.ndarray) -> dict[str, np.ndarray]:
        if self.task == "classification":
            return {"label": self.y[seq]}
        if self.task == "regression":
            per_row = self.y[seq]  # [rows, k]
        elif self.y.ndim == 2:
            return {"label": self.y[seq, step]}
        else:
            per_row = self.y[seq, step]  # [rows, k]
        if per_row.shape[1] == 1:
            return {"label": per_row[:, 0]}
        return {f"label_{i}": per_row[:, i] for i in range(per_row.shape[1])}

    def save_npz(self, path_or_buffer, **extra_arrays) -> None:
        """Writes x, y, lengths and the metadata as a compressed .npz that ``load_npz`` reads back.

        The archive is byte-identical for identical data (fixed zip timestamps). ``extra_arrays``
        are stored too (``load_npz`` ignores keys it does not know).
        """
        arrays = {
            "x": self.x,
            "y": self.y,
            "lengths": self.lengths,
            "task": np.array(self.task),
            "n_classes": np.array(-1 if self.n_classes is None else self.n_classes, dtype=np.int64),
            "feature_names": np.array(self.feature_names, dtype=str),
            "class_names": np.array(self.class_names, dtype=str),
            "sequence_ids": np.array(self.sequence_ids, dtype=str),
        }
        arrays.update({k: np.asarray(v) for k, v in extra_arrays.items()})
        write_npz(path_or_buffer, arrays)


def write_npz(path_or_buffer, arrays: dict[str, np.ndarray]) -> None:
    """Writes arrays as a deflated .npz whose bytes depend only on the arrays (no timestamps)."""
    with zipfile.ZipFile(path_or_buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, value in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            buffer = io.BytesIO()
            value = np.array(value, order="C")  # keeps 0-d arrays 0-d (ascontiguousarray would not)
            np.lib.format.write_array(buffer, value, allow_pickle=False)
            archive.writestr(info, buffer.getvalue(), compresslevel=9)


def _checked_class_codes(y: np.ndarray, n_classes: int | None, what: str) -> tuple[np.ndarray, int]:
    if y.dtype.kind not in "biuf" or (y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0)):
        raise DataError(f"{what} must hold whole-number class codes; received dtype {y.dtype}.")
    codes = y.astype(np.int64, copy=False)
    top = int(codes.max()) + 1 if codes.size else 0
    n_classes = top if n_classes is None else n_classes
    if codes.size and (codes.min() < 0 or top > n_classes):
        raise DataError(
            f"{what} class codes must lie in 0..n_classes-1 = 0..{n_classes - 1}; "
            f"received {codes.min()}..{codes.max()}."
        )
    return codes, n_classes


# ------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class DatasetInfo:
    """What a shipped data set is, for people: the app shows these strings as they are."""

    name: str
    title: str
    task: str
    description: str
    what_it_teaches: str
    source: str

    def to_dict(self) -> dict[str, str]:
        """The fields as a JSON-ready dict."""
        return asdict(self)


_INFO = {
    "adding": DatasetInfo(
        "adding",
        "Adding problem",
        "regression",
        "x [N, 200, 2]: channel 0 holds values in (0, 1], channel 1 marks exactly two steps with 1. "
        "Target y [N, 1] is the sum of the two marked values. Lengths vary from 30 to 200 steps, "
        "zero-padded at the end; one marker lies in the first half of the sequence, one in the second. "
        "Always predicting 1.0 scores MSE 1/6 = 0.167; a model must beat that to have learned anything.",
        "Long-range memory: the first marked value must be kept for up to ~170 steps. A SimpleRNN "
        "usually stalls at the 0.167 baseline while an LSTM or GRU gets below it; watch the forget gate "
        "and the cell state hold the marked value.",
        "Generated by rnnlab.datasets.make_adding(n_samples=2000, seed=0). Task from S. Hochreiter and "
        "J. Schmidhuber, 'Long Short-Term Memory', Neural Computation 9(8), 1997 (experiment 4); the "
        "marker placement follows Q. Le, N. Jaitly, G. Hinton, 'A Simple Way to Initialize Recurrent "
        "Networks of Rectified Linear Units', 2015.",
    ),
    "copy_memory": DatasetInfo(
        "copy_memory",
        "Copy memory",
        "sequence_labelling",
        "x [N, 40, 10] one-hot: 10 symbols from an alphabet of 8, 19 blanks, a 'go' delimiter, then 10 "
        "blanks. y [N, 40] asks for blank (class 0) everywhere except the last 10 steps, which must "
        "repeat the 10 symbols (classes 1..8). Always answering blank, then guessing, scores cross-"
        "entropy 10 * ln(8) / 40 = 0.52 per step.",
        "Storing a whole pattern across a delay and replaying it on cue: the state must hold ~30 bits "
        "for 20 steps. Shows the gap between gated cells and a SimpleRNN as the delay grows "
        "(make_copy_memory(delay=...)).",
        "Generated by rnnlab.datasets.make_copy_memory(n_samples=1000, delay=20, seed=0). Task from "
        "Hochreiter and Schmidhuber 1997, in the form of M. Arjovsky, A. Shah, Y. Bengio, 'Unitary "
        "Evolution Recurrent Neural Networks', ICML 2016.",
    ),
    "parity": DatasetInfo(
        "parity",
        "Running parity",
        "sequence_labelling",
        "x [N, 20, 1] bits written as +1 (bit 1) and -1 (bit 0), so no step is all zeros. y [N, 20]: at "
        "every step the parity (XOR) of the bits so far, class 1 when an odd number of 1s has been seen.",
        "A one-bit state machine: the hidden state must flip on every 1 and hold on every 0. Easy to "
        "read off a single unit's trajectory; hard for a network that only looks at a window.",
        "Generated by rnnlab.datasets.make_parity(n_samples=2000, T=20, seed=0). A classic test since "
        "M. Minsky and S. Papert, 'Perceptrons', 1969; per-step (streaming) form.",
    ),
    "sine": DatasetInfo(
        "sine",
        "Noisy sine, next value",
        "regression",
        "x [N, 50, 1]: 50 noisy samples of a sine wave with random amplitude (0.5..1.5), period (8..40 "
        "steps) and phase, plus Gaussian noise (std 0.1). y [N, 1]: the next noisy sample. The noise "
        "alone sets a floor of MSE 0.01.",
        "Sequence-to-one forecasting: the network has to infer frequency and phase from the window. "
        "Hidden units tend to become an oscillator whose phase you can watch.",
        "Generated by rnnlab.datasets.make_sine(n_samples=2000, T=50, seed=0).",
    ),
    "flip_flop": DatasetInfo(
        "flip_flop",
        "3-bit flip-flop",
        "sequence_labelling",
        "x [N, 100, 4]: channels 0-2 are mostly 0 with occasional +1 / -1 pulses (probability 0.05 per "
        "step and channel); channel 3 is a constant 1 so that no real step is all zeros. y [N, 100, 3]: "
        "each output holds the sign of the last pulse on its channel (0 before the first pulse).",
        "Memory as fixed points: a trained network settles into 8 stable states (one per bit pattern) "
        "that pulses switch between. Project the hidden states and look for the 8 clusters.",
        "Generated by rnnlab.datasets.make_flip_flop(n_samples=600, T=100, seed=0). Task from "
        "D. Sussillo and O. Barak, 'Opening the Black Box: Low-Dimensional Dynamics in High-Dimensional "
        "Recurrent Neural Networks', Neural Computation 25(3), 2013.",
    ),
    "variable_length": DatasetInfo(
        "variable_length",
        "Variable length (padded at the end)",
        "classification",
        "x [N, 50, 1]: a random walk of 5 to 50 steps, zero-padded at the end. y [N]: class 1 when the "
        "walk ends above where it started. The same sequences, padded at the front instead, are "
        "'variable_length_prepadded'.",
        "Dynamic mode: with dynamic=True the layer reads each sequence to its true end and returns the "
        "output at step length-1; without it the answer has to survive the zero padding. Compare the "
        "two, then try the front-padded copy.",
        "Generated by rnnlab.datasets.make_variable_length(n_samples=1000, seed=0).",
    ),
    "variable_length_prepadded": DatasetInfo(
        "variable_length_prepadded",
        "Variable length (padded at the front)",
        "classification",
        "Exactly the 'variable_length' sequences and labels, with the zero padding moved to the front: "
        "x [N, 50, 1], real steps at the end. lengths still give the true number of steps.",
        "The classic dynamic-mode pitfall: TFLearn counts the non-zero steps and computes the first "
        "'length' steps, so on front-padded data it computes the padding and drops the last real "
        "steps, which here hold the answer. Accuracy falls towards chance with dynamic=True.",
        "Generated by rnnlab.datasets.make_variable_length(n_samples=1000, padding='pre', seed=0).",
    ),
    "japanese_vowels": DatasetInfo(
        "japanese_vowels",
        "Japanese Vowels (speakers)",
        "classification",
        "x [N, 29, 12]: 12 LPC cepstrum coefficients per frame of an utterance of the vowel pair /ae/, "
        "7 to 29 frames, zero-padded at the end. y [N]: the speaker, 0..8 (speakers 1..9). Its own "
        "split: 270 training and 370 test utterances.",
        "Real variable-length data for dynamic mode: no real frame is all zeros, so the length TFLearn "
        "infers equals the true frame count.",
        "UCI 'Japanese Vowels' (M. Kudo, J. Toyama, M. Shimbo, 'Multidimensional Curve Classification "
        "Using Passing-Through Regions', Pattern Recognition Letters 20(11-13):1103-1111, 1999), CC BY "
        "4.0, as distributed in the aeon package (BSD-3) in the sktime .ts format.",
    ),
    "airline": DatasetInfo(
        "airline",
        "Airline passengers, next month",
        "regression",
        "x [N, 12, 1]: windows of 12 months of international airline passengers, standardised with the "
        "mean and std of the training months. y [N, 1]: the next month, same scale. Split in time: the "
        "first 80% of windows train, the last 20% test (a random split would leak the future). The raw "
        "series is in datasets.airline_series().",
        "One-step-ahead forecasting of a real series with trend and yearly seasonality; the test "
        "months lie above anything seen in training, so it also shows how an RNN extrapolates.",
        "Monthly international airline passengers 1949-1960 (G. Box and G. Jenkins, 'Time Series "
        "Analysis: Forecasting and Control', 1976), 144 values, as distributed in the aeon package.",
    ),
}

_BUILTIN_WARNINGS = {
    "variable_length_prepadded": (
        "variable_length_prepadded is padded at the front on purpose: with dynamic=True the layer "
        "computes the leading zeros and drops each sequence's last real steps.",
    ),
}


def names() -> list[str]:
    """The shipped data sets, in the order the app lists them."""
    return list(_INFO)


def info(name: str) -> DatasetInfo:
    """name -> DatasetInfo: title, task, description, what it teaches, where it comes from."""
    return _INFO[_checked_name(name)]


def _checked_name(name: str) -> str:
    if name not in _INFO:
        raise DataError(f"name must be one of {names()}; received {name!r}.")
    return name


# -------------------------------------------------------------------- the generators


def make_adding(
    n_samples: int = 1000,
    T: int | None = None,
    min_length: int = 30,
    max_length: int = 200,
    seed: int = 0,
) -> SequenceDataset:
    """-> x [N, T or max_length, 2], y [N, 1]: the adding problem (Hochreiter & Schmidhuber 1997).

    Channel 0: values uniform in (0, 1] (never exactly 0, so real steps are never all zero).
    Channel 1: exactly two 1s, one in the first half of the sequence and one in the second.
    y is the sum of the two marked values; predicting 1.0 always gives MSE 1/6.
    ``T`` fixes every length (the common benchmark uses T=50); otherwise lengths are uniform in
    min_length..max_length and sequences are zero-padded at the end to max_length.
    """
    n = _positive_int(n_samples, "n_samples")
    if T is not None:
        min_length = max_length = _positive_int(T, "T")
    min_length, max_length = _positive_int(min_length, "min_length"), _positive_int(max_length, "max_length")
    if min_length < 2 or min_length > max_length:
        raise DataError(f"min_length must be >= 2 and <= max_length={max_length}; received {min_length}.")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, max_length + 1, size=n)  # [N]
    values = (1.0 - rng.random((n, max_length))).astype(np.float32)  # (0, 1]
    half = lengths // 2
    first = (rng.random(n) * half).astype(np.int64)  # [0, L//2)
    second = half + (rng.random(n) * (lengths - half)).astype(np.int64)  # [L//2, L)
    rows = np.arange(n)
    x = np.zeros((n, max_length, 2), np.float32)
    valid = np.arange(max_length)[None, :] < lengths[:, None]  # [N, T]
    x[..., 0] = np.where(valid, values, 0.0)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    y = (x[rows, first, 0] + x[rows, second, 0])[:, None]  # [N, 1]
    return SequenceDataset(
        name="adding",
        x=x,
        y=y,
        lengths=lengths,
        task="regression",
        feature_names=("value", "marker"),
    )


def make_copy_memory(
    n_samples: int = 1000,
    delay: int = 20,
    copy_length: int = 10,
    n_symbols: int = 8,
    seed: int = 0,
) -> SequenceDataset:
    """-> x [N, T, n_symbols + 2] one-hot, y [N, T] classes, T = delay + 2 * copy_length: copy memory.

    Input codes: 0 blank, 1..n_symbols symbols, n_symbols + 1 the 'go' delimiter. The input is
    copy_length symbols, delay - 1 blanks, the delimiter, copy_length blanks. The target is blank
    (class 0) for delay + copy_length steps, then the symbols again (classes 1..n_symbols).
    """
    n = _positive_int(n_samples, "n_samples")
    delay, copy_length = _positive_int(delay, "delay"), _positive_int(copy_length, "copy_length")
    n_symbols = _positive_int(n_symbols, "n_symbols")
    rng = np.random.default_rng(seed)
    t = delay + 2 * copy_length
    symbols = rng.integers(1, n_symbols + 1, size=(n, copy_length))  # [N, copy_length]
    codes = np.zeros((n, t), np.int64)
    codes[:, :copy_length] = symbols
    codes[:, copy_length + delay - 1] = n_symbols + 1
    y = np.zeros((n, t), np.int64)
    y[:, -copy_length:] = symbols
    x = np.eye(n_symbols + 2, dtype=np.float32)[codes]  # [N, T, n_symbols + 2]
    return SequenceDataset(
        name="copy_memory",
        x=x,
        y=y,
        lengths=np.full(n, t),
        task="sequence_labelling",
        n_classes=n_symbols + 1,
        feature_names=("blank", *(f"symbol {i}" for i in range(1, n_symbols + 1)), "go"),
        class_names=("blank", *(f"symbol {i}" for i in range(1, n_symbols + 1))),
    )


def make_parity(n_samples: int = 2000, T: int = 20, seed: int = 0) -> SequenceDataset:
    """-> x [N, T, 1] in {-1, +1}, y [N, T] in {0, 1}: running parity of the bits so far.

    Bit 1 is written +1 and bit 0 is written -1 (so no step is all zeros); y[b, t] is the XOR of
    bits 0..t.
    """
    n, t = _positive_int(n_samples, "n_samples"), _positive_int(T, "T")
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(n, t))  # [N, T]
    x = (2.0 * bits - 1.0).astype(np.float32)[..., None]
    y = np.cumsum(bits, axis=1) % 2
    return SequenceDataset(
        name="parity",
        x=x,
        y=y,
        lengths=np.full(n, t),
        task="sequence_labelling",
        n_classes=2,
        feature_names=("bit (+1 = 1, -1 = 0)",),
        class_names=("even", "odd"),
    )


def make_sine(n_samples: int = 1000, T: int = 50, noise_std: float = 0.1, seed: int = 0) -> SequenceDataset:
    """-> x [N, T, 1], y [N, 1]: noisy sine windows and the next noisy value.

    Amplitude uniform in 0.5..1.5, period uniform in 8..40 steps, phase uniform, Gaussian noise
    with std ``noise_std`` (which is also the floor of the achievable RMSE).
    """
    n, t = _positive_int(n_samples, "n_samples"), _positive_int(T, "T")
    if not noise_std >= 0:
        raise DataError(f"noise_std must be >= 0; received {noise_std!r}.")
    rng = np.random.default_rng(seed)
    amplitude = rng.uniform(0.5, 1.5, size=(n, 1))
    period = rng.uniform(8.0, 40.0, size=(n, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(n, 1))
    steps = np.arange(t + 1)[None, :]
    series = amplitude * np.sin(2 * np.pi * steps / period + phase) + noise_std * rng.standard_normal((n, t + 1))
    series = _never_exactly_zero(series.astype(np.float32))
    return SequenceDataset(
        name="sine",
        x=series[:, :t, None],
        y=series[:, t:],
        lengths=np.full(n, t),
        task="regression",
        feature_names=("value",),
    )


def make_flip_flop(
    n_samples: int = 600,
    T: int = 100,
    n_bits: int = 3,
    pulse_prob: float = 0.05,
    constant_channel: bool = True,
    seed: int = 0,
) -> SequenceDataset:
    """-> x [N, T, n_bits (+1)], y [N, T, n_bits]: the flip-flop task (Sussillo & Barak 2013).

    Each input channel is 0 except for +1 / -1 pulses (probability ``pulse_prob`` per step); each
    output holds the sign of the last pulse on its channel, 0 before the first. With
    ``constant_channel`` a last input channel of 1s keeps every real step non-zero (otherwise most
    steps are all zeros and dynamic mode would cut them).
    """
    n, t, bits = _positive_int(n_samples, "n_samples"), _positive_int(T, "T"), _positive_int(n_bits, "n_bits")
    if not 0 < pulse_prob <= 1:
        raise DataError(f"pulse_prob must lie in (0, 1]; received {pulse_prob!r}.")
    rng = np.random.default_rng(seed)
    pulse = rng.random((n, t, bits)) < pulse_prob  # [N, T, bits]
    pulses = np.where(pulse, rng.choice([-1.0, 1.0], size=(n, t, bits)), 0.0)
    y = np.zeros((n, t, bits), np.float32)
    held = np.zeros((n, bits), np.float32)
    for step in range(t):
        held = np.where(pulses[:, step] != 0, pulses[:, step], held)
        y[:, step] = held
    x = pulses.astype(np.float32)
    names_ = tuple(f"bit {i + 1} pulse" for i in range(bits))
    if constant_channel:
        x = np.concatenate([x, np.ones((n, t, 1), np.float32)], axis=2)
        names_ += ("constant",)
    return SequenceDataset(
        name="flip_flop",
        x=x,
        y=y,
        lengths=np.full(n, t),
        task="sequence_labelling",
        feature_names=names_,
    )


def make_variable_length(
    n_samples: int = 1000,
    min_length: int = 5,
    max_length: int = 50,
    padding: str = "post",
    seed: int = 0,
) -> SequenceDataset:
    """-> x [N, max_length, 1], y [N]: random walks of varying length; class 1 if the walk ends higher.

    Start uniform in -1..1, steps normal with std 0.5. ``padding='post'`` zero-pads at the end
    (what dynamic mode expects), ``'pre'`` at the front (the same sequences; the pitfall).
    """
    n = _positive_int(n_samples, "n_samples")
    min_length, max_length = _positive_int(min_length, "min_length"), _positive_int(max_length, "max_length")
    if min_length < 2 or min_length > max_length:
        raise DataError(f"min_length must be >= 2 and <= max_length={max_length}; received {min_length}.")
    if padding not in ("post", "pre"):
        raise DataError(f"padding must be 'post' or 'pre'; received {padding!r}.")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, max_length + 1, size=n)
    start = rng.uniform(-1.0, 1.0, size=(n, 1))
    walk = start + np.cumsum(np.concatenate([np.zeros((n, 1)), 0.5 * rng.standard_normal((n, max_length - 1))], 1), 1)
    walk = _never_exactly_zero(walk.astype(np.float32))
    valid = np.arange(max_length)[None, :] < lengths[:, None]
    x = np.where(valid, walk, 0.0).astype(np.float32)[..., None]
    y = (walk[np.arange(n), lengths - 1] > walk[:, 0]).astype(np.int64)
    dataset = SequenceDataset(
        name="variable_length",
        x=x,
        y=y,
        lengths=lengths,
        task="classification",
        n_classes=2,
        feature_names=("value",),
        class_names=("ends lower", "ends higher"),
    )
    if padding == "pre":
        dataset = replace(to_prepadded(dataset), name="variable_length_prepadded")
    return dataset


def to_prepadded(dataset: SequenceDataset) -> SequenceDataset:
    """[N, T, D] padded at the end -> [N, T, D] padded at the front (per-step labels move too).

    ``lengths`` stay the true lengths. Only for showing the pitfall: dynamic mode expects the end.
    """
    n, t = dataset.n_samples, dataset.time_steps
    shift = (t - dataset.lengths)[:, None]  # [N, 1]
    source = (np.arange(t)[None, :] - shift) % t  # step that lands at each position
    rows = np.arange(n)[:, None]
    y = dataset.y[rows, source] if dataset.task == "sequence_labelling" else dataset.y
    return replace(dataset, x=dataset.x[rows, source], y=y)


GENERATORS: dict[str, Callable[..., SequenceDataset]] = {
    "adding": make_adding,
    "copy_memory": make_copy_memory,
    "parity": make_parity,
    "sine": make_sine,
    "flip_flop": make_flip_flop,
    "variable_length": make_variable_length,
    "variable_length_prepadded": lambda **kwargs: make_variable_length(padding="pre", **kwargs),
}


def generate(name: str, n_samples: int = 1000, seed: int = 0, **params: Any) -> SequenceDataset:
    """name -> SequenceDataset [n_samples, T, D]: a fresh synthetic set of any size (not split)."""
    if name not in GENERATORS:
        raise DataError(f"name must be one of the synthetic sets {list(GENERATORS)}; received {name!r}.")
    return GENERATORS[name](n_samples=n_samples, seed=seed, **params)


def split_80_20(n_samples: int, seed: int = 0) -> np.ndarray:
    """N -> [N] bool, True for the test sequences: a seeded random 20% (rounded) test split."""
    rng = np.random.default_rng([seed, 8020])
    test = np.zeros(n_samples, bool)
    test[rng.permutation(n_samples)[: int(round(0.2 * n_samples))]] = True
    return test


def _never_exactly_zero(values: np.ndarray) -> np.ndarray:
    """Continuous draws are zero with probability ~0; make it exactly 0 so real steps stay non-zero."""
    return np.where(values == 0, np.float32(1e-6), values).astype(np.float32)


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DataError(f"{name} must be a positive int; received {value!r}.")
    return int(value)


# -------------------------------------------------------------- the shipped files


def load(name: str, split: str = "train", n_samples: int | None = None, seed: int = 0) -> SequenceDataset:
    """name -> SequenceDataset [N, T, D] read from sample_data/<name>.npz (no network).

    ``split``: 'train', 'test' or 'all'. Japanese Vowels keeps its own split, airline splits in time,
    the synthetic sets use a fixed seeded 80/20 split. ``n_samples`` takes that many sequences of the
    split, chosen at random with ``seed`` (kept in file order); None takes them all.
    """
    _checked_name(name)
    if split not in SPLITS:
        raise DataError(f"split must be one of {SPLITS}; received {split!r}.")
    arrays = _read_shipped(name)
    chosen = np.arange(arrays["x"].shape[0])
    if split != "all":
        chosen = chosen[arrays["split"] == (1 if split == "test" else 0)]
    if n_samples is not None:
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or not 1 <= n_samples <= len(chosen):
            raise DataError(
                f"n_samples must be an int in 1..{len(chosen)} (the size of {name!r} split {split!r}); "
                f"received {n_samples!r}. For more, generate a set: datasets.generate({name!r}, n_samples=...)."
            )
        rng = np.random.default_rng(seed)
        chosen = np.sort(rng.choice(chosen, size=int(n_samples), replace=False))
    n_classes = int(arrays["n_classes"])
    return SequenceDataset(
        name=name,
        x=arrays["x"][chosen],
        y=arrays["y"][chosen],
        lengths=arrays["lengths"][chosen],
        task=str(arrays["task"]),
        n_classes=None if n_classes < 0 else n_classes,
        feature_names=tuple(arrays["feature_names"]),
        warnings=_BUILTIN_WARNINGS.get(name, ()),
        class_names=tuple(arrays["class_names"]),
        sequence_ids=tuple(arrays["sequence_ids"][chosen]),
    )


def airline_series() -> pd.DataFrame:
    """-> DataFrame [144 rows]: month ('1949-01'...), passengers (raw), scaled (as in load('airline')), split."""
    arrays = _read_shipped("airline")
    passengers = arrays["series"].astype(np.float64)
    scaled = (passengers - float(arrays["scale_mean"])) / float(arrays["scale_std"])
    return pd.DataFrame(
        {
            "month": arrays["months"].astype(str),
            "passengers": passengers,
            "scaled": scaled.astype(np.float32),
            "split": np.where(arrays["series_split"] == 1, "test", "train"),
        }
    )


@lru_cache(maxsize=None)
def _read_shipped(name: str) -> dict[str, np.ndarray]:
    path = SAMPLE_DATA_DIR / f"{name}.npz"
    if not path.is_file():
        raise DataError(
            f"the sample file {path} is missing; rebuild it with `python sample_data/make_samples.py`."
        )
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    for value in arrays.values():
        value.setflags(write=False)  # shared by every load(); load() hands out copies
    return arrays


# ---------------------------------------------------------------- your own data


def load_csv(
    path_or_buffer,
    id_column: str = "sequence_id",
    time_column: str | None = "t",
    label_column: str | Sequence[str] = "label",
    feature_columns: Sequence[str] | None = None,
    task: str | None = None,
) -> SequenceDataset:
    """Long CSV (one row per sequence id and time step) -> SequenceDataset x [N, T, D], zero-padded.

    Rows are ordered by ``time_column`` within each sequence (None: file order); sequences keep
    the order of their first row. ``feature_columns`` defaults to every other column. The label is
    constant per sequence (classification / regression) or given per step (sequence_labelling);
    ``label_column`` may list several columns for k regression targets. ``task=None`` infers it:
    labels that change within a sequence -> sequence_labelling; text or whole numbers (at most
    MAX_INFERRED_CLASSES distinct) -> classification; other numbers -> regression. Text labels and
    whole-number labels without a 0 are numbered in sorted order (``class_names`` keeps them).
    Line numbers in messages count the header as line 1. Accepts a path or a file-like object.
    """
    name = _source_name(path_or_buffer, "uploaded.csv")
    task = _checked_task(task)
    frame = _read_csv(path_or_buffer, name)
    label_columns = [label_column] if isinstance(label_column, str) else list(label_column)
    if not label_columns:
        raise DataError("label_column must name at least one column; received an empty list.")
    named = [id_column, *([time_column] if time_column is not None else []), *label_columns]
    missing = [c for c in [*named, *(feature_columns or [])] if c not in frame.columns]
    if missing:
        raise DataError(
            f"{name}: missing column(s) {missing}; the file has columns {list(map(str, frame.columns))}. "
            "Name yours with id_column=, time_column=, label_column= and feature_columns=."
        )
    if feature_columns is None:
        feature_columns = [c for c in frame.columns if c not in named]
    feature_columns = list(feature_columns)
    if not feature_columns:
        raise DataError(f"{name}: no feature columns: every column is the id, time step or label ({named}).")
    clash = [c for c in feature_columns if c in named]
    if clash:
        raise DataError(f"{name}: column(s) {clash} cannot be both a feature and the id, time step or label.")
    if len(frame) == 0:
        raise DataError(f"{name}: the file has a header but no data rows; expected one row per (sequence, time step).")
    if len(frame) > MAX_SEQUENCES * MAX_TIME_STEPS:
        raise DataError(f"{name}: {len(frame)} rows is too large; at most {MAX_SEQUENCES * MAX_TIME_STEPS} rows.")

    line = np.arange(len(frame)) + 2  # file line of each row (header is line 1)
    id_values = frame[id_column]
    if id_values.isna().any():
        row = int(np.flatnonzero(id_values.isna().to_numpy())[0])
        raise DataError(f"{name}: column '{id_column}' is empty at line {line[row]}; every row needs a sequence id.")
    ids = id_values.astype(str).to_numpy(dtype=object)
    codes, unique_ids = pd.factorize(ids)  # order of first appearance
    unique_ids = np.asarray(unique_ids, dtype=object)
    n = len(unique_ids)
    if n > MAX_SEQUENCES:
        raise DataError(f"{name}: {n} sequences is too large; at most MAX_SEQUENCES={MAX_SEQUENCES}.")

    def where(row: int) -> str:
        return f"line {line[row]} (sequence '{ids[row]}')"

    features = np.stack(
        [_numeric_column(frame[c], f"{name}: column '{c}'", where, "feature") for c in feature_columns], axis=1
    )  # [rows, D]
    if time_column is None:
        times = frame.groupby(codes).cumcount().to_numpy(dtype=np.float64)
    else:
        times = _numeric_column(frame[time_column], f"{name}: column '{time_column}'", where, "time step")

    order = np.lexsort((times, codes))  # by sequence, then time
    sorted_codes, sorted_times = codes[order], times[order]
    same = sorted_codes[1:] == sorted_codes[:-1]
    duplicate = np.flatnonzero(same & (sorted_times[1:] == sorted_times[:-1]))
    if duplicate.size:
        a, b = sorted(order[[duplicate[0], duplicate[0] + 1]])
        raise DataError(
            f"{name}: sequence '{ids[a]}' has time step {_fmt(times[a])} twice (lines {line[a]} and {line[b]}); "
            "each (sequence, time step) pair must appear once."
        )
    lengths = np.bincount(codes, minlength=n).astype(np.int64)
    t, d = int(lengths.max()), len(feature_columns)
    if t > MAX_TIME_STEPS:
        longest = unique_ids[int(np.argmax(lengths))]
        raise DataError(
            f"{name}: sequence '{longest}' has {t} time steps, too long; at most MAX_TIME_STEPS={MAX_TIME_STEPS}."
        )
    _check_size(n, t, d, name)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    steps = np.arange(len(order)) - starts[sorted_codes]
    x = np.zeros((n, t, d), np.float32)
    x[sorted_codes, steps] = features[order]
    _check_float32(x, features, order, where, feature_columns, name)
    lines = np.full((n, t), -1, np.int64)
    lines[sorted_codes, steps] = line[order]

    task, y, n_classes, class_names = _csv_labels(
        frame, label_columns, task, order, sorted_codes, steps, starts, (n, t), where, name, line, ids
    )
    messages = _padding_warnings(x, lengths, unique_ids, lines)
    _emit(messages, name)
    return SequenceDataset(
        name=name,
        x=x,
        y=y,
        lengths=lengths,
        task=task,
        n_classes=n_classes,
        feature_names=tuple(str(c) for c in feature_columns),
        warnings=tuple(messages),
        class_names=class_names,
        sequence_ids=tuple(str(i) for i in unique_ids),
    )


def load_npz(path_or_buffer, task: str | None = None) -> SequenceDataset:
    """NPZ with ``x`` [N, T, D] zero-padded at the end, ``y`` and optional ``lengths`` [N] -> SequenceDataset.

    y: [N] classes (ints or text) or numbers, [N, k] numbers, [N, T] classes per step or
    [N, T, k] numbers per step. ``task=None`` infers it from y's shape and dtype (a ``task`` array
    in the file counts as the hint). Without ``lengths`` each length is the index after the last
    non-zero step. Optional keys written by SequenceDataset.save_npz (feature_names, class_names,
    sequence_ids, n_classes) are honoured; other keys are ignored. Never unpickles.
    """
    name = _source_name(path_or_buffer, "uploaded.npz")
    task = _checked_task(task)
    arrays = _read_npz(path_or_buffer, name)
    for key in ("x", "y"):
        if key not in arrays:
            raise DataError(f"{name}: no array '{key}'; the file has {sorted(arrays)}. Expected x [N, T, D] and y.")
    x, y = arrays["x"], arrays["y"]
    if x.dtype.kind not in "biuf":
        raise DataError(f"{name}: x has dtype {x.dtype}; expected numbers.")
    if x.ndim != 3:
        hint = " For one feature per step, save x[..., None]." if x.ndim == 2 else ""
        raise DataError(
            f"{name}: x must be 3-D [N, T, D] (sequences, time steps, features); received shape {x.shape}.{hint}"
        )
    n, t, d = x.shape
    if min(n, t, d) == 0:
        raise DataError(f"{name}: x is empty, shape {x.shape}; expected at least one sequence, step and feature.")
    _check_size(n, t, d, name)
    ids = _optional_names(arrays, "sequence_ids", n, name) or tuple(str(i) for i in range(n))
    feature_names = _optional_names(arrays, "feature_names", d, name)
    bad = np.argwhere(~np.isfinite(x))
    if bad.size:
        b, s, f = (int(v) for v in bad[0])
        raise DataError(
            f"{name}: x[{b}, {s}, {f}] is {x[b, s, f]} (sequence '{ids[b]}', step {s}, feature {f}); "
            "every value must be a finite number."
        )
    x32 = x.astype(np.float32)
    bad = np.argwhere(~np.isfinite(x32))
    if bad.size:
        b, s, f = (int(v) for v in bad[0])
        raise DataError(f"{name}: x[{b}, {s}, {f}] = {x[b, s, f]} is too large for float32 (max ~3.4e38).")

    nonzero = np.abs(x32).max(axis=2) > 0  # [N, T]
    if "lengths" in arrays:
        lengths = _checked_lengths(arrays["lengths"], n, t, name)
        after = nonzero & (np.arange(t)[None, :] >= lengths[:, None])
        if after.any():
            b = int(np.flatnonzero(after.any(axis=1))[0])
            s = int(np.flatnonzero(after[b])[0])
            front = "; it starts with zeros, so it looks padded at the front" if not nonzero[b, 0] else ""
            raise DataError(
                f"{name}: sequence '{ids[b]}' has length {lengths[b]} but a non-zero value at step {s}{front}. "
                "x must be zero-padded at the end, after each sequence's length."
            )
    else:
        lengths = np.where(nonzero.any(axis=1), t - np.argmax(nonzero[:, ::-1], axis=1), 0).astype(np.int64)
        empty = np.flatnonzero(lengths == 0)
        if empty.size:
            raise DataError(
                f"{name}: sequence(s) {[ids[i] for i in empty[:10]]} are empty: every step is all zeros. "
                "Remove them, or save 'lengths' if zero is a real value there."
            )

    if y.ndim == 0 or y.shape[0] != n:
        got = "a scalar" if y.ndim == 0 else f"{y.shape[0]} entries (shape {y.shape})"
        raise DataError(f"{name}: y has {got} but x has {n} sequences; y needs one entry per sequence.")
    if task is None and "task" in arrays and arrays["task"].ndim == 0:
        hint = str(arrays["task"])
        task = hint if hint in TASKS else None
    declared = None  # n_classes written by save_npz: y holds codes 0..n_classes-1 as they are
    if "n_classes" in arrays and arrays["n_classes"].ndim == 0 and arrays["n_classes"].dtype.kind in "iu":
        declared = int(arrays["n_classes"]) if int(arrays["n_classes"]) > 0 else None
    task, y, n_classes, class_names = _npz_labels(y, task, lengths, t, name, ids, declared)
    if n_classes is not None and not class_names:
        class_names = _optional_names(arrays, "class_names", n_classes, name)
    messages = _padding_warnings(x32, lengths, np.asarray(ids, dtype=object), None)
    _emit(messages, name)
    return SequenceDataset(
        name=name,
        x=x32,
        y=y,
        lengths=lengths,
        task=task,
        n_classes=n_classes,
        feature_names=feature_names,
        warnings=tuple(messages),
        class_names=class_names,
        sequence_ids=ids,
    )


# ------------------------------------------------------------------------ helpers


def _checked_task(task):
    if task is not None and task not in TASKS:
        raise DataError(f"task must be None or one of {TASKS}; received {task!r}.")
    return task


def _source_name(source, default: str) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return str(getattr(source, "name", None) or default)


def _open_source(source, name: str):
    """Path or file-like -> something pandas / numpy read; checks the size cap."""
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    if isinstance(source, (str, os.PathLike)):
        if not Path(source).is_file():
            raise DataError(f"{name}: no such file: {os.fspath(source)!r}.")
        size = Path(source).stat().st_size
    elif hasattr(source, "read"):
        if hasattr(source, "seek"):
            try:
                source.seek(0)
            except (OSError, ValueError):
                pass
        size = source.getbuffer().nbytes if hasattr(source, "getbuffer") else 0
    else:
        raise TypeError(f"path_or_buffer must be a path or a file-like object; received {type(source).__name__}.")
    if size > MAX_FILE_BYTES:
        raise DataError(f"{name}: {size} bytes is too large; at most MAX_FILE_BYTES={MAX_FILE_BYTES}.")
    return source


def _read_csv(source, name: str) -> pd.DataFrame:
    source = _open_source(source, name)
    try:
        return pd.read_csv(source)
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: the file is empty; expected a header row, then one row per (sequence, time step).") from None
    except pd.errors.ParserError as error:
        raise DataError(
            f"{name}: rows of different widths (ragged CSV): {str(error).strip()}. Every line must have as "
            "many fields as the header."
        ) from None
    except UnicodeDecodeError:
        raise DataError(f"{name}: not a text CSV file (could not decode it as UTF-8).") from None


def _read_npz(source, name: str) -> dict[str, np.ndarray]:
    source = _open_source(source, name)
    try:
        loaded = np.load(source, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{name}: not a readable .npz archive ({error}); expected arrays 'x' and 'y'.") from None
    if isinstance(loaded, np.ndarray):
        raise DataError(f"{name}: a single .npy array, shape {loaded.shape}; expected an .npz archive with 'x' and 'y'.")
    arrays = {}
    with loaded:
        for key in loaded.files:
            try:
                arrays[key] = loaded[key]
            except ValueError:
                raise DataError(
                    f"{name}: array '{key}' holds Python objects (ragged sequences of different lengths?). "
                    "Save x as one [N, T, D] number array, zero-padded at the end, with the true lengths in "
                    "'lengths'."
                ) from None
    return arrays


def _numeric_column(series: pd.Series, what: str, where, kind: str) -> np.ndarray:
    """Column -> float64 values; DataError naming line, sequence and value for text, NaN or inf."""
    if pd.api.types.is_bool_dtype(series):
        series = series.astype(np.float64)
    numbers = pd.to_numeric(series, errors="coerce") if not pd.api.types.is_numeric_dtype(series) else series
    values = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    text = np.flatnonzero(np.isnan(values) & series.notna().to_numpy())
    if text.size:
        row = int(text[0])
        raise DataError(f"{what}, {where(row)}: value {series.iloc[row]!r} is not a number; each {kind} must be numeric.")
    missing = np.flatnonzero(np.isnan(values))
    if missing.size:
        row = int(missing[0])
        raise DataError(f"{what}, {where(row)}: missing value (empty cell / NaN); each {kind} must be a finite number.")
    infinite = np.flatnonzero(np.isinf(values))
    if infinite.size:
        row = int(infinite[0])
        raise DataError(f"{what}, {where(row)}: value {values[row]} is infinite; each {kind} must be a finite number.")
    return values


def _check_float32(x, features, order, where, feature_columns, name) -> None:
    if np.isfinite(x).all():
        return
    rows, cols = np.nonzero(~np.isfinite(features.astype(np.float32)))
    row, col = int(rows[0]), int(cols[0])
    raise DataError(
        f"{name}: column '{feature_columns[col]}', {where(row)}: value {features[row, col]} is too large for "
        "float32 (max ~3.4e38)."
    )


def _check_size(n: int, t: int, d: int, name: str) -> None:
    if n > MAX_SEQUENCES:
        raise DataError(f"{name}: {n} sequences is too large; at most MAX_SEQUENCES={MAX_SEQUENCES}.")
    if t > MAX_TIME_STEPS:
        raise DataError(f"{name}: {t} time steps is too long; at most MAX_TIME_STEPS={MAX_TIME_STEPS}.")
    if d > MAX_FEATURES:
        raise DataError(f"{name}: {d} features is too many; at most MAX_FEATURES={MAX_FEATURES}.")
    if n * t * d > MAX_VALUES:
        raise DataError(f"{name}: N*T*D = {n}*{t}*{d} = {n * t * d} values is too large; at most MAX_VALUES={MAX_VALUES}.")


def _checked_lengths(lengths: np.ndarray, n: int, t: int, name: str) -> np.ndarray:
    if lengths.shape != (n,):
        raise DataError(f"{name}: lengths must have shape ({n},), one per sequence; received shape {lengths.shape}.")
    if lengths.dtype.kind not in "iuf" or not np.all(np.isfinite(lengths)) or not np.all(np.mod(lengths, 1) == 0):
        raise DataError(f"{name}: lengths must be whole numbers; received dtype {lengths.dtype}.")
    lengths = lengths.astype(np.int64)
    out = np.flatnonzero((lengths < 1) | (lengths > t))
    if out.size:
        b = int(out[0])
        raise DataError(
            f"{name}: lengths[{b}] = {lengths[b]}; each length must lie in 1..T={t} (a length of 0 is an empty sequence)."
        )
    return lengths


def _optional_names(arrays, key: str, count: int, name: str) -> tuple[str, ...]:
    if key not in arrays or arrays[key].size == 0:
        return ()
    values = arrays[key].reshape(-1)
    if len(values) != count:
        raise DataError(f"{name}: '{key}' has {len(values)} entries; expected {count}.")
    return tuple(str(v) for v in values)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _encode_classes(
    values: np.ndarray, declared: int | None = None, what: str = "labels"
) -> tuple[np.ndarray, int, tuple[str, ...]]:
    """[M] labels -> codes [M] int64, n_classes, class_names (empty when codes are the labels).

    With ``declared`` (a file's n_classes) whole-number labels are taken as codes 0..declared-1.
    """
    if values.dtype.kind in "biu" or (values.dtype.kind == "f" and np.all(np.mod(values, 1) == 0)):
        ints = values.astype(np.int64)
        if declared is not None:
            if ints.min() < 0 or ints.max() >= declared:
                raise DataError(
                    f"{what}: class codes must lie in 0..n_classes-1 = 0..{declared - 1}; received {ints.min()}..{ints.max()}."
                )
            return ints, declared, ()
        if ints.min() >= 0 and (ints == 0).any():
            return ints, int(ints.max()) + 1, ()
        uniques, codes = np.unique(ints, return_inverse=True)
        return codes.astype(np.int64), len(uniques), tuple(str(u) for u in uniques)
    text = values.astype(str)
    uniques, codes = np.unique(text, return_inverse=True)
    return codes.astype(np.int64), len(uniques), tuple(str(u) for u in uniques)


def _is_class_like(values: np.ndarray) -> bool:
    """Text, or whole numbers with few distinct values."""
    if values.dtype.kind in "OUS":
        return True
    if values.dtype.kind == "b":
        return True
    if values.dtype.kind == "f" and not np.all(np.mod(values, 1) == 0):
        return False
    return len(np.unique(values)) <= MAX_INFERRED_CLASSES


def _label_values(series: pd.Series, what: str, where) -> np.ndarray:
    """Label column -> float64 numbers if every value is one, else text; DataError on missing labels."""
    missing = np.flatnonzero(series.isna().to_numpy())
    if missing.size:
        row = int(missing[0])
        raise DataError(
            f"{what} is empty at {where(row)}; every row needs a label (repeat a sequence's label on each of its rows)."
        )
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=np.float64)
        infinite = np.flatnonzero(~np.isfinite(values))
        if infinite.size:
            row = int(infinite[0])
            raise DataError(f"{what}, {where(row)}: value {values[row]} is infinite; labels must be finite.")
        return values
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.int64)
    return series.astype(str).to_numpy(dtype=object)


def _csv_labels(frame, label_columns, task, order, sorted_codes, steps, starts, shape, where, name, line, ids):
    """Label column(s) -> (task, y, n_classes, class_names); labels constant per sequence or per step."""
    n, t = shape
    columns = [_label_values(frame[c], f"{name}: label column '{c}'", where) for c in label_columns]
    same = sorted_codes[1:] == sorted_codes[:-1]
    changes = []
    for c, values in zip(label_columns, columns):
        ordered = values[order]
        change = np.flatnonzero(same & (ordered[1:] != ordered[:-1]))
        changes.append((c, change, ordered))
    varying = next(((c, ch, o) for c, ch, o in changes if ch.size), None)

    if task is None:
        if varying is not None:
            task = "sequence_labelling"
        elif len(columns) == 1 and _is_class_like(columns[0]):
            task = "classification"
        else:
            task = "regression"
    if task in ("classification", "regression") and varying is not None:
        c, change, ordered = varying
        a, b = order[change[0]], order[change[0] + 1]
        raise DataError(
            f"{name}: label column '{c}' changes within sequence '{ids[a]}' "
            f"(line {line[a]}: {_show(ordered[change[0]])}, line {line[b]}: {_show(ordered[change[0] + 1])}); "
            f"task='{task}' needs one label per sequence. Use task='sequence_labelling' for a label per step."
        )
    if task == "classification" and len(columns) != 1:
        raise DataError(f"{name}: classification takes one label column; received {label_columns}.")
    classes = task == "classification" or (
        task == "sequence_labelling" and len(columns) == 1 and _is_class_like(columns[0])
    )
    if classes:
        values = columns[0]
        if values.dtype.kind == "f" and not np.all(np.mod(values, 1) == 0):
            row = int(np.flatnonzero(np.mod(values, 1) != 0)[0])
            raise DataError(
                f"{name}: label column '{label_columns[0]}', {where(row)}: value {values[row]} is not a whole "
                "number; class labels must be integers or names. For numbers use task='regression'."
            )
        codes, n_classes, class_names = _encode_classes(values)
        if task == "classification":
            return task, codes[order[starts]], n_classes, class_names  # [N]
        y = np.zeros((n, t), np.int64)
        y[sorted_codes, steps] = codes[order]  # [N, T], padding is class 0
        return task, y, n_classes, class_names
    for c, values in zip(label_columns, columns):
        if values.dtype.kind == "O":
            row = int(np.flatnonzero(pd.to_numeric(pd.Series(values), errors="coerce").isna().to_numpy())[0])
            raise DataError(
                f"{name}: label column '{c}', {where(row)}: value {values[row]!r} is not a number; "
                f"task='{task}' needs numeric labels."
            )
    stacked = np.stack([v.astype(np.float64) for v in columns], axis=1)  # [rows, k]
    if task == "regression":
        return task, stacked[order[starts]].astype(np.float32), None, ()
    y = np.zeros((n, t, len(columns)), np.float32)
    y[sorted_codes, steps] = stacked[order]
    return task, y, None, ()


def _show(value) -> str:
    return _fmt(value) if isinstance(value, (float, np.floating)) else repr(value)


def _npz_labels(y, task, lengths, t, name, ids, declared=None):
    """NPZ y -> (task, y, n_classes, class_names), inferring the task from shape and dtype."""
    kind = y.dtype.kind
    if kind not in "biufUS":
        raise DataError(f"{name}: y has dtype {y.dtype}; expected numbers or text labels.")
    if kind in "f":
        bad = np.argwhere(~np.isfinite(y))
        if bad.size:
            index = tuple(int(v) for v in bad[0])
            raise DataError(f"{name}: y{list(index)} is {y[index]} (sequence '{ids[index[0]]}'); labels must be finite.")
    discrete = kind in "biuUS"
    if task is None:
        if y.ndim == 1:
            task = "classification" if discrete else "regression"
        elif y.ndim == 2:
            task = "sequence_labelling" if discrete and y.shape[1] == t else "regression"
        elif y.ndim == 3:
            task = "sequence_labelling"
        else:
            raise DataError(f"{name}: y must be [N], [N, k], [N, T] or [N, T, k]; received shape {y.shape}.")
    if task == "classification":
        if y.ndim != 1:
            raise DataError(f"{name}: classification needs y [N] (one class per sequence); received shape {y.shape}.")
        if kind == "f" and not np.all(np.mod(y, 1) == 0):
            b = int(np.flatnonzero(np.mod(y, 1) != 0)[0])
            raise DataError(f"{name}: y[{b}] = {y[b]} is not a whole number; classification needs integer or text labels.")
        codes, n_classes, class_names = _encode_classes(y, declared, f"{name}: y")
        return task, codes, n_classes, class_names
    if task == "regression":
        if kind in "US":
            raise DataError(f"{name}: regression needs numeric y; received text (dtype {y.dtype}).")
        if y.ndim not in (1, 2):
            raise DataError(f"{name}: regression needs y [N] or [N, k]; received shape {y.shape}.")
        return task, (y[:, None] if y.ndim == 1 else y).astype(np.float32), None, ()
    if y.ndim not in (2, 3) or y.shape[1] != t:
        raise DataError(
            f"{name}: sequence_labelling needs y [N, T] or [N, T, k] with T={t} (x's steps); received shape {y.shape}."
        )
    valid = np.arange(t)[None, :] < lengths[:, None]  # [N, T]
    if y.ndim == 2 and (discrete or np.all(np.mod(y[valid], 1) == 0)) and _is_class_like(y[valid]):
        codes, n_classes, class_names = _encode_classes(y[valid], declared, f"{name}: y")
        full = np.zeros(y.shape, np.int64)
        full[valid] = codes  # padded steps get class 0
        return task, full, n_classes, class_names
    if kind in "US":
        raise DataError(f"{name}: per-step text labels must be y [N, T]; received shape {y.shape}.")
    y = (y[..., None] if y.ndim == 2 else y).astype(np.float32)
    return task, np.where(valid[..., None], y, 0.0).astype(np.float32), None, ()


def _padding_warnings(x: np.ndarray, lengths: np.ndarray, ids, lines: np.ndarray | None) -> list[str]:
    """[N, T, D], [N] -> messages for sequences whose TFLearn length (non-zero steps) is not their true length."""
    report = padding_report(x)
    nonzero = np.abs(x).max(axis=2) > 0  # [N, T]
    affected = np.flatnonzero(report.tflearn != lengths)
    messages = []
    for b in affected[:_WARNING_DETAIL_LIMIT]:
        length, counted = int(lengths[b]), int(report.tflearn[b])
        zero_steps = np.flatnonzero(~nonzero[b, :length])
        lead = int(report.leading_padding[b])
        if lead and np.array_equal(zero_steps, np.arange(lead)):
            messages.append(
                f"sequence '{ids[b]}' starts with {lead} all-zero step(s), so it looks padded at the front: "
                f"dynamic mode computes those zeros and drops its last {length - counted} real step(s). "
                "Pad at the end instead."
            )
            continue
        shown = [int(s) for s in zero_steps[:10]] + (["..."] if zero_steps.size > 10 else [])
        at_lines = ""
        if lines is not None:
            at_lines = f" (lines {[int(lines[b, s]) for s in zero_steps[:10]]})"
        messages.append(
            f"sequence '{ids[b]}' has all-zero real step(s) at t={shown}{at_lines}: dynamic mode counts "
            f"{counted} non-zero steps instead of {length} and drops its last {length - counted} real step(s). "
            "Add a constant feature, or pass seq_len=dataset.lengths."
        )
    if affected.size > _WARNING_DETAIL_LIMIT:
        messages.append(
            f"... and {affected.size - _WARNING_DETAIL_LIMIT} more sequence(s) like these "
            f"({affected.size} of {len(lengths)} in all)."
        )
    return messages


def _emit(messages: list[str], name: str) -> None:
    if messages:
        _warnings.warn(f"{name}: " + "\n".join(messages), DataWarning, stacklevel=3)
