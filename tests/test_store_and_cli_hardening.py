"""The run store and the command line under inputs that used to escape: foreign run ids, stale snapshots,
debris of killed saves, a model safe mode refuses, a spec nested too deeply, the runs folder variable."""

from __future__ import annotations

import os
import time

import keras
import pytest

import rnnlab
from rnnlab import cli
from rnnlab.experiments import ExperimentSpec, LayerSpec, RunStore, SpecError, runs, train

SPEC = ExperimentSpec(dataset="parity", dataset_options={"n_samples": 16, "n_test": 4},
                      layers=(LayerSpec("gru", 3, return_seq=True),), batch_size=8, epochs=2, seed=2)


@pytest.fixture(scope="module")
def result():
    with rnnlab.naming_context():
        return train(SPEC, snapshot_epochs=(0, 1, 2), snapshot_samples=2)


@pytest.mark.parametrize("run_id", ["../x", "x", "20260101-000000-000-1a2b3c4", "/tmp/abs", 7])
def test_save_refuses_run_ids_not_of_its_own_format(tmp_path, result, run_id):
    store = RunStore(tmp_path / "runs")
    with pytest.raises(rnnlab.RnnlabError, match=r"`run_id` must be an id of this store's own format"):
        store.save(SPEC, result, run_id=run_id)
    assert not (tmp_path / "x").exists() and list((tmp_path / "runs").glob("*")) == []


def test_a_resave_with_fewer_snapshots_leaves_only_the_new_ones(tmp_path, result):
    store = RunStore(tmp_path / "runs")
    run_id = store.save(SPEC, result)
    folder = tmp_path / "runs" / run_id / "snapshots"
    assert sorted(p.name for p in folder.iterdir()) == ["epoch_0000.npz", "epoch_0001.npz", "epoch_0002.npz"]
    fewer = type(result)(**{**result.__dict__, "snapshots": {2: result.snapshots[2]}})
    store.save(SPEC, fewer, run_id=run_id)
    assert sorted(p.name for p in folder.iterdir()) == ["epoch_0002.npz"]
    assert sorted(store.load(run_id).snapshots) == [2]


def test_debris_of_killed_saves_is_cleaned_when_a_store_opens_but_not_a_save_in_progress(tmp_path, result):
    root = tmp_path / "runs"
    run_id = RunStore(root).save(SPEC, result)
    old_staging = root / ".tmp-20250101-000000-000-deadbeef"
    old_file = root / run_id / ".tmp-1a2b3c4d-model.keras"
    fresh_staging = root / ".tmp-20991231-000000-000-cafecafe"
    for path in (old_staging, fresh_staging):
        path.mkdir()
        (path / "meta.json").write_text("{}")
    old_file.write_bytes(b"half a model")
    long_ago = time.time() - runs.STAGING_MAX_AGE_S - 60
    for path in (old_staging, old_file):
        os.utime(path, (long_ago, long_ago))
    RunStore(root)
    assert not old_staging.exists() and not old_file.exists()
    assert fresh_staging.exists()  # may belong to another process's save right now
    assert RunStore(root).run_ids() == [run_id]


def test_a_model_safe_mode_refuses_is_a_clear_error(tmp_path, result):
    store = RunStore(tmp_path / "runs")
    run_id = store.save(SPEC, result)
    inputs = keras.Input((3,))
    unsafe = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2)(inputs))  # code inside the file
    unsafe.save(tmp_path / "runs" / run_id / "model.keras")
    with pytest.raises(rnnlab.RnnlabError, match=rf"run {run_id}: its model could not be loaded \(Keras safe mode"):
        store.load(run_id)


def test_a_spec_nested_too_deeply_is_a_spec_error_and_one_cli_line(tmp_path, capsys):
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(SpecError, match="nested too deeply"):
        ExperimentSpec.from_json(deep)
    path = tmp_path / "deep.json"
    path.write_text(deep)
    assert cli.main(["train", str(path), "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nested too deeply" in err[0]


def test_the_command_line_reads_the_same_runs_folder_variable_as_the_app(tmp_path, monkeypatch, result, capsys):
    store_dir = tmp_path / "shared-runs"
    run_id = RunStore(store_dir).save(SPEC, result)
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(store_dir))
    assert cli.main(["runs"]) == 0
    assert run_id in capsys.readouterr().out


def test_a_cli_memory_error_is_one_line_and_exit_code_2(monkeypatch, tmp_path, capsys):
    def too_big(args):
        raise MemoryError

    monkeypatch.setattr(cli, "cmd_runs", too_big)  # build_parser() wires the handler when main runs
    assert cli.main(["runs", "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "out of memory" in err[0]


def test_a_generated_set_larger_than_the_data_limit_is_refused_by_the_spec():
    from rnnlab import datasets

    spec = SPEC.replace(dataset="adding", dataset_options={"n_samples": 18_000, "n_test": 4_000, "T": 20},
                        layers=(LayerSpec("lstm", 3),))
    with pytest.raises(SpecError, match=rf"n_samples \+ n_test sequences, at most {datasets.MAX_SEQUENCES}; "
                                        r"received 18000 \+ 4000 = 22000"):
        spec.validate()
    with pytest.raises(SpecError, match=r"dataset_options.n_samples: expected a whole number in 1\.\.20000"):
        SPEC.replace(dataset_options={"n_samples": 10**6}).validate()
