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

Limits for your own data (MAX_*): 20,000 sequences, 1,000 steps, 1,000 features, 50 million values,
1,000 classes; the generators keep to them too.
Generated data is identical for a seed (for a given NumPy version) and never has an all-zero real
step, so TFLearn's inferred length equals ``lengths`` (the one exception is the set padded at the
front on purpose, 'variable_length_prepadded').
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from rnnlab.errors import RnnlabError

# ------------------------------------------------------------------- errors, limits


class DataError(RnnlabError):
    """Data that cannot be used: the message names the column / row / sequence, the value and what was expected."""


class DataWarning(UserWarning):
    """Data that loads but will surprise you, such as all-zero real steps that dynamic mode cuts."""


MAX_SEQUENCES = 20_000
MAX_TIME_STEPS = 1_000
MAX_FEATURES = 1_000
MAX_VALUES = 50_000_000  # N * T * D, 200 MB of float32
MAX_FILE_BYTES = 200 * 1024 * 1024  # Streamlit's default upload limit
MAX_CLASSES = 1_000  # classes per data set: label sets that would make more are refused
MAX_INFERRED_CLASSES = 50  # more distinct whole-number labels than this: inferred as regression

TASKS = ("classification", "regression", "sequence_labelling")
SPLITS = ("train", "test", "all")

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


def probe_samples(train: SequenceDataset, test: SequenceDataset | None, n: int) -> tuple[SequenceDataset, np.ndarray]:
    """(train [N, T, D], test [M, T, D] or None), n -> (source, indices [min(n, len(source))] int64 into source):
    the sequences an inspection probe looks at, the app's probe pool and its training snapshots alike.

    source is the held-out set (test) when it has sequences, else the training set. For classification the
    indices take the classes in turn: the first sequence of each class (classes in the order they first
    appear in the file), then the second of each, ... until n or the data runs out, so every class present
    is there as soon as n >= the number of classes, and any first k indices are as mixed as they can be
    (a test file sorted by class no longer gives a pool of its first one or two classes). Index 0 is always
    the file's first sequence. For regression and sequence labelling: the first n, in file order.
    """
    source = test if test is not None and test.n_samples else train
    count = min(max(int(n), 0), source.n_samples)
    if source.task != "classification" or count == 0:
        return source, np.arange(count, dtype=np.int64)
    y = source.y  # [N] class codes
    _, first, inverse = np.unique(y, return_index=True, return_inverse=True)  # per class present: first index
    inverse = inverse.reshape(-1)
    place = np.argsort(np.argsort(first))[inverse]  # [N] the sequence's class's place in order of first appearance
    grouped = np.argsort(inverse, kind="stable")  # sequences class by class, in file order within a class
    starts = np.searchsorted(inverse[grouped], np.arange(len(first)))  # where each class's run begins
    turn = np.empty(len(y), np.int64)  # [N] the sequence's rank within its class: 0 for its first, 1, ...
    turn[grouped] = np.arange(len(y)) - starts[inverse[grouped]]
    order = np.lexsort((place, turn))  # by turn, then by class place: round robin over the classes
    return source, order[:count].astype(np.int64)


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
    codes = int64_labels(y, what)
    top = int(codes.max()) + 1 if codes.size else 0
    n_classes = top if n_classes is None else n_classes
    if n_classes > MAX_CLASSES:
        raise DataError(f"{what}: n_classes = {n_classes} classes is too many; at most MAX_CLASSES={MAX_CLASSES}.")
    if codes.size and (codes.min() < 0 or top > n_classes):
        raise DataError(
            f"{what} class codes must lie in 0..n_classes-1 = 0..{n_classes - 1}; "
            f"received {codes.min()}..{codes.max()}."
        )
    return codes, n_classes


def int64_labels(values: np.ndarray, what: str, where=None) -> np.ndarray:
    """[...] whole-number labels (bool, int, uint or float) -> [...] int64, the same values exactly.

    A value int64 cannot hold exactly (1e20, 2.0**63 = float(2**63 - 1), uint64 above 2**63 - 1, inf, nan)
    raises DataError naming it: ``where(index)`` says where it is (default ``what[i, j]``). Never wraps.
    """
    kind = values.dtype.kind
    if kind in "bi":
        return values.astype(np.int64, copy=False)
    if kind == "u":
        bad = values > np.iinfo(np.int64).max
    else:
        bad = ~((values >= -(2.0**63)) & (values < 2.0**63))  # also nan
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        place = where(index) if where is not None else f"{what}[{', '.join(map(str, index))}]"
        raise DataError(
            f"{place}: value {values[index].item()!r} does not fit an int64 class label exactly; class labels "
            "must be whole numbers in -2**63..2**63-1 (or text)."
        )
    return values.astype(np.int64)
