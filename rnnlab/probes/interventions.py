"""Interventions: fix a gate or state of a layer to a value from a step on, and see what follows."""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from rnnlab.errors import RnnlabError, describe
from rnnlab.layers.bidirectional import BiRNN
from rnnlab.probes.selection import cells_of
from rnnlab.probes.trace import QUANTITIES


@dataclass(frozen=True)
class Intervention:
    """Fix ``quantity`` of ``layer`` to ``value`` for ``units`` (None: all) from step ``from_step`` on.

    quantity: a gate or state of that layer's cell (LSTM input / candidate / forget / output / c / h,
    GRU reset / update / candidate / h, SimpleRNN pre_activation / h). ``direction`` ('fw' / 'bw') picks
    one direction of a bidirectional layer (None: both); a backward ``from_step`` counts in the backward
    cell's reading order.
    """

    layer: str
    quantity: str
    value: float
    units: tuple[int, ...] | None = None
    from_step: int = 0
    direction: str | None = None

    def __post_init__(self):
        if isinstance(self.value, (bool, np.bool_)) or not isinstance(self.value, numbers.Real) \
                or not math.isfinite(self.value):
            raise TypeError(f"Intervention `value` must be a finite number; received {describe(self.value)}.")
        if isinstance(self.from_step, (bool, np.bool_)) or not isinstance(self.from_step, numbers.Integral) \
                or self.from_step < 0:
            raise RnnlabError(
                f"Intervention `from_step` must be a whole number >= 0 (the first step it changes); received "
                f"{describe(self.from_step)}."
            )

    def edit_factory(self, n_units: int):
        """-> t -> edit(name, value) applying this intervention."""
        if self.units is None:
            unit_mask = tf.ones([n_units], tf.bool)
        else:
            unit_mask = tf.reduce_any(tf.one_hot(list(self.units), n_units, on_value=True, off_value=False,
                                                 dtype=tf.bool), axis=0)

        def at(t):
            active = tf.logical_and(unit_mask, t >= self.from_step)  # [n]

            def edit(name, value):
                if name != self.quantity:
                    return value
                return tf.where(active[None, :], tf.cast(self.value, value.dtype), value)

            return edit

        return at


def check_interventions(interventions, targets, time_steps: int | None = None):
    """Interventions for the recurrent layers ``targets`` -> the same, checked (names, quantities, units,
    from_step within ``time_steps`` when known), with units as tuples of ints."""
    by_name = {layer.name: layer for layer in targets}
    checked = []
    for iv in interventions:
        if not isinstance(iv, Intervention):
            raise TypeError(f"`interventions` must hold rnnlab.Intervention objects; received {describe(iv)}.")
        if iv.layer not in by_name:
            raise RnnlabError(
                f"Intervention on unknown layer {iv.layer!r}; the recurrent layers are: {', '.join(by_name)}."
            )
        if iv.direction not in (None, "fw", "bw"):
            raise RnnlabError(f"Intervention direction must be None, 'fw' or 'bw'; received {iv.direction!r}.")
        if time_steps is not None and iv.from_step >= time_steps:
            raise RnnlabError(
                f"Intervention `from_step`={iv.from_step} on layer {iv.layer!r} is past the last step of `x` "
                f"({time_steps} steps: 0..{time_steps - 1}), so it would change nothing."
            )
        if iv.direction is not None and not isinstance(by_name[iv.layer], BiRNN):
            raise RnnlabError(
                f"Intervention direction {iv.direction!r}: layer {iv.layer!r} is not bidirectional; "
                "use direction=None."
            )
        if iv.units is not None:  # a tuple of ints (hashable: probes cache their compiled pass per intervention)
            units = (iv.units,) if isinstance(iv.units, (int, np.integer)) else iv.units
            try:
                units = tuple(int(u) for u in units)
            except (TypeError, ValueError):
                raise TypeError(f"Intervention units must be None or a tuple of ints; received {describe(iv.units)}.")
            iv = dataclasses.replace(iv, units=units)
        for direction, cell in cells_of(by_name[iv.layer]).items():
            if iv.direction not in (None, direction) and direction is not None:
                continue
            allowed = QUANTITIES[cell.kind]
            if iv.quantity not in allowed:
                raise RnnlabError(
                    f"Intervention quantity {iv.quantity!r}: layer {iv.layer!r} ({cell.kind}"
                    f"{'' if direction is None else ', ' + direction}) has no such gate or state; expected one "
                    f"of: {', '.join(allowed)}."
                )
            if iv.units is not None and any(not 0 <= u < cell.num_units for u in iv.units):
                raise RnnlabError(
                    f"Intervention units {iv.units!r} out of range for layer {iv.layer!r} with "
                    f"{cell.num_units} units (expected 0..{cell.num_units - 1})."
                )
        checked.append(iv)
    return tuple(checked)
