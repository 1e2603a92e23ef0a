"""rnnlab.Intervention: fix a gate or state from a step on, and see what changes.

Every intervened trace is compared with tests/reference.py run with the same edit
(``reference.intervention_edit``: the quantity is replaced as soon as it is computed, so everything after it in
that step, and every later step, uses the new value), and with the un-intervened run of the same model.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rnnlab  # noqa: E402

try:  # tests/ as a package or as a plain directory on sys.path
    from tests import reference as ref
except ImportError:  # pragma: no cover
    import reference as ref
try:
    from tests.reference_bridge import randomize, ref_cell
except ImportError:
    from reference_bridge import randomize, ref_cell

B, T, D, N = 4, 8, 3, 5
ATOL = 2e-5


def data(seed=0, dynamic=False):
    """[4, 8, 3]; with dynamic, lengths 8, 5, 3, 1 (post-padded)."""
    x = np.random.default_rng(seed).normal(size=(B, T, D)).astype(np.float32)
    if dynamic:
        for b, length in enumerate((8, 5, 3, 1)):
            x[b, length:] = 0.0
    return x






def combine(*edits):
    def edit(t, name, value):
        for e in edits:
            value = e(t, name, value)
        return value

    return edit


def assert_records(layer_trace, expected: dict, what=""):
    assert set(layer_trace.quantities) == set(expected), what
    for q, v in expected.items():
        np.testing.assert_allclose(layer_trace.quantities[q], v, atol=ATOL, rtol=1e-5, err_msg=f"{what} {q}")


def single(layer):
    inputs = keras.Input((T, D))
    return keras.Model(inputs, layer(inputs))


# ----------------------------------------------------------------- LSTM: forget = 1, input = 0


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
def test_lstm_forget_one_input_zero_keeps_c_constant(dynamic):
    x, s = data(1, dynamic), 3
    layer = rnnlab.LSTM(N, return_seq=True, dynamic=dynamic, forget_bias=0.4)
    model = single(layer)
    randomize(layer, 2)
    interventions = [rnnlab.Intervention(layer.name, "forget", 1.0, from_step=s),
                     rnnlab.Intervention(layer.name, "input", 0.0, from_step=s)]
    base = rnnlab.probe(model, x).layers[layer.name]
    rec = rnnlab.probe(model, x, interventions=interventions).layers[layer.name]

    c, valid = rec.quantities["c"], rec.valid
    for t in range(s, T):
        rows = valid[:, t]
        np.testing.assert_array_equal(c[rows, t], c[rows, s - 1], err_msg=f"c_{t} != c_{s - 1}")
        assert np.all(rec.quantities["forget"][rows, t] == 1.0) and np.all(rec.quantities["input"][rows, t] == 0.0)
    for q in rec.quantities:  # before from_step nothing changed
        np.testing.assert_allclose(rec.quantities[q][:, :s], base.quantities[q][:, :s], atol=1e-7, err_msg=q)
    assert not np.allclose(rec.quantities["c"][:, s:], base.quantities["c"][:, s:])

    edit = combine(ref.intervention_edit("forget", 1.0, from_step=s), ref.intervention_edit("input", 0.0, from_step=s))
    expected = ref.run_loop_records(ref_cell(layer.cell), x, dynamic=dynamic, edit=edit)
    assert_records(rec, expected.records, "lstm forget=1 input=0")


# ----------------------------------------------------------------- a zeroed unit


def test_zeroed_unit_stays_zero_and_changes_only_downstream():
    x, s, unit = data(3), 2, 2
    inputs = keras.Input((T, D))
    first = rnnlab.LSTM(N, return_seq=True)
    second = rnnlab.GRU(N, return_seq=True)
    model = keras.Model(inputs, second(first(inputs)))
    randomize(first, 4)
    randomize(second, 5)
    base = rnnlab.probe(model, x, path="sequential")  # the loop the intervention runs on (not the fused kernel)
    zeroed = rnnlab.Intervention(first.name, "h", 0.0, units=(unit,), from_step=s)
    trace = rnnlab.probe(model, x, interventions=[zeroed])
    rec, before = trace.layers[first.name], base.layers[first.name]

    h = rec.quantities["h"]
    assert np.all(h[:, s:, unit] == 0.0)
    assert np.all(before.quantities["h"][:, s:, unit] != 0.0)  # (it was not zero before)
    others = [u for u in range(N) if u != unit]
    for q in rec.quantities:
        # steps before from_step: untouched; at from_step: only h of the unit itself (c and gates come first)
        np.testing.assert_allclose(rec.quantities[q][:, :s], before.quantities[q][:, :s], atol=1e-7, err_msg=q)
        keep = others if q == "h" else list(range(N))
        np.testing.assert_allclose(rec.quantities[q][:, s, keep], before.quantities[q][:, s, keep], atol=1e-7,
                                   err_msg=f"{q} at from_step")
        # downstream (later steps) every quantity moves
        assert not np.allclose(rec.quantities[q][:, s + 1:, :], before.quantities[q][:, s + 1:, :], atol=1e-4), q
    down, down_before = trace.layers[second.name], base.layers[second.name]
    for q in down.quantities:  # the next layer: equal before from_step, changed from it on
        np.testing.assert_allclose(down.quantities[q][:, :s], down_before.quantities[q][:, :s], atol=1e-7)
        assert not np.allclose(down.quantities[q][:, s:], down_before.quantities[q][:, s:], atol=1e-4), q
    np.testing.assert_allclose(down.x, h, atol=1e-7)

    exp1 = ref.run_loop_records(ref_cell(first.cell), x, edit=ref.intervention_edit("h", 0.0, (unit,), s))
    assert_records(rec, exp1.records, "first")
    assert_records(down, ref.run_loop_records(ref_cell(second.cell), exp1.outputs).records, "second")


def test_intervention_on_an_unrecorded_layer_still_applies():
    x = data(6)
    inputs = keras.Input((T, D))
    first = rnnlab.LSTM(N, return_seq=True)
    second = rnnlab.GRU(N, return_seq=True)
    model = keras.Model(inputs, second(first(inputs)))
    randomize(first, 7)
    iv = rnnlab.Intervention(first.name, "h", 0.0, from_step=0)
    trace = rnnlab.probe(model, x, layers=[second.name], interventions=[iv])
    assert trace.layer_names == [second.name]
    np.testing.assert_array_equal(trace.layers[second.name].x, 0.0)  # the first layer's h was zeroed
    expected = ref.run_loop_records(ref_cell(second.cell), np.zeros((B, T, N)))
    assert_records(trace.layers[second.name], expected.records)


# ----------------------------------------------------------------- GRU update = 1


def test_gru_update_one_freezes_h():
    x, s = data(8), 4
    layer = rnnlab.GRU(N, return_seq=True, return_state=True)
    inputs = keras.Input((T, D))
    seq, state = layer(inputs)
    model = keras.Model(inputs, [seq, state])
    randomize(layer, 9)
    trace = rnnlab.probe(model, x, interventions=[rnnlab.Intervention(layer.name, "update", 1.0, from_step=s)])
    h = trace.layers[layer.name].quantities["h"]
    for t in range(s, T):
        np.testing.assert_array_equal(h[:, t], h[:, s - 1])
    base = rnnlab.probe(model, x).layers[layer.name].quantities["h"]
    np.testing.assert_allclose(h[:, :s], base[:, :s], atol=1e-7)
    assert not np.allclose(h[:, s:], base[:, s:])
    expected = ref.run_loop_records(ref_cell(layer.cell), x, edit=ref.intervention_edit("update", 1.0, from_step=s))
    assert_records(trace.layers[layer.name], expected.records, "gru update=1")
    np.testing.assert_allclose(trace.output, h, atol=1e-7)  # the model's own output is the edited one


@pytest.mark.parametrize("quantity,value,units", [("pre_activation", 0.0, None), ("h", 1.0, (0, 3))])
def test_simple_rnn_interventions_match_reference(quantity, value, units):
    x, s = data(10, dynamic=True), 1
    layer = rnnlab.SimpleRNN(N, return_seq=True, dynamic=True)
    model = single(layer)
    randomize(layer, 11)
    iv = rnnlab.Intervention(layer.name, quantity, value, units=units, from_step=s)
    rec = rnnlab.probe(model, x, interventions=[iv]).layers[layer.name]
    expected = ref.run_loop_records(ref_cell(layer.cell), x, dynamic=True,
                                    edit=ref.intervention_edit(quantity, value, units, s))
    assert_records(rec, expected.records, quantity)


# ----------------------------------------------------------------- bidirectional: one direction only


@pytest.mark.parametrize("direction", ["fw", "bw", None])
def test_direction_picks_one_half(direction):
    x, s = data(12, dynamic=True), 1
    layer = rnnlab.BiRNN(rnnlab.BasicLSTMCell(N), rnnlab.GRUCell(N), return_seq=True, dynamic=True)
    model = single(layer)
    randomize(layer.cell_fw, 13)
    randomize(layer.cell_bw, 14)
    iv = rnnlab.Intervention(layer.name, "h", 0.0, units=(1,), from_step=s, direction=direction)
    base = rnnlab.probe(model, x)
    trace = rnnlab.probe(model, x, interventions=[iv])
    edit = ref.intervention_edit("h", 0.0, (1,), s)
    exp_fw, exp_bw = ref.bidirectional_records(
        x, ref_cell(layer.cell_fw), ref_cell(layer.cell_bw), dynamic=True,
        edit_fw=edit if direction in ("fw", None) else None, edit_bw=edit if direction in ("bw", None) else None)
    fw, bw = trace.layers[f"{layer.name}/fw"], trace.layers[f"{layer.name}/bw"]
    assert_records(fw, exp_fw.records, "fw")
    assert_records(bw, exp_bw.records, "bw")  # from_step counts in the backward cell's reading order
    for name, half, touched in (("fw", slice(0, N), direction in ("fw", None)),
                                ("bw", slice(N, 2 * N), direction in ("bw", None))):
        same_records = all(np.allclose(trace.layers[f"{layer.name}/{name}"].quantities[q],
                                       base.layers[f"{layer.name}/{name}"].quantities[q], atol=1e-7)
                           for q in trace.layers[f"{layer.name}/{name}"].quantities)
        same_output = np.allclose(trace.output[..., half], base.output[..., half], atol=1e-7)
        assert same_records == same_output == (not touched), (name, direction)
    if direction == "bw":  # in original time order: zero at steps t <= length-1-from_step of each sample
        for b, length in enumerate(bw.seq_len):
            np.testing.assert_array_equal(bw.quantities["h"][b, :max(length - s, 0), 1], 0.0)
            assert np.all(bw.quantities["h"][b, max(length - s, 0):length, 1] != 0.0)


# ----------------------------------------------------------------- bad interventions


def test_bad_interventions_are_clear_errors():
    x = data(15)
    lstm = rnnlab.LSTM(N, return_seq=True, name="enc")
    model = single(lstm)

    def run(*ivs):
        return rnnlab.probe(model, x, interventions=ivs)

    with pytest.raises(rnnlab.RnnlabError, match=r"quantity 'update'.*'enc' \(lstm\).*input, candidate, forget"):
        run(rnnlab.Intervention("enc", "update", 1.0))
    with pytest.raises(rnnlab.RnnlabError, match=r"units \(5,\) out of range.*5 units.*0\.\.4"):
        run(rnnlab.Intervention("enc", "c", 0.0, units=(5,)))
    with pytest.raises(rnnlab.RnnlabError, match=r"units \(-1,\) out of range"):
        run(rnnlab.Intervention("enc", "c", 0.0, units=(-1,)))
    with pytest.raises(rnnlab.RnnlabError, match=r"direction 'bw'.*'enc' is not bidirectional"):
        run(rnnlab.Intervention("enc", "c", 0.0, direction="bw"))
    with pytest.raises(rnnlab.RnnlabError, match=r"direction must be None, 'fw' or 'bw'; received 'up'"):
        run(rnnlab.Intervention("enc", "c", 0.0, direction="up"))
    with pytest.raises(TypeError, match=r"rnnlab.Intervention objects"):
        run(("enc", "c", 0.0))
    # units as a list or a single int are accepted (and equal the tuple form)
    a = run(rnnlab.Intervention("enc", "h", 0.0, units=[2])).get("enc", "h")
    b = run(rnnlab.Intervention("enc", "h", 0.0, units=2)).get("enc", "h")
    c = run(rnnlab.Intervention("enc", "h", 0.0, units=(2,))).get("enc", "h")
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(b, c)
    assert np.all(c[:, :, 2] == 0.0) and np.all(c[:, :, 1] != 0.0)
