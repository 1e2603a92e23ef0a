"""Fuzz the layer API: thousands of random configurations, valid and invalid, eagerly and inside a keras.Model.

    .venv/bin/python bench/fuzz_layers.py                 # 2,000 calls (~5 min on 2 cores)
    .venv/bin/python bench/fuzz_layers.py --calls 200 -v  # fewer, printing each crash

Every call must either return the right output shapes with finite values, or raise rnnlab.RnnlabError /
TypeError naming an argument (the rule and the configurations are in tests/layer_fuzz.py, shared with the
Hypothesis test in make test). Prints the counts (valid results, clear errors, crashes) and the crashes
grouped by message; exit code 1 when there is a crash.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hypothesis import HealthCheck, given, settings  # noqa: E402

import layer_fuzz  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="how many calls (half eager, half in a model)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every crash with its case")
    args = parser.parse_args(argv)
    counts = collections.Counter()
    crashes = collections.Counter()
    start = time.perf_counter()

    @settings(max_examples=args.calls, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(layer_fuzz.cases())
    def one(case):
        outcome, detail = layer_fuzz.check(case)
        counts[outcome] += 1
        if outcome == "crash":
            crashes[detail[:100]] += 1
            if args.verbose:
                print(f"CRASH {detail}\n      {case.describe()}")

    import random

    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # Keras's retracing notes: each fuzz call builds a new model on purpose
    random.seed(args.seed)
    one()
    seconds = time.perf_counter() - start
    total = sum(counts.values())
    print(f"{total} calls in {seconds:.0f} s: {counts['result']} valid results, "
          f"{counts['error']} clear errors naming an argument, {counts['crash']} crashes")
    for message, n in crashes.most_common(30):
        print(f"  {n:4d}  {message}")
    return 1 if counts["crash"] else 0


if __name__ == "__main__":
    sys.exit(main())
