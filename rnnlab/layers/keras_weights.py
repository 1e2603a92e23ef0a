"""Weight arrays between rnnlab (TFLearn layout) and Keras's own ``LSTM`` / ``GRU`` / ``SimpleRNN``.

    arrays = weights_to_keras("lstm", layer.get_weights(), input_dim=3, n_units=8, forget_bias=1.0)
    weights = weights_from_keras("gru", keras_gru.get_weights())

Layouts (D: input_dim, n: units):

======================  ==========================================  ==========================================
kind                    rnnlab (TFLearn), ``get_weights()``          Keras 3, ``get_weights()``
======================  ==========================================  ==========================================
simple_rnn              Matrix [D+n, n], Bias [n]                    kernel [D, n], recurrent_kernel [n, n],
                                                                     bias [n]
lstm                    Matrix [D+n, 4n], Bias [4n];                 kernel [D, 4n], recurrent_kernel [n, 4n],
                        blocks i, j, f, o; forget_bias added at      bias [4n]; blocks i, f, c, o; no run-time
                        run time                                     forget bias (folded into bias's f block)
gru                     gates Matrix [D+n, 2n] (r, u), gates Bias    kernel [D, 3n], recurrent_kernel [n, 3n],
                        [2n], candidate Matrix [D+n, n], candidate   bias [3n] (reset_after=False); blocks
                        Bias [n]                                     z (= u), r, h (= candidate)
======================  ==========================================  ==========================================

In both Matrix layouts the input rows come first, so ``Matrix = concat([kernel, recurrent_kernel])`` once the
column blocks are put in the other library's order. Without a bias the bias arrays are left out, except that an
rnnlab LSTM without bias but with ``forget_bias != 0`` needs a Keras bias holding only that constant.

The layer conversions that use these arrays (and where the two libraries' semantics differ) are in
:mod:`rnnlab.layers.keras_interop`.
"""

from __future__ import annotations

import numpy as np

from rnnlab.errors import RnnlabError, describe

KINDS = ("simple_rnn", "lstm", "gru")

# LSTM column blocks: rnnlab i, j, f, o <-> Keras i, f, c, o. The permutation is its own inverse.
_LSTM_BLOCKS = (0, 2, 1, 3)
_KERAS_FORGET_BLOCK = 1  # f is block 1 in Keras's order (block 2 in rnnlab's)

RESET_AFTER_MESSAGE = (
    "Keras GRU with reset_after=True (Keras's default) computes the candidate as "
    "act(x W + r * (h U + b_rec)), applying the reset gate AFTER the recurrent matmul and using a second, "
    "recurrent bias; TFLearn's (rnnlab's) GRU computes act(x W + (r * h) U + b), the reset applied BEFORE the "
    "matmul. The two models differ, so their weights cannot be converted. Use "
    "keras.layers.GRU(..., reset_after=False), which follows TFLearn's convention."
)


class InteropTypeError(RnnlabError, TypeError):
    """A layer of the wrong type was given for conversion (both an RnnlabError and a TypeError)."""


# ---------------------------------------------------------------------------------------------- checks


def _check_kind(kind) -> str:
    if kind not in KINDS:
        raise RnnlabError(f"`kind` must be one of {', '.join(map(repr, KINDS))}; received {describe(kind)}.")
    return kind


def _check_arrays(weights, argument: str) -> list[np.ndarray]:
    if not isinstance(weights, (list, tuple)):
        raise RnnlabError(f"`{argument}` must be a list of arrays (get_weights()); received {describe(weights)}.")
    return [np.asarray(w) for w in weights]


def _check_shapes(arrays, expected: list[tuple[str, tuple]], argument: str, where: str) -> None:
    """expected: (name, shape) per array, in order; raises naming the first array that does not fit."""
    if len(arrays) != len(expected):
        names = ", ".join(f"{name} {shape}" for name, shape in expected)
        raise RnnlabError(
            f"`{argument}` must hold {len(expected)} arrays ({where}: {names}); received {len(arrays)} arrays "
            f"of shapes {[tuple(a.shape) for a in arrays]}."
        )
    for index, (array, (name, shape)) in enumerate(zip(arrays, expected)):
        if tuple(array.shape) != tuple(shape):
            raise RnnlabError(
                f"`{argument}[{index}]` ({where} {name}) must have shape {tuple(shape)}; received shape "
                f"{tuple(array.shape)}."
            )


def _rnnlab_layout(kind: str, input_dim: int, n: int, bias: bool) -> list[tuple[str, tuple]]:
    d = input_dim
    if kind == "gru":
        layout = [("gates Matrix", (d + n, 2 * n)), ("gates Bias", (2 * n,)),
                  ("candidate Matrix", (d + n, n)), ("candidate Bias", (n,))]
        return layout if bias else [layout[0], layout[2]]
    k = 4 if kind == "lstm" else 1
    layout = [("Matrix", (d + n, k * n)), ("Bias", (k * n,))]
    return layout if bias else layout[:1]


def _keras_layout(kind: str, input_dim: int, n: int, bias: bool) -> list[tuple[str, tuple]]:
    k = {"simple_rnn": 1, "lstm": 4, "gru": 3}[kind]
    layout = [("kernel", (input_dim, k * n)), ("recurrent_kernel", (n, k * n)), ("bias", (k * n,))]
    return layout if bias else layout[:2]


def _check_forget_bias(forget_bias) -> float:
    if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float, np.floating, np.integer)):
        raise InteropTypeError(f"`forget_bias` must be a number; received {describe(forget_bias)}.")
    return float(forget_bias)


def _check_units(value, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise RnnlabError(f"`{argument}` must be a positive int; received {describe(value)}.")
    return int(value)


# ---------------------------------------------------------------------------------------------- arrays


def _lstm_reorder(matrix: np.ndarray) -> np.ndarray:
    """[..., 4n] with blocks (a, b, c, d) -> [..., 4n] with blocks (a, c, b, d): i,j,f,o <-> i,f,c,o."""
    blocks = np.split(matrix, 4, axis=-1)
    return np.concatenate([blocks[b] for b in _LSTM_BLOCKS], axis=-1)


def _keras_forget_vector(n: int, forget_bias: float, dtype) -> np.ndarray:
    """[4n] in Keras's block order i, f, c, o: forget_bias in the f block, 0 elsewhere."""
    vector = np.zeros(4 * n, dtype=dtype)
    vector[_KERAS_FORGET_BLOCK * n:(_KERAS_FORGET_BLOCK + 1) * n] = forget_bias
    return vector


def weights_to_keras(kind, weights, input_dim, n_units, forget_bias=1.0) -> list[np.ndarray]:
    """rnnlab (TFLearn) weight arrays -> the Keras layer's ``get_weights()`` arrays for the same model.

    SimpleRNN: [Matrix [D+n, n], (Bias [n])] -> [kernel [D, n], recurrent_kernel [n, n], (bias [n])].
    LSTM: [Matrix [D+n, 4n], (Bias [4n])] -> [kernel [D, 4n], recurrent_kernel [n, 4n], (bias [4n])],
    blocks reordered i, j, f, o -> i, f, c, o and ``forget_bias`` folded into the f block of the bias.
    Without a Bias the Keras bias is still returned (holding only forget_bias) unless forget_bias == 0.
    GRU: [gates Matrix [D+n, 2n], (gates Bias [2n]), candidate Matrix [D+n, n], (candidate Bias [n])] ->
    [kernel [D, 3n], recurrent_kernel [n, 3n], (bias [3n])] with blocks z (= u), r, h, for
    ``keras.layers.GRU(reset_after=False)``.

    Arguments:
        kind: 'simple_rnn', 'lstm' or 'gru' (a cell's ``.kind``).
        weights: list of arrays in rnnlab's ``get_weights()`` order, with or without the biases.
        input_dim: int, D. n_units: int, n.
        forget_bias: the rnnlab LSTM's forget_bias (ignored for other kinds).
    """
    kind = _check_kind(kind)
    d = _check_units(input_dim, "input_dim")
    n = _check_units(n_units, "n_units")
    arrays = _check_arrays(weights, "weights")
    with_bias = len(arrays) == (4 if kind == "gru" else 2)
    _check_shapes(arrays, _rnnlab_layout(kind, d, n, with_bias), "weights", f"rnnlab {kind}")
    if kind == "simple_rnn":
        matrix = arrays[0]
        return [matrix[:d], matrix[d:]] + ([arrays[1]] if with_bias else [])
    if kind == "lstm":
        forget_bias = _check_forget_bias(forget_bias)
        matrix = _lstm_reorder(arrays[0])
        out = [matrix[:d], matrix[d:]]
        if with_bias:
            out.append(_lstm_reorder(arrays[1]) + _keras_forget_vector(n, forget_bias, arrays[1].dtype))
        elif forget_bias != 0.0:
            out.append(_keras_forget_vector(n, forget_bias, matrix.dtype))
        return out
    # gru: rnnlab gates are (r, u); Keras blocks are (z = u, r, h = candidate)
    if with_bias:
        gates_matrix, gates_bias, cand_matrix, cand_bias = arrays
    else:
        (gates_matrix, cand_matrix), gates_bias, cand_bias = arrays, None, None
    r, u = np.split(gates_matrix, 2, axis=-1)
    matrix = np.concatenate([u, r, cand_matrix], axis=-1)  # [D+n, 3n]
    out = [matrix[:d], matrix[d:]]
    if with_bias:
        b_r, b_u = np.split(gates_bias, 2)
        out.append(np.concatenate([b_u, b_r, cand_bias]))
    return out


def weights_from_keras(kind, keras_weights, forget_bias=1.0, bias=None) -> list[np.ndarray]:
    """The Keras layer's ``get_weights()`` arrays -> rnnlab (TFLearn) weight arrays for the same model.

    The inverse of :func:`weights_to_keras`: [kernel [D, k n], recurrent_kernel [n, k n], (bias)] ->
    SimpleRNN/LSTM [Matrix [D+n, k n], (Bias [k n])] or GRU [gates Matrix [D+n, 2n], (gates Bias [2n]),
    candidate Matrix [D+n, n], (candidate Bias [n])]. For an LSTM, ``forget_bias`` (the rnnlab layer's, added
    at run time) is subtracted from the f block of the Keras bias.

    Arguments:
        kind: 'simple_rnn', 'lstm' or 'gru'.
        keras_weights: list of arrays from a Keras LSTM / GRU (reset_after=False) / SimpleRNN.
        forget_bias: the forget_bias of the rnnlab LSTM the weights are meant for (ignored for other kinds).
        bias: None (default): the rnnlab layer has a bias when the Keras layer has one. False: leave the biases
            out; the Keras bias (less forget_bias) must then be all zero. True: keep them (zeros, less
            forget_bias, when Keras has none).

    Raises RnnlabError for a GRU bias of shape [2, 3n] (reset_after=True): that GRU is another model.
    """
    kind = _check_kind(kind)
    arrays = _check_arrays(keras_weights, "keras_weights")
    if kind == "gru" and len(arrays) == 3 and arrays[2].ndim == 2:
        raise RnnlabError(
            f"`keras_weights[2]` has shape {tuple(arrays[2].shape)}: the weights of a GRU with reset_after=True. "
            + RESET_AFTER_MESSAGE
        )
    if len(arrays) not in (2, 3) or arrays[0].ndim != 2 or arrays[1].ndim != 2:
        raise RnnlabError(
            "`keras_weights` must be [kernel [input_dim, k*units], recurrent_kernel [units, k*units], (bias)]; "
            f"received shapes {[tuple(a.shape) for a in arrays]}."
        )
    k = {"simple_rnn": 1, "lstm": 4, "gru": 3}[kind]
    d, n = arrays[0].shape[0], arrays[1].shape[0]
    keras_bias = len(arrays) == 3
    _check_shapes(arrays, _keras_layout(kind, d, n, keras_bias), "keras_weights", f"Keras {kind}")
    if bias is not None and not isinstance(bias, bool):
        raise InteropTypeError(f"`bias` must be None, True or False; received {describe(bias)}.")
    with_bias = keras_bias if bias is None else bias
    kernel, recurrent = arrays[0], arrays[1]
    matrix = np.concatenate([kernel, recurrent], axis=0)  # [D+n, k n]: input rows first
    dtype = kernel.dtype
    vector = arrays[2] if keras_bias else np.zeros(k * n, dtype=dtype)  # the Keras bias [k n]

    if kind == "lstm":
        forget_bias = _check_forget_bias(forget_bias)
        matrix = _lstm_reorder(matrix)
        vector = _lstm_reorder(vector - _keras_forget_vector(n, forget_bias, vector.dtype))
    elif kind == "gru":
        z, r, h = np.split(matrix, 3, axis=-1)
        b_z, b_r, b_h = np.split(vector, 3)
        matrix_out = [np.concatenate([r, z], axis=-1), h]
        bias_out = [np.concatenate([b_r, b_z]), b_h]
    if not with_bias and np.any(vector != 0):
        if not keras_bias:  # only an LSTM gets here: -forget_bias would be needed in the f block
            raise RnnlabError(
                f"`bias=False` with forget_bias={forget_bias}: the Keras LSTM has no bias, so its forget gate gets "
                "no constant, while an rnnlab LSTM without Bias adds forget_bias at run time. Use forget_bias=0.0, "
                "or bias=True (the Bias then holds -forget_bias in its f block)."
            )
        what = f" less forget_bias={forget_bias} in its f block" if kind == "lstm" else ""
        raise RnnlabError(
            f"`bias=False`, but the Keras bias{what} is not all zero (largest magnitude "
            f"{float(np.max(np.abs(vector))):.4g}): leaving it out would change the model. Use bias=True "
            "(or bias=None)."
        )
    if kind == "gru":
        return [matrix_out[0], bias_out[0], matrix_out[1], bias_out[1]] if with_bias else matrix_out
    return [matrix, vector] if with_bias else [matrix]
