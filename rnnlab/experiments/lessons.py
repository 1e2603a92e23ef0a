"""The lessons: which preset each loads, what to look for, and the claim that checks it on the user's run.

    from rnnlab.experiments import LESSONS, evidence_for
    lesson = by_key("forget_gate")
    evidence = evidence_for(lesson, {"forget_gate": train(PRESETS["forget_gate"])})
    evidence.holds, evidence.sentence                  # True, "Units 3, 7, 12 hold bits 1-3 ..."

A lesson is data with a claim: ``look_for`` promises only what ``claim`` measures (see claims.py), so the
text can be checked on every trained run (bench/bench_lessons.py does it for seeds 0-4). Plain data and
plain functions: no streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from rnnlab.experiments import claims
from rnnlab.experiments.claims import ClaimUnavailable, Evidence, Focus

__all__ = ["Evidence", "Focus", "LESSONS", "Lesson", "by_key", "evidence_for"]


def _no_claim(runs: Mapping[str, Any]) -> Evidence:
    return Evidence(None, "This lesson has no measured claim.", {})


@dataclass(frozen=True)
class Lesson:
    """One lesson card: ``preset`` names an entry of rnnlab.experiments.PRESETS; ``page`` is the app page (file
    under app_pages/) that shows the point; ``also``: (button label, preset) of a second experiment to compare (its button loads and trains it);
    ``claim``: runs (preset name -> trained run) -> Evidence; ``colour_by``: how the States page colours the
    trajectories when the lesson opens it ("label", "target", or None for the page's default, by time)."""

    key: str
    title: str
    preset: str
    look_for: str
    page: str
    also: tuple[tuple[str, str], ...] = ()
    claim: Callable[[Mapping[str, Any]], Evidence] = _no_claim
    colour_by: str | None = None


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        key="adding",
        title="SimpleRNN vs LSTM on the adding problem",
        preset="adding_lstm",
        look_for=(
            "Two numbers are marked somewhere in a sequence of 50 steps; the target is their sum. Always "
            "answering the mean scores an MSE of about 0.16, so a model has learned something only below that "
            "line. Train the LSTM, then press Load and train the SimpleRNN: the LSTM ends at least ten times "
            "below the line, the SimpleRNN stays near it. The Gradients page shows why: the SimpleRNN's "
            "||dL/dh_t|| at the first step is a thousandth of the one at the last step or less, so the first "
            "marked number teaches it next to nothing; the LSTM keeps at least a hundred times more of it."
        ),
        page="gradients.py",
        also=(("Load and train the SimpleRNN", "adding_simple_rnn"),),
        claim=claims.adding_claim,
    ),
    Lesson(
        key="forget_gate",
        title="The forget gate carries memory",
        preset="forget_gate",
        look_for=(
            "A 3-bit flip-flop: rare pulses set or reset three bits, and the network must report each bit at "
            "every step, across long quiet gaps. On the Gates page find the units that hold a bit (their cell "
            "state c follows it): between pulses their forget gate stays near 1 (yellow, a median of 0.9 or "
            "more), so c is carried almost unchanged from step to step. Then use the intervention panel: fix the forget "
            "gate of those units at 0 and see the output lose the bits it was holding."
        ),
        page="gates.py",
        claim=claims.forget_gate_claim,
    ),
    Lesson(
        key="parity",
        title="Parity: two attractors in state space",
        preset="parity",
        look_for=(
            "The network reports, at every step, whether it has seen an odd or even number of ones. On the "
            "States page, coloured by label, the PCA trajectories of h fall, after the first few steps, into two "
            "groups: one for 'odd', one for 'even', far apart (a group may be a few tight clumps of its own), and "
            "each 1 in the input jumps the state from one group to the other."
        ),
        page="states.py",
        claim=claims.parity_claim,
        colour_by="label",
    ),
    Lesson(
        key="sine",
        title="Sine: a ring in state space",
        preset="sine",
        look_for=(
            "The model reads a noisy sine wave and predicts the next value. On the States page the 2-D PCA "
            "of h draws a ring for nearly every wave once the first steps are past: the phase of the wave becomes a "
            "position on a circle, and the state goes round it in every direction at a steady distance from "
            "the centre. Move the time-step slider to watch a sample go round."
        ),
        page="states.py",
        claim=claims.sine_claim,
    ),
    Lesson(
        key="padding",
        title="Padding pitfalls in dynamic mode",
        preset="padding",
        look_for=(
            "Random walks of 5 to 50 steps, zero-padded at the end, read by an LSTM with dynamic=True, which "
            "stops at each walk's last real step: its answer for a padded walk is exactly its answer for the "
            "same walk cut to its length. The same weights with dynamic off read the padding zeros as if they "
            "were data, answer differently and score lower. The Padding lab shows which step each mode returns."
        ),
        page="padding.py",
        claim=claims.padding_claim,
    ),
    Lesson(
        key="vowels",
        title="Speaker recognition on Japanese Vowels",
        preset="japanese_vowels",
        look_for=(
            "Nine speakers say the vowel /ae/; each utterance is 7 to 29 frames of 12 LPC cepstrum "
            "coefficients, zero-padded, and the model names the speaker. A dynamic LSTM trained for a few "
            "seconds names the right speaker for 95% or more of the test utterances. Then open the States page "
            "coloured by label to see how the utterances of each speaker move through state space."
        ),
        page="states.py",
        claim=claims.vowels_claim,
        colour_by="label",
    ),
)


def by_key(key: str) -> Lesson:
    """key -> Lesson (KeyError names the known keys)."""
    for lesson in LESSONS:
        if lesson.key == key:
            return lesson
    raise KeyError(f"unknown lesson {key!r}; expected one of {[lesson.key for lesson in LESSONS]}")


def evidence_for(lesson: Lesson, runs: Mapping[str, Any]) -> Evidence:
    """lesson, runs (preset name -> trained run: anything with .model and .spec) -> Evidence.

    Measures the lesson's claim on the test split (``load_data(run.spec)[1]``, a bounded number of sequences).
    Neither the lesson's preset nor a companion (``also``) trained: holds=None with a suggestion to train it;
    a claim that cannot be measured on these runs (other data, no layer of the right kind): holds=None too.
    """
    presets = [lesson.preset, *(preset for _, preset in lesson.also)]
    if all(runs.get(preset) is None for preset in presets):
        return Evidence(None, f"The '{lesson.preset}' run is not trained yet, so there is nothing to measure.", {},
                        suggestion=f"Train the '{lesson.preset}' preset (Load and train), then check again.")
    try:
        return lesson.claim(runs)
    except ClaimUnavailable as reason:
        return Evidence(None, reason.sentence, {}, suggestion=reason.suggestion)
