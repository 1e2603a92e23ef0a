"""Padding lab, "Your stack": a trained run's layers, their lengths and the padding invariance check, in the page;
and the Build page's padding preview on pre-padded data.

Truth: lengths counted in NumPy from the run's own data (and, for a layer above a static one, from the NumPy
reference of that static layer, tests/reference.py), never from the lab's helpers.
"""

import numpy as np
from apptools import assert_clean, chart, frame_with, go, new_app, runs_of, tiny_classification, train

from rnnlab.experiments import LayerSpec, load_data

try:
    from tests import reference as ref
except ImportError:
    import reference as ref


def trained_lab(spec):
    at = new_app(spec)
    train(at)
    go(at, "padding")
    assert_clean(at)
    run = runs_of(at)[-1]
    test = run.data[1]
    return at, run, test


def count_nonzero_steps(x):
    return (np.abs(x).max(axis=2) > 0).sum(axis=1)


def test_a_dynamic_lstm_run_uses_the_true_lengths_and_passes_the_check():
    at, run, test = trained_lab(tiny_classification())
    assert at.selectbox(key="pad_stack_run").value == run.run_id  # the current run by default
    table = frame_with(at, "LSTM (dynamic): length")
    n = min(64, test.n_samples)
    assert len(table) == n
    assert table["true length"].tolist() == test.lengths[:n].tolist()
    assert table["LSTM (dynamic): length"].tolist() == count_nonzero_steps(test.x[:n]).tolist()
    assert table["LSTM: returns step"].tolist() == (test.lengths[:n] - 1).tolist()
    assert (table["differs at"] == "").all()
    assert chart(at, "layer_lengths")["layout"]["meta"]["differs"] == []
    at.button(key="pad_stack_check").click().run()
    assert_clean(at)
    assert any(f"All {n} rows give the same outputs alone and padded" in s.value for s in at.success)
    assert chart(at, "padding_invariance")["layout"]["meta"]["first_differing"] == {}


def test_a_dynamic_layer_above_a_static_one_is_flagged_and_parts_ways():
    spec = tiny_classification(layers=(LayerSpec("lstm", 4, return_seq=True), LayerSpec("lstm", 4, dynamic=True)))
    at, run, test = trained_lab(spec)
    n = min(64, test.n_samples)
    x, lengths, time_steps = test.x[:n], test.lengths[:n], test.time_steps
    static = run.model.get_layer("LSTM")
    h1 = ref.lstm(x, static.get_weights(), 4, return_seq=True)  # the static layer's outputs, padding included
    table = frame_with(at, "LSTM_1 (dynamic): length")
    assert table["LSTM (static): length"].tolist() == [time_steps] * n
    assert table["LSTM_1 (dynamic): length"].tolist() == ref.tflearn_lengths(h1).tolist() == [time_steps] * n
    short = [b for b in range(n) if lengths[b] < time_steps]
    assert short, "the data set should have padded rows"
    assert [b for b in range(n) if "LSTM_1" in table["differs at"][b]] == short
    at.button(key="pad_stack_check").click().run()
    assert_clean(at)
    warning = next(w.value for w in at.warning if "give different outputs alone and padded" in w.value)
    assert warning.startswith(f"{len(short)} of {n} rows")
    for b in short:
        assert f"row {b} (true length {int(lengths[b])}) parts ways first at **LSTM_1**" in warning
        assert f"padded it used length {time_steps}, alone {int(lengths[b])}" in warning
    meta = chart(at, "padding_invariance")["layout"]["meta"]["first_differing"]
    assert {int(k): v for k, v in meta.items()} == {b: "LSTM_1" for b in short}


def test_without_a_run_the_stack_section_points_to_training():
    at = new_app(page="padding")
    assert_clean(at)
    assert at.selectbox(key="pad_stack_run").value == "fresh"
    assert any("Train a run" in c.value for c in at.caption)


def test_the_build_preview_brackets_the_last_steps_of_pre_padded_rows():
    spec = tiny_classification(dataset="variable_length_prepadded")
    at = new_app(spec, page="build")
    assert_clean(at)
    grid = chart(at, "padding_grid")
    ranges = np.asarray(grid["layout"]["meta"]["readings"]["true real steps"])
    train_set = load_data(spec)[0]
    rows = len(ranges)
    lengths, time_steps = train_set.lengths[:rows], train_set.time_steps
    assert ranges.tolist() == [[time_steps - n, time_steps] for n in lengths]
    real = np.abs(train_set.x[:rows]).max(axis=2) > 0  # the data agrees: exactly those steps hold values
    assert [set(np.flatnonzero(r)) for r in real] == [set(range(s, e)) for s, e in ranges]
    assert grid["layout"]["meta"]["disagree"] == [b for b in range(rows) if lengths[b] < time_steps]
