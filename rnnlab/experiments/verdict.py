"""Did the model learn anything? A trained run's test loss against the trivial predictor's, in one sentence.

    verdict = against_baseline(result.final_metrics, baseline(train, test))
    verdict.learned        # True only when the test loss is below the trivial predictor's
    verdict.sentence       # what to tell the user, with both numbers

A run that trained without error but does no better than always predicting the training mean (or the class
frequencies) has not learned the task; saying "trained" in green would be untrue, so the app shows this
sentence as a warning instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class Verdict:
    """learned: True / False, None when there is no test loss to compare; ratio: test loss / baseline loss."""

    learned: bool | None
    test_loss: float | None
    baseline_loss: float
    ratio: float | None
    sentence: str


def _number(value: float) -> str:
    return f"{value:.4g}"


def against_baseline(final_metrics: Mapping[str, float], reference: Mapping[str, float]) -> Verdict:
    """{'val_loss': test loss, ...} (a run's final metrics) + {'loss': ...} (``baseline(train, test)``) -> Verdict.

    The model has learned something only when its test loss is strictly below the trivial predictor's.
    A test loss that is NaN or infinite counts as not learned.
    """
    base = float(reference["loss"])
    test = final_metrics.get("val_loss")
    if test is None:
        return Verdict(None, None, base, None,
                       f"No test loss to compare with the trivial predictor's {_number(base)} (no test data).")
    test = float(test)
    if not math.isfinite(test):
        return Verdict(False, test, base, None,
                       f"The test loss is {test}: the model has not learned this task. Lower the learning rate.")
    ratio = test / base if base > 0 else math.inf
    if test < base:
        factor = base / test if test > 0 else math.inf
        return Verdict(True, test, base, ratio,
                       f"Test loss {_number(test)} is {_number(factor)}x below the trivial predictor's "
                       f"{_number(base)}: the model has learned something.")
    return Verdict(False, test, base, ratio,
                   f"Test loss {_number(test)} is no better than the trivial predictor's {_number(base)} "
                   f"({_number(ratio)}x it): the model has not learned this task yet. Try more epochs, another "
                   "learning rate or seed, or an LSTM / GRU for long gaps.")
