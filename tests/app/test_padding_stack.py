"""Padding lab, "Your stack": a trained run's layers, their lengths and the padding invariance check, in the page;
and the Build page's padding preview on pre-padded data.

Truth: lengths counted in NumPy from the run's own data (and, for a layer above a static one, from the NumPy
reference of that static layer, tests/reference.py), never from the lab's helpers.
"""

import dataclasses

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


def test_an_all_zero_step_inside_rows_3_and_7_turns_the_green_box_into_a_warning_naming_them():
    """The tester's case: a dynamic lstm(16) whose held-out rows 3 and 7 hold an all-zero real step. The lengths
    table flags them (length one short); alone the layer drops the same step, so the outputs agree, and the box
    must say that the check cannot vouch for those rows instead of turning green."""
    spec = tiny_classification(layers=(LayerSpec("lstm", 16, dynamic=True),))
    at = new_app(spec)
    train(at)
    run = runs_of(at)[-1]
    train_set, test = run.data
    n = min(64, test.n_samples)
    rows = [3, 7]
    assert (test.lengths[rows] >= 3).all() and (test.lengths[rows] < test.time_steps).all()  # padded rows
    x = test.x.copy()
    x[rows, 1] = 0.0  # step 1 is real (lengths >= 3): a silent reading, not padding
    test = dataclasses.replace(test, x=x)
    run.data = (train_set, test)  # the run's held-out data, as if it had held those readings all along
    go(at, "padding")
    assert_clean(at)
    x, lengths = test.x[:n], test.lengths[:n]
    counted = count_nonzero_steps(x)
    assert [b for b in range(n) if counted[b] != lengths[b]] == rows
    table = frame_with(at, "LSTM (dynamic): length")
    assert table["LSTM (dynamic): length"].tolist() == counted.tolist()
    assert [b for b in range(n) if table["differs at"][b]] == rows
    at.button(key="pad_stack_check").click().run()
    assert_clean(at)
    assert not any("give the same outputs alone and padded" in s.value for s in at.success)
    warning = next(w.value for w in at.warning if "alone and padded" in w.value)
    assert warning.startswith(f"All {n} rows give the same outputs alone and padded")
    numbers = [f"{int(counted[b])} of {int(lengths[b])}" for b in rows]
    detail = numbers[0] if numbers[0] == numbers[1] else f"row {rows[0]}: {numbers[0]}; row {rows[1]}: {numbers[1]}"
    assert (f"but on rows [{rows[0]}, {rows[1]}] layer LSTM uses fewer steps than the sample has even alone "
            f"({detail})") in warning
    assert "all-zero step inside a sequence ends it" in warning and "pass seq_len with the true lengths" in warning
    assert chart(at, "padding_invariance")["layout"]["meta"]["first_differing"] == {}  # the outputs do agree


def test_the_box_says_both_when_rows_differ_and_rows_run_short():
    """A report by hand: row 0 differs alone vs padded at LSTM_1; row 1 agrees but LSTM reads 13 of its 14 steps
    alone (an all-zero step inside it). The box keeps the failure lines as they were and adds the short rows."""
    from app.session import padding_stack

    from rnnlab.probes import PaddingInvariance
    from rnnlab.probes.padding_check import ALONE_CUT

    report = PaddingInvariance(
        layers=["LSTM", "LSTM_1", "model output"], max_diff=np.array([[0.0, 0.3, 0.2], [0.0, 0.0, 0.0]]),
        lengths_padded=np.array([[10, 14], [20, 14]]), lengths_alone=np.array([[10, 13], [10, 13]]),
        true_lengths=np.array([10, 14]), true_ranges=np.array([[0, 10], [0, 14]]), alone=ALONE_CUT, how="cut",
        modes=["dynamic", "dynamic"], zero_steps=np.array([0, 1]))
    good, box = padding_stack.invariance_box(report)
    assert not good
    differ, also = box.split("\n\nAlso, ")
    assert differ == ("1 of 2 rows give different outputs alone and padded:\n- row 0 (true length 10) parts ways "
                      "first at **LSTM_1**: padded it used length 20, alone 10; max |padded - alone| 0.3")
    assert also.startswith("on row [1] layer LSTM (and LSTM_1 after it) uses fewer steps than the sample has even "
                           "alone (13 of 14): each all-zero step inside a sequence ends it a step earlier")
    report.lengths_alone[:, 1] = 14  # the same report without the short row: green again only if outputs agree
    assert padding_stack.invariance_box(report)[0] is False and "Also" not in padding_stack.invariance_box(report)[1]
    report.max_diff[0] = 0.0
    assert padding_stack.invariance_box(report) == (True, "All 2 rows give the same outputs alone and padded (every "
                                                          "layer, and the model's output, within 1e-05).")
