"""The training loop: progress callbacks, stopping, NaN stop, reproducibility, masking, snapshots, baseline."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from rnnlab.datasets import SequenceDataset
from rnnlab.experiments import ExperimentSpec, LayerSpec, load_data
from rnnlab.experiments import (
    HistoryRecorder,
    StopTraining,
    TrainingCallback,
    TrainingDiverged,
    baseline,
    train,
)

PARITY = ExperimentSpec(
    dataset="parity", dataset_options={"n_samples": 40, "n_test": 10},
    layers=(LayerSpec("gru", 6, return_seq=True),), batch_size=16, epochs=2, seed=3,
)
ADDING = ExperimentSpec(
    dataset="adding", dataset_options={"T": 10, "n_samples": 48, "n_test": 16},
    layers=(LayerSpec("lstm", 6, dropout=(0.9, 0.8)),), batch_size=16, epochs=2, seed=5,
)


def _numbers(history):
    return history.drop(columns="seconds").to_numpy()


def test_callbacks_receive_progress_as_plain_numbers():
    recorder = HistoryRecorder()
    result = train(PARITY, callbacks=[recorder])
    n_batches = 3  # ceil(40 / 16)
    assert recorder.begin == {"epochs": 2, "n_batches": n_batches, "n_train": 40, "n_test": 10,
                              "task": "sequence_labelling", "metric": "accuracy"}
    assert [(b["epoch"], b["batch"]) for b in recorder.batches] == [(e, b) for e in (1, 2) for b in (1, 2, 3)]
    for logs in recorder.batches:
        assert type(logs["loss"]) is float and type(logs["accuracy"]) is float and type(logs["seconds"]) is float
        assert logs["n_batches"] == n_batches and logs["epochs"] == 2
    seconds = [b["seconds"] for b in recorder.batches]
    assert seconds == sorted(seconds)
    assert [e["epoch"] for e in recorder.epochs] == [1, 2]
    for logs in recorder.epochs:
        assert set(logs) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "elapsed"}
        assert all(type(v) in (int, float) for v in logs.values())
    assert list(result.history.columns) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"]
    assert result.history["epoch"].tolist() == [1, 2]
    assert result.final_metrics["val_loss"] == pytest.approx(result.history["val_loss"].iloc[-1])
    assert result.final_metrics["epochs"] == 2 and not result.stopped_early and not result.diverged
    assert recorder.end["stopped_early"] is False and "Trained 2 epochs" in recorder.end["message"]


def test_same_spec_and_seed_give_an_identical_history():
    first = train(ADDING)  # dropout included: its masks come from the seed too
    second = train(ADDING)
    np.testing.assert_array_equal(_numbers(first.history), _numbers(second.history))
    for a, b in zip(first.model.get_weights(), second.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    other = train(ADDING.replace(seed=6))
    assert not np.array_equal(_numbers(first.history), _numbers(other.history))


def test_stop_flag_is_checked_between_batches():
    calls = []

    def stop_flag():
        calls.append(1)
        return len(calls) >= 4  # after the 4th batch: epoch 2, batch 1

    recorder = HistoryRecorder()
    result = train(PARITY.replace(epochs=5), callbacks=[recorder], stop_flag=stop_flag)
    assert result.stopped_early and not result.diverged
    assert "epoch 2, batch 1" in result.message
    assert len(recorder.batches) == 4
    assert result.history["epoch"].tolist() == [1]  # only finished epochs
    assert result.final_metrics["epochs"] == 1


def test_stop_flag_may_be_an_event_and_callbacks_may_raise_stop_training():
    event = threading.Event()
    event.set()
    result = train(PARITY, stop_flag=event)
    assert result.stopped_early and "epoch 1, batch 1" in result.message and result.history.empty

    class StopAfterFirstEpoch(TrainingCallback):
        def on_epoch_end(self, epoch, logs):
            raise StopTraining("enough for today")

    result = train(PARITY, callbacks=[StopAfterFirstEpoch()])
    assert result.stopped_early and result.message == "enough for today"
    assert result.history["epoch"].tolist() == [1]


def test_exploding_learning_rate_stops_with_a_clear_message():
    spec = ExperimentSpec(
        dataset="adding", dataset_options={"T": 10, "n_samples": 64, "n_test": 16},
        layers=(LayerSpec("simple_rnn", 8, activation="relu"),), learning_rate=1e6, optimizer="sgd",
        batch_size=16, epochs=3,
    )
    result = train(spec)
    assert result.diverged and result.stopped_early
    assert "learning_rate=1e+06" in result.message and ("NaN" in result.message or "infinite" in result.message)
    assert all(np.isfinite(w).all() for w in result.model.get_weights())  # put back to the last good weights
    with pytest.raises(TrainingDiverged, match="the loss became"):
        train(spec, raise_on_divergence=True)


def test_nan_in_the_data_stops_at_the_first_batch():
    train_data, test_data = load_data(PARITY)
    x = train_data.x.copy()
    x[0, 3, 0] = np.nan
    poisoned = dataclasses.replace(train_data, x=x)
    recorder = HistoryRecorder()
    result = train(PARITY.replace(epochs=3), dataset=(poisoned, test_data), callbacks=[recorder])
    assert result.diverged
    assert "NaN at epoch 1, batch" in result.message and "initial values" in result.message
    assert result.history.empty and recorder.epochs == []


def _padded_labelling(labels_at_padding: int) -> SequenceDataset:
    rng = np.random.default_rng(0)
    n, t = 24, 8
    lengths = rng.integers(3, t + 1, size=n)
    valid = np.arange(t)[None, :] < lengths[:, None]
    x = np.where(valid[..., None], rng.choice([-1.0, 1.0], size=(n, t, 1)), 0.0).astype(np.float32)
    y = np.where(valid, (np.cumsum(x[..., 0] > 0, axis=1) % 2), labels_at_padding)
    return SequenceDataset(name="padded", x=x, y=y, lengths=lengths, task="sequence_labelling", n_classes=2)


def test_sequence_labelling_ignores_labels_on_padded_steps():
    spec = ExperimentSpec(dataset="padded", layers=(LayerSpec("lstm", 5, return_seq=True, dynamic=True),),
                          batch_size=8, epochs=2, validation_split=0.25)
    zeros, ones = _padded_labelling(0), _padded_labelling(1)
    assert not np.array_equal(zeros.y, ones.y)
    a, b = train(spec, dataset=zeros), train(spec, dataset=ones)
    np.testing.assert_array_equal(_numbers(a.history), _numbers(b.history))


def test_a_single_dataset_is_split_with_validation_split():
    data = _padded_labelling(0)
    spec = ExperimentSpec(dataset="padded", layers=(LayerSpec("gru", 3, return_seq=True),), epochs=1,
                          validation_split=0.25)
    recorder = HistoryRecorder()
    train(spec, dataset=data, callbacks=[recorder])
    assert (recorder.begin["n_train"], recorder.begin["n_test"]) == (18, 6)


def test_probe_snapshots_at_chosen_epochs():
    result = train(PARITY.replace(epochs=2), snapshot_epochs=(0, 2), snapshot_samples=3)
    assert sorted(result.snapshots) == [0, 2]
    before, after = result.snapshots[0], result.snapshots[2]
    assert before.get("GRU", "h").shape == (3, 20, 6)
    assert not np.allclose(before.get("GRU", "h"), after.get("GRU", "h"))  # the weights moved in between
    assert result.snapshot_indices == (0, 1, 2)


def test_baseline_is_the_trivial_predictor():
    train_data, test_data = load_data(ExperimentSpec(dataset="adding", dataset_options={"T": 50, "n_samples": 4000}))
    regression = baseline(train_data, test_data)
    assert regression["loss"] == pytest.approx(1 / 6, abs=0.02)  # predicting ~1.0 always
    train_data, test_data = load_data(PARITY)
    classes = baseline(train_data, test_data)
    assert classes["loss"] == pytest.approx(np.log(2), abs=0.02) and 0.3 < classes["accuracy"] < 0.7
