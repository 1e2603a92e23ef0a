"""Argument checks shared by the recurrent layers: inputs, shapes, dropout, initial states."""

from __future__ import annotations

import numbers

import numpy as np
import tensorflow as tf

import keras

from rnnlab import padding
from rnnlab.errors import RnnlabError, describe
from rnnlab.layers.cells import RecurrentCell


def _is_concrete(value) -> bool:
    """Whether ``value``'s numbers are known now (a NumPy array, a list, an eager tensor), not only when a
    model runs (a Keras symbolic tensor, a tensor inside a tf.function)."""
    if isinstance(value, keras.KerasTensor):
        return False
    if tf.is_tensor(value):
        return tf.executing_eagerly() and hasattr(value, "numpy")
    return True


def check_incoming(x, argument="incoming"):
    """Validate a 3-D float input: [B, T, D] with T >= 1 and a known D >= 1, and, when its numbers are known
    now (an eager call), no NaN: a NaN would flow into the outputs of its sample. Inside a model the numbers
    are not known in advance; there a step holding NaN counts as a real step in dynamic mode (see
    :func:`rnnlab.padding.tflearn_lengths`), so the NaN stays in its own sample's outputs."""
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
    if shape[-1] is None or shape[-1] == 0:
        raise RnnlabError(
            f"`{argument}` needs a known input_dim of at least 1 (last axis); received shape {tuple(shape)}."
        )
    if shape[1] == 0:
        raise RnnlabError(f"`{argument}` needs at least one time step; received shape {tuple(shape)}.")
    if _is_concrete(x):
        nan = np.isnan(np.asarray(x, dtype=np.float32))
        if nan.any():
            b, t, d = (int(i) for i in np.argwhere(nan)[0])
            raise RnnlabError(
                f"`{argument}` holds NaN ({int(nan.sum())} values, the first at sample {b}, step {t}, feature "
                f"{d}); expected finite numbers. Replace missing values (e.g. np.nan_to_num) or drop those rows."
            )


def check_seq_len(seq_len, x, argument="seq_len"):
    """Explicit lengths for an input x [B, T, D] -> [B] int32 tensor.

    Known now (an array, a list, an eager tensor): whole numbers, one per sample, each in 0..T, or a clear
    error. Known only when the model runs (a keras.Input): an integer [B] tensor here, its values checked
    when the model runs (an error naming ``seq_len`` then)."""
    batch, time = x.shape[0], x.shape[1]
    if isinstance(seq_len, (str, bytes)) or not (tf.is_tensor(seq_len) or isinstance(seq_len, keras.KerasTensor)
                                                 or isinstance(seq_len, (np.ndarray, list, tuple, numbers.Integral))):
        raise TypeError(f"`{argument}` must be [samples] whole numbers (an int array); received {describe(seq_len)}.")
    if _is_concrete(seq_len):
        values = np.asarray(seq_len.numpy() if tf.is_tensor(seq_len) else seq_len)
        if values.dtype.kind not in "iu":
            raise TypeError(
                f"`{argument}` must hold whole numbers (an int array [samples]); received {describe(seq_len)} of "
                f"dtype {values.dtype}."
            )
        if values.ndim != 1 or (batch is not None and values.shape[0] != batch):
            raise RnnlabError(
                f"`{argument}` must be 1-D, one length per sample [{batch if batch is not None else 'samples'}]; "
                f"received shape {values.shape}."
            )
        if time is not None and values.size and (values.min() < 0 or values.max() > time):
            raise RnnlabError(
                f"`{argument}` values must lie in 0..{time} (the input's time steps); received "
                f"{values.min()}..{values.max()}."
            )
        return tf.constant(values, tf.int32)
    dtype = getattr(seq_len.dtype, "name", str(seq_len.dtype))
    if not dtype.startswith(("int", "uint")):
        raise TypeError(f"`{argument}` must hold whole numbers (an int tensor [samples]); received dtype {dtype}.")
    rank = seq_len.shape.rank if hasattr(seq_len.shape, "rank") else len(seq_len.shape)
    if rank is not None and rank != 1:
        raise RnnlabError(f"`{argument}` must be 1-D, one length per sample; received shape {tuple(seq_len.shape)}.")
    if rank == 1 and batch is not None and seq_len.shape[0] is not None and seq_len.shape[0] != batch:
        raise RnnlabError(
            f"`{argument}` must hold one length per sample [{batch}]; received shape {tuple(seq_len.shape)}."
        )
    if isinstance(seq_len, keras.KerasTensor):
        return seq_len
    lengths = tf.cast(seq_len, tf.int32)
    time_steps = tf.shape(x)[1]
    checks = [
        tf.debugging.assert_equal(tf.shape(lengths)[0], tf.shape(x)[0], message=(
            f"`{argument}` must hold one length per sample of the input (its batch size)")),
        tf.debugging.assert_non_negative(lengths, message=f"`{argument}` values must not be negative"),
        tf.debugging.assert_less_equal(lengths, time_steps, message=(
            f"`{argument}` values must not exceed the input's time steps")),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(lengths)


def sequence_lengths(x, seq_len, dynamic: bool):
    """[B, T, D] -> [B] int32 lengths, or None when every step counts: ``seq_len`` when given (checked),
    else in dynamic mode TFLearn's count of the steps that are not all zero."""
    if seq_len is not None:
        return check_seq_len(seq_len, x)
    if dynamic:
        return padding.tflearn_lengths(x)
    return None


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
        if isinstance(part, (str, bytes)) or not (tf.is_tensor(part) or isinstance(part, keras.KerasTensor)
                                                  or isinstance(part, (np.ndarray, list, tuple))):
            raise TypeError(f"`{argument}` must be {expected}; received a part that is {describe(part)}.")
        if _is_concrete(part):
            values = np.asarray(part.numpy() if tf.is_tensor(part) else part)
            if values.dtype.kind != "f":
                raise RnnlabError(
                    f"`{argument}` must be {expected} of floats; received a part of dtype {values.dtype}."
                )
            if not tf.is_tensor(part):
                part = tf.convert_to_tensor(values.astype(np.float32, copy=False))
        elif not getattr(part.dtype, "name", str(part.dtype)).startswith(("float", "bfloat")):
            raise RnnlabError(f"`{argument}` must be {expected} of floats; received a part of dtype {part.dtype}.")
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
