"""The recurrent layer classes: one cell run over time by the loop (SimpleRNN, LSTM, GRU)."""

from __future__ import annotations

import numbers

import keras
import tensorflow as tf

from rnnlab.layers import initializations
from rnnlab.layers.cells import BasicLSTMCell, BasicRNNCell, GRUCell, RecurrentCell, _deserialize_activation, check_units
from rnnlab.layers.checks import (
    check_incoming,
    check_input_dim,
    check_rank,
    check_state,
    parse_dropout,
    sequence_lengths,
)
from rnnlab.layers.fast_paths import call_facts, choose_path, unroll_on
from rnnlab.layers.loop import _combined_edit, active_observers, loop_needed

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
        """[B, T, D] -> [B] int32 lengths (``seq_len`` checked, or inferred in dynamic mode), or None when every
        step counts."""
        return sequence_lengths(x, seq_len, self.dynamic_lengths)

    def _drop(self, v, keep, training):
        if not training or keep >= 1.0:
            return v
        return keras.random.dropout(v, rate=1.0 - keep, seed=self.seed_generator)

    def call(self, x, initial_state=None, seq_len=None, training=None):
        check_incoming(x)
        observers = active_observers(self)
        edit_at = _combined_edit(observers, self, None)
        general = loop_needed(self, x, observers, edit_at is not None)
        if not observers:
            out, state, _ = self.run(x, initial_state=initial_state, seq_len=seq_len, training=training,
                                     general=general)
        else:  # every gate from the loop, or only the states (the probe recomputes the gates) on any path
            out, state, unrolled = self.run(
                x, initial_state=initial_state, seq_len=seq_len, training=training,
                record=True if general else "states", edit_at=edit_at, general=general,
            )
            lengths = self.lengths_for(x, seq_len)
            for observer in observers:
                observer.seen(self, None, x, lengths, unrolled)
        if self.return_state:
            return out, (state if len(state) > 1 else state[0])
        return out

    def run(self, x, initial_state=None, seq_len=None, training=None, *, record=False, edit_at=None, general=False):
        """[B, T, D] -> (output, final state tuple, Unrolled): the whole forward computation of the layer.

        ``record`` (True: every gate; "states": the states only) and ``edit_at`` are passed to :func:`unroll`
        (probes and interventions use them). Unless ``general``, ``record=True`` or ``edit_at`` asks for the
        general loop, the call may take a fast path (``rnnlab.layers.fast_paths.choose_path``); the path taken
        is named in ``self.last_path``.
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
        observed = general or record is True or edit_at is not None
        self.last_path = choose_path(call_facts(self.cell, x, observed=observed, training=training))
        unrolled = unroll_on(
            self.last_path, self.cell, x, state0, lengths=lengths, keep_outputs=self.return_seq or bool(record),
            record=record, edit_at=edit_at,
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
