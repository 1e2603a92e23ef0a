"""Calls into rnnlab that the pages share: data loading and the computations behind the Padding lab and the
Gradients page. Read-only, deterministic results are cached with st.cache_data (shared by sessions, which is
safe: they depend only on their arguments); anything holding a session's model goes through state.memo.

Shapes as in rnnlab: batch, time, units (B, T, n); inputs [B, T, D].
"""

from __future__ import annotations

import hashlib

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


@st.cache_data(show_spinner=False, max_entries=16)
def parse_upload(data: bytes, file_name: str, csv_options: tuple = ()):
    """Uploaded bytes -> SequenceDataset, validated by rnnlab.datasets (DataError explains bad files).

    csv_options: ((argument, value), ...) for load_csv (id_column, time_column, label_column, task).
    """
    import io

    buffer = io.BytesIO(data)
    buffer.name = file_name
    lower = file_name.lower()
    if lower.endswith(".npz"):
        options = dict(csv_options)
        return datasets.load_npz(buffer, task=options.get("task"))
    if lower.endswith(".csv"):
        return datasets.load_csv(buffer, **dict(csv_options))
    raise datasets.DataError(f"{file_name}: expected a .csv or .npz file; received a file named {file_name!r}.")


def preview_lengths(x: np.ndarray, lengths: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """[B, T, D] (+ true lengths [B]) -> the readings of the length that padding_grid marks."""
    from rnnlab import padding

    readings = {}
    if lengths is not None:
        readings["true"] = np.asarray(lengths)
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
