"""The run store keeps a model imported from the user's files (not trained here): its origin (file, kind, load
report, its own layers) round-trips through meta.json, load, list and a .rnnlab.zip; a trained run's files are
as they were, and a run written in the format before imported runs existed still loads.

Truth: the model's own predictions before storing; a run folder written by hand in the previous format.
"""

from __future__ import annotations

import io
import json
import types
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest

import rnnlab
from rnnlab.errors import RnnlabError
from rnnlab.experiments import ExperimentSpec, LayerSpec, RunStore, load_data
from rnnlab.experiments.run_archive import RunArchiveError
from rnnlab.experiments.runs import ImportedOrigin

SPEC = ExperimentSpec(dataset="variable_length", dataset_options={"n_samples": 32, "n_test": 8},
                      layers=(LayerSpec("lstm", 16),), epochs=2, batch_size=16, seed=0)
ORIGIN = ImportedOrigin(source="lstm_gru.keras", kind="keras", load_report="",
                        layers="lstm(4, seq) > gru(3) > dense(3)")


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """(model on rnnlab's layers read from a Keras .keras file, test data): as the app's Bring your model holds it."""
    _, test = load_data(SPEC)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, test.n_features))
    net = keras.layers.Masking(0.0)(inputs)
    net = keras.layers.LSTM(4, return_sequences=True, name="lstm")(net)
    net = keras.layers.GRU(3, reset_after=False, name="gru")(net)
    original = keras.Model(inputs, keras.layers.Dense(test.n_classes, activation="softmax", name="head")(net))
    path = tmp_path_factory.mktemp("upload") / "lstm_gru.keras"
    original.save(path)
    with rnnlab.naming_context():
        model = rnnlab.from_keras(str(path))
    return model, test


def imported_result(model) -> types.SimpleNamespace:
    """What the app hands the store for an imported run: the TrainResult fields, no history rows, no snapshots."""
    return types.SimpleNamespace(model=model, history=pd.DataFrame(columns=["epoch", "loss"]),
                                 final_metrics={"val_loss": 1.0986, "val_accuracy": 0.375}, snapshots={},
                                 stopped_early=False, diverged=False,
                                 message="Imported from lstm_gru.keras; not trained here.")


def test_an_imported_model_round_trips_its_origin_model_and_metrics(tmp_path, imported):
    model, test = imported
    store = RunStore(tmp_path)
    run_id = store.save(SPEC, imported_result(model), imported=ORIGIN)
    meta = json.loads((tmp_path / run_id / "meta.json").read_text())
    assert meta["imported"] == {"source": "lstm_gru.keras", "kind": "keras", "load_report": "",
                                "layers": "lstm(4, seq) > gru(3) > dense(3)", "agreement": [], "keras_metrics": {}}
    assert meta["describe"] == "variable_length: lstm(4, seq) > gru(3) > dense(3)"  # its layers, not the spec's
    assert meta["has_model"] and meta["final_metrics"] == {"val_loss": 1.0986, "val_accuracy": 0.375}

    run = store.load(run_id)
    assert run.imported == ORIGIN and run.spec == SPEC and len(run.history) == 0
    assert run.final_metrics == {"val_loss": 1.0986, "val_accuracy": 0.375}
    assert [layer.name for layer in run.model.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(run.model.predict(test.x, verbose=0), model.predict(test.x, verbose=0))

    row = store.list().iloc[0]
    assert row["imported_from"] == "lstm_gru.keras" and row["layers"] == "lstm(4, seq) > gru(3) > dense(3)"
    assert row["message"] == "Imported from lstm_gru.keras; not trained here."


def test_a_tflearn_origin_keeps_its_load_report_and_survives_an_update(tmp_path, imported):
    model, _ = imported
    store = RunStore(tmp_path)
    origin = ImportedOrigin(source="net.tfl (TFLearn checkpoint)", kind="tflearn",
                            load_report="loaded 3 of 3 variables: LSTM/LSTM/kernel -> lstm/kernel ...")
    run_id = store.save(SPEC, imported_result(model), imported=origin)
    assert store.load(run_id, load_model=False).imported == origin
    store.save(SPEC, imported_result(model), run_id=run_id)  # saving into the run again keeps where it came from
    assert store.load(run_id, load_model=False).imported == origin
    assert store.list().iloc[0]["layers"] == "lstm(16)"  # a TFLearn checkpoint fills the spec's stack


def test_an_imported_run_moves_between_stores_as_one_file(tmp_path, imported):
    model, test = imported
    first, second = RunStore(tmp_path / "a"), RunStore(tmp_path / "b")
    run_id = first.save(SPEC, imported_result(model), imported=ORIGIN)
    outcome = second.import_run(first.export_bytes(run_id))  # its empty history passes the archive's checks
    assert outcome.run_id == run_id and not outcome.already_stored
    run = second.load(run_id)
    assert run.imported == ORIGIN and len(run.history) == 0
    np.testing.assert_array_equal(run.model.predict(test.x[:4], verbose=0), model.predict(test.x[:4], verbose=0))


def test_an_archive_with_a_malformed_origin_is_refused(tmp_path, imported):
    model, _ = imported
    store = RunStore(tmp_path / "a")
    run_id = store.save(SPEC, imported_result(model), imported=ORIGIN, save_model=False)
    folder = tmp_path / "a" / run_id
    meta = json.loads((folder / "meta.json").read_text())
    meta["imported"] = {"kind": "keras"}  # no file named
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(RunArchiveError, match="must name the file the model came from"):
        RunStore(tmp_path / "b").import_run(store.export_bytes(run_id))
    assert RunStore(tmp_path / "b").run_ids() == []


def test_an_origin_names_a_file_and_a_known_kind():
    with pytest.raises(RnnlabError, match="`source` must name the file"):
        ImportedOrigin(source=" ")
    with pytest.raises(RnnlabError, match=r"`kind` must be one of \['keras', 'tflearn'\]; received 'h5'"):
        ImportedOrigin(source="m.h5", kind="h5")
    with pytest.raises(RnnlabError, match="`imported` must be an ImportedOrigin"):
        RunStore("unused").save(SPEC, imported_result(None), imported={"source": "m.keras"})
    assert ImportedOrigin.from_meta(None) is None and ImportedOrigin.from_meta({"kind": "keras"}) is None
    assert ImportedOrigin.from_meta({"source": "m.keras", "kind": "h5"}) == ImportedOrigin("m.keras", "keras")


def write_previous_format_run(root, run_id: str, model) -> None:
    """A run folder exactly as the store wrote it before imported runs existed (meta.json without "imported",
    no imported_from anywhere), by hand: not by today's code."""
    folder = root / run_id
    folder.mkdir(parents=True)
    (folder / "spec.json").write_text(SPEC.to_json())
    (folder / "history.csv").write_text("epoch,loss,accuracy,val_loss,val_accuracy,seconds\n"
                                        "1,1.10,0.31,1.09,0.375,0.8\n2,1.08,0.41,1.07,0.5,0.5\n")
    model.save(folder / "model.keras")
    (folder / "meta.json").write_text(json.dumps({
        "run_id": run_id, "created": "2025-11-25T03:15:02+00:00", "describe": "variable_length: lstm(16)",
        "final_metrics": {"loss": 1.08, "accuracy": 0.41, "val_loss": 1.07, "val_accuracy": 0.5, "epochs": 2,
                          "seconds": 1.3},
        "stopped_early": False, "diverged": False, "message": "Trained 2 epochs in 1.3 s.", "seconds": 1.3,
        "snapshot_epochs": [], "snapshot_indices": [], "has_model": True, "has_data": False,
        "rnnlab_version": "0.1.0",
    }, indent=2))


def test_a_run_stored_in_the_previous_format_still_loads_lists_and_moves(tmp_path, imported):
    model, test = imported
    run_id = "20251125-031502-123-1a2b3c4d"
    write_previous_format_run(tmp_path / "a", run_id, model)
    store = RunStore(tmp_path / "a")
    run = store.load(run_id)
    assert run.imported is None and run.history["epoch"].tolist() == [1, 2] and run.final_metrics["epochs"] == 2
    np.testing.assert_array_equal(run.model.predict(test.x[:4], verbose=0), model.predict(test.x[:4], verbose=0))
    row = store.list().iloc[0]
    assert row["run_id"] == run_id and row["epochs"] == 2 and row["layers"] == "lstm(16)"
    assert row["imported_from"] is None
    data = store.export_bytes(run_id)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "imported" not in json.loads(archive.read(f"{run_id}/meta.json"))
    assert RunStore(tmp_path / "b").import_run(data).run_id == run_id
    assert RunStore(tmp_path / "b").load(run_id, load_model=False).imported is None


def test_a_training_is_stored_as_before_without_an_origin(tmp_path, imported):
    model, _ = imported
    result = imported_result(model)
    result.history = pd.DataFrame({"epoch": [1], "loss": [1.1], "val_loss": [1.09]})
    store = RunStore(tmp_path)
    run_id = store.save(SPEC, result, save_model=False)
    meta = json.loads((tmp_path / run_id / "meta.json").read_text())
    assert "imported" not in meta and meta["describe"] == SPEC.describe()
    assert store.load(run_id).imported is None
