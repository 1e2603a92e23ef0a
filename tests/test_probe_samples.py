"""rnnlab.datasets.dataset.probe_samples: which held-out sequences the app's pages probe and its training
snapshots record. Classification takes the classes in turn (first of each class in order of first appearance,
then the second of each, ...), so every class is in the pool; other tasks take the first n in file order.

Truth: hand-built label vectors whose round-robin order is written out by hand.
"""

import numpy as np
import pytest

from rnnlab.datasets.dataset import SequenceDataset, probe_samples


def labelled(y, name="t", task="classification", n_classes=None) -> SequenceDataset:
    y = np.asarray(y)
    n = len(y)
    return SequenceDataset(name, np.ones((n, 3, 1)), y, np.full(n, 3), task, n_classes=n_classes)


def numbers(n, name="r") -> SequenceDataset:
    return SequenceDataset(name, np.ones((n, 3, 1)), np.arange(n, dtype=float), np.full(n, 3), "regression")


def test_fewer_classes_than_n_takes_them_in_turn_in_order_of_first_appearance():
    test = labelled([2, 2, 0, 0, 0, 1, 2, 0])  # class 2 first, then 0, then 1
    source, index = probe_samples(labelled([0, 1]), test, 48)
    assert source is test
    # turn 0: 2@0, 0@2, 1@5; turn 1: 2@1, 0@3; turn 2: 2@6, 0@4; turn 3: 0@7
    assert index.tolist() == [0, 2, 5, 1, 3, 6, 4, 7]
    assert index.dtype == np.int64
    assert probe_samples(labelled([0, 1]), test, 3)[1].tolist() == [0, 2, 5]  # one of each class
    assert probe_samples(labelled([0, 1]), test, 0)[1].tolist() == []


def test_a_test_file_sorted_by_class_gives_every_class_and_balanced_counts():
    y = np.repeat(np.arange(9), [31, 35, 88, 44, 29, 24, 40, 50, 29])  # the Japanese Vowels test file's shape
    _, index = probe_samples(labelled([0]), labelled(y), 48)
    assert len(index) == 48 and len(set(index.tolist())) == 48
    assert np.bincount(y[index]).tolist() == [6, 6, 6, 5, 5, 5, 5, 5, 5]
    assert sorted(set(y[index[:9]].tolist())) == list(range(9))  # the first 9 are one of each speaker
    assert index[0] == 0  # sample 0 is the file's first sequence


def test_more_classes_than_n_takes_the_first_sequence_of_the_first_n_classes():
    y = np.repeat(np.arange(60)[::-1], 2)  # 60 classes, listed from 59 down, two sequences each
    _, index = probe_samples(labelled([0]), labelled(y, n_classes=60), 48)
    assert index.tolist() == list(range(0, 96, 2))  # each class's first sequence, in file order
    assert y[index].tolist() == list(range(59, 11, -1))


def test_a_class_with_one_sequence_drops_out_after_its_turn():
    y = [0, 0, 0, 1, 2, 2]  # class 1 has one sequence
    _, index = probe_samples(labelled([0]), labelled(y), 48)
    assert index.tolist() == [0, 3, 4, 1, 5, 2]
    assert probe_samples(labelled([0]), labelled(y), 4)[1].tolist() == [0, 3, 4, 1]


def test_a_class_code_without_sequences_is_skipped():
    y = [3, 0, 3, 0]  # n_classes 5: classes 1, 2 and 4 have no sequence here
    _, index = probe_samples(labelled([0]), labelled(y, n_classes=5), 48)
    assert index.tolist() == [0, 1, 2, 3]


def test_no_test_data_takes_the_training_data():
    train = labelled([1, 1, 1, 0, 0])
    for test in (None, labelled(np.zeros(0, np.int64))):
        source, index = probe_samples(train, test, 48)
        assert source is train
        assert index.tolist() == [0, 3, 1, 4, 2]
    source, index = probe_samples(numbers(50), None, 48)
    assert index.tolist() == list(range(48))


@pytest.mark.parametrize("n_test, expected", [(100, list(range(48))), (20, list(range(20)))])
def test_regression_and_sequence_labelling_keep_the_first_n_in_file_order(n_test, expected):
    test = numbers(n_test)
    source, index = probe_samples(numbers(5), test, 48)
    assert source is test and index.tolist() == expected
    tagged = SequenceDataset("s", np.ones((n_test, 3, 1)), np.zeros((n_test, 3), np.int64), np.full(n_test, 3),
                             "sequence_labelling", n_classes=2)
    assert probe_samples(numbers(5), tagged, 48)[1].tolist() == expected  # class codes per step: still file order
