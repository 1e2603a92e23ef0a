"""Lessons and their claims: each measure on hand-built arrays where the claim holds and where it does not,
every lesson wired to a preset and a claim, and evidence_for on tiny models (no real training here: the
benchmark bench/bench_lessons.py checks that the presets learn what the lessons say)."""

from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace

import keras
import numpy as np
import pytest

from rnnlab.experiments import LESSONS, PRESETS, Evidence, Focus, Lesson, build_model, evidence_for, train
from rnnlab.experiments import claims
from rnnlab.experiments.lessons import by_key

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------------------------------------- forget gate


def flip_flop(forget_between: float, b=6, t=80, bits=2, n=8):
    """Hand-built trace: units 2 and 5 hold bits 0 and 1 in c; their forget is ``forget_between`` between
    pulses and 0.1 at pulses; the other units are noise."""
    rng = np.random.default_rng(1)
    pulses = np.zeros((b, t, bits))
    for bit in range(bits):
        for row in range(b):
            for step in rng.choice(np.arange(2, t), 4, replace=False):
                pulses[row, step, bit] = rng.choice([-1.0, 1.0])
    targets = np.zeros_like(pulses)
    held = np.zeros((b, bits))
    for step in range(t):
        held = np.where(pulses[:, step] != 0, pulses[:, step], held)
        targets[:, step] = held
    c = 0.3 * rng.standard_normal((b, t, n))
    forget = rng.uniform(0.2, 0.8, (b, t, n))
    for bit, unit in enumerate((2, 5)):
        c[..., unit] = 0.9 * targets[..., bit] + 0.05 * rng.standard_normal((b, t))
        forget[..., unit] = np.where(pulses[..., bit] != 0, 0.1, forget_between)
    return pulses, targets, c, forget


@pytest.mark.parametrize("between, holds", [(0.97, True), (0.7, False)])
def test_forget_gate_between_pulses(between, holds):
    pulses, targets, c, forget = flip_flop(between)
    units, corr = claims.holding_units(c, targets)
    assert units.tolist() == [2, 5] and np.all(corr > 0.9)
    medians = claims.forget_between_pulses(forget, pulses, targets, units)
    np.testing.assert_allclose(medians, [between, between])  # pulses (0.1) are not between pulses
    assert claims.forget_verdict(medians, mse=0.01, baseline=0.6, forced_mse=0.5) is holds


def test_forget_verdict_needs_learning_and_a_memory_that_fixing_forget_destroys():
    assert claims.forget_verdict([0.97, 0.95], mse=0.01, baseline=0.6, forced_mse=0.5)
    assert not claims.forget_verdict([0.97, 0.95], mse=0.3, baseline=0.6, forced_mse=0.9)  # not learned
    assert not claims.forget_verdict([0.97, 0.95], mse=0.01, baseline=0.6, forced_mse=0.015)  # not needed
    assert not claims.forget_verdict([0.97, np.nan], mse=0.01, baseline=0.6, forced_mse=0.5)  # no gap seen


def test_holding_units_gives_each_bit_its_own_unit():
    targets = np.sign(RNG.standard_normal((2, 50, 2)))
    c = np.stack([targets[..., 0], targets[..., 0] + 0.3 * targets[..., 1], RNG.standard_normal((2, 50))], -1)
    units, _ = claims.holding_units(c, targets)
    assert units.tolist() == [0, 1]  # unit 0 also correlates with bit 1's neighbour, but serves bit 0


# ---------------------------------------------------------------------------------------------- adding


def decay(rate: float, b=5, t=50):
    return np.tile(rate ** np.arange(t - 1, -1, -1.0), (b, 1))  # [B, T], 1 at the last step


def test_gradient_ratio_first_over_last_valid_step():
    np.testing.assert_allclose(claims.gradient_ratio(decay(0.8)), 0.8**49)
    valid = np.arange(50)[None, :] < np.array([50, 50, 50, 50, 20])[:, None]
    grad = decay(0.8) * valid
    grad[4, :20] = 0.5 ** np.arange(19, -1, -1.0)
    assert claims.gradient_ratio(grad, valid)[4] == pytest.approx(0.5**19)


@pytest.mark.parametrize(
    "lstm_mse, simple_mse, lstm_rate, simple_rate, holds",
    [
        (0.004, 0.165, 0.96, 0.8, True),  # ratios 0.13 and 1.8e-5, as trained runs give
        (0.004, 0.165, 0.96, 0.9, False),  # SimpleRNN ratio 5.7e-3: above 1e-3
        (0.004, 0.165, 0.85, 0.8, False),  # LSTM ratio 3.5e-4: only 20x the SimpleRNN's
        (0.03, 0.165, 0.96, 0.8, False),  # LSTM above 0.1 x baseline
        (0.004, 0.05, 0.96, 0.8, False),  # the SimpleRNN learned it after all
        (0.004, None, 0.96, None, None),  # the SimpleRNN not trained yet: cannot say
        (None, 0.165, None, 0.8, None),
        (0.05, None, 0.96, None, None),  # what was measured already fails, but the comparison is not there
    ],
)
def test_adding_verdict(lstm_mse, simple_mse, lstm_rate, simple_rate, holds):
    ratio = {None: None, **{r: float(np.median(claims.gradient_ratio(decay(r)))) for r in (0.96, 0.9, 0.85, 0.8)}}
    verdict = claims.adding_verdict(1 / 6, lstm_mse, simple_mse, ratio[lstm_rate], ratio[simple_rate])
    assert verdict["holds"] is holds
    assert bool(verdict["failed"]) is (holds is False or lstm_mse == 0.05)


# ---------------------------------------------------------------------------------------------- parity


def test_two_clusters_separate_and_one_blob_does_not():
    labels = RNG.integers(0, 2, 400)
    two = np.where(labels[:, None] == 1, [3.0, 1.0], [-3.0, -1.0]) + 0.4 * RNG.standard_normal((400, 2))
    found = claims.cluster_separation(two, labels)
    assert found["accuracy"] == 1.0 and found["separation"] > claims.PARITY_SEPARATION
    blob = RNG.standard_normal((400, 2))
    found = claims.cluster_separation(blob, labels)  # labels unrelated to the points
    assert found["accuracy"] < 0.7 and found["separation"] < 1
    found = claims.cluster_separation(blob, (blob[:, 0] > 0).astype(int))  # one blob cut in two
    assert found["accuracy"] > 0.95 and found["separation"] < claims.PARITY_SEPARATION
    assert np.isnan(claims.cluster_separation(two, np.zeros(400))["accuracy"])  # one class only


def test_pca_coords_fit_the_used_steps():
    states = RNG.standard_normal((3, 10, 5))
    states[:, :2] += 100.0  # the transient would dominate the PCA if it were used
    coords, used = claims.pca_coords(states, skip=2)
    assert coords.shape == (3, 10, 2) and not used[:, :2].any() and used[:, 2:].all()
    assert np.abs(coords[used]).max() < 10


# ---------------------------------------------------------------------------------------------- sine


def shape(kind: str, n=300):
    angle = RNG.uniform(0, 2 * np.pi, n)
    if kind == "ring":
        radius = 1 + 0.05 * RNG.standard_normal(n)
        return np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1) + [5.0, -2.0]
    if kind == "ellipse":
        return np.stack([2 * np.cos(angle), np.sin(angle)], 1)
    if kind == "arc":
        return np.stack([np.cos(angle / 2), np.sin(angle / 2)], 1)
    if kind == "line":
        return np.stack([np.linspace(-1, 1, n), 0.5 * np.linspace(-1, 1, n)], 1) + 0.01 * RNG.standard_normal((n, 2))
    return RNG.standard_normal((n, 2))  # blob


@pytest.mark.parametrize("kind, ring", [("ring", True), ("ellipse", True), ("arc", False), ("line", False),
                                        ("blob", False)])
def test_ring_measure_tells_a_ring_from_a_line_and_a_blob(kind, ring):
    measure = claims.ring_measure(shape(kind))
    assert claims.is_ring(measure) is ring, measure
    if kind == "line":
        assert measure["sectors"] <= 4  # two opposite directions (and noise at the centre)
    if kind == "blob":
        assert measure["radius_cv"] > claims.RING_CV and measure["centre_share"] > claims.RING_CENTRE_SHARE
    if kind == "ring":
        assert measure == {"sectors": 12, "radius_cv": pytest.approx(0.05, abs=0.02), "centre_share": 0.0}


# ---------------------------------------------------------------------------------------------- padding


def test_output_agreement():
    dynamic = RNG.random((4, 2))
    cut = dynamic + 1e-7
    static = dynamic + np.array([[0.3], [0.2], [0.0], [0.4]])
    found = claims.output_agreement(dynamic, cut, static, lengths=[10, 20, 50, 30], time_steps=50)
    assert found["cut_diff"] == pytest.approx(1e-7) and found["static_diff"] == pytest.approx(0.3)
    assert found["n_padded"] == 3  # the full-length walk (50 steps) has no padding to read


# ---------------------------------------------------------------------------------------------- lessons


def test_every_lesson_has_a_preset_a_page_and_a_claim():
    assert len({lesson.key for lesson in LESSONS}) == len(LESSONS) == 6
    for lesson in LESSONS:
        assert isinstance(lesson, Lesson) and lesson.preset in PRESETS and callable(lesson.claim)
        assert lesson.claim is not claims.Evidence and lesson.page.endswith(".py")
        assert all(preset in PRESETS for _, preset in lesson.also)
        assert by_key(lesson.key) is lesson
    with pytest.raises(KeyError, match="forget_gate"):
        by_key("nope")


def test_a_lesson_that_says_coloured_by_label_opens_the_states_page_so():
    """The lesson text and what 'Look here' preselects agree: parity's two groups and vowels' speakers are seen
    coloured by label, not by time (the radio's default)."""
    for lesson in LESSONS:
        says = "coloured by label" in lesson.look_for
        assert says == (lesson.colour_by == "label"), lesson.key
        assert not says or lesson.page == "states.py"
    assert {lesson.key for lesson in LESSONS if lesson.colour_by == "label"} == {"parity", "vowels"}


def test_nothing_trained_means_nothing_measured():
    for lesson in LESSONS:
        evidence = evidence_for(lesson, {})
        assert evidence.holds is None and lesson.preset in evidence.suggestion


def numbers_in(evidence: Evidence) -> list[str]:
    """The numbers of a sentence, as written."""
    return re.findall(r"\d+(?:\.\d+)?(?:e[-+]\d+)?", evidence.sentence)


TINY = {  # preset -> dataset options small enough to build and probe in a second
    "adding_lstm": {"T": 50, "n_samples": 64, "n_test": 32},
    "forget_gate": {"pulse_prob": 0.05, "n_samples": 32, "n_test": 16},
    "parity": {"n_samples": 32, "n_test": 16},
    "sine": {"n_samples": 32, "n_test": 16},
    "padding": {"n_samples": 48, "n_test": 24},
    "japanese_vowels": {"standardize": True, "n_samples": 18, "n_test": 18},
}


def tiny_run(preset: str, **changes):
    keras.utils.set_random_seed(0)
    spec = PRESETS[preset]
    layers = tuple(dataclasses.replace(layer, n_units=4) for layer in spec.layers)
    spec = spec.replace(dataset_options=TINY.get(preset, TINY["adding_lstm"]), layers=layers, **changes)
    return SimpleNamespace(spec=spec, model=build_model(spec))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.key)
def test_each_claim_measures_an_untrained_model_and_says_so(lesson):
    evidence = evidence_for(lesson, {lesson.preset: tiny_run(lesson.preset)})
    assert isinstance(evidence, Evidence) and isinstance(evidence.focus, Focus)
    assert evidence.holds is not True and evidence.suggestion  # an untrained model shows none of the lessons...
    if lesson.key == "padding":
        assert evidence.numbers["cut_diff"] <= claims.DYNAMIC_SAME  # ...but dynamic mode stops at the end anyway
    assert evidence.focus.layer and evidence.numbers and numbers_in(evidence)
    assert_sentence_shows_its_numbers(evidence)


def assert_sentence_shows_its_numbers(evidence: Evidence):
    """Every number in evidence.numbers appears in the sentence, in one of the ways the claims write numbers."""
    for name, value in evidence.numbers.items():
        written = {f"{value:.0f}", f"{value:.1f}", f"{value:.2f}", f"{value:.3g}", f"{value:.1e}", f"{100 * value:.1f}%"}
        assert any(w in evidence.sentence for w in written), (name, value, evidence.sentence)


def test_evidence_for_a_trained_lstm_without_its_simple_rnn():
    run = train(tiny_run("adding_lstm", epochs=1, batch_size=32).spec)
    evidence = evidence_for(by_key("adding"), {"adding_lstm": run})
    assert evidence.holds is None and "SimpleRNN" in evidence.suggestion
    assert set(evidence.numbers) == {"baseline_mse", "lstm_mse", "lstm_ratio"}
    for key, fmt in (("baseline_mse", "{:.3g}"), ("lstm_mse", "{:.3g}"), ("lstm_ratio", "{:.1e}")):
        assert fmt.format(evidence.numbers[key]) in evidence.sentence
    assert_sentence_shows_its_numbers(evidence)
    assert evidence.focus == Focus(layer="LSTM", sample=0)
    # a run of the wrong data cannot speak for another lesson
    other = evidence_for(by_key("forget_gate"), {"forget_gate": run})
    assert other.holds is None and "flip_flop" in other.sentence
