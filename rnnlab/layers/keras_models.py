"""Whole Keras models -> the same models on rnnlab's layers: ``rnnlab.from_keras(model_or_path)``.

    model = rnnlab.from_keras("classifier.keras")    # loaded in Keras's safe mode
    model = rnnlab.from_keras(keras_model)           # a Functional or Sequential keras.Model

Every Keras ``LSTM`` / ``GRU`` (``reset_after=False``) / ``SimpleRNN`` becomes its rnnlab twin (same name, same
weights, see :func:`rnnlab.layers.keras_interop.from_keras`); every other layer is cloned with its weights. A
``Masking(mask_value=0.0)`` layer in front of recurrent layers becomes an ``Identity`` and the recurrent layers it
masks get ``dynamic=True``: rnnlab infers each sample's length from the all-zero steps of the layer's own input,
which is what the mask says for post-padded data with no all-zero step inside a sequence. A stack of masked
recurrent layers stays masked (the zeros an rnnlab layer outputs past each length carry the length on).

Refused, with an error naming the layer and why: GRU with ``reset_after=True``, activations rnnlab cannot
reproduce, ``go_backwards`` / ``return_state`` / ``initial_state`` / ``Bidirectional`` / generic ``keras.layers.RNN``
layers, and masks that do not come straight from a ``Masking(0.0)`` layer (an ``Embedding(mask_zero=True)``, a
Masking with another value, a mask carried through other layers). Warned: outputs at padded steps of a masked
``return_sequences=True`` layer that reach something else than another masked recurrent layer (Keras repeats
the last valid output there unless ``zero_output_for_mask=True``; rnnlab, like TFLearn, outputs 0).
"""

from __future__ import annotations

import os
import warnings
import zipfile
from dataclasses import dataclass, field

import keras

from rnnlab.errors import RnnlabError, describe
from rnnlab.layers.keras_interop import KERAS_CLASSES, layer_from_keras
from rnnlab.layers.keras_weights import InteropTypeError

_RECURRENT = tuple(KERAS_CLASSES.values())
# Layers that pass a mask on without using it: a mask reaching them changes nothing in their outputs.
_MASK_PASSING = (keras.layers.Dense, keras.layers.Dropout, keras.layers.Activation, keras.layers.Identity)


def _where(layer) -> str:
    """A layer -> "layer 'lstm_1' (keras LSTM)", the way conversion errors name it."""
    return f"layer {layer.name!r} (keras {type(layer).__name__})"


# ---------------------------------------------------------------------------------------------- loading


def load_keras_model(path) -> keras.Model:
    """Path of a ``.keras`` file -> the keras.Model in it, loaded with ``safe_mode=True`` and ``compile=False``.

    rnnlab's own layers are registered with Keras, so a ``.keras`` file of an rnnlab model loads too. A file that
    is missing, is not a ``.keras`` archive, or that safe mode refuses (it holds code, e.g. a Lambda layer)
    raises an RnnlabError naming the file.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InteropTypeError(f"`path` must be a str or os.PathLike; received {describe(path)}.")
    path = os.fspath(path)
    if not path.endswith(".keras"):
        raise RnnlabError(
            f"`path`={path!r} must name a .keras model file (model.save('name.keras')); other formats "
            "(.h5, SavedModel folders, .weights.h5) are not read."
        )
    if not os.path.isfile(path):
        raise RnnlabError(f"`path`={path!r}: no such file.")
    if not zipfile.is_zipfile(path):  # Keras would say 'File not found' for a file it cannot open as a zip
        raise RnnlabError(
            f"`path`={path!r} is not a .keras model file: a .keras file is a zip archive (as model.save('name.keras') "
            "writes it), and this one is not."
        )
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises ValueError, TypeError, KeyError, zipfile errors, ... by cause
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if "safe_mode" in str(error) or "unsafe" in str(error).lower():
            raise RnnlabError(
                f"The .keras file {path!r} was refused in safe mode: it holds code (such as a Lambda layer) that "
                f"loading would run, and rnnlab loads models only without running their code. Keras said: {text}"
            ) from None
        raise RnnlabError(f"The file {path!r} could not be read as a .keras model: {text}") from None
    if not isinstance(model, keras.Model):
        raise RnnlabError(f"The file {path!r} holds {describe(model)}, not a keras.Model.")
    return model


# ---------------------------------------------------------------------------------------------- the plan


@dataclass
class ConversionPlan:
    """What happens to each layer (by id): recurrent layers to convert, with their ``dynamic`` flag; Masking
    layers that become Identity."""

    dynamic: dict[int, bool] = field(default_factory=dict)
    masking: set[int] = field(default_factory=set)


def _nodes(layer):
    return list(getattr(layer, "_inbound_nodes", []) or [])


def _data_inputs(node) -> list:
    """A call node -> the KerasTensors of its first positional argument (the data, not the mask)."""
    args = getattr(getattr(node, "arguments", None), "args", None)
    if not args:
        return list(node.input_tensors)
    return [t for t in keras.tree.flatten(args[0]) if isinstance(t, keras.KerasTensor)]


def _producer(tensor):
    history = getattr(tensor, "_keras_history", None)
    return history.operation if history is not None else None


def _mask_of(tensor):
    return getattr(tensor, "_keras_mask", None)


def _consumers(model) -> dict[int, list]:
    """id(layer) -> the layers of ``model`` that read its output (as data)."""
    found: dict[int, list] = {}
    for layer in model.layers:
        for node in _nodes(layer):
            for tensor in _data_inputs(node):
                producer = _producer(tensor)
                if producer is not None:
                    found.setdefault(id(producer), []).append(layer)
    return found


def _mask_origin_error(layer, producer) -> RnnlabError:
    if isinstance(producer, keras.layers.Embedding):
        why = (f"the mask comes from {_where(producer)} with mask_zero=True. rnnlab's dynamic mode infers lengths "
               "from all-zero input steps, and padding id 0 maps to a non-zero embedding vector, so the lengths "
               "cannot be recovered. Pad with zeros and put keras.layers.Masking(0.0) right before the recurrent "
               "layer, or pass explicit lengths (rnnlab's seq_len).")
    elif isinstance(producer, keras.layers.Masking):
        why = (f"the mask comes from {_where(producer)} with mask_value={producer.mask_value!r}; rnnlab's dynamic "
               "mode masks all-zero steps only (mask_value=0.0).")
    else:
        why = (f"its input comes from {_where(producer) if producer is not None else 'the model input'} with a mask "
               "made further up. rnnlab's dynamic mode infers each sample's length from the all-zero steps of the "
               "layer's own input, so the Masking(0.0) layer must feed the recurrent layer directly (or through "
               "masked recurrent layers with return_sequences=True).")
    return RnnlabError(f"{_where(layer)} receives a mask rnnlab cannot reproduce: {why}")


def _check_recurrent(layer, node) -> None:
    if isinstance(layer, keras.layers.GRU) and layer.reset_after:
        raise RnnlabError(
            f"{_where(layer)}: reset_after=True has no TFLearn/rnnlab equivalent (it applies the reset gate after "
            "the recurrent matmul, with a second bias); rebuild it with reset_after=False."
        )
    if layer.go_backwards:
        raise RnnlabError(
            f"{_where(layer)}: go_backwards=True reads the sequence reversed, which rnnlab's layers do not; reverse "
            "the input yourself or use rnnlab.bidirectional_rnn."
        )
    if layer.return_state:
        raise RnnlabError(
            f"{_where(layer)}: return_state=True returns [output, h(, c)] in Keras's order, rnnlab (output, state) "
            "with an LSTM state (c, h), so the layers after it would read other tensors. Convert that layer alone "
            "with rnnlab.from_keras(layer) and wire the model yourself."
        )
    kwargs = getattr(getattr(node, "arguments", None), "kwargs", {}) or {}
    if kwargs.get("initial_state") is not None:
        raise RnnlabError(
            f"{_where(layer)} is called with an initial_state (Keras order [h(, c)]); rnnlab takes (c, h) for an "
            "LSTM. Convert that layer alone with rnnlab.from_keras(layer) and wire the model yourself."
        )


def _plan_layer(layer, plan: ConversionPlan, consumers: dict[int, list], outputs: set[int]) -> None:
    if isinstance(layer, keras.layers.Masking):
        if float(layer.mask_value) != 0.0:
            raise RnnlabError(
                f"{_where(layer)}: mask_value={layer.mask_value!r}; rnnlab's dynamic mode masks all-zero steps "
                "only (Masking(mask_value=0.0)), and a Masking layer with another value also zeroes those steps."
            )
        plan.masking.add(id(layer))
        return
    if isinstance(layer, keras.layers.Bidirectional):
        raise RnnlabError(
            f"{_where(layer)}: keras Bidirectional has no rnnlab twin (with return_sequences=False its backward "
            "half has read the whole sequence, rnnlab's BiRNN only the last step). Build the model with "
            "rnnlab.bidirectional_rnn and move each direction's weights with rnnlab.weights_from_keras."
        )
    if isinstance(layer, keras.layers.RNN) and not isinstance(layer, _RECURRENT):
        raise RnnlabError(
            f"{_where(layer)}: only keras LSTM, GRU and SimpleRNN layers have rnnlab twins; a generic "
            f"keras.layers.RNN over a {type(getattr(layer, 'cell', None)).__name__} does not."
        )
    nodes = _nodes(layer)
    masked = [any(_mask_of(t) is not None for t in _data_inputs(node)) for node in nodes]
    if isinstance(layer, _RECURRENT):
        for node, node_masked in zip(nodes, masked):
            _check_recurrent(layer, node)
            if node_masked:
                for tensor in _data_inputs(node):
                    producer = _producer(tensor)
                    if not (id(producer) in plan.masking
                            or (plan.dynamic.get(id(producer)) and producer.return_sequences)):
                        raise _mask_origin_error(layer, producer)
        if len(set(masked)) > 1:
            raise RnnlabError(
                f"{_where(layer)} is called on masked and on unmasked inputs; an rnnlab layer is dynamic or not. "
                "Use two layers."
            )
        plan.dynamic[id(layer)] = bool(masked and masked[0])
        if plan.dynamic[id(layer)] and layer.return_sequences and not getattr(layer, "zero_output_for_mask", False):
            readers = consumers.get(id(layer), [])
            if id(layer) in outputs or any(not isinstance(r, _RECURRENT) for r in readers):
                warnings.warn(
                    f"from_keras: {_where(layer)} is masked and returns sequences: at padded steps Keras repeats "
                    "the last valid output (zero_output_for_mask=False) where rnnlab, like TFLearn, outputs 0. "
                    "Outputs at real steps are the same.",
                    stacklevel=4,
                )
        return
    if any(masked) and not isinstance(layer, (_MASK_PASSING, keras.Model, keras.layers.InputLayer)):
        warnings.warn(
            f"from_keras: {_where(layer)} receives a mask, which the converted model no longer carries (rnnlab "
            "layers find lengths from zeros); if this layer uses the mask, its outputs will differ.",
            stacklevel=4,
        )


def plan_conversion(model, plan: ConversionPlan | None = None) -> ConversionPlan:
    """A Functional or Sequential keras.Model -> its ConversionPlan (nested models included).

    Raises RnnlabError naming the first layer that cannot convert and why.
    """
    plan = plan or ConversionPlan()
    if not isinstance(model, (keras.Sequential, keras.src.models.functional.Functional)):
        raise InteropTypeError(
            f"`model` must be a Functional or Sequential keras.Model (its layer graph is what is converted); "
            f"received a subclassed model {type(model).__name__!r}. Rebuild it with keras.Model(inputs, outputs)."
        )
    if not model.built or not _nodes(model.layers[0] if model.layers else model):
        raise RnnlabError(
            f"`model` {model.name!r} is not built: give it an input shape (keras.Input) or call it on data first."
        )
    consumers = _consumers(model)
    outputs = {id(_producer(t)) for t in keras.tree.flatten(model.outputs)}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            plan_conversion(layer, plan)
        _plan_layer(layer, plan, consumers, outputs)
    return plan


# ---------------------------------------------------------------------------------------------- converting


def model_from_keras(model_or_path) -> keras.Model:
    """A keras.Model (Functional or Sequential) or the path of a ``.keras`` file -> the same model on rnnlab's layers.

    Input and output shapes are the model's own ([B, T, D] -> whatever its head returns); the returned model is a
    new, uncompiled keras.Model with the same layer names, whose Keras LSTM / GRU / SimpleRNN are rnnlab layers
    and whose other layers hold copies of the original weights, so ``predict`` gives the same outputs.

    Raises RnnlabError naming the layer and why for a layer that cannot convert (see the module doc), and for a
    file that is missing, unreadable or refused by Keras's safe mode.
    """
    model = load_keras_model(model_or_path) if isinstance(model_or_path, (str, os.PathLike)) else model_or_path
    if not isinstance(model, keras.Model):
        raise InteropTypeError(
            f"`model_or_path` must be a keras.Model or the path of a .keras file; received {describe(model)}."
        )
    plan = plan_conversion(model)
    copies: list[tuple] = []

    def convert(layer):
        if id(layer) in plan.masking:
            return keras.layers.Identity(name=layer.name)
        if id(layer) in plan.dynamic:
            try:
                return layer_from_keras(layer, dynamic=plan.dynamic[id(layer)], name=layer.name)
            except RnnlabError as error:
                raise type(error)(f"{_where(layer)}: {error}") from None
        twin = type(layer).from_config(layer.get_config())
        if isinstance(layer, keras.layers.Layer) and layer.weights:
            copies.append((layer, twin))
        return twin

    def call_without_mask(layer, *args, **kwargs):
        kwargs.pop("mask", None)  # the converted model carries no masks: rnnlab layers find lengths from zeros
        return layer(*args, **kwargs)

    functional = not isinstance(model, keras.Sequential)  # a Sequential lists its layers: nothing to call
    converted = keras.models.clone_model(
        model, clone_function=convert, call_function=call_without_mask if functional else None, recursive=True)
    for original, twin in copies:
        twin.set_weights(original.get_weights())
    return converted


__all__ = ["ConversionPlan", "load_keras_model", "model_from_keras", "plan_conversion"]
