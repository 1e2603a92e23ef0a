"""Build page: data (sample and uploads), the layer stack, shapes, code, spec JSON; bad input never crashes."""

import io

import numpy as np
from apptools import array, assert_clean, chart, go, new_app, spec_of, tiny_classification, tiny_spec, trace_types

from app.ui import layer_docs
from rnnlab.experiments import CellSpec, ExperimentSpec, LayerSpec


def build(spec=None):
    return new_app(spec or tiny_spec(), page="build")


def widget(at, kind, key_part):
    """The widget of that kind whose key contains key_part (keys carry the spec revision)."""
    found = [w for w in getattr(at, kind) if w.key and key_part in w.key]
    assert found, f"no {kind} with key containing {key_part!r}: {[w.key for w in getattr(at, kind)]}"
    return found[0]


def test_page_shows_data_preview_shapes_and_code():
    at = build()
    assert_clean(at)
    grid = chart(at, "padding_grid")
    assert trace_types(grid)[0] == "heatmap"
    assert array(grid["data"][0]["z"]).shape == (12, 50)  # the first 12 sequences, T = 50
    assert any(t.get("name", "").startswith("true real steps") for t in grid["data"])  # a start | end bracket
    assert any("`LSTM` [B, 4]" in m.value and "[B, 50, 1]" in m.value for m in at.markdown)
    code = at.code[0].value
    assert "rnnlab.lstm(net, 4)" in code and "datasets.load('sine'" in code


def test_every_argument_is_a_widget_with_the_documentation_as_help():
    at = build()
    layer_widgets = {w.label: w for group in (at.selectbox, at.number_input, at.checkbox, at.text_input)
                     for w in group if w.key and "_l0_" in w.key}
    for argument in ("n_units", "activation", "inner_activation", "forget_bias", "weights_init", "bias", "dropout",
                     "return_seq", "return_state", "dynamic", "trainable", "restore", "scope"):
        assert argument in layer_widgets, argument
        assert layer_widgets[argument].help == layer_docs.HELP[argument], argument


def test_widgets_drive_the_spec_and_the_url():
    at = build()
    widget(at, "number_input", "_l0_units").set_value(12).run()
    widget(at, "checkbox", "_l0_dynamic").check().run()
    widget(at, "selectbox", "_l0_act").set_value("relu").run()
    assert_clean(at)
    layer = spec_of(at).layers[0]
    assert (layer.n_units, layer.dynamic, layer.activation) == (12, True, "relu")
    assert at.query_params["l0.n_units"] == "12" and at.query_params["l0.dynamic"] == "true"
    assert any("`LSTM` [B, 12]" in m.value for m in at.markdown)
    assert "rnnlab.lstm(net, 12, activation='relu', dynamic=True)" in at.code[0].value


def test_dropout_single_and_pair():
    at = build()
    widget(at, "checkbox", "_l0_dropout_on").check().run()
    widget(at, "number_input", "_l0_keep_in").set_value(0.8).run()
    assert spec_of(at).layers[0].dropout == (0.8, 1.0)
    widget(at, "number_input", "_l0_keep_out").set_value(0.8).run()
    assert spec_of(at).layers[0].dropout == 0.8


def test_add_reorder_remove_layers():
    at = build()
    widget(at, "selectbox", "_new_kind").set_value("gru").run()
    widget(at, "button", "_add").click().run()
    assert_clean(at)
    layers = spec_of(at).layers
    assert [l.kind for l in layers] == ["lstm", "gru"]
    assert layers[0].return_seq and not layers[1].return_seq  # the stack stays buildable
    assert any("`GRU` [B, 4]" in m.value and "`LSTM` [B, 50, 4]" in m.value for m in at.markdown)
    widget(at, "button", "_l1_up").click().run()
    assert [l.kind for l in spec_of(at).layers] == ["gru", "lstm"]
    widget(at, "button", "_l0_remove").click().run()
    assert [l.kind for l in spec_of(at).layers] == ["lstm"]
    assert_clean(at)


def test_bidirectional_layer_with_two_cells():
    at = build()
    widget(at, "selectbox", "_l0_kind").set_value("bidirectional_rnn").run()
    assert_clean(at)
    layer = spec_of(at).layers[0]
    assert layer.kind == "bidirectional_rnn" and layer.cell_fw == CellSpec("lstm", 4)
    widget(at, "selectbox", "_l0_bw_kind").set_value("gru").run()
    assert spec_of(at).layers[0].cell_bw.kind == "gru"
    assert any("[B, 8]" in m.value for m in at.markdown)  # forward and backward halves: 2n
    assert "rnnlab.bidirectional_rnn(net, rnnlab.BasicLSTMCell(4), rnnlab.GRUCell(4))" in at.code[0].value
    widget(at, "number_input", "_l0_bw_units").set_value(5).run()  # the cells must agree
    assert not at.exception
    assert any("cell_bw.n_units" in e.value for e in at.error)


def test_an_impossible_stack_shows_an_error_and_keeps_the_work():
    at = build()
    widget(at, "checkbox", "_l0_seq").check().run()  # regression head needs the last output, not the sequence
    assert not at.exception
    assert any("return_seq" in e.value for e in at.error)
    assert spec_of(at).layers[0].return_seq  # kept for the user to fix
    widget(at, "checkbox", "_l0_seq").uncheck().run()
    assert_clean(at)


def test_choose_another_sample_dataset():
    at = build()
    widget(at, "selectbox", "_dataset").set_value("japanese_vowels").run()
    assert_clean(at)
    assert spec_of(at).dataset == "japanese_vowels"
    assert at.query_params["dataset"] == "japanese_vowels"
    grid = chart(at, "padding_grid")
    assert array(grid["data"][0]["z"]).shape[1] == 29  # T
    assert any("[B, 29, 12]" in m.value for m in at.markdown)


def csv_bytes(rows):
    out = io.StringIO()
    out.write("sequence_id,t,a,b,label\n")
    for row in rows:
        out.write(",".join(str(v) for v in row) + "\n")
    return out.getvalue().encode()


GOOD_CSV = csv_bytes([(s, t, 0.1 * (t + 1), -0.2 * s - 0.1, s % 2) for s in range(12) for t in range(3 + s % 4)])


def upload_mode(at):
    at.radio[0].set_value("Your own file (CSV / NPZ)").run()
    return at


def test_upload_csv_then_train_on_it():
    at = upload_mode(build())
    at.file_uploader(key="build_data_upload").set_value(("walks.csv", GOOD_CSV, "text/csv")).run()
    assert_clean(at)
    spec = spec_of(at)
    assert spec.dataset == "upload:walks.csv"
    grid = chart(at, "padding_grid")
    assert array(grid["data"][0]["z"]).shape == (10, 6)  # 12 sequences (10 for training), longest 6 steps
    assert "datasets.load_csv('walks.csv')" in at.code[0].value
    go(at, "train")
    at.button(key="train_start").click().run()
    from apptools import wait_training

    wait_training(at)
    assert_clean(at)
    assert at.session_state["rnnlab:session_runs"][-1].spec.dataset == "upload:walks.csv"


def test_malformed_uploads_show_errors_and_keep_the_work():
    at = upload_mode(build())
    before = spec_of(at)
    bad_files = [
        ("broken.csv", b"sequence_id,t,a,label\n1,0,abc,0\n", "text/csv"),  # text where a number belongs
        ("nan.csv", b"sequence_id,t,a,label\n1,0,nan,0\n1,1,0.5,0\n", "text/csv"),
        ("nocolumns.csv", b"x,y\n1,2\n", "text/csv"),
        ("garbage.npz", b"this is not a zip file", "application/octet-stream"),
    ]
    for name, data, mime in bad_files:
        at.file_uploader(key="build_data_upload").set_value((name, data, mime)).run()
        assert not at.exception, name
        assert any(name in e.value for e in at.error), (name, [e.value for e in at.error])
        assert spec_of(at).layers == before.layers


def test_upload_npz():
    x = np.zeros((10, 7, 2), np.float32)
    for b in range(10):
        x[b, : 3 + b % 4] = np.random.default_rng(b).normal(size=(3 + b % 4, 2)) + 2
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=np.arange(10) % 3)
    at = upload_mode(build())
    at.file_uploader(key="build_data_upload").set_value(("mine.npz", buffer.getvalue(), "application/octet-stream")).run()
    assert_clean(at)
    assert spec_of(at).dataset == "upload:mine.npz"
    assert any("3 classes" in m.value for m in at.markdown)


def test_spec_json_download_and_upload():
    at = build()
    assert any(b.label == "Download spec JSON" for b in at.get("download_button"))
    other = tiny_classification(layers=(LayerSpec("gru", 6, return_seq=True), LayerSpec("lstm", 3, dynamic=True)))
    at.file_uploader(key="build_spec_upload").set_value(("spec.json", other.to_json().encode(), "application/json")).run()
    assert_clean(at)
    assert spec_of(at) == other
    assert [l.kind for l in spec_of(at).layers] == ["gru", "lstm"]
    # widgets show the loaded spec (not stale values)
    assert widget(at, "number_input", "_l0_units").value == 6
    at.file_uploader(key="build_spec_upload").set_value(("bad.json", b'{"layers": [{"n_units": "many"}]}', "application/json")).run()
    assert not at.exception
    assert any("bad.json" in e.value and "n_units" in e.value for e in at.error)
    assert spec_of(at) == other


def test_loaded_spec_round_trips_through_json():
    at = build(tiny_classification())
    assert ExperimentSpec.from_json(spec_of(at).to_json()) == tiny_classification()


def test_a_file_over_the_upload_limit_is_refused_in_the_page():
    from streamlit import config

    limit = int(config.get_option("server.maxUploadSize"))  # 50 from .streamlit/config.toml (run from the repo)
    at = upload_mode(build())
    big = GOOD_CSV + b"0" * ((limit + 1) * 2**20)
    at.file_uploader(key="build_data_upload").set_value(("big.csv", big, "text/csv")).run()
    assert not at.exception
    assert any(f"the limit is {limit} MB" in e.value for e in at.error)
    assert spec_of(at).dataset == "sine"
