"""rnnlab: TFLearn's recurrent layers on TensorFlow 2 / Keras 3, with every gate visible.

    import rnnlab, keras
    net = rnnlab.input_data(shape=[None, 20, 3])
    net = rnnlab.lstm(net, 32, return_seq=True, dynamic=True)
    net = rnnlab.lstm(net, 32, dynamic=True)
    model = keras.Model(...)

The library never imports streamlit.
"""

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
