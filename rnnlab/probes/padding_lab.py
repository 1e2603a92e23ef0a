"""The Padding lab's experiments: what dynamic mode does with padding, in numbers.

Each function builds small rnnlab layers with seeded weights (no global seed is touched, and every layer is
built inside its own naming context), runs them on a batch and returns a dict of NumPy arrays, so the app, a
notebook or a test can show or check the same facts:

* dynamic_vs_static: one layer with dynamic on and off, and the step ``return_seq=False`` returns;
* post_vs_pre: post- vs pre-padded copies of the same sequences against each sequence run alone;
* bidirectional_last: the backward half of a bidirectional layer's last output has seen one step;
* embedding_pitfall: after an embedding, padding id 0 is not a zero vector, so nothing is masked;
  ``seq_len=`` counted from the ids is the fix.

And the facts the views state, from the data and the true lengths alone (no layer): real_step_ranges (where the
real steps are: the first ``length`` steps when post-padded, the last ``length`` when pre-padded),
dynamic_reading (what dynamic mode reads of each row), returned_steps_table (which step return_seq=False returns
and what that output has read) and explanations (one sentence per row).

Shapes: inputs [B, T, D]; outputs [B, T, n] or [B, n].
"""

from __future__ import annotations

import numpy as np

from rnnlab import padding

def _layer(kind: str, n_units: int, seed: int, **kwargs):
    """A fresh rnnlab layer with seeded weights (no global seed, so sessions do not disturb each other)."""
    import keras
    import rnnlab

    init = keras.initializers.GlorotUniform(seed=seed)
    classes = {"simple_rnn": rnnlab.SimpleRNN, "lstm": rnnlab.LSTM, "gru": rnnlab.GRU}
    return classes[kind](n_units, weights_init=init, **kwargs)


def _cell(kind: str, n_units: int, seed: int):
    import keras
    import rnnlab

    init = keras.initializers.GlorotUniform(seed=seed)
    classes = {"simple_rnn": rnnlab.BasicRNNCell, "lstm": rnnlab.BasicLSTMCell, "gru": rnnlab.GRUCell}
    return classes[kind](n_units, weights_init=init)


def dynamic_vs_static(x: np.ndarray, kind: str, n_units: int, seed: int) -> dict[str, np.ndarray]:
    """[B, T, D] -> outputs and states of one layer (same weights) with dynamic=True and dynamic=False.

    Returns arrays: seq_dynamic / seq_static [B, T, n] (return_seq=True), last_dynamic / last_static [B, n]
    (return_seq=False), c_dynamic / c_static [B, T, n] (LSTM cell state per step, from rnnlab.probe; absent
    for other kinds), lengths [B] (TFLearn's count), returned_dynamic / returned_static [B]: the step whose
    output return_seq=False returns (length-1, -1 for length 0 where it returns zeros; T-1), and
    checked_dynamic / checked_static [B] bool: the output at that step equals what return_seq=False returned.
    """
    import rnnlab

    x = np.asarray(x, dtype=np.float32)
    with rnnlab.naming_context():
        seq_on = _layer(kind, n_units, seed, return_seq=True, dynamic=True)
        out = {"seq_dynamic": np.asarray(seq_on(x))}
        weights = seq_on.get_weights()
        layers = {
            "seq_static": _layer(kind, n_units, seed, return_seq=True, dynamic=False),
            "last_dynamic": _layer(kind, n_units, seed, return_seq=False, dynamic=True),
            "last_static": _layer(kind, n_units, seed, return_seq=False, dynamic=False),
        }
        for name, layer in layers.items():
            layer(x[:1])  # build
            layer.set_weights(weights)
            out[name] = np.asarray(layer(x))
        if kind == "lstm":
            out["c_dynamic"] = rnnlab.probe(seq_on, x).get(seq_on.name, "c")
            static = layers["seq_static"]
            out["c_static"] = rnnlab.probe(static, x).get(static.name, "c")
    lengths = rnnlab_lengths(x)
    out["lengths"] = lengths
    # The step return_seq=False returns is fixed by the layer's rule (SPEC.md), not found by matching values:
    # on pre-padded data many steps hold the same all-zero output, so a match cannot say which one it is.
    out["returned_dynamic"] = lengths - 1  # -1: length 0, the layer returns zeros
    out["returned_static"] = np.full(len(x), x.shape[1] - 1, np.int64)
    out["checked_dynamic"] = _returned_matches(out["seq_dynamic"], out["last_dynamic"], out["returned_dynamic"])
    out["checked_static"] = _returned_matches(out["seq_static"], out["last_static"], out["returned_static"])
    return out


def rnnlab_lengths(x: np.ndarray) -> np.ndarray:
    """[B, T, D] -> [B] TFLearn's lengths."""
    return padding.tflearn_lengths_np(x)


def _returned_matches(sequence: np.ndarray, last: np.ndarray, step: np.ndarray, atol: float = 1e-5) -> np.ndarray:
    """[B, T, n] outputs per step, [B, n] returned outputs, [B] steps (-1: none) -> [B] bool: the output at
    that step is the returned one (zeros for step -1). A check of the rule, shown beside it."""
    rows = np.arange(len(step))
    at_step = np.where((step >= 0)[:, None], sequence[rows, np.maximum(step, 0)], 0.0)  # [B, n]
    return np.abs(at_step - last).max(axis=1) <= atol


def post_vs_pre(x_post: np.ndarray, x_pre: np.ndarray, lengths: np.ndarray, kind: str, n_units: int, seed: int):
    """Same sequences padded at the end [B, T, D] and at the front [B, T, D], true lengths [B] -> what a
    dynamic layer returns for each, and the reference: the layer run on each sequence alone, unpadded.

    Returns seq_post / seq_pre [B, T, n] (return_seq=True, dynamic=True), reference [B, n], last_post /
    last_pre [B, n] (return_seq=False), error_post / error_pre [B] (max |returned - reference|).
    """
    import rnnlab

    x_post = np.asarray(x_post, np.float32)
    x_pre = np.asarray(x_pre, np.float32)
    with rnnlab.naming_context():
        seq = _layer(kind, n_units, seed, return_seq=True, dynamic=True)
        seq_post = np.asarray(seq(x_post))
        seq_pre = np.asarray(seq(x_pre))
        last = _layer(kind, n_units, seed, return_seq=False, dynamic=False)
        last(x_post[:1])
        last.set_weights(seq.get_weights())
        reference = np.stack([np.asarray(last(x_post[b : b + 1, : int(lengths[b])]))[0] for b in range(len(x_post))])
        last_dyn = _layer(kind, n_units, seed, return_seq=False, dynamic=True)
        last_dyn(x_post[:1])
        last_dyn.set_weights(seq.get_weights())
        last_post = np.asarray(last_dyn(x_post))
        last_pre = np.asarray(last_dyn(x_pre))
    return {
        "seq_post": seq_post,
        "seq_pre": seq_pre,
        "reference": reference,
        "last_post": last_post,
        "last_pre": last_pre,
        "error_post": np.abs(last_post - reference).max(axis=1),
        "error_pre": np.abs(last_pre - reference).max(axis=1),
    }


def bidirectional_last(x: np.ndarray, kind_fw: str, kind_bw: str, n_units: int, seed: int, dynamic: bool):
    """[B, T, D] -> the bidirectional last-output pitfall in numbers.

    Returns seq [B, T, 2n] (return_seq=True, forward half first), last [B, 2n] (return_seq=False),
    lengths [B] (the steps the layer counts), bw_returned [B, n] (backward half of ``last``), bw_full [B, n]
    (backward half at t=0: the backward cell after reading the whole sequence), bw_one_step [B, n] (the
    backward cell run on the single step length-1 alone).
    """
    import rnnlab

    x = np.asarray(x, np.float32)
    with rnnlab.naming_context():
        seq_layer = rnnlab.BiRNN(_cell(kind_fw, n_units, seed), _cell(kind_bw, n_units, seed + 1),
                                 return_seq=True, dynamic=dynamic)
        seq = np.asarray(seq_layer(x))
        last_layer = rnnlab.BiRNN(_cell(kind_fw, n_units, seed), _cell(kind_bw, n_units, seed + 1),
                                  return_seq=False, dynamic=dynamic)
        last_layer(x[:1])
        last_layer.set_weights(seq_layer.get_weights())
        last = np.asarray(last_layer(x))
        lengths = rnnlab_lengths(x) if dynamic else np.full(len(x), x.shape[1], np.int64)
        one = rnnlab.BiRNN(_cell(kind_fw, n_units, seed), _cell(kind_bw, n_units, seed + 1),
                           return_seq=False, dynamic=False)
        one(x[:1, :1])
        one.set_weights(seq_layer.get_weights())
        steps = np.maximum(lengths - 1, 0)
        single = np.asarray(one(x[np.arange(len(x)), steps][:, None, :]))  # [B, 2n]
    n = n_units
    return {
        "seq": seq,
        "last": last,
        "lengths": lengths,
        "bw_returned": last[:, n:],
        "bw_full": seq[:, 0, n:],
        "bw_one_step": single[:, n:],
    }


def insert_zero_step(x: np.ndarray, rows: tuple[int, ...], step: int) -> np.ndarray:
    """[B, T, D] -> a copy with every feature of step ``step`` set to 0 in the given rows (a real all-zero
    step inside a sequence: what a 0-valued reading or a silent frame looks like to dynamic mode)."""
    out = np.array(x, copy=True)
    for row in rows:
        out[row, step, :] = 0.0
    return out


# ------------------------------------------------------------------------ where the real steps are


def real_step_ranges(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """[B, T, D] inputs, [B] true lengths -> [B, 2] ints (start, stop): sample b's real steps are start..stop-1.

    Post-padded rows (every step from ``length`` on is all zero) give (0, length), as the data contract says;
    rows that are not, but whose first T - length steps are all zero, are pre-padded: (T - length, T). A row
    that is neither (zeros on both sides of its real steps, or data that breaks the contract) is read as
    post-padded. An all-zero step inside the real steps does not change the range: it is a real step.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must be 3-D [batch, time, input_dim]; received an array of shape {x.shape}.")
    batch, time_steps, _ = x.shape
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.shape != (batch,) or (batch and (lengths.min() < 0 or lengths.max() > time_steps)):
        raise ValueError(f"lengths must be [B] = ({batch},) ints in 0..{time_steps}; received "
                         f"{lengths.tolist() if lengths.size <= 20 else lengths.shape}.")
    nonzero = np.abs(x).max(axis=2) > 0  # [B, T]
    t = np.arange(time_steps)[None, :]  # [1, T]
    post = ~(nonzero & (t >= lengths[:, None])).any(axis=1)  # nothing real after the first `length` steps
    pre = ~(nonzero & (t < time_steps - lengths[:, None])).any(axis=1)  # nothing real before the last ones
    start = np.where(~post & pre, time_steps - lengths, 0)
    return np.stack([start, start + lengths], axis=1).astype(np.int64)  # [B, 2]


def real_step_mask(ranges: np.ndarray, time_steps: int) -> np.ndarray:
    """[B, 2] (start, stop) ranges -> [B, T] bool, True on real steps (False: padding)."""
    ranges = np.asarray(ranges, dtype=np.int64)
    t = np.arange(time_steps)[None, :]
    return (t >= ranges[:, :1]) & (t < ranges[:, 1:])


def dynamic_reading(x: np.ndarray, lengths: np.ndarray) -> dict[str, np.ndarray]:
    """[B, T, D] inputs, [B] true lengths -> what dynamic mode (TFLearn's count) reads of each sample, [B] each.

    Keys: start / stop (the real steps, see real_step_ranges), count (TFLearn's length: the layer computes steps
    0..count-1 and returns the output at count-1), padding_read (padded steps among them: the leading zeros of
    pre-padded data), real_read (real steps among them), real_dropped (real steps it never computes),
    first_real_read / last_real_read (the real steps read, -1 when none).
    """
    ranges = real_step_ranges(x, lengths)
    start, stop = ranges[:, 0], ranges[:, 1]
    count = padding.tflearn_lengths_np(x)
    read_stop = np.minimum(count, stop)  # the layer reads steps 0..count-1
    real_read = np.maximum(read_stop - start, 0)
    return {
        "start": start,
        "stop": stop,
        "count": count,
        "padding_read": count - real_read,
        "real_read": real_read,
        "real_dropped": stop - start - real_read,
        "first_real_read": np.where(real_read > 0, start, -1),
        "last_real_read": np.where(real_read > 0, read_stop - 1, -1),
    }


def _steps(first: int, last: int) -> str:
    return f"t={first}" if first == last else f"t={first}..{last}"


def returned_steps_table(x: np.ndarray, lengths: np.ndarray, time_steps: int | None = None) -> dict[str, list]:
    """[B, T, D] inputs, [B] true lengths -> the columns of "which step does return_seq=False return?".

    dynamic=True returns the output at step count-1 (TFLearn's count; no step, zeros, when the count is 0);
    dynamic=False at step T-1. For each row: where its real steps are, the step returned, what the layer had
    read when it wrote that output and whether that includes real data.
    """
    x = np.asarray(x)
    time_steps = x.shape[1] if time_steps is None else int(time_steps)
    read = dynamic_reading(x, lengths)
    rows = {"row": [], "real steps": [], "TFLearn length": [], "dynamic=True returns step": [],
            "that output has read": [], "from real data": [], "dynamic=False returns step": []}
    for b in range(len(x)):
        start, stop, count = int(read["start"][b]), int(read["stop"][b]), int(read["count"][b])
        pad, real, dropped = int(read["padding_read"][b]), int(read["real_read"][b]), int(read["real_dropped"][b])
        if count == 0:
            what = "nothing (length 0): return_seq=False gives zeros"
        else:
            parts = []
            if pad:
                parts.append(f"{pad} padded step(s)" if real else f"padding only ({_steps(0, count - 1)} all zero)")
            if real:
                first, last = int(read["first_real_read"][b]), int(read["last_real_read"][b])
                parts.append("all its real steps " + _steps(first, last) if not dropped
                             else f"real steps {_steps(first, last)}, not the last {dropped}")
            what = ", then ".join(parts)
        rows["row"].append(b)
        rows["real steps"].append(_steps(start, stop - 1) if stop > start else "none")
        rows["TFLearn length"].append(count)
        rows["dynamic=True returns step"].append(count - 1)
        rows["that output has read"].append(what)
        rows["from real data"].append(real > 0)
        rows["dynamic=False returns step"].append(time_steps - 1)
    return rows


def explanations(x: np.ndarray, lengths: np.ndarray) -> list[str]:
    """[B, T, D] inputs, [B] true lengths -> one sentence per sample on what dynamic mode does with it."""
    report = padding.padding_report(x)
    read = dynamic_reading(x, lengths)
    sentences = []
    for b in range(len(read["count"])):
        start, stop, count = int(read["start"][b]), int(read["stop"][b]), int(read["count"][b])
        if start == 0 or stop == start:
            sentences.append(report.explain(b))
            continue
        real, dropped = int(read["real_read"][b]), int(read["real_dropped"][b])
        computes = f"steps 0..{count - 1}" if count else "no step"
        if real:
            what = (f"{computes}: {int(read['padding_read'][b])} padded step(s), then real steps "
                    f"{_steps(int(read['first_real_read'][b]), int(read['last_real_read'][b]))}")
        else:
            what = f"{computes}: padding only"
        lost = f"all {dropped} real step(s)" if not real else f"the last {dropped} real step(s)"
        sentences.append(
            f"sample {b} starts with {start} all-zero step(s): it is pre-padded (real steps "
            f"{_steps(start, stop - 1)}), so dynamic mode computes {what}, and drops {lost}."
            if dropped else
            f"sample {b} starts with {start} all-zero step(s): it is pre-padded (real steps "
            f"{_steps(start, stop - 1)}), so dynamic mode computes {what}."
        )
    return sentences


# ------------------------------------------------------------------------ the embedding pitfall


def padded_ids(batch: int, time_steps: int, vocab: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """-> (ids [B, T] ints in 1..vocab-1, post-padded with the padding id 0; true lengths [B]), seeded.

    Lengths run from about a quarter of T to T-1, so every row has some padding."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(max(1, time_steps // 4), time_steps, size=batch)  # [B], each < T
    ids = rng.integers(1, vocab, size=(batch, time_steps))  # [B, T]
    ids[np.arange(time_steps)[None, :] >= lengths[:, None]] = 0  # post-padding with id 0
    return ids, lengths


def embedding_pitfall(ids: np.ndarray, vocab: int, dim: int, n_units: int, seed: int) -> dict[str, np.ndarray]:
    """ids [B, T] (0 = padding) -> keras.layers.Embedding(vocab, dim) (seeded) -> a dynamic rnnlab LSTM, run
    as is and with the lengths counted from the ids (``seq_len=``).

    Returns embedded [B, T, dim] (the padding rows of the embedding are not zero), true_lengths [B]
    (non-zero ids), inferred_lengths [B] (TFLearn's count on the embedded steps: T for every row),
    last_inferred / last_fixed [B, n] (return_seq=False without / with seq_len), reference [B, n] (the layer
    run on each sequence alone, unpadded), error_inferred / error_fixed [B] (max |returned - reference|).
    """
    import keras

    import rnnlab

    ids = np.asarray(ids, dtype=np.int64)
    true_lengths = np.count_nonzero(ids, axis=1)  # [B]: the one-line fix counts lengths before the embedding
    with rnnlab.naming_context():
        embedding = keras.layers.Embedding(
            vocab, dim, embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=seed))
        embedded = np.asarray(embedding(ids), dtype=np.float32)  # [B, T, dim]
        layer = _layer("lstm", n_units, seed, dynamic=True)  # return_seq=False: the output at length-1
        last_inferred = np.asarray(layer(embedded))  # [B, n]: lengths inferred from the embedded zeros
        last_fixed = np.asarray(layer(embedded, seq_len=true_lengths))  # [B, n]: the fix
        reference = np.stack([np.asarray(layer(embedded[b : b + 1, : int(true_lengths[b])]))[0]
                              for b in range(len(ids))])  # [B, n]
    return {
        "embedded": embedded,
        "true_lengths": true_lengths,
        "inferred_lengths": rnnlab_lengths(embedded),
        "last_inferred": last_inferred,
        "last_fixed": last_fixed,
        "reference": reference,
        "error_inferred": np.abs(last_inferred - reference).max(axis=1),
        "error_fixed": np.abs(last_fixed - reference).max(axis=1),
    }
