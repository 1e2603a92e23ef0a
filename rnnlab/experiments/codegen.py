"""ExperimentSpec -> the same experiment as a plain rnnlab + Keras script (ExperimentSpec.python_code)."""

from __future__ import annotations

from rnnlab.experiments.data import data_plan, load_data
from rnnlab.experiments.model import _CELL_CLASS, _cell_kwargs, _layer_kwargs, head_for
from rnnlab.experiments.spec import ExperimentSpec, LayerSpec, SpecError

_FUNCTION = {"simple_rnn": "simple_rnn", "lstm": "lstm", "gru": "gru", "bidirectional_rnn": "bidirectional_rnn"}


def python_code(spec: ExperimentSpec, fit: bool = True, dataset_info=None) -> str:
    """The body of :meth:`ExperimentSpec.python_code` (documented there)."""
    spec.validate(check_dataset=False)
    data = dataset_info if hasattr(dataset_info, "n_classes") else None
    if data is None:
        try:
            data = load_data(spec)[0]
        except SpecError:
            data = None
    if data is not None:
        task = spec.task(data)
        classes = head_for(task, data.n_classes, 1)["classes"] if task != "regression" else False
    else:
        task = classes = None
    lines = ["import keras", "", "import rnnlab", "from rnnlab import datasets"]
    if data_plan(spec)["standardize"]:
        lines.append("from rnnlab.experiments import standardize")
    lines.append("")
    lines += _data_code(spec)
    lines += [f"keras.utils.set_random_seed({spec.seed})", ""]
    lines.append("net = inputs = rnnlab.input_data(shape=[None, None, train.n_features])")
    names = state_names(spec)
    for layer, states in zip(spec.layers, names):
        outputs = ", ".join(["net", *states])
        lines.append(f"{outputs} = {_layer_call(layer)}")
        if states:  # the model below reads net only, as build_model does
            shapes = "; ".join(f"{n}: {text}" for n, (_, text) in zip(states, state_outputs(layer)))
            lines[-1] += f"  # {shapes}"
    optimizer = _optimizer_code(spec.optimizer, spec.learning_rate)
    if task is None:  # unknown data: decide when the script runs
        lines += [
            "classes = train.task != 'regression' and bool(train.n_classes)",
            "outputs = keras.layers.Dense(train.n_classes if classes else train.y.shape[-1],",
            "                             activation='softmax' if classes else None, name='FullyConnected')(net)",
            "model = keras.Model(inputs, outputs)",
            f"model.compile(optimizer={optimizer}, loss='sparse_categorical_crossentropy' if classes else 'mse',",
            "              weighted_metrics=['accuracy' if classes else 'mae'])",
            "weights = (lambda d: d.valid_mask.astype('float32') if d.task == 'sequence_labelling' else None)",
        ]
        fit_weights, val = ", sample_weight=weights(train)", "(test.x, test.y, weights(test))"
    else:
        if classes:
            lines.append("outputs = keras.layers.Dense(train.n_classes, activation='softmax', "
                         "name='FullyConnected')(net)")
        else:
            lines.append("outputs = keras.layers.Dense(train.y.shape[-1], name='FullyConnected')(net)")
        loss, metric = ("sparse_categorical_crossentropy", "accuracy") if classes else ("mse", "mae")
        metric_arg = "weighted_metrics" if task == "sequence_labelling" else "metrics"
        lines.append("model = keras.Model(inputs, outputs)")
        lines.append(f"model.compile(optimizer={optimizer}, loss={loss!r}, {metric_arg}=[{metric!r}])")
        if task == "sequence_labelling":  # real steps only: padded steps carry no loss
            fit_weights = ", sample_weight=train.valid_mask.astype('float32')"
            val = "(test.x, test.y, test.valid_mask.astype('float32'))"
        else:
            fit_weights, val = "", "(test.x, test.y)"
    if fit:
        lines.append(
            f"model.fit(train.x, train.y{fit_weights}, batch_size={spec.batch_size}, epochs={spec.epochs}, "
            f"validation_data={val})"
        )
    return "\n".join(lines) + "\n"


def state_outputs(layer: LayerSpec) -> list[tuple[str, str]]:
    """LayerSpec -> [(what, shapes)] for each state a call with return_state=True (bidirectional_rnn:
    return_states=True) returns after the output; [] when it is off. LSTM: ('state', '(c [B, n], h [B, n])');
    GRU / SimpleRNN: ('state', 'h [B, n]'); bidirectional_rnn: ('state_fw', ...), ('state_bw', ...) from its cells.
    The app's models ignore the flag (one output: build_model feeds the output on), so this is what the call
    returns in the generated code, not a tensor of the built model.
    """
    if not layer.return_state:
        return []

    def shapes(kind: str, n: int) -> str:
        return f"(c [B, {n}], h [B, {n}])" if kind == "lstm" else f"h [B, {n}]"

    if layer.kind == "bidirectional_rnn":
        return [("state_fw", shapes(layer.cell_fw.kind, layer.cell_fw.n_units)),
                ("state_bw", shapes(layer.cell_bw.kind, layer.cell_bw.n_units))]
    return [("state", shapes(layer.kind, layer.n_units))]


def state_names(spec: ExperimentSpec) -> list[list[str]]:
    """-> per layer, the names the generated code gives its states ('state', or 'state_0', 'state_2', ... when
    several layers return one; bidirectional: 'state_fw', 'state_bw')."""
    several = sum(bool(layer.return_state) for layer in spec.layers) > 1
    return [[what + (f"_{i}" if several else "") for what, _ in state_outputs(layer)]
            for i, layer in enumerate(spec.layers)]


def _optimizer_code(name, lr):
    return {
        "adam": f"keras.optimizers.Adam({lr!r})",
        "sgd": f"keras.optimizers.SGD({lr!r})",
        "momentum": f"keras.optimizers.SGD({lr!r}, momentum=0.9)",
        "nesterov": f"keras.optimizers.SGD({lr!r}, momentum=0.9, nesterov=True)",
        "rmsprop": f"keras.optimizers.RMSprop({lr!r})",
        "adagrad": f"keras.optimizers.Adagrad({lr!r})",
        "adadelta": f"keras.optimizers.Adadelta({lr!r})",
    }[name]


def _kwargs_code(kwargs: dict) -> str:
    return "".join(f", {k}={v!r}" for k, v in kwargs.items())


def _layer_call(layer: LayerSpec) -> str:
    kwargs = _layer_kwargs(layer)
    if layer.return_state:  # build_model leaves it out (one output); the script shows what the call returns
        kwargs["return_states" if layer.kind == "bidirectional_rnn" else "return_state"] = True
    if layer.kind == "bidirectional_rnn":
        cells = [
            f"rnnlab.{_CELL_CLASS[c.kind]}({c.n_units}{_kwargs_code(_cell_kwargs(c))})"
            for c in (layer.cell_fw, layer.cell_bw)
        ]
        return f"rnnlab.bidirectional_rnn(net, {cells[0]}, {cells[1]}{_kwargs_code(kwargs)})"
    return f"rnnlab.{_FUNCTION[layer.kind]}(net, {layer.n_units}{_kwargs_code(kwargs)})"


def _data_code(spec) -> list[str]:
    plan = data_plan(spec)
    if plan["generate"]:
        params = _kwargs_code(plan["params"])
        n = plan["n_train"]
        return [
            f"data = datasets.generate({spec.dataset!r}, n_samples={n + plan['n_test']}, "
            f"seed={plan['data_seed']}{params})",
            f"train, test = data.subset(range({n})), data.subset(range({n}, {n + plan['n_test']}))",
        ] + _standardize_code(plan)
    from rnnlab import datasets

    if spec.dataset not in datasets.names():
        return _own_data_code(spec) + _standardize_code(plan)
    seed = f", seed={plan['data_seed']}" if plan["data_seed"] else ""
    train = f", n_samples={plan['n_train']}{seed}" if plan["n_train"] else ""
    lines = [f"train = datasets.load({spec.dataset!r}, split='train'{train})"]
    test = ""
    if plan["n_test"] and spec.dataset in datasets.names():
        test = f", n_samples={min(plan['n_test'], datasets.load(spec.dataset, 'test').n_samples)}{seed}"
    lines.append(f"test = datasets.load({spec.dataset!r}, split='test'{test})")
    return lines + _standardize_code(plan)


#: File name ending -> the rnnlab.datasets loader that reads it.
_LOADERS = {".npz": "load_npz", ".ts": "load_ts", ".tsv": "load_tsv", ".csv": "load_csv"}


def _loader(file_name: str) -> tuple[str, str]:
    """A file name -> (loader, file name); a name without a known ending is read as CSV."""
    for ending, loader in _LOADERS.items():
        if file_name.lower().endswith(ending):
            return loader, file_name
    return "load_csv", file_name + ".csv"


def _own_data_code(spec) -> list[str]:
    """Your own data (the app names uploads 'upload:<file>' or 'upload:<train file>+<test file>'): load it, keep a
    TRAIN / TEST pair's or an NPZ's own split, else split at random as rnnlab.experiments.split_dataset does."""
    file_name = spec.dataset.split(":", 1)[-1]
    parts = file_name.split("+")
    if len(parts) == 2 and all(_loader(part)[1] == part for part in parts):
        (train_loader, train_file), (test_loader, test_file) = _loader(parts[0]), _loader(parts[1])
        return [
            "# your own data: a TRAIN / TEST pair, aligned to one length and one class numbering",
            f"train, test = datasets.align_train_test(datasets.{train_loader}({train_file!r}), "
            f"datasets.{test_loader}({test_file!r}))",
        ]
    loader, file_name = _loader(file_name)
    random_split = [
        f"order = np.random.default_rng([{spec.seed}, 7]).permutation(data.n_samples)",
        f"n_test = int(round({spec.validation_split!r} * data.n_samples))",
        "train, test = data.subset(np.sort(order[n_test:])), data.subset(np.sort(order[:n_test]))",
    ]
    if loader == "load_npz":  # the file's own split when it has one
        return [
            "import numpy as np",
            "",
            "# your own data: the NPZ's own train / test split, else a random one as rnnlab.experiments.split_dataset does",
            f"train, test = datasets.load_npz_train_test({file_name!r})",
            "if test is None:",
            "    data = train",
            *(f"    {line}" for line in random_split),
        ]
    return [
        "import numpy as np",
        "",
        "# your own data: a SequenceDataset [N, T, D], split at random as rnnlab.experiments.split_dataset does",
        f"data = datasets.{loader}({file_name!r})",
        *random_split,
    ]


def _standardize_code(plan) -> list[str]:
    if not plan["standardize"]:
        return []
    return ["train, test = standardize(train, test)  # z-score features with training statistics; padding stays 0"]
