"""A stack as padding_check reads it: the model's inputs, its recurrent layer calls in a Trace (the length each
used, what it returned) and a twin of the model that takes any number of time steps.

Split out of padding_check.py (which keeps the lengths table and the invariance check) to keep each module under
the house's ~500 lines; these are its private helpers, not public API.

Shapes: x [B, T, D] (or a list of model inputs whose first is [B, T, D]); per layer [B, T, n] outputs, [B] steps.
"""

from __future__ import annotations

import weakref

import numpy as np

from rnnlab.errors import RnnlabError
from rnnlab.layers.bidirectional import BiRNN
from rnnlab.layers.recurrent import Recurrent

# ----------------------------------------------------------------------------------------- inputs


def _split_inputs(x):
    """x [B, T, D] or [x_seq, other per-row inputs...] -> (x_seq [B, T, D] float32, others list)."""
    if isinstance(x, (list, tuple)):
        if not x:
            raise RnnlabError("`x` must be a [B, T, D] array or a list of model inputs; received an empty list.")
        seq, others = np.asarray(x[0]), [np.asarray(v) for v in x[1:]]
    else:
        seq, others = np.asarray(x), []
    if seq.ndim != 3:
        raise RnnlabError(f"`x` must be 3-D [batch, time, input_dim] (or a list whose first input is); received "
                          f"shape {seq.shape}.")
    if not np.issubdtype(seq.dtype, np.number):
        raise RnnlabError(f"`x` must hold numbers; received dtype {seq.dtype}.")
    for i, other in enumerate(others, 1):
        if other.ndim == 0 or len(other) != len(seq):
            raise RnnlabError(f"`x[{i}]` must have one entry per row of x[0] ({len(seq)}); received shape "
                              f"{other.shape}.")
    return seq.astype(np.float32, copy=False), others


def _join_inputs(seq, others):
    return [seq, *others] if others else seq


# ----------------------------------------------------------------------------------------- layers


def _layer_key(trace_name: str) -> tuple[str, str | None]:
    """'NAME/fw#1' -> ('NAME#1', 'fw'); 'NAME' -> ('NAME', None)."""
    base, _, call = trace_name.partition("#")
    name, _, direction = base.partition("/")
    return (name + (f"#{call}" if call else ""), direction or None)


def _receives_seq_len(layer) -> bool:
    """Whether a layer is called with explicit lengths (``seq_len=``) in its model's graph."""
    for node in getattr(layer, "_inbound_nodes", []) or []:
        arguments = getattr(node, "arguments", None)
        if arguments is not None and arguments.kwargs.get("seq_len") is not None:
            return True
    return False


def _mode(layer, given_seq_len: bool) -> str:
    if given_seq_len or _receives_seq_len(layer):
        return "seq_len"
    return "dynamic" if layer.dynamic_lengths else "static"


def _kind(layer) -> str:
    if isinstance(layer, BiRNN):
        return f"bidirectional ({layer.cell_fw.kind} / {layer.cell_bw.kind})"
    return layer.cell.kind


def _grouped(trace, layers_by_name) -> dict:
    """Trace -> {layer key: (layer, {direction: LayerTrace})} in the order the layer calls ran."""
    grouped: dict = {}
    for name, record in trace.layers.items():
        key, direction = _layer_key(name)
        layer = layers_by_name[key.partition("#")[0]]
        grouped.setdefault(key, (layer, {}))[1][direction] = record
    return grouped


def _returned(layer, records) -> tuple[np.ndarray, np.ndarray]:
    """A layer's records -> (its output [B, T, n'] per step, forward half first; [B] the step return_seq=False
    takes: length-1, -1 for length 0 where the layer returns zeros)."""
    if None in records:
        sequence = records[None].quantities["h"]  # [B, T, n]
    else:
        sequence = np.concatenate([records["fw"].quantities["h"], records["bw"].quantities["h"]], axis=2)  # [B, T, 2n]
    lengths = next(iter(records.values())).seq_len
    return sequence, lengths.astype(np.int64) - 1


def _layer_output(layer, sequence, steps) -> np.ndarray:
    """[B, T, n'] outputs per step, [B] returned steps -> what the layer returns: the sequence, or [B, n']."""
    if layer.return_seq:
        return sequence
    rows = np.arange(len(steps))
    return np.where((steps >= 0)[:, None], sequence[rows, np.maximum(steps, 0)], 0.0)


# ------------------------------------------------------------------------------ a variable-T twin


_TWINS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its variable-T twin, or None


def _variable_time_twin(model, seq, others):
    """model -> a model over the same layer objects (same weights) that takes any number of time steps, or None
    when the model cannot run on fewer steps (a fixed-T layer such as Flatten, a nested fixed-T model)."""
    import keras

    if isinstance(model, (Recurrent, BiRNN)):
        return model
    inputs = getattr(model, "inputs", None) or []
    if not inputs or inputs[0].shape[1] is None:
        return model
    if model in _TWINS:
        return _TWINS[model]
    twin = None
    try:
        new_inputs = [keras.Input(shape=(None, *spec.shape[2:]), dtype=spec.dtype) if i == 0 else
                      keras.Input(shape=spec.shape[1:], dtype=spec.dtype) for i, spec in enumerate(inputs)]
        candidate = keras.models.clone_model(model, input_tensors=new_inputs if len(new_inputs) > 1 else new_inputs[0],
                                             clone_function=lambda layer: layer)
        short = max(1, seq.shape[1] - 1)
        candidate(_join_inputs(seq[:1, :short], [o[:1] for o in others]), training=False)  # can it really?
        twin = candidate
    except Exception:  # noqa: BLE001 - any failure means: this model needs its fixed T
        twin = None
    _TWINS[model] = twin
    return twin
