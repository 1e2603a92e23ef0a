"""Calls into rnnlab that the pages share: data loading and the computations behind the Padding lab and the
Gradients page. Read-only, deterministic results are cached with st.cache_data (shared by sessions, which is
safe: they depend only on their arguments); anything holding a session's model goes through state.memo.

Shapes as in rnnlab: batch, time, units (B, T, n); inputs [B, T, D].
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import streamlit as st

from rnnlab import datasets

#: Inspection pages probe at most this many sequences (the first ones of the held-out data).
PROBE_SAMPLES = 48
#: Rows of the padding grid in the Build preview and the Padding lab.
PREVIEW_ROWS = 12
#: The Padding lab's embedding pitfall: (vocabulary size, embedding dim, rows, time steps).
EMBEDDING_DEMO = (20, 4, 6, 12)


# ------------------------------------------------------------------------------------------- data


@st.cache_data(show_spinner=False, max_entries=64)
def load_sample(name: str, split: str = "train", n_samples: int | None = None, seed: int = 0):
    """name -> SequenceDataset [N, T, D] from sample_data/ (cached; the same object for the same arguments)."""
    return datasets.load(name, split=split, n_samples=n_samples, seed=seed)


@st.cache_data(show_spinner=False)
def sample_info(name: str):
    """name -> DatasetInfo."""
    return datasets.info(name)


def digest(data: bytes) -> str:
    """bytes -> a short content id (cache keys for uploads)."""
    return hashlib.sha256(data).hexdigest()[:16]


#: The file types the Build page reads (by extension), and what each one is.
UPLOAD_TYPES = {
    "csv": "long CSV, one row per sequence and time step",
    "npz": "NumPy archive with x [N, T, D], y, optional lengths and split",
    "ts": "UEA / sktime time series",
    "tsv": "UCR archive, label then values",
}
#: A file name's stem that marks one half of a TRAIN / TEST pair: 'JapaneseVowels_TRAIN', 'test', 'walks-test'.
_PAIR_STEM = re.compile(r"^(?P<prefix>.*?)[_\-. ]?(?P<part>train|test)$", re.IGNORECASE)


def upload_type(file_name: str) -> str | None:
    """'walks.CSV' -> 'csv'; None for a type the app does not read."""
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    return suffix if suffix in UPLOAD_TYPES else None


def _unknown_type(file_name: str) -> str:
    kind = f"a .{file_name.rsplit('.', 1)[-1]} file" if "." in file_name else "a file without an extension"
    known = ", ".join(f".{t} ({what})" for t, what in UPLOAD_TYPES.items())
    return f"{file_name}: {kind} is not a data format the app reads; expected {known}."


def upload_problem(file_name: str, size: int, max_mb: int) -> str | None:
    """A sentence saying why an uploaded file cannot be read (unknown type, over the size limit), or None."""
    if upload_type(file_name) is None:
        return _unknown_type(file_name)
    if size > max_mb * 1024 * 1024:
        return (f"{file_name} is {size / 2**20:.1f} MB; the limit is {max_mb} MB. Use fewer sequences, or save it "
                "as a compressed NPZ.")
    return None


@st.cache_data(show_spinner=False, max_entries=16)
def parse_upload(data: bytes, file_name: str, options: tuple = ()):
    """Uploaded bytes -> (train, test) SequenceDatasets [N, T, D], validated by rnnlab.datasets (DataError explains
    bad files); test is None unless the file carries its own split (an NPZ's ``split`` array).

    options: ((argument, value), ...): for .csv load_csv's (id_column, time_column, label_column, task); for
    .npz and .tsv task (None: the loader's default); a .ts file's header says its task.
    """
    import io

    buffer = io.BytesIO(data)
    buffer.name = file_name
    options = dict(options)
    kind = upload_type(file_name)
    if kind == "npz":
        return datasets.load_npz_train_test(buffer, task=options.get("task"))
    if kind == "csv":
        return datasets.load_csv(buffer, **options), None
    if kind == "ts":
        return datasets.load_ts(buffer), None
    if kind == "tsv":
        task = options.get("task")
        return datasets.load_tsv(buffer, **({"task": task} if task else {})), None
    raise datasets.DataError(_unknown_type(file_name))


def combine_uploads(parsed: list) -> tuple:
    """[(file name, (data, test or None)), ...] -> (train, test or None, label): one file as it is (its own split
    when it has one), or a TRAIN / TEST pair of files (stems ending in train / test, the same start otherwise)
    made to agree by datasets.align_train_test. label names the file(s) for the spec ('a_TRAIN.ts+a_TEST.ts')."""
    if len(parsed) == 1:
        name, (data, test) = parsed[0]
        return data, test, name
    names = [name for name, _ in parsed]
    halves = {}
    for name, (data, test) in parsed:
        match = _PAIR_STEM.match(name.rsplit(".", 1)[0])
        if match is None or len(parsed) != 2:
            break
        if test is not None:
            raise datasets.DataError(f"{name}: this file has its own train / test split; upload it on its own.")
        halves[match["part"].lower()] = (match["prefix"].lower(), name, data)
    if set(halves) != {"train", "test"} or halves["train"][0] != halves["test"][0]:
        raise datasets.DataError(
            f"{', '.join(names)}: several files make one data set only as a TRAIN / TEST pair, two files whose "
            "names end in _TRAIN and _TEST and otherwise agree (e.g. JapaneseVowels_TRAIN.ts and "
            "JapaneseVowels_TEST.ts); otherwise upload one file."
        )
    train, test = datasets.align_train_test(halves["train"][2], halves["test"][2])
    return train, test, f"{halves['train'][1]}+{halves['test'][1]}"


def preview_lengths(x: np.ndarray, lengths: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """[B, T, D] (+ true lengths [B]) -> the readings that padding_grid marks: the true real steps as [B, 2]
    (start, stop) ranges (pre-padded rows hold them at the end: padding_lab.real_step_ranges), and the [B]
    lengths TFLearn's count and the "stop at first zero" reading give."""
    from rnnlab import padding
    from rnnlab.probes import padding_lab

    readings = {}
    if lengths is not None:
        readings["true real steps"] = padding_lab.real_step_ranges(x, np.asarray(lengths))
    readings["TFLearn (count of non-zero steps)"] = padding.tflearn_lengths_np(x)
    readings["stop at first zero"] = padding.first_zero_lengths_np(x)
    return readings


# ------------------------------------------------------------------------------------ padding lab
# The computations live in rnnlab.probes.padding_lab; the app caches them (they depend only on their arguments).

from rnnlab.probes import padding_lab  # noqa: E402

dynamic_vs_static = st.cache_data(show_spinner="Running the layer with dynamic on and off ...", max_entries=32)(
    padding_lab.dynamic_vs_static)
post_vs_pre = st.cache_data(show_spinner="Running post- and pre-padded copies ...", max_entries=16)(
    padding_lab.post_vs_pre)
bidirectional_last = st.cache_data(show_spinner="Running a bidirectional layer ...", max_entries=16)(
    padding_lab.bidirectional_last)
insert_zero_step = st.cache_data(show_spinner=False, max_entries=16)(padding_lab.insert_zero_step)
padded_ids = st.cache_data(show_spinner=False, max_entries=8)(padding_lab.padded_ids)
embedding_pitfall = st.cache_data(show_spinner="Embedding the ids and running a dynamic LSTM ...", max_entries=8)(
    padding_lab.embedding_pitfall)
rnnlab_lengths = padding_lab.rnnlab_lengths
