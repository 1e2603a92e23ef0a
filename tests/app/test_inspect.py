"""States, Gates, Gradients and Runs pages on one trained session (a dynamic LSTM on variable-length walks)."""

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
    trace_types,
    train,
)

from rnnlab.experiments import CellSpec, LayerSpec


@pytest.fixture(scope="module")
def trained():
    at = new_app(tiny_classification(epochs=2))
    train(at)
    assert_clean(at)
    return at


def test_states_page_heatmap_lines_and_pca(trained):
    at = go(trained, "states")
    assert_clean(at)
    heatmap = chart(at, "state_heatmap")
    assert trace_types(heatmap) == ["heatmap", "heatmap"]  # the states, then the sample's input strip
    assert heatmap["data"][1]["meta"] == {"strip": "input"}
    z = array(heatmap["data"][0]["z"])
    assert z.shape == (4, 50)  # units x time
    length = int(runs_of(at)[-1].data[1].lengths[0])
    assert np.isnan(z[:, length:].astype(float)).all()  # padded steps greyed
    lines = chart(at, "unit_lines")
    assert [t["name"] for t in lines["data"]] == ["unit 0", "unit 1", "unit 2", "unit 3"]
    pca = chart(at, "state_trajectories")
    assert set(trace_types(pca)) == {"scatter"} and len(pca["data"]) == 6  # 6 of 16 held-out samples: T=50 tangles
    assert "PC1" in pca["layout"]["xaxis"]["title"]["text"]
    readings = [c.value for c in at.caption if c.value.startswith("How to read it:")]
    assert len(readings) == 3  # one line under every chart
    assert all(fig["layout"]["title"]["text"] for fig in (heatmap, lines, pca))
    assert heatmap["data"][0]["colorscale"][0][1] != heatmap["data"][0]["colorscale"][-1][1]  # RdBu, diverging


def test_states_view_settings_never_retrain(trained):
    at = go(trained, "states")
    job_before, runs_before = at.session_state["rnnlab:training_job"], len(runs_of(at))
    at.radio(key="states_dims").set_value(3).run()
    assert set(trace_types(chart(at, "state_trajectories"))) == {"scatter3d"}
    at.radio(key="states_colour").set_value("label").run()
    pca = chart(at, "state_trajectories")
    assert {t["name"] for t in pca["data"]} <= {"label ends lower", "label ends higher"}  # the class names
    assert any(t.get("showlegend") for t in pca["data"])
    step_slider = next(s for s in at.slider if s.key.startswith("states_step_"))
    step_slider.set_value(10).run()
    assert chart(at, "state_trajectories")["layout"]["meta"]["up_to_step"] == 10
    at.radio(key="states_quantity").set_value("c").run()
    assert "c of sample" in title(chart(at, "state_heatmap"))
    assert_clean(at)
    assert at.session_state["rnnlab:training_job"] is job_before and len(runs_of(at)) == runs_before


def test_states_epoch_slider_replays_snapshots(trained):
    at = go(trained, "states")
    slider = at.select_slider(key="states_epoch")
    assert list(slider.options) == ["0", "1", "2", "final"]
    slider.set_value(0).run()
    assert_clean(at)
    assert "epoch 0" in title(chart(at, "state_trajectories"))
    slider.set_value("final").run()


def test_gates_page_heatmaps_saturation_and_trace_csv(trained):
    at = go(trained, "gates")
    assert_clean(at)
    gates = chart(at, "gate_heatmaps")
    assert [t["name"] for t in gates["data"]] == ["input", "forget", "output", "candidate", "input strip"]
    assert gates["layout"]["meta"]["gates"] == ["input", "forget", "output", "candidate"]
    forget = array(gates["data"][1]["z"]).astype(float)
    length = int(runs_of(at)[-1].data[1].lengths[0])
    assert np.isnan(forget[:, length:]).all() and np.isfinite(forget[:, :length]).all()
    saturation = chart(at, "gate_saturation")
    assert trace_types(saturation) == ["bar", "bar"]
    assert any(b.label == "Download this layer's trace (CSV)" for b in at.get("download_button"))
    from app.ui.downloads import trace_csv  # what the button hands out when clicked

    trace = at.session_state["rnnlab:memo"][("trace", runs_of(at)[-1].run_id)]
    header, first = trace_csv(trace, "LSTM").decode().splitlines()[:2]
    assert header == "layer,direction,sample,t,unit,quantity,value,valid" and first.startswith("LSTM,")


def test_gates_intervention_shows_before_and_after(trained):
    at = go(trained, "gates")
    at.selectbox(key="gates_iv_quantity").set_value("forget")
    at.number_input(key="gates_iv_value").set_value(0.0)
    next(s for s in at.slider if s.key.startswith("gates_iv_step_")).set_value(2)
    at.button(key="FormSubmitter:gates_intervention_form-Apply the intervention").click().run()
    assert_clean(at)
    figure = chart(at, "intervention_before_after")
    names = [t["name"] for t in figure["data"]]
    assert any(n.endswith("before") for n in names) and any(n.endswith("after") for n in names)
    assert figure["layout"]["meta"]["start_step"] == 2
    table = at.dataframe[-1].value
    assert list(table.columns) == ["output", "before", "after", "change"]
    # the result stays while looking at it from another page and back
    go(at, "states")
    go(at, "gates")
    assert chart(at, "intervention_before_after")


def test_gradients_page(trained):
    at = go(trained, "gradients")
    assert_clean(at)
    norms = chart(at, "gradient_norms")
    assert norms["layout"]["yaxis"]["type"] == "log"
    assert "LSTM" in [t["name"] for t in norms["data"]]
    side = chart(at, "gradient_norms_side_by_side")
    assert "simple_rnn" in title(side) and "lstm" in title(side)
    names = [t["name"] for t in side["data"] if t.get("showlegend", True) is not False]
    assert "SimpleRNN" in names and "LSTM" in names


def test_runs_page_save_reopen_overlay(trained):
    at = go(trained, "runs")
    assert_clean(at)
    assert at.dataframe[0].value["run"].tolist() == [runs_of(at)[-1].label]
    at.button(key="runs_save").click().run()
    assert_clean(at)
    stored = at.dataframe[1].value
    assert len(stored) == 1 and stored["dataset"].tolist() == ["variable_length"]
    at.button(key="runs_reopen").click().run()
    assert_clean(at)
    assert len(runs_of(at)) == 2 and runs_of(at)[-1].label.endswith(stored["run_id"][0])
    overlay = chart(at, "training_curves_overlay")
    assert len(overlay["layout"]["meta"]["runs"]) == 2
    go(at, "states")  # the reopened run is inspectable
    assert_clean(at)
    assert chart(at, "state_heatmap")
    # another session, on another experiment, reopens it from the store table: as its link would, the run brings
    # its experiment (the sidebar and Build then name what is inspected, not the experiment left behind)
    other = new_app(None, page="runs")
    assert spec_of(other) != runs_of(at)[0].spec
    other.button(key="runs_reopen").click().run()
    assert_clean(other)
    assert spec_of(other) == runs_of(at)[0].spec == runs_of(other)[-1].spec


def test_bidirectional_layer_shows_both_directions():
    spec = tiny_classification(layers=(LayerSpec("bidirectional_rnn", 3, dynamic=True, cell_fw=CellSpec("lstm", 3),
                                                  cell_bw=CellSpec("gru", 3)),), epochs=1)
    at = train(new_app(spec))
    go(at, "gates")
    assert_clean(at)
    layer_box = at.selectbox(key="gates_layer")
    assert [o.split(" ")[0] for o in layer_box.options] == ["BiRNN/fw", "BiRNN/bw"]
    layer_box.set_value("BiRNN/bw").run()
    assert [t["name"] for t in chart(at, "gate_heatmaps")["data"]] == ["reset", "update", "candidate", "input strip"]


def test_sequence_labelling_and_simple_rnn_pages():
    spec = tiny_spec(dataset="parity", dataset_options={"n_samples": 64, "n_test": 16},
                     layers=(LayerSpec("simple_rnn", 4, return_seq=True),), epochs=1)
    at = train(new_app(spec))
    for page in ("states", "gates", "gradients"):
        go(at, page)
        assert_clean(at)
    assert chart(at, "gradient_norms")
    go(at, "gates")
    assert chart(at, "state_heatmap")  # a SimpleRNN has no gates: its pre-activation instead
    at.button(key="FormSubmitter:gates_intervention_form-Apply the intervention").click().run()
    assert_clean(at)
    assert len([c for c in [chart(at, "intervention_before_after")]]) == 1
