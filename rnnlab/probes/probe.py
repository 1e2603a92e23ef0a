"""See inside recurrent layers: every gate and state at every step, gradients through time, hooks, interventions.

    trace = rnnlab.probe(model, x, y)                   # one forward pass (and backward, with y)
    trace.get("LSTM", "forget")                         # [B, T, n], the value used: sig(f + forget_bias)
    trace.layers["LSTM"].grad_norm                      # [B, T], ||dL/dh_t||
    trace.to_frame()                                    # long DataFrame

    with rnnlab.add_hook(model, lambda rec: print(rec.layer, rec.quantities["h"].shape), every=10):
        model.fit(...)                                  # the hook sees NumPy records during training

    rnnlab.probe(model, x, interventions=[rnnlab.Intervention("LSTM", "forget", 1.0, from_step=5)])

Quantities, named as in DESIGN.md, each [B, T, n]: LSTM input, candidate, forget, output, c, h;
GRU reset, update, candidate, h; SimpleRNN pre_activation, h. Steps past a sample's length are 0 there
(``valid`` says which steps count). A bidirectional layer reports its two directions as 'NAME/fw' and
'NAME/bw', the backward one in original time order.
"""
from __future__ import annotations

import collections
import weakref

import keras
import numpy as np
import tensorflow as tf

from rnnlab.errors import RnnlabError, describe
from rnnlab.layers.bidirectional import BiRNN
from rnnlab.layers.loop import active_observers, compose_edits, observing
from rnnlab.layers.recurrent import Recurrent
from rnnlab.probes.gate_recompute import (
    PATHS,
    loop_start_state,
    prefer_batched,
    recompute_gates,
)
from rnnlab.probes.interventions import check_interventions
from rnnlab.probes.selection import (
    call_name,
    cells_of,
    recurrent_layers,
    select_layers,
    trace_name,
)
from rnnlab.probes.trace import QUANTITIES, LayerTrace, Trace


class _ProbeSession:
    """The observer behind :func:`probe`: records the chosen layers, applies interventions, injects the
    zero perturbations whose gradients are ||dL/dh_t||."""

    def __init__(self, targets, interventions, with_gradients, path="auto"):
        self.targets = targets
        self.interventions = interventions
        self.with_gradients = with_gradients
        self.path = path
        self.records: dict[str, tuple] = {}
        self.perturbations: dict[str, tf.Tensor] = {}
        self.calls: dict[str, int] = {}  # trace name -> calls recorded so far in this pass

    def wants(self, layer) -> bool:  # recorded layers, and layers with an intervention (maybe not recorded)
        return layer in self.targets or any(iv.layer == layer.name for iv in self.interventions)

    def edit_at(self, layer, direction):
        factories = []
        for cell_direction, cell in cells_of(layer).items():
            if cell_direction != direction:
                continue
            for iv in self.interventions:
                if iv.layer == layer.name and (iv.direction is None or iv.direction == direction):
                    factories.append(iv.edit_factory(cell.num_units))
        name = trace_name(layer, direction)
        name = call_name(name, self.calls.get(name, 0))  # this call's name: edit_at comes before seen
        if self.with_gradients and name in self.perturbations:
            eps = self.perturbations[name]  # [B, T, n] zeros, watched by the tape

            def add_eps(t):
                def edit(q, value):
                    return value + tf.gather(eps, t, axis=1) if q == "h" else value

                return edit

            factories.append(add_eps)
        return compose_edits(factories)

    def seen(self, layer, direction, x, lengths, unrolled):
        name = trace_name(layer, direction)
        calls = self.calls.get(name, 0)
        self.calls[name] = calls + 1
        if layer in self.targets:  # a layer called again (a shared encoder) is recorded as NAME#1, NAME#2, ...
            self.records[call_name(name, calls)] = (layer, direction, x, lengths, unrolled,
                                                    self.unedited(layer, direction))

    def states_suffice(self, layer, x) -> bool:
        """Whether this pass needs from ``layer``'s call on ``x`` [B, T, D] only its state sequences (records of
        the state names, 0 past each length) and ``Unrolled.initial_state``: its gates are then recomputed
        batched, so the call may take a fast path that records its states only (the layers ask it through
        ``rnnlab.layers.loop.loop_needed``; an LSTM then runs the fused kernel, see rnnlab.layers.fast_paths)."""
        if self.path == "sequential" or self.with_gradients or any(iv.layer == layer.name for iv in self.interventions):
            return False
        return self.path == "batched" or all(
            prefer_batched(cell, x.shape[0], x.shape[-1]) for cell in cells_of(layer).values())

    def unedited(self, layer, direction) -> bool:
        """Whether this call's loop ran on its own values: no intervention on it and no other observer's edits (the
        probe's own zero perturbations change no value), so its gates can be recomputed from its states."""
        if any(iv.layer == layer.name and iv.direction in (None, direction) for iv in self.interventions):
            return False
        return all(o.edit_at(layer, direction) is None for o in active_observers(layer) if o is not self)


def _resolve_loss(model, loss):
    if loss is None:
        loss = getattr(model, "loss", None)
    if loss is None:
        raise RnnlabError(
            "Gradients through time need a loss: compile the model with one, or pass `loss=` "
            "(a Keras loss name or a callable loss(y_true, y_pred))."
        )
    if isinstance(loss, str):
        return keras.losses.get(loss)
    if callable(loss):
        return loss
    raise TypeError(f"`loss` must be a Keras loss name or a callable; received {describe(loss)}.")


def probe(model, x, y=None, *, loss=None, seq_len=None, layers=None, interventions=(), path="auto") -> Trace:
    """Run ``model`` on ``x`` [B, T, D] once and record every gate and state of its recurrent layers.

    Arguments:
        model: a keras.Model (Sequential, functional or subclassed) holding rnnlab layers, or one rnnlab layer.
        x: [B, T, D] float array (the model's input; a list of them for a model with several inputs).
        y: targets; with y the trace also holds ``grad_norm`` [B, T] = ||dL/dh_t|| for every layer.
        loss: the loss for the gradients (default: the compiled model's loss).
        seq_len: [B] explicit lengths, only when ``model`` is a single layer.
        layers: names of the layers to record (default: all).
        interventions: rnnlab.Intervention objects applied during this pass.
        path: how the gates are recorded: 'sequential' (the time loop writes every gate at every step),
            'batched' (the loop keeps only its states; every gate of every step is then recomputed in one batched
            cell call, see rnnlab.probes.gate_recompute) or 'auto' (batched where it is faster: small steps, or a
            GPU). Both give the same values; a layer with an intervention or a hook that edits keeps the loop's
            own records. ``LayerTrace.gate_path`` says which path each call took.

    Returns: Trace (values are exactly those the layers computed; inference mode, so dropout is off). A layer
    called more than once in the pass (weights shared through ``reuse``) appears once per call: 'NAME', 'NAME#1',
    ...; each call has its own ``grad_norm``. With y the
    forward pass runs twice: once to learn every call's shapes, once under the gradient tape.
    """
    if not isinstance(path, str) or path not in PATHS:
        raise RnnlabError(f"`path` must be one of {', '.join(map(repr, PATHS))}; received {describe(path)}.")
    targets = select_layers(model, layers, "to probe")
    if seq_len is not None and not isinstance(model, (Recurrent, BiRNN)):
        raise RnnlabError(
            "`seq_len` applies only when `model` is one rnnlab layer; a keras.Model takes its lengths from its own "
            "inputs (build it with seq_len=keras.Input(...) and pass them in `x`) or from dynamic mode."
        )
    x = _check_x(model, x)
    time_steps = None if isinstance(x, list) else int(x.shape[1])  # several inputs: their layers' T may differ
    interventions = check_interventions(tuple(interventions), recurrent_layers(model), time_steps=time_steps)
    loss_fn = _resolve_loss(model, loss) if y is not None else None
    forward = _recorded_forward(model, targets, interventions, with_gradients=y is not None, path=path)
    seq = None if seq_len is None else tf.convert_to_tensor(seq_len)
    output, records = forward(x, seq, {})
    loss_value = None
    if y is not None:
        # zero perturbations added to every h_t of every recorded call: d loss / d perturbation = d loss / d h_t.
        # Their shapes come from the pass above (a shared layer's later calls may see other shapes).
        units = {trace_name(layer, d): cell.num_units for layer in targets for d, cell in cells_of(layer).items()}
        perturbations = {
            name: tf.zeros([*record["x"].shape[:2], units[name.partition("#")[0]]], record["x"].dtype)
            for name, record in records.items()
        }
        with tf.GradientTape() as tape:
            tape.watch(list(perturbations.values()))
            output, records = forward(x, seq, perturbations)
            prediction = output[0] if isinstance(output, (tuple, list)) else output
            loss_value = tf.reduce_mean(loss_fn(tf.convert_to_tensor(y), prediction))
        names = list(perturbations)
        grads = tape.gradient(loss_value, [perturbations[n] for n in names])
        grad_norms = {}
        for n, g in zip(names, grads):
            if g is None:
                g = tf.zeros_like(perturbations[n])  # h_t does not reach the loss: dL/dh_t = 0
            if n.partition("#")[0].endswith("/bw") and n in records:
                # the backward cell's perturbations are indexed in its reading order: back to time order
                g = BiRNN.reverse(g, records[n]["lengths"])
            grad_norms[n] = np.asarray(tf.norm(g, axis=-1))  # [B, T]
    directions = {trace_name(layer, d): (layer, d) for layer in targets for d in cells_of(layer)}
    trace = Trace(output=_first_numpy(output), loss=None if loss_value is None else float(loss_value))
    for name, record in records.items():
        layer, direction = directions[name.partition("#")[0]]
        cell = cells_of(layer)[direction]
        seq = np.asarray(record["lengths"]).astype(np.int64)  # [B]
        time = int(record["x"].shape[1])
        # np.asarray: read-only views of the tensors' memory (.numpy() would copy every array once more)
        trace.layers[name] = LayerTrace(
            name=name, kind=cell.kind, direction=direction,
            # [T, B, n] from the pass (see _recorded_forward), [B, T, n] as a view
            quantities={q: np.asarray(record["quantities"][q]).transpose(1, 0, 2) for q in QUANTITIES[cell.kind]},
            x=np.asarray(record["x"]), valid=np.arange(time)[None, :] < seq[:, None], seq_len=seq,
            grad_norm=grad_norms.get(name) if y is not None else None,
            gate_path="batched" if bool(record["batched"]) else "sequential",
        )
    return trace


# The recorded forward pass runs as a tf.function, traced once per model and probe settings and then reused:
# the eager time loop costs several times a compiled forward pass (see bench/bench_probe.py).
_COMPILED_FORWARDS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> OrderedDict
_COMPILED_PER_MODEL = 8


def _recorded_forward(model, targets, interventions, with_gradients, path="auto"):
    """-> forward(x [B, T, D], seq_len [B] or None, perturbations) -> (output, records), where records maps
    a trace name to {'x': [B, T, D], 'lengths': [B], 'quantities': name -> [T, B, n] (time-major),
    'batched': bool scalar} (tensors). path: 'auto', 'batched' or 'sequential', how the gates are recorded (see :func:`probe`).

    Compiled and cached per model while every layer is built; eager otherwise (a first call builds them).
    """
    target_names = tuple(layer.name for layer in targets)

    def run(model, x, seq_len, perturbations):
        layers = recurrent_layers(model)
        session = _ProbeSession([layer for layer in layers if layer.name in target_names], interventions,
                                with_gradients, path)
        session.perturbations = perturbations
        with observing(session):
            if isinstance(model, (Recurrent, BiRNN)):
                output = model(x, seq_len=seq_len, training=False)
            else:
                output = model(x, training=False)
        records = {}
        for name, (layer, direction, layer_x, lengths, unrolled, unedited) in session.records.items():
            cell = cells_of(layer)[direction]
            quantities, batched = _gate_records(cell, layer_x, lengths, unrolled, direction, unedited, path)
            if lengths is None:
                lengths = tf.fill([tf.shape(layer_x)[0]], tf.shape(layer_x)[1])
            # time-major: the loop stacks its records [T, B, n] and transposes them; _gate_records transposes
            # them back, which TensorFlow's graph optimiser cancels, and NumPy's view turns them batch-major for free
            records[name] = {"x": layer_x, "lengths": tf.cast(lengths, tf.int32), "quantities": quantities,
                             "batched": tf.constant(batched)}
        return output, records

    layers = recurrent_layers(model)
    built = getattr(model, "built", True) and all(layer.built for layer in layers)
    if not built or not tf.executing_eagerly():
        return lambda x, seq_len, perturbations: run(model, x, seq_len, perturbations)
    # hooks attached to the layers are traced into the function: a change of hooks needs a new trace
    observers = tuple(o for layer in layers for o in active_observers(layer))
    key = (target_names, interventions, with_gradients, path, tuple(id(o) for o in observers))
    cache = _COMPILED_FORWARDS.setdefault(model, collections.OrderedDict())
    if key in cache:
        cache.move_to_end(key)
        return cache[key][0]
    model_ref = weakref.ref(model)  # the cache must not keep the model alive
    compiled = _ConcreteDispatch(tf.function(
        lambda x, seq_len, perturbations: run(model_ref(), x, seq_len, perturbations), reduce_retracing=True
    ))
    cache[key] = (compiled, observers)  # holding the observers keeps their ids unique while cached
    while len(cache) > _COMPILED_PER_MODEL:
        cache.popitem(last=False)
    return compiled


class _ConcreteDispatch:
    """A tf.function called through its concrete functions, kept per input signature: finding the trace of a call
    with a dict and a None among its arguments costs about 0.2 ms each time, a third of a classroom-size probe."""

    _KEPT = 16  # signatures remembered (beyond them the tf.function's own lookup finds the trace again)

    def __init__(self, function):
        self.function = function
        self.concrete: dict = {}

    def __call__(self, x, seq_len, perturbations):
        def signature(t):
            return None if t is None else (tuple(t.shape), t.dtype)

        inputs = tuple(signature(t) for t in x) if isinstance(x, list) else signature(x)  # several inputs: a list
        key = (inputs, signature(seq_len), tuple((k, signature(v)) for k, v in sorted(perturbations.items())))
        concrete = self.concrete.get(key)
        if concrete is None:
            if len(self.concrete) >= self._KEPT:
                self.concrete.clear()
            concrete = self.concrete[key] = self.function.get_concrete_function(x, seq_len, perturbations)
        return concrete(x, seq_len, perturbations)


def _gate_records(cell, x, lengths, unrolled, direction, unedited, path):
    """One recorded layer call -> (quantity name -> [T, B, n], time-major, whether the gates were recomputed
    batched). Time-major because the loop stacks its records so: transposing them back is free (see
    ``_recorded_forward``).

    Batched: the loop's state records and the gates recomputed from them (the loop's gate records go unread, so
    the compiled pass drops their per-step writes). Sequential: the loop's own records.
    """
    gates_recorded = all(q in unrolled.records for q in cell.record_names)
    wanted = path == "batched" or (path == "auto" and prefer_batched(cell, x.shape[0], x.shape[-1]))
    start = loop_start_state(unrolled) if (wanted or not gates_recorded) and unedited else None
    if start is None:
        if not gates_recorded:  # a layer that ran without recording its gates must say where its loop started
            raise RnnlabError(f"Layer {cell.name!r} recorded only {sorted(unrolled.records)} and not its initial "
                              "state: its gates can be neither read nor recomputed.")
        return {q: _time_major(unrolled.records[q]) for q in QUANTITIES[cell.kind]}, False
    states = {s: unrolled.records[s] for s in cell.state_names}
    gates = recompute_gates(cell, x, states, start, lengths=lengths, direction=direction, time_major=True)
    return {q: _time_major(states[q]) if q in states else gates[q] for q in QUANTITIES[cell.kind]}, True


def _time_major(v):
    """[B, T, n] -> [T, B, n]."""
    return tf.transpose(v, [1, 0, 2])


def _first_numpy(output):
    first = output[0] if isinstance(output, (tuple, list)) else output
    return np.asarray(first)


def _check_x(model, x):
    """x [B, T, D] (or a list of them for a model with several inputs) -> float32 tensor(s), or a clear error."""
    inputs = getattr(model, "inputs", None) or []
    if isinstance(x, (list, tuple)) and len(inputs) > 1:
        if len(x) != len(inputs):
            raise RnnlabError(f"`x` must hold one array per model input ({len(inputs)}); received {len(x)}.")
        # inputs that are not sequences (explicit lengths for seq_len=, say) go in as they are, in their dtype
        return [_check_one_x(arr, tuple(spec.shape)) if len(spec.shape) == 3
                else tf.convert_to_tensor(np.asarray(arr), dtype=spec.dtype) for arr, spec in zip(x, inputs)]
    expected = tuple(inputs[0].shape) if inputs else None
    if expected is None and isinstance(model, (Recurrent, BiRNN)):
        cell = model.cell if isinstance(model, Recurrent) else model.cell_fw
        if cell.input_dim is not None:
            expected = (None, None, cell.input_dim)
    return _check_one_x(x, expected)


def _check_one_x(x, expected):
    arr = np.asarray(x)
    if arr.ndim != 3:
        raise RnnlabError(f"`x` must be 3-D [batch, time, input_dim]; received shape {arr.shape}.")
    if not np.issubdtype(arr.dtype, np.floating):
        raise RnnlabError(f"`x` must hold floating-point data; received dtype {arr.dtype}.")
    if expected is not None and len(expected) == 3:
        for axis, (want, got) in enumerate(zip(expected, arr.shape)):
            if want is not None and want != got and axis > 0:
                raise RnnlabError(
                    f"`x` of shape {arr.shape} does not fit the model, which expects [batch, "
                    f"{expected[1] or 'any'}, {expected[2]}] (axis {axis}: expected {want}, received {got})."
                )
    return tf.convert_to_tensor(arr.astype("float32", copy=False))
