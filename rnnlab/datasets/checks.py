"""Shared checks for your own files (CSV and NPZ): opening a source under the size cap, size and task checks,
class-label encoding, and the padding warnings (DataWarning) for all-zero real steps."""

from __future__ import annotations

import io
import os
import warnings as _warnings
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


def _emit(messages: list[str], name: str) -> None:
    if messages:
        _warnings.warn(f"{name}: " + "\n".join(messages), DataWarning, stacklevel=3)
