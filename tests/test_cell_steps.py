"""rnnlab.probes.cell_step / cell_steps: one unit's equations at one step, with a probed model's numbers.

Every number is checked against tests/reference.py (NumPy, float64, written from SPEC.md): gate values and
states against ``run_loop_records`` / ``bidirectional_records``, pre-activations against ``[x_t, h_prev] @
Matrix + Bias`` computed here from the reference cell's weights and the reference's own previous state.
Then the equation identities must hold on the returned numbers (c_t = f c_prev + i j, ...), and the
LaTeX equations must carry those numbers.

Sections: 1. each kind (dynamic, with padding) and static mode; 2. bidirectional; 3. initial state,
interventions, a shared layer's second call; 4. equations; 5. bad input.
"""

from __future__ import annotations

import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rnnlab  # noqa: E402
from rnnlab.probes import CellSequence, CellStep, cell_step, cell_steps  # noqa: E402

try:  # tests/ as a package or as a plain directory on sys.path
    from tests import reference as ref
    from tests.reference_bridge import randomize, ref_cell
except ImportError:  # pragma: no cover
    import reference as ref
    from reference_bridge import randomize, ref_cell

B, T, D, N = 5, 7, 3, 4  # batch, time, input_dim, units
ATOL = 2e-5
IDENTITY = 1e-5


def padded_x(seed=0) -> np.ndarray:
    """[5, 7, 3] float32, post-padded. Lengths (TFLearn's count): 7, 4, 0, 6 (a zero step inside), 1."""
    x = np.random.default_rng(seed).normal(size=(B, T, D)).astype(np.float32)
    x[1, 4:] = 0.0
    x[2] = 0.0
    x[3, 2] = 0.0
    x[4, 1:] = 0.0
    return x


def make_layer(kind, **kwargs):
    if kind == "lstm":  # forget_bias != 1 and a non-default activation: both must show in the numbers
        return rnnlab.LSTM(N, forget_bias=0.7, activation="softsign", return_seq=True, **kwargs)
    return {"gru": rnnlab.GRU, "simple_rnn": rnnlab.SimpleRNN}[kind](N, return_seq=True, **kwargs)


def one_layer_model(layer, seed):
    inputs = keras.Input((T, D))
    model = keras.Model(inputs, layer(inputs))
    randomize(layer, seed)
    return model


def expected_pre_activations(cell, x_t, h_prev) -> dict[str, np.ndarray]:
    """Reference cell, x_t [D], previous h [n] -> name -> (from_x [n], from_h [n], bias [n]) from SPEC.md's layout,
    in float64 (the GRU candidate uses the reference's own reset gate)."""
    n = cell.n_units
    d = x_t.shape[0]
    if isinstance(cell, ref.LSTMCell):
        m, b = cell.w.matrix, cell.w.bias
        blocks = {"input": 0, "candidate": 1, "forget": 2, "output": 3}  # i, j, f, o
        return {g: (x_t @ m[:d, k * n:(k + 1) * n], h_prev @ m[d:, k * n:(k + 1) * n], b[k * n:(k + 1) * n])
                for g, k in blocks.items()}
    if isinstance(cell, ref.GRUCell):
        m, b = cell.w.gates_matrix, cell.w.gates_bias
        out = {g: (x_t @ m[:d, k * n:(k + 1) * n], h_prev @ m[d:, k * n:(k + 1) * n], b[k * n:(k + 1) * n])
               for g, k in (("reset", 0), ("update", 1))}
        r = cell.sig(sum(out["reset"]))
        cm, cb = cell.w.candidate_matrix, cell.w.candidate_bias
        out["candidate"] = (x_t @ cm[:d], (r * h_prev) @ cm[d:], cb)
        return out
    return {"h": (x_t @ cell.w.matrix[:d], h_prev @ cell.w.matrix[d:], cell.w.bias)}


def check_sequence(seq: CellSequence, expected, cell, x, *, backward=False, forget_bias=None, initial=None):
    """Every step of ``seq`` against the reference's RecordedLoop ``expected`` (records in time order) and
    the reference ``cell``; then the equation identities on the returned numbers. initial: the initial
    state as a tuple of [B, n] (None: zeros)."""
    b, u = seq.sample, seq.unit
    records, lengths = expected.records, expected.lengths
    length = T if lengths is None else int(lengths[b])
    n = cell.n_units
    assert len(seq) == T and seq.length == length
    np.testing.assert_array_equal(seq.valid, np.arange(T) < length)
    for name, values in seq.series.items():
        np.testing.assert_allclose(values, records[name][b, :, u], atol=ATOL, err_msg=name)
    states = ("c", "h") if "c" in records else ("h",)
    initial = dict(zip(states, initial or [np.zeros((B, n))] * len(states)))
    final = dict(zip(states, expected.state))  # after step length-1 (forward) or after reading step 0 (backward)
    for t in range(T):
        s = seq[t]
        what = f"{seq.layer} b={b} u={u} t={t}"
        assert isinstance(s, CellStep) and (s.step, s.sample, s.unit) == (t, b, u), what
        np.testing.assert_allclose(s.x, x[b, t], atol=0, err_msg=what)
        if t >= length:  # padded: nothing computed, the state carried, output 0
            assert s.padded and s.gates == {} and s.terms == {} and s.output == 0.0, what
            for name in states:
                assert getattr(s, name) == pytest.approx(final[name][b, u], abs=ATOL), f"{what} carried {name}"
                assert getattr(s, f"{name}_prev") == getattr(s, name), what
            assert s.prev_step == ((0 if backward else length - 1) if length else None), what
            assert "past this sample's length" in s.note
            continue
        assert not s.padded, what
        p = (t + 1 if t + 1 < length else None) if backward else (t - 1 if t > 0 else None)
        assert s.prev_step == p, what
        prev = {name: initial[name][b] if p is None else records[name][b, p] for name in states}
        for name in states:
            assert getattr(s, f"{name}_prev") == pytest.approx(prev[name][u], abs=ATOL), f"{what} {name}_prev"
            assert getattr(s, name) == pytest.approx(records[name][b, t, u], abs=ATOL), f"{what} {name}"
        assert s.output == s.h
        pre = expected_pre_activations(cell, x[b, t].astype(np.float64), prev["h"])
        order = ["input", "forget", "output", "candidate"] if s.kind == "lstm" else list(pre)
        assert list(s.gates) == order, what
        for name, gate in s.gates.items():
            from_x, from_h, bias = (v[u] for v in pre[name])
            assert (gate.from_x, gate.from_h, gate.bias) == pytest.approx((from_x, from_h, bias), abs=ATOL), \
                f"{what} {name}"
            assert gate.pre_activation == pytest.approx(from_x + from_h + bias, abs=ATOL)
            assert gate.offset == (forget_bias if name == "forget" else 0.0)
            assert gate.value == pytest.approx(records[name][b, t, u], abs=ATOL), f"{what} {name}"
            assert gate.recomputed == pytest.approx(gate.value, abs=ATOL), f"{what} {name} recomputed"
        check_identities(s, cell)


def check_identities(s: CellStep, cell):
    """The cell's equations hold on the numbers a CellStep returns (SPEC.md, "Cell maths")."""
    g = {name: gate.value for name, gate in s.gates.items()}
    if s.kind == "lstm":
        assert s.c == pytest.approx(g["forget"] * s.c_prev + g["input"] * g["candidate"], abs=IDENTITY)
        assert s.terms["f*c_prev"] == pytest.approx(g["forget"] * s.c_prev, abs=IDENTITY)
        assert s.terms["i*j"] == pytest.approx(g["input"] * g["candidate"], abs=IDENTITY)
        assert s.terms["act(c)"] == pytest.approx(float(cell.act(np.array([s.c]))[0]), abs=IDENTITY)
        assert s.h == pytest.approx(g["output"] * float(cell.act(np.array([s.c]))[0]), abs=IDENTITY)
        f = s.gates["forget"]
        assert f.value == pytest.approx(float(cell.sig(np.array([f.pre_activation + cell.forget_bias]))[0]),
                                        abs=IDENTITY)
        assert s.forget_bias == cell.forget_bias
    elif s.kind == "gru":
        assert s.h == pytest.approx(g["update"] * s.h_prev + (1 - g["update"]) * g["candidate"], abs=IDENTITY)
        assert s.terms["u*h_prev"] + s.terms["(1-u)*cand"] == pytest.approx(s.h, abs=IDENTITY)
    else:
        assert s.h == pytest.approx(float(cell.act(np.array([s.gates["h"].pre_activation]))[0]), abs=IDENTITY)


# ----------------------------------------------------------------- 1. each kind


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
def test_every_step_matches_the_reference_dynamic_with_padding(kind):
    x = padded_x(seed=1)
    layer = make_layer(kind, dynamic=True)
    model = one_layer_model(layer, seed=2)
    trace = rnnlab.probe(model, x)
    cell = ref_cell(layer.cell)
    expected = ref.run_loop_records(cell, x, dynamic=True)
    for b in range(B):  # lengths 7, 4, 0, 6, 1: full, padded, empty, a zero step inside, one step
        for u in (0, N - 1):
            seq = cell_steps(trace, model, layer.name, b, u)
            check_sequence(seq, expected, cell, x, forget_bias=0.7 if kind == "lstm" else None)
    if kind == "simple_rnn":  # its pre-activation is also in the trace: the same number
        seq = cell_steps(trace, model, layer.name, 0, 1)
        np.testing.assert_allclose([s.gates["h"].pre_activation for s in seq.steps],
                                   trace.get(layer.name, "pre_activation")[0, :, 1], atol=ATOL)
    # cell_step is one element of cell_steps
    one = cell_step(trace, model, layer.name, 1, 2, 3)
    assert one == cell_steps(trace, model, layer.name, 1, 3)[2]
    assert one.numbers() == cell_steps(trace, model, layer.name, 1, 3)[2].numbers()


def test_static_mode_computes_every_step_and_t0_reads_zeros():
    x = padded_x(seed=3)  # zero steps exist, but without dynamic=True every step is computed
    layer = make_layer("lstm")
    model = one_layer_model(layer, seed=4)
    trace = rnnlab.probe(model, x)
    cell = ref_cell(layer.cell)
    expected = ref.run_loop_records(cell, x)
    seq = cell_steps(trace, model, layer.name, 2, 1)  # the all-zero sample: computed all the same
    check_sequence(seq, expected, cell, x, forget_bias=0.7)
    assert not any(s.padded for s in seq.steps)
    first = seq[0]
    assert first.prev_step is None and first.h_prev == 0.0 and first.c_prev == 0.0
    assert "initial state" in first.note
    assert first.gates["input"].from_h == 0.0  # h_prev = 0: the recurrent part is exactly 0


# ----------------------------------------------------------------- 2. bidirectional


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
def test_bidirectional_directions_and_backward_reading_order(dynamic):
    x = padded_x(seed=5)
    fw_cell = rnnlab.BasicLSTMCell(N, forget_bias=0.3, activation="relu")
    bw_cell = rnnlab.GRUCell(N)
    layer = rnnlab.BiRNN(fw_cell, bw_cell, return_seq=True, dynamic=dynamic)
    inputs = keras.Input((T, D))
    model = keras.Model(inputs, layer(inputs))
    randomize(fw_cell, 6)
    randomize(bw_cell, 7)
    trace = rnnlab.probe(model, x)
    ref_fw, ref_bw = ref_cell(fw_cell), ref_cell(bw_cell)
    exp_fw, exp_bw = ref.bidirectional_records(x, ref_fw, ref_bw, dynamic)
    for b in (0, 1, 2, 3):
        check_sequence(cell_steps(trace, model, f"{layer.name}/fw", b, 2), exp_fw, ref_fw, x, forget_bias=0.3)
        check_sequence(cell_steps(trace, model, f"{layer.name}/bw", b, 2), exp_bw, ref_bw, x, backward=True)
    last = 3 if dynamic else T - 1  # sample 1 has length 4 in dynamic mode: the backward cell starts at step 3
    bw = cell_step(trace, model, f"{layer.name}/bw", 1, last, 0)
    assert bw.prev_step is None and bw.h_prev == 0.0 and "backward cell's first step" in bw.note
    assert bw.prev_symbol == "t+1" and any("h_{t+1}" in e.latex for e in bw.equations())
    middle = cell_step(trace, model, f"{layer.name}/bw", 1, 1, 0)
    assert middle.prev_step == 2 and "reads the state of step 2" in middle.note
    fw = cell_step(trace, model, f"{layer.name}/fw", 1, 1, 0)
    assert fw.prev_step == 0 and fw.prev_symbol == "t-1" and fw.activation == "relu"


# ----------------------------------------------------------------- 3. initial state, interventions, shared layers


def test_initial_state_given_to_the_layer():
    """An encoder's final (c, h) starts a decoder (README's pattern): pass it as initial_state."""
    enc_in, dec_in = keras.Input((T, D)), keras.Input((T, D))
    encoder = rnnlab.LSTM(N, return_state=True)
    _, (c, h) = encoder(enc_in)
    layer = make_layer("lstm")
    model = keras.Model([enc_in, dec_in], layer(dec_in, initial_state=(c, h)))
    randomize(encoder, 8)
    randomize(layer, 9)
    x_enc, x = padded_x(seed=10), padded_x(seed=20)
    trace = rnnlab.probe(model, [x_enc, x])
    c0, h0 = ref.run_loop(ref_cell(encoder.cell), x_enc).state
    cell = ref_cell(layer.cell)
    expected = ref.run_loop_records(cell, x, initial_state=(c0, h0))
    seq = cell_steps(trace, model, layer.name, 3, 1, initial_state=(c0, h0))
    assert seq[0].c_prev == pytest.approx(c0[3, 1]) and seq[0].h_prev == pytest.approx(h0[3, 1])
    check_sequence(seq, expected, cell, x, forget_bias=0.7, initial=(c0, h0))
    # without it, step 0 assumes zeros: the identity c_0 = f c_prev + i j then fails, and the page can tell
    wrong = cell_step(trace, model, layer.name, 3, 0, 1)
    assert wrong.c_prev == 0.0
    assert abs(wrong.terms["f*c_prev"] + wrong.terms["i*j"] - wrong.c) > 1e-3


def test_an_intervened_gate_shows_the_used_value_and_the_recomputed_one():
    x = padded_x(seed=11)
    layer = make_layer("lstm")
    model = one_layer_model(layer, seed=12)
    trace = rnnlab.probe(model, x, interventions=[rnnlab.Intervention(layer.name, "forget", 1.0, from_step=2)])
    seq = cell_steps(trace, model, layer.name, 0, 1)
    for s in seq.steps:
        f = s.gates["forget"]
        assert (f.value == 1.0) == (s.step >= 2)
        assert (abs(f.recomputed - f.value) > 1e-4) == (s.step >= 2)
        assert s.unexplained() == (["forget"] if s.step >= 2 else [])
        assert s.c == pytest.approx(f.value * s.c_prev + s.terms["i*j"], abs=IDENTITY)  # what the layer did


def test_a_layer_called_twice_steps_through_each_call():
    a_in, b_in = keras.Input((T, D)), keras.Input((T, D))
    encoder = rnnlab.GRU(N, return_seq=True)
    model = keras.Model([a_in, b_in], keras.layers.Add()([encoder(a_in), encoder(b_in)]))
    randomize(encoder, 13)
    xa, xb = padded_x(seed=14), padded_x(seed=15)
    trace = rnnlab.probe(model, [xa, xb])
    cell = ref_cell(encoder.cell)
    for name, x in ((encoder.name, xa), (f"{encoder.name}#1", xb)):
        check_sequence(cell_steps(trace, model, name, 0, 1), ref.run_loop_records(cell, x), cell, x)


# ----------------------------------------------------------------- 4. equations


NUMBER = re.compile(r"-?\d+\.\d+")


def numbers_in(latex: str) -> list[float]:
    """The decimal numbers of an equation, signs included ('0.4 - 0.2' -> [0.4, -0.2])."""
    return [float(v) for v in NUMBER.findall(latex.replace("- ", "-"))]


def test_equations_carry_the_numbers():
    x = padded_x(seed=16)
    layer = make_layer("lstm", dynamic=True)
    model = one_layer_model(layer, seed=17)
    trace = rnnlab.probe(model, x)
    s = cell_step(trace, model, layer.name, 0, 3, 2)
    eqs = {e.lhs: e for e in s.equations(digits=3)}
    assert list(eqs) == ["i_t", "f_t", "o_t", "j_t", "c_t", "h_t"]

    def r(v):
        return round(v, 3)

    f = s.gates["forget"]
    assert numbers_in(eqs["f_t"].latex) == pytest.approx(
        [r(f.from_x), r(f.from_h), r(f.bias), 0.7, r(f.pre_activation + 0.7), r(f.value)], abs=1.1e-3)
    assert r"\mathrm{forget\_bias}" in eqs["f_t"].latex and r"\operatorname{softsign}" in eqs["j_t"].latex
    g = {k: v.value for k, v in s.gates.items()}
    assert eqs["c_t"].latex.startswith(r"c_t = f_t \, c_{t-1} + i_t \, j_t = ")
    assert numbers_in(eqs["c_t"].latex) == pytest.approx(
        [r(g["forget"]), r(s.c_prev), r(g["input"]), r(g["candidate"]), r(s.terms["f*c_prev"]), r(s.terms["i*j"]),
         r(s.c)], abs=1.1e-3)
    assert numbers_in(eqs["h_t"].latex) == pytest.approx(
        [r(g["output"]), r(s.c), r(g["output"]), r(s.terms["act(c)"]), r(s.h)], abs=1.1e-3)
    assert eqs["c_t"].value == s.c and eqs["h_t"].value == s.h
    block = s.latex(digits=3)  # the page's one aligned block: symbols on one row, numbers on the next
    assert block.startswith(r"\begin{aligned} i_t &= \sigma(") and block.endswith(r"\end{aligned}")
    assert eqs["c_t"].aligned in block and eqs["c_t"].aligned.replace(r" \\ &= ", " = ").replace("&=", "=") \
        == eqs["c_t"].latex
    # no '-0.000', negatives in parentheses inside products, '- 0.2' inside sums
    for e in eqs.values():
        assert "-0.000" not in e.latex and r"\cdot -" not in e.latex and "+ -" not in e.latex
    # a padded step: the carried state, from step length - 1
    padded = cell_step(trace, model, layer.name, 1, 6, 2)  # sample 1 has length 4
    assert [e.latex for e in padded.equations(2)] == [
        f"c_t = c_{{3}} = {padded.c:.2f}".replace("-0.00", "0.00"), f"h_t = h_{{3}} = {padded.h:.2f}".replace(
            "-0.00", "0.00")]
    # the table's numbers: every one in the equations, labelled by direction
    table = s.numbers()
    assert list(table)[:2] == ["c_{t-1}", "h_{t-1}"] and table["c_t"] == s.c and table["f"] == g["forget"]
    assert table["z_f"] == f.pre_activation and table["softsign(c_t)"] == s.terms["act(c)"]
    assert not any(k.startswith("z") for k in s.numbers(pre_activations=False))


def test_gru_and_simple_rnn_equations():
    x = padded_x(seed=18)
    for kind, lhs in (("gru", ["r_t", "u_t", r"\tilde{h}_t", "h_t"]), ("simple_rnn", ["h_t"])):
        layer = make_layer(kind)
        model = one_layer_model(layer, seed=19)
        s = cell_step(rnnlab.probe(model, x), model, layer.name, 0, 2, 1)
        eqs = s.equations(4)
        assert [e.lhs for e in eqs] == lhs
        last = eqs[-1]
        assert last.value == s.h and last.latex.endswith(f"= {s.h:.4f}")
        if kind == "gru":
            u, cand = s.gates["update"].value, s.gates["candidate"].value
            assert numbers_in(last.latex) == pytest.approx(
                [round(v, 4) for v in (u, s.h_prev, 1 - u, cand, s.terms["u*h_prev"], s.terms["(1-u)*cand"], s.h)],
                abs=1.1e-4)
            assert r"(r_t \odot h_{t-1}) W_{hc}" in eqs[2].latex
        else:
            assert last.latex.startswith(r"h_t = \sigma(x_t W_{x} + h_{t-1} W_{h} + b) = \sigma(")


# ----------------------------------------------------------------- 5. bad input


@pytest.fixture(scope="module")
def probed():
    with rnnlab.naming_context():
        layer = rnnlab.GRU(N, return_seq=True, dynamic=True, name="enc")
        inputs = keras.Input((T, D))
        model = keras.Model(inputs, layer(inputs))
        return rnnlab.probe(model, padded_x()), model


@pytest.mark.parametrize("changes,match", [
    ({"layer": "dec"}, r"Unknown `layer` 'dec'; the trace holds: enc"),
    ({"sample": 5}, r"`sample` must be an int in \[0, 5\).*received 5"),
    ({"step": 7}, r"`step` must be an int in \[0, 7\).*received 7"),
    ({"step": -1}, r"`step` must be an int in \[0, 7\).*received -1"),
    ({"step": 1.0}, r"`step` must be an int.*received 1\.0"),
    ({"unit": True}, r"`unit` must be an int in \[0, 4\) \(a unit of layer 'enc'\); received True"),
    ({"unit": 4}, r"`unit` must be an int in \[0, 4\).*received 4"),
    ({"initial_state": np.zeros((B, N + 1))}, r"`initial_state` must be h, each \[5, 4\].*shape \(5, 5\)"),
], ids=["layer", "sample", "step-high", "step-negative", "step-float", "unit-bool", "unit-high", "initial-state"])
def test_bad_arguments_name_the_argument(probed, changes, match):
    trace, model = probed
    args = {"layer": "enc", "sample": 0, "step": 0, "unit": 0} | changes
    initial = args.pop("initial_state", None)
    with pytest.raises(rnnlab.RnnlabError, match=match):
        cell_step(trace, model, args["layer"], args["sample"], args["step"], args["unit"], initial_state=initial)


def test_trace_and_model_must_belong_together(probed):
    trace, model = probed
    with pytest.raises(rnnlab.RnnlabError, match=r"`trace` must be an rnnlab Trace.*received \{\}"):
        cell_step({}, model, "enc", 0, 0, 0)
    other = keras.Model(inputs := keras.Input((T, D)), rnnlab.LSTM(N, name="other")(inputs))
    with pytest.raises(rnnlab.RnnlabError, match=r"`model` has no recurrent layer 'enc'.*are: other"):
        cell_step(trace, other, "enc", 0, 0, 0)
    wider = keras.Model(inputs := keras.Input((T, D)), rnnlab.LSTM(N, name="enc")(inputs))
    with pytest.raises(rnnlab.RnnlabError, match=r"`model`'s layer 'enc' is a lstm cell.*trace's 'enc' is gru"):
        cell_step(trace, wider, "enc", 0, 0, 0)
    with pytest.raises(rnnlab.RnnlabError, match=r"`model` has no recurrent layer 'enc'.*none"):
        cell_step(trace, "not a model", "enc", 0, 0, 0)
    with pytest.raises(rnnlab.RnnlabError, match=r"`step` must be an int in \[0, 7\)"):
        cell_steps(trace, model, "enc", 0, 0)[9]
