"""kill -9 during run-store saves (not a test; tests/test_kill_during_save.py runs a few trials of it).

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_kill_saves.py --trials 30     # ~5 min on 2 cores

Each trial starts a fresh Python process that trains a tiny run, saves it, then saves without pause: a new run,
then the first run again (a re-save replacing its files: history, snapshots, model), over and over. After a
random delay the trial kills that process with SIGKILL, wherever it is, and then opens the store as the app or
the CLI would and checks that nothing is lost or half-there:

* every run the store lists loads whole (spec, history, snapshots and the model, in Keras safe mode), its
  meta names the run, and its history has the epochs its meta says;
* the first run, saved again and again, still loads (its old files or its new ones, never a mix that fails);
* the number of runs listed is the number of saves reported finished, or one more (a save that finished the
  instant before the kill, before it could say so);
* debris of the killed save (``.tmp-*`` staging) is removed by the next store to open once it is stale.

Prints one line per trial and a summary (trials, kills that landed inside a save, runs checked, problems);
exits 1 on any problem.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

READY_TIMEOUT_S = 180.0


def _child(root: str) -> None:
    """The process to kill: train once, then save forever, printing each finished save's run id."""
    import rnnlab
    from rnnlab.experiments import ExperimentSpec, LayerSpec, RunStore, train

    spec = ExperimentSpec(dataset="parity", dataset_options={"n_samples": 16, "n_test": 4},
                          layers=(LayerSpec("lstm", 4, return_seq=True),), batch_size=8, epochs=2, seed=1)
    with rnnlab.naming_context():
        result = train(spec, snapshot_epochs=(0, 1, 2), snapshot_samples=2)
    fewer = type(result)(**{**result.__dict__, "snapshots": {2: result.snapshots[2]}})
    store = RunStore(root)
    first = store.save(spec, result)
    print(f"ready {first}", flush=True)
    for i in range(10**6):
        run_id = store.save(spec, result) if i % 2 == 0 else store.save(spec, fewer if i % 4 == 1 else result,
                                                                         run_id=first)
        print(f"saved {run_id}", flush=True)


def check_store(root: Path, first: str, finished: set[str]) -> tuple[list[str], int]:
    """Open the store after a kill -> (problems, runs checked)."""
    import numpy as np

    from rnnlab.experiments import RunStore

    problems = []
    store = RunStore(root)
    ids = store.run_ids()
    if first not in ids:
        problems.append(f"the first run {first} is gone")
    missing = finished - set(ids)
    if missing:
        problems.append(f"runs reported saved are missing: {sorted(missing)}")
    extra = set(ids) - finished - {first}
    if len(extra) > 1:
        problems.append(f"{len(extra)} runs appeared that were never reported saved: {sorted(extra)}")
    for run_id in ids:
        try:
            run = store.load(run_id, load_model=True)
        except Exception as error:  # noqa: BLE001 - any failure to load is what this looks for
            problems.append(f"run {run_id} does not load: {type(error).__name__}: {str(error)[:200]}")
            continue
        if run.meta.get("run_id") != run_id:
            problems.append(f"run {run_id}: its meta names {run.meta.get('run_id')!r}")
        if len(run.history) != run.spec.epochs:
            problems.append(f"run {run_id}: {len(run.history)} epochs of history, the spec says {run.spec.epochs}")
        shape = [1 if size is None else size for size in run.model.input_shape] if run.model is not None else None
        if run.model is None or not np.all(np.isfinite(run.model(np.zeros(shape, "float32"), training=False))):
            problems.append(f"run {run_id}: no usable model")
        if sorted(run.snapshots) != list(run.meta.get("snapshot_epochs", [])):
            problems.append(f"run {run_id}: snapshots {sorted(run.snapshots)} but meta says "
                            f"{run.meta.get('snapshot_epochs')}")
    return problems, len(ids)


def one_trial(folder: Path, delay_s: float) -> dict:
    """Start the saver, kill -9 it ``delay_s`` seconds after its second save, check the store."""
    root = folder / "runs"
    errors = open(folder / "saver.stderr", "w+")  # noqa: SIM115 - read back below when the saver fails
    child = subprocess.Popen([sys.executable, __file__, "--child", str(root)], stdout=subprocess.PIPE,
                             stderr=errors, text=True, cwd=ROOT)
    finished: set[str] = set()
    first = None
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while len(finished) < 2:  # its first run and one more saved: there is something to lose
            line = child.stdout.readline()
            if not line:
                errors.seek(0)
                raise RuntimeError(f"the saving process ended before its first saves (exit {child.wait()}):\n"
                                   + errors.read()[-2000:])
            if line.startswith("ready "):
                first = line.split()[1]
                finished.add(first)
            elif line.startswith("saved "):
                finished.add(line.split()[1])
            if time.monotonic() > deadline:
                raise RuntimeError("the saving process did not get ready in time")
        time.sleep(delay_s)
        os.kill(child.pid, signal.SIGKILL)
        out, _ = child.communicate()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        errors.close()
    finished |= {line.split()[1] for line in out.splitlines() if line.startswith("saved ")}
    staging = list(root.glob(".tmp-*")) + list(root.glob("*/.tmp-*")) + list(root.glob("*/*/.tmp-*"))
    problems, checked = check_store(root, first, finished)
    from rnnlab.experiments import RunStore, runs

    saved_age = runs.STAGING_MAX_AGE_S
    runs.STAGING_MAX_AGE_S = -1.0  # as if the next store opened after the debris went stale
    try:
        RunStore(root)
    finally:
        runs.STAGING_MAX_AGE_S = saved_age
    left = list(root.glob(".tmp-*")) + list(root.glob("*/.tmp-*")) + list(root.glob("*/*/.tmp-*"))
    if left:
        problems.append(f"stale debris not removed: {[str(p.relative_to(root)) for p in left]}")
    return dict(delay_s=delay_s, reported=len(finished), runs=checked, inside_save=bool(staging), problems=problems)


def run_trials(trials: int, seed: int = 0, max_delay_s: float = 2.0) -> list[dict]:
    """``trials`` kill -9 trials, each in a fresh temporary folder, delays drawn from [0, max_delay_s)."""
    rng = random.Random(seed)
    results = []
    for i in range(trials):
        with tempfile.TemporaryDirectory(prefix="kill-saves-") as folder:
            results.append(one_trial(Path(folder), rng.uniform(0.0, max_delay_s)))
        row = results[-1]
        print(f"trial {i + 1:3d}: killed {row['delay_s']:.2f} s after the second save, {row['reported']:3d} runs "
              f"reported saved, {row['runs']:3d} listed and checked, "
              f"{'inside a save' if row['inside_save'] else 'between saves'}"
              f"{'' if not row['problems'] else '  PROBLEMS: ' + '; '.join(row['problems'])}", flush=True)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child)
        return 0
    results = run_trials(args.trials, args.seed)
    inside = sum(row["inside_save"] for row in results)
    problems = sum(len(row["problems"]) for row in results)
    runs_checked = sum(row["runs"] for row in results)
    print(f"\n{len(results)} kill -9 trials ({inside} landed inside a save), {runs_checked} runs checked after the "
          f"kills, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
