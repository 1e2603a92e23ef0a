"""A run's test loss against the trivial predictor: the sentence the Train page shows must be true."""

import math

from rnnlab.experiments import against_baseline


def test_a_test_loss_below_the_baseline_is_learned_and_says_by_how_much():
    verdict = against_baseline({"val_loss": 0.0167, "loss": 0.02}, {"loss": 0.167, "mae": 0.33})
    assert verdict.learned is True
    assert math.isclose(verdict.ratio, 0.1)
    assert "0.0167" in verdict.sentence and "10x below" in verdict.sentence and "0.167" in verdict.sentence


def test_a_test_loss_at_or_above_the_baseline_is_not_learned():
    for test in (0.167, 3.4):
        verdict = against_baseline({"val_loss": test}, {"loss": 0.167})
        assert verdict.learned is False
        assert "not learned" in verdict.sentence and f"{test:.4g}" in verdict.sentence
    assert "20.36x" in against_baseline({"val_loss": 3.4}, {"loss": 0.167}).sentence


def test_a_diverged_or_missing_test_loss_is_said_plainly():
    assert against_baseline({"val_loss": float("nan")}, {"loss": 0.5}).learned is False
    assert against_baseline({"val_loss": float("inf")}, {"loss": 0.5}).learned is False
    missing = against_baseline({"loss": 0.1}, {"loss": 0.5})
    assert missing.learned is None and missing.test_loss is None and "No test loss" in missing.sentence
