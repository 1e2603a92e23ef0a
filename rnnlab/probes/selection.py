"""Which layers of a model a probe or a hook watches, and the names their records carry."""

from __future__ import annotations

from rnnlab.errors import RnnlabError
from rnnlab.layers.bidirectional import BiRNN
from rnnlab.layers.recurrent import Recurrent


def recurrent_layers(model) -> list:
    """A model or layer -> its rnnlab recurrent layers (Recurrent and BiRNN), in order, nested models included."""
    found = []

    def walk(layer):
        if isinstance(layer, (Recurrent, BiRNN)):
            if layer not in found:
                found.append(layer)
            return
        for child in getattr(layer, "layers", []) or []:
            walk(child)

    walk(model)
    return found


def select_layers(model, names, purpose: str) -> list:
    """A model or layer + optional layer names -> its rnnlab recurrent layers, with clear errors."""
    found = recurrent_layers(model)
    if not found:
        raise RnnlabError(
            f"`model` has no rnnlab recurrent layers {purpose} (received {type(model).__name__}); build it with "
            "rnnlab.lstm / gru / simple_rnn / bidirectional_rnn or the rnnlab layer classes."
        )
    if names is None:
        return found
    known = [layer.name for layer in found]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RnnlabError(f"Unknown layer name(s) {unknown} in `layers`; the recurrent layers are: {', '.join(known)}.")
    return [layer for layer in found if layer.name in names]


def cells_of(layer) -> dict:
    """A layer -> {direction: cell}: {None: cell} for one direction, {'fw': ..., 'bw': ...} for a BiRNN."""
    if isinstance(layer, BiRNN):
        return {"fw": layer.cell_fw, "bw": layer.cell_bw}
    return {None: layer.cell}


def trace_name(layer, direction) -> str:
    """The name a layer's records carry: 'NAME', or 'NAME/fw' / 'NAME/bw' for one direction of a BiRNN."""
    return layer.name if direction is None else f"{layer.name}/{direction}"


def call_name(name: str, calls: int) -> str:
    """The trace name of a layer's call number ``calls`` in one pass: NAME, NAME#1, NAME#2, ..."""
    return name if calls == 0 else f"{name}#{calls}"
