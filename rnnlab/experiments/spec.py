"""One object describes an experiment everywhere: ExperimentSpec (frozen dataclass <-> JSON <-> query string).

    from rnnlab.experiments import ExperimentSpec, LayerSpec, CellSpec, build_model, load_data, PRESETS

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
import hashlib
import json
from dataclasses import dataclass, field

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
        except RecursionError:
            raise SpecError("spec", "nested too deeply to be a spec (a spec is a few levels of settings).") from None
        return cls.from_dict(data)

    def to_query(self) -> dict[str, str]:
        """-> {key: str} for a URL (st.query_params): every setting, the seed included.

        Top-level settings always appear; dataset options as ``dataset_options.<key>``; layers as
        ``layers`` (the count) and ``l<i>.<field>`` for the kind and every non-default field
        (``l<i>.fw.<field>`` / ``l<i>.bw.<field>`` for bidirectional cells).
        """
        # imported here, not at the top: rnnlab.experiments.query imports this module
        from rnnlab.experiments.query import to_query

        return to_query(self)

    @classmethod
    def from_query(cls, query) -> ExperimentSpec:
        """{key: str} (st.query_params or a dict) -> a validated ExperimentSpec; inverse of :meth:`to_query`."""
        # imported here, not at the top: rnnlab.experiments.query imports this module
        from rnnlab.experiments.query import from_query

        return from_query(query, cls)

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
        # imported here, not at the top: rnnlab.experiments.validation imports this module
        from rnnlab.experiments.validation import validate

        return validate(self, dataset_info, check_dataset=check_dataset)

    # ---- code
    def python_code(self, fit: bool = True, dataset_info=None) -> str:
        """-> the same experiment as a plain rnnlab + Keras script to copy (data, layers, head, compile, fit).

        Running it builds the same architecture (layer names, kinds, arguments, shapes) as
        ``build_model(self, ...)``. It trains with ``model.fit``, which shuffles differently from
        :func:`rnnlab.experiments.train`, so the numbers differ slightly. dataset_info: your SequenceDataset
        when ``dataset`` is not a shipped set (the script then starts from a CSV you name); without it
        the script picks the head from the data when it runs.
        """
        # imported here, not at the top: rnnlab.experiments.codegen imports this module
        from rnnlab.experiments.codegen import python_code

        return python_code(self, fit, dataset_info)


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


def _data_task(name, dataset_info):
    if dataset_info is not None:
        return getattr(dataset_info, "task", None)
    from rnnlab import datasets

    if name in datasets.names():
        return datasets.info(name).task
    return None

