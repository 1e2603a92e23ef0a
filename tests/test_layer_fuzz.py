"""Property: any layer configuration, valid or not, eager or in a model, gives the right shapes with finite
values or an RnnlabError / TypeError naming an argument (tests/layer_fuzz.py has the rule and the draws).

A bounded, derandomized number of examples here; bench/fuzz_layers.py runs thousands.
"""

from hypothesis import HealthCheck, given, settings

import layer_fuzz


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(layer_fuzz.cases())
def test_every_configuration_gives_shapes_or_a_clear_error(case):
    outcome, detail = layer_fuzz.check(case)
    assert outcome != "crash", f"{detail}\n  case: {case.describe()}"


def test_the_rule_catches_a_crash_a_wrong_shape_and_a_silent_nan(monkeypatch):
    """The checker can fail: a TensorFlow error, a wrong shape and a NaN in a finite row are all crashes."""
    import numpy as np

    case = layer_fuzz.Case(kind="lstm", n_units=2, x=np.ones((2, 3, 1), np.float32), in_model=False,
                           kwargs={"return_seq": False, "return_state": False, "dynamic": False})
    assert layer_fuzz.check(case)[0] == "result"

    def broken(_case):
        raise ValueError("Exception encountered when calling LSTM.call()")

    monkeypatch.setattr(layer_fuzz, "call", broken)
    assert layer_fuzz.check(case)[0] == "crash"
    monkeypatch.setattr(layer_fuzz, "call", lambda _case: [np.zeros((2, 3))])
    assert layer_fuzz.check(case) == ("crash", "returned shapes [(2, 3)], expected [(2, 2)]")
    monkeypatch.setattr(layer_fuzz, "call", lambda _case: [np.array([[0.0, 1.0], [np.nan, 0.0]])])
    assert layer_fuzz.check(case)[0] == "crash"
