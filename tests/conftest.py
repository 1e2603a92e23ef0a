"""Shared test setup: quiet TensorFlow, seeded randomness, a fresh naming context per test."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import pytest  # noqa: E402

import rnnlab  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_names_and_seed():
    keras.utils.set_random_seed(1234)
    with rnnlab.naming_context():
        yield


def gpu_available() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))
