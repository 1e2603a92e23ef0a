"""The documentation of every layer argument, as the Build page shows it in each widget's help.

Wording: TFLearn's ``tflearn.layers.recurrent`` documentation (the user's reference), with what rnnlab's
/work/shared/SPEC.md adds where TFLearn is silent. Plain strings only: no streamlit, no TensorFlow.
"""

from __future__ import annotations

LAYER_KINDS = ("simple_rnn", "lstm", "gru", "bidirectional_rnn")
CELL_KINDS = ("simple_rnn", "lstm", "gru")

LAYER_TITLES = {
    "simple_rnn": "simple_rnn (SimpleRNN)",
    "lstm": "lstm (LSTM)",
    "gru": "gru (GRU)",
    "bidirectional_rnn": "bidirectional_rnn (two cells)",
}
CELL_TITLES = {"simple_rnn": "BasicRNNCell", "lstm": "BasicLSTMCell", "gru": "GRUCell"}

#: The layer's own default activation (TFLearn): simple_rnn is sigmoid, its cell BasicRNNCell is tanh.
DEFAULT_ACTIVATION = {"simple_rnn": "sigmoid", "lstm": "tanh", "gru": "tanh"}
DEFAULT_CELL_ACTIVATION = {"simple_rnn": "tanh", "lstm": "tanh", "gru": "tanh"}

ACTIVATIONS = (
    "linear", "tanh", "sigmoid", "softmax", "softplus", "softsign", "relu", "relu6", "leaky_relu",
    "prelu", "elu", "selu", "hard_sigmoid", "gelu",
)
WEIGHTS_INITS = ("zeros", "uniform", "uniform_scaling", "normal", "truncated_normal", "xavier", "variance_scaling")

_ACTIVATION_NAMES = (
    "Names: linear, tanh, sigmoid, softmax, softplus, softsign, relu, relu6, leaky_relu (alpha 0.1), prelu, "
    "elu, selu, hard_sigmoid (clip(0.2x + 0.5, 0, 1)), gelu (tanh approximation)."
)

HELP: dict[str, str] = {
    "kind": (
        "Which TFLearn layer: simple_rnn, lstm, gru, or bidirectional_rnn (a forward and a backward cell "
        "whose outputs are concatenated, forward half first)."
    ),
    "n_units": "int, number of units for this layer.",
    "activation": (
        "str (name) or function (returning a Tensor). Activation applied to this layer "
        "(see tflearn.activations). Default: 'sigmoid' for simple_rnn, 'tanh' for lstm and gru. "
        + _ACTIVATION_NAMES
    ),
    "inner_activation": (
        "str (name) or function (returning a Tensor). LSTM / GRU inner activation: the gates "
        "(input, forget, output; reset, update). Default: 'sigmoid'. " + _ACTIVATION_NAMES
    ),
    "dropout": (
        "tuple of float: (input_keep_prob, output_keep_prob). The input and output keep probability. "
        "A single float is used for both. Applied at every time step in training only (fresh mask each "
        "step, inverted scaling); the carried state is never dropped; inference is deterministic. "
        "0.8 keeps 80% of the values."
    ),
    "input_keep_prob": "Keep probability of each step's input, before the cell (training only).",
    "output_keep_prob": "Keep probability of each step's output, after the cell (training only).",
    "bias": (
        "bool. If True, a bias is used. (TFLearn 0.5.0 ignores the flag and always adds one; rnnlab "
        "follows the documentation: bias=False means no bias at all.)"
    ),
    "weights_init": (
        "str (name) or Tensor. Weights initialization (see tflearn.initializations). Default: Glorot "
        "uniform. Names: zeros; uniform (U[0, 1)); uniform_scaling (U(+-sqrt(3/fan_in))); normal "
        "(std 0.02); truncated_normal (std 0.02); xavier (uniform Glorot); variance_scaling (factor 2.0, "
        "FAN_IN, normal). Biases start at 0, except the GRU gates bias, which starts at 1.0."
    ),
    "forget_bias": (
        "float. Bias of the forget gate. Default: 1.0. A constant added to the forget pre-activation at "
        "run time (c' = c * sig(f + forget_bias) + ...), not stored in the Bias weights."
    ),
    "return_seq": (
        "bool. If True, returns the full sequence instead of last sequence output only. Needed on every "
        "recurrent layer that feeds another recurrent layer. With dynamic=True the 'last' output is the "
        "one at step length-1 of each sample, not the last time step."
    ),
    "return_state": (
        "bool. If True, returns a tuple with output and states: (output, states). LSTM state is (c, h), "
        "GRU / SimpleRNN state is h. (Shown in the generated code; the app's models keep the output only.)"
    ),
    "return_states": (
        "bool. If True, returns a tuple with output and states: (output, state_fw, state_bw). "
        "bidirectional_rnn spells it in the plural."
    ),
    "dynamic": (
        "bool. If True, dynamic computation is performed. It will not compute RNN steps above the sequence "
        "length. Note that because TF requires to feed sequences of same length, 0 is used as a mask. So a "
        "sequence padded with 0 at the end must be provided. When computation is performed, it will stop "
        "when it meets a step with a value of 0. (rnnlab, like TFLearn's code, counts the non-all-zero "
        "steps: an all-zero step inside a sequence drops its last real step. See the Padding lab.)"
    ),
    "trainable": "bool. If True, weights will be trainable.",
    "restore": "bool. If True, this layer weights will be restored when loading a model.",
    "scope": (
        "str. Define this layer scope (optional). A scope can be used to share variables between layers. "
        "Note that scope will override name. Leave empty for automatic names (LSTM, LSTM_1, ...)."
    ),
    "cell_fw": "RNNCell. The RNN Cell to use for forward computation.",
    "cell_bw": (
        "RNNCell. The RNN Cell to use for backward computation. Both cells must have the same number of "
        "units; they may be of different kinds."
    ),
    "cell_kind": "Which cell: BasicRNNCell (simple_rnn), BasicLSTMCell (lstm) or GRUCell (gru).",
    "num_units": "int. The number of units in the cell (both cells of a bidirectional_rnn must agree).",
    "cell_activation": (
        "str (name) or function. The cell's activation. Default: 'tanh' (note: BasicRNNCell defaults to "
        "tanh, while the simple_rnn layer defaults to sigmoid). " + _ACTIVATION_NAMES
    ),
}

#: Training settings (ExperimentSpec fields), same voice.
TRAIN_HELP: dict[str, str] = {
    "head": (
        "What sits on top of the recurrent stack: 'auto' picks from the data set's task (Dense + softmax "
        "for classification, Dense for regression, a per-step Dense for sequence labelling)."
    ),
    "optimizer": "Keras optimizer name used to fit the model.",
    "learning_rate": "Step size of the optimizer.",
    "batch_size": "Sequences per gradient step.",
    "epochs": "Passes over the training data.",
    "seed": "Seeds weights, data order and dropout: the same spec and seed give the same run.",
    "validation_split": (
        "Share of the training data held out to compute val_loss (ignored when the data set has its own "
        "test split)."
    ),
    "n_samples": "How many training sequences to use (fewer trains faster).",
    "snapshot_every": (
        "Record the states of a few samples every k epochs, so the States page can replay how they "
        "changed during training (0: only the final model)."
    ),
}
