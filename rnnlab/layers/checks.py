"""Argument checks shared by the recurrent layers: inputs, shapes, dropout, initial states."""

from __future__ import annotations

import numbers

import numpy as np
import tensorflow as tf

from rnnlab.errors import RnnlabError, describe
from rnnlab.layers.cells import RecurrentCell

def check_incoming(x, argument="incoming"):
    """Validate a 3-D float input: [B, T, D] with a known D."""
    shape = getattr(x, "shape", None)
    dtype = getattr(x, "dtype", None)
    if shape is None or dtype is None:
        raise TypeError(
            f"`{argument}` must be a 3-D float tensor or array [samples, timesteps, input_dim]; "
            f"received {describe(x)}."
        )
    check_rank(shape, argument)
    dtype_name = getattr(dtype, "name", str(dtype))
    if not (dtype_name.startswith("float") or dtype_name.startswith("bfloat")):
        raise RnnlabError(
            f"`{argument}` must hold floating-point data; received dtype {dtype_name}. "
            "Cast it (e.g. x.astype('float32')), or embed integer ids first."
        )
    if shape[-1] is None:
        raise RnnlabError(f"`{argument}` needs a known input_dim (last axis); received shape {tuple(shape)}.")


def check_rank(shape, argument="incoming"):
    """Validate an input shape: 3-D [samples, timesteps, input_dim]."""
    if len(shape) != 3:
        raise RnnlabError(
            f"`{argument}` must be 3-D [samples, timesteps, input_dim]; received shape {tuple(shape)} "
            f"(rank {len(shape)})."
        )


def check_input_dim(cell: RecurrentCell, shape, layer_name: str):
    """An input [B, T, D] for a cell already built (shared or called before) must keep its input_dim."""
    if cell.built and shape[-1] is not None and cell.input_dim != shape[-1]:
        raise RnnlabError(
            f"Layer {layer_name!r} has weights built for input_dim={cell.input_dim}, but received an input of "
            f"shape {tuple(shape)}. Expected [samples, timesteps, {cell.input_dim}]."
        )


def parse_dropout(dropout):
    """None | keep | (input_keep, output_keep) -> (input_keep, output_keep) floats, each in (0, 1]."""
    if dropout is None:
        return None
    if isinstance(dropout, bool):
        raise TypeError(f"`dropout` must be a float or a tuple of two floats (keep probabilities); received {dropout!r}.")
    if isinstance(dropout, numbers.Real):  # NumPy floats too
        keeps = (float(dropout), float(dropout))
    elif isinstance(dropout, (tuple, list)) and len(dropout) == 2 and all(
        isinstance(k, numbers.Real) and not isinstance(k, (bool, np.bool_)) for k in dropout
    ):
        keeps = (float(dropout[0]), float(dropout[1]))
    else:
        raise TypeError(
            "`dropout` must be a float or a tuple (input_keep_prob, output_keep_prob); "
            f"received {describe(dropout)}."
        )
    for which, keep in zip(("input_keep_prob", "output_keep_prob"), keeps):
        if not 0.0 < keep <= 1.0:
            raise RnnlabError(
                f"`dropout` holds keep probabilities, each in (0, 1]; received {which}={keep} "
                f"(from dropout={dropout!r}). Note: 0.8 keeps 80% of the values."
            )
    return keeps


def check_state(state, cell: RecurrentCell, argument="initial_state", batch=None):
    """A user's initial state -> tuple of [B, n] tensors matching the cell, or a clear error.

    batch: the input's static batch size, when known, which each part must match.
    """
    n = cell.num_units
    if cell.state_names == ("c", "h"):
        expected = f"a pair (c, h) of [batch, {n}] tensors"
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise RnnlabError(f"`{argument}` for an LSTM must be {expected}; received {describe(state)}.")
        parts = tuple(state)
    else:
        expected = f"a [batch, {n}] tensor"
        if isinstance(state, (tuple, list)):
            if len(state) != 1:
                raise RnnlabError(f"`{argument}` for a {cell.kind} layer must be {expected}; received {describe(state)}.")
            state = state[0]
        parts = (state,)
    checked = []
    for part in parts:
        shape = getattr(part, "shape", None)
        if shape is None:
            part = tf.convert_to_tensor(part, dtype="float32")
            shape = part.shape
        if len(shape) != 2 or (shape[-1] is not None and shape[-1] != n):
            raise RnnlabError(
                f"`{argument}` must be {expected}; received a part of shape {tuple(shape)}."
            )
        if batch is not None and shape[0] is not None and shape[0] != batch:
            raise RnnlabError(
                f"`{argument}` must be {expected} with the input's batch size {batch}; received a part of "
                f"shape {tuple(shape)}."
            )
        checked.append(part)
    return tuple(checked)
