"""Ready-made experiments: PRESETS (name -> ExperimentSpec) and a one-line PRESET_DESCRIPTIONS of each."""

from __future__ import annotations

from rnnlab.experiments.spec import ExperimentSpec, LayerSpec


def _lstm(n, **kwargs) -> LayerSpec:
    return LayerSpec("lstm", n, **kwargs)


PRESETS: dict[str, ExperimentSpec] = {
    # The adding problem at T=50: an LSTM gets far below the 0.167 baseline.
    "adding_lstm": ExperimentSpec(
        dataset="adding", dataset_options={"T": 50, "n_samples": 10000, "n_test": 500},
        layers=(_lstm(32),), learning_rate=0.01, batch_size=50, epochs=10, seed=0,
    ),
    # The same task with a SimpleRNN: it stalls near the baseline (the lesson is that it does).
    "adding_simple_rnn": ExperimentSpec(
        dataset="adding", dataset_options={"T": 50, "n_samples": 10000, "n_test": 500},
        layers=(LayerSpec("simple_rnn", 32, activation="tanh"),), learning_rate=0.01, batch_size=50,
        epochs=10, seed=0,
    ),
    # An LSTM holds three bits across long gaps: the forget gate stays near 1 between pulses.
    "forget_gate": ExperimentSpec(
        dataset="flip_flop", layers=(_lstm(16, return_seq=True),), learning_rate=0.01, batch_size=32,
        epochs=30, seed=0,
    ),
    # Running parity, a label per step: a one-bit state machine.
    "parity": ExperimentSpec(
        dataset="parity", layers=(LayerSpec("gru", 16, return_seq=True),), learning_rate=0.01, batch_size=32,
        epochs=10, seed=0,
    ),
    # Next value of a noisy sine with a small LSTM.
    "sine": ExperimentSpec(
        dataset="sine", layers=(_lstm(16),), learning_rate=0.01, batch_size=32, epochs=10, seed=0,
    ),
    # Variable-length sequences in dynamic mode: the output is taken at each sequence's last real step.
    "padding": ExperimentSpec(
        dataset="variable_length", layers=(_lstm(16, dynamic=True),), learning_rate=0.01, batch_size=32,
        epochs=15, seed=0,
    ),
    # Real data: nine speakers from 7-29 frames of 12 cepstrum coefficients, in dynamic mode.
    "japanese_vowels": ExperimentSpec(
        dataset="japanese_vowels", dataset_options={"standardize": True},
        layers=(_lstm(64, dropout=(1.0, 0.7), dynamic=True),), learning_rate=0.005, batch_size=32, epochs=40, seed=0,
    ),
}

PRESET_DESCRIPTIONS: dict[str, str] = {
    "adding_lstm": "Adding problem, T=50, one LSTM: learns far below the 0.167 MSE of always guessing 1.0.",
    "adding_simple_rnn": "Adding problem, T=50, one SimpleRNN: the same budget, usually stuck near the baseline.",
    "forget_gate": "3-bit flip-flop, one LSTM: the forget gate holds each bit between pulses.",
    "parity": "Running parity, one GRU, a label per step: a one-bit state machine.",
    "sine": "Noisy sine, next value, a small LSTM.",
    "padding": "Random walks of 5-50 steps, zero-padded; a dynamic LSTM reads each to its real end.",
    "japanese_vowels": "Japanese Vowels (real, 9 speakers, 7-29 frames), a dynamic LSTM.",
}
