"""Every gate of every step in one batched cell call, from the state sequences the time loop carried.

A step's gates depend only on its input x_t and the state before it. Once a layer's state sequences are known
(c and h for an LSTM, h otherwise), the gates of all B*T steps are one call of the cell's own ``step`` on
[B*T, ...] rows: x_t, and the state before step t (the initial state at t = 0, the state recorded at t - 1
after). The gate maths therefore exists once (in the cell), and the probe's compiled pass returns only the
loop's state records (TensorFlow may then drop the work of stacking the gate records nobody reads), or, from a
layer that recorded only its states, the only way to see its gates.

Exact only when nothing edited the loop's values (interventions change the trajectory: they keep the loop's
own records). Steps past a sample's length are 0, as the loop records them.

Which path is faster depends on the size: the batched call repeats the gate matmuls once, which costs little
while per-op overhead dominates (small steps) and more than the loop's per-step writes once the matmuls dominate
(see ``prefer_batched`` and bench/bench_probe.py).
"""

from __future__ import annotations

import tensorflow as tf

from rnnlab.layers.cells import RecurrentCell, _no_edit

#: path= values of rnnlab.probe: 'auto' picks per layer call (``prefer_batched``), the others force one path.
PATHS = ("auto", "batched", "sequential")

# Per-step multiply-adds of a cell's gate matmuls, batch * (input_dim + n) * (k n), below which the batched
# recompute is faster than the loop's per-step gate records on CPU. Measured with bench/bench_probe.py on
# 2 cores: the classroom size (B32 T30 D1, 16-unit LSTM: 35 thousand) gains, the standard size (B64 T50 D32,
# 128-unit LSTM: 5.2 million) loses, since the batched call repeats the matmuls.
BATCHED_MAX_MULTIPLY_ADDS = 2**20


def prefer_batched(cell: RecurrentCell, batch_size, input_dim) -> bool:
    """Whether 'auto' recomputes this cell's gates batched: True when one step's gate matmuls are small
    (per-op overhead, not arithmetic, sets the time). batch_size / input_dim: static sizes or None (then 32 and
    the cell's input_dim are assumed). A GPU runs the one large matmul well: always batched there."""
    if tf.config.list_logical_devices("GPU"):
        return True
    d = input_dim or cell.input_dim or 1
    work = (batch_size or 32) * (d + cell.num_units) * cell.blocks * cell.num_units
    return work < BATCHED_MAX_MULTIPLY_ADDS


def loop_start_state(unrolled) -> tuple | None:
    """Unrolled -> the state tuple the time loop started from (the layer's initial state, in the cell's reading
    order), or None where the layer did not say (then the loop's own gate records are used)."""
    given = getattr(unrolled, "initial_state", None)
    return None if given is None else tuple(given)


def recompute_gates(cell: RecurrentCell, x, states: dict, start_state: tuple, lengths=None, direction=None,
                    time_major=False) -> dict:
    """Gates of every step in one batched ``cell.step``.

    x: the layer's input [B, T, D] in time order; states: state name -> [B, T, n] as the loop recorded them
    (0 past each length; the backward direction of a BiRNN in original time order); start_state: tuple of [B, n],
    the loop's initial state in the cell's reading order; lengths: [B] int or None; direction: None, 'fw' or
    'bw' (the backward cell reads each sample's first ``length`` steps reversed).

    Returns: every name in ``cell.record_names`` that is not a state -> [B, T, n] ([T, B, n] with
    ``time_major``), in time order, 0 past each length: the values the loop computed (the same cell maths on the
    same inputs). The rows are laid out time-major either way: the loop stacks its records [T, B, n] before
    transposing them, so reading them back time-major costs nothing once TensorFlow cancels the transposes.
    """
    def time_major_of(v):  # [B, T, m] -> [T, B, m]
        return tf.transpose(v, [1, 0, 2])

    def reading_order(v):  # [T, B, m] in time order <-> the cell's reading order (as BiRNN.reverse, time-major)
        if direction != "bw":
            return v
        if lengths is None:
            return tf.reverse(v, axis=[0])
        return tf.reverse_sequence(v, lengths, seq_axis=0, batch_axis=1)

    x_read = reading_order(time_major_of(x))  # [T, B, D]
    time, batch = tf.shape(x_read)[0], tf.shape(x_read)[1]
    previous = tuple(  # the state before each step: [T, B, n]
        tf.concat([s0[None], reading_order(time_major_of(states[name]))[:-1]], axis=0)
        for name, s0 in zip(cell.state_names, start_state)
    )

    def rows(v):  # [T, B, m] -> [T*B, m]
        return tf.reshape(v, [-1, v.shape[-1]])

    static_rows = None if x.shape[0] is None or x.shape[1] is None else int(x.shape[0]) * int(x.shape[1])
    weights = cell.step_weights(batch_size=static_rows)
    _, _, records = cell.step(rows(x_read), tuple(rows(p) for p in previous), weights, _no_edit)
    gates = {}
    for name in cell.record_names:
        if name in cell.state_names:
            continue
        value = tf.reshape(records[name], [time, batch, cell.num_units])  # [T, B, n]
        if lengths is not None:
            valid = (tf.range(time)[:, None] < tf.cast(lengths, tf.int32)[None, :])[:, :, None]  # [T, B, 1]
            value = tf.where(valid, value, tf.zeros_like(value))
        value = reading_order(value)
        gates[name] = value if time_major else time_major_of(value)
    return gates
