"""The `rnnlab` command: in-process through main([...]) and once for real through a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import rnnlab
from rnnlab import cli
from rnnlab.experiments import PRESETS, CellSpec, ExperimentSpec, LayerSpec
from rnnlab.experiments import RunStore

REPO = Path(__file__).resolve().parents[1]
TINY = ExperimentSpec(
    dataset="parity", dataset_options={"n_samples": 24, "n_test": 6},
    layers=(LayerSpec("gru", 4, return_seq=True),), batch_size=8, epochs=1,
)
# TensorFlow's C++ start-up lines (printed on `import tensorflow` whatever TF_CPP_MIN_LOG_LEVEL says)
TF_STARTUP = ("WARNING: All log messages before absl", "I0000 ", "W0000 ", "E0000 ", "To enable the following")


def _own_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith(TF_STARTUP)]


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(TINY.to_json())
    return path


@pytest.mark.parametrize("command", ["train", "runs", "probe", "app", "presets"])
def test_every_command_has_help(command, capsys):
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: rnnlab {command}") and "--help" in out


def test_top_level_help_lists_the_commands(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("train", "runs", "probe", "app", "presets"):
        assert command in out


@pytest.mark.parametrize(
    "argv, fragment",
    [
        ([], "the following arguments are required: COMMAND"),
        (["fly"], "invalid choice: 'fly'"),
        (["train"], "the following arguments are required: SPEC"),
        (["train", "no_such.json"], "neither a JSON file nor a preset"),
        (["train", "parity", "--epochs", "0"], "--epochs: expected a positive whole number; received '0'"),
        (["probe", "latest", "--samples", "a,b", "--out", "t.csv"], "expected sample indices like 0,3"),
        (["probe", "latest", "--out", "t.txt"], "--out must end in .csv or .npz"),
        (["probe", "nothing-here", "--out", "t.csv"], "no run 'nothing-here'"),
        (["runs", "--compare", "a"], "expected 2 arguments"),
        (["runs", "--delete", "nothing-here"], "no run 'nothing-here'"),
        (["presets", "no_such_preset"], "unknown preset 'no_such_preset'"),
        (["train", "parity", "--strategy", "multi_worker"], "needs TF_CONFIG"),
        (["train", "parity", "--strategy", "tpu"], "invalid choice: 'tpu'"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_code_2(argv, fragment, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    lines = _own_lines(captured.err)
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("rnnlab") and ": error: " in lines[0] and fragment in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""


def test_an_invalid_spec_file_names_the_layer_and_field(tmp_path, capsys):
    data = TINY.to_dict()
    data["layers"][0]["n_units"] = 0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    assert cli.main(["train", str(path)]) == 2
    (line,) = _own_lines(capsys.readouterr().err)
    assert line.startswith("rnnlab train: error: ") and "layers[0].n_units: expected a whole number" in line


def test_presets_are_listed_printed_and_written(tmp_path, capsys):
    assert cli.main(["presets"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listing] == list(PRESETS)
    assert cli.main(["presets", "parity"]) == 0
    assert ExperimentSpec.from_json(capsys.readouterr().out) == PRESETS["parity"]
    assert cli.main(["presets", "--out", str(tmp_path / "specs")]) == 0
    for name, spec in PRESETS.items():
        assert ExperimentSpec.from_json((tmp_path / "specs" / f"{name}.json").read_text()) == spec


def test_train_runs_probe_compare_delete(tmp_path, spec_file, capsys):
    runs_dir = str(tmp_path / "runs")
    assert cli.main(["train", str(spec_file), "--runs-dir", runs_dir]) == 0
    captured = capsys.readouterr()
    assert "training on 24 sequences (6 test), 1 epochs of 3 batches" in captured.err
    assert "epoch 1: loss" in captured.err and "Trained 1 epochs" in captured.err
    metrics, run_line = captured.out.strip().splitlines()
    assert metrics.startswith("loss=") and "val_accuracy=" in metrics
    run_id = run_line.split()[1]
    assert RunStore(runs_dir).run_ids() == [run_id]

    assert cli.main(["train", str(spec_file), "--runs-dir", runs_dir, "--quiet", "--seed", "9",
                     "--strategy", "mirrored"]) == 0  # one local device here: a one-replica MirroredStrategy
    second = capsys.readouterr().out.strip().splitlines()[-1].split()[1]
    assert RunStore(runs_dir).load(second, load_model=False).spec.seed == 9

    assert cli.main(["runs", "--runs-dir", runs_dir]) == 0
    out = capsys.readouterr().out
    assert run_id in out and second in out and "gru(4, seq)" in out

    assert cli.main(["runs", "--runs-dir", runs_dir, "--compare", run_id, second]) == 0
    out = capsys.readouterr().out
    assert "seed" in out and "val_loss" in out

    if hasattr(rnnlab, "probe"):
        csv = tmp_path / "trace.csv"
        assert cli.main(["probe", run_id, "--samples", "0,3", "--out", str(csv), "--runs-dir", runs_dir]) == 0
        assert f"wrote {csv}" in capsys.readouterr().out
        frame = pd.read_csv(csv)
        assert set(frame["sample"]) == {0, 3} and set(frame["layer"]) == {"GRU"}
        assert {"reset", "update", "candidate", "h"} <= set(frame["quantity"])
        assert cli.main(["probe", run_id, "--samples", "6", "--out", str(csv), "--runs-dir", runs_dir]) == 2
        assert "out of range" in capsys.readouterr().err

    assert cli.main(["runs", "--runs-dir", runs_dir, "--delete", run_id]) == 0
    assert RunStore(runs_dir).run_ids() == [second]


def test_app_starts_streamlit_on_the_app_script(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "call", lambda command, **kw: calls.append((command, kw)) or 0)
    assert cli.main(["app", "--", "--server.port", "8599"]) == 0
    (command, kwargs), = calls
    assert command[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert Path(command[4]) == REPO / "app" / "streamlit_app.py"
    assert command[5:] == ["--server.port", "8599"]
    assert Path(kwargs["cwd"]) == REPO


def _rnnlab_command() -> list[str]:
    script = Path(sys.executable).with_name("rnnlab")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "rnnlab.cli"]


def test_the_installed_command_trains_and_rejects_bad_arguments(tmp_path, spec_file):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [*_rnnlab_command(), "train", str(spec_file), "--runs-dir", str(tmp_path / "runs"), "--quiet"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1].split()[1]
    assert (tmp_path / "runs" / run_id / "model.keras").is_file()

    bad = subprocess.run([*_rnnlab_command(), "train", "--epochs", "zero", str(spec_file)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert bad.returncode == 2
    (line,) = _own_lines(bad.stderr)
    assert line.startswith("rnnlab train: error: argument --epochs") and "Traceback" not in bad.stderr


# -------------------------------------------------------------------------- divergence, export / import

DIVERGING = ExperimentSpec(  # a bidirectional stack at learning_rate 1e6 with plain SGD: the loss overflows
    dataset="adding", dataset_options={"n_samples": 16, "n_test": 4, "T": 10}, optimizer="sgd", learning_rate=1e6,
    layers=(LayerSpec("bidirectional_rnn", return_seq=True, cell_fw=CellSpec("lstm", 4), cell_bw=CellSpec("gru", 4)),
            LayerSpec("bidirectional_rnn", cell_fw=CellSpec("lstm", 4), cell_bw=CellSpec("gru", 4))),
    batch_size=8, epochs=3,
)


def test_a_diverging_training_is_one_line_and_exit_code_2(tmp_path, capsys):
    path = tmp_path / "diverging.json"
    path.write_text(DIVERGING.to_json())
    runs_dir = tmp_path / "runs"
    assert cli.main(["train", str(path), "--runs-dir", str(runs_dir), "--quiet"]) == 2
    captured = capsys.readouterr()
    (line,) = _own_lines(captured.err)
    assert line.startswith("rnnlab train: error: Training stopped: the loss became ")
    assert "learning_rate=1e+06 (sgd)" in line and "Try a smaller learning rate" in line
    assert "Traceback" not in captured.err
    kept = RunStore(runs_dir).run_ids()  # the epochs finished before the loss overflowed are kept, and named
    assert [f"run {run_id}" for run_id in kept] == [l for l in captured.out.splitlines() if l.startswith("run ")]
    for run_id in kept:
        assert RunStore(runs_dir).load(run_id, load_model=False).meta["diverged"] is True


def test_runs_export_and_import_move_a_run_between_stores(tmp_path, spec_file, capsys):
    here, there = str(tmp_path / "here"), str(tmp_path / "there")
    assert cli.main(["train", str(spec_file), "--runs-dir", here, "--quiet"]) == 0
    run_id = capsys.readouterr().out.strip().splitlines()[-1].split()[1]
    assert cli.main(["runs", "--runs-dir", here, "--export", run_id[:12], "--to", str(tmp_path / "moved")]) == 0
    archive = tmp_path / "moved" / f"{run_id}.rnnlab.zip"
    assert capsys.readouterr().out.strip() == f"wrote {archive}"
    assert cli.main(["runs", "--runs-dir", there, "--import", str(archive)]) == 0
    assert capsys.readouterr().out.strip() == f"imported run {run_id}. (in {there}/)"
    x = tiny_test_x()
    original, copy = RunStore(here).load(run_id), RunStore(there).load(run_id)
    assert copy.spec == original.spec == TINY
    assert (copy.model.predict(x, verbose=0) == original.model.predict(x, verbose=0)).all()
    assert cli.main(["runs", "--runs-dir", there, "--import", str(archive)]) == 0
    assert "already in the store" in capsys.readouterr().out


def tiny_test_x():
    from rnnlab.experiments import load_data

    return load_data(TINY)[1].x


@pytest.mark.parametrize("argv, fragment", [
    (["runs", "--import", "missing.rnnlab.zip"], "missing.rnnlab.zip: no such file"),
    (["runs", "--import", "notes.txt"], "notes.txt: not a zip file"),
    (["runs", "--export", "nothing-here"], "no run 'nothing-here'"),
    (["runs", "--to", "somewhere"], "--to goes with --export RUN"),
    (["runs", "--export", "a", "--import", "b"], "not allowed with argument"),
])
def test_export_import_user_errors_are_one_line_and_exit_code_2(argv, fragment, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    assert cli.main([*argv, "--runs-dir", str(tmp_path / "runs")]) == 2
    captured = capsys.readouterr()
    (line,) = _own_lines(captured.err)
    assert line.startswith("rnnlab runs: error: ") and fragment in line, line
    assert captured.out == "" and not (tmp_path / "runs").exists()
