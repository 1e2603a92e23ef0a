"""Which computation runs a layer's call: the general time loop, or a faster one when nothing needs the loop.

Paths (``PATHS``), each giving the same outputs, final state and gradients as the general loop:

* ``"general"``: :func:`rnnlab.layers.loop.unroll`, one cell step per time step in a ``tf.while_loop``. The only
  path that records gates and applies interventions, so a call that needs either (hooks, a probe recording the
  loop's own gates, interventions, a probe's gradients) takes it; so do calls on a GPU. A call whose observers
  need only its state sequences (``loop.loop_needed``: a probe that recomputes the gates batched) records just
  those and may take a fast path, as may every unrecorded layer of that probe's pass.
* ``"block_lstm"`` (LSTM with the default tanh / sigmoid activations, float32): TensorFlow's fused LSTM kernel
  ``BlockLSTM`` over the whole sequence. The V1 op takes TFLearn's gate order i, j, f, o and a ``forget_bias``
  (``BlockLSTMV2`` orders them i, f, j, o: checked against the NumPy reference); ``cell_clip=-1`` and no
  peepholes give the plain cell. In dynamic mode it runs over the whole padded sequence (a layer is causal, so
  steps past a sample's length change nothing before it): the state is read at step length - 1 (the initial
  state for length 0) and the outputs past the length are zeroed, exactly what the general loop returns,
  gradients included. Asked to record states, it returns the c and h sequences the op computes, 0 past each
  length, as the general loop records them.
* ``"block_gru"`` (GRU with the default tanh / sigmoid activations, float32): TensorFlow's fused step op
  ``GRUBlockCell`` once per step in a ``tf.while_loop`` (:func:`gru_h_sequence`). Its maths and weight layout are
  TFLearn's GRUCell (gates [D+n, 2n] reset first, candidate [D+n, n], reset applied before the candidate's
  matmul); ``bias=False`` passes zero biases. TensorFlow registers no gradient for the op, so the path brings its
  own (``tf.custom_gradient``, nothing registered globally): ``GRUBlockCellGrad`` once per step backward, the
  weight gradients batched over all steps. Dynamic mode and recorded states (h) as for ``block_lstm``.

Dropout, ``initial_state``, ``return_state`` and ``seq_len`` work on every path (dropout is applied to the whole
input and output sequences outside the loop, see ``Recurrent.run``).

The choice (``choose_path``): on CPU, eager or traced alike (``model.fit``, ``train_on_batch``, ``predict``: one
path for both, so an eager call and ``predict`` give the same numbers), an LSTM or GRU whose step has at most
FUSED_MAX_MULTIPLY_ADDS multiply-adds (batch * (D + n) * k n, k = 4 for the LSTM, 3 for the GRU) takes its fused
path (``FUSED_PATHS``: ``block_lstm``, ``block_gru``); every other call takes ``general``. Measured with

    .venv/bin/python bench/bench_layers.py --optimizer sgd --paths general,block_lstm,block_gru

(ms per ``train_on_batch`` step against Keras's, 2 CPU cores shared with other work, see README "Speed"): at the
classroom size (B32 T30 D1 n16, 35k multiply-adds per step) ``block_lstm`` runs at 0.43-0.53 of Keras's step
against 0.80-0.83 for the general loop; at the standard size (B64 T50 D32 n128, 5.2M) the fused kernel was 1.7-1.9x
slower than the general loop's split matmuls (2.7x in issue 13), so the threshold lies between, at 2^18.
The GRU (``--kinds gru --paths general,block_gru``): at the classroom size (26k multiply-adds) ``block_gru`` ran
at 0.75 / 0.65 of Keras's step (dynamic off / on) against 0.90 / 0.87 for the general loop, 0.80 / 0.75 of the
general loop's time; at the standard size (3.9M) it was 2.4x / 2.1x slower than the general loop.
Measured and rejected: the loop compiled by XLA inside the layer (``tf.function(jit_compile=True)``). Its
``tf.while_loop`` cannot be differentiated across the XLA boundary ("TensorList crossing the XLA/TF boundary"),
and unrolled into the graph its first call compiled for 131 s (loaded machine) while its steps were no faster
than the general loop (GRU 1.03 vs 0.92 of Keras, SimpleRNN 0.93 vs 0.94). A whole model compiled with
``model.compile(jit_compile=True)`` still works with every layer.

On a GPU the general path is kept: no GPU was lent to measure the paths there (issue 13, item 5).
``force_path(name)`` makes every call in its block take ``name`` where that path can run the call (tests use
it); a call that needs the general loop (recording, interventions) takes it whatever is forced.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from dataclasses import dataclass

import tensorflow as tf

from rnnlab.errors import RnnlabError, describe
from rnnlab.layers import activations
from rnnlab.layers.cells import RecurrentCell, _gpu_visible
from rnnlab.layers.loop import Unrolled, unroll

PATHS = ("general", "block_lstm", "block_gru")

#: The fused path of each kind that has one.
FUSED_PATHS = {"lstm": "block_lstm", "gru": "block_gru"}

#: The largest step (batch * (D + n) * k n multiply-adds, CallFacts.multiply_adds) that runs on a fused path.
FUSED_MAX_MULTIPLY_ADDS = 2**18

_forced: contextvars.ContextVar = contextvars.ContextVar("rnnlab_forced_path", default=None)


@contextlib.contextmanager
def force_path(name: str):
    """Inside the block every rnnlab layer call takes path ``name`` (one of PATHS) where that path can run it.

    The choice is made when a call is traced: a model whose training function was traced before the block keeps
    its path (build the model, or call ``model.make_train_function(force=True)``, inside the block).
    """
    if name not in PATHS:
        raise RnnlabError(f"`name` must be one of {', '.join(PATHS)}; received {describe(name)}.")
    token = _forced.set(name)
    try:
        yield name
    finally:
        _forced.reset(token)


@dataclass(frozen=True)
class CallFacts:
    """What the choice of a path depends on, for one call of one cell (sizes None where unknown)."""

    kind: str  # the cell's kind: simple_rnn, lstm, gru
    batch: int | None
    input_dim: int
    units: int
    dtype: str
    observed: bool  # gate records or edits asked for: only the general loop gives them
    gpu: bool
    fused_activations: bool  # tanh / sigmoid: the only activations the fused kernels (BlockLSTM, GRUBlockCell) compute

    @property
    def multiply_adds(self) -> int | None:
        """Multiply-adds of one step's matmuls: batch * (D + n) * k n, or None when the batch is unknown."""
        if self.batch is None:
            return None
        blocks = {"lstm": 4, "gru": 3}.get(self.kind, 1)
        return self.batch * (self.input_dim + self.units) * blocks * self.units


def call_facts(cell: RecurrentCell, x, *, observed: bool) -> CallFacts:
    """cell, input [B, T, D] -> the facts of this call.

    observed: the call needs the general loop (``loop.loop_needed``: gate records or edits). Inside a probe's
    pass a layer left out of ``layers=`` asks the probe like a recorded one, so it gives the same numbers.
    """
    return CallFacts(
        kind=cell.kind,
        batch=x.shape[0],
        input_dim=cell.input_dim,
        units=cell.num_units,
        dtype=x.dtype.name,
        observed=observed,
        gpu=_gpu_visible(),
        fused_activations=cell.activation_fn is activations.get("tanh")
        and getattr(cell, "inner_activation_fn", None) is activations.get("sigmoid"),
    )


def can_run(path: str, facts: CallFacts) -> bool:
    """Whether ``path`` computes this call exactly as the general loop would."""
    if path == "general":
        return True
    if facts.observed:
        return False
    return path == FUSED_PATHS.get(facts.kind) and facts.fused_activations and facts.dtype == "float32"


def choose_path(facts: CallFacts) -> str:
    """CallFacts -> one of PATHS: the forced path where it can run, else the measured choice (module docstring)."""
    forced = _forced.get()
    if forced is not None:
        return forced if can_run(forced, facts) else "general"
    fused = FUSED_PATHS.get(facts.kind)
    if facts.gpu or fused is None or not can_run(fused, facts):
        return "general"
    size = facts.multiply_adds or dataclasses.replace(facts, batch=32).multiply_adds  # unknown batch: 32
    return fused if size <= FUSED_MAX_MULTIPLY_ADDS else "general"


def unroll_on(path: str, cell: RecurrentCell, x, initial_state: tuple, *, lengths=None, keep_outputs=True,
              record=False, edit_at=None):
    """path, cell, [B, T, D], state tuple of [B, n] -> Unrolled, as :func:`unroll` computes it.

    ``record=True`` (every gate) and ``edit_at`` need the general path (``choose_path`` gives it to calls that use
    them); ``record="states"`` (the state sequences only) runs on every path.
    """
    if path == "general":
        return unroll(cell, x, initial_state, lengths=lengths, keep_outputs=keep_outputs, record=record,
                      edit_at=edit_at)
    if record is True or edit_at is not None:
        raise RnnlabError(f"Gate records and interventions need the general path; received `path` {path!r}.")
    if path == "block_lstm":
        return block_lstm(cell, x, initial_state, lengths=lengths, keep_outputs=keep_outputs,
                          record_states=record == "states")
    if path == "block_gru":
        return block_gru(cell, x, initial_state, lengths=lengths, keep_outputs=keep_outputs,
                         record_states=record == "states")
    raise RnnlabError(f"`path` must be one of {', '.join(PATHS)}; received {describe(path)}.")


# ------------------------------------------------------------------------------------------------ block_lstm
def block_lstm(cell, x, initial_state: tuple, *, lengths=None, keep_outputs=True, record_states=False) -> Unrolled:
    """LSTM cell, [B, T, D], (c, h) of [B, n] -> Unrolled: TensorFlow's fused kernel over the whole sequence.

    lengths: [B] int or None; past a sample's length its outputs are 0 and its state the one after step
    length - 1, as in :func:`unroll`. keep_outputs=False: only the final state (outputs None).
    record_states: also records {"c", "h": [B, T, n]}, 0 past each length, as ``unroll(record="states")``.
    """
    c0, h0 = initial_state
    n = cell.num_units
    no_peephole = tf.zeros([n], x.dtype)
    bias = cell.bias_vector if cell.bias_vector is not None else tf.zeros([4 * n], x.dtype)
    x_tm = tf.transpose(x, [1, 0, 2])  # [T, B, D]
    _, c_seq, _, _, _, _, h_seq = tf.raw_ops.BlockLSTM(  # gates i, j, f, o: TFLearn's order (V2 is i, f, j, o)
        seq_len_max=tf.cast(tf.shape(x_tm)[0], tf.int64), x=x_tm, cs_prev=c0, h_prev=h0, w=cell.matrix,
        wci=no_peephole, wcf=no_peephole, wco=no_peephole, b=bias, forget_bias=cell.forget_bias,
        cell_clip=-1.0, use_peephole=False,
    )  # c_seq, h_seq: [T, B, n]
    return fused_unrolled({"c": c_seq, "h": h_seq}, (c0, h0), lengths=lengths, keep_outputs=keep_outputs,
                          record_states=record_states)


def fused_unrolled(state_seqs: dict, initial_state: tuple, *, lengths, keep_outputs, record_states) -> Unrolled:
    """{state name: [T, B, n]} (h last), its initial state tuple of [B, n] -> Unrolled, as :func:`unroll` gives it.

    The kernel ran over the whole padded sequence: with lengths [B], the outputs and records are zeroed past each
    length and the final state is read at step length - 1 (the initial state for length 0).
    """
    h_seq = state_seqs["h"]
    valid = None if lengths is None else tf.sequence_mask(lengths, tf.shape(h_seq)[0])[:, :, None]  # [B, T, 1]

    def batch_major(seq):  # [T, B, n] -> [B, T, n], 0 past each length
        seq = tf.transpose(seq, [1, 0, 2])
        return seq if valid is None else tf.where(valid, seq, tf.zeros_like(seq))

    outputs = batch_major(h_seq) if keep_outputs or record_states else None  # [B, T, n]
    records = {name: outputs if name == "h" else batch_major(seq) for name, seq in state_seqs.items()}
    records = records if record_states else None
    outputs = outputs if keep_outputs else None
    if lengths is None:
        final_state = tuple(seq[-1] for seq in state_seqs.values())
        return Unrolled(outputs=outputs, final_state=final_state, records=records, initial_state=initial_state)
    last_step = tf.stack([tf.maximum(lengths - 1, 0), tf.range(tf.shape(lengths)[0])], axis=1)  # [B, 2]: (t, b)
    started = (lengths > 0)[:, None]  # [B, 1]; length 0: the initial state
    final_state = tuple(tf.where(started, tf.gather_nd(seq, last_step), initial)
                        for seq, initial in zip(state_seqs.values(), initial_state))
    return Unrolled(outputs=outputs, final_state=final_state, records=records, initial_state=initial_state)


# ------------------------------------------------------------------------------------------------ block_gru
def gru_h_sequence(x_tm, h0, w_ru, w_c, b_ru, b_c):
    """[T, B, D], h0 [B, n], gates [D+n, 2n] and [2n], candidate [D+n, n] and [n] -> h [T, B, n].

    TensorFlow's fused ``GRUBlockCell`` once per step: r, u = sigmoid([x, h] W_ru + b_ru) (reset first),
    c = tanh([x, r * h] W_c + b_c), h' = u * h + (1 - u) * c, TFLearn's GRU with its weight layout. TensorFlow
    registers no gradient for the op: the backward loop runs ``GRUBlockCellGrad`` once per step on the gates,
    recomputed from the h sequence in two matmuls over all T * B rows, and the weight gradients are two matmuls
    over all steps (not two per step).
    """

    @tf.custom_gradient
    def run(x_tm, h0, w_ru, w_c, b_ru, b_c):
        time_steps, batch, n = tf.shape(x_tm)[0], tf.shape(x_tm)[1], tf.shape(h0)[1]
        x_ta = tf.TensorArray(x_tm.dtype, size=time_steps).unstack(x_tm)

        def body(t, h, h_ta):
            *_, h_new = tf.raw_ops.GRUBlockCell(x=x_ta.read(t), h_prev=h, w_ru=w_ru, w_c=w_c, b_ru=b_ru, b_c=b_c)
            return t + 1, h_new, h_ta.write(t, h_new)

        h_ta = tf.TensorArray(x_tm.dtype, size=time_steps, element_shape=h0.shape)
        _, _, h_ta = tf.while_loop(lambda t, *_: t < time_steps, body, (tf.constant(0), h0, h_ta),
                                   maximum_iterations=time_steps, parallel_iterations=32)
        h_seq = h_ta.stack()  # [T, B, n]

        def rows(seq):  # [T, B, k] -> [T*B, k]
            return tf.reshape(seq, [time_steps * batch, -1])

        def steps(seq):  # [T*B, n] -> TensorArray of T [B, n]
            return tf.TensorArray(x_tm.dtype, size=time_steps).unstack(tf.reshape(seq, [time_steps, batch, n]))

        def grad(d_h_seq):  # [T, B, n] -> gradients of x_tm, h0, w_ru, w_c, b_ru, b_c
            h_prev = rows(tf.concat([h0[None], h_seq[:-1]], 0))  # [T*B, n]
            x_h = tf.concat([rows(x_tm), h_prev], 1)  # [T*B, D+n]
            r, u = tf.split(tf.sigmoid(x_h @ w_ru + b_ru), 2, axis=1)  # [T*B, n] each
            x_rh = tf.concat([rows(x_tm), r * h_prev], 1)
            step_inputs = [steps(v) for v in (h_prev, r, u, tf.tanh(x_rh @ w_c + b_c), rows(d_h_seq))]

            def back(t, d_h_after, dx_ta, d_c_ta, d_ru_ta):  # d_h_after: d loss / d h_t through step t + 1
                h_t, r_t, u_t, c_t, d_h_t = (ta.read(t) for ta in step_inputs)
                d_x, d_h_prev, d_c_bar, d_ru = tf.raw_ops.GRUBlockCellGrad(
                    x=x_ta.read(t), h_prev=h_t, w_ru=w_ru, w_c=w_c, b_ru=b_ru, b_c=b_c, r=r_t, u=u_t, c=c_t,
                    d_h=d_h_t + d_h_after)
                return t - 1, d_h_prev, dx_ta.write(t, d_x), d_c_ta.write(t, d_c_bar), d_ru_ta.write(t, d_ru)

            tas = tuple(tf.TensorArray(x_tm.dtype, size=time_steps) for _ in range(3))
            _, d_h0, dx_ta, d_c_ta, d_ru_ta = tf.while_loop(
                lambda t, *_: t >= 0, back, (time_steps - 1, tf.zeros_like(h0), *tas),
                maximum_iterations=time_steps, parallel_iterations=32)
            d_c_bar, d_ru = rows(d_c_ta.stack()), rows(d_ru_ta.stack())  # [T*B, n], [T*B, 2n]
            return (dx_ta.stack(), d_h0, tf.matmul(x_h, d_ru, transpose_a=True),
                    tf.matmul(x_rh, d_c_bar, transpose_a=True), tf.reduce_sum(d_ru, 0), tf.reduce_sum(d_c_bar, 0))

        return h_seq, grad

    return run(x_tm, h0, w_ru, w_c, b_ru, b_c)


def block_gru(cell, x, initial_state: tuple, *, lengths=None, keep_outputs=True, record_states=False) -> Unrolled:
    """GRU cell, [B, T, D], (h,) of [B, n] -> Unrolled: :func:`gru_h_sequence` over the whole sequence.

    lengths, keep_outputs, record_states ({"h": [B, T, n]}): as for :func:`block_lstm`.
    """
    (h0,) = initial_state
    n = cell.num_units
    b_ru = cell.gates_bias if cell.gates_bias is not None else tf.zeros([2 * n], x.dtype)
    b_c = cell.candidate_bias if cell.candidate_bias is not None else tf.zeros([n], x.dtype)
    w_ru, w_c = tf.convert_to_tensor(cell.gates_matrix), tf.convert_to_tensor(cell.candidate_matrix)
    b_ru, b_c = tf.convert_to_tensor(b_ru), tf.convert_to_tensor(b_c)
    x_tm = tf.transpose(x, [1, 0, 2])  # [T, B, D]
    h_seq = gru_h_sequence(x_tm, h0, w_ru, w_c, b_ru, b_c)  # [T, B, n]
    return fused_unrolled({"h": h_seq}, (h0,), lengths=lengths, keep_outputs=keep_outputs,
                          record_states=record_states)
