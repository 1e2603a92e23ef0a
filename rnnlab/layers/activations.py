"""TFLearn activation names -> functions.

Lookup tries the name as given, then lower-cased. Any callable is accepted as is.
``crelu`` doubles the width of its input and so cannot serve inside a recurrent cell.
"""

from __future__ import annotations

from typing import Callable

import tensorflow as tf

from rnnlab.errors import RnnlabError, describe


def linear(x):
    """[...] -> [...]: the identity."""
    return x


def leaky_relu(x, alpha: float = 0.1):
    """[...] -> [...]: max(x, alpha * x) with TFLearn's default alpha 0.1."""
    return tf.nn.leaky_relu(x, alpha=alpha)


def prelu(x):
    """[...] -> [...]: PReLU at its initial slope 0 (so relu); inside a cell the slope is not learned."""
    return tf.nn.relu(x)


def hard_sigmoid(x):
    """[...] -> [...]: clip(0.2 x + 0.5, 0, 1), TFLearn's (and Keras 2's) hard sigmoid."""
    return tf.clip_by_value(0.2 * x + 0.5, 0.0, 1.0)


def gelu(x):
    """[...] -> [...]: GELU, tanh approximation."""
    return tf.nn.gelu(x, approximate=True)


def softmax(x):
    """[..., n] -> [..., n]: softmax over the last axis."""
    return tf.nn.softmax(x, axis=-1)


ACTIVATIONS: dict[str, Callable] = {
    "linear": linear,
    "tanh": tf.tanh,
    "sigmoid": tf.sigmoid,
    "softmax": softmax,
    "softplus": tf.nn.softplus,
    "softsign": tf.nn.softsign,
    "relu": tf.nn.relu,
    "relu6": tf.nn.relu6,
    "leaky_relu": leaky_relu,
    "leakyrelu": leaky_relu,
    "prelu": prelu,
    "elu": tf.nn.elu,
    "selu": tf.nn.selu,
    "hard_sigmoid": hard_sigmoid,
    "gelu": gelu,
}


def get(activation, argument: str = "activation") -> Callable:
    """Name or callable -> callable. Raises RnnlabError naming `argument` for unknown names."""
    if callable(activation):
        return activation
    if not isinstance(activation, str):
        raise TypeError(
            f"`{argument}` must be an activation name or a callable; received {describe(activation)}."
        )
    for key in (activation, activation.lower()):
        if key in ACTIVATIONS:
            return ACTIVATIONS[key]
    if activation.lower() == "crelu":
        raise RnnlabError(
            f"`{argument}`='crelu' cannot be used inside a recurrent cell: crelu concatenates relu(x) and "
            "relu(-x), doubling the width, so the state would not keep n_units. Choose another activation."
        )
    raise RnnlabError(
        f"Unknown `{argument}`: {activation!r}. Expected a callable or one of: {', '.join(sorted(ACTIVATIONS))}."
    )


def name_of(activation) -> str | None:
    """The registry name of an activation (a name or one of the registered functions), else None."""
    if isinstance(activation, str):
        get(activation)
        return activation
    for key, fn in ACTIVATIONS.items():
        if fn is activation:
            return key
    return None
