"""Scope / reuse bookkeeping for the functional API, as in TFLearn.

* ``name`` is a default: unnamed or same-named layers become LSTM, LSTM_1, LSTM_2, ...
* ``scope`` is exact and overrides ``name``. Using an existing scope needs ``reuse=True`` (then the layer's
  weights are shared); ``reuse=True`` on a scope that does not exist is an error.

The registry holds its layers (as TFLearn's graph holds its variables), so a layer built on concrete arrays,
which nothing else keeps alive, can still be reused. It lives in a context variable, so
``with rnnlab.naming_context():`` gives a fresh one (an app that builds many models, one per browser session,
does not collide, and their layers are freed with the context). Outside any naming context each thread has
its own default registry, so threads never share one: a ``reuse=True`` in one thread cannot pick up a layer
that another thread created (a new thread starts with an empty context, hence with its thread's default).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading

from rnnlab.errors import RnnlabError


class ScopeRegistry:
    """Names taken in one naming context: scope name -> the layer that owns it (None for inputs)."""

    def __init__(self):
        self._layers: dict[str, object | None] = {}

    def unique_name(self, base: str) -> str:
        """'LSTM' -> 'LSTM', then 'LSTM_1', 'LSTM_2', ... (TFLearn's default-name rule)."""
        if base not in self._layers:
            return base
        i = 1
        while f"{base}_{i}" in self._layers:
            i += 1
        return f"{base}_{i}"

    def lookup(self, scope: str):
        """The layer registered under ``scope``, or None."""
        return self._layers.get(scope)

    def claim(self, scope: str, layer) -> None:
        self._layers[scope] = layer

    def reserve(self, base: str) -> str:
        """Take a unique name made from ``base`` for something that is not a layer (an input) and return it."""
        name = self.unique_name(base)
        self._layers[name] = None
        return name

    def resolve(self, scope: str | None, name: str, reuse: bool):
        """-> (scope name to use, existing layer to share or None). Raises RnnlabError as TFLearn does."""
        if scope is None:
            if reuse:
                raise RnnlabError(
                    f"`reuse=True` needs the `scope` of the layer to share; received scope=None (name={name!r})."
                )
            return self.unique_name(name), None
        if not isinstance(scope, str) or not scope:
            raise RnnlabError(f"`scope` must be a non-empty string or None; received {scope!r}.")
        existing = self.lookup(scope)
        if reuse:
            if existing is None:
                raise RnnlabError(
                    f"`reuse=True` with scope={scope!r}, but no layer with that scope exists yet in this naming "
                    "context. Create it first (without reuse), or check the spelling."
                )
            return scope, existing
        if scope in self._layers:
            raise RnnlabError(
                f"scope={scope!r} is already used by another layer. Pass `reuse=True` to share its weights, "
                "or choose another scope."
            )
        return scope, None


_registry: contextvars.ContextVar[ScopeRegistry | None] = contextvars.ContextVar("rnnlab_scopes", default=None)
_thread_defaults = threading.local()


def _thread_default() -> ScopeRegistry:
    """The calling thread's default registry, made on first use (freed when the thread ends)."""
    registry = getattr(_thread_defaults, "registry", None)
    if registry is None:
        registry = _thread_defaults.registry = ScopeRegistry()
    return registry


def current() -> ScopeRegistry:
    """The registry of the innermost naming context (outside any, the calling thread's default)."""
    return _registry.get() or _thread_default()


@contextlib.contextmanager
def naming_context():
    """A fresh scope registry for the block: names start again at LSTM, GRU, ...; scopes from outside are unknown."""
    token = _registry.set(ScopeRegistry())
    try:
        yield current()
    finally:
        _registry.reset(token)


def reset() -> None:
    """Forget every name in the current naming context."""
    registry = current()
    registry._layers.clear()
