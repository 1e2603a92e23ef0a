"""The lessons on the landing page: which preset each loads, and what to look for. Plain data, no streamlit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lesson:
    """One lesson card: ``preset`` names an entry of rnnlab.experiments.PRESETS; ``page`` is where to look."""

    key: str
    title: str
    preset: str
    look_for: str
    page: str  # the app page (file under app_pages/) that shows the point of the lesson
    also: tuple[tuple[str, str], ...] = ()  # (button label, preset) for a second experiment to compare


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        key="adding",
        title="SimpleRNN vs LSTM on the adding problem",
        preset="adding_lstm",
        look_for=(
            "Two numbers are marked somewhere in a sequence of 50 steps; the target is their sum. Always "
            "answering 1.0 scores an MSE of 0.167, so a model has learned something only below that line. "
            "Train the LSTM, then load the SimpleRNN and train it too: on the Runs page the SimpleRNN's curve "
            "stalls near 0.167 while the LSTM's keeps falling. The Gradients page shows why: side by side, "
            "the SimpleRNN's ||dL/dh_t|| collapses towards early steps, the LSTM's does not."
        ),
        page="gradients.py",
        also=(("Load the SimpleRNN", "adding_simple_rnn"),),
    ),
    Lesson(
        key="forget_gate",
        title="The forget gate carries memory",
        preset="forget_gate",
        look_for=(
            "A 3-bit flip-flop: short pulses set or reset three bits, and the network must report each bit "
            "at every step, across long quiet gaps. On the Gates page watch the forget gate: between pulses "
            "the units holding a bit sit near 1 (yellow), so the cell state c is carried unchanged. Then use "
            "the intervention panel: fix the forget gate to 0 from some step on and see the output lose the "
            "bits it was holding."
        ),
        page="gates.py",
    ),
    Lesson(
        key="parity",
        title="Parity: two attractors in state space",
        preset="parity",
        look_for=(
            "The network reports, at every step, whether it has seen an odd or even number of ones. On the "
            "States page, the PCA trajectories (coloured by time) settle into two clusters: one state for "
            "'odd', one for 'even', and each 1 in the input jumps the state from one cluster to the other."
        ),
        page="states.py",
    ),
    Lesson(
        key="sine",
        title="Sine: a ring in state space",
        preset="sine",
        look_for=(
            "The model reads a noisy sine wave and predicts the next value. On the States page the 2-D PCA "
            "of h draws a ring: the phase of the wave becomes a position on a circle. Move the time-step "
            "slider to watch each sample go round; try 3-D to see the ring from the side."
        ),
        page="states.py",
    ),
    Lesson(
        key="padding",
        title="Padding pitfalls in dynamic mode",
        preset="padding",
        look_for=(
            "Random walks of 5 to 50 steps, zero-padded at the end, read by an LSTM with dynamic=True. In the "
            "Padding lab: see which step return_seq=False returns with dynamic on (each sample's last real "
            "step) and off (the last padded step); switch to the same walks padded at the FRONT, where "
            "dynamic mode computes the zeros and drops the last real steps; insert an all-zero step inside a "
            "sequence and find the rows where TFLearn's length and 'stop at the first zero' disagree."
        ),
        page="padding.py",
    ),
    Lesson(
        key="vowels",
        title="Speaker recognition on Japanese Vowels",
        preset="japanese_vowels",
        look_for=(
            "Nine speakers say the vowel /ae/; each utterance is 7 to 29 frames of 12 LPC cepstrum "
            "coefficients, zero-padded, and the model names the speaker. After training, the States page "
            "coloured by label shows each speaker's utterances ending in their own region of state space."
        ),
        page="states.py",
    ),
)


def by_key(key: str) -> Lesson:
    """key -> Lesson (KeyError names the known keys)."""
    for lesson in LESSONS:
        if lesson.key == key:
            return lesson
    raise KeyError(f"unknown lesson {key!r}; expected one of {[lesson.key for lesson in LESSONS]}")
