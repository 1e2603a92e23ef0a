"""Your own data as a NumPy .npz archive (x [N, T, D], y, optional lengths, split): load_npz and its helpers.

The optional ``split`` key is the file's own train / test split, one entry per sequence: 0 or 'train' for a
training sequence, 1 or 'test' for a test sequence (bool, integer or text arrays; text is case-insensitive).
It is the layout of the shipped sample_data/*.npz (uint8, 0 train, 1 test), so those files load the same.
"""

from __future__ import annotations

import numpy as np

from rnnlab.datasets.checks import (
    _check_size,
    _checked_task,
    _emit,
    _encode_classes,
    _is_class_like,
    _open_source,
    _padding_warnings,
    _source_name,
)
from rnnlab.datasets.dataset import (
    MAX_CLASSES,
    MAX_FEATURES,
    MAX_SEQUENCES,
    MAX_VALUES,
    TASKS,
    DataError,
    SequenceDataset,
)
from rnnlab.datasets.npz_reader import NpyHeader, NpzArchive

MAX_ARRAY_BYTES = 8 * MAX_VALUES  # x or y as float64 at MAX_VALUES values
_NAMES_BYTES = 64 << 20
# the keys load_npz reads -> (at most this many values, that limit's name, at most this many bytes)
_READ = {
    "x": (MAX_VALUES, "MAX_VALUES", MAX_ARRAY_BYTES),
    "y": (MAX_VALUES, "MAX_VALUES", MAX_ARRAY_BYTES),
    "lengths": (MAX_SEQUENCES, "MAX_SEQUENCES", 8 * MAX_SEQUENCES),
    "sequence_ids": (MAX_SEQUENCES, "MAX_SEQUENCES", _NAMES_BYTES),
    "feature_names": (MAX_FEATURES, "MAX_FEATURES", _NAMES_BYTES),
    "class_names": (MAX_CLASSES, "MAX_CLASSES", _NAMES_BYTES),
    "task": (1, "one value", 4096),
    "n_classes": (1, "one value", 8),
    "split": (MAX_SEQUENCES, "MAX_SEQUENCES", _NAMES_BYTES),
}
SPLIT_CODES = {"train": 0, "test": 1}  # a split array's text values -> its codes
_SCALAR_KEYS = ("task", "n_classes")


def load_npz(path_or_buffer, task: str | None = None, split: str | None = None) -> SequenceDataset:
    """NPZ with ``x`` [N, T, D] zero-padded at the end, ``y`` and optional ``lengths`` [N] -> SequenceDataset.

    y: [N] classes (ints or text) or numbers, [N, k] numbers, [N, T] classes per step or
    [N, T, k] numbers per step. ``task=None`` infers it from y's shape and dtype (a ``task`` array
    in the file counts as the hint). Without ``lengths`` each length is the index after the last
    non-zero step. Optional keys written by SequenceDataset.save_npz (feature_names, class_names,
    sequence_ids, n_classes) are honoured, and ``split`` [N] (0 / 'train', 1 / 'test'; see the module
    docstring) is checked. Other keys are ignored. Never unpickles.

    ``split``: None or 'all' -> every sequence; 'train' / 'test' -> the sequences the file's ``split`` array
    marks so (classes numbered over the whole file, so both parts agree). load_npz_train_test gives both.
    """
    if split not in (None, "all", *SPLIT_CODES):
        raise DataError(f"split must be None, 'all', 'train' or 'test'; received {split!r}.")
    dataset, codes = _load_npz(path_or_buffer, task)
    if split in (None, "all"):
        return dataset
    if codes is None:
        raise DataError(
            f"{dataset.name}: split={split!r} needs a 'split' array in the file (one entry per sequence: "
            "0 or 'train', 1 or 'test'); the file has none. Use split=None for every sequence."
        )
    return _part(dataset, codes, split)


def load_npz_train_test(path_or_buffer, task: str | None = None) -> tuple[SequenceDataset, SequenceDataset | None]:
    """NPZ -> (train, test) SequenceDatasets [N_train, T, D], [N_test, T, D] by the file's ``split`` array, or
    (every sequence, None) when the file has no ``split``. Reads the file once; see load_npz."""
    dataset, codes = _load_npz(path_or_buffer, task)
    if codes is None:
        return dataset, None
    return _part(dataset, codes, "train"), _part(dataset, codes, "test")


def _part(dataset: SequenceDataset, codes: np.ndarray, split: str) -> SequenceDataset:
    """The sequences whose split code is SPLIT_CODES[split]; DataError when there are none."""
    chosen = codes == SPLIT_CODES[split]
    if not chosen.any():
        other = next(s for s in SPLIT_CODES if s != split)
        raise DataError(
            f"{dataset.name}: the 'split' array marks no sequence {split!r} (all {len(codes)} are {other!r}); "
            f"expected both 'train' (0) and 'test' (1), or drop the 'split' array."
        )
    return dataset.subset(chosen)


def _load_npz(path_or_buffer, task: str | None) -> tuple[SequenceDataset, np.ndarray | None]:
    """-> (every sequence, the split codes [N] int8 (0 train, 1 test) or None without a 'split' array)."""
    name = _source_name(path_or_buffer, "uploaded.npz")
    task = _checked_task(task)
    arrays, keys = _read_npz(path_or_buffer, name)
    for key in ("x", "y"):
        if key not in arrays:
            raise DataError(f"{name}: no array '{key}'; the file has {sorted(keys)}. Expected x [N, T, D] and y.")
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
    codes = _split_codes(arrays["split"], n, name, ids) if "split" in arrays else None
    messages = _padding_warnings(x32, lengths, np.asarray(ids, dtype=object), None)
    _emit(messages, name)
    dataset = SequenceDataset(
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
    return dataset, codes


def _split_codes(split: np.ndarray, n: int, name: str, ids) -> np.ndarray:
    """The file's split array [N] -> [N] int8 codes, 0 train and 1 test; DataError naming a bad entry."""
    if split.shape != (n,):
        raise DataError(
            f"{name}: 'split' has shape {split.shape}; expected ({n},), one entry per sequence "
            "(0 or 'train', 1 or 'test')."
        )
    if split.dtype.kind in "US":
        text = np.char.lower(np.char.strip(split.astype(str)))
        codes = np.full(n, -1, np.int8)
        for key, code in SPLIT_CODES.items():
            codes[text == key] = code
    else:
        codes = np.where(split == 0, 0, np.where(split == 1, 1, -1)).astype(np.int8)
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        b = int(bad[0])
        raise DataError(
            f"{name}: split[{b}] = {split[b].item()!r} (sequence '{ids[b]}'); expected 'train' or 'test' "
            "(or 0 = train, 1 = test)."
        )
    return codes


def _read_npz(source, name: str) -> tuple[dict[str, np.ndarray], tuple[str, ...]]:
    """-> (the arrays load_npz uses, every key in the file). Headers first: nothing is decompressed until
    each wanted member's declared shape and dtype are within _READ's limits; other keys are never opened."""
    source = _open_source(source, name)
    with NpzArchive(source, name) as archive:
        headers = {}
        for key in _READ:
            if key not in archive.keys:
                continue
            header = archive.header(key)
            if key in _SCALAR_KEYS and (header.shape != () or (key == "n_classes" and header.dtype.kind not in "iu")):
                continue  # load_npz uses task / n_classes only as 0-d hints: anything else is ignored unread
            _check_declared(header, name)
            headers[key] = header
        return {key: archive.read(key) for key in headers}, archive.keys


def _check_declared(header: NpyHeader, name: str) -> None:
    """Refuses a member whose .npy header declares a dtype or size load_npz cannot use (before reading it)."""
    key, max_values, limit_name, max_bytes = header.key, *_READ[header.key]
    if key == "x":
        if header.dtype.kind not in "biuf":
            raise DataError(f"{name}: x has dtype {header.dtype}; expected numbers.")
        if len(header.shape) == 3:
            _check_size(*header.shape, f"{name}: array 'x' ({header.describe()})")
    if key in ("y", "split") and header.dtype.kind not in "biufUS":
        expected = "numbers or text labels" if key == "y" else "0 / 1 or 'train' / 'test'"
        raise DataError(f"{name}: {key} has dtype {header.dtype}; expected {expected}.")
    if header.n_values > max_values:
        raise DataError(
            f"{name}: array '{key}' declares {header.describe()} = {header.n_values} values; "
            f"at most {limit_name}={max_values}."
        )
    if header.data_bytes > max_bytes:
        raise DataError(
            f"{name}: array '{key}' declares {header.describe()} = {header.data_bytes} bytes; at most {max_bytes} bytes."
        )


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
        codes, n_classes, class_names = _encode_classes(
            y, declared, f"{name}: y", lambda i: f"{name}: y[{i[0]}] (sequence '{ids[i[0]]}')"
        )
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
        steps = np.argwhere(valid)  # [M, 2]: (sequence, step) of each real step

        def where(i):
            b, s = (int(v) for v in steps[i[0]])
            return f"{name}: y[{b}, {s}] (sequence '{ids[b]}', step {s})"

        codes, n_classes, class_names = _encode_classes(y[valid], declared, f"{name}: y", where)
        full = np.zeros(y.shape, np.int64)
        full[valid] = codes  # padded steps get class 0
        return task, full, n_classes, class_names
    if kind in "US":
        raise DataError(f"{name}: per-step text labels must be y [N, T]; received shape {y.shape}.")
    y = (y[..., None] if y.ndim == 2 else y).astype(np.float32)
    return task, np.where(valid[..., None], y, 0.0).astype(np.float32), None, ()
