"""TFLearn initializer names -> Keras initializers, and :func:`seeded`: the seeds of unseeded ones, per run.

``weights_init`` accepts a name below, a Keras initializer or any callable ``(shape, dtype) -> tensor``,
or a tensor / array of exactly the kernel's shape.
"""

from __future__ import annotations

import contextlib
import contextvars
import random
import threading
import warnings

import keras
import numpy as np

from rnnlab.errors import RnnlabError, describe


def _factories():
    init = keras.initializers
    return {
        "zeros": lambda: init.Zeros(),
        # TFLearn: tf.random_uniform_initializer(0, 1)
        "uniform": lambda: init.RandomUniform(minval=0.0, maxval=1.0),
        # TFLearn: uniform_unit_scaling(factor=1.0): U(+-sqrt(3 / fan_in) * factor)
        "uniform_scaling": lambda: init.VarianceScaling(scale=1.0, mode="fan_in", distribution="uniform"),
        "normal": lambda: init.RandomNormal(mean=0.0, stddev=0.02),
        "truncated_normal": lambda: init.TruncatedNormal(mean=0.0, stddev=0.02),
        "xavier": lambda: init.GlorotUniform(),
        # TFLearn: variance_scaling(factor=2.0, mode='FAN_IN', uniform=False)
        "variance_scaling": lambda: init.VarianceScaling(
            scale=2.0, mode="fan_in", distribution="truncated_normal"
        ),
    }


NAMES = tuple(_factories())


class ArrayInitializer(keras.initializers.Initializer):
    """Initialises a weight with a fixed array (``weights_init`` given as a tensor)."""

    def __init__(self, value):
        self.value = np.asarray(value, dtype="float32")

    def __call__(self, shape, dtype=None):
        if tuple(shape) != self.value.shape:
            raise RnnlabError(
                f"`weights_init` was given an array of shape {self.value.shape}, but the kernel it initialises "
                f"has shape {tuple(shape)} ([input_dim + n_units, k * n_units], TFLearn's layout)."
            )
        return keras.ops.convert_to_tensor(self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value.tolist()}


def get(weights_init, argument: str = "weights_init"):
    """None / name / initializer / callable / array -> a Keras initializer (None gives Glorot uniform)."""
    if weights_init is None:
        return keras.initializers.GlorotUniform()
    if isinstance(weights_init, str):
        factories = _factories()
        for key in (weights_init, weights_init.lower()):
            if key in factories:
                return factories[key]()
        raise RnnlabError(
            f"Unknown `{argument}`: {weights_init!r}. Expected an initializer, a tensor, or one of: "
            f"{', '.join(NAMES)}."
        )
    if isinstance(weights_init, keras.initializers.Initializer) or callable(weights_init):
        return weights_init
    if hasattr(weights_init, "shape") or isinstance(weights_init, (list, tuple)):
        return ArrayInitializer(np.asarray(weights_init))
    raise TypeError(
        f"`{argument}` must be an initializer name, an initializer, a callable or an array; "
        f"received {describe(weights_init)}."
    )


def serialize(weights_init):
    """A JSON-friendly form of ``weights_init`` for get_config."""
    if weights_init is None or isinstance(weights_init, str):
        return weights_init
    if isinstance(weights_init, ArrayInitializer):
        return {"array": weights_init.value.tolist()}
    if hasattr(weights_init, "shape") or isinstance(weights_init, (list, tuple)):  # float32, as it is used and
        return {"array": np.asarray(weights_init, dtype="float32").tolist()}  # loaded: configs round-trip equal
    return keras.saving.serialize_keras_object(weights_init)


def deserialize(config):
    """Inverse of :func:`serialize`."""
    if config is None or isinstance(config, str):
        return config
    if isinstance(config, dict) and set(config) == {"array"}:
        return np.asarray(config["array"], dtype="float32")
    return keras.saving.deserialize_keras_object(config)


# ---------------------------------------------------------------------------------------------- seeds per run

_block_random: contextvars.ContextVar[random.Random | None] = contextvars.ContextVar("rnnlab_seeded", default=None)
_install_lock = threading.Lock()


class _ContextRandom:
    """Stands in for the ``random`` module in Keras's seed_generator: inside :func:`seeded`, the block's own
    ``random.Random``; elsewhere the ``random`` module itself (Keras's behaviour unchanged)."""

    def __getattr__(self, name):
        return getattr(_block_random.get() or random, name)


def _install() -> bool:
    """Routes Keras's default seeds through :class:`_ContextRandom` (once); False if this Keras has no such hook."""
    from keras.src.random import seed_generator

    with _install_lock:
        hook = getattr(seed_generator, "python_random", None)
        if isinstance(hook, _ContextRandom):
            return True
        if hook is not random or not callable(getattr(seed_generator, "make_default_seed", None)):
            return False
        seed_generator.python_random = _ContextRandom()
        return True


@contextlib.contextmanager
def seeded(seed: int):
    """A block whose unseeded Keras initializers and ``keras.random.SeedGenerator`` s take their seeds from its
    own ``random.Random(seed)``: what ``keras.utils.set_random_seed(seed)`` does for them, without touching
    any process-wide state, so another thread (another block) neither changes nor sees this block's seeds.

    Keras draws the seed of an initializer or SeedGenerator built with ``seed=None`` from Python's ``random``
    module (``keras.src.random.seed_generator.make_default_seed``); inside the block that draw comes from the
    block's generator instead, in the same order, so the weights and dropout masks are those the global seed
    gave. The block is per context: threads start with an empty one. If this Keras has no such hook, falls
    back to ``keras.utils.set_random_seed(seed)`` with a warning.
    """
    if not _install():
        warnings.warn("rnnlab could not give this run its own seeds (this Keras has no "
                      "seed_generator.python_random); it sets the process-wide seed instead.", stacklevel=3)
        keras.utils.set_random_seed(seed)
    token = _block_random.set(random.Random(seed))
    try:
        yield
    finally:
        _block_random.reset(token)
