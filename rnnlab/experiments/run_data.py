"""The data a run trained on, kept in its folder as ``data.npz`` when the spec cannot name it (your own upload).

A run of a shipped or generated set reloads its data from the spec; a run of uploaded data could not, so the
run store keeps the (train, test) pair itself:

    write_run_data((train, test), "runs/<id>/data.npz")   # RunDataTooLarge beyond MAX_RUN_DATA_BYTES
    train, test = read_run_data("runs/<id>/data.npz")      # the same arrays, names and split

The file is an ordinary rnnlab NPZ (``SequenceDataset.save_npz``: x, y, lengths, task, n_classes, names) of
train then test, with the ``split`` array ``load_npz`` knows (0 train, 1 test), so it can be uploaded again as
it is. Extra keys restore what one file cannot say: each part's name, warnings and own number of steps (the
shorter part is zero-padded to the longer one's T in the file). Read back without ``load_npz``'s inference: the
arrays are taken as written (never unpickled, every member's declared size checked before it is read).

A model the user brought from their own files (not trained here) is stored with where it came from, so it reopens
as what it is: ``ImportedOrigin`` (file, keras / tflearn, load report, its layers), meta.json's "imported" object.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from rnnlab.datasets.dataset import (
    MAX_CLASSES,
    MAX_FEATURES,
    MAX_SEQUENCES,
    MAX_VALUES,
    DataError,
    SequenceDataset,
)
from rnnlab.datasets.npz_reader import NpzArchive
from rnnlab.errors import RnnlabError

#: The largest data.npz a run keeps: the app's upload limit (server.maxUploadSize, 50 MB), so any data a user
#: could upload there fits; RunStore.save(..., data=) refuses more with RunDataTooLarge.
MAX_RUN_DATA_BYTES = 50 * 1024 * 1024
_PARTS = ("train", "test")
_TEXT_BYTES = 64 << 20
# key -> (at most this many values) before a member is read
_LIMITS = {
    "x": MAX_VALUES, "y": MAX_VALUES, "lengths": MAX_SEQUENCES, "split": MAX_SEQUENCES,
    "sequence_ids": MAX_SEQUENCES, "feature_names": MAX_FEATURES, "class_names": MAX_CLASSES,
    "task": 1, "n_classes": 1, "part_names": 2, "part_time_steps": 2,
    "warnings_train": 1000, "warnings_test": 1000,
}


class RunDataTooLarge(RnnlabError):
    """The data of a run would make a data.npz larger than the limit (MAX_RUN_DATA_BYTES)."""


#: What an imported model can have been read from: a .keras file, or TFLearn checkpoint files.
IMPORT_KINDS = ("keras", "tflearn")


@dataclass(frozen=True)
class ImportedOrigin:
    """A stored model that was not trained here but read from the user's files: ``source`` the file name(s),
    ``kind`` 'keras' (a .keras file) or 'tflearn' (checkpoint files applied to the spec's stack), ``load_report``
    what loaded (TFLearn checkpoints; '' otherwise), ``layers`` the model's own layers as one line
    ('lstm(4) > dense(1)'; '' = the spec's), ``agreement`` ('success' | 'warning', the sentence) whether the
    converted model predicted as the file's own Keras model on the run's data (empty: not measured), and
    ``keras_metrics`` that model's own test numbers where they differed. Stored as meta.json's "imported" object."""

    source: str
    kind: str = "keras"
    load_report: str = ""
    layers: str = ""
    agreement: tuple = ()
    keras_metrics: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.source, str) or not self.source.strip():
            raise RnnlabError(f"`source` must name the file the model came from; received {self.source!r}.")
        if self.kind not in IMPORT_KINDS:
            raise RnnlabError(f"`kind` must be one of {list(IMPORT_KINDS)}; received {self.kind!r}.")

    def to_meta(self) -> dict:
        return {"source": self.source, "kind": self.kind, "load_report": self.load_report, "layers": self.layers,
                "agreement": list(self.agreement), "keras_metrics": dict(self.keras_metrics)}

    @classmethod
    def from_meta(cls, value) -> ImportedOrigin | None:
        """meta.json's "imported" object -> ImportedOrigin; None when absent (a training) or not such an object."""
        if not isinstance(value, dict) or not isinstance(value.get("source"), str):
            return None
        text = {k: str(value.get(k) or "") for k in ("load_report", "layers")}
        kind = value.get("kind") if value.get("kind") in IMPORT_KINDS else "keras"
        agreement = value.get("agreement") or ()
        agreement = tuple(str(v) for v in agreement) if isinstance(agreement, list) and len(agreement) == 2 else ()
        metrics = value.get("keras_metrics") or {}
        metrics = {str(k): float(v) for k, v in metrics.items() if isinstance(v, (int, float))} \
            if isinstance(metrics, dict) else {}
        try:
            return cls(source=value["source"], kind=kind, agreement=agreement, keras_metrics=metrics, **text)
        except RnnlabError:
            return None


def data_pair(data) -> tuple[SequenceDataset, SequenceDataset | None]:
    """(train, test) pair, (train, None) or one SequenceDataset -> (train, test or None); TypeError otherwise."""
    if isinstance(data, SequenceDataset):
        return data, None
    if isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[0], SequenceDataset) and (
            data[1] is None or isinstance(data[1], SequenceDataset)):
        return data[0], data[1]
    raise TypeError(
        f"`data` must be the (train, test) SequenceDatasets a run trained on, or one SequenceDataset; received "
        f"{type(data).__name__}."
    )


def write_run_data(data, path, max_bytes: int | None = None) -> int:
    """(train [N1, T1, D], test [N2, T2, D]) -> ``path`` (.npz) of N1 + N2 sequences; -> its size in bytes.

    Both parts must agree in task, features D, classes and target width (they come from one upload). A file
    over ``max_bytes`` (default MAX_RUN_DATA_BYTES) is removed again and RunDataTooLarge names its size and the limit.
    """
    max_bytes = MAX_RUN_DATA_BYTES if max_bytes is None else max_bytes
    train, test = data_pair(data)
    parts = [train] if test is None else [train, test]
    if test is not None:
        _check_parts_agree(train, test)
    steps = max(part.time_steps for part in parts)
    x = np.concatenate([_padded(part.x, steps) for part in parts])  # [N1 + N2, T, D]
    y = np.concatenate([_padded(part.y, steps) if part.task == "sequence_labelling" else part.y for part in parts])
    merged = SequenceDataset(
        name=train.name, x=x, y=y, lengths=np.concatenate([part.lengths for part in parts]), task=train.task,
        n_classes=train.n_classes, feature_names=train.feature_names, class_names=train.class_names,
        sequence_ids=tuple(s for part in parts for s in part.sequence_ids),
    )
    extra = {
        "part_names": np.array([part.name for part in parts], dtype=str),
        "part_time_steps": np.array([part.time_steps for part in parts], dtype=np.int64),
        **{f"warnings_{key}": np.array(part.warnings, dtype=str) for key, part in zip(_PARTS, parts)},
    }
    if test is not None:
        extra["split"] = np.repeat(np.array([0, 1], np.uint8), [train.n_samples, test.n_samples])
    merged.save_npz(path, **extra)
    size = os.path.getsize(path)
    if size > max_bytes:
        os.remove(path)
        raise RunDataTooLarge(
            f"the run's data ({train.name}: {sum(p.n_samples for p in parts)} sequences [.., {steps}, "
            f"{train.n_features}]) is {size / 2**20:.1f} MB as data.npz; a run keeps at most "
            f"{max_bytes / 2**20:.0f} MB of data. Use fewer or shorter sequences."
        )
    return size


def read_run_data(path) -> tuple[SequenceDataset, SequenceDataset | None]:
    """``path`` written by write_run_data -> (train [N1, T1, D], test [N2, T2, D] or None), as they were written.

    Raises DataError naming the file and the member when it is damaged or not such a file."""
    name = os.path.basename(str(path))
    with NpzArchive(path, name) as archive:
        missing = [key for key in ("x", "y", "lengths", "task", "part_names", "part_time_steps") if key not in archive.keys]
        if missing:
            raise DataError(f"{name}: no array(s) {missing}; this is not the data file of a run (write_run_data).")
        arrays = {}
        for key, limit in _LIMITS.items():
            if key not in archive.keys:
                continue
            header = archive.header(key)
            byte_limit = _TEXT_BYTES if header.dtype.kind in "US" else 8 * limit + 64
            if header.n_values > limit or header.data_bytes > byte_limit:
                raise DataError(f"{name}: array '{key}' declares {header.describe()}; at most {limit} values.")
            arrays[key] = archive.read(key)
    if arrays["x"].dtype.kind != "f" or not np.all(np.isfinite(arrays["x"])):
        raise DataError(f"{name}: x must hold finite float numbers; received dtype {arrays['x'].dtype}.")
    n_classes = int(arrays["n_classes"]) if "n_classes" in arrays and arrays["n_classes"].dtype.kind in "iu" else -1
    merged = SequenceDataset(
        name=name, x=arrays["x"], y=arrays["y"], lengths=arrays["lengths"], task=str(arrays["task"]),
        n_classes=None if n_classes < 0 else n_classes, feature_names=_texts(arrays, "feature_names"),
        class_names=_texts(arrays, "class_names"), sequence_ids=_texts(arrays, "sequence_ids"),
    )
    names, steps = _texts(arrays, "part_names"), arrays["part_time_steps"].reshape(-1)
    codes = arrays["split"].reshape(-1) if "split" in arrays else np.zeros(merged.n_samples, np.uint8)
    if len(names) != len(steps) or len(names) not in (1, 2) or codes.shape != (merged.n_samples,):
        raise DataError(f"{name}: part_names, part_time_steps and split do not describe one or two parts of "
                        f"{merged.n_samples} sequences.")
    parts = []
    for code, (key, part_name, t) in enumerate(zip(_PARTS, names, steps)):
        part = merged.subset(codes == code)
        t = int(t)
        if not 1 <= t <= merged.time_steps or (part.lengths > t).any():
            raise DataError(f"{name}: part_time_steps[{code}] = {t} does not fit the data (T={merged.time_steps}).")
        y = part.y[:, :t] if part.task == "sequence_labelling" else part.y
        parts.append(SequenceDataset(
            name=part_name, x=part.x[:, :t], y=y, lengths=part.lengths, task=part.task, n_classes=part.n_classes,
            feature_names=part.feature_names, warnings=_texts(arrays, f"warnings_{key}"),
            class_names=part.class_names, sequence_ids=part.sequence_ids,
        ))
    return parts[0], (parts[1] if len(parts) == 2 else None)


def _check_parts_agree(train: SequenceDataset, test: SequenceDataset) -> None:
    for what, a, b in (("task", train.task, test.task), ("features D", train.n_features, test.n_features),
                       ("feature_names", train.feature_names, test.feature_names),
                       ("n_classes", train.n_classes, test.n_classes), ("class_names", train.class_names, test.class_names),
                       ("target shape", train.y.shape[2:] if train.task != "regression" else train.y.shape[1:],
                        test.y.shape[2:] if test.task != "regression" else test.y.shape[1:])):
        if a != b:
            raise RnnlabError(f"`data`: train and test must agree in {what}; received {a!r} and {b!r}.")


def _padded(array: np.ndarray, steps: int) -> np.ndarray:
    """[N, T, ...] -> [N, steps, ...], zeros after T."""
    width = [(0, 0)] * array.ndim
    width[1] = (0, steps - array.shape[1])
    return np.pad(array, width)


def _texts(arrays: dict, key: str) -> tuple[str, ...]:
    return tuple(str(v) for v in arrays[key].reshape(-1)) if key in arrays else ()
