"""An engineer's own CSV on the app: each sample picker (States, Gates, Gradients, Step through a cell) names the
id of the sequence it shows, so "sample 3" can be found in the file; the Build page shows every padding message
the loader gives (its summary line past ten sequences included) and names a bad file once in its error; the
Gradients page calls an imported model imported, not trained.

Truth: the CSV written here (each sequence's values name its id), and the charts' own input strips.
"""

import re

import numpy as np
import pytest
from apptools import (
    array,
    assert_clean,
    chart,
    go,
    new_app,
    runs_of,
    spec_of,
    tiny_classification,
    tiny_spec,
    title,
    train,
)
from test_build import upload_mode
from test_imported_model import keras_file, lstm_gru_model, open_run, upload_model

from app.session import experiment
from app.ui import messages
from rnnlab.experiments import load_data

N = 24
LABEL = re.compile(r"^sample (\d+): (s\d{3}) \(length (\d+), label (\S+)\)$")


def number(i: int) -> int:
    return (i * 37) % 101  # ids out of order: an index never passes for an id


def sequences() -> dict:
    """id -> (rows [L, 2] as the file has them, label): a = the id's number + t / 100, b = -t, 3..6 steps."""
    return {f"s{number(i):03d}": (np.array([[number(i) + t / 100, -float(t)] for t in range(3 + i % 4)]), i % 2)
            for i in range(N)}


def csv_of(data: dict) -> bytes:
    lines = ["sequence_id,t,a,b,label"]
    for name, (rows, label) in data.items():
        lines += [f"{name},{t},{a:.2f},{b:g},{label}" for t, (a, b) in enumerate(rows)]
    return ("\n".join(lines) + "\n").encode()


def picker(at, prefix: str):
    return next(s for s in at.selectbox if s.key and s.key.startswith(prefix))


def input_strip(fig: dict) -> np.ndarray:
    """The chart's input strip z [D, T] (NaN past the sample's length)."""
    strip = next(t for t in fig["data"] if isinstance(t.get("meta"), dict) and t["meta"].get("strip") == "input")
    return array(strip["z"]).astype(float)


def assert_label_names_the_shown_sequence(label: str, b: int, strip: np.ndarray | None = None) -> str:
    """The picker's label names sample b and an id of the CSV whose length and label it gives; the strip the chart
    draws for it holds that id's rows of the file. -> the id."""
    found = LABEL.match(label)
    assert found, label
    assert int(found[1]) == b
    rows, y = sequences()[found[2]]
    assert (int(found[3]), found[4]) == (len(rows), str(y)), label
    if strip is not None:
        np.testing.assert_allclose(strip[:, : len(rows)], rows.T, atol=1e-6)
        assert np.all(np.isnan(strip[:, len(rows):]) | (strip[:, len(rows):] == 0))  # padding: blank or zero
    return found[2]


@pytest.fixture(scope="module")
def own_csv():
    """A run trained on the CSV (a random split, the class-by-class probe pool) -> the app."""
    at = upload_mode(new_app(tiny_spec(epochs=1), page="build"))
    at.file_uploader(key="build_data_upload").set_value(("walks.csv", csv_of(sequences()), "text/csv")).run()
    assert_clean(at)
    train(at)
    assert_clean(at)
    assert spec_of(at).dataset == "upload:walks.csv"
    return at


def test_the_states_picker_names_the_id_of_the_sequence_it_shows(own_csv):
    at = go(own_csv, "states")
    assert_clean(at)
    shown = []
    for b in (0, 1, 3):
        picker(at, "states_sample_").set_value(b).run()
        assert_clean(at)
        box = picker(at, "states_sample_")
        shown.append(assert_label_names_the_shown_sequence(box.options[b], b, input_strip(chart(at, "state_heatmap"))))
    assert len(set(shown)) == 3
    pool = experiment.probe_pool(runs_of(at)[-1])
    assert [LABEL.match(o)[2] for o in box.options] == list(pool.sequence_ids)  # every sample says its id


def test_gates_gradients_and_cell_steps_pickers_name_the_same_ids(own_csv):
    at = go(own_csv, "states")
    expected = [LABEL.match(o)[2] for o in picker(at, "states_sample_").options]
    for page, prefix, name in (("gates", "gates_sample_", "gate_heatmaps"), ("gradients", "grad_sample_", "gradient_norms"),
                               ("cell_steps", "cell_sample_", None)):
        at = go(own_csv, page)
        assert_clean(at)
        picker(at, prefix).set_value(2).run()
        assert_clean(at)
        box = picker(at, prefix)
        assert [LABEL.match(o)[2] for o in box.options] == expected, page
        strip = input_strip(chart(at, name)) if name else None
        assert_label_names_the_shown_sequence(box.options[2], 2, strip)


def test_a_trained_run_is_titled_trained(own_csv):
    at = go(own_csv, "gradients")
    assert title(chart(at, "gradient_norms")).endswith("(trained)")


def test_the_build_preview_hover_names_the_ids(own_csv):
    at = go(own_csv, "build")
    assert_clean(at)
    grid = chart(at, "padding_grid")
    names = [row[0][1] for row in grid["data"][0]["customdata"]]  # [B, T, 2]: (category, sample) per cell
    z = array(grid["data"][0]["z"])  # [B, T]: 0 = real step (every value of this CSV is non-zero but b at t=0)
    for b, name in enumerate(names):
        found = re.fullmatch(rf"{b} \((s\d{{3}})\)", name)
        assert found, name
        assert int((z[b] < 2).sum()) == len(sequences()[found[1]][0]), name  # the row is that id's sequence
    assert len(set(names)) == len(names) == z.shape[0]
    assert "sample %{customdata[1]}" in grid["data"][0]["hovertemplate"]


def broken_csv(n_broken: int) -> bytes:
    """N sequences of 4 steps; the first n_broken have an all-zero real step at t=1 (the loader warns)."""
    data = {}
    for i in range(N):
        rows = np.array([[1.0 + t, 2.0] for t in range(4)])
        if i < n_broken:
            rows[1] = 0.0
        data[f"s{number(i):03d}"] = (rows, i % 2)
    return csv_of(data)


def test_every_padding_message_is_shown_with_the_summary_line():
    at = upload_mode(new_app(tiny_spec(), page="build"))
    at.file_uploader(key="build_data_upload").set_value(("zeros.csv", broken_csv(N), "text/csv")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown = [w.value for w in at.warning]
    described = [w for w in shown if w.startswith("sequence '")]
    assert len(described) == 10  # the loader describes ten sequences one by one ...
    assert f"... and {N - 10} more sequence(s) like these ({N} of {N} in all)." in shown  # ... then sums up


def test_a_bad_file_is_named_once_in_its_error():
    at = upload_mode(new_app(tiny_spec(), page="build"))
    bad = b"sequence_id,t,ax,label\ns1,0,1.0,0\ns1,1,0.5,0\ns2,0,nan,1\n"
    at.file_uploader(key="build_data_upload").set_value(("bad_nan.csv", bad, "text/csv")).run()
    assert not at.exception
    (error,) = [e.value for e in at.error if "bad_nan.csv" in e.value]
    assert error.count("bad_nan.csv") == 1, error
    assert error.startswith("Reading bad_nan.csv: ") and "column 'ax'" in error and "line 4" in error, error


def test_the_guard_keeps_the_name_of_an_error_that_does_not_say_it():
    assert messages.said_once("Reading a b.csv", "Reading a b.csv: a b.csv: column 'x'") == "Reading a b.csv: column 'x'"
    assert messages.said_once("Reading a.csv", "Reading a.csv: not a zip file") == "Reading a.csv: not a zip file"
    assert messages.said_once("Reading a.csv", "Reading a.csv: other.csv: bad") == "Reading a.csv: other.csv: bad"


def test_an_imported_model_is_titled_imported_on_the_gradients_page(tmp_path):
    spec = tiny_classification()
    at = new_app(spec, page="build")
    _, test = load_data(spec)
    upload_model(at, "m.keras", keras_file(tmp_path, lstm_gru_model(test.n_features, test.n_classes), "m.keras"))
    open_run(at, "keras")
    at = go(at, "gradients")
    assert_clean(at)
    shown = title(chart(at, "gradient_norms"))
    assert shown.endswith("(imported)") and "trained" not in shown, shown
