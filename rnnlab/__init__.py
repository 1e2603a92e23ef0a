"""rnnlab: TFLearn's recurrent layers on TensorFlow 2 / Keras 3, with every gate visible.

    import rnnlab, keras
    net = rnnlab.input_data(shape=[None, 20, 3])
    net = rnnlab.lstm(net, 32, return_seq=True, dynamic=True)
    net = rnnlab.lstm(net, 32, dynamic=True)
    model = keras.Model(...)

``import rnnlab`` imports TensorFlow and registers the layers with Keras, so ``keras.models.load_model`` reads
``.keras`` files that hold them. With the environment variable RNNLAB_DEFER_TENSORFLOW=1 at that first import,
it does neither: the public names below are imported on first use (``rnnlab.lstm``, ``from rnnlab import probe``),
and the pure-data modules (rnnlab.experiments' specs, presets and lessons, rnnlab.errors) load without
TensorFlow. The app uses this so its first page draws before TensorFlow has loaded (app/compat.py), and
imports rnnlab.layers in the background.

The library never imports streamlit.
"""

import os as _os

from rnnlab.errors import RnnlabError  # pure Python: there in either mode

#: The environment variable that defers TensorFlow's import (see above); read once, at the first import.
DEFER_TENSORFLOW_ENV = "RNNLAB_DEFER_TENSORFLOW"


def _import_public_api() -> dict:
    """-> the public names (TensorFlow imported, the layers registered with Keras)."""
    import rnnlab._tensorflow  # noqa: F401  (first: TensorFlow without its start-up chatter)
    from rnnlab.errors import RnnlabError
    from rnnlab.layers import (
        GRU,
        LSTM,
        BasicLSTMCell,
        BasicRNNCell,
        BiRNN,
        GRUCell,
        InteropTypeError,
        Recurrent,
        RecurrentCell,
        SimpleRNN,
        TFLearnLoadReport,
        bidirectional_rnn,
        from_keras,
        gru,
        input_data,
        load_keras_model,
        load_tflearn_checkpoint,
        load_tflearn_checkpoint_files,
        load_weights,
        lstm,
        naming_context,
        simple_rnn,
        to_keras,
        weights_from_keras,
        weights_to_keras,
    )
    from rnnlab.probes import Hook, Intervention, LayerTrace, StepRecords, Trace, add_hook, probe

    return dict(locals())


__version__ = "0.1.0"

__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "BiRNN",
    "GRU",
    "GRUCell",
    "Hook",
    "InteropTypeError",
    "Intervention",
    "LayerTrace",
    "StepRecords",
    "Trace",
    "add_hook",
    "from_keras",
    "probe",
    "LSTM",
    "Recurrent",
    "RecurrentCell",
    "RnnlabError",
    "SimpleRNN",
    "TFLearnLoadReport",
    "bidirectional_rnn",
    "gru",
    "input_data",
    "load_keras_model",
    "load_tflearn_checkpoint",
    "load_tflearn_checkpoint_files",
    "load_weights",
    "lstm",
    "naming_context",
    "simple_rnn",
    "to_keras",
    "weights_from_keras",
    "weights_to_keras",
]


def __getattr__(name: str):
    """Deferred mode (RNNLAB_DEFER_TENSORFLOW=1): a public name's first use imports them all (PEP 562)."""
    if name in __all__:
        names = _import_public_api()
        globals().update(names)
        return names[name]
    raise AttributeError(f"module 'rnnlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if _os.environ.get(DEFER_TENSORFLOW_ENV) != "1":
    globals().update(_import_public_api())
