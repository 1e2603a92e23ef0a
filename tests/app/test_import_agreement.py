"""Bring your model: opening a .keras file as a run measures, on the run's own data, whether the converted model's
predictions equal the Keras model's, and the Build page says so (success), or names the rows that differ and why
(a Masking(0.0) model on data with an all-zero step inside a sequence: Keras skips it, dynamic mode stops early).

Truth: Keras's own ``model.predict`` on the same arrays, and rnnlab.from_keras of the same model, run here outside the
app; the losses are computed here with NumPy from those predictions.
"""

import io

import keras
import numpy as np
from apptools import assert_clean, go, new_app, runs_of, tiny_classification
from test_imported_model import keras_file, open_run, upload_model

import rnnlab
from app.session.import_agreement import compare_predictions
from rnnlab.datasets.dataset import SequenceDataset
from rnnlab.experiments import load_data

TOL = 1e-4
N_TRAIN, N_TEST, T, D = 24, 10, 6, 2
INTERIOR_TEST = (2, 5, 7)  # test rows given an all-zero step inside the sequence
INTERIOR_TRAIN = (4,)


def masked_lstm(n_features: int, seed: int = 0, masking: bool = True) -> keras.Model:
    """The tester's model: Masking(0.0) -> LSTM(8) -> Dense(2, softmax) (without the Masking when masking=False)."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((None, n_features))
    net = keras.layers.Masking(0.0)(inputs) if masking else inputs
    net = keras.layers.LSTM(8, name="lstm")(net)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax", name="head")(net))


def walks(interior: bool):
    """-> (x [34, 6, 2] post-padded, y [34], ids): rows 0..23 train, 24..33 test; with ``interior``, test rows 2, 5, 7
    and training row 4 get an all-zero step at t=1 (each has at least 4 real steps)."""
    rng = np.random.default_rng(11)
    n = N_TRAIN + N_TEST
    x = rng.normal(size=(n, T, D)).astype(np.float32)
    lengths = rng.integers(4, T + 1, size=n)
    x[np.arange(T)[None, :] >= lengths[:, None]] = 0.0
    if interior:
        for row in [N_TRAIN + r for r in INTERIOR_TEST] + list(INTERIOR_TRAIN):
            x[row, 1] = 0.0
    y = rng.integers(0, 2, size=n)
    return x, y, tuple(f"s{i:02d}" for i in range(n))


def npz_bytes(x, y, ids) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=y, sequence_ids=np.array(ids), split=np.array([0] * N_TRAIN + [1] * N_TEST))
    return buffer.getvalue()


def app_with_walks(interior: bool):
    at = new_app(tiny_classification(), page="build")
    at.radio[0].set_value("Your own file (CSV / NPZ)").run()
    at.file_uploader(key="build_data_upload").set_value(
        [("walks.npz", npz_bytes(*walks(interior)), "application/zip")]).run()
    assert_clean(at)
    return at


def texts(elements) -> str:
    return "\n".join(e.value for e in elements)


def cross_entropy(p, y) -> float:
    return float(-np.log(np.clip(p[np.arange(len(p)), y.astype(int)], 1e-7, 1.0)).mean())


# --------------------------------------------------------------------------------------------- the function


def test_compare_predictions_names_the_rows_with_an_interior_zero_step_and_its_max_difference():
    original = masked_lstm(D)
    x, y, ids = walks(interior=True)
    x, y, ids = x[N_TRAIN:], y[N_TRAIN:], ids[N_TRAIN:]
    data = SequenceDataset("walks", x, y, np.full(len(x), T), "classification", 2, sequence_ids=ids)
    converted = rnnlab.from_keras(original)
    # Keras's own predictions against the converted model's, here
    gap = np.abs(original.predict(x, verbose=0) - converted.predict(x, verbose=0)).max(axis=1)
    assert tuple(np.flatnonzero(gap > TOL)) == INTERIOR_TEST  # the data does what the test means it to

    found = compare_predictions(original, converted, data)
    assert (found.split, found.n_rows, found.tolerance) == ("test", N_TEST, TOL)
    assert found.rows == INTERIOR_TEST and not found.agrees
    assert found.ids == tuple(ids[r] for r in INTERIOR_TEST) == ("s26", "s29", "s31")
    assert found.interior_zeros == ((1,), (1,), (1,)) and found.explained == INTERIOR_TEST
    np.testing.assert_allclose(found.max_difference, gap.max(), rtol=1e-6, atol=1e-7)
    assert found.row_names(limit=2) == "row 2 (id s26), row 5 (id s29) ... and 1 more"

    # without the Masking layer nothing is dynamic: the same data, every row agrees
    plain = masked_lstm(D, masking=False)
    same = compare_predictions(plain, rnnlab.from_keras(plain), data)
    assert same.agrees and same.rows == () and same.n_rows == N_TEST and same.max_difference <= TOL


# --------------------------------------------------------------------------------------------- the page


def test_interior_zero_steps_the_page_warns_names_the_rows_and_keeps_keras_numbers_beside(tmp_path, monkeypatch):
    at = app_with_walks(interior=True)
    original = masked_lstm(D)
    upload_model(at, "m.keras", keras_file(tmp_path, original, "m.keras"))
    assert_clean(at)
    assert "Opening it as a run compares the converted model's predictions" in texts(at.caption)
    run = open_run(at, "keras")
    train, test = run.data
    assert test.sequence_ids == tuple(f"s{i:02d}" for i in range(N_TRAIN, N_TRAIN + N_TEST))

    # independent: Keras's predict and the converted model's on the run's test and training rows
    converted = rnnlab.from_keras(original)
    keras_test = original.predict(test.x, verbose=0)
    gap_test = np.abs(keras_test - converted.predict(test.x, verbose=0)).max(axis=1)
    gap_train = np.abs(original.predict(train.x, verbose=0) - converted.predict(train.x, verbose=0)).max(axis=1)
    assert tuple(np.flatnonzero(gap_test > TOL)) == INTERIOR_TEST
    assert tuple(np.flatnonzero(gap_train > TOL)) == INTERIOR_TRAIN

    tested, trained = run.agreement
    assert tested.rows == INTERIOR_TEST and tested.ids == ("s26", "s29", "s31")
    np.testing.assert_allclose(tested.max_difference, gap_test.max(), rtol=1e-5, atol=1e-7)
    assert trained.rows == INTERIOR_TRAIN and trained.ids == ("s04",) and trained.n_rows == N_TRAIN
    np.testing.assert_allclose(trained.max_difference, gap_train.max(), rtol=1e-5, atol=1e-7)

    # the numbers: the converted model's as final_metrics, the Keras model's beside them
    ours = converted.predict(test.x, verbose=0)
    assert abs(run.final_metrics["val_loss"] - cross_entropy(ours, test.y)) < 1e-4
    assert abs(run.keras_metrics["val_loss"] - cross_entropy(keras_test, test.y)) < 1e-4
    assert run.keras_metrics["val_accuracy"] == np.mean(keras_test.argmax(-1) == test.y)
    assert run.keras_metrics["val_loss"] != run.final_metrics["val_loss"]

    warning = texts(at.warning)
    assert f"differ from the Keras model's on 3 of {N_TEST} test rows" in warning, warning
    assert "row 2 (id s26), row 5 (id s29), row 7 (id s31)." in warning
    assert "all of them have an all-zero step before their last non-zero step (row 2: t=[1])" in warning
    assert "Keras's Masking skips such a step" in warning and "remove the all-zero steps inside sequences" in warning
    assert f"On the training split: 1 of {N_TRAIN} rows differ." in warning
    assert not any("equal the Keras model's" in s.value for s in at.success)
    caption = texts(at.caption)
    assert f"the Keras model in m.keras val_loss {run.keras_metrics['val_loss']:.4g}" in caption, caption
    assert f"the converted model (what the pages show) val_loss {run.final_metrics['val_loss']:.4g}" in caption

    go(at, "gates")  # every inspection page's caption names both numbers, not the converted model's as the file's
    assert_clean(at)
    assert (f"the Keras model val_loss {run.keras_metrics['val_loss']:.4g}" in texts(at.caption)
            and "(3 of 10 test rows differ)" in texts(at.caption)), texts(at.caption)

    # stored and shared: the room's copy says the same (the sentence and the Keras model's numbers travel with it)
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "store"))
    go(at, "train")
    at.button(key="train_save_run").click().run()
    assert_clean(at) and run.store_id
    student = new_app(None, run=run.store_id)
    assert_clean(student)
    (opened,) = runs_of(student)
    assert opened.keras_metrics == run.keras_metrics
    assert opened.agreement_message() == run.agreement_message()
    go(student, "gates")
    assert f"the Keras model val_loss {run.keras_metrics['val_loss']:.4g}" in texts(student.caption)


def test_without_interior_zeros_and_without_masking_the_page_says_every_row_agrees(tmp_path):
    at = app_with_walks(interior=False)
    upload_model(at, "m.keras", keras_file(tmp_path, masked_lstm(D), "m.keras"))
    run = open_run(at, "keras")
    assert [a.agrees for a in run.agreement] == [True, True] and run.keras_metrics == {}
    success = texts(at.success)
    assert (f"On your data the converted model's predictions equal the Keras model's on all {N_TEST} test rows"
            in success and f"and on all {N_TRAIN} training rows" in success), success
    assert not any("differ from the Keras model's" in w.value for w in at.warning)
    assert "the Keras model" not in run.summary()

    # a model without Masking on the sample data: the check still runs and every row agrees
    at = new_app(tiny_classification(), page="build")
    _, test = load_data(tiny_classification())
    upload_model(at, "plain.keras", keras_file(tmp_path, masked_lstm(test.n_features, masking=False), "plain.keras"))
    run = open_run(at, "keras")
    assert run.agreement and run.agreement[0].agrees and run.agreement[0].n_rows == test.n_samples
    assert f"equal the Keras model's on all {test.n_samples} test rows" in texts(at.success)
    assert len(runs_of(at)) == 1
