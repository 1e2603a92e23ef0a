"""The States page at a training snapshot says which model each thing on it is about: every chart title names the
epoch shown, the PCA axes say they are the final model's (with the final model's share of variance, and the
snapshot's own share in the meta), the run line and the lesson's check are said to be the final model's; the
legend names classes as the sample picker and the heatmap do; the PCA panel says which sequences it shows.

Truth: the run's own snapshot and final traces, an independent NumPy PCA (eigh of the covariance), the dataset's
class_names, the lesson's Evidence numbers.
"""

import numpy as np
import pytest
from apptools import assert_clean, chart, go, new_app, runs_of, tiny_classification, title, train

from app.session import experiment
from rnnlab.experiments import PRESETS, evidence_for, lessons


@pytest.fixture(scope="module")
def walks():
    at = new_app(tiny_classification(epochs=2))
    train(at)
    assert_clean(at)
    return at


def numpy_pca(points, k):
    """-> (components [k, n], share of the variance [k]) by eigh of the covariance, apart from rnnlab.plots."""
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(points, rowvar=False))
    return eigenvectors[:, ::-1][:, :k].T, eigenvalues[::-1][:k] / eigenvalues.sum()


def valid_h(trace, layer):
    record = trace.layers[layer]
    return np.asarray(record.quantities["h"])[np.asarray(record.valid)]  # [N, n]


def page_charts(at):
    return [chart(at, name) for name in ("state_heatmap", "unit_lines", "state_trajectories")]


def test_at_epoch_0_every_chart_names_the_epoch_and_the_pca_axes_say_they_are_the_final_models(walks):
    at = go(walks, "states")
    run = runs_of(at)[-1]
    layer = at.selectbox(key="states_layer").value
    final = at.session_state["rnnlab:memo"][("trace", run.run_id)]
    at.select_slider(key="states_epoch").set_value(0).run()
    assert_clean(at)
    assert all(title(fig).endswith(", epoch 0") for fig in page_charts(at)), [title(f) for f in page_charts(at)]

    pca = chart(at, "state_trajectories")
    components, final_share = numpy_pca(valid_h(final, layer), 2)
    assert pca["layout"]["xaxis"]["title"]["text"] == (
        f"PC1 of the final model's h ({100 * final_share[0]:.1f}% of its variance)")
    assert pca["layout"]["yaxis"]["title"]["text"] == (
        f"PC2 of the final model's h ({100 * final_share[1]:.1f}% of its variance)")
    early = valid_h(experiment.pool_snapshots(run)[0], layer)  # the states drawn at epoch 0
    centred = early - early.mean(axis=0)
    own = np.array([np.var(centred @ c) for c in components]) / np.var(centred, axis=0).sum()
    np.testing.assert_allclose(pca["layout"]["meta"]["variance_shown"], own, rtol=1e-4, atol=1e-6)
    assert any("PCA axes are fitted on the final model's h of all" in c.value for c in at.caption)

    notes = [i.value for i in at.info if "Epoch 0 is shown below" in i.value]
    assert len(notes) == 1 and f"about the final model ({run.summary()}), not this epoch" in notes[0]


def test_at_the_final_model_the_titles_say_so_and_the_axes_hold_its_own_variance(walks):
    at = go(walks, "states")
    run = runs_of(at)[-1]
    layer = at.selectbox(key="states_layer").value
    final = at.session_state["rnnlab:memo"][("trace", run.run_id)]
    at.select_slider(key="states_epoch").set_value("final").run()
    assert_clean(at)
    assert all(title(fig).endswith(", final model") for fig in page_charts(at))
    assert not any("is shown below" in i.value for i in at.info)
    pca = chart(at, "state_trajectories")
    _, share = numpy_pca(valid_h(final, layer), 2)
    assert pca["layout"]["xaxis"]["title"]["text"] == f"PC1 ({100 * share[0]:.1f}% of variance)"
    np.testing.assert_allclose(pca["layout"]["meta"]["variance_shown"], share, rtol=1e-4)


def test_the_pca_legend_names_a_class_as_the_heatmap_title_does(walks):
    at = go(walks, "states")
    run = runs_of(at)[-1]
    pool = experiment.probe_pool(run)
    assert pool.class_names == ("ends lower", "ends higher")
    at.radio(key="states_colour").set_value("label").run()
    assert_clean(at)
    pca = chart(at, "state_trajectories")
    drawn = pca["layout"]["meta"]["samples_drawn"]
    names = [f"label {pool.class_names[y]}" for y in np.asarray(pool.y)[:drawn]]
    assert [t["name"] for t in pca["data"][:drawn]] == names  # sample by sample, the dataset's class name
    assert f"label {pool.class_names[pool.y[0]]})" in title(chart(at, "state_heatmap"))  # sample 0, as in its title


@pytest.fixture
def tiny_sine(monkeypatch):
    """The sine lesson's preset on 400 sequences (80 test: the page probes 48, the claim measures 64), 1 epoch."""
    sine = PRESETS["sine"]
    monkeypatch.setitem(PRESETS, "sine", sine.replace(epochs=1, dataset_options={"n_samples": 400, "n_test": 80}))
    return PRESETS


def test_the_sine_lessons_pca_says_which_48_it_draws_beside_the_checks_64(tiny_sine):
    lesson = lessons.by_key("sine")
    at = new_app(PRESETS[lesson.preset], lesson="sine")
    train(at)
    (run,) = runs_of(at)
    found = evidence_for(lesson, {lesson.preset: run})
    assert int(found.numbers["sequences"]) == 64  # the claim's own count, unchanged
    go(at, "states")
    assert_clean(at)
    assert any(s.value.startswith(found.sentence) for s in [*at.success, *at.warning])  # the verdict above
    notes = [c.value for c in at.caption if c.value.startswith("The 48 samples are")]
    assert notes and notes[0].startswith(
        "The 48 samples are the first 48 test sequences; the lesson's check above measured 64"), notes
    at.select_slider(key="states_epoch").set_value(0).run()  # the verdict above is the final model's: said so
    assert_clean(at)
    assert any(i.value.startswith("Epoch 0 is shown below") and "the lesson's check above are about the final "
               "model" in i.value for i in at.info), [i.value for i in at.info]
