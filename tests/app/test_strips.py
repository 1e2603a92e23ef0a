"""The sample's input (and target) strips on the States / Gates / Gradients pages, colour by label per step, the
fewer-samples default of the PCA panel, and the Gradients page's lesson default (two trained runs)."""

import numpy as np
import pytest
from apptools import (
    array,
    assert_clean,
    chart,
    go,
    new_app,
    runs_of,
    spec_of,
    tiny_classification,
    tiny_spec,
    title,
    train,
    wait_training,
)

from app.session import experiment
from rnnlab.experiments import PRESETS, LayerSpec


def strips_of(fig: dict) -> dict:
    """strip kind ('input' / 'target') -> its trace, in a figure's JSON."""
    return {t["meta"]["strip"]: t for t in fig["data"] if isinstance(t.get("meta"), dict) and "strip" in t["meta"]}


def sample_box(at, prefix: str):
    return next(s for s in at.selectbox if s.key and s.key.startswith(prefix))


def assert_strip_is_sample(strip: dict, x: np.ndarray, length: int) -> None:
    """The strip's z [D, T] is the sample's x [T, D] on its real steps, blank after; x values are the steps."""
    z = array(strip["z"]).astype(float)
    np.testing.assert_allclose(z[:, :length], x[:length].T, rtol=1e-6)
    assert np.isnan(z[:, length:]).all()
    np.testing.assert_array_equal(array(strip["x"]), np.arange(x.shape[0]))


@pytest.fixture(scope="module")
def walks():
    at = new_app(tiny_classification(epochs=1))
    train(at)
    assert_clean(at)
    return at


def test_states_and_gates_draw_the_chosen_samples_input(walks):
    test_set = experiment.probe_pool(runs_of(walks)[-1])  # the pages' samples b = 0, 1, ...
    at = go(walks, "states")
    for b in (0, 3):
        sample_box(at, "states_sample_").set_value(b).run()
        assert_clean(at)
        heatmap = chart(at, "state_heatmap")
        strip = strips_of(heatmap)["input"]
        assert strip["y"] == ["value"]  # the feature's name labels the row
        assert_strip_is_sample(strip, test_set.x[b], int(test_set.lengths[b]))
        assert heatmap["data"][0]["xaxis"] in (None, "x")  # the heatmap keeps its own axes
    at = go(at, "gates")
    sample_box(at, "gates_sample_").set_value(5).run()
    assert_clean(at)
    gates = chart(at, "gate_heatmaps")
    assert [t["name"] for t in gates["data"] if "strip" not in (t.get("meta") or {})] == [
        "input", "forget", "output", "candidate"]
    assert_strip_is_sample(strips_of(gates)["input"], test_set.x[5], int(test_set.lengths[5]))


def test_pca_draws_fewer_samples_by_default_and_says_so(walks):
    at = go(walks, "states")
    slider = next(s for s in at.slider if s.key.startswith("states_n_samples_"))
    assert slider.value == 6 and slider.label == "Samples drawn"  # 16 walks of up to 50 steps
    assert any("6 of 16 samples drawn by default" in c.value for c in at.caption)
    pca = chart(at, "state_trajectories")
    assert len(pca["data"]) == 6 and pca["layout"]["meta"]["samples_drawn"] == 6
    slider.set_value(16).run()
    assert len(chart(at, "state_trajectories")["data"]) == 16


def test_gradients_without_a_lesson_compare_untrained_kinds_under_the_chosen_samples_input(walks):
    test_set = experiment.probe_pool(runs_of(walks)[-1])  # the pages' samples b = 0, 1, ...
    at = go(walks, "gradients")
    assert_clean(at)
    assert not any("Lesson" in i.value for i in at.info)
    assert "untrained" in next(r for r in at.radio if r.key.startswith("grad_mode_")).value
    sample_box(at, "grad_sample_").set_value(2).run()
    assert_clean(at)
    single = chart(at, "gradient_norms")
    assert single["layout"]["meta"]["sample"] == 2 and any(t["name"] == "LSTM: sample 2" for t in single["data"])
    assert_strip_is_sample(strips_of(single)["input"], test_set.x[2], int(test_set.lengths[2]))
    side = chart(at, "gradient_norms_side_by_side")  # both untrained models read the same samples
    strips = [t for t in side["data"] if (t.get("meta") or {}).get("strip") == "input"]
    assert len(strips) == 2
    for strip in strips:
        assert_strip_is_sample(strip, test_set.x[2], int(test_set.lengths[2]))


def test_parity_strips_show_the_target_and_points_take_their_steps_label():
    spec = tiny_spec(dataset="parity", dataset_options={"n_samples": 64, "n_test": 16},
                     layers=(LayerSpec("gru", 4, return_seq=True),), epochs=1)
    at = train(new_app(spec))
    test_set = runs_of(at)[-1].data[1]
    go(at, "states")
    assert_clean(at)
    strips = strips_of(chart(at, "state_heatmap"))
    assert_strip_is_sample(strips["input"], test_set.x[0], 20)
    np.testing.assert_array_equal(array(strips["target"]["z"]).astype(float)[0], test_set.y[0])
    assert strips["target"]["customdata"][0][:3] == [["even", "odd"][v] for v in test_set.y[0, :3]]
    at.radio(key="states_colour").set_value("label").run()
    assert_clean(at)
    pca = chart(at, "state_trajectories")
    legend = {t["name"]: t["marker"]["color"] for t in pca["data"] if t.get("showlegend")}
    assert set(legend) == {"label even", "label odd"}  # the class names, as in the target strip
    for b in range(pca["layout"]["meta"]["samples_drawn"]):
        colours = pca["data"][b]["marker"]["color"]
        assert colours == [legend[f"label {['even', 'odd'][v]}"] for v in test_set.y[b]]  # odd steps: odd's colour
    go(at, "gates")
    assert_clean(at)
    np.testing.assert_array_equal(array(strips_of(chart(at, "gate_heatmaps"))["target"]["z"]).astype(float)[0],
                                  test_set.y[0])


@pytest.fixture
def tiny_adding(monkeypatch):
    """The adding lesson's two presets with a tiny budget (64 sequences, 1 epoch), so they train in seconds; a run
    belongs to a preset when its spec equals the preset's apart from seed and epochs (app/session/lesson_runs.py)."""
    for name in ("adding_lstm", "adding_simple_rnn"):
        spec = PRESETS[name]
        monkeypatch.setitem(PRESETS, name, spec.replace(
            epochs=1, dataset_options={**spec.dataset_options, "n_samples": 64, "n_test": 16}))
    return PRESETS


def test_gradients_default_to_the_adding_lessons_two_trained_runs(tiny_adding):
    at = new_app(tiny_adding["adding_lstm"], lesson="adding")
    train(at)
    go(at, "gradients")
    assert_clean(at)
    hint = next(i.value for i in at.info if "train both adding_lstm and adding_simple_rnn" in i.value)
    assert hint.endswith("Not trained yet: adding_simple_rnn. Until then the default is two untrained layer kinds.")
    assert "untrained" in next(r for r in at.radio if r.key.startswith("grad_mode_")).value
    # the lesson's companion: its "Load and train the SimpleRNN" button loads it and starts training it (no Start)
    lessons_page = go(at, "lessons")
    assert lessons_page.button(key="lessons_adding_simple_rnn").label == "Load and train the SimpleRNN"
    lessons_page.button(key="lessons_adding_simple_rnn").click().run()
    assert spec_of(at) == tiny_adding["adding_simple_rnn"]
    assert at.session_state["rnnlab:training_job"].spec == tiny_adding["adding_simple_rnn"]  # started by the button
    wait_training(at)
    lstm_run, rnn_run = runs_of(at)
    go(at, "gradients")
    assert_clean(at)
    assert not any("train both" in i.value for i in at.info)
    assert next(r for r in at.radio if r.key.startswith("grad_mode_")).value == "Two trained runs of this session"
    side = chart(at, "gradient_norms_side_by_side")
    assert title(side) == f"||dL/dh_t||: {lstm_run.label} vs {rnn_run.label}"
    legend = [t["name"] for t in side["data"] if t.get("showlegend", True) is not False]
    assert "LSTM" in legend and "SimpleRNN" in legend
    # both runs read the same adding data: the chosen sample's input (with its two markers) above both panels
    test_set = lstm_run.data[1]
    strips = [t for t in side["data"] if (t.get("meta") or {}).get("strip") == "input"]
    assert len(strips) == 2
    for strip in strips:
        assert strip["y"] == ["value", "marker"]
        assert_strip_is_sample(strip, test_set.x[0], 50)
        marker = array(strip["z"]).astype(float)[1]
        assert np.count_nonzero(marker == 1.0) == 2
    single = chart(at, "gradient_norms")
    assert_strip_is_sample(strips_of(single)["input"], test_set.x[0], 50)
