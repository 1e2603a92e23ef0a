"""Checks of an ExperimentSpec: every field's type and range, the layer stack, the head against the data.

    validate(spec, dataset_info=None, check_dataset=True)   # what ExperimentSpec.validate runs
"""

from __future__ import annotations

import functools
import inspect
import math
import re

import numpy as np

from rnnlab.errors import RnnlabError
from rnnlab.experiments.spec import (
    CELL_KINDS,
    DATA_OPTION_KEYS,
    HEADS,
    LAYER_KINDS,
    MAX_BATCH_SIZE,
    MAX_EPOCHS,
    MAX_LAYERS,
    MAX_LEARNING_RATE,
    MAX_SEED,
    MAX_UNITS,
    OPTIMIZERS,
    SCHEMA_VERSION,
    CellSpec,
    ExperimentSpec,
    LayerSpec,
    SpecError,
    _received,
)
from rnnlab.layers import activations, initializations


def validate(spec: ExperimentSpec, dataset_info=None, *, check_dataset: bool = True) -> ExperimentSpec:
    """The body of :meth:`ExperimentSpec.validate` (documented there)."""
    _check_int(spec.schema_version, "schema_version", SCHEMA_VERSION, SCHEMA_VERSION)
    if not isinstance(spec.dataset, str) or not spec.dataset:
        raise SpecError("dataset", f"expected a data set name; received {_received(spec.dataset)}.")
    _check_choice(spec.head, "head", HEADS)
    _check_choice(spec.optimizer, "optimizer", OPTIMIZERS)
    _check_float(spec.learning_rate, "learning_rate", 0.0, MAX_LEARNING_RATE, low_open=True)
    _check_int(spec.batch_size, "batch_size", 1, MAX_BATCH_SIZE)
    _check_int(spec.epochs, "epochs", 1, MAX_EPOCHS)
    _check_int(spec.seed, "seed", 0, MAX_SEED)
    _check_float(spec.validation_split, "validation_split", 0.0, 0.9, low_open=True)
    _validate_dataset_options(spec)
    if not isinstance(spec.layers, tuple) or not spec.layers:
        raise SpecError("layers", f"expected at least one recurrent layer; received {_received(spec.layers)}.")
    if len(spec.layers) > MAX_LAYERS:
        raise SpecError("layers", f"at most {MAX_LAYERS} layers; received {len(spec.layers)}.")
    scopes_seen: dict[str, int] = {}
    for i, layer in enumerate(spec.layers):
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
        if i + 1 < len(spec.layers) and not layer.return_seq:
            raise SpecError(
                f"{where}.return_seq",
                f"must be True because layers[{i + 1}] ({spec.layers[i + 1].kind}) reads this layer's "
                "whole sequence [B, T, n]; received False.",
            )
    if check_dataset:
        task = spec.task(dataset_info)
        last = len(spec.layers) - 1
        if task == "sequence_labelling" and not spec.layers[-1].return_seq:
            raise SpecError(
                f"layers[{last}].return_seq",
                "sequence labelling predicts a label at every step, so the last recurrent layer must "
                "return its whole sequence; received False.",
            )
        if task != "sequence_labelling" and spec.layers[-1].return_seq:
            raise SpecError(
                f"layers[{last}].return_seq",
                f"a {task} head predicts once per sequence from the last output [B, n], so the last "
                "recurrent layer must not return its sequence; received True.",
            )
    return spec


def _validate_dataset_options(spec: ExperimentSpec):
    from rnnlab import datasets

    options = spec.dataset_options
    if not isinstance(options, dict):
        raise SpecError("dataset_options", f"expected a dict; received {_received(options)}.")
    for key in ("n_samples", "n_test"):
        if key in options and options[key] is not None:
            _check_int(options[key], f"dataset_options.{key}", 1, datasets.MAX_SEQUENCES)
    if "data_seed" in options:
        _check_int(options["data_seed"], "dataset_options.data_seed", 0, MAX_SEED)
    for key in ("generate", "standardize"):
        if key in options and not isinstance(options[key], bool):
            raise SpecError(f"dataset_options.{key}", f"expected True or False; received {_received(options[key])}.")
    params = [k for k in options if k not in DATA_OPTION_KEYS]
    if not params and not options.get("generate"):
        return
    if spec.dataset not in datasets.GENERATORS:
        bad = params[0] if params else "generate"
        raise SpecError(
            f"dataset_options.{bad}",
            f"{spec.dataset!r} is not a generated set, so it takes only {list(DATA_OPTION_KEYS[:4])}; "
            f"generated sets: {list(datasets.GENERATORS)}.",
        )
    allowed = _generator_arguments(spec.dataset)
    for key in params:
        if key not in allowed:
            raise SpecError(
                f"dataset_options.{key}",
                f"not an argument of the {spec.dataset!r} generator; expected one of "
                f"{list(DATA_OPTION_KEYS) + allowed}.",
            )
    n_train = options.get("n_samples") or 1000  # as data_plan counts a generated set
    n_test = options.get("n_test") or max(1, n_train // 4)
    if n_train + n_test > datasets.MAX_SEQUENCES:
        raise SpecError(
            "dataset_options.n_samples",
            f"a generated set holds n_samples + n_test sequences, at most {datasets.MAX_SEQUENCES}; received "
            f"{n_train} + {n_test} = {n_train + n_test}.",
        )


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


@functools.lru_cache(maxsize=None)
def _generator_arguments_cached(name: str) -> tuple:
    from rnnlab import datasets

    function = datasets.make_variable_length if name == "variable_length_prepadded" else datasets.GENERATORS[name]
    skip = {"n_samples", "seed"} | ({"padding"} if name == "variable_length_prepadded" else set())
    return tuple(p for p in inspect.signature(function).parameters if p not in skip)


def _generator_arguments(name: str) -> list:
    return list(_generator_arguments_cached(name))
