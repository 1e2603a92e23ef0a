"""The inspection pages' trace of a run trained in the session is its last training snapshot (no second probe),
and that shared trace is exactly what a fresh probe of the run's model returns; a retrained or stopped run never
gets another run's numbers. For classification the pool (and so the snapshots) takes the classes in turn
(rnnlab.datasets.dataset.probe_samples), and the sharing still holds."""

import numpy as np
from apptools import assert_clean, go, new_app, runs_of, tiny_classification, tiny_spec, train

import rnnlab
from app.session import experiment, jobs
from app.session.jobs import SNAPSHOT_SAMPLES
from app.services import PROBE_SAMPLES
from rnnlab.datasets.dataset import probe_samples
from rnnlab.experiments import PRESETS, LayerSpec, load_data
from rnnlab.experiments import train as train_run

MEMO = "rnnlab:memo"


def fresh_probe(run):
    pool = experiment.probe_pool(run)
    return rnnlab.probe(run.model, pool.x, pool.y, loss=experiment.loss_name(run, pool))


def assert_same_trace(got, expected) -> None:
    assert list(got.layers) == list(expected.layers)
    np.testing.assert_array_equal(got.output, expected.output)
    assert got.loss == expected.loss
    for name, record in expected.layers.items():
        mine = got.layers[name]
        assert list(mine.quantities) == list(record.quantities)
        for quantity, values in record.quantities.items():
            np.testing.assert_array_equal(mine.quantities[quantity], values, err_msg=f"{name} {quantity}")
        np.testing.assert_array_equal(mine.grad_norm, record.grad_norm)
        np.testing.assert_array_equal(mine.x, record.x)
        np.testing.assert_array_equal(mine.valid, record.valid)


def test_snapshots_probe_the_pages_pool():
    assert SNAPSHOT_SAMPLES == PROBE_SAMPLES  # one batch shape: the pages' probe reuses the snapshots' pass


def test_states_page_shows_the_final_snapshot_which_equals_a_fresh_probe_and_a_retrained_run_gets_its_own():
    spec = tiny_spec(epochs=2, dataset_options={"n_samples": 128, "n_test": 64})
    at = train(new_app(spec))
    go(at, "states")
    assert_clean(at)
    first = runs_of(at)[-1]
    assert first.final_snapshot == 2 and first.snapshot_indices == tuple(range(PROBE_SAMPLES))
    shown = at.session_state[MEMO][("trace", first.run_id)]
    assert shown is first.snapshots[2]  # shared, not probed again
    assert_same_trace(shown, fresh_probe(first))

    go(at, "train")
    next(n for n in at.number_input if n.key.startswith("train_seed_")).set_value(7)  # other weights
    at.run()
    train(at)
    go(at, "states")
    assert_clean(at)
    second = runs_of(at)[-1]
    assert second.run_id != first.run_id and second.model is not first.model
    retrained = at.session_state[MEMO][("trace", second.run_id)]
    assert retrained is second.snapshots[second.final_snapshot]
    assert_same_trace(retrained, fresh_probe(second))
    old = at.session_state[MEMO][("trace", first.run_id)]
    assert not np.array_equal(retrained.layers["LSTM"].quantities["h"], old.layers["LSTM"].quantities["h"])


def test_a_run_whose_weights_moved_after_its_last_snapshot_is_probed_afresh():
    spec = tiny_spec(epochs=3, dataset_options={"n_samples": 64, "n_test": 48})
    train_data, test_data = experiment.experiment_data(spec)
    result = train_run(spec, dataset=(train_data, test_data), snapshot_epochs=(0, 2), snapshot_samples=PROBE_SAMPLES)
    assert result.final_snapshot is None  # epoch 3 trained after the last snapshot
    from app.session.jobs import SessionRun

    run = SessionRun(run_id="r", label="r", spec=spec, model=result.model, history=result.history,
                     final_metrics=result.final_metrics, snapshots=result.snapshots,
                     snapshot_indices=result.snapshot_indices, data=(train_data, test_data), result=result,
                     final_snapshot=result.final_snapshot)
    pool = experiment.probe_pool(run)
    assert experiment.shared_final_trace(run, pool) is None
    stale = result.snapshots[2]
    fresh = fresh_probe(run)
    assert not np.array_equal(fresh.layers["LSTM"].quantities["h"], stale.layers["LSTM"].quantities["h"])

    # the same weights with a snapshot of the last epoch: shared, and equal to a fresh probe
    shared = train_run(spec, dataset=(train_data, test_data), snapshot_epochs=(0, 3), snapshot_samples=PROBE_SAMPLES)
    assert shared.final_snapshot == 3
    run.model, run.result, run.snapshots, run.final_snapshot = shared.model, shared, shared.snapshots, 3
    assert experiment.shared_final_trace(run, pool) is shared.snapshots[3]
    assert_same_trace(shared.snapshots[3], fresh_probe(run))
    # other samples than the pool's, or a model that is not the trained one: no sharing
    run.snapshot_indices = tuple(range(1, PROBE_SAMPLES + 1))
    assert experiment.shared_final_trace(run, pool) is None
    run.snapshot_indices, run.model = shared.snapshot_indices, result.model
    assert experiment.shared_final_trace(run, pool) is None


def test_a_training_stopped_inside_an_epoch_has_no_final_snapshot():
    spec = tiny_spec(epochs=3, dataset_options={"n_samples": 96, "n_test": 16})
    calls = []

    def stop_in_second_epoch():
        calls.append(1)
        return len(calls) >= 5  # 3 batches per epoch: the 5th is inside epoch 2

    result = train_run(spec, snapshot_epochs=(0, 1, 2, 3), snapshot_samples=4, stop_flag=stop_in_second_epoch)
    assert result.stopped_early and len(result.history) == 1 and sorted(result.snapshots) == [0, 1]
    assert result.final_snapshot is None


def test_a_vowels_run_shares_its_final_snapshot_which_holds_every_speaker_and_equals_a_fresh_probe():
    """The Japanese Vowels test file lists the utterances speaker by speaker: the pool and the snapshots take the
    speakers in turn, so the pages see all nine, and the States / Gates pages still use the last snapshot."""
    vowels = PRESETS["japanese_vowels"]
    spec = vowels.replace(epochs=1, layers=(LayerSpec("lstm", 8, dynamic=True),))  # seconds, not a lesson's budget
    at = train(new_app(spec))
    go(at, "states")
    assert_clean(at)
    assert any(s.key == "states_epoch" for s in at.select_slider)  # the snapshots replay under the pool's labels
    run = runs_of(at)[-1]
    _, test = run.data
    expected = tuple(int(i) for i in probe_samples(*run.data, PROBE_SAMPLES)[1])
    assert run.snapshot_indices == experiment.pool_indices(run) == expected
    assert run.snapshot_indices != tuple(range(PROBE_SAMPLES))  # not the first 48 (speakers 1 and 2 only)
    pool = experiment.probe_pool(run)
    np.testing.assert_array_equal(pool.x, test.x[list(expected)])
    assert sorted(set(pool.y.tolist())) == list(range(9))  # every speaker
    assert sorted(set(test.y[:PROBE_SAMPLES].tolist())) == [0, 1]  # what the first 48 would have shown
    assert run.final_snapshot == 1
    shown = at.session_state[MEMO][("trace", run.run_id)]
    assert shown is run.snapshots[1]  # shared, not probed again
    assert_same_trace(shown, fresh_probe(run))
    go(at, "gates")
    assert_clean(at)
    assert at.session_state[MEMO][("trace", run.run_id)] is shown  # the Gates page reads the same trace

    # snapshots of other sequences (a run stored before the pool took the classes in turn) are never shared,
    # nor replayed under the pool's labels
    run.snapshot_indices = tuple(range(PROBE_SAMPLES))
    assert experiment.shared_final_trace(run, pool) is None
    assert experiment.pool_snapshots(run) == {}
    go(at, "states")
    assert_clean(at)
    assert not any(s.key == "states_epoch" for s in at.select_slider)
    assert any("recorded other sequences than the ones shown here" in c.value for c in at.caption)


def test_a_job_given_one_dataset_to_split_snapshots_the_pool_of_its_test_split():
    """TrainingJob splits the data itself when handed one set (or None: the spec's), so its snapshot samples are
    the pool's even then; the classification walks are reordered by class, not the first ones."""
    spec = tiny_classification(epochs=1)
    job = jobs.TrainingJob(spec, None, label="test", snapshot_epochs=(1,), slots=None).start()
    assert job.wait(120) and job.error is None, job.error
    train_data, test_data = load_data(spec)
    expected = tuple(int(i) for i in probe_samples(train_data, test_data, PROBE_SAMPLES)[1])
    assert job.result.snapshot_indices == expected
    assert expected != tuple(range(len(expected)))  # the walks' labels are mixed: the turn order differs
    assert job.result.final_snapshot == 1
