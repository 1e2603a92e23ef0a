"""Do the lessons prove what they say? Train every lesson's preset(s) for seeds 0-4 and measure each claim.

    .venv/bin/python bench/bench_lessons.py                              # all six lessons x seeds 0-4 (~10 min on 2 cores)
    .venv/bin/python bench/bench_lessons.py --lessons forget_gate sine   # some lessons
    .venv/bin/python bench/bench_lessons.py --seeds 0 1                  # some seeds

For each lesson and seed: train the lesson's preset (and its companion, e.g. the SimpleRNN of the adding
lesson) with that ``seed`` (``data_seed`` as the preset has it), then ``evidence_for(lesson, runs)``: the
claim measured on the test split (rnnlab/experiments/claims.py). Prints one row per (lesson, seed): holds,
the key numbers, training seconds (all of the lesson's runs) and the claim's seconds; then one summary line per
lesson. Exit code 1 if any claim does not hold (or cannot be measured).

This is a benchmark, not a test: it trains for real.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnlab.experiments import LESSONS, PRESETS, evidence_for, train  # noqa: E402

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # probe's "N out of the last N calls ... retracing"

KEY_NUMBERS = {  # lesson -> (number, format) shown in the table
    "adding": (("lstm_mse", ".2g"), ("simplernn_mse", ".3f"), ("baseline_mse", ".3f"), ("lstm_ratio", ".1e"),
               ("simplernn_ratio", ".1e")),
    "forget_gate": (("forget_bit1", ".2f"), ("forget_bit2", ".2f"), ("forget_bit3", ".2f"), ("test_mse", ".3f"),
                    ("forced_mse", ".2f")),
    "parity": (("accuracy", ".3f"), ("separation", ".1f")),
    "sine": (("rings", ".0f"), ("sequences", ".0f"), ("median_radius_cv", ".2f")),
    "padding": (("cut_diff", ".0e"), ("static_diff", ".2f"), ("accuracy", ".3f"), ("static_accuracy", ".3f")),
    "vowels": (("accuracy", ".3f"),),
}


def numbers_text(key: str, numbers: dict) -> str:
    shown = [f"{name}={numbers[name]:{fmt}}" for name, fmt in KEY_NUMBERS.get(key, ()) if name in numbers]
    return " ".join(shown)


def run_lesson(lesson, seed: int) -> tuple:
    """-> (evidence, training seconds of all the lesson's runs, claim seconds)."""
    runs, seconds = {}, 0.0
    for preset in (lesson.preset, *(p for _, p in lesson.also)):
        start = time.perf_counter()
        runs[preset] = train(PRESETS[preset].replace(seed=seed))
        seconds += time.perf_counter() - start
    start = time.perf_counter()
    evidence = evidence_for(lesson, runs)
    return evidence, seconds, time.perf_counter() - start


def main(argv=None) -> int:
    keys = [lesson.key for lesson in LESSONS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", default=keys, choices=keys, metavar="KEY",
                        help=f"lesson keys (default: all of {', '.join(keys)})")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4], help="seeds (default: 0 1 2 3 4)")
    parser.add_argument("--sentences", action="store_true", help="print each claim's sentence under its row")
    args = parser.parse_args(argv)

    header = f"{'lesson':<12} {'seed':>4} {'holds':<6} {'train s':>7} {'claim s':>7}  key numbers"
    print(header)
    print("-" * 110)
    results: dict[str, list] = {}
    for lesson in LESSONS:
        if lesson.key not in args.lessons:
            continue
        for seed in args.seeds:
            evidence, train_s, claim_s = run_lesson(lesson, seed)
            results.setdefault(lesson.key, []).append((evidence, train_s, claim_s))
            print(f"{lesson.key:<12} {seed:>4} {str(evidence.holds):<6} {train_s:>7.1f} {claim_s:>7.1f}  "
                  f"{numbers_text(lesson.key, evidence.numbers)}", flush=True)
            if args.sentences or evidence.holds is not True:
                print(f"{'':<12} {evidence.sentence}")
                if evidence.suggestion:
                    print(f"{'':<12} suggestion: {evidence.suggestion}")
    print()
    failed = []
    for key, rows in results.items():
        held = sum(evidence.holds is True for evidence, _, _ in rows)
        train_s = [t for _, t, _ in rows]
        claim_s = [c for _, _, c in rows]
        presets = by_key_presets(key)
        print(f"{key:<12} holds for {held}/{len(rows)} seeds ({presets}); training {statistics.median(train_s):.1f} s "
              f"median, {max(train_s):.1f} s max; claim {statistics.median(claim_s):.1f} s median")
        if held < len(rows):
            failed.append(key)
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print("Every claim holds for every seed.")
    return 0


def by_key_presets(key: str) -> str:
    lesson = next(lesson for lesson in LESSONS if lesson.key == key)
    return " + ".join((lesson.preset, *(p for _, p in lesson.also)))


if __name__ == "__main__":
    sys.exit(main())
