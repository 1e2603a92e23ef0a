"""The time loop and the observers that watch it.

The fast paths (``fast_paths.py``) give the same results where nothing watches: TensorFlow's fused LSTM kernel,
and ``compiled_loop.py``, which runs this loop compiled by XLA with a backward pass of its own (TensorFlow cannot
differentiate a while loop across the XLA boundary).

How a layer computes, in order:

1. lengths: in dynamic mode TFLearn's count of non-all-zero steps (or an explicit ``seq_len``);
2. input dropout (training only, a fresh mask for every step's input);
3. ``unroll``: one cell step per time step in a ``tf.while_loop``. Past a sample's length its state is carried
   unchanged and its output is exactly 0 (``tf.where``, so nothing from the padding leaks, not even a NaN),
   hence the final state is the state after step ``length - 1`` (the initial state for length 0);
4. output dropout (training only); with ``return_seq=False`` the output at step ``length - 1`` (the final h),
   zeros for zero-length rows.

Observers (probes, hooks) can ask a call to record every gate and to edit values as they are computed.
"""

from __future__ import annotations

import contextlib
import contextvars
import weakref
from dataclasses import dataclass

import keras
import tensorflow as tf

from rnnlab.layers.cells import RecurrentCell, _no_edit

# ---------------------------------------------------------------------------------------------- the loop


@dataclass
class Unrolled:
    """What one pass of a cell over a sequence produced.

    outputs: [B, T, n] (None when only the last step was asked for); final_state: tuple of [B, n], the state
    after each sample's last valid step; records: name -> [B, T, n], every gate and state of every step
    (when asked for); initial_state: tuple of [B, n], the state the loop started from.
    """

    outputs: tf.Tensor | None
    final_state: tuple
    records: dict | None = None
    initial_state: tuple | None = None


def batch_major(seq, lengths=None):
    """[T, B, n] -> [B, T, n]; with lengths ([B] int), 0 at the steps past each sample's length (the fast paths'
    state sequences carry the last state on there, the general loop's records are 0)."""
    seq = tf.transpose(seq, [1, 0, 2])
    if lengths is None:
        return seq
    valid = tf.sequence_mask(lengths, tf.shape(seq)[1])[:, :, None]  # [B, T, 1]
    return tf.where(valid, seq, tf.zeros_like(seq))


def unroll(
    cell: RecurrentCell,
    x,
    initial_state: tuple,
    *,
    lengths=None,
    keep_outputs=True,
    record=False,
    edit_at=None,
    weights=None,
):
    """[B, T, D], state tuple of [B, n] -> Unrolled. The time loop of rnnlab, the only one.

    lengths: [B] int or None. Steps t >= length[b] leave sample b's state unchanged and output exactly 0.
    keep_outputs=False skips collecting the output sequence when only the final state is needed (the last
    output is ``final_state[-1]``: h is the last state of every cell).
    record: also collect every gate and state of every step (``cell.record_names``); ``"states"``: only the
    states (``cell.state_names``, what a probe that recomputes the gates batched needs).
    edit_at(t) returns the ``edit(name, value)`` function for step t (interventions, probes).
    weights: the cell's ``step_weights`` as tensors (the compiled loop passes them in); default: the cell's own.
    """
    names = cell.record_names if record is True else cell.state_names if record == "states" else ()
    x_tm = tf.transpose(x, [1, 0, 2])  # [T, B, D]
    if weights is None:
        weights = cell.step_weights(batch_size=x_tm.shape[1])  # sliced once per call, not once per step
    time_steps = x_tm.shape[0] if x_tm.shape[0] is not None else tf.shape(x_tm)[0]  # static where known
    x_ta = tf.TensorArray(x_tm.dtype, size=time_steps).unstack(x_tm)

    def body(t, state, out_tas, record_tas):
        edit = edit_at(t) if edit_at is not None else _no_edit
        out, new_state, records = cell.step(x_ta.read(t), state, weights, edit)
        if lengths is not None:
            valid = (t < lengths)[:, None]  # [B, 1]
            new_state = tuple(tf.where(valid, new, old) for new, old in zip(new_state, state))
            out = tf.where(valid, out, tf.zeros_like(out))
            records = {k: tf.where(valid, v, tf.zeros_like(v)) for k, v in records.items()}
        out_tas = tuple(ta.write(t, out) for ta in out_tas)
        record_tas = tuple(ta.write(t, records[name]) for ta, name in zip(record_tas, names))
        return t + 1, tuple(new_state), out_tas, record_tas

    def new_ta():  # a known element shape lets TensorFlow preallocate, forward and backward
        return tf.TensorArray(x_tm.dtype, size=time_steps, element_shape=(x_tm.shape[1], cell.num_units))

    _, final_state, out_tas, record_tas = tf.while_loop(
        lambda t, *_: t < time_steps,
        body,
        (tf.constant(0), tuple(initial_state), tuple(new_ta() for _ in range(int(keep_outputs))),
         tuple(new_ta() for _ in names)),
        maximum_iterations=time_steps,
        parallel_iterations=32,
        swap_memory=True,
    )

    return Unrolled(
        outputs=batch_major(out_tas[0].stack()) if keep_outputs else None,
        final_state=tuple(final_state),
        records={name: batch_major(ta.stack()) for name, ta in zip(names, record_tas)} if record else None,
        initial_state=tuple(initial_state),
    )


# ---------------------------------------------------------------------------------------------- observers
# Probes and hooks watch layers through observers. With none active, a layer takes its plain path: recording
# and editing cost nothing unless asked for.
#
# An observer has three methods:
#   wants(layer) -> bool
#   edit_at(layer, direction) -> None or a function t -> edit(name, value)
#   seen(layer, direction, x, lengths, unrolled) -> None   (x [B, T, D], lengths [B] or None,
#                                                           unrolled.records in original time order)
# and may have a fourth:
#   states_suffice(layer, x) -> bool   True: this call's state records (0 past each length) and
#                                      unrolled.initial_state are all it needs, so the call may take a fast path
#                                      (rnnlab.layers.fast_paths) that records only its states. Without it: False.

_context_observer: contextvars.ContextVar = contextvars.ContextVar("rnnlab_observer", default=None)
_layer_observers: "weakref.WeakKeyDictionary[keras.layers.Layer, list]" = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def observing(observer):
    """Every rnnlab layer called inside the block reports to ``observer`` (probes use this)."""
    token = _context_observer.set(observer)
    try:
        yield observer
    finally:
        _context_observer.reset(token)


def observing_now() -> bool:
    """Whether a probe's ``observing`` block is open."""
    return _context_observer.get() is not None


def loop_needed(layer, x, observers, edits) -> bool:
    """layer, its input [B, T, D], ``active_observers(layer)``, whether any of them edits -> whether this call must
    run the general loop (record every gate, apply edits).

    False when nothing edits and every observer answers ``states_suffice(layer, x)`` True: the call then records
    only its states and may take a fast path. A layer no observer watches inside a probe's ``observing`` block
    asks that probe, so every layer of a pass takes the same path whether it is recorded or not.
    """
    if edits:
        return True
    askers = list(observers) or ([_context_observer.get()] if observing_now() else [])
    return not all(getattr(o, "states_suffice", None) is not None and o.states_suffice(layer, x) for o in askers)


def attach_observer(layer, observer) -> None:
    """Attach ``observer`` to ``layer`` for every later call (hooks use this)."""
    _layer_observers.setdefault(layer, []).append(observer)


def detach_observer(layer, observer) -> None:
    observers = _layer_observers.get(layer, [])
    if observer in observers:
        observers.remove(observer)


def active_observers(layer) -> list:
    """The observers that want to see this call of ``layer``."""
    found = list(_layer_observers.get(layer, ()))
    context = _context_observer.get()
    if context is not None and context.wants(layer):
        found.append(context)
    return found


def _combined_edit(observers, layer, direction):
    return compose_edits([o.edit_at(layer, direction) for o in observers])


def compose_edits(factories):
    """[t -> edit(name, value)] (None entries ignored) -> one such factory applying them in order, or None."""
    factories = [f for f in factories if f is not None]
    if not factories:
        return None

    def edit_at(t):
        edits = [factory(t) for factory in factories]

        def edit(name, value):
            for e in edits:
                value = e(name, value)
            return value

        return edit

    return edit_at
