"""Move weights between rnnlab (TFLearn layout) and Keras's own ``LSTM`` / ``GRU`` / ``SimpleRNN``.

    keras_lstm = to_keras(rnnlab_lstm)                 # a built keras.layers.LSTM, same outputs
    rnnlab_gru = from_keras(keras_gru, dynamic=True)   # a built rnnlab.GRU (Keras GRU needs reset_after=False)
    rnnlab_model = from_keras(keras_model_or_path)     # a whole model: see rnnlab.layers.keras_models

The weight arrays move as :mod:`rnnlab.layers.keras_weights` describes.

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

import os
import warnings

import keras

from rnnlab.errors import RnnlabError, describe
from rnnlab.layers import activations
from rnnlab.layers.bidirectional import BiRNN
from rnnlab.layers.keras_weights import KINDS, RESET_AFTER_MESSAGE, InteropTypeError, weights_from_keras, weights_to_keras
from rnnlab.layers.recurrent import GRU, LSTM, Recurrent, SimpleRNN

RNNLAB_CLASSES = {"simple_rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}
KERAS_CLASSES = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}

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
        "`keras_layer` must be a keras.layers.LSTM, GRU or SimpleRNN (or a keras.Model, or the path of a .keras "
        "file); received "
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
    """A Keras layer, model or ``.keras`` file -> its rnnlab twin, computing the same outputs.

    * a built keras.layers.SimpleRNN / LSTM / GRU [B, T, D] -> [B, T, n] or [B, n]: the rnnlab layer
      (:func:`layer_from_keras`, which ``rnnlab_kwargs`` go to);
    * a Functional or Sequential keras.Model, or the path of a ``.keras`` file (loaded in Keras's safe mode):
      the same model with every Keras LSTM / GRU / SimpleRNN replaced by its rnnlab twin and Masking layers by
      dynamic mode (:func:`rnnlab.layers.keras_models.model_from_keras`; no keyword arguments).

    Raises RnnlabError (a TypeError too for wrong types) naming the layer that cannot convert and why.
    """
    if isinstance(keras_layer, (str, os.PathLike, keras.Model)):
        from rnnlab.layers.keras_models import model_from_keras  # imports this module: imported here

        if rnnlab_kwargs:
            raise RnnlabError(
                f"from_keras takes keyword arguments ({', '.join(sorted(rnnlab_kwargs))}) for a single layer only; "
                f"received a {'path' if not isinstance(keras_layer, keras.Model) else 'keras.Model'}, whose layers "
                "get their arguments from the Keras layers."
            )
        return model_from_keras(keras_layer)
    return layer_from_keras(keras_layer, **rnnlab_kwargs)


def layer_from_keras(keras_layer, **rnnlab_kwargs):
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
        raise RnnlabError(f"`keras_layer` {keras_layer.name!r} has reset_after=True. " + RESET_AFTER_MESSAGE)
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


__all__ = ["from_keras", "layer_from_keras", "to_keras"]
