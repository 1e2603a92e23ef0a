"""A teacher shares a model they brought from their own files: an imported .keras model is saved to the run store
(Train page or Runs page), and its link (?run=<id>) opens it for a student in a fresh session as what it is,
imported from the file, not trained here, on the same data, with every inspection page working on it; the Runs
page's store table reopens it the same way. A store that cannot be written, or a second save, is a message in the
page and loses nothing.

Truth: the Keras model's own predictions (Keras's code), and rnnlab.probe on rnnlab.from_keras of the same model,
run here outside the app.
"""

import json

import numpy as np
from apptools import array, assert_clean, chart, go, new_app, problems, runs_of, spec_of, tiny_classification
from test_imported_model import (ATOL, FIXTURES, assert_heatmaps_match_probe, assert_padding_check_passes,
                                 heatmaps_of, keras_file, lstm_gru_model, npz_upload, open_run, upload_model)

import rnnlab
from rnnlab.experiments import LayerSpec, RunStore, load_data


def teacher_with_imported_model(tmp_path, spec):
    """A session that brought lstm_gru.keras on the Build page and opened it as a run -> (app, run, Keras model)."""
    at = new_app(spec, page="build")
    _, test = load_data(spec)
    original = lstm_gru_model(test.n_features, test.n_classes)
    upload_model(at, "lstm_gru.keras", keras_file(tmp_path, original, "lstm_gru.keras"))
    return at, open_run(at, "keras"), original


def messages_of(at) -> str:
    return " ".join(m.value for kind in (at.success, at.info, at.warning, at.error) for m in kind)


def test_an_imported_model_saved_to_the_store_opens_from_its_link_as_imported(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "runs"))
    spec = tiny_classification()
    _, test = load_data(spec)
    teacher, run, original = teacher_with_imported_model(tmp_path, spec)
    go(teacher, "train")
    assert_clean(teacher)
    teacher.button(key="train_save_run").click().run()  # the same button as a trained run's
    assert_clean(teacher)
    assert run.store_id and teacher.query_params["run"] == run.store_id
    assert f"imported from lstm_gru.keras, not trained here) in the run store as {run.store_id}" in messages_of(teacher)
    links = [c.value for c in teacher.get("code")]
    assert any(value.endswith(f"/?run={run.store_id}") for value in links), links
    assert not any(b.key == "train_save_run" for b in teacher.button)  # saved: the link instead of the button
    meta = json.loads((tmp_path / "runs" / run.store_id / "meta.json").read_text())
    agreement = meta["imported"].pop("agreement")  # what was measured at import travels with it
    assert agreement == list(run.agreement_message()) and agreement[0] in ("success", "warning")
    assert meta["imported"] == {"source": "lstm_gru.keras", "kind": "keras", "load_report": "",
                                "layers": "lstm(4, seq, dynamic) > gru(3, dynamic) > dense(2)",
                                "keras_metrics": run.keras_metrics}

    student = new_app(None, run=run.store_id)  # a fresh session: nothing but the link
    assert_clean(student)
    (opened,) = runs_of(student)
    assert opened.store_id == run.store_id and spec_of(student) == spec
    assert opened.label == f"#1 stored {run.store_id}, imported lstm_gru.keras"
    assert opened.source == "lstm_gru.keras" and opened.kind == "keras" and len(opened.history) == 0
    assert opened.final_metrics == run.final_metrics  # its test numbers, as measured when it was imported
    # the reopened model predicts as Keras's own model on the same data (the spec names it: loaded again here)
    np.testing.assert_allclose(opened.model.predict(test.x, verbose=0), original.predict(test.x, verbose=0),
                               atol=ATOL, rtol=0)

    go(student, "train")
    assert_clean(student)
    assert any("Imported from lstm_gru.keras, not trained here" in i.value for i in student.info)
    assert not any(b.label.startswith("Download the history") for b in student.get("download_button"))
    assert not any(b.key == "train_save_run" for b in student.button)  # in the store already: not saved twice
    assert any(value.endswith(f"/?run={run.store_id}") for value in (c.value for c in student.get("code")))
    shown = {m.label: m.value for m in student.get("metric")}
    assert shown["val_accuracy"] == f"{run.final_metrics['val_accuracy']:.4g}"

    trace = rnnlab.probe(rnnlab.from_keras(str(tmp_path / "lstm_gru.keras")), test.x[:48])  # the pages' 48
    go(student, "states")
    assert_clean(student)
    assert any("imported lstm_gru.keras" in c.value for c in student.caption)  # the run banner says what it is
    assert any("not trained here, so it has no training snapshots" in c.value for c in student.caption)
    z = array(chart(student, "state_heatmap")["data"][0]["z"]).astype(float)  # h of sample 0, units x time
    record = trace.layers["lstm"]
    valid = record.valid[0].astype(bool)
    np.testing.assert_allclose(z[:, valid], record.quantities["h"][0].T[:, valid], atol=1e-6, rtol=0)
    go(student, "gates")
    assert_clean(student)
    assert_heatmaps_match_probe(student, trace, "lstm")
    for page in ("gradients", "cell_steps"):
        go(student, page)
        assert not problems(student), (page, problems(student))
        assert student.get("plotly_chart"), page
    assert_padding_check_passes(student, opened)

    go(student, "runs")
    assert_clean(student)
    table = student.dataframe[0].value
    row = table.loc[table["run"] == opened.label]
    assert row["layers"].item() == "lstm(4, seq, dynamic) > gru(3, dynamic) > dense(2)"
    assert row["ended"].item() == "imported, not trained here" and row["epochs"].item() == 0
    assert not any(b.key == "runs_save" for b in student.button)
    store_table = student.dataframe[1].value
    assert store_table.loc[store_table["run_id"] == run.store_id, "imported_from"].item() == "lstm_gru.keras"

    other = new_app(None, page="runs")  # another fresh session reopens it from the store table
    other.selectbox(key="runs_store_choice").set_value(run.store_id).run()
    other.button(key="runs_reopen").click().run()
    assert_clean(other)
    (reopened,) = runs_of(other)
    assert reopened.label.endswith(f"stored {run.store_id}, imported lstm_gru.keras") and reopened.kind == "keras"
    assert "imported from lstm_gru.keras, not trained here" in messages_of(other)
    np.testing.assert_allclose(reopened.model.predict(test.x[:8], verbose=0), original.predict(test.x[:8], verbose=0),
                               atol=ATOL, rtol=0)


def test_a_tflearn_checkpoint_on_uploaded_data_is_stored_with_its_data_and_opens_from_its_link(tmp_path,
                                                                                              monkeypatch):
    """TFLearn checkpoint files applied to the Build page's stack, on the user's own NPZ: the stored run keeps the
    upload (as a trained run of uploaded data does) and the load report, so the link alone reproduces TFLearn's
    outputs in a fresh session that never saw the files."""
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "runs"))
    saved = np.load(FIXTURES / "lstm_stack.npz")  # TFLearn 0.5.0's own outputs on these inputs
    spec = tiny_classification(layers=(LayerSpec("lstm", 4, return_seq=True, dynamic=True),
                                       LayerSpec("lstm", 4, dynamic=True)))
    teacher = new_app(spec, page="build")
    teacher.radio[0].set_value("Your own file (CSV / NPZ)").run()
    teacher.file_uploader(key="build_data_upload").set_value(
        [("walks.npz", npz_upload(saved["x"]), "application/zip")]).run()
    files = [(f.name, f.read_bytes(), "application/octet-stream") for f in sorted(FIXTURES.glob("lstm_stack.tfl.*"))]
    teacher.file_uploader(key="build_tflearn_upload").set_value(files).run()
    run = open_run(teacher, "tflearn")
    go(teacher, "train")
    teacher.button(key="train_save_run").click().run()
    assert_clean(teacher)
    assert run.store_id and "with its uploaded data" in messages_of(teacher)
    meta = json.loads((tmp_path / "runs" / run.store_id / "meta.json").read_text())
    assert meta["has_data"] and meta["imported"]["kind"] == "tflearn"
    assert meta["imported"]["source"] == "lstm_stack.tfl (TFLearn checkpoint)"
    assert meta["imported"]["load_report"] == run.load_report != ""

    student = new_app(None, run=run.store_id)
    assert_clean(student)
    (opened,) = runs_of(student)
    assert opened.label.endswith("imported lstm_stack.tfl (TFLearn checkpoint)") and opened.kind == "tflearn"
    assert opened.load_report == run.load_report and opened.layers_text() == run.layers_text()
    np.testing.assert_allclose(opened.data[1].x, saved["x"])  # the upload came with the run
    np.testing.assert_allclose(opened.model.predict(saved["x"], verbose=0), saved["y"], atol=ATOL, rtol=0)
    go(student, "gates")
    assert_clean(student)
    assert sorted(heatmaps_of(student)) == ["candidate", "forget", "input", "output"]
    assert_padding_check_passes(student, opened)


def test_a_store_that_cannot_be_written_is_a_message_and_the_run_stays_to_save_again(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the run store should be")
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(blocked))
    spec = tiny_classification()
    teacher, run, _ = teacher_with_imported_model(tmp_path, spec)
    go(teacher, "runs")
    teacher.button(key="runs_save").click().run()  # the Runs page offers the same Save as for a training
    assert not teacher.exception
    errors = " ".join(e.value for e in teacher.error)
    assert f"Run {run.label} was not saved: the run store {blocked}/ cannot be written" in errors, errors
    assert "press Save again" in errors
    assert run.store_id is None and runs_of(teacher) == [run]  # nothing lost: still open, still unsaved
    assert any(b.key == "runs_save" for b in teacher.button)

    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "runs"))  # the admin fixed it: save again
    teacher.button(key="runs_save").click().run()
    assert_clean(teacher)
    assert run.store_id and RunStore(tmp_path / "runs").run_ids() == [run.store_id]
    assert any(f"stored as `{run.store_id}`" in c.value for c in teacher.caption)

    # a second save of the same run (a stale button, a second tab's click) stores nothing new and says so
    from app import state
    from app.session import run_store

    state.pop_flashes()  # (outside a page, Streamlit's bare mode keeps the messages here)
    run_store.save_run(run)
    assert RunStore(tmp_path / "runs").run_ids() == [run.store_id]
    (flashed,) = state.pop_flashes()
    said = f"Run {run.label} is in the run store already, as {run.store_id}: nothing was saved again, and its link "
    assert flashed == ("info", said + "stays the same.")
