"""An independent NumPy (float64) reference for rnnlab's recurrent layers.

Written from SPEC.md (the shared layer specification) alone (not from rnnlab/layers/cells.py or
rnnlab/layers/loop.py), so that tests/test_layer_parity.py compares two
implementations of the spec rather than one implementation with itself.
It reads top to bottom:

1. activations by name,
2. weights in TFLearn layout (one parser per layer kind, fed the
   ``get_weights()`` list),
3. one step of each cell,
4. the time loop (static and dynamic mode),
5. the layers: simple_rnn, lstm, gru, bidirectional_rnn.

Shapes: x is [B, T, D] (batch, time, input_dim); n is the number of units.
States are tuples internally: LSTM ``(c, h)``, GRU / SimpleRNN ``(h,)``; the
public functions return them the way rnnlab does (LSTM pair, else ``h``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

Array = np.ndarray

# ----------------------------------------------------------------- activations

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
LEAKY_RELU_ALPHA = 0.1


def linear(x: Array) -> Array:
    return x


def tanh(x: Array) -> Array:
    return np.tanh(x)


def sigmoid(x: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x: Array) -> Array:
    """Over the last axis (the units)."""
    shifted = x - x.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def softplus(x: Array) -> Array:
    return np.logaddexp(0.0, x)


def softsign(x: Array) -> Array:
    return x / (1.0 + np.abs(x))


def relu(x: Array) -> Array:
    return np.maximum(x, 0.0)


def relu6(x: Array) -> Array:
    return np.clip(x, 0.0, 6.0)


def leaky_relu(x: Array) -> Array:
    return np.where(x > 0, x, LEAKY_RELU_ALPHA * x)


def prelu(x: Array) -> Array:
    """PReLU at its initial state.

    The slope for negative inputs starts at 0 (Keras ``PReLU`` initialises alpha
    to zeros, as does TFLearn's ``prelu``), so a fresh PReLU equals ReLU.
    """
    return relu(x)


def elu(x: Array) -> Array:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


def selu(x: Array) -> Array:
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))


def hard_sigmoid(x: Array) -> Array:
    """TFLearn's piecewise-linear sigmoid: clip(0.2 x + 0.5, 0, 1).

    (Keras 3's own ``hard_sigmoid`` is relu6(x + 3) / 6, slope 1/6: different.)
    """
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def gelu(x: Array) -> Array:
    """GELU, tanh approximation."""
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "linear": linear,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "softmax": softmax,
    "softplus": softplus,
    "softsign": softsign,
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "leakyrelu": leaky_relu,
    "prelu": prelu,
    "elu": elu,
    "selu": selu,
    "hard_sigmoid": hard_sigmoid,
    "gelu": gelu,
}


def get_activation(activation: str | Callable[[Array], Array]) -> Callable[[Array], Array]:
    """A name (tried as given, then lower-cased) or a NumPy callable -> NumPy function."""
    if callable(activation):
        return activation
    if activation in ACTIVATIONS:
        return ACTIVATIONS[activation]
    if activation.lower() in ACTIVATIONS:
        return ACTIVATIONS[activation.lower()]
    raise ValueError(f"activation: unknown name {activation!r}")


# ------------------------------------------------ weights in TFLearn layout


def _as64(a) -> Array:
    return np.asarray(a, dtype=np.float64)


def _check_count(kind: str, weights: Sequence[Array], expected: int) -> None:
    if len(weights) != expected:
        raise ValueError(
            f"{kind} weights: expected {expected} arrays in TFLearn order, got {len(weights)} "
            f"with shapes {[np.shape(w) for w in weights]}"
        )


def _check_kernel(kind: str, name: str, matrix: Array, cols: int) -> int:
    """Checks a [D + n, cols] kernel; returns its number of rows."""
    if matrix.ndim != 2 or matrix.shape[1] != cols:
        raise ValueError(f"{kind} {name}: expected shape [input_dim + n, {cols}], got {matrix.shape}")
    return matrix.shape[0]


def _check_bias(kind: str, name: str, bias: Array, cols: int) -> None:
    if bias.shape != (cols,):
        raise ValueError(f"{kind} {name}: expected shape [{cols}], got {bias.shape}")


@dataclass(frozen=True)
class SimpleRNNWeights:
    matrix: Array  # [D + n, n]
    bias: Array  # [n] (zeros when the layer has no bias)


@dataclass(frozen=True)
class LSTMWeights:
    matrix: Array  # [D + n, 4n], column blocks i, j, f, o
    bias: Array  # [4n]


@dataclass(frozen=True)
class GRUWeights:
    gates_matrix: Array  # [D + n, 2n], column blocks r, u
    gates_bias: Array  # [2n]
    candidate_matrix: Array  # [D + n, n]
    candidate_bias: Array  # [n]


def simple_rnn_weights(weights: Sequence[Array], n_units: int, bias: bool = True) -> SimpleRNNWeights:
    """get_weights() of a SimpleRNN / BasicRNNCell: [Matrix, Bias] (or [Matrix])."""
    _check_count("SimpleRNN", weights, 2 if bias else 1)
    matrix = _as64(weights[0])
    _check_kernel("SimpleRNN", "Matrix", matrix, n_units)
    b = _as64(weights[1]) if bias else np.zeros(n_units)
    _check_bias("SimpleRNN", "Bias", b, n_units)
    return SimpleRNNWeights(matrix, b)


def lstm_weights(weights: Sequence[Array], n_units: int, bias: bool = True) -> LSTMWeights:
    """get_weights() of an LSTM / BasicLSTMCell: [Matrix, Bias] (or [Matrix])."""
    _check_count("LSTM", weights, 2 if bias else 1)
    matrix = _as64(weights[0])
    _check_kernel("LSTM", "Matrix", matrix, 4 * n_units)
    b = _as64(weights[1]) if bias else np.zeros(4 * n_units)
    _check_bias("LSTM", "Bias", b, 4 * n_units)
    return LSTMWeights(matrix, b)


def gru_weights(weights: Sequence[Array], n_units: int, bias: bool = True) -> GRUWeights:
    """get_weights() of a GRU / GRUCell:
    [gates Matrix, gates Bias, candidate Matrix, candidate Bias]
    (or [gates Matrix, candidate Matrix] without bias)."""
    _check_count("GRU", weights, 4 if bias else 2)
    if bias:
        gm, gb, cm, cb = (_as64(w) for w in weights)
    else:
        gm, cm = (_as64(w) for w in weights)
        gb, cb = np.zeros(2 * n_units), np.zeros(n_units)
    rows = _check_kernel("GRU", "gates Matrix", gm, 2 * n_units)
    _check_bias("GRU", "gates Bias", gb, 2 * n_units)
    if _check_kernel("GRU", "candidate Matrix", cm, n_units) != rows:
        raise ValueError(f"GRU: gates Matrix has {rows} rows, candidate Matrix {cm.shape[0]}")
    _check_bias("GRU", "candidate Bias", cb, n_units)
    return GRUWeights(gm, gb, cm, cb)


# ------------------------------------------------------------------- cells


class SimpleRNNCell:
    """h' = act([x, h] @ Matrix + Bias). Output and state are h'."""

    n_state_parts = 1

    def __init__(self, weights: Sequence[Array], n_units: int, activation="tanh", bias: bool = True):
        self.n_units = n_units
        self.w = simple_rnn_weights(weights, n_units, bias)
        self.act = get_activation(activation)

    def step(self, x_t: Array, state: tuple[Array, ...]) -> tuple[Array, tuple[Array, ...]]:
        (h,) = state
        z = np.concatenate([x_t, h], axis=1) @ self.w.matrix + self.w.bias  # [B, n]
        h_new = self.act(z)
        return h_new, (h_new,)


class LSTMCell:
    """TFLearn BasicLSTMCell: blocks i, j, f, o; forget_bias added at run time; state (c, h)."""

    n_state_parts = 2

    def __init__(
        self,
        weights: Sequence[Array],
        n_units: int,
        activation="tanh",
        inner_activation="sigmoid",
        forget_bias: float = 1.0,
        bias: bool = True,
    ):
        self.n_units = n_units
        self.w = lstm_weights(weights, n_units, bias)
        self.act = get_activation(activation)
        self.sig = get_activation(inner_activation)
        self.forget_bias = float(forget_bias)

    def step(self, x_t: Array, state: tuple[Array, ...]) -> tuple[Array, tuple[Array, ...]]:
        c, h = state
        n = self.n_units
        z = np.concatenate([x_t, h], axis=1) @ self.w.matrix + self.w.bias  # [B, 4n]
        i = z[:, 0 * n : 1 * n]  # input gate
        j = z[:, 1 * n : 2 * n]  # candidate
        f = z[:, 2 * n : 3 * n]  # forget gate
        o = z[:, 3 * n : 4 * n]  # output gate
        c_new = c * self.sig(f + self.forget_bias) + self.sig(i) * self.act(j)
        h_new = self.act(c_new) * self.sig(o)
        return h_new, (c_new, h_new)


class GRUCell:
    """TFLearn GRUCell: gates r, u (reset first); reset applied to h before the candidate matmul."""

    n_state_parts = 1

    def __init__(
        self,
        weights: Sequence[Array],
        n_units: int,
        activation="tanh",
        inner_activation="sigmoid",
        bias: bool = True,
    ):
        self.n_units = n_units
        self.w = gru_weights(weights, n_units, bias)
        self.act = get_activation(activation)
        self.sig = get_activation(inner_activation)

    def step(self, x_t: Array, state: tuple[Array, ...]) -> tuple[Array, tuple[Array, ...]]:
        (h,) = state
        n = self.n_units
        gates = self.sig(np.concatenate([x_t, h], axis=1) @ self.w.gates_matrix + self.w.gates_bias)
        r = gates[:, :n]  # reset gate
        u = gates[:, n:]  # update gate
        cand = self.act(np.concatenate([x_t, r * h], axis=1) @ self.w.candidate_matrix + self.w.candidate_bias)
        h_new = u * h + (1.0 - u) * cand
        return h_new, (h_new,)


Cell = SimpleRNNCell | LSTMCell | GRUCell


# --------------------------------------------------------------- time loop


def tflearn_lengths(x: Array) -> Array:
    """[B, T, D] -> [B]: the number of steps whose feature vector is not all zero (TFLearn's count)."""
    return np.sign(np.abs(x).max(axis=2)).sum(axis=1).astype(np.int64)


def _state_tuple(cell: Cell, initial_state, batch: int) -> tuple[Array, ...]:
    """rnnlab's state form (LSTM pair (c, h), else h) -> internal tuple; None -> zeros."""
    n = cell.n_units
    if initial_state is None:
        return tuple(np.zeros((batch, n)) for _ in range(cell.n_state_parts))
    if cell.n_state_parts == 2:
        c, h = initial_state
        return (_as64(c), _as64(h))
    return (_as64(initial_state),)


def _public_state(cell: Cell, state: tuple[Array, ...]):
    return state if cell.n_state_parts == 2 else state[0]


@dataclass(frozen=True)
class LoopResult:
    outputs: Array  # [B, T, n]; zero at t >= length in dynamic mode
    state: tuple[Array, ...]  # final state (after step length-1 in dynamic mode)
    lengths: Array | None  # [B] in dynamic mode, else None


def run_loop(cell: Cell, x: Array, initial_state=None, dynamic: bool = False, seq_len=None) -> LoopResult:
    """[B, T, D] -> outputs [B, T, n] and the final state.

    Dynamic mode: steps t < length are computed as usual; for t >= length the
    output is 0 and the state is carried unchanged. length is ``seq_len`` when
    given, else TFLearn's count of non-all-zero steps.
    """
    x = _as64(x)
    batch, time_steps, _ = x.shape
    state = _state_tuple(cell, initial_state, batch)
    lengths = None
    if dynamic:
        lengths = tflearn_lengths(x) if seq_len is None else np.asarray(seq_len, dtype=np.int64)
    outputs = np.zeros((batch, time_steps, cell.n_units))
    for t in range(time_steps):
        out, new_state = cell.step(x[:, t, :], state)
        if dynamic:
            valid = (t < lengths)[:, None]  # [B, 1]
            out = np.where(valid, out, 0.0)
            new_state = tuple(np.where(valid, s_new, s_old) for s_new, s_old in zip(new_state, state))
        outputs[:, t, :] = out
        state = new_state
    return LoopResult(outputs, state, lengths)


def last_output(outputs: Array, lengths: Array | None) -> Array:
    """[B, T, n] -> [B, n]: step length-1 in dynamic mode (zeros for length 0), else the last step."""
    if lengths is None:
        return outputs[:, -1, :]
    batch = outputs.shape[0]
    picked = outputs[np.arange(batch), np.maximum(lengths - 1, 0), :]
    return np.where((lengths > 0)[:, None], picked, 0.0)


def _finish(cell: Cell, result: LoopResult, return_seq: bool, return_state: bool):
    output = result.outputs if return_seq else last_output(result.outputs, result.lengths)
    if return_state:
        return output, _public_state(cell, result.state)
    return output


# ------------------------------------------------------------------ layers


def simple_rnn(
    x: Array,
    weights: Sequence[Array],
    n_units: int,
    activation="sigmoid",
    bias: bool = True,
    return_seq: bool = False,
    return_state: bool = False,
    initial_state=None,
    dynamic: bool = False,
    seq_len=None,
):
    """[B, T, D] -> [B, T, n] (return_seq) or [B, n]; with return_state also h [B, n]."""
    cell = SimpleRNNCell(weights, n_units, activation, bias)
    return _finish(cell, run_loop(cell, x, initial_state, dynamic, seq_len), return_seq, return_state)


def lstm(
    x: Array,
    weights: Sequence[Array],
    n_units: int,
    activation="tanh",
    inner_activation="sigmoid",
    bias: bool = True,
    forget_bias: float = 1.0,
    return_seq: bool = False,
    return_state: bool = False,
    initial_state=None,
    dynamic: bool = False,
    seq_len=None,
):
    """[B, T, D] -> [B, T, n] (return_seq) or [B, n]; with return_state also (c, h)."""
    cell = LSTMCell(weights, n_units, activation, inner_activation, forget_bias, bias)
    return _finish(cell, run_loop(cell, x, initial_state, dynamic, seq_len), return_seq, return_state)


def gru(
    x: Array,
    weights: Sequence[Array],
    n_units: int,
    activation="tanh",
    inner_activation="sigmoid",
    bias: bool = True,
    return_seq: bool = False,
    return_state: bool = False,
    initial_state=None,
    dynamic: bool = False,
    seq_len=None,
):
    """[B, T, D] -> [B, T, n] (return_seq) or [B, n]; with return_state also h [B, n]."""
    cell = GRUCell(weights, n_units, activation, inner_activation, bias)
    return _finish(cell, run_loop(cell, x, initial_state, dynamic, seq_len), return_seq, return_state)


def reverse_sequence(x: Array, lengths: Array | None) -> Array:
    """[B, T, ...] -> same: the first lengths[b] steps of row b reversed (all steps when lengths is None)."""
    if lengths is None:
        return x[:, ::-1].copy()
    out = x.copy()
    for b, length in enumerate(lengths):
        out[b, :length] = x[b, :length][::-1]
    return out


def bidirectional_rnn(
    x: Array,
    cell_fw: Cell,
    cell_bw: Cell,
    return_seq: bool = False,
    return_states: bool = False,
    initial_state_fw=None,
    initial_state_bw=None,
    dynamic: bool = False,
    seq_len=None,
):
    """[B, T, D] -> [B, T, 2n] (return_seq) or [B, 2n]; forward half first.

    The backward cell reads x reversed in time (dynamic: only the first
    ``length`` steps of each row); its outputs are put back in time order.
    return_seq=False picks step length-1 (dynamic) or the last step, so the
    backward half there has seen only that one step. With return_states also
    (state_fw, state_bw); state_bw is the backward state after reading step 0.
    """
    x = _as64(x)
    fw = run_loop(cell_fw, x, initial_state_fw, dynamic, seq_len)
    lengths = fw.lengths
    bw = run_loop(cell_bw, reverse_sequence(x, lengths), initial_state_bw, dynamic, lengths)
    bw_outputs = reverse_sequence(bw.outputs, lengths)  # back in original time order
    outputs = np.concatenate([fw.outputs, bw_outputs], axis=2)  # [B, T, 2n]
    output = outputs if return_seq else last_output(outputs, lengths)
    if return_states:
        return output, _public_state(cell_fw, fw.state), _public_state(cell_bw, bw.state)
    return output


# ------------------------------------------------ per-step gates (for probes)
#
# The same cells, one step at a time, returning every gate and state the way
# rnnlab's probes name them (DESIGN.md "Names"), each [B, n]:
#   SimpleRNN: pre_activation z, h
#   LSTM:      input sig(i), candidate act(j), forget sig(f + forget_bias)
#              (the value actually multiplied into c), output sig(o), c, h
#   GRU:       reset r, update u, candidate, h
# ``edit(t, name, value) -> value`` (interventions) replaces a quantity as soon
# as it is computed, so everything after it in that step uses the new value;
# t counts steps in the cell's reading order. These functions leave the
# classes above untouched.

Edit = Callable[[int, str, Array], Array]

RECORD_NAMES = {
    "simple_rnn": ("pre_activation", "h"),
    "lstm": ("input", "candidate", "forget", "output", "c", "h"),
    "gru": ("reset", "update", "candidate", "h"),
}


def cell_kind(cell: Cell) -> str:
    if isinstance(cell, LSTMCell):
        return "lstm"
    if isinstance(cell, GRUCell):
        return "gru"
    return "simple_rnn"


def _keep(t: int, name: str, value: Array) -> Array:
    return value


def step_records(cell: Cell, x_t: Array, state: tuple[Array, ...], t: int = 0, edit: Edit | None = None):
    """[B, D], state tuple -> (output [B, n], new state tuple, records: name -> [B, n])."""
    edit = edit or _keep
    if isinstance(cell, LSTMCell):
        c, h = state
        n = cell.n_units
        z = np.concatenate([x_t, h], axis=1) @ cell.w.matrix + cell.w.bias  # [B, 4n] blocks i, j, f, o
        i = edit(t, "input", cell.sig(z[:, 0 * n : 1 * n]))
        j = edit(t, "candidate", cell.act(z[:, 1 * n : 2 * n]))
        f = edit(t, "forget", cell.sig(z[:, 2 * n : 3 * n] + cell.forget_bias))
        o = edit(t, "output", cell.sig(z[:, 3 * n : 4 * n]))
        c_new = edit(t, "c", c * f + i * j)
        h_new = edit(t, "h", cell.act(c_new) * o)
        records = {"input": i, "candidate": j, "forget": f, "output": o, "c": c_new, "h": h_new}
        return h_new, (c_new, h_new), records
    if isinstance(cell, GRUCell):
        (h,) = state
        n = cell.n_units
        gates = cell.sig(np.concatenate([x_t, h], axis=1) @ cell.w.gates_matrix + cell.w.gates_bias)
        r = edit(t, "reset", gates[:, :n])
        u = edit(t, "update", gates[:, n:])
        cand = edit(t, "candidate", cell.act(
            np.concatenate([x_t, r * h], axis=1) @ cell.w.candidate_matrix + cell.w.candidate_bias))
        h_new = edit(t, "h", u * h + (1.0 - u) * cand)
        return h_new, (h_new,), {"reset": r, "update": u, "candidate": cand, "h": h_new}
    (h,) = state
    z = edit(t, "pre_activation", np.concatenate([x_t, h], axis=1) @ cell.w.matrix + cell.w.bias)
    h_new = edit(t, "h", cell.act(z))
    return h_new, (h_new,), {"pre_activation": z, "h": h_new}


@dataclass(frozen=True)
class RecordedLoop:
    outputs: Array  # [B, T, n]; zero at t >= length in dynamic mode
    state: tuple[Array, ...]  # final state (after step length-1 in dynamic mode)
    lengths: Array | None  # [B] in dynamic mode, else None
    records: dict  # name -> [B, T, n]; zero at t >= length (the probe convention)


def run_loop_records(cell: Cell, x: Array, initial_state=None, dynamic: bool = False, seq_len=None,
                     edit: Edit | None = None) -> RecordedLoop:
    """[B, T, D] -> run_loop's result plus every gate and state of every step (see step_records)."""
    x = _as64(x)
    batch, time_steps, _ = x.shape
    state = _state_tuple(cell, initial_state, batch)
    lengths = None
    if dynamic or seq_len is not None:
        lengths = tflearn_lengths(x) if seq_len is None else np.asarray(seq_len, dtype=np.int64)
    outputs = np.zeros((batch, time_steps, cell.n_units))
    records = {name: np.zeros((batch, time_steps, cell.n_units)) for name in RECORD_NAMES[cell_kind(cell)]}
    for t in range(time_steps):
        out, new_state, step = step_records(cell, x[:, t, :], state, t, edit)
        if lengths is not None:
            valid = (t < lengths)[:, None]  # [B, 1]
            out = np.where(valid, out, 0.0)
            new_state = tuple(np.where(valid, s_new, s_old) for s_new, s_old in zip(new_state, state))
            step = {k: np.where(valid, v, 0.0) for k, v in step.items()}
        outputs[:, t, :] = out
        for k, v in step.items():
            records[k][:, t, :] = v
        state = new_state
    return RecordedLoop(outputs, state, lengths, records)


def bidirectional_records(x: Array, cell_fw: Cell, cell_bw: Cell, dynamic: bool = False, seq_len=None,
                          edit_fw: Edit | None = None, edit_bw: Edit | None = None):
    """[B, T, D] -> (fw RecordedLoop, bw RecordedLoop with outputs and records back in original time order).

    The bw state is the backward cell's state after reading step 0; edit_bw counts steps in the backward
    cell's reading order.
    """
    x = _as64(x)
    fw = run_loop_records(cell_fw, x, None, dynamic, seq_len, edit_fw)
    lengths = fw.lengths
    bw = run_loop_records(cell_bw, reverse_sequence(x, lengths), None, dynamic, lengths, edit_bw)
    bw = RecordedLoop(
        reverse_sequence(bw.outputs, lengths), bw.state, lengths,
        {k: reverse_sequence(v, lengths) for k, v in bw.records.items()},
    )
    return fw, bw


def intervention_edit(quantity: str, value: float, units=None, from_step: int = 0) -> Edit:
    """-> an Edit setting ``quantity`` of ``units`` (None: all) to ``value`` at every step t >= from_step."""

    def edit(t: int, name: str, current: Array) -> Array:
        if name != quantity or t < from_step:
            return current
        out = current.copy()
        if units is None:
            out[:] = value
        else:
            out[:, list(units)] = value
        return out

    return edit
