"""Inputs that used to crash the layers inside TensorFlow, or returned silently wrong results, now get an
error naming the argument, the value and what was expected (or follow a stated policy, for NaN in a model).

Each case below was found by the API fuzz (bench/fuzz_layers.py) before the checks existed.
"""

import keras
import numpy as np
import pytest

import rnnlab
from rnnlab import RnnlabError, padding

RNG = np.random.default_rng(7)


def data(batch=3, time=5, features=2):
    x = RNG.normal(size=(batch, time, features)).astype(np.float32)
    x[1, 3:] = 0.0  # sample 1 is post-padded to length 3
    return x


@pytest.mark.parametrize("seq_len, message", [
    ([3, 2], r"`seq_len` must be 1-D, one length per sample \[3\]; received shape \(2,\)"),
    ([1], r"one length per sample \[3\]; received shape \(1,\)"),  # was broadcast to every sample
    (np.ones((3, 2), int), r"received shape \(3, 2\)"),  # was an output batch of 6
    ([-1, 2, 3], r"values must lie in 0\.\.5 \(the input's time steps\); received -1\.\.3"),
    ([6, 2, 3], r"received 2\.\.6"),
])
@pytest.mark.parametrize("kind", ["lstm", "bidirectional_rnn"])
def test_bad_seq_len_values_are_refused_naming_seq_len(kind, seq_len, message):
    x = data()
    with pytest.raises(RnnlabError, match=message):
        if kind == "lstm":
            rnnlab.lstm(x, 4, seq_len=seq_len)
        else:
            rnnlab.bidirectional_rnn(x, rnnlab.BasicLSTMCell(4), rnnlab.GRUCell(4), seq_len=seq_len)


@pytest.mark.parametrize("seq_len", [[1.0, 2.0, 3.0], ["a", "b", "c"], "3", {"a": 1}])
def test_seq_len_that_is_not_whole_numbers_is_a_type_error(seq_len):
    with pytest.raises(TypeError, match="`seq_len` must"):
        rnnlab.gru(data(), 4, seq_len=seq_len)


def test_seq_len_fed_to_a_model_is_checked_when_the_model_runs():
    inputs, lengths = keras.Input((5, 2)), keras.Input((), dtype="int32")
    model = keras.Model([inputs, lengths], rnnlab.lstm(inputs, 4, seq_len=lengths))
    x = data()
    good = model.predict_on_batch([x, np.array([5, 3, 1])])
    assert good.shape == (3, 4) and np.isfinite(good).all()
    with pytest.raises(Exception, match=r"assertion failed: \[`seq_len` values must not be negative"):
        model.predict_on_batch([x, np.array([-1, 3, 1])])
    with pytest.raises(Exception, match=r"assertion failed: \[`seq_len` values must not exceed"):
        model.predict_on_batch([x, np.array([9, 3, 1])])


def test_nan_in_an_eager_call_is_refused_naming_where_it_is():
    x = data()
    x[2, 4, 1] = np.nan
    with pytest.raises(RnnlabError, match=r"`incoming` holds NaN \(1 values, the first at sample 2, step 4, feature 1\)"):
        rnnlab.lstm(x, 4, dynamic=True)


def test_nan_inside_a_model_stays_in_its_own_row_and_never_corrupts_a_length():
    x = data()
    x[0, 1, 0] = np.nan
    lengths = padding.tflearn_lengths(x).numpy()
    assert lengths.tolist() == [5, 3, 5]  # was -2147483648 for row 0: NaN counts as a real step
    assert padding.tflearn_lengths_np(x).tolist() == [5, 3, 5]
    inputs = keras.Input((5, 2))
    out = rnnlab.bidirectional_rnn(inputs, rnnlab.BasicLSTMCell(3), rnnlab.GRUCell(3), dynamic=True, return_seq=True)
    y = keras.Model(inputs, out).predict_on_batch(x)  # was an error in ReverseSequence
    assert not np.isfinite(y[0]).all() and np.isfinite(y[1:]).all()


@pytest.mark.parametrize("state, error, message", [
    ("zeros", TypeError, r"`initial_state` must be a \[batch, 4\] tensor; received a part that is 'zeros'"),
    (np.zeros((3, 4), int), RnnlabError, r"`initial_state` must be a \[batch, 4\] tensor of floats; received a part of dtype int"),
    (np.zeros((2, 4), np.float32), RnnlabError, r"with the input's batch size 3"),
])
def test_initial_state_of_the_wrong_type_or_dtype_is_refused(state, error, message):
    with pytest.raises(error, match=message):
        rnnlab.gru(data(), 4, initial_state=state)


def test_bidirectional_initial_states_are_checked_with_their_own_names():
    with pytest.raises(RnnlabError, match="`initial_state_bw`"):
        rnnlab.bidirectional_rnn(data(), rnnlab.GRUCell(4), rnnlab.GRUCell(4),
                                 initial_state_bw=np.zeros((3, 4), np.int32))


@pytest.mark.parametrize("shape, message", [
    ((2, 0, 2), r"`incoming` needs at least one time step; received shape \(2, 0, 2\)"),
    ((2, 4, 0), r"`incoming` needs a known input_dim of at least 1"),
])
def test_bidirectional_on_no_steps_or_no_features_is_refused(shape, message):
    with pytest.raises(RnnlabError, match=message):  # was StridedSlice / ReverseSequence
        rnnlab.bidirectional_rnn(np.zeros(shape, np.float32), rnnlab.BasicLSTMCell(3), rnnlab.GRUCell(3))


def test_object_and_ragged_inputs_are_refused_before_tensorflow_sees_them():
    with pytest.raises(RnnlabError, match="`incoming` must hold floating-point data; received dtype object"):
        rnnlab.lstm(data().astype(object), 4)
    with pytest.raises(TypeError, match="`incoming` must be a rectangular"):
        rnnlab.lstm([[[1.0]], [[1.0], [2.0]]], 4)


def test_a_huge_unit_count_is_refused_before_memory_is_spent():
    with pytest.raises(RnnlabError, match=r"`n_units` must be at most 8192 .*; received 1000000"):
        rnnlab.lstm(data(), 10**6)
    with pytest.raises(RnnlabError, match="`num_units` must be at most 8192"):
        rnnlab.BasicLSTMCell(10**6)


def test_a_constant_seq_len_baked_into_a_model_must_fit_the_batch_it_runs_on():
    inputs = rnnlab.input_data(shape=[None, 5, 2])
    out = rnnlab.bidirectional_rnn(inputs, rnnlab.BasicLSTMCell(2), rnnlab.GRUCell(2), return_seq=True,
                                   seq_len=np.array([1]))
    with pytest.raises(RnnlabError, match=r"`seq_len` must hold one length per sample \[3\]; received shape \(1,\)"):
        keras.Model(inputs, out).predict_on_batch(data())  # was a ReverseSequence shape error


def test_input_data_refuses_a_dtype_the_layers_cannot_read():
    with pytest.raises(RnnlabError, match="`dtype` must be a float dtype .*; received 'object'"):
        rnnlab.input_data(shape=[None, 5, 2], dtype="object")  # was Keras's "Invalid dtype: object"
    assert rnnlab.input_data(shape=[None, 5], dtype="int32").dtype == "int32"  # ids for an Embedding
