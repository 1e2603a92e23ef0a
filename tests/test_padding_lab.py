"""The Padding lab's experiments (rnnlab.probes.padding_lab) show what SPEC.md's dynamic mode says they show."""

import numpy as np
import pytest

from rnnlab.probes import padding_lab


def post_padded(seed=0, batch=5, time=8, features=2):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.1, 1.0, size=(batch, time, features)).astype(np.float32)  # no real step is all zero
    lengths = np.array([8, 5, 3, 1, 6])[:batch]
    x[np.arange(time)[None, :] >= lengths[:, None]] = 0.0
    return x, lengths


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_dynamic_vs_static_agree_before_the_length_and_return_step_length_minus_one(kind):
    x, lengths = post_padded()
    out = padding_lab.dynamic_vs_static(x, kind, 4, seed=3)
    np.testing.assert_array_equal(out["lengths"], lengths)
    valid = np.arange(x.shape[1])[None, :] < lengths[:, None]
    np.testing.assert_allclose(out["seq_dynamic"][valid], out["seq_static"][valid], atol=1e-6)
    assert np.all(out["seq_dynamic"][~valid] == 0.0)
    np.testing.assert_array_equal(out["returned_dynamic"], lengths - 1)
    np.testing.assert_array_equal(out["returned_static"], np.full(len(x), x.shape[1] - 1))
    assert ("c_dynamic" in out) == (kind == "lstm")


def test_post_padding_matches_each_sequence_alone_and_pre_padding_does_not():
    x, lengths = post_padded()
    x_pre = np.zeros_like(x)
    for b, length in enumerate(lengths):
        x_pre[b, x.shape[1] - length:] = x[b, :length]
    out = padding_lab.post_vs_pre(x, x_pre, lengths, "lstm", 4, seed=1)
    assert out["error_post"].max() < 1e-5
    padded = lengths < x.shape[1]
    assert np.all(out["error_pre"][padded] > 1e-3)  # pre-padding computes zeros first and drops real steps


@pytest.mark.parametrize("dynamic", [False, True])
def test_bidirectional_last_output_backward_half_has_seen_one_step(dynamic):
    x, _ = post_padded()
    out = padding_lab.bidirectional_last(x, "lstm", "gru", 4, seed=2, dynamic=dynamic)
    np.testing.assert_allclose(out["bw_returned"], out["bw_one_step"], atol=1e-5)
    longer = out["lengths"] > 1
    assert np.abs(out["bw_returned"][longer] - out["bw_full"][longer]).max() > 1e-3


def test_embedding_pitfall_masks_nothing_and_seq_len_fixes_it():
    ids, lengths = padding_lab.padded_ids(batch=4, time_steps=10, vocab=12, seed=0)
    assert np.all(lengths < 10) and np.all(ids[np.arange(10)[None, :] >= lengths[:, None]] == 0)
    out = padding_lab.embedding_pitfall(ids, vocab=12, dim=3, n_units=4, seed=0)
    np.testing.assert_array_equal(out["true_lengths"], lengths)
    assert np.all(out["inferred_lengths"] == 10)  # the embedded padding is not zero: nothing is masked
    assert out["error_fixed"].max() < 1e-5
    assert out["error_inferred"].min() > 1e-4


def test_insert_zero_step_zeroes_exactly_that_step_in_those_rows():
    x, _ = post_padded()
    out = padding_lab.insert_zero_step(x, (0, 4), 2)
    assert np.all(out[[0, 4], 2] == 0.0)
    np.testing.assert_array_equal(np.delete(out, 2, axis=1)[[0, 4]], np.delete(x, 2, axis=1)[[0, 4]])
    np.testing.assert_array_equal(out[[1, 2, 3]], x[[1, 2, 3]])
