"""Probes, interventions and hooks under inputs that used to escape as TensorFlow errors or pass silently."""

import warnings

import keras
import numpy as np
import pytest

import rnnlab
from rnnlab import Intervention, RnnlabError

X = np.random.default_rng(3).normal(size=(4, 6, 2)).astype(np.float32)
Y = np.random.default_rng(4).normal(size=(4, 1)).astype(np.float32)


def model():
    with rnnlab.naming_context():
        inputs = rnnlab.input_data(shape=[None, 6, 2])
        net = rnnlab.lstm(inputs, 3)
        m = keras.Model(inputs, keras.layers.Dense(1)(net))
    m.compile("sgd", "mse")
    return m


@pytest.mark.parametrize("value", ["one", None, float("nan"), True, [1.0]])
def test_an_intervention_value_must_be_a_finite_number(value):
    with pytest.raises(TypeError, match="Intervention `value` must be a finite number"):  # was UnimplementedError
        Intervention("LSTM", "forget", value)


@pytest.mark.parametrize("from_step", [-1, 2.5, "3", True])
def test_an_intervention_from_step_must_be_a_whole_number_at_least_0(from_step):
    with pytest.raises(RnnlabError, match="Intervention `from_step` must be a whole number >= 0"):
        Intervention("LSTM", "forget", 0.0, from_step=from_step)


def test_an_intervention_past_the_last_step_is_refused_instead_of_changing_nothing():
    with pytest.raises(RnnlabError, match=r"`from_step`=6 on layer 'LSTM' is past the last step of `x` \(6 steps"):
        rnnlab.probe(model(), X, interventions=[Intervention("LSTM", "forget", 0.0, from_step=6)])
    trace = rnnlab.probe(model(), X, interventions=[Intervention("LSTM", "forget", 0.0, from_step=5)])
    assert (trace.get("LSTM", "forget")[:, 5] == 0).all()


def test_seq_len_for_a_keras_model_is_refused_instead_of_ignored():
    with pytest.raises(RnnlabError, match="`seq_len` applies only when `model` is one rnnlab layer"):
        rnnlab.probe(model(), X, seq_len=[6, 5, 4, 3])


def test_a_hook_that_raises_inside_fit_stops_training_and_is_raised_by_name():
    m = model()
    calls = []

    def broken_hook(records):
        calls.append(records.call_index)
        raise ZeroDivisionError("my bug")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RnnlabError, match=r"the hook function .*broken_hook raised ZeroDivisionError: my bug"):
            with rnnlab.add_hook(m, broken_hook) as hook:
                history = m.fit(X, Y, batch_size=1, epochs=3, verbose=0)  # was UnknownError from the graph
    assert isinstance(hook.error, ZeroDivisionError) and calls == [0]  # off after the first failure
    assert len(history.history["loss"]) == 1  # training stopped in the first epoch
    assert any("broken_hook raised ZeroDivisionError" in str(w.message) for w in caught)


def test_a_hook_that_raises_in_an_eager_call_raises_there():
    layer = rnnlab.LSTM(3)

    def broken(records):
        raise KeyError("eager")

    with rnnlab.add_hook(layer, broken):
        with pytest.raises(KeyError, match="eager"):
            layer(X)
