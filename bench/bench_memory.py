"""Does a server that trains all day grow? Many ``train -> probe`` cycles in one process, nothing cleared.

Each cycle trains a small spec (the ``sine`` preset, 2 epochs on 200 sequences of 20 steps, batch 32),
probes the trained model on 8 test sequences, then drops the result. After each cycle: ``gc.collect()``,
the process RSS, how many ``keras.Model`` and ``tf.Variable`` / ``keras.Variable`` objects are alive,
and how many of the trained models are still alive, in part or whole: the model or any of its TensorFlow
variables (held by weak references only; a leaked graph keeps variables alive after the model is gone).

Targets: RSS growth between cycle 10 and the last cycle under 5%, and no trained model alive once its result
is dropped. The first cycles trace functions and fill caches, hence the comparison from cycle 10. The column
"trained alive" counts every run; the verdict counts the runs before the last, because ``rnnlab.probe`` leaves
one variable of the model it probed last alive (inside TensorFlow, no Python reference) until the next probe:
bounded, and absent with ``--no-probe``.

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_memory.py              # 40 cycles, ~2 minutes on 2 cores
    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_memory.py --cycles 15  # quicker
"""

from __future__ import annotations

import argparse
import gc
import os
import time
import weakref

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnlab  # noqa: E402
from rnnlab.experiments import PRESETS, load_data, train  # noqa: E402

TARGET_GROWTH = 0.05
SPEC = PRESETS["sine"].replace(
    dataset_options={"T": 20, "n_samples": 200, "n_test": 50}, epochs=2, batch_size=32,
)


def rss_mb() -> float:
    """The resident set size of this process in MB (Linux /proc; falls back to the peak from resource)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def live_objects() -> tuple[int, int]:
    """-> (keras.Model objects, variables: tf.Variable or keras.Variable) alive after a full collection."""
    gc.collect()
    models = variables = 0
    for obj in gc.get_objects():
        try:
            if isinstance(obj, keras.Model):
                models += 1
            elif isinstance(obj, (tf.Variable, keras.Variable)):
                variables += 1
        except ReferenceError:  # a dead weakproxy
            pass
    return models, variables


def trained_refs(model) -> list[weakref.ref]:
    """Weak references to a model and to the tf.Variable behind each of its variables."""
    return [weakref.ref(model)] + [weakref.ref(getattr(v, "value", v)) for v in model.variables]


def cycle(seed: int, probe: bool = True) -> list[weakref.ref]:
    """Train, probe, drop: -> weak references to the trained model and its variables."""
    result = train(SPEC.replace(seed=seed))
    if probe:
        test = load_data(SPEC)[1]
        rnnlab.probe(result.model, test.x[:8], test.y[:8])
    refs = trained_refs(result.model)
    del result
    return refs


def n_alive(runs: list[list[weakref.ref]]) -> int:
    """How many runs still have their model or any of its variables alive."""
    return sum(any(ref() is not None for ref in refs) for refs in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=40)
    parser.add_argument("--every", type=int, default=5, help="print a row every N cycles")
    parser.add_argument("--no-probe", action="store_true", help="train only")
    args = parser.parse_args()
    refs, rss = [], {}
    start = time.perf_counter()
    print(f"{'cycle':>5} {'RSS MB':>8} {'models':>6} {'variables':>9} {'trained alive':>13} {'s':>6}")
    for i in range(1, args.cycles + 1):
        refs.append(cycle(seed=i % 5, probe=not args.no_probe))
        models, variables = live_objects()
        rss[i] = rss_mb()
        alive = n_alive(refs)
        if i % args.every == 0 or i in (1, 10, args.cycles):
            print(f"{i:5d} {rss[i]:8.1f} {models:6d} {variables:9d} {alive:13d} {time.perf_counter() - start:6.1f}",
                  flush=True)
    first = min(10, args.cycles)
    growth = rss[args.cycles] / rss[first] - 1
    alive = n_alive(refs[:-1])
    print(f"RSS cycle {first}: {rss[first]:.1f} MB, cycle {args.cycles}: {rss[args.cycles]:.1f} MB, "
          f"growth {growth:+.1%} (target < {TARGET_GROWTH:.0%}); trained models alive, in part or whole: "
          f"{alive} of the {len(refs) - 1} before the last (target 0), the last: {'yes' if n_alive(refs[-1:]) else 'no'}")
    print("PASS" if growth < TARGET_GROWTH and alive == 0 else "FAIL")


if __name__ == "__main__":
    main()
