"""Your own data as a long CSV (one row per sequence id and time step): load_csv and its parsing helpers."""

from __future__ import annotations

import csv
import os
from typing import Sequence

import numpy as np
import pandas as pd

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
    MAX_FEATURES,
    MAX_SEQUENCES,
    MAX_TIME_STEPS,
    DataError,
    SequenceDataset,
)

MAX_ROWS = MAX_SEQUENCES * MAX_TIME_STEPS  # pandas stops reading one row after this
MAX_HEADER_BYTES = 1 << 20
MAX_COLUMNS = 2 * MAX_FEATURES + 2  # features, label columns (k regression targets), the id, the time step


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
    if len(frame) > MAX_ROWS:
        raise DataError(f"{name}: more than {MAX_ROWS} rows is too large; at most MAX_SEQUENCES * MAX_TIME_STEPS = {MAX_ROWS}.")

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


def _read_csv(source, name: str) -> pd.DataFrame:
    source = _open_source(source, name)
    _check_header_width(source, name)
    try:
        return pd.read_csv(source, nrows=MAX_ROWS + 1)  # one more: enough to say there are too many
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: the file is empty; expected a header row, then one row per (sequence, time step).") from None
    except pd.errors.ParserError as error:
        raise DataError(
            f"{name}: rows of different widths (ragged CSV): {str(error).strip()}. Every line must have as "
            "many fields as the header."
        ) from None
    except UnicodeDecodeError:
        raise DataError(f"{name}: not a text CSV file (could not decode it as UTF-8).") from None


def _check_header_width(source, name: str) -> None:
    """Counts the header row's fields from at most MAX_HEADER_BYTES, before pandas makes a column of each."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as stream:
            line = stream.readline(MAX_HEADER_BYTES + 1)
    elif hasattr(source, "seek") and (not hasattr(source, "seekable") or source.seekable()):
        line = source.readline(MAX_HEADER_BYTES + 1)
        source.seek(0)
    else:
        return  # a stream read once: pandas alone reads it
    if len(line) > MAX_HEADER_BYTES:
        raise DataError(
            f"{name}: the header row is longer than MAX_HEADER_BYTES={MAX_HEADER_BYTES}; expected one line of "
            "column names."
        )
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    fields = next(csv.reader([text]), [])
    if len(fields) > MAX_COLUMNS:
        raise DataError(
            f"{name}: the header row names {len(fields)} columns; at most {MAX_COLUMNS} (MAX_FEATURES="
            f"{MAX_FEATURES} features, as many label columns, the id and the time step)."
        )


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


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _label_values(series: pd.Series, what: str, where) -> np.ndarray:
    """Label column [rows] -> int64 (integer columns, exact), float64 (other numbers) or text; DataError on
    missing labels and on integers int64 cannot hold."""
    missing = np.flatnonzero(series.isna().to_numpy())
    if missing.size:
        row = int(missing[0])
        raise DataError(
            f"{what} is empty at {where(row)}; every row needs a label (repeat a sequence's label on each of its rows)."
        )
    if pd.api.types.is_integer_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy()  # int64 or uint64, kept exact (float64 would round above 2**53)
        if values.dtype.kind == "u" and (values > np.iinfo(np.int64).max).any():
            row = int(np.flatnonzero(values > np.iinfo(np.int64).max)[0])
            raise DataError(
                f"{what}, {where(row)}: value {int(values[row])} does not fit an int64 label exactly; "
                "labels must be whole numbers in -2**63..2**63-1 (or text)."
            )
        return values.astype(np.int64)
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
        what = f"{name}: label column '{label_columns[0]}'"
        codes, n_classes, class_names = _encode_classes(values, None, what, lambda i: f"{what}, {where(i[0])}")
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
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return _fmt(value) if isinstance(value, (float, np.floating)) else repr(value)
