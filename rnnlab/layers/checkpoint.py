"""Save / load weights honouring ``restore=False`` (TFLearn's fine-tuning pattern).

``rnnlab.load_weights(model, path)`` loads a ``.weights.h5`` or ``.keras`` file into ``model`` and then puts
back the weights of every rnnlab layer or cell built with ``restore=False``: restore a pretrained body,
keep a freshly initialised head.
"""

from __future__ import annotations

import os

import keras


def _walk(layer):
    yield layer
    children = []
    if isinstance(layer, keras.Model) or hasattr(layer, "layers"):
        children.extend(getattr(layer, "layers", []))
    for attr in ("cell", "cell_fw", "cell_bw"):
        child = getattr(layer, attr, None)
        if isinstance(child, keras.layers.Layer):
            children.append(child)
    for child in children:
        if child is not layer:
            yield from _walk(child)


def unrestored_layers(model) -> list:
    """model -> the layers and cells built with ``restore=False`` (their weights are kept on load)."""
    seen, found = set(), []
    for layer in _walk(model):
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if getattr(layer, "restore", True) is False:
            found.append(layer)
    return found


def load_weights(model, path, **kwargs):
    """Load weights from ``path`` into ``model``, except for layers / cells with ``restore=False``.

    ``path``: a ``.weights.h5`` file (``model.save_weights``) or a ``.keras`` model file.
    Extra keyword arguments go to ``model.load_weights`` (e.g. ``skip_mismatch=True``).
    Returns the model.
    """
    path = os.fspath(path)
    keep = [(layer, [w.numpy() for w in layer.weights]) for layer in unrestored_layers(model)]
    model.load_weights(path, **kwargs)
    for layer, values in keep:
        for variable, value in zip(layer.weights, values):
            variable.assign(value)
    return model
