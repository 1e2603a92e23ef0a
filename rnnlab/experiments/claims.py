"""What each lesson claims, measured on a trained run: pure measures over arrays, then one claim per lesson.

    from rnnlab.experiments import claims
    claims.ring_measure(coords)                        # [N, 2] -> sectors covered, radius spread, centre share
    claims.forget_gate_claim({"forget_gate": run})     # -> Evidence(holds, sentence, numbers, suggestion, focus)

The pure measures (``holding_units`` ... ``output_agreement``) take NumPy arrays, so they are tested on
hand-built traces. The claims (``*_claim``) probe the run's model on at most ``MAX_SAMPLES`` test sequences
(``load_data(run.spec)[1]``), call the measures and say in one sentence, with the numbers, what is true of
this run. A run is anything with ``.model`` (a keras.Model) and ``.spec`` (an ExperimentSpec).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

MAX_SAMPLES = 64  # sequences probed per claim (adding: 4x); the time goes mostly into compiling the probe
MAX_EVAL = 512  # sequences predicted for a test error or accuracy

FORGET_HOLD = 0.9  # median forget between pulses of a unit that holds a bit
FLIP_FLOP_ERROR = 0.2  # test MSE at most this fraction of always answering the mean
ADDING_LSTM = 0.1  # LSTM test MSE <= ADDING_LSTM x baseline
ADDING_SIMPLE = 0.5  # SimpleRNN test MSE >= ADDING_SIMPLE x baseline: near it, far above the LSTM
RATIO_VANISHED = 1e-3  # the SimpleRNN's ||dL/dh_0|| / ||dL/dh_{T-1}|| at most this
RATIO_GAP = 100.0  # the LSTM's ratio at least this many times the SimpleRNN's
PARITY_ACCURACY = 0.95  # nearest-centroid accuracy of the parity labels in the 2-D PCA of h
PARITY_SEPARATION = 2.5  # distance between the two centroids / mean distance of a point to its centroid
PARITY_SKIP = 3  # first steps left out (the state leaves h_0 = 0)
RING_SECTORS = 12  # angular sectors around the centroid; a ring has points in every one
RING_SECTOR_SHARE = 0.02  # a sector counts as covered with at least this share of the points
RING_CV = 0.35  # radius: coefficient of variation at most this
RING_CENTRE = 0.3  # "near the centre": radius below this fraction of the median radius
RING_CENTRE_SHARE = 0.02  # at most this share of the points near the centre
RING_SKIP = 10  # transient steps left out
RING_SHARE = 0.8  # share of the probed sequences whose own path must be a ring
DYNAMIC_SAME = 1e-5  # max |output(padded) - output(cut to length)| with dynamic on
DYNAMIC_DIFFERENT = 1e-2  # median max |difference| with dynamic off, over sequences shorter than T
PADDING_ACCURACY = 0.8  # test accuracy with dynamic on: the model learned, so dynamic off has something to lose
VOWELS_ACCURACY = 0.95


@dataclass(frozen=True)
class Focus:
    """Where the lesson's view should look on this run (the app preselects it); None / () = no preference."""

    layer: str | None = None  # trace layer name, e.g. "LSTM"
    sample: int | None = None  # index into the test split
    units: tuple[int, ...] = ()
    step: int | None = None


@dataclass(frozen=True)
class Evidence:
    """What a lesson's claim found on the user's runs.

    holds: True / False, or None when it cannot be measured yet (a run missing). sentence: one sentence, true
    of this run, with its numbers. numbers: name -> value of what was measured. suggestion: what to change
    when holds is not True. focus: where to look.
    """

    holds: bool | None
    sentence: str
    numbers: dict[str, float] = field(default_factory=dict)
    suggestion: str = ""
    focus: Focus | None = None


class ClaimUnavailable(Exception):
    """A claim cannot be measured on these runs (wrong data or layers); becomes Evidence(holds=None)."""

    def __init__(self, sentence: str, suggestion: str = ""):
        super().__init__(sentence)
        self.sentence, self.suggestion = sentence, suggestion


# ---------------------------------------------------------------------------------------------- pure measures


def _valid(valid, shape) -> np.ndarray:
    return np.ones(shape, bool) if valid is None else np.asarray(valid, bool)


def holding_units(c, targets, valid=None) -> tuple[np.ndarray, np.ndarray]:
    """c [B, T, n], targets [B, T, bits], valid [B, T] -> (units [bits] int, |corr| [bits]).

    For each bit, the unit whose cell state c correlates most (absolute Pearson correlation over valid steps)
    with that bit's target. Each unit serves one bit: the strongest (bit, unit) pair is chosen first.
    """
    c, targets = np.asarray(c, np.float64), np.asarray(targets, np.float64)
    mask = _valid(valid, c.shape[:2])
    cv, tv = c[mask], targets[mask]  # [S, n], [S, bits]
    cv, tv = cv - cv.mean(0), tv - tv.mean(0)
    norms = np.sqrt((cv**2).sum(0))[:, None] * np.sqrt((tv**2).sum(0))[None, :]  # [n, bits]
    corr = np.abs(np.divide(cv.T @ tv, norms, out=np.zeros_like(norms), where=norms > 0))  # [n, bits]
    units, strength = np.full(tv.shape[1], -1), np.zeros(tv.shape[1])
    work = corr.copy()
    for _ in range(min(work.shape)):
        unit, bit = np.unravel_index(np.argmax(work), work.shape)
        units[bit], strength[bit] = unit, corr[unit, bit]
        work[unit, :], work[:, bit] = -1.0, -1.0
    return units, strength


def forget_between_pulses(forget, pulses, targets, units, valid=None) -> np.ndarray:
    """forget [B, T, n], pulses [B, T, bits], targets [B, T, bits], units [bits] -> median forget [bits].

    For bit b: the median of unit ``units[b]``'s forget gate over the steps between pulses of that bit
    (valid, its input channel 0, the bit already set: target != 0). NaN where there is no such step.
    """
    forget, pulses, targets = np.asarray(forget), np.asarray(pulses), np.asarray(targets)
    mask = _valid(valid, forget.shape[:2])
    medians = np.full(len(units), np.nan)
    for bit, unit in enumerate(units):
        between = mask & (pulses[..., bit] == 0) & (targets[..., bit] != 0)
        if unit >= 0 and between.any():
            medians[bit] = float(np.median(forget[..., unit][between]))
    return medians


def forget_verdict(medians, mse: float, baseline: float, forced_mse: float) -> bool:
    """medians [bits] (forget_between_pulses), test MSE, baseline MSE, MSE with those units' forget fixed at 0
    -> True when the bits are learned (mse <= FLIP_FLOP_ERROR x baseline), every median >= FORGET_HOLD and
    fixing the forget gate at 0 at least doubles the error."""
    medians = np.asarray(medians, np.float64)
    return bool(mse <= FLIP_FLOP_ERROR * baseline and medians.size and np.all(medians >= FORGET_HOLD)
                and forced_mse >= 2 * mse)


def gradient_ratio(grad_norm, valid=None) -> np.ndarray:
    """grad_norm [B, T] (||dL/dh_t||), valid [B, T] -> [B]: ||dL/dh_0|| / ||dL/dh_last|| per sequence.

    'last' is each sequence's last valid step; a zero last gradient gives NaN.
    """
    g = np.asarray(grad_norm, np.float64)
    last = _valid(valid, g.shape).sum(1) - 1
    end = g[np.arange(len(g)), np.maximum(last, 0)]
    return np.divide(g[:, 0], end, out=np.full(len(g), np.nan), where=end > 0)


def adding_verdict(baseline: float, lstm_mse=None, simple_mse=None, lstm_ratio=None, simple_ratio=None) -> dict:
    """Adding-problem numbers (None = that run is missing) -> {'holds': bool | None, 'failed': [reasons]}.

    Holds when LSTM MSE <= ADDING_LSTM x baseline, SimpleRNN MSE >= ADDING_SIMPLE x baseline, the SimpleRNN's
    gradient ratio <= RATIO_VANISHED and the LSTM's >= RATIO_GAP x the SimpleRNN's. A missing run: None (with
    the reasons that already fail in 'failed').
    """
    failed = []
    if lstm_mse is not None and not lstm_mse <= ADDING_LSTM * baseline:
        failed.append(f"the LSTM's test MSE {lstm_mse:.3g} is above {ADDING_LSTM:g} x the baseline")
    if simple_mse is not None and not simple_mse >= ADDING_SIMPLE * baseline:
        failed.append(f"the SimpleRNN learned (test MSE {simple_mse:.3g}, below {ADDING_SIMPLE:g} x the baseline)")
    if simple_ratio is not None and not simple_ratio <= RATIO_VANISHED:
        failed.append(f"the SimpleRNN's gradient ratio {simple_ratio:.2g} is above {RATIO_VANISHED:g}")
    if lstm_ratio is not None and simple_ratio is not None and not lstm_ratio >= RATIO_GAP * simple_ratio:
        failed.append(f"the LSTM's gradient ratio is not {RATIO_GAP:g}x the SimpleRNN's")
    if None in (lstm_mse, simple_mse, lstm_ratio, simple_ratio):
        return {"holds": None, "failed": failed}
    return {"holds": not failed, "failed": failed}


def cluster_separation(coords, labels) -> dict:
    """coords [N, k], labels [N] (two classes) -> {'accuracy', 'separation'}.

    accuracy: share of points nearer their own class centroid than the other's (nearest-centroid classifier);
    separation: distance between the two centroids / mean distance of a point to its own centroid (two tight
    clusters: large; one blob cut in two: about 2 or less).
    """
    coords, labels = np.asarray(coords, np.float64), np.asarray(labels).reshape(-1)
    classes = np.unique(labels)
    if len(classes) != 2:
        return {"accuracy": float("nan"), "separation": float("nan")}
    centroids = np.stack([coords[labels == k].mean(0) for k in classes])  # [2, k]
    dist = np.linalg.norm(coords[:, None, :] - centroids[None], axis=-1)  # [N, 2]
    own = (labels == classes[1]).astype(int)
    accuracy = float(np.mean(np.argmin(dist, 1) == own))
    spread = float(np.mean(dist[np.arange(len(own)), own]))
    gap = float(np.linalg.norm(centroids[0] - centroids[1]))
    return {"accuracy": accuracy, "separation": gap / spread if spread > 0 else float("inf")}


def ring_measure(coords, n_sectors: int = RING_SECTORS) -> dict:
    """coords [N, 2] (a path in the PCA plane) -> {'sectors', 'radius_cv', 'centre_share'}.

    Around the points' centroid: sectors = how many of ``n_sectors`` equal angles hold at least
    RING_SECTOR_SHARE of the points; radius_cv = std / mean of the distance to the centroid; centre_share =
    share of points closer than RING_CENTRE x the median distance. A ring covers every sector with a steady
    radius and nothing in the middle; a line covers two sectors; a blob has a wide radius and a full centre.
    """
    coords = np.asarray(coords, np.float64)
    rel = coords - coords.mean(0)
    radius = np.linalg.norm(rel, axis=1)
    angle = np.arctan2(rel[:, 1], rel[:, 0])  # [-pi, pi]
    sector = np.minimum((angle + np.pi) / (2 * np.pi) * n_sectors, n_sectors - 1).astype(int)
    share = np.bincount(sector, minlength=n_sectors) / max(len(coords), 1)
    mean = radius.mean() if len(radius) else 0.0
    return {
        "sectors": int(np.sum(share >= RING_SECTOR_SHARE)),
        "radius_cv": float(radius.std() / mean) if mean > 0 else float("inf"),
        "centre_share": float(np.mean(radius < RING_CENTRE * np.median(radius))) if mean > 0 else 1.0,
    }


def is_ring(measure: dict, n_sectors: int = RING_SECTORS) -> bool:
    """ring_measure(...) -> True when every sector is covered, radius_cv <= RING_CV and the centre is empty."""
    return (measure["sectors"] == n_sectors and measure["radius_cv"] <= RING_CV
            and measure["centre_share"] <= RING_CENTRE_SHARE)


def output_agreement(dynamic, cut, static, lengths, time_steps: int) -> dict:
    """dynamic, cut, static [B, k] outputs; lengths [B] -> {'cut_diff', 'static_diff', 'n_padded'}.

    cut_diff: max over sequences of max |dynamic - cut| (the model on the padded batch vs on each sequence cut
    to its length); static_diff: median over the sequences shorter than ``time_steps`` of max |dynamic -
    static| (the same weights with dynamic off); n_padded: how many such sequences.
    """
    dynamic, cut, static = (np.asarray(a, np.float64).reshape(len(a), -1) for a in (dynamic, cut, static))
    padded = np.asarray(lengths) < time_steps
    static_diff = np.abs(dynamic - static).max(1)[padded]
    return {
        "cut_diff": float(np.abs(dynamic - cut).max()) if len(cut) else float("nan"),
        "static_diff": float(np.median(static_diff)) if padded.any() else float("nan"),
        "n_padded": float(padded.sum()),
    }


def pca_coords(states, valid=None, skip: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """states [B, T, n], valid [B, T] -> (coords [B, T, 2] in the 2-D PCA of h, used [B, T] bool).

    The PCA is fitted on the valid steps from ``skip`` on (the ones used); every step is projected.
    """
    from rnnlab.plots import fit_pca  # plotly comes with it: only when a claim needs it

    states = np.asarray(states, np.float64)
    used = _valid(valid, states.shape[:2]).copy()
    used[:, :skip] = False
    basis = fit_pca(states[used], 2)
    return basis.project(states.reshape(-1, states.shape[-1])).reshape(*states.shape[:2], 2), used


# ---------------------------------------------------------------------------------------------- the claims


def _run(runs, preset: str):
    run = runs.get(preset)
    if run is None:
        raise ClaimUnavailable(f"The '{preset}' run is not trained yet, so there is nothing to measure.",
                               f"Train the '{preset}' preset (Load and train).")
    return run


def _test_data(run, dataset: str, n: int):
    """run -> (train, test subset of at most n sequences); ClaimUnavailable when the run has other data."""
    from rnnlab.experiments.data import load_data

    if run.spec.dataset != dataset:
        raise ClaimUnavailable(f"This run was trained on '{run.spec.dataset}', not on '{dataset}'.",
                               "Load the lesson's preset again and train it.")
    train, test = load_data(run.spec)
    return train, test.subset(np.arange(min(n, test.n_samples)))


def _probe(run, x, y=None, kinds=("lstm", "gru", "simple_rnn"), **kwargs):
    """-> (trace, name of the last recorded layer of one of ``kinds``)."""
    from rnnlab.probes import probe

    trace = probe(run.model, x, y, **kwargs)
    names = [name for name, record in trace.layers.items() if record.kind in kinds]
    if not names:
        raise ClaimUnavailable(f"This run has no {' / '.join(kinds)} layer to look into.",
                               "Load the lesson's preset again and train it.")
    return trace, names[-1]


def _mse(prediction, y, valid=None) -> float:
    """prediction, y [B, k] or [B, T, k] -> mean squared error over valid steps (mean over k)."""
    err = np.mean((np.asarray(prediction, np.float64) - np.asarray(y, np.float64)) ** 2, axis=-1)
    return float(err.mean() if valid is None else err[np.asarray(valid, bool)].mean())


def _accuracy(model, data) -> float:
    x = np.asarray(data.x[:MAX_EVAL], np.float32)
    probabilities = np.asarray(model.predict(x, batch_size=256, verbose=0))
    return float(np.mean(np.argmax(probabilities, -1) == data.y[:MAX_EVAL]))


def _join(values, fmt="{:.2f}") -> str:
    return ", ".join(fmt.format(v) for v in values)


def forget_gate_claim(runs, preset: str = "forget_gate") -> Evidence:
    """runs -> Evidence: the LSTM units that hold the flip-flop's bits keep forget >= FORGET_HOLD between
    pulses (median), and forcing their forget gate to 0 loses the bits."""
    from rnnlab.experiments.training import baseline
    from rnnlab.probes import Intervention, probe

    run = _run(runs, preset)
    train, test = _test_data(run, "flip_flop", MAX_SAMPLES)
    trace, name = _probe(run, test.x, kinds=("lstm",))
    record = trace.layer(name)
    bits = test.y.shape[-1]
    pulses = test.x[..., :bits]
    units, corr = holding_units(record.quantities["c"], test.y, record.valid)
    medians = forget_between_pulses(record.quantities["forget"], pulses, test.y, units, record.valid)
    mse = _mse(trace.output, test.y, record.valid)
    forced = probe(run.model, test.x, interventions=[Intervention(name, "forget", 0.0, units=tuple(map(int, units)))])
    forced_mse = _mse(forced.output, test.y, record.valid)
    base = baseline(train, test)["loss"]
    learned = mse <= FLIP_FLOP_ERROR * base
    holds = forget_verdict(medians, mse, base, forced_mse)
    numbers = {"test_mse": mse, "baseline_mse": base, "forced_mse": forced_mse}
    for bit, (unit, r, m) in enumerate(zip(units, corr, medians), start=1):
        numbers.update({f"unit_bit{bit}": float(unit), f"corr_bit{bit}": float(r), f"forget_bit{bit}": float(m)})
    sentence = (
        f"The units whose c follows bits 1-{bits} best are {_join(units, '{:d}')} (|correlation| "
        f"{_join(corr)}); between pulses their forget gate has a median of {_join(medians)}; on the first "
        f"{test.n_samples} test sequences the MSE is {mse:.3g} (always answering the mean: {base:.3g}), "
        f"{forced_mse:.3g} with their forget gate fixed at 0."
    )
    suggestion = ""
    if not learned:
        suggestion = "The network has not learned the bits yet: train more epochs, or try another seed."
    elif not holds:
        suggestion = ("These units hold the bits by feeding them back rather than by keeping c: raise forget_bias "
                      "(e.g. to 4) or try another seed.")
    n_pulses = (pulses[..., list(range(bits))] != 0).sum(axis=(1, 2))
    focus = Focus(layer=name, sample=int(np.argmax(n_pulses)), units=tuple(int(u) for u in units))
    return Evidence(holds, sentence, numbers, suggestion, focus)


def _adding_numbers(run):
    """-> (test MSE, median gradient ratio, layer name, T) of one adding-problem run: one probe (with dL/dh_t)
    of at most 4 x MAX_SAMPLES test sequences gives both."""
    _, test = _test_data(run, "adding", 4 * MAX_SAMPLES)
    trace, name = _probe(run, test.x, test.y, loss="mse")
    ratio = float(np.nanmedian(gradient_ratio(trace.layer(name).grad_norm, trace.layer(name).valid)))
    return _mse(trace.output, test.y), ratio, name, test.time_steps


def adding_claim(runs, preset: str = "adding_lstm", companion: str = "adding_simple_rnn") -> Evidence:
    """runs -> Evidence: the LSTM learns the adding problem (MSE <= 0.1 x baseline) while the SimpleRNN stays
    near the baseline, because the SimpleRNN's ||dL/dh_0|| / ||dL/dh_{T-1}|| vanishes (<= 1e-3) and the LSTM's
    is >= 100x larger. One run missing: holds None, with the numbers of the other."""
    from rnnlab.experiments.data import load_data
    from rnnlab.experiments.training import baseline

    present = [p for p in (preset, companion) if runs.get(p) is not None]
    if not present:
        _run(runs, preset)
    base = baseline(*load_data(runs[present[0]].spec))["loss"]
    lstm = _adding_numbers(runs[preset]) if preset in present else None
    simple = _adding_numbers(runs[companion]) if companion in present else None
    verdict = adding_verdict(base, lstm and lstm[0], simple and simple[0], lstm and lstm[1], simple and simple[1])
    numbers = {"baseline_mse": base}
    parts = []
    for label, measured in (("LSTM", lstm), ("SimpleRNN", simple)):
        if measured is None:
            continue
        mse, ratio, _, steps = measured
        numbers.update({f"{label.lower()}_mse": mse, f"{label.lower()}_ratio": ratio})
        shown = f"{ratio:.1e}" if ratio > 0 else "0 (too small for float32)"
        parts.append(f"the {label} reaches a test MSE of {mse:.3g} with ||dL/dh_0|| / ||dL/dh_{steps - 1}|| = {shown}")
    sentence = f"Always answering the mean scores an MSE of {base:.3g}; " + "; ".join(parts)
    missing = [label for label, measured in (("LSTM", lstm), ("SimpleRNN", simple)) if measured is None]
    sentence += f"; the {missing[0]} is not trained yet." if missing else "."
    suggestion = ""
    if verdict["failed"]:
        suggestion = "Not as the lesson says: " + "; ".join(verdict["failed"]) + ". Train more epochs or another seed."
    if missing:
        other = preset if missing[0] == "LSTM" else companion
        suggestion = f"Train the {missing[0]} too ('{other}') to compare. {suggestion}".strip()
    focus = Focus(layer=(lstm or simple)[2], sample=0)
    return Evidence(verdict["holds"], sentence, numbers, suggestion, focus)


def parity_claim(runs, preset: str = "parity") -> Evidence:
    """runs -> Evidence: after the first PARITY_SKIP steps, h falls into two clusters of the 2-D PCA, one per
    parity (nearest-centroid accuracy >= PARITY_ACCURACY, separation >= PARITY_SEPARATION)."""
    run = _run(runs, preset)
    _, test = _test_data(run, "parity", MAX_SAMPLES)
    trace, name = _probe(run, test.x)
    record = trace.layer(name)
    coords, used = pca_coords(record.quantities["h"], record.valid, PARITY_SKIP)
    found = cluster_separation(coords[used], test.y[used])
    holds = bool(found["accuracy"] >= PARITY_ACCURACY and found["separation"] >= PARITY_SEPARATION)
    sentence = (
        f"From step {PARITY_SKIP} on, the 2-D PCA of h {'splits' if holds else 'does not split'} into two "
        f"clusters by parity: the nearer of the two centres names odd or even right at {100 * found['accuracy']:.1f}% of {int(used.sum())} steps, and the centres are "
        f"{found['separation']:.1f} times as far apart as a point from its own centre."
    )
    suggestion = "" if holds else "The two states are not apart yet: train more epochs, or try another seed."
    return Evidence(holds, sentence, {**found, "steps": float(used.sum())}, suggestion, Focus(layer=name, sample=0))


def sine_claim(runs, preset: str = "sine") -> Evidence:
    """runs -> Evidence: after RING_SKIP steps, each sequence's h traces a ring in the 2-D PCA (all sectors
    covered, steady radius, empty centre: ``is_ring``) for at least RING_SHARE of the probed sequences."""
    run = _run(runs, preset)
    _, test = _test_data(run, "sine", MAX_SAMPLES)
    trace, name = _probe(run, test.x)
    record = trace.layer(name)
    coords, used = pca_coords(record.quantities["h"], record.valid, RING_SKIP)
    measures = [ring_measure(coords[b][used[b]]) for b in range(len(coords))]
    rings = np.array([is_ring(m) for m in measures])
    cv = np.array([m["radius_cv"] for m in measures])
    share = float(rings.mean())
    holds = bool(share >= RING_SHARE)
    sentence = (
        f"After step {RING_SKIP}, {int(rings.sum())} of {len(rings)} test sequences trace a ring in the 2-D PCA "
        f"of h (points in all {RING_SECTORS} directions around their centre, none near it, radius spread "
        f"std/mean <= {RING_CV:g}); the median spread is {np.median(cv):.2f}."
    )
    suggestion = "" if holds else "Train more epochs, or try another seed, until the paths close into rings."
    best = int(np.argmin(np.where(rings, cv, np.inf))) if rings.any() else 0
    numbers = {"rings": float(rings.sum()), "sequences": float(len(rings)),
               "median_radius_cv": float(np.median(cv))}
    return Evidence(holds, sentence, numbers, suggestion, Focus(layer=name, sample=best))


def padding_claim(runs, preset: str = "padding") -> Evidence:
    """runs -> Evidence: with dynamic on, the output for a padded sequence equals the output for the same
    sequence cut to its length (max difference <= DYNAMIC_SAME); the same weights with dynamic off answer
    otherwise (median max difference >= DYNAMIC_DIFFERENT) and score a lower test accuracy than the trained
    model's (>= PADDING_ACCURACY)."""
    import tensorflow as tf

    from rnnlab.experiments.model import build_model
    from rnnlab.probes import recurrent_layers

    run = _run(runs, preset)
    train, test = _test_data(run, "variable_length", MAX_EVAL)
    if not any(layer.dynamic for layer in run.spec.layers):
        raise ClaimUnavailable("This run reads the padding with dynamic off.", "Turn dynamic on and train again.")
    static_spec = run.spec.replace(layers=tuple(dataclasses.replace(layer, dynamic=False) for layer in run.spec.layers))
    static = build_model(static_spec, dataset=train, compile=False)
    static.set_weights(run.model.get_weights())
    signature = [tf.TensorSpec([None, None, test.n_features], tf.float32)]
    dynamic_fn = tf.function(lambda x: run.model(x, training=False), input_signature=signature)
    static_fn = tf.function(lambda x: static(x, training=False), input_signature=signature)
    x, lengths = np.asarray(test.x, np.float32), test.lengths
    dynamic_out, static_out = dynamic_fn(x).numpy(), static_fn(x).numpy()  # [N, classes]
    n = min(MAX_SAMPLES, len(x))
    cut = np.zeros_like(dynamic_out[:n])
    for length in np.unique(lengths[:n]):
        rows = np.where(lengths[:n] == length)[0]
        cut[rows] = dynamic_fn(x[rows, :length]).numpy()
    found = output_agreement(dynamic_out[:n], cut, static_out[:n], lengths[:n], test.time_steps)
    accuracy = float(np.mean(dynamic_out.argmax(-1) == test.y))
    static_accuracy = float(np.mean(static_out.argmax(-1) == test.y))
    holds = bool(found["cut_diff"] <= DYNAMIC_SAME and found["static_diff"] >= DYNAMIC_DIFFERENT
                 and PADDING_ACCURACY <= accuracy and static_accuracy < accuracy)
    sentence = (
        f"With dynamic on, the output for each of {n} test walks ({found['n_padded']:.0f} of them zero-padded) equals "
        f"the output for the walk cut to its length (largest difference {found['cut_diff']:.1e}); the same weights with dynamic off read the "
        f"zeros too, change the answer by {found['static_diff']:.2f} (median) and score {100 * static_accuracy:.1f}% "
        f"instead of {100 * accuracy:.1f}% on {len(x)} test walks."
    )
    suggestion = "" if holds else "Train more epochs or try another seed: the comparison needs a model that learned."
    numbers = {**found, "accuracy": accuracy, "static_accuracy": static_accuracy}
    shortest = int(np.argmin(lengths[:n]))
    focus = Focus(layer=recurrent_layers(run.model)[-1].name, sample=shortest, step=int(lengths[shortest]) - 1)
    return Evidence(holds, sentence, numbers, suggestion, focus)


def vowels_claim(runs, preset: str = "japanese_vowels") -> Evidence:
    """runs -> Evidence: test accuracy >= VOWELS_ACCURACY on the Japanese Vowels test split."""
    from rnnlab.probes import recurrent_layers

    run = _run(runs, preset)
    _, test = _test_data(run, "japanese_vowels", MAX_EVAL)
    accuracy = _accuracy(run.model, test)
    holds = bool(accuracy >= VOWELS_ACCURACY)
    sentence = (f"The model names the speaker of {100 * accuracy:.1f}% of the {test.n_samples} test utterances "
                f"(1 in 9, {100 / 9:.1f}%, by guessing at random).")
    suggestion = "" if holds else "Train more epochs, or try another seed."
    focus = Focus(layer=recurrent_layers(run.model)[-1].name, sample=0)
    return Evidence(holds, sentence, {"accuracy": accuracy, "n_test": float(test.n_samples)}, suggestion, focus)
