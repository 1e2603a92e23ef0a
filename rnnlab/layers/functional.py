"""TFLearn's functional API: ``net = rnnlab.lstm(net, 32, return_seq=True)`` and friends."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from rnnlab.errors import RnnlabError, describe
from rnnlab.layers import scopes
from rnnlab.layers.bidirectional import BiRNN
from rnnlab.layers.cells import check_units
from rnnlab.layers.checks import check_incoming, check_seq_len, check_state
from rnnlab.layers.recurrent import GRU, LSTM, SimpleRNN

def _is_symbolic(x) -> bool:
    return isinstance(x, keras.KerasTensor)


def input_data(shape=None, dtype="float32", name="InputData"):
    """Input placeholder, TFLearn style: ``shape=[None, T, D]`` (the batch axis first, None allowed for T).

    As in TFLearn, a batch axis ``None`` is added in front when the first entry is not None
    (``[T, D]`` means ``[None, T, D]``). Returns a Keras symbolic tensor to chain layers on and to pass to
    ``keras.Model(inputs, outputs)``.
    """
    if shape is None or not isinstance(shape, (list, tuple)) or len(shape) < 2:
        raise RnnlabError(
            f"`shape` must be a list like [None, timesteps, input_dim] (batch axis first); received {shape!r}."
        )
    try:
        dtype = getattr(dtype, "name", dtype)  # a tf.DType
        dtype_name = np.dtype(dtype).name if dtype != "bfloat16" else dtype
    except TypeError:
        dtype_name = None
    if dtype_name not in ("float16", "float32", "float64", "bfloat16", "int32", "int64"):
        raise RnnlabError(
            "`dtype` must be a float dtype for the recurrent layers ('float32', 'float16', 'float64', 'bfloat16'), "
            f"or 'int32' / 'int64' for ids that an Embedding turns into vectors; received {dtype!r}."
        )
    if shape[0] is not None:  # TFLearn: 'None' is added when missing
        shape = [None, *shape]
    for dim in shape[1:]:
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim <= 0):
            raise RnnlabError(
                f"`shape` entries after the batch axis must be positive ints or None; received {list(shape)!r} "
                f"(bad entry {dim!r}). Expected e.g. [None, timesteps, input_dim]."
            )
    return keras.Input(shape=tuple(shape[1:]), dtype=dtype, name=scopes.current().reserve(name))


def _to_tensor(incoming):
    if _is_symbolic(incoming) or isinstance(incoming, tf.Tensor):
        return incoming
    if isinstance(incoming, (np.ndarray, list, tuple)):
        try:
            array = np.asarray(incoming)
        except ValueError:  # a ragged list
            raise TypeError(
                f"`incoming` must be a rectangular [samples, timesteps, input_dim] array; received {describe(incoming)} "
                "whose rows differ in length. Pad them to one length first."
            ) from None
        check_incoming(array)  # before TensorFlow sees it: dtype, shape and NaN get rnnlab's messages
        return tf.convert_to_tensor(array)
    raise TypeError(
        f"`incoming` must be a Keras symbolic tensor, a tf.Tensor or a NumPy array [samples, timesteps, input_dim]; "
        f"received {describe(incoming)}."
    )


_LAYER_OPTIONS = ("keep_probs", "return_seq", "return_state", "dynamic_lengths")


def _build_or_reuse(make_layer, scope, name, reuse):
    """Resolve scope / reuse; -> the layer to call (new, the shared one, or a twin sharing its cell)."""
    registry = scopes.current()
    scope_name, existing = registry.resolve(scope, name, reuse)
    fresh = make_layer(scope_name, None)
    if existing is None:
        registry.claim(scope_name, fresh)
        return fresh
    if type(existing) is not type(fresh) or existing.cell.get_config() | {"name": None} != fresh.cell.get_config() | {"name": None}:
        raise RnnlabError(
            f"`reuse=True` with scope={scope_name!r}: the existing layer is a {type(existing).__name__} "
            f"with {existing.cell.num_units} units; received a {type(fresh).__name__} with "
            f"{fresh.cell.num_units} units and other cell arguments. Reused layers must match."
        )
    if all(getattr(existing, k) == getattr(fresh, k) for k in _LAYER_OPTIONS):
        return existing  # the very same layer: shared weights, one entry in the model
    existing.cell.shared_by_layers = True  # get_config then stores the cell itself (see Recurrent.get_config)
    return make_layer(registry.reserve(scope_name), existing.cell)  # same weights, other return options


def _apply(layer, incoming, seq_len, call_kwargs):
    x = _to_tensor(incoming)
    check_incoming(x)
    if seq_len is not None:
        checked = check_seq_len(seq_len, x)  # a clear error now, not a TensorFlow one later
        if not _is_symbolic(x):
            seq_len = checked
    return layer(x, seq_len=seq_len, **call_kwargs)


def _recurrent_function(layer_class, incoming, n_units, scope, name, reuse, seq_len, initial_state, **layer_kwargs):
    check_units(n_units, "n_units")
    x = _to_tensor(incoming)
    check_incoming(x)

    def make_layer(layer_name, shared_cell):
        extra = {"cell": shared_cell} if shared_cell is not None else {}
        return layer_class(n_units, name=layer_name, **layer_kwargs, **extra)

    layer = _build_or_reuse(make_layer, scope, name, reuse)
    if initial_state is not None:  # checked here, so that the error is rnnlab's own and not wrapped by Keras
        check_state(initial_state, layer.cell, batch=x.shape[0])
    return _apply(layer, x, seq_len, {"initial_state": initial_state})


def simple_rnn(incoming, n_units, activation="sigmoid", dropout=None, bias=True, weights_init=None,
               return_seq=False, return_state=False, initial_state=None, dynamic=False, trainable=True,
               restore=True, reuse=False, scope=None, name="SimpleRNN", *, seq_len=None):
    """Simple recurrent layer (TFLearn's ``simple_rnn``).

    Input: 3-D Tensor [samples, timesteps, input_dim].
    Output: if ``return_seq``: 3-D Tensor [samples, timesteps, n_units]; else 2-D Tensor [samples, n_units].
    With ``return_state``: ``(output, state)``, state [samples, n_units].

    Arguments:
        incoming: a Keras symbolic tensor (returns symbolic tensors for ``keras.Model``), or a tf.Tensor /
            NumPy array (runs at once and returns tensors).
        n_units: int, number of units.
        activation: name or callable; default 'sigmoid' (the BasicRNNCell defaults to 'tanh').
        dropout: float or (input_keep_prob, output_keep_prob): KEEP probabilities, training only.
        bias: bool, add a bias. weights_init: initializer name, initializer or array (default Glorot uniform).
        return_seq: return every step's output. return_state: also return the final state.
        initial_state: [samples, n_units] initial state (default zeros).
        dynamic: infer each sample's length from zero padding (TFLearn's count of non-all-zero steps);
            outputs past the length are 0, the state is carried, and the last output is taken at length-1.
        trainable: train the weights. restore: False keeps this layer's weights when loading weights
            with :func:`rnnlab.load_weights`. reuse: share the weights of the layer with ``scope``.
        scope: exact layer name (overrides ``name``). name: default name, made unique (SimpleRNN_1, ...).
        seq_len: [samples] ints, explicit lengths (overrides the inference; rnnlab addition).
    """
    return _recurrent_function(
        SimpleRNN, incoming, n_units, scope, name, reuse, seq_len, initial_state,
        activation=activation, dropout=dropout, bias=bias, weights_init=weights_init, return_seq=return_seq,
        return_state=return_state, dynamic=dynamic, trainable=trainable, restore=restore,
    )


def lstm(incoming, n_units, activation="tanh", inner_activation="sigmoid", dropout=None, bias=True,
         weights_init=None, forget_bias=1.0, return_seq=False, return_state=False, initial_state=None,
         dynamic=False, trainable=True, restore=True, reuse=False, scope=None, name="LSTM", *, seq_len=None):
    """Long Short-Term Memory layer (TFLearn's ``lstm``).

    Input: 3-D Tensor [samples, timesteps, input_dim].
    Output: if ``return_seq``: 3-D Tensor [samples, timesteps, n_units]; else 2-D Tensor [samples, n_units].
    With ``return_state``: ``(output, (c, h))``, each [samples, n_units].

    Arguments:
        incoming, n_units, dropout, bias, weights_init, return_seq, return_state, dynamic, trainable,
        restore, reuse, scope, name, seq_len: as for :func:`simple_rnn`.
        activation: for the candidate and the cell output (default 'tanh').
        inner_activation: for the gates (default 'sigmoid').
        forget_bias: added to the forget gate at run time (default 1.0).
        initial_state: a pair (c, h), each [samples, n_units].

    References:
        Hochreiter & Schmidhuber, Long Short-Term Memory, Neural Computation 9(8), 1997.
    """
    return _recurrent_function(
        LSTM, incoming, n_units, scope, name, reuse, seq_len, initial_state,
        activation=activation, inner_activation=inner_activation, dropout=dropout, bias=bias,
        weights_init=weights_init, forget_bias=forget_bias, return_seq=return_seq, return_state=return_state,
        dynamic=dynamic, trainable=trainable, restore=restore,
    )


def gru(incoming, n_units, activation="tanh", inner_activation="sigmoid", dropout=None, bias=True,
        weights_init=None, return_seq=False, return_state=False, initial_state=None, dynamic=False,
        trainable=True, restore=True, reuse=False, scope=None, name="GRU", *, seq_len=None):
    """Gated Recurrent Unit layer (TFLearn's ``gru``).

    Input: 3-D Tensor [samples, timesteps, input_dim].
    Output: if ``return_seq``: 3-D Tensor [samples, timesteps, n_units]; else 2-D Tensor [samples, n_units].
    With ``return_state``: ``(output, h)``, h [samples, n_units].

    Arguments: as for :func:`lstm`, without forget_bias; initial_state is [samples, n_units].

    References:
        Cho et al., Learning Phrase Representations using RNN Encoder-Decoder, EMNLP 2014.
    """
    return _recurrent_function(
        GRU, incoming, n_units, scope, name, reuse, seq_len, initial_state,
        activation=activation, inner_activation=inner_activation, dropout=dropout, bias=bias,
        weights_init=weights_init, return_seq=return_seq, return_state=return_state, dynamic=dynamic,
        trainable=trainable, restore=restore,
    )


def bidirectional_rnn(incoming, rnncell_fw, rnncell_bw, return_seq=False, return_states=False,
                      initial_state_fw=None, initial_state_bw=None, dynamic=False, scope=None, name="BiRNN",
                      *, seq_len=None):
    """Bidirectional recurrent layer over two cells (TFLearn's ``bidirectional_rnn``).

    Input: 3-D Tensor [samples, timesteps, input_dim].
    Output: if ``return_seq``: [samples, timesteps, 2 * n_units]; else [samples, 2 * n_units]; the forward
    half first. With ``return_states``: ``(output, state_fw, state_bw)``.

    Arguments:
        incoming: as for :func:`simple_rnn`.
        rnncell_fw, rnncell_bw: rnnlab cells (BasicRNNCell, BasicLSTMCell, GRUCell), same num_units,
            kinds may differ.
        return_seq, return_states: as above (note the plural). initial_state_fw / initial_state_bw:
            each cell's initial state. dynamic: as for :func:`simple_rnn`; the backward cell then reverses only
            each sample's first ``length`` steps. scope, name: as for :func:`simple_rnn`.
        seq_len: [samples] ints, explicit lengths (rnnlab addition).
    """
    registry = scopes.current()
    scope_name, _ = registry.resolve(scope, name, reuse=False)
    layer = BiRNN(rnncell_fw, rnncell_bw, return_seq=return_seq, return_states=return_states, dynamic=dynamic,
                  name=scope_name)
    registry.claim(scope_name, layer)
    batch = getattr(incoming, "shape", (None,))[0] if getattr(incoming, "shape", None) else None
    for argument, state, cell in (("initial_state_fw", initial_state_fw, layer.cell_fw),
                                  ("initial_state_bw", initial_state_bw, layer.cell_bw)):
        if state is not None:
            check_state(state, cell, argument, batch=batch)
    return _apply(layer, incoming, seq_len,
                  {"initial_state_fw": initial_state_fw, "initial_state_bw": initial_state_bw})
