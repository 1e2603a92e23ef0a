"""TFLearn checkpoints into rnnlab (rnnlab/layers/tflearn_checkpoint.py), on real TFLearn 0.5.0 fixtures.

tests/fixtures/tflearn/ holds four ``DNN.save`` checkpoints made by make_fixtures.py with real TFLearn (Adam
slots included) and, for each, the inputs and the outputs TFLearn itself computed: ``y`` (the softmax head) and
``rnn`` (the recurrent part's output). The same networks rebuilt with rnnlab's functions must reproduce both
after loading, and must not before (so the comparison can fail).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import json  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rnnlab  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "tflearn"
NETS = ("lstm_stack", "gru", "simple_rnn", "birnn")
T, D, N_UNITS, N_CLASSES = 5, 3, 4, 2  # as in make_fixtures.py
ATOL = 1e-5


def recurrent_part(name, net, n_units=N_UNITS):
    """The same calls make_fixtures.py made with TFLearn, made with rnnlab."""
    if name == "lstm_stack":
        net = rnnlab.lstm(net, n_units, return_seq=True, dynamic=True)
        return rnnlab.lstm(net, n_units, dynamic=True)
    if name == "gru":
        return rnnlab.gru(net, n_units)
    if name == "simple_rnn":
        return rnnlab.simple_rnn(net, n_units, dynamic=True)
    return rnnlab.bidirectional_rnn(net, rnnlab.BasicLSTMCell(n_units), rnnlab.GRUCell(n_units), dynamic=True)


def build(name, n_units=N_UNITS, **dense_kwargs):
    """-> (model: x -> softmax head, recurrent: x -> recurrent output), sharing layers; fresh TFLearn names."""
    with rnnlab.naming_context():
        inputs = rnnlab.input_data(shape=[None, T, D])
        recurrent = recurrent_part(name, inputs, n_units)
        head = keras.layers.Dense(N_CLASSES, activation="softmax", name="FullyConnected", **dense_kwargs)(recurrent)
    return keras.Model(inputs, head), keras.Model(inputs, recurrent)


def fixture(name):
    return str(FIXTURES / f"{name}.tfl"), np.load(FIXTURES / f"{name}.npz")


@pytest.mark.parametrize("name", NETS)
def test_checkpoint_reproduces_the_outputs_tflearn_computed(name):
    prefix, saved = fixture(name)
    model, recurrent = build(name)
    assert not np.allclose(recurrent.predict(saved["x"], verbose=0), saved["rnn"], atol=1e-2)  # before: differs
    report = rnnlab.load_tflearn_checkpoint(model, prefix)
    np.testing.assert_allclose(recurrent.predict(saved["x"], verbose=0), saved["rnn"], atol=ATOL, rtol=0)
    np.testing.assert_allclose(model.predict(saved["x"], verbose=0), saved["y"], atol=ATOL, rtol=0)
    # the report tells what happened: every model weight loaded, nothing of the model left, slots not loaded
    model_weights = {id(w) for w in model.weights}
    assert len(report.loaded) == len(model_weights) == len({v.model_weight for v in report.loaded})
    assert report.left_in_checkpoint == [] and report.not_loaded == [] and report.kept == []
    assert any(n.endswith("/Adam") for n in report.training_state) and "Global_Step" in report.training_state
    assert not any("Adam" in v.checkpoint_name for v in report.loaded)


def test_matching_is_by_scope_lstm_and_lstm_1():
    prefix, _ = fixture("lstm_stack")
    model, _ = build("lstm_stack")
    report = rnnlab.load_tflearn_checkpoint(model, prefix)
    by_target = {v.model_weight: v.checkpoint_name for v in report.loaded}
    assert by_target["layer 'LSTM' Matrix"] == "LSTM/LSTM/BasicLSTMCell/Linear/Matrix"
    assert by_target["layer 'LSTM_1' Matrix"] == "LSTM_1/LSTM_1/BasicLSTMCell/Linear/Matrix"
    from tensorflow.train import load_checkpoint

    reader = load_checkpoint(prefix)
    layer = model.get_layer("LSTM_1")
    np.testing.assert_array_equal(layer.get_weights()[0], reader.get_tensor("LSTM_1/LSTM_1/BasicLSTMCell/Linear/Matrix"))


def test_path_forms_files_folder_and_index(tmp_path):
    prefix, saved = fixture("gru")
    for path in (prefix + ".index", prefix + ".data-00000-of-00001", FIXTURES / "gru.tfl"):
        model, _ = build("gru")
        rnnlab.load_tflearn_checkpoint(model, path)
        np.testing.assert_allclose(model.predict(saved["x"], verbose=0), saved["y"], atol=ATOL, rtol=0)
    folder = tmp_path / "only"
    folder.mkdir()
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(prefix + suffix, folder / f"gru.tfl{suffix}")
    model, _ = build("gru")
    assert rnnlab.load_tflearn_checkpoint(model, folder).checkpoint.endswith("gru.tfl")


def test_uploaded_bytes_load_the_same_way():
    prefix, saved = fixture("birnn")
    files = {f"birnn.tfl{s}": Path(prefix + s).read_bytes() for s in (".index", ".data-00000-of-00001")}
    files["birnn.tfl.meta"] = b"not read"
    model, _ = build("birnn")
    report = rnnlab.load_tflearn_checkpoint_files(model, files)
    np.testing.assert_allclose(model.predict(saved["x"], verbose=0), saved["y"], atol=ATOL, rtol=0)
    assert report.checkpoint == "birnn.tfl"
    with pytest.raises(rnnlab.RnnlabError, match=r"exactly one \.index file.*received 0"):
        rnnlab.load_tflearn_checkpoint_files(model, {"birnn.tfl.meta": b""})
    with pytest.raises(rnnlab.RnnlabError, match=r"'birnn.tfl.index' but no birnn.tfl.data-00000-of-00001"):
        rnnlab.load_tflearn_checkpoint_files(model, {"birnn.tfl.index": files["birnn.tfl.index"]})
    with pytest.raises(rnnlab.RnnlabError, match=r"plain file names; received '../x.index'"):
        rnnlab.load_tflearn_checkpoint_files(model, {"../x.index": b""})
    with pytest.raises(TypeError, match=r"`files` must be a dict"):
        rnnlab.load_tflearn_checkpoint_files(model, ["birnn.tfl.index"])


def test_report_reads_well_and_is_json():
    prefix, _ = fixture("simple_rnn")
    with rnnlab.naming_context():
        inputs = rnnlab.input_data(shape=[None, T, D])
        net = rnnlab.simple_rnn(inputs, N_UNITS, dynamic=True, name="Renamed")
        model = keras.Model(inputs, keras.layers.Dense(N_CLASSES, name="FullyConnected")(net))
    before = model.get_layer("Renamed").get_weights()
    report = rnnlab.load_tflearn_checkpoint(model, prefix)
    # the renamed layer got nothing and says so; the checkpoint's SimpleRNN variables are reported as left
    assert report.not_loaded == ["Renamed"]
    assert report.left_in_checkpoint == ["SimpleRNN/SimpleRNN/BasicRNNCell/Linear/Bias",
                                         "SimpleRNN/SimpleRNN/BasicRNNCell/Linear/Matrix"]
    for kept, now in zip(before, model.get_layer("Renamed").get_weights()):
        np.testing.assert_array_equal(kept, now)
    assert [v.checkpoint_name for v in report.loaded] == ["FullyConnected/W", "FullyConnected/b"]
    as_dict = json.loads(json.dumps(report.to_dict()))
    assert as_dict["loaded"][0] == {"checkpoint_name": "FullyConnected/W",
                                    "model_weight": "layer 'FullyConnected' kernel", "shape": [N_UNITS, N_CLASSES]}
    text = str(report)
    assert "2 variables loaded" in text and "FullyConnected/W -> layer 'FullyConnected' kernel (4, 2)" in text
    assert "Not loaded (the checkpoint has nothing for them): Renamed." in text
    assert f"Training state not loaded (optimizer slots, counters): {len(report.training_state)} variables" in text


def test_restore_false_keeps_the_layer():
    prefix, saved = fixture("lstm_stack")
    with rnnlab.naming_context():
        inputs = rnnlab.input_data(shape=[None, T, D])
        net = rnnlab.lstm(inputs, N_UNITS, return_seq=True, dynamic=True)
        net = rnnlab.lstm(net, N_UNITS, dynamic=True, restore=False)
        model = keras.Model(inputs, keras.layers.Dense(N_CLASSES, name="FullyConnected")(net))
    kept = model.get_layer("LSTM_1").get_weights()
    report = rnnlab.load_tflearn_checkpoint(model, prefix)
    assert report.kept == ["LSTM_1"]
    assert [n for n in report.left_in_checkpoint] == ["LSTM_1/LSTM_1/BasicLSTMCell/Linear/Bias",
                                                     "LSTM_1/LSTM_1/BasicLSTMCell/Linear/Matrix"]
    for before, after in zip(kept, model.get_layer("LSTM_1").get_weights()):
        np.testing.assert_array_equal(before, after)
    assert "layer 'LSTM' Matrix" in {v.model_weight for v in report.loaded}


def test_shape_mismatch_names_the_variable_and_both_shapes_and_loads_nothing():
    prefix, _ = fixture("gru")
    model, _ = build("gru", n_units=5)
    before = [w.copy() for w in model.get_weights()]
    expected = (r"Checkpoint variable 'GRU/GRU/GRUCell/Gates/Linear/Matrix' has shape \(7, 8\), but the model's "
                r"layer 'GRU' gates_Matrix has shape \(8, 10\); nothing was loaded")
    with pytest.raises(rnnlab.RnnlabError, match=expected):
        rnnlab.load_tflearn_checkpoint(model, prefix)
    for b, a in zip(before, model.get_weights()):
        np.testing.assert_array_equal(b, a)


def test_a_layer_of_another_kind_under_the_scope_is_an_error():
    prefix, _ = fixture("gru")
    with rnnlab.naming_context():
        inputs = rnnlab.input_data(shape=[None, T, D])
        net = rnnlab.lstm(inputs, N_UNITS, name="GRU")
        model = keras.Model(inputs, net)
    with pytest.raises(rnnlab.RnnlabError, match=r"scope 'GRU' holds a TFLearn GRUCell \(gru\); the model's layer "
                                                 r"'GRU' is a lstm cell \(BasicLSTMCell\)"):
        rnnlab.load_tflearn_checkpoint(model, prefix)


def test_missing_and_broken_checkpoints(tmp_path):
    model, _ = build("gru")
    with pytest.raises(rnnlab.RnnlabError, match=r"no checkpoint there \(expected '.*nothing.tfl.index'"):
        rnnlab.load_tflearn_checkpoint(model, tmp_path / "nothing.tfl")
    (tmp_path / "broken.tfl.index").write_bytes(b"not a checkpoint")
    with pytest.raises(rnnlab.RnnlabError, match=r"The checkpoint '.*broken.tfl' could not be read"):
        rnnlab.load_tflearn_checkpoint(model, tmp_path / "broken.tfl")
    (tmp_path / "empty").mkdir()
    with pytest.raises(rnnlab.RnnlabError, match=r"folder with 0 checkpoint .index files"):
        rnnlab.load_tflearn_checkpoint(model, tmp_path / "empty")
    with pytest.raises(TypeError, match=r"`model` must be a built keras.Model or layer; received 'model'"):
        rnnlab.load_tflearn_checkpoint("model", fixture("gru")[0])


def test_readme_subsection_runs_and_does_what_it_says(monkeypatch, capsys):
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("### Bring a model from Keras or TFLearn", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    converted, original = namespace["model"], namespace["keras_model"]
    x = np.load(FIXTURES / "lstm_stack.npz")["x"]  # post-padded [6, 5, 3]
    np.testing.assert_allclose(converted.predict(x, verbose=0), original.predict(x, verbose=0), atol=ATOL, rtol=0)
    saved = np.load(FIXTURES / "lstm_stack.npz")
    np.testing.assert_allclose(namespace["tflearn_model"].predict(saved["x"], verbose=0), saved["y"], atol=ATOL,
                               rtol=0)
    assert "6 variables loaded" in capsys.readouterr().out
