"""The bidirectional layer (TFLearn's ``bidirectional_rnn``): two cells, the backward one on reversed time."""

from __future__ import annotations

import keras
import tensorflow as tf

from rnnlab import padding
from rnnlab.errors import RnnlabError, describe
from rnnlab.layers.cells import RecurrentCell, _no_edit
from rnnlab.layers.checks import check_incoming, check_input_dim, check_rank, check_state, sequence_lengths
from rnnlab.layers.fast_paths import call_facts, choose_path, unroll_on
from rnnlab.layers.loop import Unrolled, _combined_edit, active_observers, loop_needed

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
        edit_fw = _combined_edit(observers, self, "fw")
        edit_bw = _combined_edit(observers, self, "bw")
        general = loop_needed(self, x, observers, edit_fw is not None or edit_bw is not None)
        if not observers:
            out, state_fw, state_bw, _ = self.run(x, initial_state_fw, initial_state_bw, seq_len, general=general,
                                                 training=training)
        else:
            def edit_at(direction, t):
                factory = edit_fw if direction == "fw" else edit_bw
                return factory(t) if factory is not None else _no_edit

            out, state_fw, state_bw, (fw, bw) = self.run(  # every gate, or only the states (see Recurrent.call)
                x, initial_state_fw, initial_state_bw, seq_len, record=True if general else "states",
                edit_at=edit_at if (edit_fw or edit_bw) else None, general=general, training=training,
            )
            lengths = self.lengths(x, seq_len)
            # the backward records back in original time order, like the outputs
            bw = Unrolled(
                outputs=self.reverse(bw.outputs, lengths),
                final_state=bw.final_state,
                records={k: self.reverse(v, lengths) for k, v in bw.records.items()},
                initial_state=bw.initial_state,
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
        """[B, T, D] -> [B] int32 lengths (``seq_len`` checked, or inferred in dynamic mode), or None when every
        step counts."""
        return sequence_lengths(x, seq_len, self.dynamic_lengths)

    @staticmethod
    def reverse(v, lengths):
        """[B, T, ...] -> the same with each sample's first ``length`` steps reversed (all steps if None)."""
        if lengths is None:
            return tf.reverse(v, axis=[1])
        return tf.reverse_sequence(v, lengths, seq_axis=1, batch_axis=0)

    def run(self, x, initial_state_fw=None, initial_state_bw=None, seq_len=None, *, record=False, edit_at=None,
            general=False, training=None):
        """[B, T, D] -> (output, state_fw, state_bw, (Unrolled fw, Unrolled bw in reversed time)).

        record / edit_at / general / training as in ``Recurrent.run``; the paths taken are named in
        ``self.last_paths``."""
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
        observed = general or record is True or edit_at is not None
        # one path per direction ("general" when observed), named in self.last_paths
        self.last_paths = tuple(
            choose_path(call_facts(cell, x, observed=observed, training=training)) for cell in (self.cell_fw, self.cell_bw)
        )
        fw = unroll_on(self.last_paths[0], self.cell_fw, x, s_fw, lengths=lengths, record=record, edit_at=edit_fw)
        bw = unroll_on(self.last_paths[1], self.cell_bw, reverse(x), s_bw, lengths=lengths, record=record,
                       edit_at=edit_bw)
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
