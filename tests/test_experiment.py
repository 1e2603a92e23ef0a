"""ExperimentSpec: JSON and query-string round trips, validation messages, build_model, python_code, presets."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import rnnlab
from rnnlab.experiments import (
    PRESET_DESCRIPTIONS,
    PRESETS,
    CellSpec,
    ExperimentSpec,
    LayerSpec,
    SpecError,
    build_model,
    load_data,
)

TINY = {"n_samples": 16, "n_test": 8}

BIDIRECTIONAL = ExperimentSpec(
    dataset="parity",
    dataset_options=dict(TINY),
    layers=(
        LayerSpec("bidirectional_rnn", return_seq=True, dynamic=True, scope="both",
                  cell_fw=CellSpec("lstm", 6, forget_bias=0.5), cell_bw=CellSpec("gru", 6, activation="relu")),
        LayerSpec("simple_rnn", 4, activation="tanh", dropout=(0.9, 0.8), weights_init="xavier", return_seq=True),
    ),
    optimizer="rmsprop",
    learning_rate=0.003,
    batch_size=8,
    epochs=1,
    seed=7,
)
GENERATED = ExperimentSpec(
    dataset="adding",
    dataset_options={"T": 12, "n_samples": 16, "n_test": 8, "data_seed": 3},
    layers=(LayerSpec("gru", 5, return_seq=True, inner_activation="hard_sigmoid"), LayerSpec("lstm", 3, bias=False)),
    epochs=1,
    batch_size=8,
)
STANDARDIZED = ExperimentSpec(
    dataset="japanese_vowels",
    dataset_options={"n_samples": 18, "n_test": 9, "standardize": True},
    layers=(LayerSpec("lstm", 4, dynamic=True, trainable=True, restore=False, forget_bias=2.0),),
    optimizer="momentum",
    epochs=1,
    batch_size=9,
)
SPECS = [ExperimentSpec(), BIDIRECTIONAL, GENERATED, STANDARDIZED, *PRESETS.values()]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_json_round_trip_gives_an_equal_spec(spec):
    text = spec.to_json()
    assert json.loads(text)["schema_version"] == 1
    again = ExperimentSpec.from_json(text)
    assert again == spec
    assert again.to_json() == text
    assert hash(again) == hash(spec)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_query_string_round_trip_keeps_every_setting(spec):
    query = spec.to_query()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    assert query["seed"] == str(spec.seed)
    assert ExperimentSpec.from_query(query) == spec


def test_query_string_accepts_list_values_and_names_unknown_keys():
    query = {k: [v] for k, v in BIDIRECTIONAL.to_query().items()}  # what some URL parsers give
    assert ExperimentSpec.from_query(query) == BIDIRECTIONAL
    with pytest.raises(SpecError) as error:
        ExperimentSpec.from_query({**BIDIRECTIONAL.to_query(), "l1.n_unit": "4"})
    assert error.value.field == "layers[1].n_unit"
    with pytest.raises(SpecError) as error:
        ExperimentSpec.from_query({**BIDIRECTIONAL.to_query(), "l0.n_units": "many"})
    assert error.value.field == "layers[0].n_units"


def test_from_json_rejects_unknown_fields_bad_json_and_other_schema_versions():
    data = BIDIRECTIONAL.to_dict()
    data["layers"][1]["n_unit"] = 3
    with pytest.raises(SpecError, match=r"^layers\[1\]\.n_unit: unknown setting"):
        ExperimentSpec.from_dict(data)
    with pytest.raises(SpecError, match=r"^spec: not valid JSON"):
        ExperimentSpec.from_json("{nope")
    with pytest.raises(SpecError, match=r"^schema_version: this rnnlab reads version 1; received 2"):
        ExperimentSpec.from_dict({**ExperimentSpec().to_dict(), "schema_version": 2})
    with pytest.raises(SpecError, match=r"^layers\[0\]\.cell_fw\.units: unknown setting"):
        ExperimentSpec.from_dict({"layers": [{"kind": "bidirectional_rnn", "cell_fw": {"units": 3}}]})


def _layers(*layers):
    return ExperimentSpec(dataset="adding", layers=tuple(layers))


LSTM_SEQ = LayerSpec("lstm", 8, return_seq=True)
BAD_SPECS = [
    # (spec, field the message must name, fragment of the message)
    (_layers(LayerSpec("lstm", 8), LayerSpec("gru", 4)), "layers[0].return_seq", "layers[1] (gru) reads"),
    (_layers(LSTM_SEQ, LayerSpec("lstmm", 4)), "layers[1].kind", "unknown kind"),
    (_layers(LSTM_SEQ, LayerSpec("gru", 0)), "layers[1].n_units", "received 0"),
    (_layers(LayerSpec("gru", 5000)), "layers[0].n_units", "1..1024"),
    (_layers(LayerSpec("gru", "8")), "layers[0].n_units", "whole number"),
    (_layers(LayerSpec("gru", 8, activation="swishy")), "layers[0].activation", "swishy"),
    (_layers(LayerSpec("gru", 8, activation="crelu")), "layers[0].activation", "crelu"),
    (_layers(LayerSpec("lstm", 8, inner_activation="nope")), "layers[0].inner_activation", "nope"),
    (_layers(LayerSpec("lstm", 8, dropout=0.0)), "layers[0].dropout", "keep probability"),
    (_layers(LayerSpec("lstm", 8, dropout=1.5)), "layers[0].dropout", "1.5"),
    (_layers(LayerSpec("lstm", 8, dropout=(0.5, 0.5, 0.5))), "layers[0].dropout", "input_keep"),
    (_layers(LayerSpec("lstm", 8, weights_init="glorot_magic")), "layers[0].weights_init", "glorot_magic"),
    (_layers(LayerSpec("lstm", 8, forget_bias=float("nan"))), "layers[0].forget_bias", "nan"),
    (_layers(LayerSpec("lstm", 8, forget_bias=1e9)), "layers[0].forget_bias", "[-100, 100]"),
    (_layers(LayerSpec("lstm", 8, dynamic="yes")), "layers[0].dynamic", "True or False"),
    (_layers(LayerSpec("lstm", 8, return_seq=True, scope="enc"), LayerSpec("lstm", 4, scope="enc")),
     "layers[1].scope", "layers[0]"),
    (_layers(LayerSpec("lstm", 8, scope="1st")), "layers[0].scope", "starting with a letter"),
    (_layers(LayerSpec("bidirectional_rnn")), "layers[0].cell_fw", "required"),
    (_layers(LayerSpec("bidirectional_rnn", cell_fw=CellSpec("lstm", 4), cell_bw=CellSpec("rnn", 4))),
     "layers[0].cell_bw.kind", "'rnn'"),
    (_layers(LayerSpec("bidirectional_rnn", cell_fw=CellSpec("lstm", 4), cell_bw=CellSpec("gru", 5))),
     "layers[0].cell_bw.n_units", "cell_fw.n_units=4"),
    (_layers(LayerSpec("bidirectional_rnn", cell_fw=CellSpec("lstm", 0), cell_bw=CellSpec("gru", 0))),
     "layers[0].cell_fw.n_units", "received 0"),
    (_layers(LayerSpec("bidirectional_rnn", dropout=0.5, cell_fw=CellSpec(), cell_bw=CellSpec())),
     "layers[0].dropout", "no dropout"),
    (_layers(LayerSpec("lstm", 8, cell_fw=CellSpec())), "layers[0].cell_fw", "only for kind 'bidirectional_rnn'"),
    (_layers(LSTM_SEQ), "layers[0].return_seq", "must not return its sequence"),
    (ExperimentSpec(dataset="parity", layers=(LayerSpec("gru", 8),)), "layers[0].return_seq", "sequence labelling"),
    (ExperimentSpec(dataset="parity", head="regression", layers=(LSTM_SEQ,)), "head", "'sequence_labelling'"),
    (ExperimentSpec(dataset="my_upload"), "dataset", "not a shipped data set"),
    (ExperimentSpec(layers=()), "layers", "at least one"),
    (ExperimentSpec(learning_rate=0), "learning_rate", "received 0"),
    (ExperimentSpec(learning_rate=float("inf")), "learning_rate", "inf"),
    (ExperimentSpec(learning_rate=1e7), "learning_rate", "10000000.0"),
    (ExperimentSpec(batch_size=0), "batch_size", "1..4096"),
    (ExperimentSpec(epochs=2.5), "epochs", "whole number"),
    (ExperimentSpec(seed=-1), "seed", "received -1"),
    (ExperimentSpec(validation_split=1.0), "validation_split", "(0, 0.9]"),
    (ExperimentSpec(optimizer="adamw"), "optimizer", "'adamw'"),
    (ExperimentSpec(head="ranking"), "head", "'ranking'"),
    (ExperimentSpec(dataset_options={"n_samples": 0}), "dataset_options.n_samples", "received 0"),
    (ExperimentSpec(dataset_options={"standardize": "yes"}), "dataset_options.standardize", "True or False"),
    (ExperimentSpec(dataset="japanese_vowels", dataset_options={"T": 50}), "dataset_options.T", "not a generated set"),
    (ExperimentSpec(dataset_options={"delay": 5}), "dataset_options.delay", "not an argument of the 'adding'"),
]


@pytest.mark.parametrize("spec, field, fragment", BAD_SPECS, ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(BAD_SPECS)])
def test_validation_names_the_layer_and_field(spec, field, fragment):
    with pytest.raises(SpecError) as error:
        spec.validate()
    assert error.value.field == field
    assert str(error.value).startswith(field + ": ")
    assert fragment in str(error.value)
    assert isinstance(error.value, rnnlab.RnnlabError)


def test_validate_uses_the_given_data_for_unknown_names():
    train, _ = load_data(ExperimentSpec(dataset="parity", dataset_options=TINY))
    spec = ExperimentSpec(dataset="my_upload", layers=(LSTM_SEQ,))
    assert spec.validate(dataset_info=train) is spec
    assert spec.task(train) == "sequence_labelling"


def test_bad_generator_values_are_reported_when_the_data_is_loaded():
    with pytest.raises(SpecError, match=r"^dataset_options: T must be a positive int; received 0"):
        load_data(ExperimentSpec(dataset_options={"T": 0, "n_samples": 4}))


def test_load_data_sizes_generation_and_standardisation():
    train, test = load_data(GENERATED)
    assert (train.n_samples, test.n_samples, train.time_steps) == (16, 8, 12)
    other, _ = load_data(GENERATED.replace(dataset_options={**GENERATED.dataset_options, "data_seed": 4}))
    assert not np.array_equal(train.x, other.x)
    shipped_train, shipped_test = load_data(ExperimentSpec(dataset="parity", dataset_options={"n_samples": 40}))
    assert (shipped_train.n_samples, shipped_test.n_samples) == (40, 10)
    z_train, z_test = load_data(STANDARDIZED)
    raw_train, _ = load_data(STANDARDIZED.replace(dataset_options={"n_samples": 18, "n_test": 9}))
    mask = z_train.valid_mask
    np.testing.assert_allclose(z_train.x[mask].mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z_train.x[mask].std(0), 1.0, atol=1e-4)
    assert np.all(z_train.x[~mask] == 0) and np.all(z_test.x[~z_test.valid_mask] == 0)
    np.testing.assert_array_equal(z_train.lengths, raw_train.lengths)


RNNLAB_CLASSES = (rnnlab.SimpleRNN, rnnlab.LSTM, rnnlab.GRU, rnnlab.BiRNN)


@pytest.mark.parametrize(
    "spec, expected_shape",
    [
        (GENERATED, (4, 1)),  # regression: [B, k]
        (STANDARDIZED, (4, 9)),  # classification: [B, n_classes]
        (BIDIRECTIONAL, (4, 20, 2)),  # sequence labelling, classes: [B, T, n_classes]
        (ExperimentSpec(dataset="flip_flop", dataset_options=TINY, layers=(LSTM_SEQ,)), (4, 100, 3)),  # numbers
    ],
    ids=["regression", "classification", "sequence_classes", "sequence_numbers"],
)
def test_build_model_output_shape_per_head(spec, expected_shape):
    train, _ = load_data(spec)
    model = build_model(spec, dataset=train)
    recurrent = [layer for layer in model.layers if isinstance(layer, RNNLAB_CLASSES)]
    assert len(recurrent) == len(spec.layers)
    output = np.asarray(model(train.x[:4]))
    assert output.shape == expected_shape
    if train.n_classes:
        np.testing.assert_allclose(output.sum(-1), 1.0, rtol=1e-5)  # softmax head


def test_build_model_carries_every_layer_argument():
    model = build_model(BIDIRECTIONAL, n_features=1, n_classes=2, task="sequence_labelling")
    bi, simple = model.get_layer("both"), model.get_layer("SimpleRNN")
    assert isinstance(bi, rnnlab.BiRNN) and bi.return_seq and bi.dynamic_lengths
    assert isinstance(bi.cell_fw, rnnlab.BasicLSTMCell) and bi.cell_fw.get_config()["forget_bias"] == 0.5
    assert isinstance(bi.cell_bw, rnnlab.GRUCell) and bi.cell_bw.get_config()["activation"] == "relu"
    assert simple.keep_probs == (0.9, 0.8) and simple.get_config()["weights_init"] == "xavier"
    assert model.input_shape == (None, None, 1)
    layer = build_model(STANDARDIZED, n_features=12, n_classes=9, task="classification").get_layer("LSTM")
    assert layer.restore is False and layer.dynamic_lengths and layer.cell.get_config()["forget_bias"] == 2.0


def _without_names(config):
    if isinstance(config, dict):
        return {k: _without_names(v) for k, v in config.items() if k not in ("name", "dtype", "seed")}
    if isinstance(config, list):
        return [_without_names(v) for v in config]
    return config


def _architecture(model):
    rows = []
    for layer in model.layers:
        config = _without_names(layer.get_config())
        rows.append((type(layer).__name__, layer.name, str(layer.output.shape) if hasattr(layer, "output") else "",
                     [tuple(w.shape) for w in layer.weights], json.dumps(config, sort_keys=True, default=str)))
    return rows


@pytest.mark.parametrize(
    "spec, fit", [(BIDIRECTIONAL, False), (GENERATED, True), (STANDARDIZED, False)],
    ids=["bidirectional", "generated+fit", "standardized"],
)
def test_python_code_runs_and_builds_the_same_architecture(spec, fit):
    code = spec.python_code(fit=fit)
    assert ("model.fit(" in code) is fit
    namespace: dict = {}
    with rnnlab.naming_context():
        exec(compile(code, "<python_code>", "exec"), namespace)  # noqa: S102 - that is the point
    train, test = load_data(spec)
    assert np.array_equal(namespace["train"].x, train.x) and np.array_equal(namespace["test"].y, test.y)  # same data
    assert _architecture(namespace["model"]) == _architecture(build_model(spec, dataset=train))
    if fit:
        assert len(namespace["model"].history.history["loss"]) == spec.epochs  # model.fit ran


def test_presets_cover_the_lessons_and_are_valid():
    assert set(PRESETS) == {"adding_lstm", "adding_simple_rnn", "forget_gate", "parity", "sine", "padding",
                            "japanese_vowels"}
    assert set(PRESET_DESCRIPTIONS) == set(PRESETS)
    assert PRESETS["adding_lstm"].dataset_options["T"] == 50 and PRESETS["adding_lstm"].layers[0].kind == "lstm"
    assert PRESETS["adding_simple_rnn"].layers[0].kind == "simple_rnn"
    assert PRESETS["parity"].task() == "sequence_labelling"
    assert PRESETS["padding"].dataset == "variable_length" and PRESETS["padding"].layers[0].dynamic
    assert PRESETS["japanese_vowels"].layers[0].dynamic
    for name, spec in PRESETS.items():
        assert spec.validate() is spec, name
        quick = spec.replace(epochs=2)
        assert quick.epochs == 2 and quick.replace(epochs=spec.epochs) == spec


def test_specs_are_frozen_and_hashable():
    spec = ExperimentSpec()
    with pytest.raises(AttributeError):
        spec.epochs = 3  # type: ignore[misc]
    assert {spec: 1}[ExperimentSpec()] == 1
    assert spec.short_hash() == ExperimentSpec().short_hash() != spec.replace(seed=1).short_hash()


def test_model_output_does_not_depend_on_earlier_builds():
    first = build_model(GENERATED, n_features=2, n_outputs=1, task="regression")
    second = build_model(GENERATED, n_features=2, n_outputs=1, task="regression")
    assert [layer.name for layer in first.layers] == [layer.name for layer in second.layers]
    assert [layer.name for layer in first.layers][1:] == ["GRU", "LSTM", "FullyConnected"]
    assert isinstance(first, keras.Model)


def test_python_code_fits_the_head_to_the_data():
    numbers = ExperimentSpec(dataset="flip_flop", dataset_options=TINY, layers=(LSTM_SEQ,)).python_code()
    assert "loss='mse'" in numbers and "weighted_metrics=['mae']" in numbers and "sample_weight=" in numbers
    classes = PRESETS["japanese_vowels"].python_code()
    assert "loss='sparse_categorical_crossentropy'" in classes and "metrics=['accuracy']" in classes
    assert "sample_weight" not in classes and "standardize(train, test)" in classes


def test_python_code_for_your_own_data_reads_a_csv_and_picks_the_head_when_run(tmp_path, monkeypatch):
    data, _ = load_data(ExperimentSpec(dataset="parity", dataset_options={"n_samples": 10, "n_test": 2}))
    monkeypatch.chdir(tmp_path)
    data.to_frame().to_csv("my_upload.csv", index=False)
    spec = ExperimentSpec(dataset="my_upload", layers=(LayerSpec("gru", 3, return_seq=True),), epochs=1,
                          batch_size=4)
    code = spec.python_code()
    assert "datasets.load_csv('my_upload.csv')" in code
    namespace: dict = {}
    with rnnlab.naming_context():
        exec(compile(code, "<python_code>", "exec"), namespace)  # noqa: S102
    model = namespace["model"]
    assert model.loss == "sparse_categorical_crossentropy" and model.output_shape == (None, None, 2)
    assert _architecture(model) == _architecture(build_model(spec, dataset=namespace["train"]))
    from rnnlab.datasets import load_csv
    from rnnlab.experiments import split_dataset

    expected_train, expected_test = split_dataset(load_csv("my_upload.csv"), spec)  # the split train() makes
    assert namespace["train"].sequence_ids == expected_train.sequence_ids
    assert namespace["test"].sequence_ids == expected_test.sequence_ids
    assert "load_csv('data.csv')" in spec.replace(dataset="upload:data.csv").python_code(fit=False)
