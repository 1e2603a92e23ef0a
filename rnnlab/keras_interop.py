"""Move weights between rnnlab (TFLearn layout) and Keras's own ``LSTM`` / ``GRU`` / ``SimpleRNN``.

    keras_lstm = to_keras(rnnlab_lstm)                 # a built keras.layers.LSTM, same outputs
    rnnlab_gru = from_keras(keras_gru, dynamic=True)   # a built rnnlab.GRU (Keras GRU needs reset_after=False)
    arrays = weights_to_keras("lstm", layer.get_weights(), input_dim=3, n_units=8, forget_bias=1.0)

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

Where the semantics coincide (and where they do not):

* Non-dynamic layers, at inference: the Keras layer computes the same outputs and states.
* GRU: only Keras's ``reset_after=False`` applies the reset gate before the recurrent matmul, as TFLearn does;
  ``reset_after=True`` (Keras's default) is another model and is refused.
* Activations are mapped by name; names whose functions differ (``hard_sigmoid``, ``gelu``, ``leaky_relu``)
  are refused. Custom callables are passed through unchanged.
* ``dynamic=True``: the weights convert unchanged, but Keras learns lengths from a mask, so put
  ``keras.layers.Masking(mask_value=0.0)`` before the Keras layer. ``to_keras`` sets
  ``zero_output_for_mask=return_seq`` so that masked steps output 0 (``return_seq=True``) and the last output
  is the output at step ``length - 1`` (``return_seq=False``), as in rnnlab. This matches for post-padded
  data whose real steps are never all zero. Keras *skips* an all-zero step inside a sequence and goes on
  with the later steps, while TFLearn's length counts non-zero steps and so stops early (SPEC.md, "Dynamic
  mode"); an explicit ``seq_len`` has no Keras counterpart but a hand-made mask.
* ``dropout`` is not carried over: rnnlab drops each step's input and output with fresh masks (keep
  probabilities), Keras drops gate inputs with one mask per sequence (rates). Inference is unaffected.
* ``return_state``: rnnlab returns ``(output, (c, h))`` for an LSTM, Keras returns ``[output, h, c]``
  (and takes ``initial_state=[h, c]``).
* ``BiRNN`` / ``keras.layers.Bidirectional`` are not converted as layers (with ``return_seq=False`` rnnlab's
  backward half has seen one step, Keras's the whole sequence); convert each direction's cell weights with
  :func:`weights_to_keras` / :func:`weights_from_keras`.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np

from rnnlab import activations
from rnnlab.errors import RnnlabError, describe
from rnnlab.recurrent import GRU, LSTM, BiRNN, Recurrent, SimpleRNN

KINDS = ("simple_rnn", "lstm", "gru")

RNNLAB_CLASSES = {"simple_rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}
KERAS_CLASSES = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}

# LSTM column blocks: rnnlab i, j, f, o <-> Keras i, f, c, o. The permutation is its own inverse.
_LSTM_BLOCKS = (0, 2, 1, 3)
_KERAS_FORGET_BLOCK = 1  # f is block 1 in Keras's order (block 2 in rnnlab's)

# rnnlab activation name -> Keras activation name, for functions that are the same.
_SAME_ACTIVATIONS = {
    "linear": "linear",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "softmax": "softmax",
    "softplus": "softplus",
    "softsign": "softsign",
    "relu": "relu",
    "relu6": "relu6",
    "elu": "elu",
    "selu": "selu",
    "prelu": "relu",  # rnnlab's prelu is PReLU at its initial slope 0, never learned inside a cell: relu
}
_KERAS_TO_RNNLAB = {
    "linear": "linear", "tanh": "tanh", "sigmoid": "sigmoid", "softmax": "softmax", "softplus": "softplus",
    "softsign": "softsign", "relu": "relu", "relu6": "relu6", "elu": "elu", "selu": "selu",
}
# Names both libraries know, with different functions.
_DIFFERENT_ACTIVATIONS = {
    "hard_sigmoid": "TFLearn's (rnnlab's) hard_sigmoid is clip(0.2 x + 0.5, 0, 1) while Keras 3's is "
    "relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1)",
    "gelu": "rnnlab's gelu is the tanh approximation while Keras's 'gelu' is exact (approximate=False)",
    "leaky_relu": "TFLearn's (rnnlab's) leaky_relu has slope 0.1 for x < 0 while Keras's has 0.2",
}
_RESET_AFTER_MESSAGE = (
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
            + _RESET_AFTER_MESSAGE
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


# ---------------------------------------------------------------------------------------------- activations


def _rnnlab_activation_to_keras(activation, argument: str):
    """An rnnlab activation (name or callable) -> a Keras activation with the same function."""
    if isinstance(activation, str):
        fn = activations.get(activation, argument)  # raises for unknown names
    elif callable(activation):
        fn = activation
    else:
        raise InteropTypeError(f"`{argument}` must be a name or a callable; received {describe(activation)}.")
    name = activations.name_of(fn)
    if name is None:
        return activation  # a user's callable: both libraries apply it element-wise to the same values
    name = "leaky_relu" if name == "leakyrelu" else name
    if name in _DIFFERENT_ACTIVATIONS:
        raise RnnlabError(
            f"`{argument}`={activation!r} cannot be converted to Keras: {_DIFFERENT_ACTIVATIONS[name]}, so the "
            "Keras layer would compute something else. Use an activation both libraries share "
            f"({', '.join(sorted(_KERAS_TO_RNNLAB))}), or convert the arrays with weights_to_keras and give the "
            "Keras layer your own callable."
        )
    return _SAME_ACTIVATIONS[name]


def _keras_activation_to_rnnlab(fn, argument: str):
    """A Keras layer's activation function -> the rnnlab name (or the callable itself if it is a user's)."""
    name = getattr(fn, "__name__", None)
    try:
        builtin = name is not None and keras.activations.get(name) is fn
    except (ValueError, TypeError):
        builtin = False
    if not builtin:
        return fn  # a user's callable: passed through unchanged
    if name in _DIFFERENT_ACTIVATIONS:
        raise RnnlabError(
            f"The Keras layer's `{argument}` is {name!r}, which rnnlab cannot reproduce by name: "
            f"{_DIFFERENT_ACTIVATIONS[name]}. Build the Keras layer with another activation "
            f"({', '.join(sorted(_KERAS_TO_RNNLAB))})."
        )
    if name not in _KERAS_TO_RNNLAB:
        raise RnnlabError(
            f"The Keras layer's `{argument}` is {name!r}, which has no rnnlab counterpart; expected one of "
            f"{', '.join(sorted(_KERAS_TO_RNNLAB))}."
        )
    return _KERAS_TO_RNNLAB[name]


# ---------------------------------------------------------------------------------------------- layers


def _keras_kind(keras_layer) -> str:
    for kind, cls in KERAS_CLASSES.items():
        if isinstance(keras_layer, cls):
            return kind
    if isinstance(keras_layer, keras.layers.Bidirectional):
        raise InteropTypeError(
            "`keras_layer` is a keras.layers.Bidirectional, which from_keras does not convert: with "
            "return_sequences=False its backward half has read the whole sequence, rnnlab's BiRNN only the last "
            "step. Convert each direction's weights with weights_from_keras (keras_layer.forward_layer, "
            "keras_layer.backward_layer) and set them on the BiRNN's cells."
        )
    if isinstance(keras_layer, (Recurrent, BiRNN)):
        raise InteropTypeError(
            f"`keras_layer` is already an rnnlab layer ({describe(keras_layer)}); from_keras expects a "
            "keras.layers.LSTM, GRU or SimpleRNN. Use to_keras to convert an rnnlab layer to Keras."
        )
    raise InteropTypeError(
        "`keras_layer` must be a keras.layers.LSTM, GRU or SimpleRNN; received "
        f"{describe(keras_layer)} ({type(keras_layer).__module__}.{type(keras_layer).__name__})."
    )


_KERAS_RESERVED = ("units", "activation", "recurrent_activation", "use_bias", "reset_after", "go_backwards")
_RNNLAB_RESERVED = ("n_units", "activation", "inner_activation")


def to_keras(layer, **keras_kwargs):
    """A built rnnlab SimpleRNN / LSTM / GRU -> a built keras.layers.SimpleRNN / LSTM / GRU with the same weights.

    Input [B, T, D] -> output [B, T, n] if ``return_seq`` else [B, n], equal to the rnnlab layer's at
    inference for non-dynamic layers. Copied: units, activation (and inner_activation as
    recurrent_activation), use_bias, return_seq (return_sequences), return_state, trainable; the GRU gets
    ``reset_after=False``; an LSTM's forget_bias is folded into the Keras bias (a Keras LSTM has no run-time
    forget bias). Not copied: dropout (Keras's differs; a warning says so).

    Dynamic layers: put ``keras.layers.Masking(mask_value=0.0)`` before the returned layer. It gets
    ``zero_output_for_mask=return_seq``, so with post-padded data whose real steps are never all zero the
    outputs match rnnlab's (zeros past each length; the output at ``length - 1`` when return_seq=False).
    An all-zero step inside a sequence is skipped by Keras but ends the sequence for TFLearn's length count.

    Arguments:
        layer: a built rnnlab.SimpleRNN, rnnlab.LSTM or rnnlab.GRU (call it once or ``layer.build((None, T, D))``).
        **keras_kwargs: more arguments for the Keras constructor (name, unroll, ...); the arguments that define
            the model (units, activation, recurrent_activation, use_bias, reset_after, go_backwards) are refused.
    """
    if isinstance(layer, BiRNN):
        raise InteropTypeError(
            "`layer` is an rnnlab.BiRNN, which to_keras does not convert: with return_seq=False its backward half "
            "has seen only the last step, while keras.layers.Bidirectional's has read the whole sequence. "
            "Convert each cell's weights with weights_to_keras(cell.kind, cell.get_weights(), ...)."
        )
    if any(isinstance(layer, cls) for cls in KERAS_CLASSES.values()):
        raise InteropTypeError(
            f"`layer` is already a Keras layer ({describe(layer)}); to_keras expects an rnnlab.SimpleRNN, "
            "rnnlab.LSTM or rnnlab.GRU. Use from_keras to convert a Keras layer to rnnlab."
        )
    if not isinstance(layer, Recurrent) or getattr(layer.cell, "kind", None) not in KINDS:
        raise InteropTypeError(
            f"`layer` must be an rnnlab.SimpleRNN, rnnlab.LSTM or rnnlab.GRU; received {describe(layer)} "
            f"({type(layer).__module__}.{type(layer).__name__})."
        )
    reserved = sorted(set(keras_kwargs) & set(_KERAS_RESERVED))
    if reserved:
        raise RnnlabError(
            f"`{reserved[0]}`={keras_kwargs[reserved[0]]!r} cannot be given to to_keras: it comes from the rnnlab "
            "layer, so that the Keras layer computes the same model."
        )
    cell = layer.cell
    if not cell.built or cell.input_dim is None:
        raise RnnlabError(
            f"`layer` {layer.name!r} is not built, so it has no weights yet; call it on data or "
            "layer.build((None, timesteps, input_dim)) first."
        )
    if layer.keep_probs is not None:
        warnings.warn(
            f"to_keras: layer {layer.name!r} has dropout={layer.dropout!r}, which is not carried over (Keras's "
            "dropout masks gate inputs once per sequence; rnnlab drops step inputs and outputs). Outputs at "
            "inference are unaffected.",
            stacklevel=2,
        )
    kind = cell.kind
    kwargs = dict(
        units=cell.num_units,
        activation=_rnnlab_activation_to_keras(cell.activation, "activation"),
        return_sequences=layer.return_seq,
        return_state=layer.return_state,
        trainable=layer.trainable,
    )
    if kind in ("lstm", "gru"):
        kwargs["recurrent_activation"] = _rnnlab_activation_to_keras(cell.inner_activation, "inner_activation")
    forget_bias = getattr(cell, "forget_bias", 0.0)
    weights = weights_to_keras(kind, layer.get_weights(), cell.input_dim, cell.num_units, forget_bias)
    kwargs["use_bias"] = len(weights) == 3
    if kind == "gru":
        kwargs["reset_after"] = False
    if layer.dynamic_lengths:
        kwargs["zero_output_for_mask"] = layer.return_seq
    kwargs.update(keras_kwargs)
    keras_layer = KERAS_CLASSES[kind](**kwargs)
    keras_layer.build((None, None, cell.input_dim))
    keras_layer.set_weights(weights)
    return keras_layer


def from_keras(keras_layer, **rnnlab_kwargs):
    """A built keras.layers.SimpleRNN / LSTM / GRU -> a built rnnlab.SimpleRNN / LSTM / GRU with the same weights.

    Input [B, T, D] -> output [B, T, n] if return_seq else [B, n], equal to the Keras layer's at inference.
    Copied: units, activation, recurrent_activation (as inner_activation), use_bias (as bias),
    return_sequences (as return_seq), return_state, trainable (not the name). A Keras LSTM has no run-time forget bias:
    the rnnlab LSTM's ``forget_bias`` (default 1.0) is subtracted from the f block of the Keras bias, so a Keras
    LSTM initialised with unit_forget_bias=True gets a zero rnnlab Bias.

    Refused (the models differ): GRU with reset_after=True (use reset_after=False), go_backwards=True, and the
    activations rnnlab cannot reproduce. Keras dropout / recurrent_dropout are not carried over and stateful
    layers lose their carried state (warnings say so). With ``dynamic=True`` the rnnlab layer infers lengths from
    zero padding where the Keras layer needed a Masking layer (see :func:`to_keras`).

    Arguments:
        keras_layer: a built Keras LSTM, GRU or SimpleRNN.
        **rnnlab_kwargs: arguments of the rnnlab layer: forget_bias (LSTM), bias (see
            :func:`weights_from_keras`), dynamic, dropout, return_seq, return_state, trainable, restore, name, ...;
            n_units, activation and inner_activation come from the Keras layer and are refused.
    """
    kind = _keras_kind(keras_layer)
    reserved = sorted(set(rnnlab_kwargs) & set(_RNNLAB_RESERVED))
    if reserved:
        raise RnnlabError(
            f"`{reserved[0]}`={rnnlab_kwargs[reserved[0]]!r} cannot be given to from_keras: it comes from the Keras "
            "layer, so that the rnnlab layer computes the same model."
        )
    if kind != "lstm" and "forget_bias" in rnnlab_kwargs:
        raise RnnlabError(
            f"`forget_bias`={rnnlab_kwargs['forget_bias']!r} applies to LSTM layers only; the Keras layer is a {kind}."
        )
    if kind == "gru" and keras_layer.reset_after:
        raise RnnlabError(f"`keras_layer` {keras_layer.name!r} has reset_after=True. " + _RESET_AFTER_MESSAGE)
    if keras_layer.go_backwards:
        raise RnnlabError(
            f"`keras_layer` {keras_layer.name!r} has go_backwards=True: it reads the sequence reversed, which rnnlab's "
            "layers do not. Reverse the input yourself or use rnnlab.bidirectional_rnn."
        )
    if not keras_layer.built or not keras_layer.get_weights():
        raise RnnlabError(
            f"`keras_layer` {keras_layer.name!r} is not built, so it has no weights yet; call it on data or "
            "keras_layer.build((None, timesteps, input_dim)) first."
        )
    dropped = {k: getattr(keras_layer, k, 0) for k in ("dropout", "recurrent_dropout")}
    if any(dropped.values()):
        warnings.warn(
            f"from_keras: {dropped} of layer {keras_layer.name!r} are not carried over (rnnlab's dropout drops step "
            "inputs and outputs with keep probabilities); outputs at inference are unaffected.",
            stacklevel=2,
        )
    if keras_layer.stateful:
        warnings.warn(
            f"from_keras: layer {keras_layer.name!r} is stateful; the rnnlab layer starts every call from zeros "
            "(pass initial_state to carry a state).",
            stacklevel=2,
        )
    forget_bias = rnnlab_kwargs.get("forget_bias", 1.0) if kind == "lstm" else 0.0
    keras_weights = keras_layer.get_weights()
    weights = weights_from_keras(kind, keras_weights, forget_bias, bias=rnnlab_kwargs.pop("bias", None))
    kwargs = dict(
        activation=_keras_activation_to_rnnlab(keras_layer.activation, "activation"),
        bias=len(weights) == (4 if kind == "gru" else 2),
        return_seq=keras_layer.return_sequences,
        return_state=keras_layer.return_state,
        trainable=keras_layer.trainable,
    )
    if kind in ("lstm", "gru"):
        kwargs["inner_activation"] = _keras_activation_to_rnnlab(
            keras_layer.recurrent_activation, "recurrent_activation"
        )
    kwargs.update(rnnlab_kwargs)
    layer = RNNLAB_CLASSES[kind](keras_layer.units, **kwargs)
    input_dim = keras_weights[0].shape[0]
    layer.build((None, None, input_dim))
    layer.set_weights(weights)
    return layer


__all__ = ["InteropTypeError", "from_keras", "to_keras", "weights_from_keras", "weights_to_keras"]
