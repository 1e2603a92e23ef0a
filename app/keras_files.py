"""A Keras model -> the bytes of its .keras file (a leaf module: app/ui and app/session both use it)."""

from __future__ import annotations


def keras_bytes(model) -> bytes:
    """A Keras model -> the bytes of its .keras file."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        with open(path, "rb") as handle:
            return handle.read()
