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
* ``"xla"`` (every kind, activations named from rnnlab's registry, float32 / float64, T known when traced): the
  loop compiled by XLA with a backward pass of its own (:mod:`rnnlab.layers.compiled_loop`): one fused program
  per direction instead of a dozen TensorFlow ops per step. Its states, outputs and gradients are the general
  loop's up to float32 rounding (the 1e-5 parity grid runs on it), in dynamic mode too. Asked to record states,
  it returns the state sequences, 0 past each length.

Dropout, ``initial_state``, ``return_state`` and ``seq_len`` work on every path (dropout is applied to the whole
input and output sequences outside the loop, see ``Recurrent.run``).

The choice (``choose_path``), on CPU: an LSTM whose step has at most BLOCK_LSTM_MAX_MULTIPLY_ADDS multiply-adds
(batch * (D + n) * 4n) takes ``block_lstm``, eager or traced alike (``model.fit``, ``train_on_batch``,
``predict``); a GRU or SimpleRNN *training* call (``training=True``: ``fit``, ``train_on_batch``) of at most
XLA_MAX_MULTIPLY_ADDS takes ``xla``; every other call takes ``general``. Inference calls of a GRU or SimpleRNN keep
the general loop because XLA compiles once per input shape (0.3 s for a classroom GRU, shared by every cell of a
kind), which a training run pays back within its first epoch but a probe or a ``predict`` of a few batches would
not; so a training call and an inference call of the same small GRU can differ in the last float32 bits. For the
same reason a kind's compiled loop takes at most ``compiled_loop.MAX_SHAPES`` (8) input shapes: further shapes keep
the general loop (an eager training loop whose every batch has another length would otherwise compile each time).
Measured with

    .venv/bin/python bench/bench_layers.py --optimizer sgd --paths general,block_lstm,xla

(ms per ``train_on_batch`` step against Keras's, 2 CPU cores shared with other work, see README "Speed"): at the
classroom size (B32 T30 D1 n16, 35k multiply-adds per step for an LSTM) ``block_lstm`` runs at 0.37-0.44 of
Keras's step against 0.80-0.83 for the general loop, and ``xla`` runs a GRU at 0.43-0.48 (general 0.86-0.92) and a
SimpleRNN at 0.53-0.65 (0.80-0.90); ``xla`` takes an LSTM only to 0.54-0.65, so the fused kernel stays. Between
the sizes (B32 T30, 2 trials x 12 rounds): an LSTM with D16 n96 (1.38M) ran at 0.59 / 0.48 of Keras's step fused
against 0.98 / 0.95 on the general loop (dynamic off / on), with D32 n128 (2.6M) at 1.74 / 1.49 fused against 1.05 /
1.00; a GRU with D16 n96 (1.03M) at 0.70 / 0.58 on ``xla`` against 0.86 / 0.79, with D32 n128 (1.97M) at 0.86 / 0.74
against 0.79 / 0.74. At the standard size (B64 T50 D32 n128, 5.2M) the fused kernel was 1.7-1.9x slower than the
general loop's split matmuls (2.7x in issue 13) and ``xla`` 1.0-1.6x slower; a SimpleRNN there (1.3M) 1.1-1.4x.
Hence the thresholds: 1.57M for the fused kernel, 1.05M for ``xla``.
The loop compiled by XLA *without* a backward pass of its own was measured and rejected: TensorFlow cannot
differentiate its ``tf.while_loop`` across the XLA boundary ("TensorList crossing the XLA/TF boundary"), and
unrolled into the graph its first call compiled for 131 s. A whole model compiled with
``model.compile(jit_compile=True)`` still works with every layer.

Inside a function XLA compiles (``model.compile(jit_compile=True)``) the fused kernel cannot run (XLA has no
BlockLSTM kernel): such a call takes the next choice (``in_xla_context``).

On a GPU the general path is kept: no GPU was lent to measure the paths there (issue 13, item 5).
``force_path(name)`` makes every call in its block take ``name`` where that path can run the call (tests use
it); a call that needs the general loop (recording, interventions) takes it whatever is forced.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass

import tensorflow as tf

from rnnlab.errors import RnnlabError, describe
from rnnlab.layers import activations
from rnnlab.layers.cells import CELL_CLASSES, RecurrentCell, _gpu_visible
from rnnlab.layers import compiled_loop
from rnnlab.layers.compiled_loop import xla_unroll
from rnnlab.layers.loop import Unrolled, batch_major, unroll

PATHS = ("general", "block_lstm", "xla")

#: The largest step (batch * (D + n) * 4n multiply-adds) that runs as the fused BlockLSTM kernel: 1.57 million.
BLOCK_LSTM_MAX_MULTIPLY_ADDS = 3 * 2**19
#: The largest step (batch * (D + n) * k n multiply-adds, k = 3 GRU, 1 SimpleRNN) of a training call on the xla
#: path: 1.05 million.
XLA_MAX_MULTIPLY_ADDS = 2**20

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
    fused_lstm_activations: bool  # an LSTM with tanh / sigmoid, the only activations BlockLSTM computes
    time_steps: int | None = None  # T, None where unknown when the call is traced
    training: bool = False  # a training call: gradients follow, so a compiled path pays back its compile time
    named_activations: bool = True  # activations from rnnlab's registry (XLA compiles those; a callable may not)
    in_xla: bool = False  # traced inside an XLA-compiled function (model.compile(jit_compile=True)): no BlockLSTM
    own_cell: bool = True  # one of rnnlab's three cell classes, not a subclass (the compiled loop rebuilds it)
    xla_room: bool = True  # the compiled loop has this shape already, or room for one more (compiled_loop.MAX_SHAPES)

    @property
    def multiply_adds(self) -> int:
        """Multiply-adds of one step's matmuls: batch * (D + n) * k n (k: the cell's blocks; an unknown batch
        counts as 32, Keras's default batch)."""
        return (self.batch or 32) * (self.input_dim + self.units) * CELL_CLASSES[self.kind].blocks * self.units


def call_facts(cell: RecurrentCell, x, *, observed: bool, training=False) -> CallFacts:
    """cell, input [B, T, D] -> the facts of this call.

    observed: the call needs the general loop (``loop.loop_needed``: gate records or edits). Inside a probe's
    pass a layer left out of ``layers=`` asks the probe like a recorded one, so it gives the same numbers.
    training: the call's ``training`` argument.
    """
    return CallFacts(
        kind=cell.kind,
        batch=x.shape[0],
        input_dim=cell.input_dim,
        units=cell.num_units,
        dtype=x.dtype.name,
        observed=observed,
        gpu=_gpu_visible(),
        fused_lstm_activations=cell.kind == "lstm"
        and cell.activation_fn is activations.get("tanh")
        and cell.inner_activation_fn is activations.get("sigmoid"),
        time_steps=x.shape[1],
        training=bool(training),
        named_activations=all(activations.name_of(getattr(cell, attribute)) is not None
                              for attribute in ("activation", "inner_activation") if hasattr(cell, attribute)),
        in_xla=in_xla_context(),
        own_cell=type(cell) in CELL_CLASSES.values(),
        xla_room=type(cell) not in CELL_CLASSES.values() or compiled_loop.has_room_for(cell, x),
    )


def in_xla_context() -> bool:
    """Whether the call is being traced into an XLA-compiled function (``tf.function(jit_compile=True)``, as
    ``model.compile(jit_compile=True)`` makes): XLA has no kernel for BlockLSTM. TensorFlow says so only through
    a private helper; without it, False."""
    try:
        from tensorflow.python.ops import control_flow_util
    except ImportError:  # pragma: no cover - a TensorFlow without the helper
        return False
    return not tf.executing_eagerly() and bool(
        control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph()))


def can_run(path: str, facts: CallFacts) -> bool:
    """Whether ``path`` computes this call exactly as the general loop would."""
    if path == "general":
        return True
    if facts.observed:
        return False
    if path == "xla":
        return (bool(facts.time_steps) and facts.own_cell and facts.named_activations
                and facts.dtype in ("float32", "float64"))
    return (path == "block_lstm" and facts.fused_lstm_activations and facts.dtype == "float32"
            and not facts.in_xla)


def choose_path(facts: CallFacts) -> str:
    """CallFacts -> one of PATHS: the forced path where it can run, else the measured choice (module docstring)."""
    forced = _forced.get()
    if forced is not None:
        return forced if can_run(forced, facts) else "general"
    if facts.gpu:
        return "general"
    if can_run("block_lstm", facts) and facts.multiply_adds <= BLOCK_LSTM_MAX_MULTIPLY_ADDS:
        return "block_lstm"
    if (facts.training and facts.kind != "lstm" and can_run("xla", facts) and facts.xla_room
            and facts.multiply_adds <= XLA_MAX_MULTIPLY_ADDS):
        return "xla"
    return "general"


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
    if path == "xla":
        return xla_unroll(cell, x, initial_state, lengths=lengths, keep_outputs=keep_outputs,
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
    outputs = batch_major(h_seq, lengths) if keep_outputs or record_states else None  # [B, T, n]
    records = {"c": batch_major(c_seq, lengths), "h": outputs} if record_states else None
    outputs = outputs if keep_outputs else None
    if lengths is None:
        return Unrolled(outputs=outputs, final_state=(c_seq[-1], h_seq[-1]), records=records, initial_state=(c0, h0))
    last_step = tf.stack([tf.maximum(lengths - 1, 0), tf.range(tf.shape(lengths)[0])], axis=1)  # [B, 2]: (t, b)
    started = (lengths > 0)[:, None]  # [B, 1]; length 0: the initial state

    def state_at_last_step(seq, initial):  # [T, B, n] -> [B, n] at step length - 1
        return tf.where(started, tf.gather_nd(seq, last_step), initial)

    final_state = (state_at_last_step(c_seq, c0), state_at_last_step(h_seq, h0))
    return Unrolled(outputs=outputs, final_state=final_state, records=records, initial_state=(c0, h0))
