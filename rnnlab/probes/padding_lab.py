"""The Padding lab's experiments: what dynamic mode does with padding, in numbers.

Each function builds small rnnlab layers with seeded weights (no global seed is touched, and every layer is
built inside its own naming context), runs them on a batch and returns a dict of NumPy arrays, so the app, a
notebook or a test can show or check the same facts:

* dynamic_vs_static: one layer with dynamic on and off, and the step ``return_seq=False`` returns;
* post_vs_pre: post- vs pre-padded copies of the same sequences against each sequence run alone;
* bidirectional_last: the backward half of a bidirectional layer's last output has seen one step;
* embedding_pitfall: after an embedding, padding id 0 is not a zero vector, so nothing is masked;
  ``seq_len=`` counted from the ids is the fix.

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
    output equals what return_seq=False returned.
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
    out["lengths"] = rnnlab_lengths(x)
    out["returned_dynamic"] = _matching_step(out["seq_dynamic"], out["last_dynamic"])
    out["returned_static"] = _matching_step(out["seq_static"], out["last_static"])
    return out


def rnnlab_lengths(x: np.ndarray) -> np.ndarray:
    """[B, T, D] -> [B] TFLearn's lengths."""
    return padding.tflearn_lengths_np(x)


def _matching_step(sequence: np.ndarray, last: np.ndarray) -> np.ndarray:
    """[B, T, n] outputs per step, [B, n] returned output -> [B]: the step it came from (-1 if none)."""
    distance = np.abs(sequence - last[:, None, :]).max(axis=2)  # [B, T]
    step = np.argmin(distance, axis=1)
    # a dynamic sample of length L also has exact zeros after L: prefer the last step with an exact match
    # that is not a zero padding output
    exact = distance <= 1e-5
    nonzero = np.abs(sequence).max(axis=2) > 0
    for b in range(sequence.shape[0]):
        candidates = np.flatnonzero(exact[b] & nonzero[b])
        if candidates.size:
            step[b] = candidates[-1]
        elif not exact[b].any():
            step[b] = -1
    return step


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
