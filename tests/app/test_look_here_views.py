"""Look here opens the view the lesson's words describe: the forget-gate units its evidence names chosen in the
Gates page's intervention panel, the vowels lesson's trajectories coloured by label; and the States page tells an
imported model (never trained here) apart from a run trained without snapshots.

Truth: evidence_for (rnnlab, run here on the session's own run) for the units; the test split's own labels for the
colours; the page's captions for what it says.
"""

import numpy as np
import pytest
from apptools import assert_clean, chart, go, new_app, runs_of, tiny_classification, train
from test_imported_model import keras_file, lstm_gru_model, open_run, upload_model

from app.session import experiment
from rnnlab.experiments import PRESETS, LayerSpec, evidence_for, lessons, load_data


@pytest.fixture
def tiny_presets(monkeypatch):
    """forget_gate and japanese_vowels with a tiny budget (1 epoch; flip-flop on 64 sequences, vowels with LSTM(8)),
    so they train in seconds; a run still belongs to the lesson (app/session/lesson_runs.py: same spec apart from
    seed and epochs, compared with PRESETS as patched here)."""
    flip_flop = PRESETS["forget_gate"]
    monkeypatch.setitem(PRESETS, "forget_gate", flip_flop.replace(
        epochs=1, dataset_options={**flip_flop.dataset_options, "n_samples": 64, "n_test": 16}))
    vowels = PRESETS["japanese_vowels"]
    monkeypatch.setitem(PRESETS, "japanese_vowels", vowels.replace(
        epochs=1, layers=(LayerSpec("lstm", 8, dynamic=True),)))
    return PRESETS


def lesson_trained_then_look_here(key: str):
    """A session that trained the lesson's (patched) preset, then pressed Look here on its Lessons card -> (app,
    the Evidence rnnlab measures on that run)."""
    lesson = lessons.by_key(key)
    at = new_app(PRESETS[lesson.preset], lesson=key)
    train(at)
    (run,) = runs_of(at)
    found = evidence_for(lesson, {lesson.preset: run})
    go(at, "lessons").button(key=f"lessons_look_{key}").click().run()
    assert_clean(at)
    return at, run, found


def test_look_here_on_the_forget_gate_lesson_chooses_the_evidences_units_for_the_intervention(tiny_presets):
    at, _, found = lesson_trained_then_look_here("forget_gate")
    assert found.focus is not None and found.focus.units, found
    assert at.selectbox(key="gates_layer").value == found.focus.layer
    named = list(dict.fromkeys(found.focus.units))  # a unit that holds two bits is one choice
    assert all(str(u) in found.sentence for u in named)  # the units the sentence names ...
    units = next(m for m in at.multiselect if m.key == f"gates_iv_units_{found.focus.layer}")
    assert units.value == named  # ... are the ones the intervention panel starts with
    assert at.query_params["gt_units"] == ",".join(map(str, named))  # and the link keeps them


def test_look_here_on_the_vowels_lesson_colours_the_trajectories_by_speaker(tiny_presets):
    at, run, _ = lesson_trained_then_look_here("vowels")
    assert at.title[0].value == "States"
    assert at.radio(key="states_colour").value == "label"
    go(at, "states")  # AppTest reruns the page it last switched to, so switch to the page Look here opened
    assert at.radio(key="states_colour").value == "label"
    drawn = next(s for s in at.slider if s.key.startswith("states_n_samples_"))
    drawn.set_value(drawn.max).run()  # every probed utterance: the pool takes the speakers in turn
    assert_clean(at)
    fig = chart(at, "state_trajectories")
    paths = [t for t in fig["data"] if "legendgroup" in t]  # one trajectory per sample drawn, in sample order
    labels = np.asarray(experiment.probe_pool(run).y)[: len(paths)]  # the pool's speakers, sample by sample
    assert len(paths) >= 9 and len(set(labels.tolist())) == 9  # every speaker, though the test file is sorted by one
    assert [t["legendgroup"] for t in paths] == [f"label {y}" for y in labels]
    colour_of = {}
    for trace, y in zip(paths, labels.tolist()):
        assert trace["marker"]["color"] == trace["line"]["color"]
        colour_of.setdefault(y, trace["marker"]["color"])
        assert trace["marker"]["color"] == colour_of[y]  # one colour per speaker ...
    assert len(set(colour_of.values())) == len(colour_of)  # ... and a different one for each


def test_states_page_says_an_imported_model_has_no_training_snapshots(tmp_path):
    spec = tiny_classification()
    at = new_app(spec, page="build")
    _, test = load_data(spec)
    upload_model(at, "lstm_gru.keras", keras_file(tmp_path, lstm_gru_model(test.n_features, test.n_classes),
                                                  "lstm_gru.keras"))
    open_run(at, "keras")
    go(at, "states")
    assert_clean(at)
    captions = " ".join(c.value for c in at.caption)
    assert "imported model was not trained here, so it has no training snapshots" in captions
    assert "snapshot every k epochs" not in captions  # no advice to retrain a model that was not trained here
    assert chart(at, "state_trajectories")["data"]  # its states still show
    assert chart(at, "state_heatmap")["data"]
