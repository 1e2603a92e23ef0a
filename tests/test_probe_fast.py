"""rnnlab.probe's batched gate path: every gate recomputed from the loop's states in one cell call.

1. batched == sequential, every field of the Trace to 1e-6: every kind x dynamic on/off, stacked layers,
   bidirectional with mixed kinds, an initial_state (encoder -> decoder), explicit seq_len, gradients;
2. batched gates against the NumPy reference (tests/reference.py), one layer of each kind, and a decoder whose
   step-0 gates depend on its (non-zero) initial state;
3. interventions keep the loop's records for their layer; the uncompiled first call; 'auto'; a bad ``path``;
4. the layers' fast path inside a probe's pass: an LSTM whose probe needs only its states runs the fused kernel
   (``last_path``), and its Trace equals the general loop's; hooks, interventions and gradients keep the loop.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rnnlab  # noqa: E402
from rnnlab.layers.fast_paths import force_path  # noqa: E402
from rnnlab.probes import recurrent_layers  # noqa: E402
from rnnlab.probes.gate_recompute import prefer_batched  # noqa: E402

try:  # tests/ as a package or as a plain directory on sys.path
    from tests import reference as ref
    from tests.reference_bridge import randomize, ref_cell
    from tests.test_probes import padded_x  # [5, 7, 3], lengths 7, 4, 0, 6 (a zero step inside), 1
except ImportError:  # pragma: no cover
    import reference as ref
    from reference_bridge import randomize, ref_cell
    from test_probes import padded_x

B, T, D, N = 5, 7, 3, 4  # batch, time, input_dim, units
TOL = 1e-6
LAYERS = {"simple_rnn": rnnlab.SimpleRNN, "lstm": rnnlab.LSTM, "gru": rnnlab.GRU}
CELLS = {"simple_rnn": rnnlab.BasicRNNCell, "lstm": rnnlab.BasicLSTMCell, "gru": rnnlab.GRUCell}
OTHER = {"simple_rnn": "lstm", "lstm": "gru", "gru": "simple_rnn"}


def layer(kind, **kwargs):
    if kind == "lstm":
        kwargs.setdefault("forget_bias", 0.7)
    return LAYERS[kind](N, **kwargs)


def randomized(model, seed=10):
    for i, rnn in enumerate(recurrent_layers(model)):
        for j, part in enumerate([rnn.cell_fw, rnn.cell_bw] if isinstance(rnn, rnnlab.BiRNN) else [rnn]):
            randomize(part, seed + 10 * i + j)
    return model


def both_paths(model, x, **kwargs):
    """-> (batched trace, sequential trace), after checking which path each recorded call took."""
    model(x)  # built, so that probe compiles its pass (an unbuilt model's first pass runs eagerly)
    batched = rnnlab.probe(model, x, path="batched", **kwargs)
    sequential = rnnlab.probe(model, x, path="sequential", **kwargs)
    assert {r.gate_path for r in batched.layers.values()} == {"batched"}
    assert {r.gate_path for r in sequential.layers.values()} == {"sequential"}
    return batched, sequential


def assert_same_trace(a, b, tol=TOL):
    """Every field of two Traces: names, kinds, directions, every quantity, x, valid, seq_len, grad_norm, output,
    loss."""
    assert a.layer_names == b.layer_names
    for name in a.layer_names:
        la, lb = a.layers[name], b.layers[name]
        assert (la.name, la.kind, la.direction) == (lb.name, lb.kind, lb.direction)
        assert list(la.quantities) == list(lb.quantities)
        for q in la.quantities:
            assert la.quantities[q].shape == lb.quantities[q].shape, f"{name} {q}"
            np.testing.assert_allclose(la.quantities[q], lb.quantities[q], atol=tol, rtol=0, err_msg=f"{name} {q}")
        # a stacked layer's x is the layer below's output: the fused kernel rounds it differently (~1e-7)
        np.testing.assert_allclose(la.x, lb.x, atol=tol, rtol=0, err_msg=f"{name} x")
        np.testing.assert_array_equal(la.valid, lb.valid)
        np.testing.assert_array_equal(la.seq_len, lb.seq_len)
        assert (la.grad_norm is None) == (lb.grad_norm is None), name
        if la.grad_norm is not None:
            np.testing.assert_allclose(la.grad_norm, lb.grad_norm, atol=tol, rtol=0, err_msg=f"{name} grad_norm")
    np.testing.assert_allclose(a.output, b.output, atol=tol, rtol=0)
    assert (a.loss is None) == (b.loss is None)
    if a.loss is not None:
        assert abs(a.loss - b.loss) <= tol


# ----------------------------------------------------------------- 1. batched == sequential


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_stacked_layers_batched_equals_sequential(kind, dynamic):
    inputs = keras.Input((T, D))
    h = layer(kind, return_seq=True, dynamic=dynamic)(inputs)
    h = layer(OTHER[kind], dynamic=dynamic)(h)
    model = randomized(keras.Model(inputs, keras.layers.Dense(1)(h)))
    batched, sequential = both_paths(model, padded_x(1))
    assert len(batched.layers) == 2
    assert_same_trace(batched, sequential)
    if dynamic:  # steps past a length are 0 on both paths (a shift done wrong shows here first)
        for record in batched.layers.values():
            for values in record.quantities.values():
                assert np.all(values[~record.valid] == 0)


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("kinds", [("lstm", "gru"), ("gru", "simple_rnn"), ("simple_rnn", "lstm")],
                         ids=lambda k: "-".join(k))
def test_bidirectional_batched_equals_sequential(kinds, dynamic):
    cells = [CELLS[k](N, forget_bias=0.5) if k == "lstm" else CELLS[k](N) for k in kinds]
    inputs = keras.Input((T, D))
    out = rnnlab.BiRNN(*cells, return_seq=True, dynamic=dynamic)(inputs)
    model = randomized(keras.Model(inputs, out))
    batched, sequential = both_paths(model, padded_x(2), y=np.ones((B, T, 2 * N), np.float32), loss="mse")
    assert [r.direction for r in batched.layers.values()] == ["fw", "bw"]
    assert_same_trace(batched, sequential)


def encoder_decoder(kind, dynamic):
    """input -> encoder (return_state) -> decoder started from the encoder's final state -> Dense(1)."""
    inputs = keras.Input((T, D))
    encoder = layer(kind, return_state=True, dynamic=dynamic, name="encoder")
    _, state = encoder(inputs)
    decoder = layer(kind, return_seq=True, dynamic=dynamic, name="decoder")
    seq = decoder(inputs, initial_state=state)
    return randomized(keras.Model(inputs, keras.layers.Dense(1)(seq)))


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_initial_state_batched_equals_sequential(kind, dynamic):
    model = encoder_decoder(kind, dynamic)
    x = padded_x(3)
    batched, sequential = both_paths(model, x, y=np.ones((B, T, 1), np.float32), loss="mse")
    assert batched.layer_names == ["encoder", "decoder"]
    assert_same_trace(batched, sequential)


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru", "bidirectional"])
def test_explicit_seq_len_batched_equals_sequential(kind):
    x = np.random.default_rng(4).normal(size=(B, T, D)).astype(np.float32)  # no zero steps: lengths from seq_len
    seq_len = np.array([7, 3, 0, 5, 1])
    if kind == "bidirectional":
        rnn = rnnlab.BiRNN(CELLS["gru"](N), CELLS["lstm"](N), return_seq=True)
    else:
        rnn = layer(kind, return_seq=True)
    rnn(x)  # built, so that probe compiles its pass
    randomized(rnn)
    batched, sequential = both_paths(rnn, x, seq_len=seq_len)
    assert_same_trace(batched, sequential)
    for record in batched.layers.values():
        np.testing.assert_array_equal(record.seq_len, seq_len)


# ----------------------------------------------------------------- 2. against the NumPy reference


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_batched_gates_match_reference(kind):
    x = padded_x(5)
    inputs = keras.Input((T, D))
    rnn = layer(kind, return_seq=True, dynamic=True)
    model = randomized(keras.Model(inputs, rnn(inputs)))
    model(x)
    trace = rnnlab.probe(model, x, path="batched")
    record = trace.layers[rnn.name]
    assert record.gate_path == "batched"
    expected = ref.run_loop_records(ref_cell(rnn.cell), x, dynamic=True).records
    assert set(record.quantities) == set(expected)
    for q, values in record.quantities.items():
        np.testing.assert_allclose(values, expected[q], atol=2e-5, rtol=1e-5, err_msg=q)


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_batched_decoder_gates_start_from_its_initial_state(kind):
    x = padded_x(6)
    model = encoder_decoder(kind, dynamic=False)
    model(x)
    trace = rnnlab.probe(model, x, path="batched")
    encoder, decoder = (model.get_layer(n) for n in ("encoder", "decoder"))
    start = ref.run_loop_records(ref_cell(encoder.cell), x).state  # the encoder's final state, (c, h) or (h,)
    assert np.abs(start[-1]).max() > 0.1  # a real, non-zero initial state: step 0's gates depend on it
    expected = ref.run_loop_records(ref_cell(decoder.cell), x, initial_state=start if kind == "lstm" else start[0])
    record = trace.layers["decoder"]
    assert record.gate_path == "batched"
    for q, values in record.quantities.items():
        np.testing.assert_allclose(values, expected.records[q], atol=2e-5, rtol=1e-5, err_msg=q)


# ----------------------------------------------------------------- 3. where the batched path does not apply


def test_interventions_keep_the_sequential_loop_for_their_layer():
    inputs = keras.Input((T, D))
    first = layer("lstm", return_seq=True, name="first")
    second = layer("gru", return_seq=True, name="second")
    model = randomized(keras.Model(inputs, second(first(inputs))))
    x = padded_x(7)
    model(x)
    fix = [rnnlab.Intervention("first", "forget", 1.0, from_step=2)]
    batched = rnnlab.probe(model, x, interventions=fix, path="batched")
    sequential = rnnlab.probe(model, x, interventions=fix, path="sequential")
    assert batched.layers["first"].gate_path == "sequential"  # the intervened layer: the loop's own records
    assert batched.layers["second"].gate_path == "batched"  # downstream: exact from its (changed) input
    assert_same_trace(batched, sequential)
    np.testing.assert_allclose(batched.get("first", "forget")[:, 2:], 1.0)


def test_uncompiled_first_call_matches_the_compiled_one():
    x = padded_x(8)
    rnn = layer("lstm", return_seq=True, dynamic=True)  # not built: probe's first call runs eagerly
    first = rnnlab.probe(rnn, x, path="batched")
    second = rnnlab.probe(rnn, x, path="batched")  # compiled
    sequential = rnnlab.probe(rnn, x, path="sequential")
    assert [t.layers[rnn.name].gate_path for t in (first, second, sequential)] == ["batched", "batched", "sequential"]
    assert_same_trace(first, sequential)
    assert_same_trace(second, sequential)


@pytest.mark.parametrize("units", [4, 256])
def test_auto_takes_the_path_prefer_batched_names(units):
    x = np.random.default_rng(9).normal(size=(64, 3, 32)).astype(np.float32)
    rnn = rnnlab.LSTM(units, return_seq=True)
    rnn(x)
    record = next(iter(rnnlab.probe(rnn, x).layers.values()))
    want = "batched" if prefer_batched(rnn.cell, 64, 32) else "sequential"
    assert record.gate_path == want


@pytest.mark.parametrize("bad", ["fast", None, 1])
def test_bad_path_is_a_clear_error(bad):
    rnn = layer("gru")
    with pytest.raises(rnnlab.RnnlabError, match=r"`path` must be one of 'auto', 'batched', 'sequential'; received"):
        rnnlab.probe(rnn, padded_x(), path=bad)


def test_trace_arrays_are_read_only_views_and_save_keeps_the_path(tmp_path):
    x = padded_x(9)
    rnn = layer("gru", return_seq=True)
    rnn(x)
    trace = rnnlab.probe(rnn, x, path="batched")
    values = trace.get(rnn.name, "update")
    with pytest.raises(ValueError, match="read-only"):
        values[0, 0, 0] = 1.0
    trace.save(tmp_path / "t.npz")
    loaded = rnnlab.Trace.load(tmp_path / "t.npz")
    assert loaded.layers[rnn.name].gate_path == "batched"
    assert_same_trace(loaded, trace, tol=0)


def test_states_suffice_answers_for_the_layers():
    """The question a layer may ask the probe before choosing a fast path: only states needed from this call?"""
    probe_module = sys.modules["rnnlab.probes.probe"]
    x = padded_x(10)
    first, second = layer("lstm", name="first"), layer("gru", name="second")
    fix = (rnnlab.Intervention("first", "forget", 1.0),)

    def asks(path, interventions=(), with_gradients=False):
        session = probe_module._ProbeSession([first, second], interventions, with_gradients, path)
        return session.states_suffice(first, x), session.states_suffice(second, x)

    assert asks("batched") == (True, True)
    assert asks("sequential") == (False, False)
    assert asks("batched", fix) == (False, True)  # an intervention needs the loop's own values
    assert asks("batched", with_gradients=True) == (False, False)  # the tape's perturbations edit h in the loop
    first.build((None, T, D))
    second.build((None, T, D))
    assert asks("auto") == (prefer_batched(first.cell, B, D), prefer_batched(second.cell, B, D))


# ----------------------------------------------------------------- 4. the layers' fast path inside a probe's pass


def layer_paths(model):
    """-> the path each rnnlab layer's last call took: last_path, or last_paths for a BiRNN."""
    return [rnn.last_paths if isinstance(rnn, rnnlab.BiRNN) else rnn.last_path for rnn in recurrent_layers(model)]


def fast_and_general(model, x, **kwargs):
    """-> (trace on the layers' chosen paths, their paths; trace on the general loop, its paths), both with the gates
    recomputed batched."""
    model(x)
    fast = rnnlab.probe(model, x, path="batched", **kwargs)
    fast_paths = layer_paths(model)
    compiled_passes = sys.modules["rnnlab.probes.probe"]._COMPILED_FORWARDS
    compiled_passes.pop(model, None)  # the path is chosen when the pass is traced: a fresh trace under the force
    with force_path("general"):
        general = rnnlab.probe(model, x, path="batched", **kwargs)
    compiled_passes.pop(model, None)
    assert set(np.ravel(layer_paths(model))) == {"general"}
    assert {r.gate_path for r in (*fast.layers.values(), *general.layers.values())} == {"batched"}
    return fast, fast_paths, general


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
def test_probed_lstm_takes_the_fused_kernel_and_traces_the_same(dynamic):
    inputs = keras.Input((T, D))
    h = layer("lstm", return_seq=True, dynamic=dynamic)(inputs)
    h = layer("lstm", dynamic=dynamic)(h)  # stacked
    model = randomized(keras.Model(inputs, keras.layers.Dense(1)(h)))
    fast, paths, general = fast_and_general(model, padded_x(11))
    assert paths == ["block_lstm", "block_lstm"]
    assert_same_trace(fast, general)
    sequential = rnnlab.probe(model, padded_x(11), path="sequential")  # the loop's own gate records
    assert layer_paths(model) == ["general", "general"]
    assert_same_trace(fast, sequential)
    if dynamic:
        for record in fast.layers.values():
            for values in record.quantities.values():
                assert np.all(values[~record.valid] == 0)


def test_probed_lstm_fused_gates_match_reference():
    x = padded_x(12)
    inputs = keras.Input((T, D))
    rnn = layer("lstm", return_seq=True, dynamic=True)
    model = randomized(keras.Model(inputs, rnn(inputs)))
    model(x)
    trace = rnnlab.probe(model, x, path="batched")
    assert rnn.last_path == "block_lstm"
    expected = ref.run_loop_records(ref_cell(rnn.cell), x, dynamic=True).records
    for q, values in trace.layers[rnn.name].quantities.items():
        np.testing.assert_allclose(values, expected[q], atol=2e-5, rtol=1e-5, err_msg=q)


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
def test_probed_bidirectional_lstm_direction_takes_the_fused_kernel(dynamic):
    inputs = keras.Input((T, D))
    out = rnnlab.BiRNN(CELLS["lstm"](N, forget_bias=0.5), CELLS["gru"](N), return_seq=True, dynamic=dynamic)(inputs)
    model = randomized(keras.Model(inputs, out))
    fast, paths, general = fast_and_general(model, padded_x(13))
    assert paths == [("block_lstm", "general")]  # no fused kernel for the GRU
    assert_same_trace(fast, general)


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
def test_probed_decoder_from_an_initial_state_takes_the_fused_kernel(dynamic):
    model = encoder_decoder("lstm", dynamic)
    fast, paths, general = fast_and_general(model, padded_x(14))
    assert paths == ["block_lstm", "block_lstm"]
    assert_same_trace(fast, general)


@pytest.mark.parametrize("kind", ["lstm", "bidirectional"])
def test_probed_fused_kernel_with_explicit_seq_len(kind):
    x = np.random.default_rng(15).normal(size=(B, T, D)).astype(np.float32)
    seq_len = np.array([7, 3, 0, 5, 1])
    rnn = (rnnlab.BiRNN(CELLS["gru"](N), CELLS["lstm"](N), return_seq=True) if kind == "bidirectional"
           else layer("lstm", return_seq=True))
    rnn(x)
    randomized(rnn)
    fast, paths, general = fast_and_general(rnn, x, seq_len=seq_len)
    assert paths == [("general", "block_lstm") if kind == "bidirectional" else "block_lstm"]
    assert_same_trace(fast, general)


def test_hooks_gradients_and_interventions_keep_the_general_loop():
    inputs = keras.Input((T, D))
    first = layer("lstm", return_seq=True, name="first")
    second = layer("lstm", return_seq=True, name="second")
    model = randomized(keras.Model(inputs, keras.layers.Dense(1)(second(first(inputs)))))
    x = padded_x(16)
    model(x)
    seen = []
    with rnnlab.add_hook(model, lambda rec: seen.append(rec.layer), layers=["first"]):  # a hook that only records
        hooked = rnnlab.probe(model, x, path="batched")
    assert (first.last_path, second.last_path) == ("general", "block_lstm")
    assert "first" in seen
    plain = rnnlab.probe(model, x, path="batched")
    assert (first.last_path, second.last_path) == ("block_lstm", "block_lstm")
    assert_same_trace(hooked, plain)
    fix = [rnnlab.Intervention("first", "forget", 1.0, from_step=2)]
    edited = rnnlab.probe(model, x, interventions=fix, path="batched")
    assert (first.last_path, second.last_path) == ("general", "block_lstm")
    assert edited.layers["first"].gate_path == "sequential"
    np.testing.assert_allclose(edited.get("first", "forget")[:, 2:], 1.0)
    assert_same_trace(edited, rnnlab.probe(model, x, interventions=fix, path="sequential"))
    rnnlab.probe(model, x, y=np.ones((B, T, 1), np.float32), loss="mse", path="batched")
    assert (first.last_path, second.last_path) == ("general", "general")  # the tape's perturbations edit h
