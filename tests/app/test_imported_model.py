"""Bring your model (Build page): a .keras file of Keras's own LSTM / GRU layers, a real TFLearn checkpoint applied to
the stack built on the page, and a UEA .ts data set each go from file to gate heatmaps and the padding invariance
check, without training; bad files get a clear message in the page, the spec and data kept.

Truth: the Keras model's own predictions (Keras's code, not ours), TFLearn's outputs saved with the fixture (.npz,
computed by TFLearn 0.5.0), and rnnlab.probe on rnnlab.from_keras of the same model, run here outside the app.
"""

import io
from pathlib import Path

import keras
import numpy as np
from apptools import (array, assert_clean, chart, go, new_app, problems, runs_of, spec_of, tiny_classification)

import rnnlab
from app.session import experiment
from rnnlab.experiments import LayerSpec, load_data

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tflearn"
VOWELS = Path(__file__).resolve().parents[1] / "fixtures" / "uea"  # a real excerpt of Japanese Vowels (README there)
UPLOAD_KEY = "rnnlab:uploaded_dataset"
JOB_KEY = "rnnlab:training_job"
ATOL = 1e-5


def keras_file(tmp_path, model, name: str) -> bytes:
    """A Keras model -> the bytes of its .keras file."""
    path = tmp_path / name
    model.save(path)
    return path.read_bytes()


def lstm_gru_model(n_features: int, n_classes: int, seed: int = 0) -> keras.Model:
    """Keras's own layers: Masking(0) -> LSTM(4, return_sequences) -> GRU(3, reset_after=False) -> softmax head."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((None, n_features))
    net = keras.layers.Masking(0.0)(inputs)
    net = keras.layers.LSTM(4, return_sequences=True, name="lstm")(net)
    net = keras.layers.GRU(3, reset_after=False, name="gru")(net)
    return keras.Model(inputs, keras.layers.Dense(n_classes, activation="softmax", name="head")(net))


def upload_model(at, name: str, data: bytes):
    at.file_uploader(key="build_keras_upload").set_value((name, data, "application/octet-stream")).run()
    return at


def open_run(at, kind: str):
    at.button(key=f"build_open_imported_{kind}").click().run()
    assert_clean(at)
    return runs_of(at)[-1]


def errors_of(at) -> str:
    return " ".join(e.value for e in at.error)


def heatmaps_of(at) -> dict:
    """The Gates page's heatmaps -> {gate: z [n, T]} (NaN past the sample's length)."""
    fig = chart(at, "gate_heatmaps")
    return {t["name"]: array(t["z"]).astype(float) for t in fig["data"] if t["name"] in fig["layout"]["meta"]["gates"]}


def assert_heatmaps_match_probe(at, trace, layer: str) -> None:
    """The page's heatmaps of sample 0 equal the independent probe's gates [B, T, n] on the real steps, NaN after."""
    record = trace.layers[layer]
    shown = heatmaps_of(at)
    assert sorted(shown) == sorted(g for g in record.quantities if g in shown) and shown
    valid = record.valid[0].astype(bool)
    for gate, z in shown.items():
        expected = record.quantities[gate][0].T  # [n, T]
        np.testing.assert_allclose(z[:, valid], expected[:, valid], atol=1e-6, rtol=0)
        assert np.isnan(z[:, ~valid]).all()


def assert_padding_check_passes(at, run) -> None:
    go(at, "padding")
    assert_clean(at)
    assert at.selectbox(key="pad_stack_run").value == run.run_id  # the imported run is the current one
    at.button(key="pad_stack_check").click().run()
    assert_clean(at)
    assert chart(at, "padding_invariance")["layout"]["meta"]["first_differing"] == {}
    assert any("give the same outputs alone and padded" in s.value for s in at.success)


def test_a_keras_lstm_gru_model_opens_as_a_run_every_inspection_page_shows(tmp_path):
    spec = tiny_classification()
    at = new_app(spec, page="build")
    _, test = load_data(spec)
    original = lstm_gru_model(test.n_features, test.n_classes)
    upload_model(at, "lstm_gru.keras", keras_file(tmp_path, original, "lstm_gru.keras"))
    assert_clean(at)
    assert any("lstm_gru.keras" in m.value and "`gru` [B, 3]" in m.value for m in at.markdown)
    run = open_run(at, "keras")
    assert run.label == "#1 imported lstm_gru.keras" and len(runs_of(at)) == 1
    assert JOB_KEY not in at.session_state or at.session_state[JOB_KEY] is None  # nothing was trained
    assert spec_of(at) == spec and run.spec == spec
    np.testing.assert_array_equal(run.data[1].x, test.x)
    # Keras's own predictions equal the run model's on the same data
    np.testing.assert_allclose(run.model.predict(test.x, verbose=0), original.predict(test.x, verbose=0),
                               atol=ATOL, rtol=0)
    # its test numbers, computed here from Keras's predictions
    p = original.predict(test.x, verbose=0)
    loss = -np.log(np.clip(p[np.arange(len(p)), test.y.astype(int)], 1e-7, 1.0)).mean()
    assert abs(run.final_metrics["val_loss"] - loss) < 1e-4
    assert run.final_metrics["val_accuracy"] == np.mean(p.argmax(-1) == test.y)

    trace = rnnlab.probe(rnnlab.from_keras(original), experiment.probe_pool(run).x)  # the pages' samples
    go(at, "gates")
    assert_clean(at)
    assert "imported lstm_gru.keras" in " ".join(c.value for c in at.caption)
    assert_heatmaps_match_probe(at, trace, "lstm")
    at.selectbox(key="gates_layer").set_value("gru").run()
    assert_clean(at)
    assert sorted(heatmaps_of(at)) == ["candidate", "reset", "update"]
    assert_heatmaps_match_probe(at, trace, "gru")
    for page in ("states", "gradients", "cell_steps"):
        go(at, page)
        assert not problems(at), (page, problems(at))
        assert at.get("plotly_chart"), page
    assert_padding_check_passes(at, run)

    go(at, "train")
    assert_clean(at)
    assert any("Imported from lstm_gru.keras, not trained here" in i.value for i in at.info)
    labels = [b.label for b in at.get("download_button")]
    assert "Download the model (.keras)" in labels  # not "the trained model": it was not trained here
    assert not any(label.startswith("Download the history") for label in labels)
    assert at.get("metric")  # its test loss and accuracy, and the verdict against the trivial predictor


def npz_upload(x_test: np.ndarray, n_train: int = 24) -> bytes:
    """The fixture's inputs [6, 5, 3] as the test split of an NPZ, after n_train random training rows."""
    rng = np.random.default_rng(3)
    x_train = rng.normal(size=(n_train, *x_test.shape[1:])).astype(np.float32)
    x = np.concatenate([x_train, x_test]).astype(np.float32)
    y = np.arange(len(x)) % 2
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=y, split=np.array([0] * n_train + [1] * len(x_test)))
    return buffer.getvalue()


def test_a_tflearn_checkpoint_applied_to_the_stack_built_on_the_page_gives_tflearns_outputs():
    saved = np.load(FIXTURES / "lstm_stack.npz")
    spec = tiny_classification(layers=(LayerSpec("lstm", 4, return_seq=True, dynamic=True),
                                       LayerSpec("lstm", 4, dynamic=True)))
    at = new_app(spec, page="build")
    at.radio[0].set_value("Your own file (CSV / NPZ)").run()
    at.file_uploader(key="build_data_upload").set_value([("walks.npz", npz_upload(saved["x"]), "application/zip")]).run()
    assert_clean(at)
    files = [(f.name, f.read_bytes(), "application/octet-stream") for f in sorted(FIXTURES.glob("lstm_stack.tfl.*"))]
    files.append(("lstm_stack.tfl.meta", b"TFLearn's graph: not read", "application/octet-stream"))
    at.file_uploader(key="build_tflearn_upload").set_value(files).run()
    assert_clean(at)
    assert any("Loaded 6 variables from lstm_stack.tfl" in s.value for s in at.success)
    report = next(e.value for e in at.dataframe if "checkpoint variable" in e.value.columns)
    assert sorted(report["model weight"].str.split(" ").str[1].str.strip("'").unique()) == [
        "FullyConnected", "LSTM", "LSTM_1"]
    run = open_run(at, "tflearn")
    assert run.label == "#1 imported lstm_stack.tfl (TFLearn checkpoint)"
    np.testing.assert_allclose(run.data[1].x, saved["x"])
    np.testing.assert_allclose(run.model.predict(saved["x"], verbose=0), saved["y"], atol=ATOL, rtol=0)
    go(at, "gates")
    assert_clean(at)
    assert sorted(heatmaps_of(at)) == ["candidate", "forget", "input", "output"]
    assert_padding_check_passes(at, run)


def test_a_uea_ts_data_set_then_a_keras_model_to_gates_and_the_padding_check(tmp_path):
    at = new_app(tiny_classification(), page="build")
    at.radio[0].set_value("Your own file (CSV / NPZ)").run()
    at.file_uploader(key="build_data_upload").set_value(
        [(f.name, f.read_bytes(), "application/octet-stream") for f in sorted(VOWELS.glob("JapaneseVowels_*.ts"))]
    ).run()
    assert_clean(at)
    train, test = at.session_state[UPLOAD_KEY]
    assert (train.n_features, train.n_classes) == (12, 9)
    original = lstm_gru_model(12, 9, seed=1)
    upload_model(at, "vowels.keras", keras_file(tmp_path, original, "vowels.keras"))
    run = open_run(at, "keras")
    assert spec_of(at).dataset == "upload:JapaneseVowels_TRAIN.ts+JapaneseVowels_TEST.ts"
    np.testing.assert_array_equal(run.data[1].x, test.x)
    np.testing.assert_allclose(run.model.predict(test.x, verbose=0), original.predict(test.x, verbose=0),
                               atol=ATOL, rtol=0)
    go(at, "gates")
    assert_clean(at)
    assert_heatmaps_match_probe(at, rnnlab.probe(rnnlab.from_keras(original), test.x[:48]), "lstm")
    assert_padding_check_passes(at, run)


def test_bad_files_get_a_clear_message_and_the_spec_and_data_stay(tmp_path):
    spec = tiny_classification()
    at = new_app(spec, page="build")
    before = at.session_state[UPLOAD_KEY] if UPLOAD_KEY in at.session_state else None

    def refused(*expected: str) -> None:
        assert not at.exception, [e.value for e in at.exception]
        text = errors_of(at)
        assert all(part in text for part in expected), text
        assert spec_of(at) == spec and runs_of(at) == []
        assert (at.session_state[UPLOAD_KEY] if UPLOAD_KEY in at.session_state else None) is before
        assert not any(b.key.startswith("build_open_imported") for b in at.button)

    upload_model(at, "model.h5", b"\x89HDF\r\n")
    refused("model.h5: a .h5 file is not a Keras model file; expected a .keras file")
    upload_model(at, "huge.keras", b"\0" * (21 * 2**20))
    refused("huge.keras is 21.0 MB; the limit for a model is 20 MB")
    upload_model(at, "broken.keras", b"not a zip archive")
    refused("broken.keras is not a .keras model file: a .keras file is a zip archive")
    wide = keras.Sequential([keras.Input((None, 5)), keras.layers.LSTM(3), keras.layers.Dense(2, activation="softmax")])
    upload_model(at, "wide.keras", keras_file(tmp_path, wide, "wide.keras"))
    refused("wide.keras takes input [B, T, 5]", "is x [64, 50, 1]")
    three = keras.Sequential([keras.Input((None, 1)), keras.layers.LSTM(3), keras.layers.Dense(3, activation="softmax")])
    upload_model(at, "three.keras", keras_file(tmp_path, three, "three.keras"))
    refused("three.keras outputs [B, 3], but the data's task (classification) needs [B, 2]")
    gru = keras.Sequential([keras.Input((None, 1)), keras.layers.GRU(3), keras.layers.Dense(2, activation="softmax")])
    upload_model(at, "gru.keras", keras_file(tmp_path, gru, "gru.keras"))
    refused("(keras GRU): reset_after=True has no TFLearn/rnnlab equivalent")

    at.file_uploader(key="build_keras_upload").set_value(None).run()
    index = (FIXTURES / "lstm_stack.tfl.index").read_bytes()
    at.file_uploader(key="build_tflearn_upload").set_value([("lstm_stack.tfl.index", index, "x")]).run()
    refused("lstm_stack.tfl.index needs its weights file lstm_stack.tfl.data-00000-of-00001")
    at.file_uploader(key="build_tflearn_upload").set_value([("notes.txt", b"hello", "text/plain")]).run()
    refused("notes.txt: not part of a TFLearn checkpoint")
    data = (FIXTURES / "lstm_stack.tfl.data-00000-of-00001").read_bytes()
    at.file_uploader(key="build_tflearn_upload").set_value(
        [("lstm_stack.tfl.index", index, "x"), ("lstm_stack.tfl.data-00000-of-00001", data, "x")]).run()
    refused("has shape (7, 16)", "has shape (5, 16)", "nothing was loaded")  # D = 1 here, the checkpoint's LSTM read D = 3


def test_an_imported_run_is_not_a_lessons_run_and_the_runs_page_offers_to_store_it(tmp_path):
    """With a lesson's own experiment on the Build page, a model imported there is not that lesson's training: the
    lesson shows no evidence measured on it. The Runs page offers to store it, as an import (a teacher shares it
    with the room; tests/app/test_imported_run_store.py follows it through the store)."""
    from rnnlab.experiments import PRESETS
    from rnnlab.experiments.lessons import LESSONS

    lesson = next(item for item in LESSONS if item.key == "sine")
    spec = PRESETS[lesson.preset]
    at = new_app(spec, page="build")
    _, test = load_data(spec)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, test.n_features))
    original = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(4)(inputs)))
    upload_model(at, "sine_lstm.keras", keras_file(tmp_path, original, "sine_lstm.keras"))
    run = open_run(at, "keras")
    assert run.spec == spec  # the lesson's experiment: what made it look like the lesson's run
    go(at, "lessons")
    assert_clean(at)
    assert not [key for key in (f"lessons_look_{lesson.key}",) if any(b.key == key for b in at.button)]
    go(at, "runs")
    assert_clean(at)
    # the run is described by the imported model's layers, not by the Build page's stack (lstm(16) here)
    table = at.dataframe[0].value
    assert table.loc[table["run"] == run.label, "layers"].item() == "lstm(4) > dense(1)"
    assert spec.layers[0].describe() != "lstm(4)"
    assert any(c.value.endswith(": lstm(4) > dense(1)") for c in at.sidebar.caption)
    assert any(b.key == "runs_save" for b in at.button)
