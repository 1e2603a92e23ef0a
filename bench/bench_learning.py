"""'Does it learn?': train every preset and compare its test loss with the trivial baseline.

    .venv/bin/python bench/bench_learning.py                    # every preset, ~1-2 minutes on 2 cores
    .venv/bin/python bench/bench_learning.py adding_lstm parity # some of them
    .venv/bin/python bench/bench_learning.py --epochs 3         # the quick versions the app may use

Prints one row per preset: the test loss, the baseline's test loss (always predict the training mean, or
the training class frequencies), their ratio, the test metric (accuracy or MAE) against the baseline's,
and the wall time of training. Two presets carry a bar, checked at the end (exit code 1 if missed):

    adding_lstm      test MSE at least 10x below the 0.167 baseline, within 120 s
    japanese_vowels  test accuracy >= 95%, within 120 s

This is a benchmark, not a test: it trains for real and takes a while.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnlab.experiments import PRESETS, load_data  # noqa: E402
from rnnlab.experiments import baseline, train  # noqa: E402

BARS = {
    "adding_lstm": ("val_loss", lambda value, base: value <= base["loss"] / 10, "test MSE <= baseline / 10"),
    "japanese_vowels": ("val_accuracy", lambda value, base: value >= 0.95, "test accuracy >= 0.95"),
}
TIME_LIMIT_S = 120.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", help=f"preset names (default: all of {', '.join(PRESETS)})")
    parser.add_argument("--epochs", type=int, default=None, help="train this many epochs instead of the preset's")
    args = parser.parse_args(argv)
    names = args.presets or list(PRESETS)
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        parser.error(f"unknown preset {unknown[0]!r}; expected one of {', '.join(PRESETS)}")

    header = f"{'preset':<18} {'task':<19} {'test loss':>10} {'baseline':>9} {'ratio':>7} {'metric':>16} {'baseline':>9} {'epochs':>6} {'time s':>7}  bar"
    print(header)
    print("-" * len(header))
    failed = []
    for name in names:
        spec = PRESETS[name]
        if args.epochs:
            spec = spec.replace(epochs=args.epochs)
        train_data, test_data = load_data(spec)
        base = baseline(train_data, test_data)
        start = time.perf_counter()
        result = train(spec)
        seconds = time.perf_counter() - start
        final = result.final_metrics
        metric = next(k for k in base if k != "loss")
        ratio = base["loss"] / final["val_loss"] if final.get("val_loss") else float("nan")
        verdict = ""
        if name in BARS:
            key, check, text = BARS[name]
            ok = check(final[key], base) and seconds <= TIME_LIMIT_S
            verdict = f"{'PASS' if ok else 'FAIL'} ({text}, <= {TIME_LIMIT_S:.0f} s)"
            if not ok:
                failed.append(name)
        print(
            f"{name:<18} {spec.task():<19} {final['val_loss']:>10.4f} {base['loss']:>9.4f} {ratio:>6.1f}x "
            f"{metric + ' ' + format(final['val_' + metric], '.4f'):>16} {base[metric]:>9.4f} {final['epochs']:>6} "
            f"{seconds:>7.1f}  {verdict}",
            flush=True,
        )
    if failed:
        print(f"missed the bar: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
