"""rnnlab.plots.cell_step_chart: what the figure tells must be true (marker at step t, bars = the numbers given).

The plots package is loaded straight from its folder, as tests/test_plots.py does, so TensorFlow never loads.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

PLOTS_DIR = Path(__file__).resolve().parents[1] / "rnnlab" / "plots"
_spec = importlib.util.spec_from_file_location(
    "_rnnlab_plots_cell_steps_under_test", PLOTS_DIR / "__init__.py", submodule_search_locations=[str(PLOTS_DIR)]
)
plots = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = plots
_spec.loader.exec_module(plots)

T = 7
RNG = np.random.default_rng(7)
SERIES = {"input": RNG.uniform(size=T), "forget": RNG.uniform(size=T), "c": RNG.normal(size=T), "h": RNG.normal(size=T)}
NUMBERS = {"c_{t-1}": 0.41, "h_{t-1}": -0.2, "i": 0.12, "f": 0.97, "f*c_{t-1}": 0.3977, "i*j": 0.096, "c_t": 0.4937,
           "h_t": -0.05}
VALID = np.arange(T) < 5  # steps 5 and 6 are padding


def lines(fig):
    return [d for d in fig.data if d.type == "scatter" and d.mode == "lines"]


def markers(fig):
    return [d for d in fig.data if d.type == "scatter" and d.mode == "markers"]


def test_marker_sits_at_step_t_on_every_line():
    fig = plots.cell_step_chart(SERIES, 3, NUMBERS, VALID, title="LSTM unit 2")
    assert fig.layout.meta["chart"] == "cell_step_chart" and fig.layout.meta["step"] == 3
    assert fig.layout.meta["padded"] is False
    vlines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(vlines) == 1 and vlines[0].x0 == vlines[0].x1 == 3
    assert [d.name for d in lines(fig)] == list(SERIES)
    dots = markers(fig)
    assert [d.legendgroup for d in dots] == list(SERIES)
    for dot, (name, values) in zip(dots, SERIES.items()):
        assert list(dot.x) == [3] and dot.y[0] == pytest.approx(values[3]), name
    assert fig.layout.title.text == "LSTM unit 2" and plots.how_to_read(fig).startswith("Left:")


def test_bars_are_the_numbers_in_order():
    fig = plots.cell_step_chart(SERIES, 3, NUMBERS, VALID)
    (bars,) = [d for d in fig.data if d.type == "bar"]
    assert list(bars.x) == list(NUMBERS)
    np.testing.assert_allclose(np.asarray(bars.y, dtype=float), list(NUMBERS.values()))
    assert list(bars.text) == [f"{v:.3f}" for v in NUMBERS.values()]
    colours = dict(zip(bars.x, bars.marker.color))
    assert colours["h_t"] != colours["c_t"]  # negative vs positive
    assert fig.layout.meta["numbers"] == pytest.approx(NUMBERS)
    assert bars.xaxis == "x2"  # the right panel
    ticks = dict(zip(fig.layout.xaxis2.tickvals, fig.layout.xaxis2.ticktext))
    assert ticks["c_{t-1}"] == "c<sub>t-1</sub>" and ticks["f*c_{t-1}"] == "f·c<sub>t-1</sub>"
    assert ticks["h_t"] == "h<sub>t</sub>" and ticks["i"] == "i"


def test_padded_steps_are_grey_and_left_out():
    fig = plots.cell_step_chart(SERIES, 6, {"h_t": 0.3}, VALID)
    for line in lines(fig):
        y = np.asarray(line.y, dtype=float)
        assert np.isnan(y[5:]).all() and np.isfinite(y[:5]).all()
    bands = [(s.x0, s.x1) for s in fig.layout.shapes if s.type == "rect"]
    assert bands == [(4.5, 6.5)]
    assert markers(fig) == [] and fig.layout.meta["padded"] is True
    assert "(padded)" in fig.layout.annotations[1].text


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match=r"step must be a time step in \[0, 7\); got 7"):
        plots.cell_step_chart(SERIES, 7, NUMBERS)
    with pytest.raises(ValueError, match=r"series must all have the same length T; got lengths"):
        plots.cell_step_chart({"h": np.zeros(T), "c": np.zeros(T + 1)}, 0, NUMBERS)
    with pytest.raises(ValueError, match=r"numbers must be a non-empty dict"):
        plots.cell_step_chart(SERIES, 0, {})
    with pytest.raises(ValueError, match=r"valid must have shape \(7,\)"):
        plots.cell_step_chart(SERIES, 0, NUMBERS, np.ones(6, bool))
    with pytest.raises(ValueError, match=r"series\['h'\] must be a 1-D array"):
        plots.cell_step_chart({"h": np.zeros((T, 2))}, 0, NUMBERS)
