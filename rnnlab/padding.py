"""Sequence lengths, masks and padding diagnostics.

Dynamic mode infers each sample's length from zero padding. TFLearn *counts* the
time steps whose feature vector is not all zero; its documentation says the
layer "stops when it meets a step with a value of 0". The two readings agree
for clean post-padded data and disagree as soon as a real step is all zeros
(or the data is pre-padded). rnnlab computes TFLearn's count, and this module
can compute both and say where they differ.

Shapes: x is [batch, time, input_dim] (B, T, D); lengths are [batch] int32;
masks are [batch, time] bool.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

# --------------------------------------------------------------------- TensorFlow


def tflearn_lengths(x: tf.Tensor) -> tf.Tensor:
    """[B, T, D] -> [B] int32: the number of steps whose features are not all zero.

    This is TFLearn's rule, ``length[b] = sum_t sign(max_d |x[b, t, d]|)``, for finite numbers. A step holding
    NaN counts as a real step (NaN is not zero), so the NaN stays in its own sample's outputs instead of
    turning the count into garbage (TFLearn's formula gives NaN there, cast to -2**31).
    """
    used = tf.reduce_any(tf.not_equal(x, 0), axis=2)  # [B, T]
    return tf.reduce_sum(tf.cast(used, tf.int32), axis=1)  # [B]


def gather_last_valid(sequence: tf.Tensor, lengths: tf.Tensor) -> tf.Tensor:
    """[B, T, n] sequence, [B] lengths -> [B, n]: the entry at step length-1.

    Rows with length 0 get zeros (TFLearn 0.5.0 returns another sample's row there).
    """
    index = tf.maximum(lengths - 1, 0)  # [B]
    last = tf.gather(sequence, index, axis=1, batch_dims=1)  # [B, n]
    return tf.where((lengths > 0)[:, None], last, tf.zeros_like(last))


# ------------------------------------------------------------------------- NumPy


def tflearn_lengths_np(x: np.ndarray) -> np.ndarray:
    """[B, T, D] -> [B] int: TFLearn's count of steps that are not all zero."""
    x = _as_3d(x)
    return (x != 0).any(axis=2).sum(axis=1).astype(np.int64)


def first_zero_lengths_np(x: np.ndarray) -> np.ndarray:
    """[B, T, D] -> [B] int: the documentation's reading, steps before the first all-zero step."""
    x = _as_3d(x)
    nonzero = np.abs(x).max(axis=2) > 0  # [B, T]
    zero_seen = np.cumsum(~nonzero, axis=1) > 0  # True from the first zero step on
    return (~zero_seen).sum(axis=1).astype(np.int64)


def trailing_lengths_np(x: np.ndarray) -> np.ndarray:
    """[B, T, D] -> [B] int: index after the last non-zero step (true length of post-padded data)."""
    x = _as_3d(x)
    nonzero = np.abs(x).max(axis=2) > 0  # [B, T]
    t = x.shape[1]
    any_nonzero = nonzero.any(axis=1)
    last = t - np.argmax(nonzero[:, ::-1], axis=1)
    return np.where(any_nonzero, last, 0).astype(np.int64)


@dataclass(frozen=True)
class PaddingReport:
    """Per-sample lengths under each reading, and where they disagree.

    Arrays are [B]. ``interior_zero_steps[b]`` lists the all-zero steps of sample b that lie
    before its last non-zero step: dynamic mode does not stop there, it shortens the sequence.
    """

    tflearn: np.ndarray
    first_zero: np.ndarray
    trailing: np.ndarray
    interior_zero_steps: tuple[tuple[int, ...], ...]
    leading_padding: np.ndarray

    @property
    def disagree(self) -> np.ndarray:
        """[B] bool: samples whose TFLearn length differs from another reading."""
        return (self.tflearn != self.first_zero) | (self.tflearn != self.trailing)

    def explain(self, sample: int) -> str:
        """One sentence on what dynamic mode does with this sample."""
        n, first, last = int(self.tflearn[sample]), int(self.first_zero[sample]), int(self.trailing[sample])
        zeros = self.interior_zero_steps[sample]
        if self.leading_padding[sample]:
            return (
                f"sample {sample} starts with {int(self.leading_padding[sample])} all-zero step(s): it looks "
                f"pre-padded, so dynamic mode computes the padding and drops the last {last - n} real step(s)."
            )
        if zeros:
            return (
                f"sample {sample} has all-zero step(s) at t={list(zeros)} inside the sequence: TFLearn counts "
                f"{n} non-zero steps and computes steps 0..{n - 1}, so the last {last - n} real step(s) are "
                f"dropped; the 'stop at first zero' reading would give {first}."
            )
        return f"sample {sample}: length {n} under every reading."


def padding_report(x: np.ndarray) -> PaddingReport:
    """[B, T, D] -> PaddingReport comparing TFLearn's count with the other readings."""
    x = _as_3d(x)
    nonzero = np.abs(x).max(axis=2) > 0  # [B, T]
    trailing = trailing_lengths_np(x)
    interior = tuple(
        tuple(int(t) for t in np.flatnonzero(~nonzero[b, : trailing[b]])) for b in range(x.shape[0])
    )
    leading = np.where(nonzero.any(axis=1), np.argmax(nonzero, axis=1), 0).astype(np.int64)
    return PaddingReport(
        tflearn=tflearn_lengths_np(x),
        first_zero=first_zero_lengths_np(x),
        trailing=trailing,
        interior_zero_steps=interior,
        leading_padding=leading,
    )


def _as_3d(x) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(
            f"x must be 3-D [batch, time, input_dim]; received an array of shape {x.shape}."
        )
    return x
