"""Build page uploads, as the user sees them at once: each uploader states its own size limit (a model 20 MB, data the
server's 50 MB), and the shared sidebar (drawn by the router before the page, and again after it when the page
changed the experiment) names newly uploaded data, or any other edit, in the same script run the user triggered, the
upload, widget values and queued messages kept."""

from pathlib import Path

import keras
import pytest
from apptools import (
    assert_clean,
    new_app,
    runs_of,
    spec_of,
    tiny_classification,
    tiny_spec,
)
from streamlit import config
from test_build import GOOD_CSV, upload_mode

from app.session import imported_model as imports
from rnnlab.experiments import load_data

VOWELS = Path(__file__).resolve().parents[1] / "fixtures" / "uea"  # a real excerpt of Japanese Vowels (README there)
FLASH_KEY = "rnnlab:flash"
UPLOAD_KEY = "rnnlab:uploaded_dataset"


def sidebar_experiment(at) -> str:
    """The sidebar's one-line experiment (spec.describe() in backticks)."""
    lines = [m.value for m in at.sidebar.markdown if m.value.startswith("`")]
    assert len(lines) == 1, [m.value for m in at.sidebar.markdown]
    return lines[0].strip("`")


# ------------------------------------------------------------------------------------------ limits


def test_each_uploader_states_its_own_limit():
    """The proto the browser draws from: "Limit 20MB per file" on the model uploaders, 50 on the data uploader."""
    server_limit = int(config.get_option("server.maxUploadSize"))  # 50 from .streamlit/config.toml
    assert (imports.MAX_MODEL_MB, imports.MAX_CHECKPOINT_MB, server_limit) == (20, 20, 50)
    at = upload_mode(new_app(tiny_spec(), page="build"))
    assert_clean(at)
    assert at.file_uploader(key="build_keras_upload").proto.max_upload_size_mb == imports.MAX_MODEL_MB
    assert at.file_uploader(key="build_tflearn_upload").proto.max_upload_size_mb == imports.MAX_CHECKPOINT_MB
    assert at.file_uploader(key="build_data_upload").proto.max_upload_size_mb == server_limit
    assert at.file_uploader(key="build_spec_upload").proto.max_upload_size_mb == server_limit
    captions = " ".join(c.value for c in at.caption)
    assert f"of at most {imports.MAX_MODEL_MB} MB" in captions
    assert f"At most {imports.MAX_CHECKPOINT_MB} MB in all" in captions
    assert f"Limits: {server_limit} MB per file" in captions


# ------------------------------------------------------------------------------- sidebar after upload


def test_the_sidebar_names_an_uploaded_csv_right_after_the_upload():
    at = upload_mode(new_app(tiny_spec(), page="build"))
    assert sidebar_experiment(at) == "sine: lstm(4)"
    # a widget value the upload must keep: regression, where the 0 / 1 labels would be read as classes
    at.selectbox(key="build_csv_task").set_value("regression").run()
    at.file_uploader(key="build_data_upload").set_value(("walks.csv", GOOD_CSV, "text/csv")).run()
    assert_clean(at)
    assert spec_of(at).dataset == "upload:walks.csv"
    assert sidebar_experiment(at) == "upload:walks.csv: lstm(4)"  # was still "sine: lstm(4)" until the next click
    assert at.selectbox(key="build_csv_task").value == "regression"
    assert [f.name for f in at.file_uploader(key="build_data_upload").value] == ["walks.csv"]
    assert at.session_state[UPLOAD_KEY].task == "regression"  # the kept widget value reached the loader
    # the page ran to its end: data preview, shapes and code are there
    assert any("12 training sequences" in m.value or "10 training sequences" in m.value for m in at.markdown)
    assert "datasets.load_csv('walks.csv'" in at.code[0].value
    # a later run changes nothing (the upload stays applied)
    at.run()
    assert_clean(at)
    assert sidebar_experiment(at) == "upload:walks.csv: lstm(4)"


def test_the_sidebar_names_an_uploaded_train_test_pair_right_after_the_upload():
    at = upload_mode(new_app(tiny_classification(), page="build"))
    at.file_uploader(key="build_data_upload").set_value(
        [(f.name, f.read_bytes(), "application/octet-stream") for f in sorted(VOWELS.glob("JapaneseVowels_*.ts"))]
    ).run()
    assert_clean(at)
    assert sidebar_experiment(at) == "upload:JapaneseVowels_TRAIN.ts+JapaneseVowels_TEST.ts: lstm(4, dynamic)"
    at.run()
    assert sidebar_experiment(at) == "upload:JapaneseVowels_TRAIN.ts+JapaneseVowels_TEST.ts: lstm(4, dynamic)"


def test_a_second_upload_is_named_at_once_too_and_messages_are_kept():
    at = upload_mode(new_app(tiny_spec(), page="build"))
    at.file_uploader(key="build_data_upload").set_value(("walks.csv", GOOD_CSV, "text/csv")).run()
    assert sidebar_experiment(at) == "upload:walks.csv: lstm(4)"
    # a message queued for the next run (state.flash) is shown there, once
    at.session_state[FLASH_KEY] = [("warning", "A message queued before the upload.")]
    at.file_uploader(key="build_data_upload").set_value(("other.csv", GOOD_CSV, "text/csv")).run()
    assert_clean(at)
    assert sidebar_experiment(at) == "upload:other.csv: lstm(4)"
    assert [w.value for w in at.warning if w.value.startswith("A message")] == ["A message queued before the upload."]
    at.run()
    assert not [w.value for w in at.warning if w.value.startswith("A message")]  # shown once, not kept forever


def test_a_refused_upload_keeps_the_sidebar_and_the_error():
    at = upload_mode(new_app(tiny_spec(), page="build"))
    at.file_uploader(key="build_data_upload").set_value(("broken.csv", b"sequence_id,t,a,label\n1,0,abc,0\n",
                                                         "text/csv")).run()
    assert not at.exception
    assert any("broken.csv" in e.value for e in at.error)  # nothing wiped it
    assert sidebar_experiment(at) == "sine: lstm(4)"


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_sidebar_names_an_imported_model_as_soon_as_it_is_opened(tmp_path):
    spec = tiny_classification()
    at = new_app(spec, page="build")
    _, test = load_data(spec)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, test.n_features))
    model = keras.Model(inputs, keras.layers.Dense(test.n_classes, activation="softmax")(keras.layers.LSTM(3)(inputs)))
    path = tmp_path / "mine.keras"
    model.save(path)
    at.file_uploader(key="build_keras_upload").set_value(("mine.keras", path.read_bytes(), "x")).run()
    assert_clean(at)
    at.button(key="build_open_imported_keras").click().run()
    assert_clean(at)
    run = runs_of(at)[-1]
    assert f"Inspecting run {run.label}: lstm(3) > dense(2)" in [c.value for c in at.sidebar.caption]
    assert any(f"as run {run.label}" in s.value for s in at.success)


# ------------------------------------------------------------------------------- sidebar after any edit


def test_the_sidebar_names_an_edited_layer_in_the_same_run():
    """Any change the page makes to the experiment (here a layer's n_units on the Build page) is in the sidebar's
    one-line experiment in the same script run: the router draws the summary again after the page."""
    from test_build import widget

    at = new_app(tiny_spec(), page="build")
    assert sidebar_experiment(at) == "sine: lstm(4)"
    widget(at, "number_input", "_l0_units").set_value(7).run()
    assert_clean(at)
    assert spec_of(at).layers[0].n_units == 7
    assert sidebar_experiment(at) == "sine: lstm(7)"  # was "sine: lstm(4)" until the next click
    downloads = [b for b in at.sidebar.get("download_button") if b.label == "Download spec JSON"]
    assert len(downloads) == 1  # the summary is replaced in its slot, not drawn twice
    at.run()
    assert sidebar_experiment(at) == "sine: lstm(7)"


def test_the_sidebar_names_a_trained_runs_layers_once():
    """A run trained here is labelled '#1 <spec.describe()>', which names its layers already: the sidebar says
    'Inspecting run #1 sine: lstm(4)', not '... lstm(4): lstm(4)'."""
    from apptools import train

    at = train(new_app(tiny_spec()))
    (run,) = runs_of(at)
    captions = [c.value for c in at.sidebar.caption if c.value.startswith("Inspecting run")]
    assert captions == [f"Inspecting run {run.label}"] and run.label.endswith(run.layers_text()), captions
