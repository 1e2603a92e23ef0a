"""Build page: the return_state checkbox shows its effect (the shapes panel lists the state, the code unpacks it),
and the generated code still runs and builds the app's model, whose one output is unchanged."""

import json

import numpy as np
from apptools import assert_clean, new_app, spec_of, tiny_spec

import rnnlab
from rnnlab.experiments import CellSpec, LayerSpec, build_model, load_data


def checkbox(at, key_part):
    found = [w for w in at.checkbox if w.key and key_part in w.key]
    assert found, [w.key for w in at.checkbox]
    return found[0]


def shapes_line(at) -> str:
    return next(m.value for m in at.markdown if "`InputData`" in m.value)


def without(config, drop=("name", "dtype", "seed", "return_state", "return_states")):
    """A layer config without names (LSTM vs LSTM_1 ...) and without the return flag, recursively."""
    if isinstance(config, dict):
        return {k: without(v) for k, v in config.items() if k not in drop}
    if isinstance(config, list):
        return [without(v) for v in config]
    return config


def run_code(code: str) -> dict:
    namespace: dict = {}
    with rnnlab.naming_context():
        exec(compile(code, "<python_code>", "exec"), namespace)  # noqa: S102 - the page's code must run
    return namespace


def test_toggling_return_state_changes_the_shapes_and_the_code():
    at = new_app(tiny_spec(), page="build")
    assert_clean(at)
    before_shapes, before_code = shapes_line(at), at.code[0].value
    assert "state" not in before_shapes and "net = rnnlab.lstm(net, 4)" in before_code
    checkbox(at, "_l0_state").check().run()
    assert_clean(at)
    assert spec_of(at).layers[0].return_state
    assert "`LSTM` [B, 4] (+ state (c [B, 4], h [B, 4]))" in shapes_line(at)
    table = next(e.value for e in at.dataframe if "return_state also returns" in e.value.columns)
    assert table["return_state also returns"].tolist() == ["", "state (c [B, 4], h [B, 4])", ""]
    assert any("return_state" in c.value for c in at.caption)
    code = at.code[0].value
    assert "net, state = rnnlab.lstm(net, 4, return_state=True)" in code
    namespace = run_code(code)
    c, h = namespace["state"]
    assert tuple(c.shape) == tuple(h.shape) == (None, 4)  # what the shapes panel says: [B, 4] each
    checkbox(at, "_l0_state").uncheck().run()
    assert shapes_line(at) == before_shapes and at.code[0].value == before_code


def test_generated_code_with_states_builds_the_apps_model():
    cells = (CellSpec("lstm", 3), CellSpec("gru", 3))
    spec = tiny_spec(layers=(LayerSpec("gru", 5, return_seq=True, return_state=True),
                             LayerSpec("bidirectional_rnn", 3, return_state=True, cell_fw=cells[0], cell_bw=cells[1])))
    at = new_app(spec, page="build")
    assert_clean(at)
    line = shapes_line(at)
    assert "`GRU` [B, 50, 5] (+ state_0 h [B, 5])" in line
    assert "(+ state_fw_1 (c [B, 3], h [B, 3]), state_bw_1 h [B, 3])" in line
    code = at.code[0].value
    assert "net, state_0 = rnnlab.gru(net, 5, return_seq=True, return_state=True)" in code
    assert "net, state_fw_1, state_bw_1 = rnnlab.bidirectional_rnn(" in code and "return_states=True" in code
    namespace = run_code(code.replace("model.fit(", "(lambda *a, **k: None)("))  # build only
    assert tuple(namespace["state_0"].shape) == (None, 5)
    assert [tuple(t.shape) for t in namespace["state_fw_1"]] == [(None, 3), (None, 3)]
    assert tuple(namespace["state_bw_1"].shape) == (None, 3)
    train, _ = load_data(spec)
    app_model, script_model = build_model(spec, dataset=train), namespace["model"]
    assert len(app_model.outputs) == len(script_model.outputs) == 1
    assert tuple(app_model.output.shape) == tuple(script_model.output.shape)
    assert [(type(a).__name__, a.name) for a in app_model.layers] == [(type(s).__name__, s.name)
                                                                     for s in script_model.layers]
    for mine, theirs in zip(app_model.layers, script_model.layers):  # same weights; the flag is the one difference
        assert [tuple(w.shape) for w in mine.weights] == [tuple(w.shape) for w in theirs.weights]
        configs = [without(layer.get_config()) for layer in (mine, theirs)]
        assert json.dumps(configs[0], sort_keys=True, default=str) == json.dumps(configs[1], sort_keys=True, default=str)
    x = train.x[:3]
    script_model.set_weights(app_model.get_weights())
    np.testing.assert_allclose(script_model(x), app_model(x), atol=1e-6)
