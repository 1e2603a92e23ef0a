"""Helpers shared by the probe and intervention tests: rnnlab cells -> the NumPy reference's cells."""

import numpy as np

try:
    from tests import reference as ref
except ImportError:
    import reference as ref


def randomize(layer_or_cell, seed):
    """Non-trivial weights and biases (N(0, 0.6)) so every gate and bias matters."""
    rng = np.random.default_rng(seed)
    layer_or_cell.set_weights([rng.normal(scale=0.6, size=w.shape).astype(np.float32)
                               for w in layer_or_cell.get_weights()])


def ref_cell(cell):
    """An rnnlab cell -> the reference cell with the same weights and settings."""
    w, n = cell.get_weights(), cell.num_units
    if cell.kind == "lstm":
        return ref.LSTMCell(w, n, cell.activation, cell.inner_activation, cell.forget_bias, cell.bias)
    if cell.kind == "gru":
        return ref.GRUCell(w, n, cell.activation, cell.inner_activation, cell.bias)
    return ref.SimpleRNNCell(w, n, cell.activation, cell.bias)
