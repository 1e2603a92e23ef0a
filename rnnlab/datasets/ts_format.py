"""Your own data in the sktime / UEA ``.ts`` text format (one case per line) -> SequenceDataset x [N, T, D].

The format, as timeseriesclassification.com and sktime / aeon write it::

    # comment lines start with '#'
    @problemName BasicMotions
    @timeStamps false
    @missing false
    @univariate false                  (true: one channel per case)
    @dimensions 6                      (or @dimension: channels per case)
    @equalLength true
    @seriesLength 100                  (steps per case)
    @classLabel true Standing Running Walking Badminton    (or @classLabel false with @targetLabel true)
    @data
    0.1,0.2,...,0.3:1.5,1.4,...,1.2:...:Standing          one case per line: channels separated by ':',
                                                           values by ',', the label last

Tags are case-insensitive, each at most once, and @data ends the header. Cases of unequal length are
zero-padded at the end (``lengths`` keeps the true ones). Class labels become codes in the order
@classLabel lists them (``class_names`` keeps the names); @targetLabel true gives regression, y [N, 1].
Every problem is a DataError naming the line (1-based) and the field (the tag, channel c, step t or the
label; channels and steps count from 0 as in x[n, t, d]): missing values ('?', NaN) and infinities, a
malformed or incomplete header, channels of one case with different lengths ("ragged"), a label that
@classLabel does not list, and timestamped values (@timeStamps true), which are not supported.
"""

from __future__ import annotations

import numpy as np

from rnnlab.datasets.checks import _emit, _floats, _padded_series, _read_text, _show_text, _source_name
from rnnlab.datasets.dataset import (
    MAX_CLASSES,
    MAX_FEATURES,
    MAX_SEQUENCES,
    MAX_TIME_STEPS,
    MAX_VALUES,
    DataError,
    SequenceDataset,
)

# lower-case tag -> how messages spell it (@dimension is @dimensions under another name)
_TAGS = {
    "problemname": "@problemName", "timestamps": "@timeStamps", "missing": "@missing",
    "univariate": "@univariate", "dimensions": "@dimensions", "equallength": "@equalLength",
    "serieslength": "@seriesLength", "classlabel": "@classLabel", "targetlabel": "@targetLabel", "data": "@data",
}
_ALIASES = {"dimension": "dimensions"}
_BOOLEANS = ("timestamps", "missing", "univariate", "equallength", "targetlabel")
_COUNTS = ("dimensions", "serieslength")


def load_ts(path_or_buffer) -> SequenceDataset:
    """UEA / sktime .ts file -> SequenceDataset x [N, T, D] float32 zero-padded, lengths [N], y [N] or [N, 1].

    ``path_or_buffer``: a path, a file-like object (text or bytes) or bytes. The header decides the task:
    ``@classLabel true <names>`` -> classification, y [N] int64 codes in the order the names are listed
    (``class_names`` = those names, ``n_classes`` = how many are listed); ``@targetLabel true`` ->
    regression, y [N, 1] float32. Channels become the D features ("dim_0", ...); sequences are numbered
    "0".."N-1" in file order. All-zero real steps give a DataWarning (TFLearn's dynamic mode undercounts
    those sequences; pass seq_len=dataset.lengths). See the module docstring for the format and the errors.
    """
    name = _source_name(path_or_buffer, "uploaded.ts")
    lines = _read_text(path_or_buffer, name).splitlines()
    header, start = _parse_header(lines, name)
    cases, labels, case_lines = _parse_cases(lines, start, header, name)
    x, lengths, messages = _padded_series(cases, case_lines, name)
    if header.classes is not None:
        y, n_classes, task = np.array(labels, np.int64), len(header.classes), "classification"
    else:
        y, n_classes, task = np.array(labels, np.float32)[:, None], None, "regression"
    _emit(messages, name)
    return SequenceDataset(
        name=name,
        x=x,
        y=y,
        lengths=lengths,
        task=task,
        n_classes=n_classes,
        feature_names=tuple(f"dim_{c}" for c in range(x.shape[2])),
        warnings=tuple(messages),
        class_names=header.classes or (),
    )


# ----------------------------------------------------------------------------------------------- header


class _Header:
    """The tags read before @data: values[tag] and lines[tag] (1-based), tags as lower-case keys."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self.lines: dict[str, int] = {}

    def at(self, tag: str) -> str:
        """'@classLabel (line 7)'."""
        return f"{_TAGS[tag]} (line {self.lines[tag]})"

    @property
    def classes(self) -> tuple[str, ...] | None:
        """The class names of @classLabel true, else None."""
        return self.values.get("classlabel") or None


def _parse_header(lines: list[str], name: str) -> tuple[_Header, int]:
    """Text lines -> (the header, index of the first line after @data); DataError for a malformed header."""
    header = _Header()
    for index, raw in enumerate(lines):
        number, line = index + 1, raw.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith("@"):
            raise DataError(
                f"{name}: line {number}: {_show_text(line)} comes before @data; expected header lines '@tag value' "
                "(such as '@classLabel true a b') ended by a line '@data', then one case per line."
            )
        words = line[1:].split()
        tag = words[0].lower() if words else ""
        tag = _ALIASES.get(tag, tag)
        if tag not in _TAGS:
            raise DataError(
                f"{name}: line {number}: unknown header tag {_show_text(line.split()[0])}; expected one of "
                f"{', '.join(_TAGS.values())}."
            )
        if tag in header.lines:
            raise DataError(
                f"{name}: line {number}: {_TAGS[tag]} appears twice (lines {header.lines[tag]} and {number}); "
                "each header tag may appear once."
            )
        header.lines[tag] = number
        if tag == "data":
            if len(words) > 1:
                raise DataError(
                    f"{name}: line {number}, @data: expected nothing after @data (the cases start on the next "
                    f"line); received {_show_text(' '.join(words[1:]))}."
                )
            _check_header(header, name)
            return header, index + 1
        header.values[tag] = _tag_value(tag, words[1:], f"{name}: line {number}, {_TAGS[tag]}")
    raise DataError(f"{name}: no @data line; the header must end with a line '@data', then one case per line.")


def _tag_value(tag: str, words: list[str], where: str):
    """One tag's words -> its value: text, bool, a positive count, or (for @classLabel) the class names."""
    if tag == "problemname":
        if not words:
            raise DataError(f"{where}: expected a name after the tag; received nothing.")
        return " ".join(words)
    flag = words[0].lower() if words else ""
    if tag in _BOOLEANS or tag == "classlabel":
        if flag not in ("true", "false"):
            raise DataError(f"{where}: expected true or false; received {_show_text(' '.join(words)) if words else 'nothing'}.")
        if tag != "classlabel":
            if len(words) > 1:
                raise DataError(f"{where}: expected only true or false; received {_show_text(' '.join(words))}.")
            return flag == "true"
        names = tuple(words[1:])
        if flag == "false":
            if names:
                raise DataError(f"{where}: 'false' takes no class names; received {_show_text(' '.join(names))}.")
            return ()
        if not names:
            raise DataError(f"{where}: 'true' must be followed by the class names, e.g. '@classLabel true a b c'.")
        repeated = [c for c in dict.fromkeys(names) if names.count(c) > 1]
        if repeated:
            raise DataError(f"{where}: class name {_show_text(repeated[0])} is listed twice; each class once.")
        if len(names) > MAX_CLASSES:
            raise DataError(f"{where}: {len(names)} classes is too many; at most MAX_CLASSES={MAX_CLASSES}.")
        return names
    if len(words) != 1 or not words[0].isdigit() or int(words[0]) < 1:
        received = _show_text(" ".join(words)) if words else "nothing"
        raise DataError(f"{where}: expected one whole number of at least 1; received {received}.")
    return int(words[0])


def _check_header(header: _Header, name: str) -> None:
    """Tags that contradict each other or that load_ts cannot honour -> DataError naming them and their lines."""
    values = header.values
    if values.get("timestamps"):
        raise DataError(
            f"{name}: {header.at('timestamps')} is true: timestamped values '(time,value)' are not supported; "
            "write the values alone, in time order (with @timeStamps false)."
        )
    if header.classes and values.get("targetlabel"):
        raise DataError(
            f"{name}: both {header.at('classlabel')} and {header.at('targetlabel')} are true; a file holds "
            "either class labels or regression targets."
        )
    if not header.classes and not values.get("targetlabel"):
        where = ", ".join(header.at(t) for t in ("classlabel", "targetlabel") if t in header.lines) or "the header"
        raise DataError(
            f"{name}: no labels declared ({where}): expected '@classLabel true <class names>' for "
            "classification or '@targetLabel true' for regression; each case's label comes last on its line."
        )
    if values.get("univariate") and values.get("dimensions", 1) != 1:
        raise DataError(
            f"{name}: {header.at('univariate')} is true but {header.at('dimensions')} is "
            f"{values['dimensions']}; a univariate file has 1 channel."
        )
    if values.get("dimensions", 1) > MAX_FEATURES:
        raise DataError(
            f"{name}: {header.at('dimensions')} = {values['dimensions']} channels is too many; at most "
            f"MAX_FEATURES={MAX_FEATURES}."
        )


# ------------------------------------------------------------------------------------------------ cases


def _parse_cases(lines: list[str], start: int, header: _Header, name: str):
    """Lines after @data -> (cases [T_i, D] float32, labels (codes or floats), their 1-based line numbers)."""
    classes = {c: i for i, c in enumerate(header.classes or ())}
    channels_expected = header.values.get("dimensions", 1 if header.values.get("univariate") else None)
    where_d = header.at("dimensions") if "dimensions" in header.lines else (
        header.at("univariate") if header.values.get("univariate") else None)
    equal = header.values.get("equallength")
    series_length = header.values.get("serieslength") if equal else None
    cases, labels, case_lines, total = [], [], [], 0
    for index in range(start, len(lines)):
        number, line = index + 1, lines[index].strip()
        if not line or line.startswith("#"):
            continue
        at = f"{name}: line {number}"
        if line.startswith("@"):
            raise DataError(f"{at}: header tag {_show_text(line.split()[0])} after @data (line {header.lines['data']}); "
                            "every tag belongs before @data.")
        if len(cases) == MAX_SEQUENCES:
            raise DataError(f"{at}: more than {MAX_SEQUENCES} cases is too many; at most MAX_SEQUENCES={MAX_SEQUENCES}.")
        *fields, label = line.split(":")
        if not fields:
            raise DataError(
                f"{at}: no ':' before the label, so no channels; expected 'values:values:...:label' "
                f"(channels separated by ':', values by ',', the label last); received {_show_text(line)}."
            )
        if channels_expected is None:
            channels_expected, where_d = len(fields), f"line {number}"
        if len(fields) != channels_expected:
            raise DataError(
                f"{at}: {len(fields)} channel(s) before the label; expected {channels_expected} (as {where_d}). "
                "Channels are separated by ':' and the label comes last."
            )
        case = _case_values(fields, at)
        if series_length is not None and len(case) != series_length:
            raise DataError(
                f"{at}: {len(case)} steps; {header.at('equallength')} is true and {header.at('serieslength')} "
                f"says {series_length}."
            )
        if equal and cases and len(case) != len(cases[0]):
            raise DataError(
                f"{at}: {len(case)} steps, but line {case_lines[0]} has {len(cases[0])} and "
                f"{header.at('equallength')} is true; set it false for cases of different lengths."
            )
        total += case.size
        if total > MAX_VALUES:
            raise DataError(f"{at}: more than MAX_VALUES={MAX_VALUES} values up to this line; at most {MAX_VALUES}.")
        labels.append(_label(label.strip(), classes, header, at))
        cases.append(case)
        case_lines.append(number)
    if not cases:
        raise DataError(f"{name}: no cases after @data (line {header.lines['data']}); expected one case per line.")
    return cases, labels, case_lines


def _case_values(fields: list[str], at: str) -> np.ndarray:
    """A case's channel fields -> [T, D] float32; DataError naming the channel and step of a bad value."""
    channels = []
    for c, field in enumerate(fields):
        parts = field.split(",")
        if len(parts) > MAX_TIME_STEPS:
            raise DataError(
                f"{at}, channel {c}: {len(parts)} steps is too long; at most MAX_TIME_STEPS={MAX_TIME_STEPS}."
            )
        values, bad = _floats(parts)
        if bad >= 0:
            part = parts[bad].strip()
            if part == "?":
                raise DataError(f"{at}, channel {c}, step {bad}: missing value '?'; {_FILL}")
            if part == "":
                raise DataError(
                    f"{at}, channel {c}, step {bad}: empty value (two ',' or ':' in a row, or a ',' at the end); "
                    f"{_FILL}"
                )
            raise DataError(f"{at}, channel {c}, step {bad}: value {_show_text(part)} is not a number.")
        with np.errstate(over="ignore"):
            wrong = np.flatnonzero(~np.isfinite(values.astype(np.float32)))
        if wrong.size:
            s = int(wrong[0])
            if np.isnan(values[s]):
                raise DataError(f"{at}, channel {c}, step {s}: missing value {_show_text(parts[s].strip())}; {_FILL}")
            what = "infinite" if np.isinf(values[s]) else "too large for float32 (max ~3.4e38)"
            raise DataError(f"{at}, channel {c}, step {s}: value {_show_text(parts[s].strip())} is {what}; "
                            "every value must be a finite number.")
        if channels and len(values) != len(channels[0]):
            raise DataError(
                f"{at}, channel {c}: {len(values)} values but channel 0 has {len(channels[0])} (ragged channels); "
                "every channel of a case needs one value per step."
            )
        channels.append(values)
    return np.stack(channels, axis=1).astype(np.float32)  # [T, D]


_FILL = "every value must be a number: fill the gaps (e.g. interpolate) or drop the case before loading."


def _label(label: str, classes: dict[str, int], header: _Header, at: str):
    """A case's label text -> its class code (classification) or its target (regression)."""
    if classes:
        if label not in classes:
            listed = list(classes)
            shown = listed if len(listed) <= 20 else [*listed[:20], "..."]
            raise DataError(
                f"{at}, the label: {_show_text(label)} is not one of the classes {header.at('classlabel')} lists: "
                f"{shown}."
            )
        return classes[label]
    value, bad = _floats([label])
    with np.errstate(over="ignore"):
        finite = bool(np.isfinite(value.astype(np.float32))[0])
    if bad >= 0 or not finite:
        raise DataError(
            f"{at}, the label: {_show_text(label)} is not a finite float32 number; {header.at('targetlabel')} is true, so each "
            "case ends with a numeric target."
        )
    return float(value[0])


