"""The "Step through a cell" page on trained runs: what it writes equals rnnlab.probes.cell_step for the chosen
layer / sample / unit / step, and previous / next / play move t by one."""

import re

import numpy as np
import pytest
from apptools import array, assert_clean, chart, go, new_app, runs_of, tiny_classification, train

from app.session import experiment
from rnnlab.experiments import CellSpec, LayerSpec
from rnnlab.probes import cell_step

MEMO_KEY = "rnnlab:memo"


@pytest.fixture(scope="module")
def trained():
    at = new_app(tiny_classification(epochs=1))  # a dynamic LSTM(4) on zero-padded walks of several lengths
    train(at)
    assert_clean(at)
    return at


def chosen_step(at) -> int:
    (slider,) = [s for s in at.slider if s.key.startswith("cell_step_")]
    return int(slider.value)


def latex_lines(at) -> list[str]:
    """The page's st.latex bodies (AppTest shows them wrapped in $$ ... $$)."""
    return [e.value.strip().removeprefix("$$").removesuffix("$$").strip() for e in at.latex]


def expected(at, layer: str, b: int, t: int, u: int):
    run = runs_of(at)[-1]
    trace = at.session_state[MEMO_KEY][("trace", run.run_id)]  # the trace every inspection page shows
    return cell_step(trace, run.model, layer, b, t, u)


def assert_page_shows(at, step) -> None:
    """The equations, the table and the chart of the page are those of ``step`` (a CellStep)."""
    assert latex_lines(at) == [step.latex(digits=3)]
    table = next(d.value for d in at.dataframe if "quantity" in d.value.columns)
    numbers = step.numbers()
    assert table["quantity"].tolist() == list(numbers)
    np.testing.assert_allclose(table["value"].to_numpy(float), list(numbers.values()), rtol=1e-12)
    figure = chart(at, "cell_step_chart")
    assert figure["layout"]["meta"]["step"] == step.step
    (bars,) = [d for d in figure["data"] if d.get("type") == "bar"]
    shown = step.numbers(pre_activations=False)
    assert list(bars["x"]) == list(shown)
    np.testing.assert_allclose(array(bars["y"]).astype(float), list(shown.values()), rtol=1e-12)


def test_the_numbers_shown_are_the_cell_step_numbers(trained):
    at = go(trained, "cell_steps")
    assert_clean(at)
    assert at.selectbox(key="cell_layer").value == "LSTM"
    at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("cell_sample_"))).set_value(1)
    at.selectbox(key="cell_unit_LSTM_4").set_value(2).run()
    next(s for s in at.slider if s.key.startswith("cell_step_")).set_value(3).run()
    assert_clean(at)
    step = expected(at, "LSTM", 1, 3, 2)
    assert chosen_step(at) == 3 and not step.padded
    assert_page_shows(at, step)
    # the c_t line written out: f c_{t-1} + i j with this model's numbers, and the sum
    (c_line,) = [e.aligned for e in step.equations(3) if e.lhs == "c_t"]
    assert c_line in latex_lines(at)[0]
    g = {k: v.value for k, v in step.gates.items()}
    for value in (g["forget"], step.c_prev, g["input"], g["candidate"], step.c):
        assert re.search(rf"\(?{re.escape(f'{round(value, 3) + 0.0:.3f}')}\)?", c_line), (value, c_line)
    assert c_line.endswith(f"= {round(step.c, 3) + 0.0:.3f}")
    assert any("x_t = [" in c.value for c in at.caption)


def test_next_and_previous_move_t_by_one(trained):
    at = go(trained, "cell_steps")
    t = chosen_step(at)
    at.button(key="cell_next").click().run()
    assert_clean(at)
    assert chosen_step(at) == t + 1
    b = int(next(s for s in at.selectbox if s.key.startswith("cell_sample_")).value)
    u = int(at.selectbox(key="cell_unit_LSTM_4").value)
    assert_page_shows(at, expected(at, "LSTM", b, t + 1, u))
    at.button(key="cell_previous").click().run()
    at.button(key="cell_previous").click().run()
    assert chosen_step(at) == t - 1
    assert_page_shows(at, expected(at, "LSTM", b, t - 1, u))
    at.button(key="cell_next").click().run()  # the slider is still the user's after a button moved it
    next(s for s in at.slider if s.key.startswith("cell_step_")).set_value(0).run()
    assert chosen_step(at) == 0
    at.button(key="cell_previous").click().run()  # at the first step: stays there
    assert chosen_step(at) == 0
    assert_page_shows(at, expected(at, "LSTM", b, 0, u))
    assert_clean(at)


def test_play_steps_forward_and_padded_steps_say_so(trained):
    at = go(trained, "cell_steps")
    pool_lengths = experiment.probe_pool(runs_of(at)[-1]).lengths
    b = int(np.argmin(pool_lengths))  # the shortest held-out sample: steps past its length exist
    length = int(pool_lengths[b])
    at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("cell_sample_"))).set_value(b).run()
    next(s for s in at.slider if s.key.startswith("cell_step_")).set_value(length).run()
    step = expected(at, "LSTM", b, length, int(at.selectbox(key="cell_unit_LSTM_4").value))
    assert step.padded and any("past this sample's length" in w.value for w in at.warning)
    assert_page_shows(at, step)
    at.toggle(key="cell_play").set_value(True).run()
    assert chosen_step(at) == length + 1
    at.run()  # what a timer tick does: one step further
    assert chosen_step(at) == length + 2
    at.toggle(key="cell_play").set_value(False).run()
    assert chosen_step(at) == length + 2
    assert_clean(at)


def test_bidirectional_backward_cell():
    spec = tiny_classification(layers=(LayerSpec("bidirectional_rnn", 3, dynamic=True, cell_fw=CellSpec("lstm", 3),
                                                  cell_bw=CellSpec("gru", 3)),), epochs=1)
    at = go(train(new_app(spec)), "cell_steps")
    at.selectbox(key="cell_layer").set_value("BiRNN/bw").run()
    next(s for s in at.slider if s.key.startswith("cell_step_")).set_value(1).run()
    assert_clean(at)
    step = expected(at, "BiRNN/bw", 0, 1, 0)
    assert step.kind == "gru" and step.prev_step == 2
    assert_page_shows(at, step)
    assert "h_{t+1}" in latex_lines(at)[0]
