"""Shared checks for your own files (CSV, NPZ, .ts, .tsv): opening a source under the size cap, reading it as
text, size and task checks, class-label encoding, the padding warnings (DataWarning) for all-zero real steps,
and align_train_test, which makes a TRAIN / TEST pair of files agree (classes, T)."""

from __future__ import annotations

import io
import os
import warnings as _warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from rnnlab.datasets.dataset import (
    MAX_CLASSES,
    MAX_FEATURES,
    MAX_FILE_BYTES,
    MAX_INFERRED_CLASSES,
    MAX_SEQUENCES,
    MAX_TIME_STEPS,
    MAX_VALUES,
    TASKS,
    DataError,
    DataWarning,
    SequenceDataset,
    int64_labels,
)
from rnnlab.padding import padding_report

_WARNING_DETAIL_LIMIT = 10  # sequences described one by one before a summary line


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


def _read_text(source, name: str) -> str:
    """Path, file-like or bytes -> the whole text (UTF-8, a byte-order mark dropped), at most MAX_FILE_BYTES."""
    source = _open_source(source, name)
    if isinstance(source, (str, os.PathLike)):
        data = Path(source).read_bytes()
    else:
        data = source.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise DataError(f"{name}: more than {MAX_FILE_BYTES} bytes is too large; at most MAX_FILE_BYTES={MAX_FILE_BYTES}.")
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if data.startswith((b"PK\x03\x04", b"\x93NUMPY")):
        raise DataError(f"{name}: a binary NumPy / zip file, not text; save it as .npz to load it with load_npz.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(
            f"{name}: not a text file (byte {error.start} is not UTF-8); expected one sequence per line."
        ) from None


def _floats(parts) -> tuple[np.ndarray, int]:
    """[k] text values -> ([k] float64, index of the first that is not a number, or -1). 'nan' / 'inf' parse
    (callers refuse or use them); '', '?' and text do not (their values are nan)."""
    try:
        return np.array(parts, dtype=np.float64), -1
    except ValueError:
        pass
    values = np.full(len(parts), np.nan)
    first = -1
    for i, part in enumerate(parts):
        try:
            values[i] = float(part)
        except ValueError:
            first = i if first < 0 else first
    return values, first


def _check_size(n: int, t: int, d: int, name: str) -> None:
    if n > MAX_SEQUENCES:
        raise DataError(f"{name}: {n} sequences is too large; at most MAX_SEQUENCES={MAX_SEQUENCES}.")
    if t > MAX_TIME_STEPS:
        raise DataError(f"{name}: {t} time steps is too long; at most MAX_TIME_STEPS={MAX_TIME_STEPS}.")
    if d > MAX_FEATURES:
        raise DataError(f"{name}: {d} features is too many; at most MAX_FEATURES={MAX_FEATURES}.")
    if n * t * d > MAX_VALUES:
        raise DataError(f"{name}: N*T*D = {n}*{t}*{d} = {n * t * d} values is too large; at most MAX_VALUES={MAX_VALUES}.")


def _encode_classes(
    values: np.ndarray, declared: int | None = None, what: str = "labels", where=None
) -> tuple[np.ndarray, int, tuple[str, ...]]:
    """[M] labels -> codes [M] int64, n_classes, class_names (empty when codes are the labels).

    Whole-number labels that include 0 (and none below) are the class codes themselves; other whole
    numbers and text are numbered by their sorted distinct values. With ``declared`` (a file's n_classes)
    whole-number labels are taken as codes 0..declared-1. More than MAX_CLASSES classes, or a whole
    number int64 cannot hold exactly, raise DataError (``where(index)`` names the place of a bad value).
    """
    if values.dtype.kind in "biu" or (values.dtype.kind == "f" and np.all(np.mod(values, 1) == 0)):
        ints = int64_labels(values, what, where)
        if declared is not None:
            if declared > MAX_CLASSES:
                raise DataError(f"{what}: the file declares n_classes={declared}; at most MAX_CLASSES={MAX_CLASSES}.")
            if ints.min() < 0 or ints.max() >= declared:
                raise DataError(
                    f"{what}: class codes must lie in 0..n_classes-1 = 0..{declared - 1}; received {ints.min()}..{ints.max()}."
                )
            return ints, declared, ()
        if ints.min() >= 0 and (ints == 0).any():
            top = int(ints.max())
            if top + 1 > MAX_CLASSES:
                raise DataError(
                    f"{what}: whole-number labels that include 0 are class codes, so labels 0..{top} make "
                    f"{top + 1} classes; at most MAX_CLASSES={MAX_CLASSES}. Number the classes 0..K-1 with "
                    f"K <= {MAX_CLASSES}, or name them with text (e.g. 'class {top}')."
                )
            return ints, top + 1, ()
        uniques, codes = np.unique(ints, return_inverse=True)
    else:
        uniques, codes = np.unique(values.astype(str), return_inverse=True)
    if len(uniques) > MAX_CLASSES:
        raise DataError(
            f"{what}: {len(uniques)} distinct labels make {len(uniques)} classes; at most MAX_CLASSES={MAX_CLASSES}. "
            "For numbers to predict, use task='regression'."
        )
    return codes.astype(np.int64).reshape(-1), len(uniques), tuple(str(u) for u in uniques)


def _is_class_like(values: np.ndarray) -> bool:
    """Text, or whole numbers with few distinct values."""
    if values.dtype.kind in "OUS":
        return True
    if values.dtype.kind == "b":
        return True
    if values.dtype.kind == "f" and not np.all(np.mod(values, 1) == 0):
        return False
    return len(np.unique(values)) <= MAX_INFERRED_CLASSES


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


def _padded_series(series: list[np.ndarray], line_numbers: list[int], name: str):
    """N series [T_b, D] in file order, each one's line number in the file -> (x [N, T, D] float32, zero past each
    length; lengths [N] int64; padding warnings (not emitted yet)): the shared tail of the .ts and .tsv loaders.
    DataError when the whole is too large (``_check_size``). Sequences are named "0".."N-1" in the warnings."""
    lengths = np.array([len(s) for s in series], np.int64)
    n, t, d = len(series), int(lengths.max()), series[0].shape[1]
    _check_size(n, t, d, name)
    x = np.zeros((n, t, d), np.float32)
    for b, values in enumerate(series):
        x[b, : len(values)] = values
    ids = np.array([str(b) for b in range(n)], dtype=object)
    step_lines = np.repeat(np.array(line_numbers, np.int64)[:, None], t, axis=1)  # [N, T]: each step's line
    return x, lengths, _padding_warnings(x, lengths, ids, step_lines)


#: characters of a bad value or line quoted in a message
_SHOWN = 60


def _show_text(text: str) -> str:
    """Text quoted for a message, shortened to about _SHOWN characters."""
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


def _emit(messages: list[str], name: str) -> None:
    if messages:
        _warnings.warn(f"{name}: " + "\n".join(messages), DataWarning, stacklevel=3)


# ------------------------------------------------------------------------------------ TRAIN / TEST pairs


def align_train_test(train: SequenceDataset, test: SequenceDataset) -> tuple[SequenceDataset, SequenceDataset]:
    """(train [N1, T1, D], test [N2, T2, D]) -> the same two sets with one T (the larger, zero-padded) and one
    class numbering, as a TRAIN / TEST pair of files needs (each file was loaded on its own).

    Classes are matched by name (a set without class_names is named by its codes "0".."K-1"): train keeps
    its codes, test's are renumbered, and classes only test has are added after train's. Raises DataError
    when the two differ in task, number of features D, or numbers per target k.
    """
    where = f"TRAIN / TEST pair ({train.name}, {test.name})"
    if train.task != test.task:
        raise DataError(f"{where}: tasks differ, {train.task!r} and {test.task!r}; both files must hold one task.")
    if train.n_features != test.n_features:
        raise DataError(
            f"{where}: {train.n_features} and {test.n_features} features (D) per step; both files need the same D."
        )
    if train.n_classes is None and train.y.shape[-1] != test.y.shape[-1]:
        raise DataError(
            f"{where}: {train.y.shape[-1]} and {test.y.shape[-1]} numbers per target (k); both files need the same k."
        )
    t = max(train.time_steps, test.time_steps)
    train, test = _padded_to(train, t), _padded_to(test, t)
    if train.n_classes is None:
        return train, test
    names = list(train.class_names or (str(c) for c in range(train.n_classes)))
    test_names = test.class_names or tuple(str(c) for c in range(test.n_classes))
    names += [c for c in dict.fromkeys(test_names) if c not in names]
    if len(names) > MAX_CLASSES:
        raise DataError(f"{where}: {len(names)} classes in all; at most MAX_CLASSES={MAX_CLASSES}.")
    code_of = {c: i for i, c in enumerate(names)}
    recode = np.array([code_of[c] for c in test_names], np.int64)  # test code -> pair code
    y = recode[test.y]
    if test.task == "sequence_labelling":
        y = np.where(test.valid_mask, y, 0)  # padded steps stay class 0
    numbered = names == [str(c) for c in range(len(names))]
    keep_names = () if numbered and not train.class_names else tuple(names)  # () : the codes are the labels
    train = replace(train, n_classes=len(names), class_names=keep_names)
    test = replace(test, y=y, n_classes=len(names), class_names=keep_names)
    return train, test


def _padded_to(data: SequenceDataset, t: int) -> SequenceDataset:
    """[N, T, ...] -> [N, t, ...] with zeros after step T (x, and y of sequence labelling)."""
    extra = t - data.time_steps
    if extra == 0:
        return data
    x = np.pad(data.x, ((0, 0), (0, extra), (0, 0)))
    y = data.y
    if data.task == "sequence_labelling":
        y = np.pad(y, [(0, 0), (0, extra)] + [(0, 0)] * (y.ndim - 2))
    return replace(data, x=x, y=y)
