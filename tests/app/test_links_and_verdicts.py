"""Links a class can use and results that tell the truth.

- a saved run's link (?run=<id>) opens that trained model in a fresh session, and every inspection page shows it;
- a link to a run this server does not hold says so in the page;
- a link to an experiment not trained yet offers "Train this experiment" instead of an empty page;
- a training that does not beat the trivial predictor ends in a warning that says so, not a green "Trained".
"""

import numpy as np
from apptools import (JOB_KEY, array, assert_clean, chart, go, new_app, runs_of, spec_of, tiny_spec, train,
                      wait_training)

from rnnlab.experiments import baseline, load_data


def test_a_saved_runs_link_opens_the_trained_model_in_a_fresh_session(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path))
    spec = tiny_spec()
    teacher = train(new_app(spec))
    teacher.button(key="train_save_run").click().run()
    saved = runs_of(teacher)[-1]
    assert saved.store_id and teacher.query_params["run"] == saved.store_id
    shown = [c.value for c in teacher.get("code")]
    assert any(value.endswith(f"/?run={saved.store_id}") for value in shown), shown

    student = new_app(None, run=saved.store_id)  # nothing but the run id in the link
    assert_clean(student)
    (opened,) = runs_of(student)
    assert opened.store_id == saved.store_id and spec_of(student) == spec
    weights = [w for layer in saved.model.layers for w in layer.get_weights()]
    reopened = [w for layer in opened.model.layers for w in layer.get_weights()]
    assert len(weights) == len(reopened) and all((a == b).all() for a, b in zip(weights, reopened))
    go(student, "states")
    assert_clean(student)
    assert any(f"stored {saved.store_id}" in c.value for c in student.caption)  # the run banner names it
    go(student, "train")  # the teacher's curves, from the stored history: every epoch's loss, as trained
    assert_clean(student)
    curves = chart(student, "training_curves")
    loss = next(t for t in curves["data"] if t["name"] == "loss")
    np.testing.assert_allclose(array(loss["y"]), saved.history["loss"].to_numpy(), rtol=1e-6)


def test_a_runs_link_opens_the_page_it_was_shared_from_with_its_view_and_nothing_else():
    """Short enough to read out: the page the teacher is on, its view choices (the States page coloured by label)
    and the run id, no experiment parameters (the run brings its own); relative where the address is unknown."""
    from types import SimpleNamespace

    from app.session.run_store import link_to

    run = SimpleNamespace(store_id="20261203-1")
    assert link_to(run, "http://10.0.0.5:8501/train?seed=1&l0.n_units=8") == "http://10.0.0.5:8501/train?run=20261203-1"
    assert (link_to(run, "http://h:8501/states?seed=1&st_colour=label&present=1&st_sample=3")
            == "http://h:8501/states?st_colour=label&st_sample=3&run=20261203-1")
    assert link_to(run, "http://10.0.0.5:8501/") == "http://10.0.0.5:8501/?run=20261203-1"
    assert link_to(run, None) == "/?run=20261203-1"
    assert link_to(SimpleNamespace(store_id=None), "http://h/train") is None


def test_a_link_to_a_run_this_server_lacks_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path))
    at = new_app(None, run="20991231-000000-000-deadbeef")
    assert runs_of(at) == []
    assert any("not in this server's run store" in e.value for e in at.error)


def test_a_link_to_an_untrained_experiment_offers_to_train_it():
    spec = tiny_spec(seed=3)
    at = new_app(spec, page="states")  # a fresh browser: the spec is in the link, no run yet
    assert any("has not been trained" in i.value for i in at.info)
    at.button(key="need_run_train").click().run()  # -> the Train page, which starts the training
    assert at.session_state[JOB_KEY] is not None and at.session_state[JOB_KEY].spec == spec
    wait_training(at)
    assert_clean(at)
    assert len(runs_of(at)) == 1 and runs_of(at)[0].spec == spec


def test_a_run_that_does_not_beat_the_trivial_predictor_is_a_warning_not_a_success():
    # the adding task (targets near 1.0) with too small a step to learn anything: the untrained model's outputs
    # near 0 are far worse than always answering the training mean
    spec = tiny_spec(dataset="adding", learning_rate=1e-7, epochs=1)
    at = train(new_app(spec))
    run = runs_of(at)[-1]
    train_data, test_data = load_data(spec)
    assert run.final_metrics["val_loss"] >= baseline(train_data, test_data)["loss"]  # the premise, measured
    assert not at.success, [s.value for s in at.success]
    warnings = [w.value for w in at.warning]
    assert any("has not learned" in w and f"{run.final_metrics['val_loss']:.4g}" in w for w in warnings), warnings


def test_a_run_that_beats_the_trivial_predictor_says_by_how_much():
    spec = tiny_spec(epochs=8, learning_rate=0.02)
    at = train(new_app(spec))
    run = runs_of(at)[-1]
    train_data, test_data = load_data(spec)
    base = baseline(train_data, test_data)["loss"]
    assert run.final_metrics["val_loss"] < base  # the premise, measured
    assert any(f"{base / run.final_metrics['val_loss']:.4g}x below" in s.value for s in at.success)
    curves = chart(at, "training_curves")  # the trivial predictor drawn where the curves must go below it
    assert abs(curves["layout"]["meta"]["baseline"]["loss"] - base) < 1e-9
