"""Train page: start / stop, progress and curves, final metrics, downloads, divergence; session isolation."""

import numpy as np

from apptools import (
    JOB_KEY,
    assert_clean,
    chart,
    go,
    new_app,
    runs_of,
    spec_of,
    start_long_training,
    tiny_spec,
    trace_types,
    train,
    wait_training,
)

from rnnlab.experiments import LayerSpec


def test_settings_widgets_drive_the_spec():
    at = new_app(tiny_spec(), page="train")
    assert_clean(at)
    key = lambda name: next(w for w in at.number_input if w.key and w.key.startswith(f"train_{name}_"))  # noqa: E731
    key("epochs").set_value(3).run()
    key("lr").set_value(0.02).run()
    at.selectbox(key=next(w.key for w in at.selectbox if w.key.startswith("train_optimizer_"))).set_value("rmsprop").run()
    spec = spec_of(at)
    assert (spec.epochs, spec.learning_rate, spec.optimizer) == (3, 0.02, "rmsprop")
    assert at.query_params["epochs"] == "3" and at.query_params["optimizer"] == "rmsprop"


def test_train_shows_curves_metrics_and_downloads():
    at = new_app(tiny_spec(), page="train")
    at.button(key="train_start").click().run()
    assert at.session_state[JOB_KEY] is not None
    wait_training(at)
    assert_clean(at)
    curves = chart(at, "training_curves")
    names = [t["name"] for t in curves["data"]]
    assert {"loss", "val_loss", "mae", "val_mae"} <= set(names)
    assert "seconds" not in names
    assert curves["layout"]["xaxis"]["title"]["text"] == "epoch"
    assert [m.label for m in at.metric][:4] == ["loss", "mae", "val_loss", "val_mae"]
    assert any("Trained 2 epochs" in s.value for s in at.success)
    labels = [b.label for b in at.get("download_button")]
    assert "Download the trained model (.keras)" in labels and "Download the history (CSV)" in labels
    (run,) = runs_of(at)
    assert len(run.history) == 2 and run.spec == tiny_spec()
    data = run.model_file  # what the model download button hands out: made when the training ended
    assert data is not None
    assert data[:2] == b"PK"  # a .keras file is a zip archive
    import tempfile

    import keras

    with tempfile.NamedTemporaryFile(suffix=".keras") as handle:
        handle.write(data)
        handle.flush()
        again = keras.models.load_model(handle.name, safe_mode=True)
    pool = run.data[1]
    np.testing.assert_allclose(again(pool.x[:4]), run.model(pool.x[:4]), rtol=1e-5, atol=1e-6)


def test_progress_while_training_and_stop_keeps_finished_epochs():
    at, job = start_long_training()
    at.run()
    assert any("epoch" in p.proto.text for p in at.get("progress"))
    assert at.button(key="train_start").disabled
    at.button(key="train_stop").click().run()
    wait_training(at)
    assert not at.exception
    assert any("Stopped on request" in w.value for w in at.warning)
    (run,) = runs_of(at)
    assert 1 <= len(run.history) < 400 and run.stopped_early


def test_divergence_is_an_error_in_the_page_and_keeps_the_last_good_epoch():
    at = new_app(tiny_spec(optimizer="sgd", learning_rate=1e6, epochs=3), page="train")
    at.button(key="train_start").click().run()
    wait_training(at)
    assert not at.exception
    assert any("the loss became" in e.value for e in at.error)
    assert spec_of(at).learning_rate == 1e6  # the user's settings stay


def test_invalid_spec_does_not_start_and_says_why():
    at = new_app(tiny_spec(layers=(LayerSpec("lstm", 4, return_seq=True),)), page="train")
    at.button(key="train_start").click().run()
    assert not at.exception
    assert any("return_seq" in e.value for e in at.error)
    assert at.session_state[JOB_KEY] is None if JOB_KEY in at.session_state else True


def test_two_sessions_do_not_see_each_other():
    first = train(new_app(tiny_spec()))
    second = new_app(tiny_spec(seed=3))
    assert len(runs_of(first)) == 1 and runs_of(second) == []
    go(second, "states")
    assert not second.exception
    assert any("needs a trained model" in i.value for i in second.info)
    assert not second.get("plotly_chart")
    assert spec_of(second).seed == 3 and spec_of(first).seed == 0
    go(first, "states")
    assert chart(first, "state_heatmap")
    assert trace_types(chart(first, "state_heatmap")) == ["heatmap", "heatmap"]  # states + the input strip
