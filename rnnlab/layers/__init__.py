"""TFLearn's recurrent layers on Keras 3: cells (one step, returning their gates), the general time loop, its fast
paths and its observers, the layer classes, the functional API, and weights in and out (checkpoints, Keras)."""

import rnnlab._tensorflow  # noqa: F401  (first: TensorFlow without its start-up chatter)
from rnnlab.layers.bidirectional import BiRNN
from rnnlab.layers.cells import BasicLSTMCell, BasicRNNCell, GRUCell, RecurrentCell
from rnnlab.layers.checkpoint import load_weights
from rnnlab.layers.fast_paths import force_path
from rnnlab.layers.functional import bidirectional_rnn, gru, input_data, lstm, simple_rnn
from rnnlab.layers.keras_interop import from_keras, to_keras
from rnnlab.layers.keras_models import load_keras_model
from rnnlab.layers.keras_weights import InteropTypeError, weights_from_keras, weights_to_keras
from rnnlab.layers.recurrent import GRU, LSTM, Recurrent, SimpleRNN
from rnnlab.layers.scopes import naming_context
from rnnlab.layers.tflearn_checkpoint import TFLearnLoadReport, load_tflearn_checkpoint, load_tflearn_checkpoint_files

__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "BiRNN",
    "GRU",
    "GRUCell",
    "InteropTypeError",
    "LSTM",
    "Recurrent",
    "RecurrentCell",
    "SimpleRNN",
    "TFLearnLoadReport",
    "bidirectional_rnn",
    "force_path",
    "from_keras",
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
