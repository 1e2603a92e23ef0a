"""The time loop compiled by XLA, with a backward pass of its own: the ``xla`` fast path.

TensorFlow cannot differentiate a ``tf.while_loop`` across the boundary of an XLA-compiled function, so this
path does not ask it to. The layer's cell step runs inside two compiled functions (shared by all cells of a kind
and activations, see ``_COMPILED``):

* forward: the loop of :func:`rnnlab.layers.loop.unroll` (same cell step, same masking: past a sample's length
  its state is carried unchanged), returning the carried state of every step, [T, B, n] per state tensor;
* backward: back-propagation through time by hand. Walking t = T-1 .. 0, the gradient reaching the carried
  state after step t is split by the mask: where the step is valid it enters the step (whose vector-Jacobian
  product with respect to the previous state is taken on the recomputed step), where it is not it passes to the
  previous carried state unchanged. The gradients of the inputs and the weights, which need no loop, come from
  one batched step over all T * B (x_t, previous state) rows afterwards.

A SimpleRNN has a pair written for it (below): its step is one matmul and an activation, so the forward can keep
each step's pre-activation and the backward need not recompute the step.

``tf.custom_gradient`` joins the two, so outside the compiled functions a layer on this path is ordinary
TensorFlow: outputs, final state and state records are read from the carried states (0 past each length) by the
same few ops as on the fused LSTM path, and gradients flow through them as usual.
"""

from __future__ import annotations

import tensorflow as tf

from rnnlab.layers import activations
from rnnlab.layers.cells import _no_edit
from rnnlab.layers.loop import Unrolled, batch_major


def xla_unroll(cell, x, initial_state: tuple, *, lengths=None, keep_outputs=True, record_states=False) -> Unrolled:
    """cell, [B, T, D] (T known), state tuple of [B, n] -> Unrolled, as :func:`rnnlab.layers.loop.unroll` computes it.

    lengths: [B] int or None; past a sample's length its outputs are 0 and its state the one after step
    length - 1. keep_outputs=False: only the final state (outputs None). record_states: also records the state
    sequences {name: [B, T, n]} (``cell.state_names``), 0 past each length, as ``unroll(record="states")``.
    """
    x_tm = tf.transpose(x, [1, 0, 2])  # [T, B, D]
    carried = carried_states(cell, x_tm, tuple(initial_state), lengths)  # tuple of [T, B, n]
    final_state = tuple(seq[-1] for seq in carried)
    # h is every cell's output; 0 past each length
    outputs = batch_major(carried[-1], lengths) if keep_outputs or record_states else None
    records = None
    if record_states:
        records = {name: outputs if name == "h" else batch_major(seq, lengths)
                   for name, seq in zip(cell.state_names, carried)}
    return Unrolled(outputs=outputs if keep_outputs else None, final_state=final_state, records=records,
                    initial_state=tuple(initial_state))


def carried_states(cell, x_tm, state0: tuple, lengths) -> tuple:
    """cell, [T, B, D], state tuple of [B, n], [B] int or None -> the carried state after every step, a tuple of
    [T, B, n] (past a sample's length: its state at step length - 1), differentiable with respect to x_tm, state0
    and the cell's weights through the compiled backward pass."""
    forward, backward = _compiled_functions(cell)
    weights = cell.step_weights(batch_size=x_tm.shape[1])
    flat_weights = [tf.identity(w) for w in tf.nest.flatten(weights) if w is not None]  # variables read as tensors
    n_states = len(state0)

    @tf.custom_gradient
    def carried_op(x_tm, *tensors):
        s0, w = tensors[:n_states], _with_nones(weights, tensors[n_states:])
        # stop_gradient: no tape records the compiled call itself (it holds a while loop TensorFlow cannot
        # differentiate across XLA); the gradient below is the whole gradient
        stopped = tf.nest.map_structure(lambda v: None if v is None else tf.stop_gradient(v), (x_tm, s0, w))
        carried, saved = forward(*stopped[:2], lengths, stopped[2])

        def grad(*d_carried):
            d_carried = tuple(tf.zeros_like(c) if d is None else d for c, d in zip(carried, d_carried))
            dx, d_state0, d_weights = backward(x_tm, s0, lengths, w, carried, saved, d_carried)
            return [dx, *d_state0, *[g for g in tf.nest.flatten(d_weights) if g is not None]]

        return carried, grad

    return tuple(carried_op(x_tm, *state0, *flat_weights))


def _with_nones(structure, flat):
    """Refill ``structure``'s None leaves (a cell without bias) around the tensors of ``flat``."""
    tensors = iter(flat)
    return tf.nest.pack_sequence_as(structure, [None if w is None else next(tensors)
                                                for w in tf.nest.flatten(structure)])


#: (cell class, activation, inner activation) -> (forward, backward). A step's computation depends on nothing else
#: of its cell (the weights are arguments), so every cell of one kind shares its compiled functions, and XLA
#: compiles once per process for each input shape: a second model of a lesson trains without compiling.
_COMPILED: dict = {}


def _compiled_functions(cell):
    """cell -> (forward, backward), XLA-compiled tf.functions shared by the cells of its kind and activations."""
    options = {"activation": cell.activation}
    if hasattr(cell, "inner_activation"):
        options["inner_activation"] = cell.inner_activation
    key = (type(cell), *(activations.name_of(v) for v in options.values()))
    if key not in _COMPILED:
        step_cell = type(cell)(1, **options)  # unbuilt: only its step (weights passed in) is used
        forward, backward = (_rnn_forward, _rnn_backward) if cell.kind == "simple_rnn" else (_forward, _backward)
        _COMPILED[key] = (tf.function(lambda *a: forward(step_cell, *a), jit_compile=True, autograph=False),
                          tf.function(lambda *a: backward(step_cell, *a), jit_compile=True, autograph=False))
    return _COMPILED[key]


def _forward(cell, x_tm, state0, lengths, weights):
    """[T, B, D], state tuple, lengths, step weights -> (carried states, a tuple of [T, B, n]; () saved)."""
    time_steps = x_tm.shape[0]

    def body(t, state, tas):
        _, new_state, _ = cell.step(x_tm[t], state, weights, _no_edit)
        if lengths is not None:
            valid = (t < lengths)[:, None]  # [B, 1]
            new_state = tuple(tf.where(valid, new, old) for new, old in zip(new_state, state))
        return t + 1, tuple(new_state), tuple(ta.write(t, s) for ta, s in zip(tas, new_state))

    tas = tuple(tf.TensorArray(x_tm.dtype, size=time_steps) for _ in state0)
    _, _, tas = tf.while_loop(lambda t, *_: t < time_steps, body, (tf.constant(0), tuple(state0), tas),
                              maximum_iterations=time_steps)
    return tuple(ta.stack() for ta in tas), ()


def _backward(cell, x_tm, state0, lengths, weights, carried, saved, d_carried):
    """The gradients of sum(d_carried * carried) -> (d x_tm [T, B, D], d state0 tuple, d weights as step_weights)."""
    time_steps = x_tm.shape[0]
    previous = tuple(tf.concat([s[None], seq[:-1]], axis=0) for s, seq in zip(state0, carried))  # entering step t

    def body(i, g_after, tas):
        t = time_steps - 1 - i
        g = tuple(d[t] + g_next for d, g_next in zip(d_carried, g_after))  # d loss / d carried state after t
        into_step, past = g, None
        if lengths is not None:
            valid = (t < lengths)[:, None]  # [B, 1]
            into_step = tuple(tf.where(valid, v, tf.zeros_like(v)) for v in g)
            past = tuple(tf.where(valid, tf.zeros_like(v), v) for v in g)  # a padded step passes its state on
        state = tuple(p[t] for p in previous)
        with tf.GradientTape() as tape:
            tape.watch(state)
            _, new_state, _ = cell.step(x_tm[t], state, weights, _no_edit)
        g_before = tape.gradient(new_state, state, output_gradients=into_step,
                                 unconnected_gradients=tf.UnconnectedGradients.ZERO)
        if past is not None:
            g_before = tuple(a + b for a, b in zip(g_before, past))
        return i + 1, tuple(g_before), tuple(ta.write(t, v) for ta, v in zip(tas, into_step))

    tas = tuple(tf.TensorArray(x_tm.dtype, size=time_steps) for _ in state0)
    nothing_after = tuple(tf.zeros_like(s) for s in state0)
    _, d_state0, tas = tf.while_loop(lambda i, *_: i < time_steps, body, (tf.constant(0), nothing_after, tas),
                                     maximum_iterations=time_steps)

    x_rows, state_rows = _rows(x_tm), tuple(_rows(p) for p in previous)
    flat_weights = [w for w in tf.nest.flatten(weights) if w is not None]
    with tf.GradientTape() as tape:  # every step at once: rows are independent given the weights
        tape.watch([x_rows, flat_weights])
        _, new_state, _ = cell.step(x_rows, state_rows, weights, _no_edit)
    dx, d_weights = tape.gradient(new_state, [x_rows, flat_weights],
                                  output_gradients=tuple(_rows(ta.stack()) for ta in tas),
                                  unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return tf.reshape(dx, tf.shape(x_tm)), tuple(d_state0), _with_nones(weights, d_weights)


# ------------------------------------------------------------------------------------ SimpleRNN, by hand
# h' = act(x_t @ W_x + h @ W_h + b). The forward projects every input in one matmul before the loop and keeps each
# step's pre-activation z; the backward then needs per step only act's vector-Jacobian product at z and one matmul
# (dz @ W_h^T), with every weight and input gradient from one matmul each afterwards. Measured against the
# generic pair above (classroom SimpleRNN, train_on_batch / Keras's, 60 interleaved rounds, twice): 0.57-0.59
# against 0.63 (dynamic off), 0.45-0.48 against 0.53-0.54 (on). What is left is mostly Keras's own step: a model
# whose layer is one matmul trains in 0.575 ms, Keras's SimpleRNN model in 1.447 and ours in 0.808.


def _rnn_forward(cell, x_tm, state0, lengths, weights):
    """SimpleRNN: [T, B, D], (h0,), lengths, (W_x, W_h, b) -> ((carried h [T, B, n],), (z [T, B, n],))."""
    (h0,), (w_x, w_h, b) = state0, weights
    time_steps = x_tm.shape[0]
    projected = tf.reshape(tf.matmul(_rows(x_tm), w_x), [time_steps, -1, w_x.shape[-1]])  # [T, B, n]
    if b is not None:
        projected = projected + b

    def body(t, h, h_ta, z_ta):
        z = projected[t] + tf.matmul(h, w_h)
        h_new = cell.activation_fn(z)
        if lengths is not None:
            h_new = tf.where((t < lengths)[:, None], h_new, h)
        return t + 1, h_new, h_ta.write(t, h_new), z_ta.write(t, z)

    tas = (tf.TensorArray(x_tm.dtype, size=time_steps), tf.TensorArray(x_tm.dtype, size=time_steps))
    _, _, h_ta, z_ta = tf.while_loop(lambda t, *_: t < time_steps, body, (tf.constant(0), h0, *tas),
                                     maximum_iterations=time_steps)
    return (h_ta.stack(),), (z_ta.stack(),)


def _rnn_backward(cell, x_tm, state0, lengths, weights, carried, saved, d_carried):
    """SimpleRNN: as _backward, from the saved pre-activations."""
    (h0,), (w_x, w_h, b), (h_seq,), (z_seq,), (d_h,) = state0, weights, carried, saved, d_carried
    time_steps = x_tm.shape[0]

    def body(i, g_after, dz_ta):
        t = time_steps - 1 - i
        g = d_h[t] + g_after  # d loss / d carried h after step t
        into_step, past = g, None
        if lengths is not None:
            valid = (t < lengths)[:, None]  # [B, 1]
            into_step, past = tf.where(valid, g, tf.zeros_like(g)), tf.where(valid, tf.zeros_like(g), g)
        z = z_seq[t]
        with tf.GradientTape() as tape:
            tape.watch(z)
            h_new = cell.activation_fn(z)
        dz = tape.gradient(h_new, z, output_gradients=into_step)
        g_before = tf.matmul(dz, w_h, transpose_b=True)
        return i + 1, g_before if past is None else g_before + past, dz_ta.write(t, dz)

    _, d_h0, dz_ta = tf.while_loop(lambda i, *_: i < time_steps, body,
                                   (tf.constant(0), tf.zeros_like(h0), tf.TensorArray(x_tm.dtype, size=time_steps)),
                                   maximum_iterations=time_steps)
    dz = _rows(dz_ta.stack())  # [T * B, n]
    previous = _rows(tf.concat([h0[None], h_seq[:-1]], axis=0))  # the h entering each step
    d_weights = (tf.matmul(_rows(x_tm), dz, transpose_a=True), tf.matmul(previous, dz, transpose_a=True),
                 None if b is None else tf.reduce_sum(dz, axis=0))
    dx = tf.reshape(tf.matmul(dz, w_x, transpose_b=True), tf.shape(x_tm))
    return dx, (d_h0,), d_weights


def _rows(v):
    """[T, B, k] -> [T * B, k]."""
    return tf.reshape(v, [-1, v.shape[-1]])
