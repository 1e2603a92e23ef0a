"""kill -9 while the run store saves: one trial of bench/bench_kill_saves.py (the benchmark runs 20 or more).

A fresh process trains a tiny run and saves without pause (new runs, and re-saves of its first run) until it is
killed with SIGKILL; the store it leaves must list only runs that load whole, lose none reported saved, and its
debris must go when a later store opens.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_kill_saves.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_kill_saves", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def killed(bench, tmp_path_factory):
    folder = tmp_path_factory.mktemp("killed")
    return folder, bench.one_trial(folder, delay_s=0.4)


def test_a_save_killed_with_sigkill_loses_no_run_and_leaves_no_half_run(killed):
    _, row = killed
    assert row["problems"] == []
    assert row["reported"] >= 2 and row["runs"] >= 2  # killed after two runs were saved: something to lose


def test_the_store_check_finds_a_half_written_run(bench, killed, tmp_path):
    """The checker can fail: a run folder whose model file is cut short is reported, not passed."""
    folder, _ = killed
    root = shutil.copytree(folder / "runs", tmp_path / "runs")
    victim = next(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".tmp-"))
    model = next(victim.glob("*.keras"))
    model.write_bytes(model.read_bytes()[:100])
    problems, _ = bench.check_store(root, victim.name, set())
    assert any(victim.name in problem and "does not load" in problem for problem in problems)
