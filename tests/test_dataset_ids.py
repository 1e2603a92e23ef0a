"""Sequence ids follow their rows: SequenceDataset.subset (indices, negative indices, a bool mask, a reordering),
the random split of one file (split_dataset) and the inspection pages' class-by-class probe pool (probe_samples),
so "sample b" of any of them can be found in the user's CSV by its id.

Truth: a CSV whose every value names its own sequence (feature a = the id's number), read back through load_csv.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

from rnnlab.datasets import load_csv
from rnnlab.datasets.dataset import probe_samples
from rnnlab.experiments import ExperimentSpec, LayerSpec, split_dataset

N = 30


def number(i: int) -> int:
    return (i * 37) % 101  # ids out of order, so an index can never pass for an id


def csv_text() -> str:
    """N sequences 's<number>', 3..6 steps; a = the id's number (+ t / 100), label i % 3 (classes in turn)."""
    lines = ["sequence_id,t,a,label"]
    for i in range(N):
        for t in range(3 + i % 4):
            lines.append(f"s{number(i):03d},{t},{number(i) + t / 100:.2f},{i % 3}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def data():
    buffer = io.StringIO(csv_text())
    buffer.name = "ids.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_csv(buffer)


def assert_ids_follow_rows(part) -> None:
    """Every sequence's id is the one its values name (a = the id's number at t = 0) and its length the CSV's."""
    assert len(part.sequence_ids) == part.n_samples
    for b, name in enumerate(part.sequence_ids):
        i = next(i for i in range(N) if f"s{number(i):03d}" == name)
        assert round(float(part.x[b, 0, 0])) == number(i), (b, name)
        assert int(part.lengths[b]) == 3 + i % 4, (b, name)
        assert int(part.y[b]) == i % 3, (b, name)


def test_the_csv_ids_are_the_file_order(data):
    assert data.sequence_ids == tuple(f"s{number(i):03d}" for i in range(N))
    assert_ids_follow_rows(data)


@pytest.mark.parametrize("indices", [
    [5, 0, 17, 3],  # reordered
    [-1, -N, 2],  # negative
    np.arange(N) % 4 == 1,  # a bool mask
    np.array([], np.int64),  # none
])
def test_subset_keeps_ids_aligned_with_the_rows(data, indices):
    part = data.subset(indices)
    expected = np.asarray(data.sequence_ids, dtype=object)[np.asarray(indices)]
    assert part.sequence_ids == tuple(expected)
    assert_ids_follow_rows(part)


def test_a_random_split_keeps_each_sequences_id(data):
    spec = ExperimentSpec(dataset="upload:ids.csv", layers=(LayerSpec("lstm", 2),), validation_split=0.3, seed=3)
    train, test = split_dataset(data, spec)
    assert sorted(train.sequence_ids + test.sequence_ids) == sorted(data.sequence_ids)
    assert test.sequence_ids != data.sequence_ids[: test.n_samples]  # a real shuffle, not the first rows
    assert_ids_follow_rows(train)
    assert_ids_follow_rows(test)


def test_the_class_by_class_probe_pool_keeps_each_sequences_id(data):
    spec = ExperimentSpec(dataset="upload:ids.csv", layers=(LayerSpec("lstm", 2),), validation_split=0.5, seed=1)
    train, test = split_dataset(data, spec)
    source, index = probe_samples(train, test, 12)
    pool = source.subset(index)
    assert source is test and list(index) != sorted(index)  # the classes in turn reorder the test set
    assert pool.sequence_ids == tuple(test.sequence_ids[i] for i in index)
    assert_ids_follow_rows(pool)
