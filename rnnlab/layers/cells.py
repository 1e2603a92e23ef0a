"""Recurrent cells: one time step, ``(x_t, state) -> (output, state, records)``.

Each cell owns TFLearn's weights in TFLearn's layout (SPEC.md, "Cell maths"): one kernel
``Matrix`` of shape [input_dim + n, k * n] whose input rows come first, and ``Bias`` [k * n].
The time loop (``rnnlab.layers.loop``) calls a cell in two parts:

* ``step_weights(batch_size)`` slices the kernel into its input and recurrent rows once per call (LSTM and
  GRU: in two column groups on CPU for large steps, see ``split_gate_matmul``);
* ``step(x_t, state, weights, edit)`` computes one step and returns the output, the new state and the
  step's records (every gate and state, named as in DESIGN.md), which probes collect.

(Projecting all inputs in one large matmul before the loop was measured slower on CPU than one small
matmul per step, whose iterations TensorFlow overlaps: see bench/bench_layers.py. Splitting the LSTM's
recurrent matmul in two independent halves is faster on CPU at larger sizes: see ``split_gate_matmul``.)

``edit(name, value) -> value`` is applied to every gate and state as soon as it is computed, so an
intervention on a gate (say forget = 1.0) changes everything computed after it in that step.
Unlike Keras cells, ours return their gates.
"""

from __future__ import annotations

import numbers

import keras
import numpy as np
import tensorflow as tf

from rnnlab.layers import activations, initializations
from rnnlab.errors import RnnlabError, describe


def _no_edit(name, value):
    """The edit of a plain call: values pass unchanged (no ops added)."""
    return value


# On CPU, TensorFlow's oneDNN kernel runs a matmul as small as one step's [B, n] @ [n, k n] on one thread, and the
# steps form a serial chain, so the second core idles. Two independent matmuls per step (LSTM: gates i, j and
# f, o; GRU: reset and update) run on two inter-op threads at once. Measured with bench/bench_layers.py on
# 2 cores (training step time / Keras's): LSTM at batch 64, 128 units 0.86 split against 1.15 unsplit, at 64
# units 0.90 against 1.09; GRU at 128 units 0.74 against 0.81. Smaller steps lose more to the extra ops than
# they gain (LSTM at batch 32 and 16 or 32 units: 1.0 split, 0.93 unsplit; GRU at 64 units: 0.75 against 0.71).
# A GPU wants one large matmul.
SPLIT_MIN_MULTIPLY_ADDS = 2**20  # per step: batch * n * (k n), k = 4 (LSTM) or 2 (GRU gates)


def split_gate_matmul(batch_size, num_units: int, blocks: int) -> bool:
    """Whether a cell should compute its recurrent gate matmul ([B, n] @ [n, blocks n]) as two halves.

    True on CPU for steps of at least SPLIT_MIN_MULTIPLY_ADDS multiply-adds. batch_size: the static batch
    size, or None (then 32, Keras's default batch, is assumed).
    """
    if blocks % 2 or _gpu_visible():
        return False
    return (batch_size or 32) * num_units * blocks * num_units >= SPLIT_MIN_MULTIPLY_ADDS


def _gpu_visible() -> bool:
    return bool(tf.config.list_logical_devices("GPU"))


#: The most units a cell may have: an LSTM of this size already holds 4 n (D + n) >= 268 million weights (1 GB);
#: beyond it a typo (n_units=10**6) would try to allocate terabytes before any error could say so.
MAX_UNITS = 8192


def check_units(value, argument: str) -> int:
    """Validate a unit count: an int in 1..MAX_UNITS (not a bool; NumPy ints are accepted) -> int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value <= 0:
        raise RnnlabError(f"`{argument}` must be a positive int; received {describe(value)}.")
    if value > MAX_UNITS:
        raise RnnlabError(
            f"`{argument}` must be at most {MAX_UNITS} (rnnlab's cap: an LSTM that size already has over 268 "
            f"million weights); received {value}."
        )
    return int(value)


@keras.saving.register_keras_serializable(package="rnnlab")
class RecurrentCell(keras.layers.Layer):
    """Base class: weights, input projection, one step. Subclasses set the class attributes below."""

    kind: str = ""
    blocks: int = 1  # k: the kernel has k * n columns
    record_names: tuple[str, ...] = ()  # what a step reports, in order
    state_names: tuple[str, ...] = ("h",)

    def __init__(
        self,
        num_units,
        activation="tanh",
        bias=True,
        weights_init=None,
        trainable=True,
        restore=True,
        reuse=False,
        name=None,
        **kwargs,
    ):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.num_units = check_units(num_units, "num_units")
        self.activation = activation
        self.activation_fn = activations.get(activation, "activation")
        self.bias = bool(bias)
        self.weights_init = weights_init
        self.kernel_initializer = initializations.get(weights_init)
        self.restore = bool(restore)
        self.reuse = bool(reuse)
        self.input_dim = None

    # ------------------------------------------------------------------ sizes
    @property
    def state_size(self) -> tuple[int, ...]:
        """One entry per state tensor, in ``state_names`` order."""
        return tuple(self.num_units for _ in self.state_names)

    @property
    def output_size(self) -> int:
        return self.num_units

    def zero_state(self, batch_size, dtype="float32"):
        """-> tuple of [B, n] zeros, one per state tensor."""
        return tuple(tf.zeros([batch_size, self.num_units], dtype=dtype) for _ in self.state_names)

    # ------------------------------------------------------------------ weights
    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise RnnlabError(
                f"{type(self).__name__} needs a known input_dim (the last axis of the input); received "
                f"input shape {tuple(input_shape)}."
            )
        self.input_dim = int(input_dim)
        self._build_weights(self.input_dim)

    def _add_kernel(self, name, columns):
        return self.add_weight(
            name=name,
            shape=(self.input_dim + self.num_units, columns),
            initializer=self.kernel_initializer,
            trainable=True,
        )

    def _add_bias(self, name, columns, value=0.0):
        if not self.bias:
            return None
        return self.add_weight(
            name=name,
            shape=(columns,),
            initializer=keras.initializers.Constant(value),
            trainable=True,
        )

    def _build_weights(self, input_dim):
        n, k = self.num_units, self.blocks
        self.matrix = self._add_kernel("Matrix", k * n)
        self.bias_vector = self._add_bias("Bias", k * n)

    def step_weights(self, batch_size=None) -> tuple:
        """-> (input rows [D, k n], recurrent rows [n, k n], bias [k n] or None), sliced once per call.

        batch_size: the static batch size of the call (None when unknown); cells may use it to choose how to
        lay out their matmuls.
        """
        d = self.input_dim
        return (self.matrix[:d], self.matrix[d:], self.bias_vector)

    def _preactivation(self, x_t, h, w_x, w_h, b):
        z = tf.matmul(x_t, w_x) + tf.matmul(h, w_h)  # [B, k n] = [x_t, h] @ Matrix
        # BiasAdd, not a broadcasting add: its gradient is one BiasAddGrad per step (measured 7% faster steps)
        return tf.nn.bias_add(z, b) if b is not None else z

    def step(self, x_t, state, weights, edit=_no_edit):
        """[B, D], state tuple of [B, n], step_weights() -> (output [B, n], new state, records of [B, n])."""
        raise NotImplementedError

    def get_config(self):
        config = super().get_config()
        config.update(
            num_units=self.num_units,
            activation=_serialize_activation(self.activation),
            bias=self.bias,
            weights_init=initializations.serialize(self.weights_init),
            restore=self.restore,
            reuse=self.reuse,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["activation"] = _deserialize_activation(config.get("activation", "tanh"))
        if "inner_activation" in config:
            config["inner_activation"] = _deserialize_activation(config["inner_activation"])
        config["weights_init"] = initializations.deserialize(config.get("weights_init"))
        return cls(**config)


@keras.saving.register_keras_serializable(package="rnnlab")
class BasicRNNCell(RecurrentCell):
    """The vanilla RNN cell: ``h' = act([x_t, h] @ Matrix + Bias)``.

    Input: [B, D] per step. Output and state: [B, num_units].

    Arguments:
        num_units: int, the number of units n.
        activation: name or callable (default 'tanh'; the `simple_rnn` layer defaults to 'sigmoid').
        bias: bool, whether to add a bias.
        weights_init: initializer name, initializer or array for Matrix (default Glorot uniform).
        trainable, restore, reuse: as for the layers.
    """

    kind = "simple_rnn"
    blocks = 1
    record_names = ("pre_activation", "h")

    def step(self, x_t, state, weights, edit=_no_edit):
        (h,) = state
        z = self._preactivation(x_t, h, *weights)  # [B, n]
        z = edit("pre_activation", z)
        h_new = edit("h", self.activation_fn(z))
        return h_new, (h_new,), {"pre_activation": z, "h": h_new}


@keras.saving.register_keras_serializable(package="rnnlab")
class BasicLSTMCell(RecurrentCell):
    """The LSTM cell of TFLearn (no peepholes): gates i, j, f, o in one kernel.

    Input: [B, D] per step. Output: h [B, num_units]. State: (c, h), c first.

    ``c' = c * sig(f + forget_bias) + sig(i) * act(j)``; ``h' = act(c') * sig(o)``.

    Arguments:
        num_units: int, the number of units n.
        forget_bias: float added to the forget gate's pre-activation at run time (not stored in Bias).
        activation: name or callable for the candidate and the cell output (default 'tanh').
        inner_activation: name or callable for the gates (default 'sigmoid').
        bias, weights_init, trainable, restore, reuse: as for the layers.

    References:
        Hochreiter & Schmidhuber, Long Short-Term Memory, Neural Computation 9(8), 1997.
    """

    kind = "lstm"
    blocks = 4
    record_names = ("input", "candidate", "forget", "output", "c", "h")
    state_names = ("c", "h")

    def __init__(
        self,
        num_units,
        forget_bias=1.0,
        activation="tanh",
        inner_activation="sigmoid",
        bias=True,
        weights_init=None,
        trainable=True,
        restore=True,
        reuse=False,
        name=None,
        **kwargs,
    ):
        super().__init__(num_units, activation, bias, weights_init, trainable, restore, reuse, name, **kwargs)
        if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float)):
            raise TypeError(f"`forget_bias` must be a number; received {describe(forget_bias)}.")
        self.forget_bias = float(forget_bias)
        self.inner_activation = inner_activation
        self.inner_activation_fn = activations.get(inner_activation, "inner_activation")

    def step_weights(self, batch_size=None) -> tuple:
        """-> groups of (input rows, recurrent rows, bias with forget_bias folded in), once per call.

        One group [D, 4n], [n, 4n], [4n], or two (gates i, j and gates f, o: [D, 2n], [n, 2n], [2n] each) when
        ``split_gate_matmul`` says two independent matmuls per step are faster.
        """
        w_x, w_h, b = super().step_weights()
        n = self.num_units
        forget = tf.concat([tf.zeros([2 * n]), tf.fill([n], self.forget_bias), tf.zeros([n])], axis=0)
        b = forget if b is None else b + forget  # [4n]: 0, 0, forget_bias, 0
        if not split_gate_matmul(batch_size, n, self.blocks):
            return ((w_x, w_h, b),)
        return tuple(zip(tf.split(w_x, 2, axis=1), tf.split(w_h, 2, axis=1), tf.split(b, 2)))

    def step(self, x_t, state, weights, edit=_no_edit):
        c, h = state
        # [B, 4n] (or two [B, 2n]), forget_bias already in the f block
        z = [self._preactivation(x_t, h, *group) for group in weights]
        # input gate, candidate (TFLearn's j), forget, output
        zi, zj, zf, zo = [block for part in z for block in tf.split(part, 4 // len(z), axis=1)]
        i = edit("input", self.inner_activation_fn(zi))
        j = edit("candidate", self.activation_fn(zj))
        f = edit("forget", self.inner_activation_fn(zf))  # sig(f + forget_bias)
        o = edit("output", self.inner_activation_fn(zo))
        c_new = edit("c", c * f + i * j)
        h_new = edit("h", self.activation_fn(c_new) * o)
        records = {"input": i, "candidate": j, "forget": f, "output": o, "c": c_new, "h": h_new}
        return h_new, (c_new, h_new), records

    def get_config(self):
        config = super().get_config()
        config.update(
            forget_bias=self.forget_bias, inner_activation=_serialize_activation(self.inner_activation)
        )
        return config


@keras.saving.register_keras_serializable(package="rnnlab")
class GRUCell(RecurrentCell):
    """The GRU cell of TFLearn: reset applied to h before the candidate's matmul.

    Input: [B, D] per step. Output and state: h [B, num_units].

    ``r, u = sig([x_t, h] @ Wg + bg)``; ``cand = act([x_t, r * h] @ Wc + bc)``;
    ``h' = u * h + (1 - u) * cand``. The gates bias starts at 1.0 (gates start mostly open).

    Arguments:
        num_units: int, the number of units n.
        activation: name or callable for the candidate (default 'tanh').
        inner_activation: name or callable for the gates (default 'sigmoid').
        bias, weights_init, trainable, restore, reuse: as for the layers.

    References:
        Cho et al., Learning Phrase Representations using RNN Encoder-Decoder, EMNLP 2014.
    """

    kind = "gru"
    blocks = 3
    record_names = ("reset", "update", "candidate", "h")

    def __init__(
        self,
        num_units,
        activation="tanh",
        inner_activation="sigmoid",
        bias=True,
        weights_init=None,
        trainable=True,
        restore=True,
        reuse=False,
        name=None,
        **kwargs,
    ):
        super().__init__(num_units, activation, bias, weights_init, trainable, restore, reuse, name, **kwargs)
        self.inner_activation = inner_activation
        self.inner_activation_fn = activations.get(inner_activation, "inner_activation")

    def _build_weights(self, input_dim):
        n = self.num_units
        self.gates_matrix = self._add_kernel("gates_Matrix", 2 * n)
        self.gates_bias = self._add_bias("gates_Bias", 2 * n, value=1.0)
        self.candidate_matrix = self._add_kernel("candidate_Matrix", n)
        self.candidate_bias = self._add_bias("candidate_Bias", n)

    def step_weights(self, batch_size=None) -> tuple:
        d = self.input_dim
        gates = (self.gates_matrix[:d], self.gates_matrix[d:], self.gates_bias)  # [D, 2n], [n, 2n], [2n]
        cand = (self.candidate_matrix[:d], self.candidate_matrix[d:], self.candidate_bias)  # [D, n], [n, n], [n]
        if not split_gate_matmul(batch_size, self.num_units, 2):
            return (gates,), cand
        halves = (tf.split(w, 2, axis=-1) if w is not None else (None, None) for w in gates)
        return tuple(zip(*halves)), cand  # reset, update: [D, n], [n, n], [n] each

    def step(self, x_t, state, weights, edit=_no_edit):
        (h,) = state
        gates_weights, cand_weights = weights
        # [B, 2n], or reset and update [B, n] each
        g = [self.inner_activation_fn(self._preactivation(x_t, h, *group)) for group in gates_weights]
        r, u = g if len(g) == 2 else tf.split(g[0], 2, axis=1)  # reset first, then update
        r = edit("reset", r)
        u = edit("update", u)
        cand = edit("candidate", self.activation_fn(self._preactivation(x_t, r * h, *cand_weights)))
        h_new = edit("h", u * h + (1.0 - u) * cand)
        return h_new, (h_new,), {"reset": r, "update": u, "candidate": cand, "h": h_new}

    def get_config(self):
        config = super().get_config()
        config.update(inner_activation=_serialize_activation(self.inner_activation))
        return config


CELL_CLASSES = {cls.kind: cls for cls in (BasicRNNCell, BasicLSTMCell, GRUCell)}


def _serialize_activation(activation):
    if isinstance(activation, str):
        return activation
    name = activations.name_of(activation)
    if name is not None:
        return name
    return keras.saving.serialize_keras_object(activation)


def _deserialize_activation(config):
    if isinstance(config, str) or callable(config):
        return config
    return keras.saving.deserialize_keras_object(config)
