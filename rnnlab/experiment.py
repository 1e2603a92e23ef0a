"""One object describes an experiment everywhere: ExperimentSpec (frozen dataclass <-> JSON <-> query string).

    from rnnlab.experiment import ExperimentSpec, LayerSpec, CellSpec, build_model, load_data, PRESETS

    spec = ExperimentSpec(dataset="adding", dataset_options={"T": 50, "n_samples": 4000},
                          layers=(LayerSpec("lstm", 32),), learning_rate=0.01, epochs=20, seed=0)
    spec.validate()                                  # SpecError("layers[0].n_units: ...") when wrong
    ExperimentSpec.from_json(spec.to_json()) == spec
    ExperimentSpec.from_query(spec.to_query()) == spec   # the URL of a run, seed included
    train, test = load_data(spec)                    # SequenceDataset pair
    model = build_model(spec, dataset=train)         # keras.Model of rnnlab layers + a Dense head
    print(spec.python_code())                        # the same experiment as plain rnnlab code

The data (``dataset`` + ``dataset_options``):

    n_samples   training sequences (default: the whole train split; 1000 when generating)
    n_test      test sequences (default: all of the test split, or ~n_samples / 4 when n_samples is given)
    data_seed   which random subset / which generated set (default 0; independent of the model ``seed``)
    standardize True: z-score each feature with the training set's mean and std over real steps; padded
                steps stay exactly 0, so dynamic mode still finds the lengths (default False)
    generate    True: draw a fresh set from the generator (synthetic sets only); implied by any generator
                argument such as T=50 (``datasets.make_adding(T=50)``) or delay=30 (copy_memory)

The head follows the task of the data: regression -> Dense(k); classification -> Dense(n_classes, softmax)
on the last output; sequence labelling -> the same Dense on every step (the last recurrent layer must
``return_seq``). In sequence labelling the loss and metrics count real steps only (sample weights from the
valid mask), so padded steps never train the model.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnlab import activations, initializations
from rnnlab.errors import RnnlabError

SCHEMA_VERSION = 1
LAYER_KINDS = ("simple_rnn", "lstm", "gru", "bidirectional_rnn")
CELL_KINDS = ("simple_rnn", "lstm", "gru")
HEADS = ("auto", "regression", "classification", "sequence_labelling")
OPTIMIZERS = ("adam", "sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adadelta")
MAX_UNITS = 1024
MAX_LAYERS = 8
MAX_BATCH_SIZE = 4096
MAX_EPOCHS = 10_000
MAX_LEARNING_RATE = 1e6
MAX_SEED = 2**31 - 1
DATA_OPTION_KEYS = ("n_samples", "n_test", "data_seed", "standardize", "generate")

# The TFLearn default `activation` of each layer kind (LayerSpec.activation=None) and of each cell.
LAYER_DEFAULT_ACTIVATION = {"simple_rnn": "sigmoid", "lstm": "tanh", "gru": "tanh"}
CELL_DEFAULT_ACTIVATION = {"simple_rnn": "tanh", "lstm": "tanh", "gru": "tanh"}
_FUNCTION = {"simple_rnn": "simple_rnn", "lstm": "lstm", "gru": "gru", "bidirectional_rnn": "bidirectional_rnn"}
_CELL_CLASS = {"simple_rnn": "BasicRNNCell", "lstm": "BasicLSTMCell", "gru": "GRUCell"}


class SpecError(RnnlabError):
    """An invalid experiment: ``field`` names the setting ("layers[1].n_units"), the message says why."""

    def __init__(self, field_name: str, problem: str):
        self.field = field_name
        super().__init__(f"{field_name}: {problem}")


def _received(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ---------------------------------------------------------------------------------------------- the specs


@dataclass(frozen=True)
class CellSpec:
    """One cell of a bidirectional layer (TFLearn's BasicRNNCell / BasicLSTMCell / GRUCell).

    kind: 'simple_rnn' | 'lstm' | 'gru'. activation=None is the cell's TFLearn default ('tanh').
    inner_activation is used by LSTM and GRU cells, forget_bias by LSTM cells only.
    """

    kind: str = "lstm"
    n_units: int = 16
    activation: str | None = None
    inner_activation: str = "sigmoid"
    bias: bool = True
    weights_init: str | None = None
    forget_bias: float = 1.0

    def to_dict(self) -> dict:
        """-> a JSON-ready dict of every field."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, where: str = "cell") -> CellSpec:
        """dict (from :meth:`to_dict` or JSON) -> CellSpec; unknown keys raise SpecError naming them."""
        return cls(**_known_fields(cls, data, where))


@dataclass(frozen=True)
class LayerSpec:
    """One recurrent layer: TFLearn's arguments of ``simple_rnn`` / ``lstm`` / ``gru`` / ``bidirectional_rnn``.

    activation=None is the layer's TFLearn default ('sigmoid' for simple_rnn, 'tanh' otherwise).
    dropout: None, a keep probability, or (input_keep, output_keep). return_state is kept for the
    record but ignored when building (the model has one output). For kind 'bidirectional_rnn' only
    return_seq, dynamic, scope and the two cells ``cell_fw`` / ``cell_bw`` count (TFLearn's
    bidirectional_rnn has no other arguments); n_units is then the cells' own.
    """

    kind: str = "lstm"
    n_units: int = 16
    activation: str | None = None
    inner_activation: str = "sigmoid"
    dropout: float | tuple[float, float] | None = None
    bias: bool = True
    weights_init: str | None = None
    forget_bias: float = 1.0
    return_seq: bool = False
    return_state: bool = False
    dynamic: bool = False
    trainable: bool = True
    restore: bool = True
    scope: str | None = None
    cell_fw: CellSpec | None = None
    cell_bw: CellSpec | None = None

    def __post_init__(self):
        if isinstance(self.dropout, list):
            object.__setattr__(self, "dropout", tuple(self.dropout))
        for name in ("cell_fw", "cell_bw"):
            value = getattr(self, name)
            if isinstance(value, dict):
                object.__setattr__(self, name, CellSpec.from_dict(value, name))

    @property
    def units(self) -> int:
        """The layer's units per direction (the cells' for bidirectional)."""
        if self.kind == "bidirectional_rnn" and isinstance(self.cell_fw, CellSpec):
            return self.cell_fw.n_units
        return self.n_units

    def describe(self) -> str:
        """'lstm(32, seq, dynamic)': a short label for lists and plots."""
        if self.kind == "bidirectional_rnn" and isinstance(self.cell_fw, CellSpec) and isinstance(self.cell_bw, CellSpec):
            parts = [f"{self.cell_fw.kind}+{self.cell_bw.kind}", str(self.cell_fw.n_units)]
            name = "bidirectional"
        else:
            parts, name = [str(self.n_units)], self.kind
        parts += [flag for flag, on in (("seq", self.return_seq), ("dynamic", self.dynamic)) if on]
        return f"{name}({', '.join(parts)})"

    def to_dict(self) -> dict:
        """-> a JSON-ready dict of every field (cells as dicts or None, dropout as a list)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["cell_fw"] = self.cell_fw.to_dict() if isinstance(self.cell_fw, CellSpec) else self.cell_fw
        data["cell_bw"] = self.cell_bw.to_dict() if isinstance(self.cell_bw, CellSpec) else self.cell_bw
        if isinstance(self.dropout, tuple):
            data["dropout"] = list(self.dropout)
        return data

    @classmethod
    def from_dict(cls, data: dict, where: str = "layer") -> LayerSpec:
        """dict -> LayerSpec; unknown keys raise SpecError naming them."""
        data = _known_fields(cls, data, where)
        for name in ("cell_fw", "cell_bw"):
            if isinstance(data.get(name), dict):
                data[name] = CellSpec.from_dict(data[name], f"{where}.{name}")
        return cls(**data)


@dataclass(frozen=True)
class ExperimentSpec:
    """Everything that defines a run: data, layers, head, optimiser, seed. JSON- and URL-serialisable.

    dataset: a name from ``rnnlab.datasets.names()`` (or any label for your own data passed to
    ``train(spec, dataset=...)``); dataset_options: see the module docstring. head='auto' follows
    the data's task. validation_split is used only for your own data without a test split.
    Equal specs with equal seeds give identical training histories.
    """

    schema_version: int = SCHEMA_VERSION
    dataset: str = "adding"
    dataset_options: dict = field(default_factory=dict)
    layers: tuple[LayerSpec, ...] = (LayerSpec(),)
    head: str = "auto"
    optimizer: str = "adam"
    learning_rate: float = 0.01
    batch_size: int = 32
    epochs: int = 10
    seed: int = 0
    validation_split: float = 0.2

    def __post_init__(self):
        if isinstance(self.layers, (list, tuple)):
            layers = tuple(
                LayerSpec.from_dict(layer, f"layers[{i}]") if isinstance(layer, dict) else layer
                for i, layer in enumerate(self.layers)
            )
            object.__setattr__(self, "layers", layers)
        elif isinstance(self.layers, LayerSpec):
            object.__setattr__(self, "layers", (self.layers,))
        if isinstance(self.dataset_options, dict):
            object.__setattr__(self, "dataset_options", dict(self.dataset_options))

    def __hash__(self):  # dataset_options is a dict: hash the canonical JSON instead
        return hash(self.to_json())

    # ---- serialisation
    def to_dict(self) -> dict:
        """-> a JSON-ready dict of every setting (layers as a list of dicts)."""
        return {
            "schema_version": self.schema_version,
            "dataset": self.dataset,
            "dataset_options": dict(self.dataset_options),
            "layers": [layer.to_dict() for layer in self.layers],
            "head": self.head,
            "optimizer": self.optimizer,
            "learning_rate": self.learning_rate,
            "batch_size": self.batch_size,
            "epochs": self.epochs,
            "seed": self.seed,
            "validation_split": self.validation_split,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ExperimentSpec:
        """dict (from :meth:`to_dict` / JSON) -> a validated ExperimentSpec. Missing keys take defaults."""
        if not isinstance(data, dict):
            raise SpecError("spec", f"expected a JSON object of settings; received {_received(data)}.")
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise SpecError(
                "schema_version",
                f"this rnnlab reads version {SCHEMA_VERSION}; received {_received(version)}. "
                "Save the spec again with this version of rnnlab.",
            )
        data = _known_fields(cls, data, "spec", top_level=True)
        layers = data.get("layers", [LayerSpec().to_dict()])
        if not isinstance(layers, (list, tuple)):
            raise SpecError("layers", f"expected a list of layers; received {_received(layers)}.")
        data["layers"] = tuple(
            LayerSpec.from_dict(layer, f"layers[{i}]") if isinstance(layer, dict) else layer
            for i, layer in enumerate(layers)
        )
        spec = cls(**data)
        spec.validate(check_dataset=False)
        return spec

    def to_json(self, indent: int | None = 2) -> str:
        """-> JSON text (keys in a fixed order; ``indent=None`` gives one line)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> ExperimentSpec:
        """JSON text -> a validated ExperimentSpec (SpecError on bad JSON or bad settings)."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as error:
            raise SpecError("spec", f"not valid JSON ({error}).") from None
        return cls.from_dict(data)

    def to_query(self) -> dict[str, str]:
        """-> {key: str} for a URL (st.query_params): every setting, the seed included.

        Top-level settings always appear; dataset options as ``dataset_options.<key>``; layers as
        ``layers`` (the count) and ``l<i>.<field>`` for the kind and every non-default field
        (``l<i>.fw.<field>`` / ``l<i>.bw.<field>`` for bidirectional cells).
        """
        query = {}
        for name in ("schema_version", "dataset", "head", "optimizer", "learning_rate", "batch_size", "epochs",
                     "seed", "validation_split"):
            query[name] = _encode(getattr(self, name))
        for key, value in self.dataset_options.items():
            query[f"dataset_options.{key}"] = _encode(value)
        query["layers"] = str(len(self.layers))
        for i, layer in enumerate(self.layers):
            query[f"l{i}.kind"] = layer.kind
            for name, value in _non_defaults(layer, LayerSpec(kind=layer.kind)).items():
                if name in ("cell_fw", "cell_bw"):
                    prefix = f"l{i}.{name[-2:]}"
                    if value is None:
                        query[prefix] = "null"
                        continue
                    query[f"{prefix}.kind"] = value.kind
                    for cell_name, cell_value in _non_defaults(value, CellSpec(kind=value.kind)).items():
                        query[f"{prefix}.{cell_name}"] = _encode(cell_value)
                else:
                    query[f"l{i}.{name}"] = _encode(value)
        return query

    @classmethod
    def from_query(cls, query) -> ExperimentSpec:
        """{key: str} (st.query_params or a dict) -> a validated ExperimentSpec; inverse of :meth:`to_query`."""
        query = {str(k): (v[-1] if isinstance(v, list) else v) for k, v in dict(query).items()}
        top = {f.name for f in dataclasses.fields(cls)} - {"layers", "dataset_options"}
        data: dict[str, Any] = {"dataset_options": {}}
        layer_fields = {f.name for f in dataclasses.fields(LayerSpec)} - {"cell_fw", "cell_bw"}
        cell_fields = {f.name for f in dataclasses.fields(CellSpec)}
        count = query.pop("layers", None)
        try:
            count = int(count) if count is not None else None
        except ValueError:
            raise SpecError("layers", f"expected the number of layers; received {_received(count)}.") from None
        layers: dict[int, dict] = {}
        for key, text in query.items():
            if key in top:
                data[key] = _decode(text)
                continue
            if key.startswith("dataset_options."):
                data["dataset_options"][key.split(".", 1)[1]] = _decode(text)
                continue
            match = re.fullmatch(r"l(\d+)\.(?:(fw|bw)(?:\.(\w+))?|(\w+))", key)
            if not match:
                raise SpecError(key, "unknown setting in the query string.")
            index = int(match.group(1))
            where = f"layers[{index}]"
            layer = layers.setdefault(index, {})
            if match.group(2):
                cell_key = f"cell_{match.group(2)}"
                if match.group(3) is None:
                    if text not in ("null", ""):
                        raise SpecError(f"{where}.{cell_key}", f"expected 'null' or fields; received {_received(text)}.")
                    layer[cell_key] = None
                elif match.group(3) in cell_fields:
                    cell = layer.get(cell_key) or {}
                    cell[match.group(3)] = _decode(text) if match.group(3) != "kind" else text
                    layer[cell_key] = cell
                else:
                    raise SpecError(f"{where}.{cell_key}.{match.group(3)}", "unknown field in the query string.")
            elif match.group(4) in layer_fields:
                layer[match.group(4)] = _decode(text) if match.group(4) != "kind" else text
            else:
                raise SpecError(f"{where}.{match.group(4)}", "unknown field in the query string.")
        if count is None:
            count = max(layers) + 1 if layers else 1
        extra = sorted(i for i in layers if i >= count)
        if extra:
            raise SpecError(f"layers[{extra[0]}]", f"the query string says there are {count} layers.")
        data["layers"] = [layers.get(i, {}) for i in range(count)]
        return cls.from_dict(data)

    def replace(self, **changes) -> ExperimentSpec:
        """A copy with some settings changed, e.g. ``spec.replace(epochs=3)`` (not validated: call validate)."""
        return dataclasses.replace(self, **changes)

    def short_hash(self, length: int = 8) -> str:
        """The first ``length`` hex digits of the SHA-256 of the canonical JSON (equal specs, equal hash)."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:length]

    def describe(self) -> str:
        """'adding: lstm(32) > lstm(16)': a one-line summary."""
        return f"{self.dataset}: " + " > ".join(
            layer.describe() if isinstance(layer, LayerSpec) else "?" for layer in self.layers
        )

    # ---- checks
    def task(self, dataset_info=None) -> str:
        """-> 'regression' | 'classification' | 'sequence_labelling': the head, resolved from the data if 'auto'.

        dataset_info: a DatasetInfo or SequenceDataset (anything with ``.task``); default: the named
        shipped set. Raises SpecError when the head does not fit the data.
        """
        data_task = _data_task(self.dataset, dataset_info)
        if self.head == "auto":
            if data_task is None:
                raise SpecError(
                    "dataset",
                    f"{self.dataset!r} is not a shipped data set, so head='auto' cannot tell the task; "
                    "pass dataset_info (your SequenceDataset) or set head.",
                )
            return data_task
        if data_task is not None and data_task != self.head:
            raise SpecError(
                "head",
                f"{self.head!r} does not fit data set {self.dataset!r}, whose task is {data_task!r}; "
                f"received head={self.head!r}. Use head='auto' or {data_task!r}.",
            )
        return self.head

    def validate(self, dataset_info=None, *, check_dataset: bool = True) -> ExperimentSpec:
        """Raise SpecError naming the first bad setting ("layers[1].n_units: ..."); return self when valid.

        Checks types and ranges of every field, that each layer feeding a recurrent layer returns its
        sequence, and (with ``check_dataset``) that the data set exists and the head fits its task
        (sequence labelling needs the last layer to return_seq; the other heads need it not to).
        dataset_info: DatasetInfo or SequenceDataset for data that is not a shipped set.
        """
        _check_int(self.schema_version, "schema_version", SCHEMA_VERSION, SCHEMA_VERSION)
        if not isinstance(self.dataset, str) or not self.dataset:
            raise SpecError("dataset", f"expected a data set name; received {_received(self.dataset)}.")
        _check_choice(self.head, "head", HEADS)
        _check_choice(self.optimizer, "optimizer", OPTIMIZERS)
        _check_float(self.learning_rate, "learning_rate", 0.0, MAX_LEARNING_RATE, low_open=True)
        _check_int(self.batch_size, "batch_size", 1, MAX_BATCH_SIZE)
        _check_int(self.epochs, "epochs", 1, MAX_EPOCHS)
        _check_int(self.seed, "seed", 0, MAX_SEED)
        _check_float(self.validation_split, "validation_split", 0.0, 0.9, low_open=True)
        self._validate_dataset_options()
        if not isinstance(self.layers, tuple) or not self.layers:
            raise SpecError("layers", f"expected at least one recurrent layer; received {_received(self.layers)}.")
        if len(self.layers) > MAX_LAYERS:
            raise SpecError("layers", f"at most {MAX_LAYERS} layers; received {len(self.layers)}.")
        scopes_seen: dict[str, int] = {}
        for i, layer in enumerate(self.layers):
            where = f"layers[{i}]"
            if not isinstance(layer, LayerSpec):
                raise SpecError(where, f"expected a LayerSpec; received {_received(layer)}.")
            _validate_layer(layer, where)
            if layer.scope is not None:
                if layer.scope in scopes_seen:
                    raise SpecError(
                        f"{where}.scope",
                        f"{layer.scope!r} is already the scope of layers[{scopes_seen[layer.scope]}]; "
                        "each layer needs its own scope.",
                    )
                scopes_seen[layer.scope] = i
            if i + 1 < len(self.layers) and not layer.return_seq:
                raise SpecError(
                    f"{where}.return_seq",
                    f"must be True because layers[{i + 1}] ({self.layers[i + 1].kind}) reads this layer's "
                    "whole sequence [B, T, n]; received False.",
                )
        if check_dataset:
            task = self.task(dataset_info)
            last = len(self.layers) - 1
            if task == "sequence_labelling" and not self.layers[-1].return_seq:
                raise SpecError(
                    f"layers[{last}].return_seq",
                    "sequence labelling predicts a label at every step, so the last recurrent layer must "
                    "return its whole sequence; received False.",
                )
            if task != "sequence_labelling" and self.layers[-1].return_seq:
                raise SpecError(
                    f"layers[{last}].return_seq",
                    f"a {task} head predicts once per sequence from the last output [B, n], so the last "
                    "recurrent layer must not return its sequence; received True.",
                )
        return self

    def _validate_dataset_options(self):
        options = self.dataset_options
        if not isinstance(options, dict):
            raise SpecError("dataset_options", f"expected a dict; received {_received(options)}.")
        for key in ("n_samples", "n_test"):
            if key in options and options[key] is not None:
                _check_int(options[key], f"dataset_options.{key}", 1, 10**6)
        if "data_seed" in options:
            _check_int(options["data_seed"], "dataset_options.data_seed", 0, MAX_SEED)
        for key in ("generate", "standardize"):
            if key in options and not isinstance(options[key], bool):
                raise SpecError(f"dataset_options.{key}", f"expected True or False; received {_received(options[key])}.")
        params = [k for k in options if k not in DATA_OPTION_KEYS]
        if not params and not options.get("generate"):
            return
        from rnnlab import datasets

        if self.dataset not in datasets.GENERATORS:
            bad = params[0] if params else "generate"
            raise SpecError(
                f"dataset_options.{bad}",
                f"{self.dataset!r} is not a generated set, so it takes only {list(DATA_OPTION_KEYS[:4])}; "
                f"generated sets: {list(datasets.GENERATORS)}.",
            )
        allowed = _generator_arguments(self.dataset)
        for key in params:
            if key not in allowed:
                raise SpecError(
                    f"dataset_options.{key}",
                    f"not an argument of the {self.dataset!r} generator; expected one of "
                    f"{list(DATA_OPTION_KEYS) + allowed}.",
                )

    # ---- code
    def python_code(self, fit: bool = True, dataset_info=None) -> str:
        """-> the same experiment as a plain rnnlab + Keras script to copy (data, layers, head, compile, fit).

        Running it builds the same architecture (layer names, kinds, arguments, shapes) as
        ``build_model(self, ...)``. It trains with ``model.fit``, which shuffles differently from
        :func:`rnnlab.training.train`, so the numbers differ slightly. dataset_info: your SequenceDataset
        when ``dataset`` is not a shipped set (the script then starts from a CSV you name); without it
        the script picks the head from the data when it runs.
        """
        self.validate(check_dataset=False)
        data = dataset_info if hasattr(dataset_info, "n_classes") else None
        if data is None:
            try:
                data = load_data(self)[0]
            except SpecError:
                data = None
        if data is not None:
            task = self.task(data)
            classes = head_for(task, data.n_classes, 1)["classes"] if task != "regression" else False
        else:
            task = classes = None
        lines = ["import keras", "", "import rnnlab", "from rnnlab import datasets"]
        if data_plan(self)["standardize"]:
            lines.append("from rnnlab.experiment import standardize")
        lines.append("")
        lines += _data_code(self)
        lines += [f"keras.utils.set_random_seed({self.seed})", ""]
        lines.append("net = inputs = rnnlab.input_data(shape=[None, None, train.n_features])")
        for layer in self.layers:
            lines.append(f"net = {_layer_call(layer)}")
        optimizer = _optimizer_code(self.optimizer, self.learning_rate)
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
                f"model.fit(train.x, train.y{fit_weights}, batch_size={self.batch_size}, epochs={self.epochs}, "
                f"validation_data={val})"
            )
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- helpers


def _known_fields(cls, data, where: str, top_level: bool = False) -> dict:
    if not isinstance(data, dict):
        raise SpecError(where, f"expected a dict of settings; received {_received(data)}.")
    names = [f.name for f in dataclasses.fields(cls)]
    for key in data:
        if key not in names:
            raise SpecError(f"{where}.{key}" if not top_level else str(key),
                            f"unknown setting; expected one of {names}.")
    return dict(data)


def _non_defaults(obj, default) -> dict:
    return {
        f.name: getattr(obj, f.name)
        for f in dataclasses.fields(obj)
        if f.name != "kind" and getattr(obj, f.name) != getattr(default, f.name)
    }


def _encode(value) -> str:
    """A value -> query text: plain strings as they are, everything else (and strings that look like JSON) as JSON."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value, separators=(",", ":"))


def _decode(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def _check_choice(value, name, choices):
    if value not in choices:
        raise SpecError(name, f"expected one of {list(choices)}; received {_received(value)}.")


def _check_int(value, name, low, high):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise SpecError(name, f"expected a whole number in {low}..{high}; received {_received(value)}.")
    if not low <= value <= high:
        raise SpecError(name, f"expected a whole number in {low}..{high}; received {value}.")


def _check_float(value, name, low, high, low_open=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SpecError(name, f"expected a number; received {_received(value)}.")
    if not math.isfinite(value) or value > high or value < low or (low_open and value == low):
        bracket = "(" if low_open else "["
        raise SpecError(name, f"expected a number in {bracket}{low:g}, {high:g}]; received {value!r}.")


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise SpecError(name, f"expected True or False; received {_received(value)}.")


def _check_activation(value, name, allow_none):
    if value is None and allow_none:
        return
    if not isinstance(value, str):
        raise SpecError(name, f"expected an activation name; received {_received(value)}.")
    try:
        activations.get(value, name)
    except RnnlabError as error:
        raise SpecError(name, f"{error}") from None


def _check_weights_init(value, name):
    if value is None:
        return
    if not isinstance(value, str) or value.lower() not in initializations.NAMES:
        raise SpecError(
            name, f"expected None (Glorot uniform) or one of {list(initializations.NAMES)}; received {_received(value)}."
        )


def _validate_cell(cell, where):
    if not isinstance(cell, CellSpec):
        raise SpecError(where, f"expected a CellSpec; received {_received(cell)}.")
    _check_choice(cell.kind, f"{where}.kind", CELL_KINDS)
    _check_int(cell.n_units, f"{where}.n_units", 1, MAX_UNITS)
    _check_activation(cell.activation, f"{where}.activation", True)
    _check_activation(cell.inner_activation, f"{where}.inner_activation", False)
    _check_bool(cell.bias, f"{where}.bias")
    _check_weights_init(cell.weights_init, f"{where}.weights_init")
    _check_float(cell.forget_bias, f"{where}.forget_bias", -100.0, 100.0)


def _validate_layer(layer: LayerSpec, where: str):
    if layer.kind not in LAYER_KINDS:
        raise SpecError(f"{where}.kind",
                        f"unknown kind; expected one of {list(LAYER_KINDS)}; received {_received(layer.kind)}.")
    # every field must be well formed, also those a bidirectional layer does not use
    _check_int(layer.n_units, f"{where}.n_units", 1, MAX_UNITS)
    _check_activation(layer.activation, f"{where}.activation", True)
    _check_activation(layer.inner_activation, f"{where}.inner_activation", False)
    _check_weights_init(layer.weights_init, f"{where}.weights_init")
    _check_float(layer.forget_bias, f"{where}.forget_bias", -100.0, 100.0)
    for name in ("return_seq", "return_state", "dynamic", "trainable", "restore", "bias"):
        _check_bool(getattr(layer, name), f"{where}.{name}")
    scope = layer.scope
    if scope is not None and (not isinstance(scope, str) or not re.fullmatch(r"[A-Za-z][\w.-]*", scope)):
        raise SpecError(
            f"{where}.scope",
            "expected None or a name of letters, digits, '_', '-', '.' starting with a letter; "
            f"received {_received(scope)}.",
        )
    dropout = layer.dropout
    if dropout is not None:
        keeps = dropout if isinstance(dropout, tuple) else (dropout,)
        if len(keeps) not in (1, 2) or any(
            isinstance(k, bool) or not isinstance(k, (int, float)) or not 0.0 < k <= 1.0 for k in keeps
        ):
            raise SpecError(
                f"{where}.dropout",
                "expected None, a keep probability in (0, 1], or (input_keep, output_keep); "
                f"received {_received(dropout)}.",
            )
    if layer.kind == "bidirectional_rnn":
        for name in ("cell_fw", "cell_bw"):
            if getattr(layer, name) is None:
                raise SpecError(f"{where}.{name}", "required for kind 'bidirectional_rnn' (a CellSpec); received None.")
            _validate_cell(getattr(layer, name), f"{where}.{name}")
        if layer.cell_fw.n_units != layer.cell_bw.n_units:
            raise SpecError(
                f"{where}.cell_bw.n_units",
                f"must equal cell_fw.n_units={layer.cell_fw.n_units} (the two directions are concatenated); "
                f"received {layer.cell_bw.n_units}.",
            )
        if layer.dropout is not None:
            raise SpecError(f"{where}.dropout", "bidirectional_rnn has no dropout argument (as in TFLearn); received "
                            f"{_received(layer.dropout)}.")
        return
    for name in ("cell_fw", "cell_bw"):
        if getattr(layer, name) is not None:
            raise SpecError(f"{where}.{name}", f"only for kind 'bidirectional_rnn'; this layer is {layer.kind!r}.")


def _data_task(name, dataset_info):
    if dataset_info is not None:
        return getattr(dataset_info, "task", None)
    from rnnlab import datasets

    if name in datasets.names():
        return datasets.info(name).task
    return None


@functools.lru_cache(maxsize=None)
def _generator_arguments_cached(name: str) -> tuple:
    from rnnlab import datasets

    function = datasets.make_variable_length if name == "variable_length_prepadded" else datasets.GENERATORS[name]
    skip = {"n_samples", "seed"} | ({"padding"} if name == "variable_length_prepadded" else set())
    return tuple(p for p in inspect.signature(function).parameters if p not in skip)


def _generator_arguments(name: str) -> list:
    return list(_generator_arguments_cached(name))


# ---------------------------------------------------------------------------------------------- data


def data_plan(spec: ExperimentSpec) -> dict:
    """-> how load_data reads the data: {'generate', 'n_train', 'n_test', 'data_seed', 'standardize', 'params'}."""
    options = dict(spec.dataset_options)
    standardize_ = bool(options.pop("standardize", False))
    n_samples = options.pop("n_samples", None)
    n_test = options.pop("n_test", None)
    data_seed = options.pop("data_seed", 0)
    generate = bool(options.pop("generate", False)) or bool(options)
    if generate:
        n_train = n_samples or 1000
        n_test = n_test or max(1, n_train // 4)
    elif n_samples is not None and n_test is None:
        n_test = max(1, -(-n_samples // 4))
    return {"generate": generate, "n_train": n_samples if not generate else n_train, "n_test": n_test,
            "data_seed": data_seed, "standardize": standardize_, "params": options}


def load_data(spec: ExperimentSpec):
    """spec -> (train, test) SequenceDatasets [N, T, D] as the spec describes (cached; arrays are shared).

    Shipped sets: the file's own train / test split, optionally a seeded random subset of each.
    Generated sets: ``datasets.generate(name, n_train + n_test, data_seed, **params)``, the first
    n_train sequences for training and the rest for testing. Bad options raise SpecError.
    """
    plan = data_plan(spec)
    key = json.dumps({"dataset": spec.dataset, **plan}, sort_keys=True)
    train, test = _load_data_cached(key)
    return standardize(train, test) if plan["standardize"] else (train, test)


def standardize(train, test):
    """(train, test) [N, T, D] -> the same with each feature z-scored by the training set's mean and std
    over real steps (t < length). Padded steps stay exactly 0, so dynamic mode still finds the lengths."""
    mask = train.valid_mask  # [N, T]
    mean = train.x[mask].mean(axis=0)  # [D]
    std = train.x[mask].std(axis=0)
    std = np.where(std > 0, std, 1.0)

    def scaled(data):
        x = np.where(data.valid_mask[..., None], (data.x - mean) / std, 0.0).astype(np.float32)
        return dataclasses.replace(data, x=x)

    return scaled(train), scaled(test)


@functools.lru_cache(maxsize=8)
def _load_data_cached(key: str):
    from rnnlab import datasets

    plan = json.loads(key)
    name = plan["dataset"]
    try:
        if plan["generate"]:
            data = datasets.generate(name, n_samples=plan["n_train"] + plan["n_test"], seed=plan["data_seed"],
                                     **plan["params"])
            n = plan["n_train"]
            return data.subset(np.arange(n)), data.subset(np.arange(n, n + plan["n_test"]))
        if name not in datasets.names():
            raise SpecError("dataset", f"unknown data set; expected one of {datasets.names()}; received {name!r}.")
        train = datasets.load(name, "train", n_samples=plan["n_train"], seed=plan["data_seed"])
        test_size = datasets.load(name, "test").n_samples
        n_test = None if plan["n_test"] is None else min(plan["n_test"], test_size)
        test = datasets.load(name, "test", n_samples=n_test, seed=plan["data_seed"])
        return train, test
    except SpecError:
        raise
    except (RnnlabError, TypeError) as error:
        raise SpecError("dataset_options", str(error)) from None


# ---------------------------------------------------------------------------------------------- building


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
    the head's loss and metric (``model.fit`` / ``evaluate`` work; :func:`rnnlab.training.train`
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


# ---------------------------------------------------------------------------------------------- code text

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
        file_name = spec.dataset.split(":", 1)[-1]  # the app names uploads 'upload:<file>'
        loader = "load_npz" if file_name.endswith(".npz") else "load_csv"
        if not file_name.endswith((".csv", ".npz")):
            file_name += ".csv"
        return [
            "import numpy as np",
            "",
            "# your own data: a SequenceDataset [N, T, D], split at random as rnnlab.training.split_dataset does",
            f"data = datasets.{loader}({file_name!r})",
            f"order = np.random.default_rng([{spec.seed}, 7]).permutation(data.n_samples)",
            f"n_test = int(round({spec.validation_split!r} * data.n_samples))",
            "train, test = data.subset(np.sort(order[n_test:])), data.subset(np.sort(order[:n_test]))",
        ] + _standardize_code(plan)
    seed = f", seed={plan['data_seed']}" if plan["data_seed"] else ""
    train = f", n_samples={plan['n_train']}{seed}" if plan["n_train"] else ""
    lines = [f"train = datasets.load({spec.dataset!r}, split='train'{train})"]
    test = ""
    if plan["n_test"] and spec.dataset in datasets.names():
        test = f", n_samples={min(plan['n_test'], datasets.load(spec.dataset, 'test').n_samples)}{seed}"
    lines.append(f"test = datasets.load({spec.dataset!r}, split='test'{test})")
    return lines + _standardize_code(plan)


def _standardize_code(plan) -> list[str]:
    if not plan["standardize"]:
        return []
    return ["train, test = standardize(train, test)  # z-score features with training statistics; padding stays 0"]


# ---------------------------------------------------------------------------------------------- presets


def _lstm(n, **kwargs) -> LayerSpec:
    return LayerSpec("lstm", n, **kwargs)


PRESETS: dict[str, ExperimentSpec] = {
    # The adding problem at T=50: an LSTM gets far below the 0.167 baseline.
    "adding_lstm": ExperimentSpec(
        dataset="adding", dataset_options={"T": 50, "n_samples": 10000, "n_test": 500},
        layers=(_lstm(32),), learning_rate=0.01, batch_size=50, epochs=10, seed=0,
    ),
    # The same task with a SimpleRNN: it stalls near the baseline (the lesson is that it does).
    "adding_simple_rnn": ExperimentSpec(
        dataset="adding", dataset_options={"T": 50, "n_samples": 10000, "n_test": 500},
        layers=(LayerSpec("simple_rnn", 32, activation="tanh"),), learning_rate=0.01, batch_size=50,
        epochs=10, seed=0,
    ),
    # An LSTM holds three bits across long gaps: the forget gate stays near 1 between pulses.
    "forget_gate": ExperimentSpec(
        dataset="flip_flop", layers=(_lstm(16, return_seq=True),), learning_rate=0.01, batch_size=32,
        epochs=30, seed=0,
    ),
    # Running parity, a label per step: a one-bit state machine.
    "parity": ExperimentSpec(
        dataset="parity", layers=(LayerSpec("gru", 16, return_seq=True),), learning_rate=0.01, batch_size=32,
        epochs=10, seed=0,
    ),
    # Next value of a noisy sine with a small LSTM.
    "sine": ExperimentSpec(
        dataset="sine", layers=(_lstm(16),), learning_rate=0.01, batch_size=32, epochs=10, seed=0,
    ),
    # Variable-length sequences in dynamic mode: the output is taken at each sequence's last real step.
    "padding": ExperimentSpec(
        dataset="variable_length", layers=(_lstm(16, dynamic=True),), learning_rate=0.01, batch_size=32,
        epochs=15, seed=0,
    ),
    # Real data: nine speakers from 7-29 frames of 12 cepstrum coefficients, in dynamic mode.
    "japanese_vowels": ExperimentSpec(
        dataset="japanese_vowels", dataset_options={"standardize": True},
        layers=(_lstm(64, dropout=(1.0, 0.7), dynamic=True),), learning_rate=0.005, batch_size=32, epochs=40, seed=0,
    ),
}

PRESET_DESCRIPTIONS: dict[str, str] = {
    "adding_lstm": "Adding problem, T=50, one LSTM: learns far below the 0.167 MSE of always guessing 1.0.",
    "adding_simple_rnn": "Adding problem, T=50, one SimpleRNN: the same budget, usually stuck near the baseline.",
    "forget_gate": "3-bit flip-flop, one LSTM: the forget gate holds each bit between pulses.",
    "parity": "Running parity, one GRU, a label per step: a one-bit state machine.",
    "sine": "Noisy sine, next value, a small LSTM.",
    "padding": "Random walks of 5-50 steps, zero-padded; a dynamic LSTM reads each to its real end.",
    "japanese_vowels": "Japanese Vowels (real, 9 speakers, 7-29 frames), a dynamic LSTM.",
}
