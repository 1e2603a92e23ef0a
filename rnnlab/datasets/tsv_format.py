"""Your own data in the UCR archive's ``.tsv`` format (one univariate series per line) -> x [N, T, 1]: load_tsv.

The format, as the UCR Time Series Classification Archive (2018) writes it: no header, one series per line,
the label first, then the values, all separated by tabs::

    1	-0.79	-0.80	-0.81	-0.83	-0.84
    2	0.12	0.15	0.11	NaN	NaN         a shorter series: UCR pads its tail with NaN

A NaN (or empty) tail is padding: it becomes zero padding, and ``lengths`` keeps the true length. A NaN
before the end of a series is a missing value and is refused. Every problem is a DataError naming the
line (1-based) and the field (1-based, the label is field 1; "step t" counts the values from 0 as in
x[n, t, 0]).
"""

from __future__ import annotations

import numpy as np

from rnnlab.datasets.checks import (
    _emit,
    _encode_classes,
    _floats,
    _is_class_like,
    _padded_series,
    _read_text,
    _show_text,
    _source_name,
)
from rnnlab.datasets.dataset import MAX_SEQUENCES, MAX_TIME_STEPS, DataError, SequenceDataset

_TASKS = (None, "classification", "regression")


def load_tsv(path_or_buffer, task: str | None = "classification", delimiter: str = "\t") -> SequenceDataset:
    """UCR .tsv file -> SequenceDataset x [N, T, 1] float32 zero-padded, lengths [N], y [N] or [N, 1].

    ``path_or_buffer``: a path, a file-like object (text or bytes) or bytes. ``task``: 'classification'
    (the default: the UCR archive is a classification archive), 'regression' (y [N, 1] float32) or None
    (inferred as for CSV: text or at most MAX_INFERRED_CLASSES distinct whole numbers -> classification).
    Class labels are encoded as in load_csv: whole numbers that include 0 (and none below) are the codes
    themselves; other whole numbers and text are numbered in sorted order, ``class_names`` keeping them
    (UCR's labels 1, 2 -> codes 0, 1, names "1", "2"). ``delimiter``: '\\t' (UCR 2018); ',' reads the
    older comma-separated files. The feature is named "dim_0", sequences "0".."N-1" in file order.
    All-zero real steps give a DataWarning (pass seq_len=dataset.lengths to the layers).
    """
    name = _source_name(path_or_buffer, "uploaded.tsv")
    if task not in _TASKS:
        raise DataError(f"task must be one of {_TASKS} for a .tsv file; received {task!r}.")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise DataError(f"delimiter must be one character, such as '\\t' or ','; received {delimiter!r}.")
    series, labels, numbers = [], [], []
    for index, raw in enumerate(_read_text(path_or_buffer, name).splitlines()):
        line = raw.rstrip()
        if not line.strip():
            continue
        at = f"{name}: line {index + 1}"
        if len(series) == MAX_SEQUENCES:
            raise DataError(f"{at}: more than {MAX_SEQUENCES} series is too many; at most MAX_SEQUENCES={MAX_SEQUENCES}.")
        fields = [f.strip() for f in line.split(delimiter)]
        if len(fields) < 2:
            hint = " The line has commas: pass delimiter=','." if "," in line and delimiter != "," else ""
            raise DataError(
                f"{at}: 1 field; expected the label, then the values, separated by {delimiter!r}.{hint}"
            )
        series.append(_series(fields[1:], at))
        labels.append(fields[0])
        numbers.append(index + 1)
    if not series:
        raise DataError(f"{name}: the file is empty; expected one series per line (label, then values).")
    x, lengths, messages = _padded_series([values[:, None] for values in series], numbers, name)
    task, y, n_classes, class_names = _labels(labels, numbers, task, name)
    _emit(messages, name)
    return SequenceDataset(
        name=name,
        x=x,
        y=y,
        lengths=lengths,
        task=task,
        n_classes=n_classes,
        feature_names=("dim_0",),
        warnings=tuple(messages),
        class_names=class_names,
    )


def _series(parts: list[str], at: str) -> np.ndarray:
    """A line's value fields -> [T] float32 without its NaN / empty tail; DataError naming a bad field."""
    parts = [p if p else "nan" for p in parts]
    values, bad = _floats(parts)
    if bad >= 0:
        raise DataError(f"{at}, field {bad + 2} (step {bad}): value {_show_text(parts[bad])} is not a number.")
    real = np.flatnonzero(~np.isnan(values))
    if not real.size:
        raise DataError(f"{at}: no values (every value is NaN or empty); expected the label, then the series.")
    length = int(real[-1]) + 1
    gap = np.flatnonzero(np.isnan(values[:length]))
    if gap.size:
        s = int(gap[0])
        raise DataError(
            f"{at}, field {s + 2} (step {s}): missing value {_show_text(parts[s])} before the end of the series; only "
            "a NaN tail (UCR's padding of shorter series) is padding. Fill the gaps (e.g. interpolate) first."
        )
    if length > MAX_TIME_STEPS:
        raise DataError(f"{at}: {length} steps is too long; at most MAX_TIME_STEPS={MAX_TIME_STEPS}.")
    values = values[:length]
    with np.errstate(over="ignore"):
        wrong = np.flatnonzero(~np.isfinite(values.astype(np.float32)))
    if wrong.size:
        s = int(wrong[0])
        what = "infinite" if np.isinf(values[s]) else "too large for float32 (max ~3.4e38)"
        raise DataError(f"{at}, field {s + 2} (step {s}): value {_show_text(parts[s])} is {what}; values must be finite.")
    return values.astype(np.float32)


def _labels(labels: list[str], numbers: list[int], task, name: str):
    """[N] label texts -> (task, y, n_classes, class_names)."""
    values, bad = _floats(labels)
    where = lambda i: f"{name}: line {numbers[i[0]]}, field 1 (the label)"  # noqa: E731
    missing = [i for i, v in enumerate(labels) if not v or (bad < 0 and np.isnan(values[i]))]
    if missing:
        raise DataError(f"{where((missing[0],))}: missing label {_show_text(labels[missing[0]])}; every series needs one.")
    numeric = bad < 0
    if numeric:
        infinite = np.flatnonzero(~np.isfinite(values))
        if infinite.size:
            raise DataError(f"{where((int(infinite[0]),))}: label {_show_text(labels[infinite[0]])} is infinite.")
    if task is None:
        task = "classification" if not numeric or _is_class_like(values) else "regression"
    if task == "regression":
        if not numeric:
            raise DataError(
                f"{where((bad,))}: label {_show_text(labels[bad])} is not a number; task='regression' needs numeric labels."
            )
        with np.errstate(over="ignore"):
            y = values.astype(np.float32)[:, None]
        if not np.isfinite(y).all():
            i = int(np.flatnonzero(~np.isfinite(y[:, 0]))[0])
            raise DataError(f"{where((i,))}: label {_show_text(labels[i])} is too large for float32 (max ~3.4e38).")
        return task, y, None, ()
    if numeric:
        fraction = np.flatnonzero(np.mod(values, 1) != 0)
        if fraction.size:
            i = int(fraction[0])
            raise DataError(
                f"{where((i,))}: label {_show_text(labels[i])} is not a whole number; class labels must be whole "
                "numbers or text. For numbers to predict, pass task='regression'."
            )
        codes, n_classes, class_names = _encode_classes(values, None, f"{name}: labels", where)
    else:
        codes, n_classes, class_names = _encode_classes(np.array(labels, dtype=str), None, f"{name}: labels", where)
    return task, codes, n_classes, class_names


