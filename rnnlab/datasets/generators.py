"""The seeded generators behind the synthetic sets (adding, copy memory, parity, sine, flip-flop,
variable length), the GENERATORS table, generate() and the seeded 80/20 split.

Every option is range-checked before anything is drawn, so a generated set [N, T, D] keeps within the
dataset limits (MAX_SEQUENCES, MAX_TIME_STEPS, MAX_FEATURES, MAX_VALUES, MAX_CLASSES); a value outside
raises DataError naming the option, the value and the range."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

import numpy as np

from rnnlab.datasets.dataset import (
    MAX_FEATURES,
    MAX_SEQUENCES,
    MAX_TIME_STEPS,
    MAX_VALUES,
    DataError,
    SequenceDataset,
)

MAX_NOISE_STD = 100.0  # make_sine: the waves have amplitude 0.5..1.5, so more noise is only noise


def make_adding(
    n_samples: int = 1000,
    T: int | None = None,
    min_length: int = 30,
    max_length: int = 200,
    seed: int = 0,
) -> SequenceDataset:
    """-> x [N, T or max_length, 2], y [N, 1]: the adding problem (Hochreiter & Schmidhuber 1997).

    Channel 0: values uniform in (0, 1] (never exactly 0, so real steps are never all zero).
    Channel 1: exactly two 1s, one in the first half of the sequence and one in the second.
    y is the sum of the two marked values; predicting 1.0 always gives MSE 1/6.
    ``T`` fixes every length (the common benchmark uses T=50); otherwise lengths are uniform in
    min_length..max_length and sequences are zero-padded at the end to max_length.
    """
    n, seed = _n_samples(n_samples), _seed(seed)
    if T is not None:
        min_length = max_length = _int_option(T, "T", 2, MAX_TIME_STEPS, "MAX_TIME_STEPS")
    min_length, max_length = _lengths(min_length, max_length)
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, max_length + 1, size=n)  # [N]
    values = (1.0 - rng.random((n, max_length))).astype(np.float32)  # (0, 1]
    half = lengths // 2
    first = (rng.random(n) * half).astype(np.int64)  # [0, L//2)
    second = half + (rng.random(n) * (lengths - half)).astype(np.int64)  # [L//2, L)
    rows = np.arange(n)
    x = np.zeros((n, max_length, 2), np.float32)
    valid = np.arange(max_length)[None, :] < lengths[:, None]  # [N, T]
    x[..., 0] = np.where(valid, values, 0.0)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    y = (x[rows, first, 0] + x[rows, second, 0])[:, None]  # [N, 1]
    return SequenceDataset(
        name="adding",
        x=x,
        y=y,
        lengths=lengths,
        task="regression",
        feature_names=("value", "marker"),
    )


def make_copy_memory(
    n_samples: int = 1000,
    delay: int = 20,
    copy_length: int = 10,
    n_symbols: int = 8,
    seed: int = 0,
) -> SequenceDataset:
    """-> x [N, T, n_symbols + 2] one-hot, y [N, T] classes, T = delay + 2 * copy_length: copy memory.

    Input codes: 0 blank, 1..n_symbols symbols, n_symbols + 1 the 'go' delimiter. The input is
    copy_length symbols, delay - 1 blanks, the delimiter, copy_length blanks. The target is blank
    (class 0) for delay + copy_length steps, then the symbols again (classes 1..n_symbols).
    """
    n, seed = _n_samples(n_samples), _seed(seed)
    steps = "so that T = delay + 2 * copy_length <= MAX_TIME_STEPS"
    delay = _int_option(delay, "delay", 1, MAX_TIME_STEPS - 2, steps)
    copy_length = _int_option(copy_length, "copy_length", 1, (MAX_TIME_STEPS - 1) // 2, steps)
    n_symbols = _int_option(n_symbols, "n_symbols", 1, MAX_FEATURES - 2, "MAX_FEATURES - 2: D = n_symbols + 2")
    t = delay + 2 * copy_length
    if t > MAX_TIME_STEPS:
        raise DataError(
            f"T = delay + 2 * copy_length must be at most MAX_TIME_STEPS={MAX_TIME_STEPS}; received delay={delay}, "
            f"copy_length={copy_length}, T={t} (expected delay + 2 * copy_length in 3..{MAX_TIME_STEPS})."
        )
    _check_values(n, t, n_symbols + 2, "n_symbols + 2", f"T={t}, n_symbols={n_symbols}")
    rng = np.random.default_rng(seed)
    symbols = rng.integers(1, n_symbols + 1, size=(n, copy_length))  # [N, copy_length]
    codes = np.zeros((n, t), np.int64)
    codes[:, :copy_length] = symbols
    codes[:, copy_length + delay - 1] = n_symbols + 1
    y = np.zeros((n, t), np.int64)
    y[:, -copy_length:] = symbols
    x = np.eye(n_symbols + 2, dtype=np.float32)[codes]  # [N, T, n_symbols + 2]
    return SequenceDataset(
        name="copy_memory",
        x=x,
        y=y,
        lengths=np.full(n, t),
        task="sequence_labelling",
        n_classes=n_symbols + 1,
        feature_names=("blank", *(f"symbol {i}" for i in range(1, n_symbols + 1)), "go"),
        class_names=("blank", *(f"symbol {i}" for i in range(1, n_symbols + 1))),
    )


def make_parity(n_samples: int = 2000, T: int = 20, seed: int = 0) -> SequenceDataset:
    """-> x [N, T, 1] in {-1, +1}, y [N, T] in {0, 1}: running parity of the bits so far.

    Bit 1 is written +1 and bit 0 is written -1 (so no step is all zeros); y[b, t] is the XOR of
    bits 0..t.
    """
    n, t, seed = _n_samples(n_samples), _int_option(T, "T", 1, MAX_TIME_STEPS, "MAX_TIME_STEPS"), _seed(seed)
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(n, t))  # [N, T]
    x = (2.0 * bits - 1.0).astype(np.float32)[..., None]
    y = np.cumsum(bits, axis=1) % 2
    return SequenceDataset(
        name="parity",
        x=x,
        y=y,
        lengths=np.full(n, t),
        task="sequence_labelling",
        n_classes=2,
        feature_names=("bit (+1 = 1, -1 = 0)",),
        class_names=("even", "odd"),
    )


def make_sine(n_samples: int = 1000, T: int = 50, noise_std: float = 0.1, seed: int = 0) -> SequenceDataset:
    """-> x [N, T, 1], y [N, 1]: noisy sine windows and the next noisy value.

    Amplitude uniform in 0.5..1.5, period uniform in 8..40 steps, phase uniform, Gaussian noise
    with std ``noise_std`` (which is also the floor of the achievable RMSE).
    """
    n, t, seed = _n_samples(n_samples), _int_option(T, "T", 1, MAX_TIME_STEPS, "MAX_TIME_STEPS"), _seed(seed)
    noise_std = _number_option(noise_std, "noise_std", 0.0, MAX_NOISE_STD, low_open=False)
    rng = np.random.default_rng(seed)
    amplitude = rng.uniform(0.5, 1.5, size=(n, 1))
    period = rng.uniform(8.0, 40.0, size=(n, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(n, 1))
    steps = np.arange(t + 1)[None, :]
    series = amplitude * np.sin(2 * np.pi * steps / period + phase) + noise_std * rng.standard_normal((n, t + 1))
    series = _never_exactly_zero(series.astype(np.float32))
    return SequenceDataset(
        name="sine",
        x=series[:, :t, None],
        y=series[:, t:],
        lengths=np.full(n, t),
        task="regression",
        feature_names=("value",),
    )


def make_flip_flop(
    n_samples: int = 600,
    T: int = 100,
    n_bits: int = 3,
    pulse_prob: float = 0.05,
    constant_channel: bool = True,
    seed: int = 0,
) -> SequenceDataset:
    """-> x [N, T, n_bits (+1)], y [N, T, n_bits]: the flip-flop task (Sussillo & Barak 2013).

    Each input channel is 0 except for +1 / -1 pulses (probability ``pulse_prob`` per step); each
    output holds the sign of the last pulse on its channel, 0 before the first. With
    ``constant_channel`` a last input channel of 1s keeps every real step non-zero (otherwise most
    steps are all zeros and dynamic mode would cut them).
    """
    n, t, seed = _n_samples(n_samples), _int_option(T, "T", 1, MAX_TIME_STEPS, "MAX_TIME_STEPS"), _seed(seed)
    bits = _int_option(n_bits, "n_bits", 1, MAX_FEATURES - 1, "MAX_FEATURES - 1: D = n_bits + 1")
    pulse_prob = _number_option(pulse_prob, "pulse_prob", 0.0, 1.0, low_open=True)
    if not isinstance(constant_channel, (bool, np.bool_)):
        raise DataError(f"constant_channel must be True or False; received {constant_channel!r} (expected True or False).")
    if constant_channel:
        _check_values(n, t, bits + 1, "n_bits + 1", f"T={t}, n_bits={bits}")
    else:
        _check_values(n, t, bits, "n_bits", f"T={t}, n_bits={bits}")
    rng = np.random.default_rng(seed)
    pulse = rng.random((n, t, bits)) < pulse_prob  # [N, T, bits]
    pulses = np.where(pulse, rng.choice([-1.0, 1.0], size=(n, t, bits)), 0.0)
    y = np.zeros((n, t, bits), np.float32)
    held = np.zeros((n, bits), np.float32)
    for step in range(t):
        held = np.where(pulses[:, step] != 0, pulses[:, step], held)
        y[:, step] = held
    x = pulses.astype(np.float32)
    names_ = tuple(f"bit {i + 1} pulse" for i in range(bits))
    if constant_channel:
        x = np.concatenate([x, np.ones((n, t, 1), np.float32)], axis=2)
        names_ += ("constant",)
    return SequenceDataset(
        name="flip_flop",
        x=x,
        y=y,
        lengths=np.full(n, t),
        task="sequence_labelling",
        feature_names=names_,
    )


def make_variable_length(
    n_samples: int = 1000,
    min_length: int = 5,
    max_length: int = 50,
    padding: str = "post",
    seed: int = 0,
) -> SequenceDataset:
    """-> x [N, max_length, 1], y [N]: random walks of varying length; class 1 if the walk ends higher.

    Start uniform in -1..1, steps normal with std 0.5. ``padding='post'`` zero-pads at the end
    (what dynamic mode expects), ``'pre'`` at the front (the same sequences; the pitfall).
    """
    n, seed = _n_samples(n_samples), _seed(seed)
    min_length, max_length = _lengths(min_length, max_length)
    if padding not in ("post", "pre"):
        raise DataError(f"padding must be 'post' or 'pre'; received {padding!r}.")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, max_length + 1, size=n)
    start = rng.uniform(-1.0, 1.0, size=(n, 1))
    walk = start + np.cumsum(np.concatenate([np.zeros((n, 1)), 0.5 * rng.standard_normal((n, max_length - 1))], 1), 1)
    walk = _never_exactly_zero(walk.astype(np.float32))
    valid = np.arange(max_length)[None, :] < lengths[:, None]
    x = np.where(valid, walk, 0.0).astype(np.float32)[..., None]
    y = (walk[np.arange(n), lengths - 1] > walk[:, 0]).astype(np.int64)
    dataset = SequenceDataset(
        name="variable_length",
        x=x,
        y=y,
        lengths=lengths,
        task="classification",
        n_classes=2,
        feature_names=("value",),
        class_names=("ends lower", "ends higher"),
    )
    if padding == "pre":
        dataset = replace(to_prepadded(dataset), name="variable_length_prepadded")
    return dataset


def to_prepadded(dataset: SequenceDataset) -> SequenceDataset:
    """[N, T, D] padded at the end -> [N, T, D] padded at the front (per-step labels move too).

    ``lengths`` stay the true lengths. Only for showing the pitfall: dynamic mode expects the end.
    """
    n, t = dataset.n_samples, dataset.time_steps
    shift = (t - dataset.lengths)[:, None]  # [N, 1]
    source = (np.arange(t)[None, :] - shift) % t  # step that lands at each position
    rows = np.arange(n)[:, None]
    y = dataset.y[rows, source] if dataset.task == "sequence_labelling" else dataset.y
    return replace(dataset, x=dataset.x[rows, source], y=y)


GENERATORS: dict[str, Callable[..., SequenceDataset]] = {
    "adding": make_adding,
    "copy_memory": make_copy_memory,
    "parity": make_parity,
    "sine": make_sine,
    "flip_flop": make_flip_flop,
    "variable_length": make_variable_length,
    "variable_length_prepadded": lambda **kwargs: make_variable_length(padding="pre", **kwargs),
}


def generate(name: str, n_samples: int = 1000, seed: int = 0, **params: Any) -> SequenceDataset:
    """name -> SequenceDataset [n_samples, T, D]: a fresh synthetic set of any size (not split)."""
    if not isinstance(name, str) or name not in GENERATORS:
        raise DataError(f"name must be one of the synthetic sets {list(GENERATORS)}; received {name!r}.")
    return GENERATORS[name](n_samples=_n_samples(n_samples), seed=seed, **params)


def split_80_20(n_samples: int, seed: int = 0) -> np.ndarray:
    """N -> [N] bool, True for the test sequences: a seeded random 20% (rounded) test split."""
    rng = np.random.default_rng([seed, 8020])
    test = np.zeros(n_samples, bool)
    test[rng.permutation(n_samples)[: int(round(0.2 * n_samples))]] = True
    return test


def _never_exactly_zero(values: np.ndarray) -> np.ndarray:
    """Continuous draws are zero with probability ~0; make it exactly 0 so real steps stay non-zero."""
    return np.where(values == 0, np.float32(1e-6), values).astype(np.float32)


def _int_option(value, name: str, low: int, high: int, limit: str = "") -> int:
    """An int option in low..high (``limit`` names where high comes from), else DataError saying so."""
    expected = f"(expected an int in {low}..{high}{f', {limit}' if limit else ''})"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise DataError(f"{name} must be an int; received {value!r}, a {type(value).__name__} {expected}.")
    if value < 1:
        raise DataError(f"{name} must be a positive int; received {value!r} {expected}.")
    if value < low:
        raise DataError(f"{name} must be at least {low}; received {value!r} {expected}.")
    if value > high:
        raise DataError(f"{name} must be at most {high}; received {value!r} {expected}.")
    return int(value)


def _number_option(value, name: str, low: float, high: float, low_open: bool) -> float:
    """A finite number option in [low, high] (or (low, high]), else DataError saying so."""
    expected = f"(expected a number in {'(' if low_open else '['}{low:g}, {high:g}])"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise DataError(f"{name} must be a number; received {value!r} {expected}.")
    value = float(value)
    if not np.isfinite(value):
        raise DataError(f"{name} must be a finite number; received {value!r} {expected}.")
    if value < low or (low_open and value == low):
        raise DataError(f"{name} must be {'more than' if low_open else 'at least'} {low:g}; received {value!r} {expected}.")
    if value > high:
        raise DataError(f"{name} must be at most {high:g}; received {value!r} {expected}.")
    return value


def _n_samples(value) -> int:
    return _int_option(value, "n_samples", 1, MAX_SEQUENCES, "MAX_SEQUENCES")


def _seed(value):
    """None (fresh randomness) or an int >= 0, as numpy's default_rng takes it."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
        raise DataError(f"seed must be None or an int >= 0; received {value!r} (expected None or an int >= 0).")
    return int(value)


def _lengths(min_length, max_length) -> tuple[int, int]:
    """min_length, max_length in 2..MAX_TIME_STEPS with min_length <= max_length."""
    max_length = _int_option(max_length, "max_length", 2, MAX_TIME_STEPS, "MAX_TIME_STEPS")
    min_length = _int_option(min_length, "min_length", 2, max_length, "max_length")
    return min_length, max_length


def _check_values(n: int, t: int, d: int, d_is: str, option: str) -> None:
    """N * T * D within MAX_VALUES, else DataError naming the options that set them."""
    if n * t * d > MAX_VALUES:
        raise DataError(
            f"n_samples * T * D = {n} * {t} * {d} = {n * t * d} values is too many (D = {d_is}); received "
            f"n_samples={n}, {option} (expected at most MAX_VALUES={MAX_VALUES} values: fewer samples, steps or "
            "channels)."
        )
