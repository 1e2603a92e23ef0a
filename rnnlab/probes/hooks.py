"""Hooks: a function called with every gate and state of each forward call, in fit and in inference."""

from __future__ import annotations

import gc
import warnings
import weakref
from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from rnnlab.errors import RnnlabError, describe
from rnnlab.layers.loop import attach_observer, detach_observer
from rnnlab.probes.selection import cells_of, recurrent_layers, select_layers, trace_name
from rnnlab.probes.trace import QUANTITIES


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
    """A registered hook; ``remove()`` it, or use it as a context manager.

    If ``fn`` raises while a compiled step runs (``model.fit``, ``predict``), the error cannot cross
    TensorFlow's graph as itself: the hook keeps it as ``hook.error``, stops calling ``fn``, asks the models
    to stop training, warns, and the ``with`` block raises it as an RnnlabError naming ``fn``. In an eager call
    the error reaches the caller directly.
    """

    def __init__(self, fn: Callable[[StepRecords], None], every: int, layers: list, models: list):
        if not callable(fn):
            raise TypeError(f"`fn` must be callable; received {describe(fn)}.")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise RnnlabError(f"`every` must be a positive int (call every N batches); received {every!r}.")
        self.fn, self.every, self.layers = fn, every, layers
        self.models = [weakref.ref(m) for m in models]
        self.calls: dict[str, int] = {}  # per layer (and direction): forward calls seen
        self.active = True
        self.error: BaseException | None = None  # what fn raised inside a compiled step
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
        cell = cells_of(layer)[direction]
        names = QUANTITIES[cell.kind]
        tensors = [unrolled.records[q] for q in names]
        if lengths is None:
            lengths = tf.fill([tf.shape(x)[0]], tf.shape(x)[1])
        valid = tf.sequence_mask(lengths, tf.shape(x)[1])

        def deliver(*arrays):
            if not self.active or self.error is not None:
                return
            key = trace_name(layer, direction)
            index = self.calls.get(key, 0)
            self.calls[key] = index + 1
            if index % self.every:
                return
            values = [np.asarray(a) for a in arrays]
            self.fn(StepRecords(
                layer=trace_name(layer, direction), kind=cell.kind, direction=direction,
                quantities=dict(zip(names, values[:-1])), valid=values[-1].astype(bool), call_index=index,
            ))

        if tf.executing_eagerly():
            deliver(*[t.numpy() for t in tensors], valid.numpy())
        else:
            tf.py_function(lambda *a: self._deliver_in_graph(deliver, a), tensors + [valid], Tout=[])

    def _deliver_in_graph(self, deliver, tensors) -> list:
        """Call ``fn`` from a compiled step; an exception there is kept (see the class docstring)."""
        try:
            deliver(*[t.numpy() for t in tensors])
        except Exception as error:  # noqa: BLE001 - kept and raised where the user can see it
            self.error = error
            for model in self._models():
                model.stop_training = True
            warnings.warn(f"rnnlab hook {self._name()} raised {type(error).__name__}: {error}. The hook is off "
                          "from now on and training stops.", RuntimeWarning, stacklevel=2)
        return []

    def _name(self) -> str:
        return getattr(self.fn, "__qualname__", None) or repr(self.fn)

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

    def __exit__(self, exc_type, exc, tb):
        self.remove()
        if exc_type is None and self.error is not None:
            raise RnnlabError(
                f"the hook function {self._name()} raised {type(self.error).__name__}: {self.error}"
            ) from self.error


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
