"""ExperimentSpec -> keras.Model: the head for a task, the optimiser, the rnnlab layers and cells."""

from __future__ import annotations

from dataclasses import dataclass

from rnnlab.experiments.data import load_data
from rnnlab.experiments.spec import OPTIMIZERS, CellSpec, ExperimentSpec, LayerSpec, SpecError
from rnnlab.experiments.validation import _check_choice, _check_int

_CELL_CLASS = {"simple_rnn": "BasicRNNCell", "lstm": "BasicLSTMCell", "gru": "GRUCell"}


def head_for(task: str, n_classes: int | None, n_outputs: int | None) -> dict:
    """-> {'units', 'activation', 'loss', 'metric', 'classes'}: the Dense head and its loss for a task."""
    classes = task == "classification" or (task == "sequence_labelling" and n_classes)
    if classes:
        if not n_classes or n_classes < 2:
            raise SpecError("head", f"a {task} head needs n_classes >= 2; received {n_classes!r}.")
        return {"units": int(n_classes), "activation": "softmax", "loss": "sparse_categorical_crossentropy",
                "metric": "accuracy", "classes": True}
    return {"units": int(n_outputs or 1), "activation": None, "loss": "mse", "metric": "mae", "classes": False}


def make_optimizer(name: str, learning_rate: float):
    """'adam' | 'sgd' | 'momentum' | 'nesterov' | 'rmsprop' | 'adagrad' | 'adadelta' -> a Keras optimizer."""
    import keras

    factories = {
        "adam": lambda: keras.optimizers.Adam(learning_rate),
        "sgd": lambda: keras.optimizers.SGD(learning_rate),
        "momentum": lambda: keras.optimizers.SGD(learning_rate, momentum=0.9),
        "nesterov": lambda: keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate),
        "adagrad": lambda: keras.optimizers.Adagrad(learning_rate),
        "adadelta": lambda: keras.optimizers.Adadelta(learning_rate),
    }
    _check_choice(name, "optimizer", OPTIMIZERS)
    return factories[name]()


def _layer_kwargs(layer: LayerSpec) -> dict:
    """The non-default keyword arguments of the functional call for a layer (TFLearn names)."""
    if layer.kind == "bidirectional_rnn":
        names = ("return_seq", "dynamic", "scope")
    else:
        names = ("activation", "inner_activation", "dropout", "bias", "weights_init", "forget_bias", "return_seq",
                 "dynamic", "trainable", "restore", "scope")
        if layer.kind == "simple_rnn":
            names = tuple(n for n in names if n not in ("inner_activation", "forget_bias"))
        if layer.kind == "gru":
            names = tuple(n for n in names if n != "forget_bias")
    default = LayerSpec(kind=layer.kind)
    return {n: getattr(layer, n) for n in names if getattr(layer, n) != getattr(default, n)}


def _cell_kwargs(cell: CellSpec) -> dict:
    names = ["activation", "bias", "weights_init"]
    if cell.kind in ("lstm", "gru"):
        names.insert(1, "inner_activation")
    if cell.kind == "lstm":
        names.append("forget_bias")
    default = CellSpec(kind=cell.kind)
    return {n: getattr(cell, n) for n in names if getattr(cell, n) != getattr(default, n)}


def _make_cell(cell: CellSpec):
    import rnnlab

    return getattr(rnnlab, _CELL_CLASS[cell.kind])(cell.n_units, **_cell_kwargs(cell))


def build_model(spec: ExperimentSpec, n_features: int | None = None, n_classes: int | None = None,
                task: str | None = None, *, n_outputs: int | None = None, time_steps: int | None = None,
                dataset=None, compile: bool = True):
    """spec -> keras.Model [B, T, D] -> head output, built with rnnlab's functional API.

    Output: regression [B, k]; classification [B, n_classes] (softmax); sequence labelling
    [B, T, n_classes] (softmax) or [B, T, k]. Pass ``dataset`` (a SequenceDataset) to take D, the
    task, n_classes and k from it; otherwise n_features is required (or the spec's data is loaded).
    time_steps=None accepts any T. Layer names are fresh (LSTM, LSTM_1, ..., FullyConnected)
    whatever was built before. With ``compile``, the model is compiled with the spec's optimiser,
    the head's loss and metric (``model.fit`` / ``evaluate`` work; :func:`rnnlab.experiments.train`
    uses the same optimiser object).
    """
    import keras

    import rnnlab

    if dataset is None and n_features is None:
        dataset = load_data(spec)[0]
    if dataset is not None:
        n_features = dataset.n_features
        task = task or dataset.task
        n_classes = n_classes if n_classes is not None else dataset.n_classes
        if n_outputs is None and dataset.task != "classification" and dataset.n_classes is None:
            n_outputs = int(dataset.y.shape[-1])
    task = task or spec.task()
    spec.validate(dataset_info=_TaskOnly(task) if dataset is None else dataset)
    _check_int(n_features, "n_features", 1, 10**6)
    head = head_for(task, n_classes, n_outputs)
    with rnnlab.naming_context():
        net = inputs = rnnlab.input_data(shape=[None, time_steps, n_features])
        for layer in spec.layers:
            kwargs = _layer_kwargs(layer)
            if layer.kind == "bidirectional_rnn":
                net = rnnlab.bidirectional_rnn(net, _make_cell(layer.cell_fw), _make_cell(layer.cell_bw), **kwargs)
            else:
                net = getattr(rnnlab, layer.kind)(net, layer.n_units, **kwargs)
        outputs = keras.layers.Dense(head["units"], activation=head["activation"], name="FullyConnected")(net)
        model = keras.Model(inputs, outputs, name="rnnlab_model")
    if compile:
        model.compile(
            optimizer=make_optimizer(spec.optimizer, spec.learning_rate),
            loss=head["loss"],
            **{("weighted_metrics" if task == "sequence_labelling" else "metrics"): [head["metric"]]},
        )
    return model


@dataclass(frozen=True)
class _TaskOnly:
    task: str
