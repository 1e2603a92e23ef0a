"""The probe pool the States, Gates and Gradients pages share (app/session/experiment.py): for classification it
takes the classes in turn, so the Japanese Vowels pages see all nine speakers (the test file lists them one after
another); regression keeps the first PROBE_SAMPLES sequences in file order. A lesson's focus sample (an index into
the test split) still opens the same sequence in that pool (app/session/lesson_runs.py).

Truth: the test split's own labels and arrays (load_data), and the lessons' claims (rnnlab.experiments.claims).
"""

from types import SimpleNamespace

import numpy as np
from apptools import tiny_spec

from app.services import PROBE_SAMPLES
from app.session import experiment, lesson_runs
from rnnlab.experiments import PRESETS, Focus, load_data


def run_on(spec):
    """A session run as far as the pool looks at it: its spec and the (train, test) data it trained on."""
    return SimpleNamespace(spec=spec, data=load_data(spec), snapshots={}, snapshot_indices=())


def test_the_vowels_pool_holds_every_speaker_and_starts_with_the_files_first_utterance():
    run = run_on(PRESETS["japanese_vowels"])
    _, test = run.data
    assert sorted(set(test.y[:PROBE_SAMPLES].tolist())) == [0, 1]  # the first 48: speakers 1 and 2 only
    pool = experiment.probe_pool(run)
    index = list(experiment.pool_indices(run))
    assert pool.n_samples == len(index) == PROBE_SAMPLES
    assert sorted(set(pool.y.tolist())) == list(range(9))  # all nine speakers
    assert np.bincount(pool.y).tolist() == [6, 6, 6, 5, 5, 5, 5, 5, 5]
    assert sorted(set(pool.y[:9].tolist())) == list(range(9))  # the first samples drawn are nine speakers
    np.testing.assert_array_equal(pool.x, test.x[index])  # sample b is test sequence index[b]
    np.testing.assert_array_equal(pool.y, test.y[index])
    assert pool.sequence_ids == tuple(test.sequence_ids[i] for i in index)
    assert index[0] == 0 and pool.sequence_ids[0] == "test 0"


def test_a_regression_pool_is_still_the_first_48_test_sequences_in_file_order():
    run = run_on(tiny_spec(dataset_options={"n_samples": 128, "n_test": 64}))
    _, test = run.data
    assert experiment.pool_indices(run) == tuple(range(PROBE_SAMPLES))
    pool = experiment.probe_pool(run)
    np.testing.assert_array_equal(pool.x, test.x[:PROBE_SAMPLES])
    np.testing.assert_array_equal(pool.y, test.y[:PROBE_SAMPLES])


def test_a_run_without_test_data_probes_its_training_data():
    spec = tiny_spec()
    train, test = load_data(spec)
    run = SimpleNamespace(spec=spec, data=(train, test.subset(np.zeros(0, np.int64))))
    pool = experiment.probe_pool(run)
    np.testing.assert_array_equal(pool.x, train.x[:PROBE_SAMPLES])


def test_a_lessons_focus_sample_opens_the_same_sequence_in_the_pool():
    pool = (0, 31, 66, 154, 1, 32)  # test indices, as the pool lists them
    views = lesson_runs.focus_views("states.py", Focus(layer="LSTM", sample=31), pool)
    assert views == {"st_layer": "LSTM", "st_sample": "1"}  # test sequence 31 is the pool's sample 1
    assert lesson_runs.focus_views("gates.py", Focus(layer="LSTM", sample=32), pool)["gt_sample"] == "5"
    assert "st_sample" not in lesson_runs.focus_views("states.py", Focus(layer="LSTM", sample=2), pool)  # not in it
    assert lesson_runs.focus_views("states.py", Focus(layer="LSTM", sample=0), pool)["st_sample"] == "0"
    first = tuple(range(PROBE_SAMPLES))  # regression / sequence labelling: position = test index, as before
    assert lesson_runs.focus_views("states.py", Focus(layer="GRU", sample=47), first)["st_sample"] == "47"
    assert "st_sample" not in lesson_runs.focus_views("states.py", Focus(layer="GRU", sample=48), first)


def test_the_vowels_lessons_focus_is_the_pools_sample_0_the_files_first_utterance():
    """vowels_claim's Focus names test sequence 0 (rnnlab/experiments/claims.py); the pool keeps it at sample 0."""
    run = run_on(PRESETS["japanese_vowels"])
    pool = experiment.pool_indices(run)
    assert lesson_runs.focus_views("states.py", Focus(layer="LSTM", sample=0), pool)["st_sample"] == "0"
    np.testing.assert_array_equal(experiment.probe_pool(run).x[0], run.data[1].x[0])


def test_snapshots_are_replayed_only_when_they_recorded_the_pools_sequences():
    def trace(batch):
        return SimpleNamespace(layers={"LSTM": SimpleNamespace(valid=np.ones((batch, 3), bool))})

    run = run_on(PRESETS["japanese_vowels"])
    pool = experiment.pool_indices(run)
    run.snapshots, run.snapshot_indices = {0: trace(48), 1: trace(48)}, pool
    assert experiment.pool_snapshots(run) == run.snapshots
    run.snapshot_indices = pool[:4]  # the pool's first ones: sample b is still the pool's sample b
    assert experiment.pool_snapshots(run) == run.snapshots
    run.snapshot_indices = tuple(range(48))  # the first 48 test sequences: other sequences
    assert experiment.pool_snapshots(run) == {}
    run.snapshot_indices = ()  # not recorded: the first B, the old rule
    assert experiment.pool_snapshots(run) == {}
    regression = run_on(tiny_spec(dataset_options={"n_samples": 128, "n_test": 64}))
    regression.snapshots = {0: trace(4)}
    assert experiment.pool_snapshots(regression) == regression.snapshots  # first 4 = the pool's first 4
