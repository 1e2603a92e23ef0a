"""The run store: layout, list / load / delete / compare, sortable ids, atomic writes under failure."""

from __future__ import annotations

import datetime as dt
import json
import re

import keras
import numpy as np
import pandas as pd
import pytest

import rnnlab
from rnnlab.experiments import runs
from rnnlab.experiments import ExperimentSpec, LayerSpec, load_data
from rnnlab.experiments import RunNotFound, RunStore, new_run_id
from rnnlab.experiments import train

SPEC = ExperimentSpec(
    dataset="parity", dataset_options={"n_samples": 32, "n_test": 8},
    layers=(LayerSpec("lstm", 4, return_seq=True, dynamic=True),), batch_size=16, epochs=2, seed=1,
)
ID_PATTERN = re.compile(r"^\d{8}-\d{6}-\d{3}-[0-9a-f]{8}$")


@pytest.fixture(scope="module")
def results():
    """Two short trainings (different learning rates); snapshots when rnnlab.probe exists."""
    snapshot_epochs = (0, 2) if hasattr(rnnlab, "probe") else ()
    with rnnlab.naming_context():
        first = train(SPEC, snapshot_epochs=snapshot_epochs, snapshot_samples=2)
    with rnnlab.naming_context():
        second = train(SPEC.replace(learning_rate=0.05, epochs=1))
    return first, second


def _temporaries(folder):
    return [p.name for p in folder.rglob("*") if p.name.startswith(".tmp-")]


def test_save_writes_the_documented_layout_and_load_reads_it_back(tmp_path, results):
    result = results[0]
    store = RunStore(tmp_path / "runs")
    run_id = store.save(SPEC, result)
    assert ID_PATTERN.match(run_id) and run_id.endswith(SPEC.short_hash(8))
    folder = tmp_path / "runs" / run_id
    assert {"spec.json", "history.csv", "meta.json", "model.keras", "tb"} <= {p.name for p in folder.iterdir()}
    assert list((folder / "tb").glob("events.out.tfevents.*"))
    assert ExperimentSpec.from_json((folder / "spec.json").read_text()) == SPEC
    assert _temporaries(tmp_path) == []

    run = store.load(run_id)
    assert run.run_id == run_id and run.spec == SPEC
    pd.testing.assert_frame_equal(run.history, result.history, check_dtype=False)
    assert run.final_metrics["val_loss"] == pytest.approx(result.final_metrics["val_loss"])
    x = load_data(SPEC)[1].x[:3]
    np.testing.assert_allclose(run.model.predict(x, verbose=0), result.model.predict(x, verbose=0), rtol=1e-6)
    if result.snapshots:
        assert sorted(run.snapshots) == [0, 2] and (folder / "snapshots" / "epoch_0002.npz").is_file()
        np.testing.assert_array_equal(run.snapshots[2].get("LSTM", "c"), result.snapshots[2].get("LSTM", "c"))
        assert run.snapshot_indices == (0, 1)


def test_tensorboard_events_hold_the_history(tmp_path, results):
    import tensorflow as tf

    store = RunStore(tmp_path)
    run_id = store.save(SPEC, results[0])
    values = {}
    for path in (tmp_path / run_id / "tb").glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                values[(value.tag, event.step)] = float(tf.make_ndarray(value.tensor))
    history = results[0].history
    assert values[("val_loss", 2)] == pytest.approx(history["val_loss"].iloc[1], rel=1e-6)
    assert values[("loss", 1)] == pytest.approx(history["loss"].iloc[0], rel=1e-6)


def test_models_are_loaded_in_keras_safe_mode(tmp_path, results, monkeypatch):
    store = RunStore(tmp_path)
    run_id = store.save(SPEC, results[1])
    calls = []
    real = keras.models.load_model
    monkeypatch.setattr(keras.models, "load_model", lambda path, **kw: calls.append(kw) or real(path, **kw))
    store.load(run_id)
    assert calls == [{"safe_mode": True}]


def test_list_resolve_compare_and_delete(tmp_path, results):
    store = RunStore(tmp_path)
    assert store.list().empty and store.run_ids() == []
    a = store.save(SPEC, results[0])
    b = store.save(SPEC.replace(learning_rate=0.05, epochs=1), results[1])
    listing = store.list()
    assert listing["run_id"].tolist() == sorted([a, b]) == [a, b]
    assert listing.loc[0, "epochs"] == 2 and listing.loc[1, "epochs"] == 1
    assert listing.loc[0, "val_loss"] == pytest.approx(results[0].final_metrics["val_loss"])
    assert store.resolve("latest") == b and store.resolve(a[:-2]) == a

    compared = store.compare(a, b)
    assert list(compared.columns) == ["kind", a, b, "differs"]
    assert compared.loc["learning_rate", a] == 0.01 and compared.loc["learning_rate", b] == 0.05
    assert compared.loc["epochs", "differs"] and "seed" not in compared.index  # only differing settings
    assert compared.loc["val_loss", "kind"] == "metric" and compared.index.is_unique
    assert (compared.loc["epochs_trained", a], compared.loc["epochs_trained", b]) == (2, 1)
    assert compared.loc["val_loss", a] == pytest.approx(results[0].final_metrics["val_loss"])
    assert "seed" in store.compare(a, b, all_settings=True).index

    assert store.delete(a) == a
    assert store.run_ids() == [b] and _temporaries(tmp_path) == []
    with pytest.raises(RunNotFound, match=f"no run '{a}'"):
        store.load(a)
    store.save(SPEC, results[0])
    with pytest.raises(RunNotFound, match="ambiguous"):
        store.resolve("2")  # both runs start with the year


def test_run_ids_sort_by_time():
    times = [dt.datetime(2025, 11, 25, 3, 15, 2, 5000, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=ms)
             for ms in (0, 7, 1000, 3_600_000)]
    ids = [new_run_id(SPEC.replace(seed=i), t) for i, t in enumerate(times)]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert ids[0].startswith("20251125-031502-005-")


def _half_written(*args):
    path = next(a for a in args if isinstance(a, str))  # _save_model(model, path) / _write_text(path, text)
    with open(path, "wb") as handle:
        handle.write(b"PK\x03\x04 half a file")
    raise OSError("simulated crash while writing")


@pytest.mark.parametrize("failing", ["_save_model", "_write_text"])
def test_a_crash_while_saving_again_leaves_the_previous_run_readable(tmp_path, results, monkeypatch, failing):
    store = RunStore(tmp_path)
    run_id = store.save(SPEC, results[0])
    before = {p.name: p.read_bytes() for p in (tmp_path / run_id).iterdir() if p.is_file()}
    monkeypatch.setattr(runs, failing, _half_written)
    with pytest.raises(OSError, match="simulated crash"):
        store.save(SPEC, results[1], run_id=run_id)  # an update of the same run
    after = {p.name: p.read_bytes() for p in (tmp_path / run_id).iterdir() if p.is_file()}
    assert after == before and _temporaries(tmp_path) == []
    monkeypatch.undo()
    run = store.load(run_id)  # still whole: the previous model and history
    pd.testing.assert_frame_equal(run.history, results[0].history, check_dtype=False)
    assert run.model is not None
    store.save(SPEC, results[1], run_id=run_id)  # and a save that succeeds replaces everything
    assert store.load(run_id, load_model=False).history["epoch"].tolist() == [1]


def test_snapshots_a_killed_re_save_left_behind_are_not_the_runs(tmp_path, results):
    """A re-save with fewer snapshots replaces meta.json (the save's record) and then deletes the old snapshot files;
    killed in between (bench/bench_kill_saves.py found it), the old files stay. The run is what meta.json says: no
    snapshot it does not list is loaded or exported."""
    import zipfile

    store = RunStore(tmp_path / "runs")
    run_id = store.save(SPEC, results[0])
    folder = tmp_path / "runs" / run_id / "snapshots"
    old = {p.name: p.read_bytes() for p in folder.glob("epoch_*.npz")}
    assert sorted(old) == ["epoch_0000.npz", "epoch_0002.npz"]
    store.save(SPEC, results[1], run_id=run_id)  # no snapshots: meta.json lists none
    for name, content in old.items():  # the kill: meta.json replaced, the old files not yet deleted
        (folder / name).write_bytes(content)
    run = store.load(run_id)
    assert run.meta["snapshot_epochs"] == [] and run.snapshots == {}
    with zipfile.ZipFile(store.export(run_id, tmp_path / "out")) as archive:
        assert not [name for name in archive.namelist() if "snapshots/" in name]


def test_a_crash_while_saving_a_new_run_leaves_nothing(tmp_path, results, monkeypatch):
    store = RunStore(tmp_path)
    monkeypatch.setattr(runs, "_save_model", _half_written)
    with pytest.raises(OSError, match="simulated crash"):
        store.save(SPEC, results[0])
    assert store.run_ids() == [] and list(tmp_path.iterdir()) == []


def test_meta_records_how_training_ended(tmp_path, results):
    store = RunStore(tmp_path)
    run_id = store.save(SPEC, results[0])
    meta = json.loads((tmp_path / run_id / "meta.json").read_text())
    assert meta["run_id"] == run_id and meta["stopped_early"] is False and meta["diverged"] is False
    assert meta["final_metrics"]["epochs"] == 2 and meta["message"].startswith("Trained 2 epochs")
