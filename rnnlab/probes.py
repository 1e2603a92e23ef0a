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
import dataclasses
import gc
import io
import json
import os
import tempfile
import weakref
from dataclasses import dataclass, field
from typing import Callable

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from rnnlab.errors import RnnlabError, describe
from rnnlab.recurrent import (
    BiRNN,
    Recurrent,
    active_observers,
    attach_observer,
    compose_edits,
    detach_observer,
    observing,
)

QUANTITIES = {
    "simple_rnn": ("pre_activation", "h"),
    "lstm": ("input", "candidate", "forget", "output", "c", "h"),
    "gru": ("reset", "update", "candidate", "h"),
}


# ---------------------------------------------------------------------------------------------- Trace


@dataclass
class LayerTrace:
    """What one recurrent layer (one direction of a bidirectional layer) computed at every step.

    quantities: name -> [B, T, n]; x: the layer's input [B, T, D]; valid: [B, T] bool; seq_len: [B] int;
    grad_norm: [B, T] (||dL/dh_t||) or None when no loss was given.
    """

    name: str
    kind: str
    direction: str | None
    quantities: dict[str, np.ndarray]
    x: np.ndarray
    valid: np.ndarray
    seq_len: np.ndarray
    grad_norm: np.ndarray | None = None

    @property
    def n_units(self) -> int:
        return int(self.quantities["h"].shape[-1])


@dataclass
class Trace:
    """Per-layer records of one probed forward pass; keys are layer names ('NAME/fw', 'NAME/bw' for BiRNN)."""

    layers: dict[str, LayerTrace] = field(default_factory=dict)
    output: np.ndarray | None = None
    loss: float | None = None

    @property
    def layer_names(self) -> list[str]:
        return list(self.layers)

    def layer(self, name: str) -> LayerTrace:
        """name -> LayerTrace, with a clear error for unknown names."""
        if name not in self.layers:
            raise RnnlabError(f"Unknown layer {name!r} in this trace; it holds: {', '.join(self.layers)}.")
        return self.layers[name]

    def get(self, layer: str, quantity: str) -> np.ndarray:
        """-> [B, T, n] values of ``quantity`` in ``layer`` (or [B, T] for 'grad_norm', [B, T] bool for 'valid')."""
        record = self.layer(layer)
        if quantity == "grad_norm":
            if record.grad_norm is None:
                raise RnnlabError(f"Layer {layer!r} has no 'grad_norm': probe with y (and a loss) to get one.")
            return record.grad_norm
        if quantity in ("x", "valid", "seq_len"):
            return getattr(record, quantity)
        if quantity not in record.quantities:
            raise RnnlabError(
                f"Unknown quantity {quantity!r} for {record.kind} layer {layer!r}; expected one of: "
                f"{', '.join(record.quantities)}, grad_norm, x, valid, seq_len."
            )
        return record.quantities[quantity]

    def to_frame(self) -> pd.DataFrame:
        """-> long DataFrame: layer, direction, sample, t, unit, quantity, value, valid (grad_norm has unit -1)."""
        frames = []
        for name, rec in self.layers.items():
            b, t, n = rec.quantities["h"].shape
            sample, step, unit = np.meshgrid(np.arange(b), np.arange(t), np.arange(n), indexing="ij")
            valid = np.broadcast_to(rec.valid[:, :, None], (b, t, n))
            for quantity, values in rec.quantities.items():
                frames.append(pd.DataFrame({
                    "layer": name, "direction": rec.direction or "", "sample": sample.ravel(),
                    "t": step.ravel(), "unit": unit.ravel(), "quantity": quantity,
                    "value": values.ravel().astype("float64"), "valid": valid.ravel(),
                }))
            if rec.grad_norm is not None:
                s, st = np.meshgrid(np.arange(b), np.arange(t), indexing="ij")
                frames.append(pd.DataFrame({
                    "layer": name, "direction": rec.direction or "", "sample": s.ravel(), "t": st.ravel(),
                    "unit": -1, "quantity": "grad_norm", "value": rec.grad_norm.ravel().astype("float64"),
                    "valid": rec.valid.ravel(),
                }))
        columns = ["layer", "direction", "sample", "t", "unit", "quantity", "value", "valid"]
        return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)

    def save(self, path) -> None:
        """Write the trace to one ``.npz`` file (atomically: a crash leaves any previous file intact)."""
        arrays, meta = {}, {"layers": [], "loss": self.loss}
        for i, (name, rec) in enumerate(self.layers.items()):
            meta["layers"].append({"name": name, "kind": rec.kind, "direction": rec.direction,
                                   "quantities": list(rec.quantities), "grad": rec.grad_norm is not None})
            for q, v in rec.quantities.items():
                arrays[f"{i}:{q}"] = v
            arrays[f"{i}:_x"], arrays[f"{i}:_valid"], arrays[f"{i}:_seq_len"] = rec.x, rec.valid, rec.seq_len
            if rec.grad_norm is not None:
                arrays[f"{i}:_grad_norm"] = rec.grad_norm
        if self.output is not None:
            arrays["_output"] = self.output
        buffer = io.BytesIO()
        np.savez_compressed(buffer, _meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        with tempfile.NamedTemporaryFile(dir=directory, delete=False, suffix=".tmp") as handle:
            handle.write(buffer.getvalue())
        os.replace(handle.name, path)

    @classmethod
    def load(cls, path_or_buffer) -> "Trace":
        """Read a trace written by :meth:`save`."""
        with np.load(path_or_buffer, allow_pickle=False) as data:
            meta = json.loads(bytes(data["_meta"]).decode())
            layers = {}
            for i, info in enumerate(meta["layers"]):
                layers[info["name"]] = LayerTrace(
                    name=info["name"], kind=info["kind"], direction=info["direction"],
                    quantities={q: data[f"{i}:{q}"] for q in info["quantities"]},
                    x=data[f"{i}:_x"], valid=data[f"{i}:_valid"], seq_len=data[f"{i}:_seq_len"],
                    grad_norm=data[f"{i}:_grad_norm"] if info["grad"] else None,
                )
            output = data["_output"] if "_output" in data.files else None
        return cls(layers=layers, output=output, loss=meta.get("loss"))


# ---------------------------------------------------------------------------------------------- interventions


@dataclass(frozen=True)
class Intervention:
    """Fix ``quantity`` of ``layer`` to ``value`` for ``units`` (None: all) from step ``from_step`` on.

    quantity: a gate or state of that layer's cell (LSTM input / candidate / forget / output / c / h,
    GRU reset / update / candidate / h, SimpleRNN pre_activation / h). ``direction`` ('fw' / 'bw') picks
    one direction of a bidirectional layer (None: both); a backward ``from_step`` counts in the backward
    cell's reading order.
    """

    layer: str
    quantity: str
    value: float
    units: tuple[int, ...] | None = None
    from_step: int = 0
    direction: str | None = None

    def edit_factory(self, n_units: int):
        """-> t -> edit(name, value) applying this intervention."""
        if self.units is None:
            unit_mask = tf.ones([n_units], tf.bool)
        else:
            unit_mask = tf.reduce_any(tf.one_hot(list(self.units), n_units, on_value=True, off_value=False,
                                                 dtype=tf.bool), axis=0)

        def at(t):
            active = tf.logical_and(unit_mask, t >= self.from_step)  # [n]

            def edit(name, value):
                if name != self.quantity:
                    return value
                return tf.where(active[None, :], tf.cast(self.value, value.dtype), value)

            return edit

        return at


# ---------------------------------------------------------------------------------------------- probing


def recurrent_layers(model) -> list:
    """A model or layer -> its rnnlab recurrent layers (Recurrent and BiRNN), in order, nested models included."""
    found = []

    def walk(layer):
        if isinstance(layer, (Recurrent, BiRNN)):
            if layer not in found:
                found.append(layer)
            return
        for child in getattr(layer, "layers", []) or []:
            walk(child)

    walk(model)
    return found


def select_layers(model, names, purpose: str) -> list:
    """A model or layer + optional layer names -> its rnnlab recurrent layers, with clear errors."""
    found = recurrent_layers(model)
    if not found:
        raise RnnlabError(
            f"`model` has no rnnlab recurrent layers {purpose} (received {type(model).__name__}); build it with "
            "rnnlab.lstm / gru / simple_rnn / bidirectional_rnn or the rnnlab layer classes."
        )
    if names is None:
        return found
    known = [layer.name for layer in found]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RnnlabError(f"Unknown layer name(s) {unknown} in `layers`; the recurrent layers are: {', '.join(known)}.")
    return [layer for layer in found if layer.name in names]


def _kind(cell) -> str:
    return cell.kind


def _cells_of(layer) -> dict:
    if isinstance(layer, BiRNN):
        return {"fw": layer.cell_fw, "bw": layer.cell_bw}
    return {None: layer.cell}


def _trace_name(layer, direction) -> str:
    return layer.name if direction is None else f"{layer.name}/{direction}"


class _ProbeSession:
    """The observer behind :func:`probe`: records the chosen layers, applies interventions, injects the
    zero perturbations whose gradients are ||dL/dh_t||."""

    def __init__(self, targets, interventions, with_gradients):
        self.targets = targets
        self.interventions = interventions
        self.with_gradients = with_gradients
        self.records: dict[str, tuple] = {}
        self.perturbations: dict[str, tf.Tensor] = {}
        self.calls: dict[str, int] = {}  # trace name -> calls recorded so far in this pass

    def wants(self, layer) -> bool:  # recorded layers, and layers with an intervention (maybe not recorded)
        return layer in self.targets or any(iv.layer == layer.name for iv in self.interventions)

    def edit_at(self, layer, direction):
        factories = []
        for cell_direction, cell in _cells_of(layer).items():
            if cell_direction != direction:
                continue
            for iv in self.interventions:
                if iv.layer == layer.name and (iv.direction is None or iv.direction == direction):
                    factories.append(iv.edit_factory(cell.num_units))
        name = _trace_name(layer, direction)
        name = _call_name(name, self.calls.get(name, 0))  # this call's name: edit_at comes before seen
        if self.with_gradients and name in self.perturbations:
            eps = self.perturbations[name]  # [B, T, n] zeros, watched by the tape

            def add_eps(t):
                def edit(q, value):
                    return value + tf.gather(eps, t, axis=1) if q == "h" else value

                return edit

            factories.append(add_eps)
        return compose_edits(factories)

    def seen(self, layer, direction, x, lengths, unrolled):
        name = _trace_name(layer, direction)
        calls = self.calls.get(name, 0)
        self.calls[name] = calls + 1
        if layer in self.targets:  # a layer called again (a shared encoder) is recorded as NAME#1, NAME#2, ...
            self.records[_call_name(name, calls)] = (layer, direction, x, lengths, unrolled)


def _call_name(name: str, calls: int) -> str:
    """The trace name of a layer's call number ``calls`` in one pass: NAME, NAME#1, NAME#2, ..."""
    return name if calls == 0 else f"{name}#{calls}"

def _check_interventions(interventions, targets):
    by_name = {layer.name: layer for layer in targets}
    checked = []
    for iv in interventions:
        if not isinstance(iv, Intervention):
            raise TypeError(f"`interventions` must hold rnnlab.Intervention objects; received {describe(iv)}.")
        if iv.layer not in by_name:
            raise RnnlabError(
                f"Intervention on unknown layer {iv.layer!r}; the recurrent layers are: {', '.join(by_name)}."
            )
        if iv.direction not in (None, "fw", "bw"):
            raise RnnlabError(f"Intervention direction must be None, 'fw' or 'bw'; received {iv.direction!r}.")
        if iv.direction is not None and not isinstance(by_name[iv.layer], BiRNN):
            raise RnnlabError(
                f"Intervention direction {iv.direction!r}: layer {iv.layer!r} is not bidirectional; "
                "use direction=None."
            )
        if iv.units is not None:  # a tuple of ints (hashable: probes cache their compiled pass per intervention)
            units = (iv.units,) if isinstance(iv.units, (int, np.integer)) else iv.units
            try:
                units = tuple(int(u) for u in units)
            except (TypeError, ValueError):
                raise TypeError(f"Intervention units must be None or a tuple of ints; received {describe(iv.units)}.")
            iv = dataclasses.replace(iv, units=units)
        try:
            hash(iv)
        except TypeError:
            raise TypeError(f"Intervention value must be a number; received {describe(iv.value)}.") from None
        for direction, cell in _cells_of(by_name[iv.layer]).items():
            if iv.direction not in (None, direction) and direction is not None:
                continue
            allowed = QUANTITIES[cell.kind]
            if iv.quantity not in allowed:
                raise RnnlabError(
                    f"Intervention quantity {iv.quantity!r}: layer {iv.layer!r} ({cell.kind}"
                    f"{'' if direction is None else ', ' + direction}) has no such gate or state; expected one "
                    f"of: {', '.join(allowed)}."
                )
            if iv.units is not None and any(not 0 <= u < cell.num_units for u in iv.units):
                raise RnnlabError(
                    f"Intervention units {iv.units!r} out of range for layer {iv.layer!r} with "
                    f"{cell.num_units} units (expected 0..{cell.num_units - 1})."
                )
        checked.append(iv)
    return tuple(checked)


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


def probe(model, x, y=None, *, loss=None, seq_len=None, layers=None, interventions=()) -> Trace:
    """Run ``model`` on ``x`` [B, T, D] once and record every gate and state of its recurrent layers.

    Arguments:
        model: a keras.Model (Sequential, functional or subclassed) holding rnnlab layers, or one rnnlab layer.
        x: [B, T, D] float array (the model's input; a list of them for a model with several inputs).
        y: targets; with y the trace also holds ``grad_norm`` [B, T] = ||dL/dh_t|| for every layer.
        loss: the loss for the gradients (default: the compiled model's loss).
        seq_len: [B] explicit lengths, only when ``model`` is a single layer.
        layers: names of the layers to record (default: all).
        interventions: rnnlab.Intervention objects applied during this pass.

    Returns: Trace (values are exactly those the layers computed; inference mode, so dropout is off). A layer
    called more than once in the pass (weights shared through ``reuse``) appears once per call: 'NAME', 'NAME#1',
    ...; each call has its own ``grad_norm``. With y the
    forward pass runs twice: once to learn every call's shapes, once under the gradient tape.
    """
    targets = select_layers(model, layers, "to probe")
    interventions = _check_interventions(tuple(interventions), recurrent_layers(model))
    x = _check_x(model, x)
    loss_fn = _resolve_loss(model, loss) if y is not None else None
    forward = _recorded_forward(model, targets, interventions, with_gradients=y is not None)
    seq = None if seq_len is None else tf.convert_to_tensor(seq_len)
    output, records = forward(x, seq, {})
    loss_value = None
    if y is not None:
        # zero perturbations added to every h_t of every recorded call: d loss / d perturbation = d loss / d h_t.
        # Their shapes come from the pass above (a shared layer's later calls may see other shapes).
        units = {_trace_name(layer, d): cell.num_units for layer in targets for d, cell in _cells_of(layer).items()}
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
            grad_norms[n] = tf.norm(g, axis=-1).numpy()  # [B, T]
    directions = {_trace_name(layer, d): (layer, d) for layer in targets for d in _cells_of(layer)}
    trace = Trace(output=_first_numpy(output), loss=None if loss_value is None else float(loss_value))
    for name, record in records.items():
        layer, direction = directions[name.partition("#")[0]]
        cell = _cells_of(layer)[direction]
        seq = record["lengths"].numpy().astype(np.int64)  # [B]
        time = int(record["x"].shape[1])
        trace.layers[name] = LayerTrace(
            name=name, kind=cell.kind, direction=direction,
            quantities={q: record["quantities"][q].numpy() for q in QUANTITIES[cell.kind]},
            x=record["x"].numpy(), valid=np.arange(time)[None, :] < seq[:, None], seq_len=seq,
            grad_norm=grad_norms.get(name) if y is not None else None,
        )
    return trace


# The recorded forward pass runs as a tf.function, traced once per model and probe settings and then reused:
# the eager time loop costs several times a compiled forward pass (see bench/bench_probe.py).
_COMPILED_FORWARDS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> OrderedDict
_COMPILED_PER_MODEL = 8


def _recorded_forward(model, targets, interventions, with_gradients):
    """-> forward(x [B, T, D], seq_len [B] or None, perturbations) -> (output, records), where records maps
    a trace name to {'x': [B, T, D], 'lengths': [B], 'quantities': name -> [B, T, n]} (tensors).

    Compiled and cached per model while every layer is built; eager otherwise (a first call builds them).
    """
    target_names = tuple(layer.name for layer in targets)

    def run(model, x, seq_len, perturbations):
        layers = recurrent_layers(model)
        session = _ProbeSession([layer for layer in layers if layer.name in target_names], interventions,
                                with_gradients)
        session.perturbations = perturbations
        with observing(session):
            if isinstance(model, (Recurrent, BiRNN)):
                output = model(x, seq_len=seq_len, training=False)
            else:
                output = model(x, training=False)
        records = {}
        for name, (_, _, layer_x, lengths, unrolled) in session.records.items():
            if lengths is None:
                lengths = tf.fill([tf.shape(layer_x)[0]], tf.shape(layer_x)[1])
            records[name] = {"x": layer_x, "lengths": tf.cast(lengths, tf.int32), "quantities": unrolled.records}
        return output, records

    layers = recurrent_layers(model)
    built = getattr(model, "built", True) and all(layer.built for layer in layers)
    if not built or not tf.executing_eagerly():
        return lambda x, seq_len, perturbations: run(model, x, seq_len, perturbations)
    # hooks attached to the layers are traced into the function: a change of hooks needs a new trace
    observers = tuple(o for layer in layers for o in active_observers(layer))
    key = (target_names, interventions, with_gradients, tuple(id(o) for o in observers))
    cache = _COMPILED_FORWARDS.setdefault(model, collections.OrderedDict())
    if key in cache:
        cache.move_to_end(key)
        return cache[key][0]
    model_ref = weakref.ref(model)  # the cache must not keep the model alive
    compiled = tf.function(
        lambda x, seq_len, perturbations: run(model_ref(), x, seq_len, perturbations), reduce_retracing=True
    )
    cache[key] = (compiled, observers)  # holding the observers keeps their ids unique while cached
    while len(cache) > _COMPILED_PER_MODEL:
        cache.popitem(last=False)
    return compiled


def _first_numpy(output):
    first = output[0] if isinstance(output, (tuple, list)) else output
    return np.asarray(first)


def _check_x(model, x):
    """x [B, T, D] (or a list of them for a model with several inputs) -> float32 tensor(s), or a clear error."""
    inputs = getattr(model, "inputs", None) or []
    if isinstance(x, (list, tuple)) and len(inputs) > 1:
        if len(x) != len(inputs):
            raise RnnlabError(f"`x` must hold one array per model input ({len(inputs)}); received {len(x)}.")
        return [_check_one_x(arr, tuple(spec.shape)) for arr, spec in zip(x, inputs)]
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


# ---------------------------------------------------------------------------------------------- hooks


@dataclass
class StepRecords:
    """What a hook receives after a forward call: NumPy arrays named as in :class:`LayerTrace`."""

    layer: str
    kind: str
    direction: str | None
    quantities: dict[str, np.ndarray]
    valid: np.ndarray
    call_index: int


class Hook:
    """A registered hook; ``remove()`` it, or use it as a context manager."""

    def __init__(self, fn: Callable[[StepRecords], None], every: int, layers: list, models: list):
        if not callable(fn):
            raise TypeError(f"`fn` must be callable; received {describe(fn)}.")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise RnnlabError(f"`every` must be a positive int (call every N batches); received {every!r}.")
        self.fn, self.every, self.layers = fn, every, layers
        self.models = [weakref.ref(m) for m in models]
        self.calls: dict[str, int] = {}  # per layer (and direction): forward calls seen
        self.active = True
        for layer in layers:
            attach_observer(layer, self)
        # The hook hands NumPy arrays to Python (tf.py_function), which XLA cannot compile: models that
        # compile their steps with XLA (Keras's default on a GPU) run without it while the hook is attached.
        self._xla_models = []
        for model in self._models():
            if getattr(model, "jit_compile", False):
                model.jit_compile = False
                self._xla_models.append(weakref.ref(model))
        _reset_compiled_functions(self._models())

    def _models(self) -> list:
        # the models given, plus every live model holding one of the layers (also ones built since)
        given = [m for m in (ref() for ref in self.models) if m is not None]
        return given + [m for m in _models_holding(self.layers) if all(m is not g for g in given)]

    # observer protocol
    def wants(self, layer) -> bool:
        return True

    def edit_at(self, layer, direction):
        return None

    def seen(self, layer, direction, x, lengths, unrolled):
        cell = _cells_of(layer)[direction]
        names = QUANTITIES[cell.kind]
        tensors = [unrolled.records[q] for q in names]
        if lengths is None:
            lengths = tf.fill([tf.shape(x)[0]], tf.shape(x)[1])
        valid = tf.sequence_mask(lengths, tf.shape(x)[1])

        def deliver(*arrays):
            if not self.active:
                return
            key = _trace_name(layer, direction)
            index = self.calls.get(key, 0)
            self.calls[key] = index + 1
            if index % self.every:
                return
            values = [np.asarray(a) for a in arrays]
            self.fn(StepRecords(
                layer=_trace_name(layer, direction), kind=cell.kind, direction=direction,
                quantities=dict(zip(names, values[:-1])), valid=values[-1].astype(bool), call_index=index,
            ))

        if tf.executing_eagerly():
            deliver(*[t.numpy() for t in tensors], valid.numpy())
        else:
            tf.py_function(lambda *a: deliver(*[t.numpy() for t in a]) or [], tensors + [valid], Tout=[])

    def remove(self) -> None:
        """Detach the hook; later calls (and retraced training steps) run the plain path again."""
        if self.active:
            self.active = False
            for layer in self.layers:
                detach_observer(layer, self)
            for model in (ref() for ref in self._xla_models):
                if model is not None:
                    model.jit_compile = True
            _reset_compiled_functions(self._models())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _models_holding(layers) -> list:
    """Every live keras.Model that contains one of ``layers`` (nested models included).

    Keras caches its traced train / test / predict functions on the model, and a layer does not know the
    models it is part of: a hook on a layer must still reach them, or the cached functions would keep
    taking the path without the hook (or with it, after removal).
    """
    wanted = {id(layer) for layer in layers}

    def holds(model) -> bool:
        try:
            return any(id(layer) in wanted for layer in recurrent_layers(model))
        except Exception:  # a half-constructed model: it has no traced functions either
            return False

    return [obj for obj in gc.get_objects() if isinstance(obj, keras.Model) and holds(obj)]


def _reset_compiled_functions(models) -> None:
    # Keras caches traced train / test / predict steps; a hook changes what the layers trace.
    for model in models:
        for attr in ("train_function", "test_function", "predict_function"):
            if hasattr(model, attr):
                setattr(model, attr, None)


def add_hook(model_or_layer, fn: Callable[[StepRecords], None], *, every: int = 1, layers=None) -> Hook:
    """Call ``fn(StepRecords)`` after every ``every``-th forward call of each rnnlab layer, in fit and inference.

    ``model_or_layer``: a keras.Model or one rnnlab layer. ``layers``: names to watch (default all).
    Returns a :class:`Hook`: ``hook.remove()``, or ``with rnnlab.add_hook(...):``. With no hook registered,
    layers take their plain path, so outputs and speed are unchanged.
    """
    targets = select_layers(model_or_layer, layers, "to hook")
    models = [model_or_layer] if isinstance(model_or_layer, keras.Model) else []
    return Hook(fn, every, targets, models)
