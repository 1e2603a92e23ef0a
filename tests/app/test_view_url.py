"""View choices of the inspection pages in the URL: a shared link opens the same view; values that do not fit
the run are ignored without an error; changing a view writes the URL and never retrains."""

import pytest
from apptools import (
    JOB_KEY,
    assert_clean,
    chart,
    frame_with,
    go,
    new_app,
    runs_of,
    spec_of,
    tiny_classification,
    title,
    trace_types,
    train,
)

from rnnlab.experiments import LayerSpec

TWO_LSTMS = (LayerSpec("lstm", 4, return_seq=True, dynamic=True), LayerSpec("lstm", 3, dynamic=True))
LINK = {
    "st_layer": "LSTM", "st_state": "c", "st_sample": "3", "st_units": "1,2", "st_dims": "3",
    "st_colour": "label", "st_n": "5", "st_step": "10",
    "gt_layer": "LSTM_1", "gt_sample": "2",
    "gr_left": "gru", "gr_right": "simple_rnn",
}


@pytest.fixture(scope="module")
def linked():
    """A session opened from a link that carries view choices, with a trained two-layer run."""
    at = new_app(tiny_classification(layers=TWO_LSTMS), **LINK)
    train(at)
    assert_clean(at)
    return at


def widget(at, kind: str, prefix: str):
    """The (first) widget of ``kind`` whose key starts with ``prefix`` (keys that carry a size)."""
    return next(w for w in getattr(at, kind) if w.key and w.key.startswith(prefix))


def test_the_link_carries_the_view_and_the_spec(linked):
    assert spec_of(linked) == tiny_classification(layers=TWO_LSTMS)  # view keys are not spec settings
    assert all(linked.query_params[k] == v for k, v in LINK.items())


def test_states_opens_with_the_links_view(linked):
    at = go(linked, "states")
    assert_clean(at)
    assert at.selectbox(key="states_layer").value == "LSTM"
    assert at.radio(key="states_quantity").value == "c"
    assert widget(at, "selectbox", "states_sample_").value == 3
    assert widget(at, "multiselect", "states_units_").value == [1, 2]
    assert at.radio(key="states_dims").value == 3 and at.radio(key="states_colour").value == "label"
    assert widget(at, "slider", "states_n_samples_").value == 5
    assert widget(at, "slider", "states_step_").value == 10
    assert "c of sample 3" in title(chart(at, "state_heatmap"))
    assert [t["name"] for t in chart(at, "unit_lines")["data"]] == ["unit 1", "unit 2"]
    pca = chart(at, "state_trajectories")
    assert set(trace_types(pca)) == {"scatter3d"} and pca["layout"]["meta"]["up_to_step"] == 10


def test_changing_a_view_writes_the_url_and_never_retrains(linked):
    at = go(linked, "states")
    job, n_runs, spec = at.session_state[JOB_KEY], len(runs_of(at)), spec_of(at)
    widget(at, "selectbox", "states_sample_").set_value(5).run()
    assert at.query_params["st_sample"] == "5"
    at.selectbox(key="states_layer").set_value("LSTM_1").run()
    assert at.query_params["st_layer"] == "LSTM_1"
    widget(at, "multiselect", "states_units_").set_value([0, 2]).run()
    assert at.query_params["st_units"] == "0,2"
    at.radio(key="states_dims").set_value(2).run()  # back to the default: the key leaves the URL
    assert "st_dims" not in at.query_params
    widget(at, "slider", "states_step_").set_value(7).run()  # inside the PCA fragment
    assert at.query_params["st_step"] == "7"
    assert_clean(at)
    assert at.session_state[JOB_KEY] is job and len(runs_of(at)) == n_runs and spec_of(at) == spec
    # the choices survive a visit to another page (the URL keeps them; the widgets start from them)
    go(at, "gates")
    assert at.query_params["st_sample"] == "5"
    go(at, "states")
    assert widget(at, "selectbox", "states_sample_").value == 5
    assert at.selectbox(key="states_layer").value == "LSTM_1"


def test_gates_and_gradients_open_with_the_links_view(linked):
    at = go(linked, "gates")
    assert_clean(at)
    assert at.selectbox(key="gates_layer").value == "LSTM_1"
    assert widget(at, "selectbox", "gates_sample_").value == 2
    assert "LSTM_1: gates of sample 2" in title(chart(at, "gate_heatmaps"))
    widget(at, "selectbox", "gates_sample_").set_value(4).run()
    assert at.query_params["gt_sample"] == "4"
    at = go(at, "gradients")
    assert_clean(at)
    assert at.selectbox(key="grad_left").value == "gru" and at.selectbox(key="grad_right").value == "simple_rnn"
    assert "(GRU) vs simple_rnn (SimpleRNN)" in title(chart(at, "gradient_norms_side_by_side"))
    at.selectbox(key="grad_right").set_value("gru").run()
    assert at.query_params["gr_right"] == "gru" and at.query_params["gr_left"] == "gru"
    at.selectbox(key="grad_right").set_value("lstm").run()  # the page's default: the key leaves the URL
    assert "gr_right" not in at.query_params and at.query_params["gr_left"] == "gru"


def test_values_that_do_not_fit_the_run_are_ignored():
    bad = {"st_layer": "GRU_9", "st_state": "q", "st_sample": "999", "st_units": "1,99", "st_dims": "7",
           "st_step": "abc", "st_epoch": "42", "gt_sample": "-3"}
    at = new_app(tiny_classification(epochs=1), **bad)
    assert_clean(at)  # not read as spec settings either
    train(at)
    go(at, "states")
    assert_clean(at)
    assert at.selectbox(key="states_layer").value == "LSTM"
    assert widget(at, "selectbox", "states_sample_").value == 0
    assert widget(at, "multiselect", "states_units_").value == [1]  # the unit the layer lacks is dropped
    assert at.radio(key="states_dims").value == 2
    assert at.select_slider(key="states_epoch").value == "final"
    for key in ("st_layer", "st_state", "st_sample", "st_dims", "st_step", "st_epoch"):
        assert key not in at.query_params, key  # what did not fit leaves the URL
    assert at.query_params["st_units"] == "1"
    go(at, "gates")
    assert_clean(at)
    assert widget(at, "selectbox", "gates_sample_").value == 0


def test_padding_lab_opens_with_the_links_choices():
    at = new_app(page="padding", pd_data="variable_length_prepadded", pd_rows="6", pd_from="4", pd_kind="gru",
                 pd_n="5", pd_seed="2", pd_sample="3", pd_zero="60")  # pd_zero: beyond T=50, ignored
    assert_clean(at)
    assert at.selectbox(key="pad_source").value == "variable_length_prepadded"
    assert at.number_input(key="pad_rows").value == 6 and at.number_input(key="pad_start").value == 4
    assert at.selectbox(key="pad_kind").value == "gru"
    assert at.number_input(key="pad_units").value == 5 and at.number_input(key="pad_seed").value == 2
    assert widget(at, "selectbox", "pad_sample_").value == 3
    assert widget(at, "number_input", "pad_zero_").value == -1
    assert len(frame_with(at, "TFLearn's inferred length")) == 6
    assert "gru outputs h of row 3" in title(chart(at, "dynamic_comparison"))
    assert "pd_zero" not in at.query_params
    at.selectbox(key="pad_kind").set_value("lstm").run()  # the default: leaves the URL
    assert "pd_kind" not in at.query_params
    widget(at, "selectbox", "pad_sample_").set_value(1).run()
    assert at.query_params["pd_sample"] == "1" and at.query_params["pd_data"] == "variable_length_prepadded"
    assert_clean(at)
