"""The time loop (the only one), the recurrent layer classes and TFLearn's functional API.

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
import numbers
import weakref
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from rnnlab import padding, scopes
from rnnlab.cells import BasicLSTMCell, BasicRNNCell, GRUCell, RecurrentCell, _no_edit, check_units
from rnnlab.errors import RnnlabError, describe

# ---------------------------------------------------------------------------------------------- the loop


@dataclass
class Unrolled:
    """What one pass of a cell over a sequence produced.

    outputs: [B, T, n] (None when only the last step was asked for); final_state: tuple of [B, n], the state
    after each sample's last valid step; records: name -> [B, T, n], every gate and state of every step
    (when asked for).
    """

    outputs: tf.Tensor | None
    final_state: tuple
    records: dict | None = None


def unroll(
    cell: RecurrentCell,
    x,
    initial_state: tuple,
    *,
    lengths=None,
    keep_outputs=True,
    record=False,
    edit_at=None,
):
    """[B, T, D], state tuple of [B, n] -> Unrolled. The one time loop of rnnlab.

    lengths: [B] int or None. Steps t >= length[b] leave sample b's state unchanged and output exactly 0.
    keep_outputs=False skips collecting the output sequence when only the final state is needed (the last
    output is ``final_state[-1]``: h is the last state of every cell).
    record: also collect every gate and state of every step (``cell.record_names``).
    edit_at(t) returns the ``edit(name, value)`` function for step t (interventions, probes).
    """
    names = cell.record_names if record else ()
    x_tm = tf.transpose(x, [1, 0, 2])  # [T, B, D]
    weights = cell.step_weights(batch_size=x_tm.shape[1])  # sliced once per call, not once per step
    time_steps = tf.shape(x_tm)[0]
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

    def batch_major(v):
        return tf.transpose(v, [1, 0, 2])  # [T, B, n] -> [B, T, n]

    return Unrolled(
        outputs=batch_major(out_tas[0].stack()) if keep_outputs else None,
        final_state=tuple(final_state),
        records={name: batch_major(ta.stack()) for name, ta in zip(names, record_tas)} if record else None,
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


# ---------------------------------------------------------------------------------------------- checks


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


# ---------------------------------------------------------------------------------------------- layers


@keras.saving.register_keras_serializable(package="rnnlab")
class Recurrent(keras.layers.Layer):
    """A recurrent layer: one cell run over time. The base of SimpleRNN, LSTM and GRU (use those: its config
    holds their arguments).

    Input: [B, T, D]. Output: [B, T, n] if ``return_seq`` else [B, n]; with ``return_state``,
    ``(output, state)`` where the state is (c, h) for an LSTM and h otherwise.
    """

    def __init__(
        self,
        cell: RecurrentCell,
        dropout=None,
        return_seq=False,
        return_state=False,
        dynamic=False,
        trainable=True,
        restore=True,
        name=None,
        **kwargs,
    ):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.cell = cell
        self.keep_probs = parse_dropout(dropout)
        # as given (a float or a pair), in plain Python floats so that the config is JSON
        self.dropout = dropout if dropout is None else (
            self.keep_probs[0] if isinstance(dropout, numbers.Real) else self.keep_probs)
        self.return_seq = bool(return_seq)
        self.return_state = bool(return_state)
        self.dynamic_lengths = bool(dynamic)
        self.restore = bool(restore)
        if self.keep_probs is not None:
            self.seed_generator = keras.random.SeedGenerator()

    def build(self, input_shape):
        check_rank(input_shape)
        check_input_dim(self.cell, input_shape, self.name)
        if not self.cell.built:
            self.cell.build(input_shape)

    # -- shapes for symbolic (functional) use
    def compute_output_spec(self, x, *args, **kwargs):
        """Symbolic calls skip ``call``: validate the input and the initial state here too."""
        check_incoming(x)
        check_input_dim(self.cell, x.shape, self.name)
        initial_state = kwargs.get("initial_state", args[0] if args else None)
        if initial_state is not None:
            check_state(initial_state, self.cell, batch=x.shape[0])
        return super().compute_output_spec(x, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        batch, time = input_shape[0], input_shape[1]
        n = self.cell.num_units
        out = (batch, time, n) if self.return_seq else (batch, n)
        if not self.return_state:
            return out
        state = tuple((batch, n) for _ in self.cell.state_names)
        return (out, state if len(state) > 1 else state[0])

    def lengths_for(self, x, seq_len):
        """[B, T, D] -> [B] int32 lengths, or None when every step counts."""
        if seq_len is not None:
            return tf.cast(tf.reshape(seq_len, [-1]), tf.int32)
        if self.dynamic_lengths:
            return padding.tflearn_lengths(x)
        return None

    def _drop(self, v, keep, training):
        if not training or keep >= 1.0:
            return v
        return keras.random.dropout(v, rate=1.0 - keep, seed=self.seed_generator)

    def call(self, x, initial_state=None, seq_len=None, training=None):
        check_incoming(x)
        observers = active_observers(self)
        if not observers:
            out, state, _ = self.run(x, initial_state=initial_state, seq_len=seq_len, training=training)
        else:
            out, state, unrolled = self.run(
                x, initial_state=initial_state, seq_len=seq_len, training=training, record=True,
                edit_at=_combined_edit(observers, self, None),
            )
            lengths = self.lengths_for(x, seq_len)
            for observer in observers:
                observer.seen(self, None, x, lengths, unrolled)
        if self.return_state:
            return out, (state if len(state) > 1 else state[0])
        return out

    def run(self, x, initial_state=None, seq_len=None, training=None, *, record=False, edit_at=None):
        """[B, T, D] -> (output, final state tuple, Unrolled): the whole forward computation of the layer.

        ``record`` and ``edit_at`` are passed to :func:`unroll` (probes and interventions use them).
        """
        check_input_dim(self.cell, x.shape, self.name)
        lengths = self.lengths_for(x, seq_len)
        state0 = (
            self.cell.zero_state(tf.shape(x)[0], x.dtype)
            if initial_state is None
            else check_state(initial_state, self.cell, batch=x.shape[0])
        )
        training = bool(training)
        if self.keep_probs is not None:
            x = self._drop(x, self.keep_probs[0], training)
        unrolled = unroll(
            self.cell, x, state0, lengths=lengths, keep_outputs=self.return_seq or record, record=record,
            edit_at=edit_at,
        )
        if self.return_seq:
            outputs = unrolled.outputs  # [B, T, n]
        else:  # the output at step length-1 is the final h (the state is frozen past the length)
            outputs = unrolled.final_state[-1]  # [B, n]
            if lengths is not None:  # zero-length rows return zeros, not the initial state
                outputs = tf.where((lengths > 0)[:, None], outputs, tf.zeros_like(outputs))
        if self.keep_probs is not None:
            outputs = self._drop(outputs, self.keep_probs[1], training)
        return outputs, unrolled.final_state, unrolled

    def get_config(self):
        config = super().get_config()
        config.update(
            dropout=self.dropout,
            return_seq=self.return_seq,
            return_state=self.return_state,
            dynamic=self.dynamic_lengths,
            restore=self.restore,
        )
        if getattr(self.cell, "shared_by_layers", False):
            # A reused scope: the cell object itself. Keras serialises it in place and marks it shared, so
            # a .keras file restores one cell for all the layers using it (and its weights load once).
            config["cell"] = self.cell
        # the subclasses (SimpleRNN, LSTM, GRU) take their cell's arguments directly
        config.update(n_units=self.cell.num_units, **_cell_config(self.cell))
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**_cells_from_config(config))


def _cell_config(cell: RecurrentCell) -> dict:
    config = cell.get_config()
    for key in ("name", "trainable", "dtype", "reuse", "restore", "num_units"):
        config.pop(key, None)
    return config


@keras.saving.register_keras_serializable(package="rnnlab")
class SimpleRNN(Recurrent):
    """A fully connected recurrent layer (TFLearn's ``simple_rnn``) as a Keras layer.

    Input: [B, T, D]. Output: [B, T, n_units] if return_seq else [B, n_units]; state h [B, n_units].
    Arguments as in :func:`rnnlab.simple_rnn` (default activation 'sigmoid').
    """

    def __init__(
        self,
        n_units,
        activation="sigmoid",
        dropout=None,
        bias=True,
        weights_init=None,
        return_seq=False,
        return_state=False,
        dynamic=False,
        trainable=True,
        restore=True,
        name=None,
        **kwargs,
    ):
        check_units(n_units, "n_units")
        cell = kwargs.pop("cell", None) or BasicRNNCell(
            n_units, activation=activation, bias=bias, weights_init=weights_init, trainable=trainable,
            restore=restore, name="cell",
        )
        super().__init__(cell, dropout, return_seq, return_state, dynamic, trainable, restore, name, **kwargs)


@keras.saving.register_keras_serializable(package="rnnlab")
class LSTM(Recurrent):
    """Long Short-Term Memory (TFLearn's ``lstm``) as a Keras layer.

    Input: [B, T, D]. Output: [B, T, n_units] if return_seq else [B, n_units]; state (c, h), each [B, n_units].
    Arguments as in :func:`rnnlab.lstm`.
    """

    def __init__(
        self,
        n_units,
        activation="tanh",
        inner_activation="sigmoid",
        dropout=None,
        bias=True,
        weights_init=None,
        forget_bias=1.0,
        return_seq=False,
        return_state=False,
        dynamic=False,
        trainable=True,
        restore=True,
        name=None,
        **kwargs,
    ):
        check_units(n_units, "n_units")
        cell = kwargs.pop("cell", None) or BasicLSTMCell(
            n_units, forget_bias=forget_bias, activation=activation, inner_activation=inner_activation,
            bias=bias, weights_init=weights_init, trainable=trainable, restore=restore, name="cell",
        )
        super().__init__(cell, dropout, return_seq, return_state, dynamic, trainable, restore, name, **kwargs)


@keras.saving.register_keras_serializable(package="rnnlab")
class GRU(Recurrent):
    """Gated Recurrent Unit (TFLearn's ``gru``) as a Keras layer.

    Input: [B, T, D]. Output: [B, T, n_units] if return_seq else [B, n_units]; state h [B, n_units].
    Arguments as in :func:`rnnlab.gru`.
    """

    def __init__(
        self,
        n_units,
        activation="tanh",
        inner_activation="sigmoid",
        dropout=None,
        bias=True,
        weights_init=None,
        return_seq=False,
        return_state=False,
        dynamic=False,
        trainable=True,
        restore=True,
        name=None,
        **kwargs,
    ):
        check_units(n_units, "n_units")
        cell = kwargs.pop("cell", None) or GRUCell(
            n_units, activation=activation, inner_activation=inner_activation, bias=bias,
            weights_init=weights_init, trainable=trainable, restore=restore, name="cell",
        )
        super().__init__(cell, dropout, return_seq, return_state, dynamic, trainable, restore, name, **kwargs)


def _cells_from_config(config):
    from rnnlab import initializations
    from rnnlab.cells import _deserialize_activation

    config = dict(config)
    for key in ("activation", "inner_activation"):
        if key in config:
            config[key] = _deserialize_activation(config[key])
    config["weights_init"] = initializations.deserialize(config.get("weights_init"))
    if config.get("cell") is not None:  # a shared cell: Keras returns the same object for every layer using it
        if isinstance(config["cell"], dict):
            config["cell"] = keras.saving.deserialize_keras_object(config["cell"])
        config["cell"].shared_by_layers = True
    if isinstance(config.get("dropout"), list):
        config["dropout"] = tuple(config["dropout"])
    return config


@keras.saving.register_keras_serializable(package="rnnlab")
class BiRNN(keras.layers.Layer):
    """A bidirectional recurrent layer (TFLearn's ``bidirectional_rnn``) over two cells.

    Input: [B, T, D]. Output: [B, T, 2n] if return_seq else [B, 2n], the forward half first;
    with ``return_states``: ``(output, state_fw, state_bw)``.

    The backward cell reads the sequence reversed: in dynamic mode only the first ``length`` steps of each
    sample are reversed, so it starts at the last real step. Its outputs are put back in time order.
    ``return_seq=False`` returns step ``length - 1`` (or the last step), whose backward half has seen only
    that one step, as TFLearn does.
    """

    def __init__(self, cell_fw, cell_bw, return_seq=False, return_states=False, dynamic=False, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        for argument, cell in (("rnncell_fw", cell_fw), ("rnncell_bw", cell_bw)):
            if not isinstance(cell, RecurrentCell):
                raise TypeError(
                    f"`{argument}` must be an rnnlab cell (BasicRNNCell, BasicLSTMCell, GRUCell); "
                    f"received {describe(cell)}."
                )
        if cell_fw.num_units != cell_bw.num_units:
            raise RnnlabError(
                "`rnncell_fw` and `rnncell_bw` must have the same number of units; received "
                f"{cell_fw.num_units} (forward) and {cell_bw.num_units} (backward)."
            )
        if cell_fw is cell_bw:
            raise RnnlabError("`rnncell_fw` and `rnncell_bw` must be two different cell objects.")
        self.cell_fw = cell_fw
        self.cell_bw = cell_bw
        self.return_seq = bool(return_seq)
        self.return_states = bool(return_states)
        self.dynamic_lengths = bool(dynamic)
        # False only when neither cell is restored: load_weights keeps a whole layer with restore=False, and
        # honours one cell's restore=False through the cell itself.
        self.restore = cell_fw.restore or cell_bw.restore

    def build(self, input_shape):
        check_rank(input_shape)
        for cell in (self.cell_fw, self.cell_bw):
            if not cell.built:
                cell.build(input_shape)

    def compute_output_spec(self, x, *args, **kwargs):
        """Symbolic calls skip ``call``: validate the input and the initial states here too."""
        check_incoming(x)
        for cell in (self.cell_fw, self.cell_bw):
            check_input_dim(cell, x.shape, self.name)
        for i, (argument, cell) in enumerate((("initial_state_fw", self.cell_fw), ("initial_state_bw", self.cell_bw))):
            state = kwargs.get(argument, args[i] if len(args) > i else None)
            if state is not None:
                check_state(state, cell, argument, batch=x.shape[0])
        return super().compute_output_spec(x, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        batch, time = input_shape[0], input_shape[1]
        n = self.cell_fw.num_units
        out = (batch, time, 2 * n) if self.return_seq else (batch, 2 * n)
        if not self.return_states:
            return out

        def state_shape(cell):
            shapes = tuple((batch, n) for _ in cell.state_names)
            return shapes if len(shapes) > 1 else shapes[0]

        return (out, state_shape(self.cell_fw), state_shape(self.cell_bw))

    def call(self, x, initial_state_fw=None, initial_state_bw=None, seq_len=None, training=None):
        check_incoming(x)
        observers = active_observers(self)
        if not observers:
            out, state_fw, state_bw, _ = self.run(x, initial_state_fw, initial_state_bw, seq_len)
        else:
            edit_fw = _combined_edit(observers, self, "fw")
            edit_bw = _combined_edit(observers, self, "bw")

            def edit_at(direction, t):
                factory = edit_fw if direction == "fw" else edit_bw
                return factory(t) if factory is not None else _no_edit

            out, state_fw, state_bw, (fw, bw) = self.run(
                x, initial_state_fw, initial_state_bw, seq_len, record=True,
                edit_at=edit_at if (edit_fw or edit_bw) else None,
            )
            lengths = self.lengths(x, seq_len)
            # the backward records back in original time order, like the outputs
            bw = Unrolled(
                outputs=self.reverse(bw.outputs, lengths),
                final_state=bw.final_state,
                records={k: self.reverse(v, lengths) for k, v in bw.records.items()},
            )
            for observer in observers:
                observer.seen(self, "fw", x, lengths, fw)
                observer.seen(self, "bw", x, lengths, bw)
        if self.return_states:
            def pack(state):
                return state if len(state) > 1 else state[0]

            return out, pack(state_fw), pack(state_bw)
        return out

    def lengths(self, x, seq_len=None):
        """[B, T, D] -> [B] int32 lengths, or None when every step counts."""
        if seq_len is not None:
            return tf.cast(tf.reshape(seq_len, [-1]), tf.int32)
        if self.dynamic_lengths:
            return padding.tflearn_lengths(x)
        return None

    @staticmethod
    def reverse(v, lengths):
        """[B, T, ...] -> the same with each sample's first ``length`` steps reversed (all steps if None)."""
        if lengths is None:
            return tf.reverse(v, axis=[1])
        return tf.reverse_sequence(v, lengths, seq_axis=1, batch_axis=0)

    def run(self, x, initial_state_fw=None, initial_state_bw=None, seq_len=None, *, record=False, edit_at=None):
        """[B, T, D] -> (output, state_fw, state_bw, (Unrolled fw, Unrolled bw in reversed time))."""
        for cell in (self.cell_fw, self.cell_bw):
            check_input_dim(cell, x.shape, self.name)
        lengths = self.lengths(x, seq_len)
        batch = tf.shape(x)[0]

        def state0(cell, given, argument):
            if given is None:
                return cell.zero_state(batch, x.dtype)
            return check_state(given, cell, argument, batch=x.shape[0])

        def reverse(v):
            return self.reverse(v, lengths)

        s_fw = state0(self.cell_fw, initial_state_fw, "initial_state_fw")
        s_bw = state0(self.cell_bw, initial_state_bw, "initial_state_bw")
        edit_fw = (lambda t: edit_at("fw", t)) if edit_at is not None else None
        edit_bw = (lambda t: edit_at("bw", t)) if edit_at is not None else None
        fw = unroll(self.cell_fw, x, s_fw, lengths=lengths, record=record, edit_at=edit_fw)
        bw = unroll(self.cell_bw, reverse(x), s_bw, lengths=lengths, record=record, edit_at=edit_bw)
        outputs = tf.concat([fw.outputs, reverse(bw.outputs)], axis=-1)  # [B, T, 2n], zero past each length
        state_fw, state_bw = fw.final_state, bw.final_state
        if lengths is not None:
            last = padding.gather_last_valid(outputs, lengths)
        else:
            last = outputs[:, -1]
        return (outputs if self.return_seq else last), state_fw, state_bw, (fw, bw)

    def get_config(self):
        config = super().get_config()
        config.update(
            cell_fw=keras.saving.serialize_keras_object(self.cell_fw),
            cell_bw=keras.saving.serialize_keras_object(self.cell_bw),
            return_seq=self.return_seq,
            return_states=self.return_states,
            dynamic=self.dynamic_lengths,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["cell_fw"] = keras.saving.deserialize_keras_object(config["cell_fw"])
        config["cell_bw"] = keras.saving.deserialize_keras_object(config["cell_bw"])
        return cls(**config)


# ---------------------------------------------------------------------------------------------- functional API


def _is_symbolic(x) -> bool:
    return isinstance(x, keras.KerasTensor)


def input_data(shape=None, dtype="float32", name="InputData"):
    """Input placeholder, TFLearn style: ``shape=[None, T, D]`` (the batch axis first, None allowed for T).

    As in TFLearn, a batch axis ``None`` is added in front when the first entry is not None
    (``[T, D]`` means ``[None, T, D]``). Returns a Keras symbolic tensor to chain layers on and to pass to
    ``keras.Model(inputs, outputs)``.
    """
    if shape is None or not isinstance(shape, (list, tuple)) or len(shape) < 2:
        raise RnnlabError(
            f"`shape` must be a list like [None, timesteps, input_dim] (batch axis first); received {shape!r}."
        )
    if shape[0] is not None:  # TFLearn: 'None' is added when missing
        shape = [None, *shape]
    for dim in shape[1:]:
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim <= 0):
            raise RnnlabError(
                f"`shape` entries after the batch axis must be positive ints or None; received {list(shape)!r} "
                f"(bad entry {dim!r}). Expected e.g. [None, timesteps, input_dim]."
            )
    return keras.Input(shape=tuple(shape[1:]), dtype=dtype, name=scopes.current().reserve(name))


def _to_tensor(incoming):
    if _is_symbolic(incoming) or isinstance(incoming, tf.Tensor):
        return incoming
    if isinstance(incoming, np.ndarray):
        return tf.convert_to_tensor(incoming)
    if isinstance(incoming, (list, tuple)):
        return tf.convert_to_tensor(np.asarray(incoming))
    raise TypeError(
        f"`incoming` must be a Keras symbolic tensor, a tf.Tensor or a NumPy array [samples, timesteps, input_dim]; "
        f"received {describe(incoming)}."
    )


_LAYER_OPTIONS = ("keep_probs", "return_seq", "return_state", "dynamic_lengths")


def _build_or_reuse(make_layer, scope, name, reuse):
    """Resolve scope / reuse; -> the layer to call (new, the shared one, or a twin sharing its cell)."""
    registry = scopes.current()
    scope_name, existing = registry.resolve(scope, name, reuse)
    fresh = make_layer(scope_name, None)
    if existing is None:
        registry.claim(scope_name, fresh)
        return fresh
    if type(existing) is not type(fresh) or existing.cell.get_config() | {"name": None} != fresh.cell.get_config() | {"name": None}:
        raise RnnlabError(
            f"`reuse=True` with scope={scope_name!r}: the existing layer is a {type(existing).__name__} "
            f"with {existing.cell.num_units} units; received a {type(fresh).__name__} with "
            f"{fresh.cell.num_units} units and other cell arguments. Reused layers must match."
        )
    if all(getattr(existing, k) == getattr(fresh, k) for k in _LAYER_OPTIONS):
        return existing  # the very same layer: shared weights, one entry in the model
    existing.cell.shared_by_layers = True  # get_config then stores the cell itself (see Recurrent.get_config)
    return make_layer(registry.reserve(scope_name), existing.cell)  # same weights, other return options


def _apply(layer, incoming, seq_len, call_kwargs):
    x = _to_tensor(incoming)
    check_incoming(x)
    if not _is_symbolic(x) and seq_len is not None:
        seq_len = tf.convert_to_tensor(seq_len)
    return layer(x, seq_len=seq_len, **call_kwargs)


def _recurrent_function(layer_class, incoming, n_units, scope, name, reuse, seq_len, initial_state, **layer_kwargs):
    check_units(n_units, "n_units")
    x = _to_tensor(incoming)
    check_incoming(x)

    def make_layer(layer_name, shared_cell):
        extra = {"cell": shared_cell} if shared_cell is not None else {}
        return layer_class(n_units, name=layer_name, **layer_kwargs, **extra)

    layer = _build_or_reuse(make_layer, scope, name, reuse)
    return _apply(layer, x, seq_len, {"initial_state": initial_state})


def simple_rnn(incoming, n_units, activation="sigmoid", dropout=None, bias=True, weights_init=None,
               return_seq=False, return_state=False, initial_state=None, dynamic=False, trainable=True,
               restore=True, reuse=False, scope=None, name="SimpleRNN", *, seq_len=None):
    """Simple recurrent layer (TFLearn's ``simple_rnn``).

    Input: 3-D Tensor [samples, timesteps, input_dim].
    Output: if ``return_seq``: 3-D Tensor [samples, timesteps, n_units]; else 2-D Tensor [samples, n_units].
    With ``return_state``: ``(output, state)``, state [samples, n_units].

    Arguments:
        incoming: a Keras symbolic tensor (returns symbolic tensors for ``keras.Model``), or a tf.Tensor /
            NumPy array (runs at once and returns tensors).
        n_units: int, number of units.
        activation: name or callable; default 'sigmoid' (the BasicRNNCell defaults to 'tanh').
        dropout: float or (input_keep_prob, output_keep_prob): KEEP probabilities, training only.
        bias: bool, add a bias. weights_init: initializer name, initializer or array (default Glorot uniform).
        return_seq: return every step's output. return_state: also return the final state.
        initial_state: [samples, n_units] initial state (default zeros).
        dynamic: infer each sample's length from zero padding (TFLearn's count of non-all-zero steps);
            outputs past the length are 0, the state is carried, and the last output is taken at length-1.
        trainable: train the weights. restore: False keeps this layer's weights when loading weights
            with :func:`rnnlab.load_weights`. reuse: share the weights of the layer with ``scope``.
        scope: exact layer name (overrides ``name``). name: default name, made unique (SimpleRNN_1, ...).
        seq_len: [samples] ints, explicit lengths (overrides the inference; rnnlab addition).
    """
    return _recurrent_function(
        SimpleRNN, incoming, n_units, scope, name, reuse, seq_len, initial_state,
        activation=activation, dropout=dropout, bias=bias, weights_init=weights_init, return_seq=return_seq,
        return_state=return_state, dynamic=dynamic, trainable=trainable, restore=restore,
    )


def lstm(incoming, n_units, activation="tanh", inner_activation="sigmoid", dropout=None, bias=True,
         weights_init=None, forget_bias=1.0, return_seq=False, return_state=False, initial_state=None,
         dynamic=False, trainable=True, restore=True, reuse=False, scope=None, name="LSTM", *, seq_len=None):
    """Long Short-Term Memory layer (TFLearn's ``lstm``).

    Input: 3-D Tensor [samples, timesteps, input_dim].
    Output: if ``return_seq``: 3-D Tensor [samples, timesteps, n_units]; else 2-D Tensor [samples, n_units].
    With ``return_state``: ``(output, (c, h))``, each [samples, n_units].

    Arguments:
        incoming, n_units, dropout, bias, weights_init, return_seq, return_state, dynamic, trainable,
        restore, reuse, scope, name, seq_len: as for :func:`simple_rnn`.
        activation: for the candidate and the cell output (default 'tanh').
        inner_activation: for the gates (default 'sigmoid').
        forget_bias: added to the forget gate at run time (default 1.0).
        initial_state: a pair (c, h), each [samples, n_units].

    References:
        Hochreiter & Schmidhuber, Long Short-Term Memory, Neural Computation 9(8), 1997.
    """
    return _recurrent_function(
        LSTM, incoming, n_units, scope, name, reuse, seq_len, initial_state,
        activation=activation, inner_activation=inner_activation, dropout=dropout, bias=bias,
        weights_init=weights_init, forget_bias=forget_bias, return_seq=return_seq, return_state=return_state,
        dynamic=dynamic, trainable=trainable, restore=restore,
    )


def gru(incoming, n_units, activation="tanh", inner_activation="sigmoid", dropout=None, bias=True,
        weights_init=None, return_seq=False, return_state=False, initial_state=None, dynamic=False,
        trainable=True, restore=True, reuse=False, scope=None, name="GRU", *, seq_len=None):
    """Gated Recurrent Unit layer (TFLearn's ``gru``).

    Input: 3-D Tensor [samples, timesteps, input_dim].
    Output: if ``return_seq``: 3-D Tensor [samples, timesteps, n_units]; else 2-D Tensor [samples, n_units].
    With ``return_state``: ``(output, h)``, h [samples, n_units].

    Arguments: as for :func:`lstm`, without forget_bias; initial_state is [samples, n_units].

    References:
        Cho et al., Learning Phrase Representations using RNN Encoder-Decoder, EMNLP 2014.
    """
    return _recurrent_function(
        GRU, incoming, n_units, scope, name, reuse, seq_len, initial_state,
        activation=activation, inner_activation=inner_activation, dropout=dropout, bias=bias,
        weights_init=weights_init, return_seq=return_seq, return_state=return_state, dynamic=dynamic,
        trainable=trainable, restore=restore,
    )


def bidirectional_rnn(incoming, rnncell_fw, rnncell_bw, return_seq=False, return_states=False,
                      initial_state_fw=None, initial_state_bw=None, dynamic=False, scope=None, name="BiRNN",
                      *, seq_len=None):
    """Bidirectional recurrent layer over two cells (TFLearn's ``bidirectional_rnn``).

    Input: 3-D Tensor [samples, timesteps, input_dim].
    Output: if ``return_seq``: [samples, timesteps, 2 * n_units]; else [samples, 2 * n_units]; the forward
    half first. With ``return_states``: ``(output, state_fw, state_bw)``.

    Arguments:
        incoming: as for :func:`simple_rnn`.
        rnncell_fw, rnncell_bw: rnnlab cells (BasicRNNCell, BasicLSTMCell, GRUCell), same num_units,
            kinds may differ.
        return_seq, return_states: as above (note the plural). initial_state_fw / initial_state_bw:
            each cell's initial state. dynamic: as for :func:`simple_rnn`; the backward cell then reverses only
            each sample's first ``length`` steps. scope, name: as for :func:`simple_rnn`.
        seq_len: [samples] ints, explicit lengths (rnnlab addition).
    """
    registry = scopes.current()
    scope_name, _ = registry.resolve(scope, name, reuse=False)
    layer = BiRNN(rnncell_fw, rnncell_bw, return_seq=return_seq, return_states=return_states, dynamic=dynamic,
                  name=scope_name)
    registry.claim(scope_name, layer)
    return _apply(layer, incoming, seq_len,
                  {"initial_state_fw": initial_state_fw, "initial_state_bw": initial_state_bw})
