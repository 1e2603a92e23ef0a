"""The time loop compiled by XLA, with a backward pass of its own: the ``xla`` fast path.

TensorFlow cannot differentiate a ``tf.while_loop`` across the boundary of an XLA-compiled function, so this
path does not ask it to. Two compiled functions (shared by all cells of a kind, size and activations, see
``_COMPILED``) do the work:

* forward: :func:`rnnlab.layers.loop.unroll` itself, recording the state sequences (0 past each length) and the
  final state, the cell's weights passed in as tensors;
* backward: back-propagation through time by hand. Walking t = T-1 .. 0, the gradient reaching the carried
  state after step t is split by the mask: where the step is valid it enters the step (whose vector-Jacobian
  product with respect to the previous state is taken on the recomputed step), where it is not it passes to the
  previous carried state unchanged. The state entering each valid step is the previous step's record, so the
  records suffice (entering a padded step the record is 0, and no gradient enters that step). The gradients of
  the inputs and the weights, which need no loop, come from one batched step over all T * B (x_t, previous
  state) rows afterwards.

A SimpleRNN has a backward of its own (below): its step is one matmul and an activation, so the pre-activations of
every step come from one batched matmul and no step needs recomputing in the loop.

``tf.custom_gradient`` joins the two, so outside the compiled functions a layer on this path is ordinary
TensorFlow, and gradients flow through its outputs, final state and state records as usual.
"""

from __future__ import annotations

import tensorflow as tf

from rnnlab.layers import activations
from rnnlab.layers.cells import _no_edit
from rnnlab.layers.loop import Unrolled, unroll


def xla_unroll(cell, x, initial_state: tuple, *, lengths=None, keep_outputs=True, record_states=False) -> Unrolled:
    """cell, [B, T, D] (T known), state tuple of [B, n] -> Unrolled, as :func:`rnnlab.layers.loop.unroll` computes it.

    lengths: [B] int or None; past a sample's length its outputs are 0 and its state the one after step
    length - 1. keep_outputs=False: only the final state (outputs None). record_states: also records the state
    sequences {name: [B, T, n]} (``cell.state_names``), 0 past each length, as ``unroll(record="states")``.
    """
    records, final_state = state_records(cell, x, tuple(initial_state), lengths)
    return Unrolled(outputs=records[-1] if keep_outputs else None,  # h is every cell's output and last state
                    final_state=final_state,
                    records=dict(zip(cell.state_names, records)) if record_states else None,
                    initial_state=tuple(initial_state))


def state_records(cell, x, state0: tuple, lengths) -> tuple:
    """cell, [B, T, D], state tuple of [B, n], [B] int or None -> (state records, a tuple of [B, T, n], 0 past each
    length; final state, a tuple of [B, n]), computed by the compiled loop and differentiable with respect to x,
    state0 and the cell's weights through the compiled backward pass."""
    forward, backward = _compiled_functions(cell)
    _SHAPES.setdefault(_key(cell), set()).add(_shape_of(x))
    weights = cell.step_weights(batch_size=x.shape[0])
    flat_weights = [tf.identity(w) for w in tf.nest.flatten(weights) if w is not None]  # variables read as tensors
    n_states = len(state0)

    @tf.custom_gradient
    def records_op(x, *tensors):
        s0, w = tensors[:n_states], _with_nones(weights, tensors[n_states:])
        # stop_gradient: no tape records the compiled call itself (it holds a while loop TensorFlow cannot
        # differentiate across XLA); the gradient below is the whole gradient
        stopped = tf.nest.map_structure(lambda v: None if v is None else tf.stop_gradient(v), (x, s0, w))
        records, final_state = forward(*stopped[:2], lengths, stopped[2])
        outputs = (*records, *final_state)

        def grad(*d_outputs):
            d_outputs = tuple(tf.zeros_like(v) if d is None else d for v, d in zip(outputs, d_outputs))
            dx, d_state0, d_weights = backward(x, s0, lengths, w, records, d_outputs[:n_states],
                                               d_outputs[n_states:])
            return [dx, *d_state0, *[g for g in tf.nest.flatten(d_weights) if g is not None]]

        return outputs, grad

    outputs = records_op(x, *state0, *flat_weights)
    return tuple(outputs[:n_states]), tuple(outputs[n_states:])


def _with_nones(structure, flat):
    """Refill ``structure``'s None leaves (a cell without bias) around the tensors of ``flat``."""
    tensors = iter(flat)
    return tf.nest.pack_sequence_as(structure, [None if w is None else next(tensors)
                                                for w in tf.nest.flatten(structure)])


#: (cell class, units, activation, inner activation) -> (forward, backward). A step's computation depends on nothing
#: else of its cell (the weights are arguments), so every cell of one kind and size shares its compiled functions,
#: and XLA compiles once per process for each input shape: a second model of a lesson trains without compiling.
_COMPILED: dict = {}

#: How many input shapes (B, T, D, dtype as traced) the compiled functions of one key take before the automatic
#: choice keeps the general loop for further ones (``fast_paths.choose_path``; a forced path ignores it): a training
#: with a few shapes (the full and the last partial batch, a few length buckets) compiles each once, 0.3-1 s, but
#: one whose every batch has another length T (an eager loop over raw sequences) would compile on every call.
MAX_SHAPES = 8
_SHAPES: dict = {}  # key -> the shapes seen


def has_room_for(cell, x) -> bool:
    """cell, input [B, T, D] -> whether the compiled loop of the cell's key has taken x's shape already or may take
    one more (MAX_SHAPES)."""
    seen = _SHAPES.get(_key(cell), ())
    return _shape_of(x) in seen or len(seen) < MAX_SHAPES


def _shape_of(x) -> tuple:
    return (*tuple(x.shape), x.dtype.name)


def _step_options(cell) -> dict:
    """The cell's constructor arguments its step depends on: its activations."""
    options = {"activation": cell.activation}
    if hasattr(cell, "inner_activation"):
        options["inner_activation"] = cell.inner_activation
    return options


def _key(cell) -> tuple:
    """cell -> (cell class, units, activation names): the cells that share compiled functions."""
    return (type(cell), cell.num_units, *(activations.name_of(v) for v in _step_options(cell).values()))


def _compiled_functions(cell):
    """cell -> (forward, backward), XLA-compiled tf.functions shared by the cells of its kind, size and activations."""
    options, key = _step_options(cell), _key(cell)
    if key not in _COMPILED:
        step_cell = type(cell)(cell.num_units, **options)  # unbuilt: only its step (weights passed in) is used
        backward = _rnn_backward if cell.kind == "simple_rnn" else _backward
        _COMPILED[key] = (tf.function(lambda *a: _forward(step_cell, *a), jit_compile=True, autograph=False),
                          tf.function(lambda *a: backward(step_cell, *a), jit_compile=True, autograph=False))
    return _COMPILED[key]


def _forward(cell, x, state0, lengths, weights):
    """[B, T, D], state tuple, lengths, step weights -> (state records, a tuple of [B, T, n]; final state tuple)."""
    unrolled = unroll(cell, x, state0, lengths=lengths, keep_outputs=False, record="states", weights=weights)
    return tuple(unrolled.records[name] for name in cell.state_names), tuple(unrolled.final_state)


def _time_major(x, state0, lengths, records, d_records):
    """The backward passes' inputs, time-major: x [T, B, D]; the state entering each step and the gradient reaching
    each step's record, tuples of [T, B, n] (the gradient 0 past each length, where a record is the constant 0)."""
    x_tm = tf.transpose(x, [1, 0, 2])
    previous = tuple(tf.concat([s[None], tf.transpose(r, [1, 0, 2])[:-1]], axis=0) for s, r in zip(state0, records))
    d_records = tuple(tf.transpose(d, [1, 0, 2]) for d in d_records)
    if lengths is not None:
        valid = tf.transpose(tf.sequence_mask(lengths, x_tm.shape[0]))[:, :, None]  # [T, B, 1]
        d_records = tuple(tf.where(valid, d, tf.zeros_like(d)) for d in d_records)
    return x_tm, previous, d_records


def _backward(cell, x, state0, lengths, weights, records, d_records, d_final):
    """The gradients of sum(d_records * records) + sum(d_final * final state) -> (d x [B, T, D], d state0 tuple,
    d weights as step_weights)."""
    x_tm, previous, d_records = _time_major(x, state0, lengths, records, d_records)
    time_steps = x_tm.shape[0]

    def body(i, g_after, tas):
        t = time_steps - 1 - i
        g = tuple(d[t] + g_next for d, g_next in zip(d_records, g_after))  # d loss / d carried state after t
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
    _, d_state0, tas = tf.while_loop(lambda i, *_: i < time_steps, body, (tf.constant(0), tuple(d_final), tas),
                                     maximum_iterations=time_steps)

    x_rows, state_rows = _rows(x_tm), tuple(_rows(p) for p in previous)
    flat_weights = [w for w in tf.nest.flatten(weights) if w is not None]
    with tf.GradientTape() as tape:  # every step at once: rows are independent given the weights
        tape.watch([x_rows, flat_weights])
        _, new_state, _ = cell.step(x_rows, state_rows, weights, _no_edit)
    dx, d_weights = tape.gradient(new_state, [x_rows, flat_weights],
                                  output_gradients=tuple(_rows(ta.stack()) for ta in tas),
                                  unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return _batch_major_input(dx, x_tm), tuple(d_state0), _with_nones(weights, d_weights)


# ------------------------------------------------------------------------------------ SimpleRNN, by hand
# h' = act(x_t @ W_x + h @ W_h + b). The pre-activation z of every step is one batched matmul over the (x_t, h entering
# step t) rows, so the loop needs per step only act's vector-Jacobian product at z and one matmul (dz @ W_h^T), and
# every weight and input gradient is one matmul afterwards. Measured against the generic backward above (classroom
# SimpleRNN, train_on_batch / Keras's, 60 interleaved rounds, twice): 0.57-0.59 against 0.63 (dynamic off),
# 0.45-0.48 against 0.53-0.54 (on). What is left is mostly Keras's own step: a model whose layer is one matmul trains
# in 0.575 ms, Keras's SimpleRNN model in 1.447 and ours in 0.808.


def _rnn_backward(cell, x, state0, lengths, weights, records, d_records, d_final):
    """SimpleRNN: as _backward."""
    x_tm, (previous,), (d_h,) = _time_major(x, state0, lengths, records, d_records)
    (w_x, w_h, b), time_steps = weights, x_tm.shape[0]
    x_rows, h_rows = _rows(x_tm), _rows(previous)
    z_seq = tf.reshape(cell._preactivation(x_rows, h_rows, w_x, w_h, b), tf.shape(previous))  # [T, B, n]

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

    (d_h_final,) = d_final
    _, d_h0, dz_ta = tf.while_loop(lambda i, *_: i < time_steps, body,
                                   (tf.constant(0), d_h_final, tf.TensorArray(x_tm.dtype, size=time_steps)),
                                   maximum_iterations=time_steps)
    dz = _rows(dz_ta.stack())  # [T * B, n]
    d_weights = (tf.matmul(x_rows, dz, transpose_a=True), tf.matmul(h_rows, dz, transpose_a=True),
                 None if b is None else tf.reduce_sum(dz, axis=0))
    return _batch_major_input(tf.matmul(dz, w_x, transpose_b=True), x_tm), (d_h0,), d_weights


def _rows(v):
    """[T, B, k] -> [T * B, k]."""
    return tf.reshape(v, [-1, v.shape[-1]])


def _batch_major_input(rows, x_tm):
    """[T * B, D] -> [B, T, D], the shape of the layer's input."""
    return tf.transpose(tf.reshape(rows, tf.shape(x_tm)), [1, 0, 2])
