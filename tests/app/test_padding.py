"""Padding lab: lengths under each reading, dynamic on / off, return_seq=False, pre-padding, bidirectional."""

import numpy as np
from apptools import array, assert_clean, chart, charts, frame_with, new_app, title

from rnnlab import datasets


def lab():
    return new_app(page="padding")


def test_clean_post_padding_agrees_everywhere():
    at = lab()
    assert_clean(at)
    grid = chart(at, "padding_grid")
    assert array(grid["data"][0]["z"]).shape == (8, 50)
    assert grid["layout"]["meta"]["disagree"] == []
    table = frame_with(at, "TFLearn's inferred length")
    lengths = datasets.load("variable_length", "train").lengths[:8]
    assert table["true length"].tolist() == lengths.tolist()
    assert table["TFLearn's inferred length"].tolist() == lengths.tolist()
    assert not table["readings disagree"].any()
    assert any("Every reading agrees" in s.value for s in at.success)


def test_dynamic_on_and_off_and_the_returned_step():
    at = lab()
    figure = chart(at, "dynamic_comparison")
    lengths = datasets.load("variable_length", "train").lengths[:8]
    assert figure["layout"]["meta"]["returned_steps"] == {"dynamic": int(lengths[0]) - 1, "static": 49}
    assert len([t for t in figure["data"] if t["type"] == "heatmap"]) == 2
    returned = frame_with(at, "dynamic=True returns step")
    assert returned["dynamic=True returns step"].tolist() == (lengths - 1).tolist()
    assert set(returned["dynamic=False returns step"]) == {49}
    assert any("LSTM cell state c" in title(f) for f in charts(at))


def test_pre_padding_is_flagged_and_explained():
    at = lab()
    at.selectbox(key="pad_source").set_value("variable_length_prepadded").run()
    assert_clean(at)
    table = frame_with(at, "TFLearn's inferred length")
    assert table["readings disagree"].all()
    assert (table["leading zero steps"] > 0).sum() >= 1
    explanations = [m.value for m in at.markdown if m.value.startswith("- **Row")]
    assert explanations and all("pre-padded" in e or "true length" in e for e in explanations)
    post_pre = frame_with(at, "post-padded: max |returned - unpadded run|")
    assert np.allclose(post_pre.iloc[:, 2], 0.0, atol=1e-5)  # post-padding reproduces the unpadded run
    assert (post_pre.iloc[:, 3] > 1e-4).all()  # pre-padding does not


def test_an_all_zero_step_inside_a_sequence_splits_the_readings():
    at = lab()
    next(n for n in at.number_input if n.key.startswith("pad_zero_")).set_value(2).run()
    assert_clean(at)
    table = frame_with(at, "TFLearn's inferred length")
    assert table["readings disagree"].tolist()[:2] == [True, True]
    assert table["stop at first zero"].tolist()[:2] == [2, 2]
    assert chart(at, "padding_grid")["layout"]["meta"]["disagree"] == [0, 1]
    assert any("inside the sequence" in m.value for m in at.markdown)


def test_bidirectional_last_output_pitfall_in_numbers():
    at = lab()
    table = frame_with(at, "max |bw returned - bw after one step|")
    assert np.allclose(table.iloc[:, 2], 0.0, atol=1e-5)  # returned backward half == one step of the bw cell
    assert (table.iloc[:, 3] > 1e-4).all()  # and not the whole-sequence summary at t=0
    heatmaps = [f for f in charts(at) if "Backward half" in title(f)]
    assert heatmaps and heatmaps[0]["data"][0]["type"] == "heatmap"


def test_the_experiment_data_and_other_layers():
    at = lab()
    at.selectbox(key="pad_source").set_value("experiment").run()
    at.selectbox(key="pad_kind").set_value("gru").run()
    assert_clean(at)
    assert "gru outputs" in title(chart(at, "dynamic_comparison"))


def test_embedding_pitfall_shows_true_and_inferred_lengths():
    from app import services

    at = lab()
    assert_clean(at)
    vocab, dim, rows, steps = services.EMBEDDING_DEMO
    table = frame_with(at, "inferred from the embedded steps")
    ids = np.array([[int(v) for v in row.split()] for row in frame_with(at, "ids")["ids"]])
    assert ids.shape == (rows, steps) and (ids[:, -1] == 0).all()  # every row is padded with id 0
    true = np.count_nonzero(ids, axis=1)
    assert table["true length (ids != 0)"].tolist() == true.tolist() and (true < steps).all()
    assert table["inferred from the embedded steps"].tolist() == [steps] * rows  # nothing masked
    assert (table.iloc[:, 3] > 0.1).all()  # without seq_len: far from the unpadded run
    assert np.allclose(table.iloc[:, 4], 0.0, atol=1e-5)  # with seq_len=lengths: the same as unpadded
    grid = [f for f in charts(at) if f["layout"].get("meta", {}).get("chart") == "padding_grid"
            and "Embedded ids" in title(f)]
    assert grid and grid[0]["layout"]["meta"]["disagree"] == list(range(rows))
    assert (array(grid[0]["data"][0]["z"]) == 0).all()  # every embedded step is "real"
    assert any("seq_len=lengths" in c.value for c in at.code)
