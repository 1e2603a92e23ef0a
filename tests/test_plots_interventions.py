"""rnnlab.plots.intervention_before_after on the figures it returns: which columns it draws and why (the chosen
units, the knock-on ones named as such), what it calls them (units, or a model's outputs), its strips.

Truth: before / after built here with known changes per column.
"""

from __future__ import annotations

import numpy as np
import pytest
from plots_loader import load_plots

plots = load_plots()

T, N = 40, 16
START = 33
CHANGE = {5: 2.0, 7: 1.0, 13: 0.5, 15: 0.4, 1: 0.3, 11: 0.2, 2: 0.01}  # unit -> how much its h moves from START


def before_after():
    before = np.tanh(np.random.default_rng(0).normal(size=(T, N)))
    after = before.copy()
    for unit, shift in CHANGE.items():
        after[START:, unit] += shift
    return before, after


def lines(fig):
    """The line traces (not the strips) -> their legend names."""
    return [t.name for t in fig.data if t.type == "scatter"]


def test_chosen_units_alone_when_nothing_else_is_asked_for():
    before, after = before_after()
    fig = plots.intervention_before_after(before, after, START, units=[7, 5, 13], also_changed=0)
    assert lines(fig) == [f"unit {u} {k}" for u in (5, 7, 13) for k in ("before", "after")]
    assert fig.layout.meta["units"] == [5, 7, 13] and fig.layout.meta["knock_on"] == []
    assert "Shown: unit 5, unit 7, unit 13 (chosen)." in fig.layout.meta["how_to_read"]


def test_units_not_chosen_are_marked_knock_on_and_explained():
    before, after = before_after()
    fig = plots.intervention_before_after(before, after, START, units=[7, 5, 13], also_changed=3)
    # the 3 units not chosen that change most: 15 (0.4), 1 (0.3), 11 (0.2); not 2 (0.01)
    assert fig.layout.meta["chosen"] == [5, 7, 13] and fig.layout.meta["knock_on"] == [1, 11, 15]
    expected = [f"unit {u} {k}" for u in (5, 7, 13) for k in ("before", "after")]
    expected += [f"unit {u} (knock-on) {k}" for u in (1, 11, 15) for k in ("before", "after")]
    assert lines(fig) == expected
    reading = fig.layout.meta["how_to_read"]
    assert "marked knock-on, unit 1, unit 11, unit 15: the 3 units not chosen that changed most" in reading
    # every line drawn is either a chosen unit or one the reading names as knock-on
    for name in lines(fig):
        unit = int(name.split()[1])
        assert unit in (5, 7, 13) or ("(knock-on)" in name and f"unit {unit}" in reading)


def test_knock_on_leaves_out_units_that_did_not_change():
    before, after = before_after()
    fig = plots.intervention_before_after(before, after, START, units=[5, 7, 13, 15, 1], also_changed=5)
    assert fig.layout.meta["knock_on"] == [2, 11]  # only two others change at all
    assert "the 2 units not chosen" in fig.layout.meta["how_to_read"]
    one = plots.intervention_before_after(before, after, START, units=[5], also_changed=1)
    assert lines(one)[-2:] == ["unit 7 (knock-on) before", "unit 7 (knock-on) after"]
    assert "the unit not chosen that changed most (the change reached it" in one.layout.meta["how_to_read"]


def test_without_units_the_reading_says_they_are_those_that_changed_most():
    before, after = before_after()
    fig = plots.intervention_before_after(before, after, START)
    assert fig.layout.meta["units"] == [1, 5, 7, 11, 13, 15]
    assert ("the 6 of 16 units that changed most (unit 1, unit 5, unit 7, unit 11, unit 13, unit 15)"
            in fig.layout.meta["how_to_read"])
    same = plots.intervention_before_after(before, before, START)
    assert "None of the 16 units changed; unit 0 stands for all of them." in same.layout.meta["how_to_read"]


def test_model_outputs_are_named_as_outputs_not_units():
    before, after = before_after()
    names = ["output[0]", "output[1]", "output[2]"]
    fig = plots.intervention_before_after(before[:, :3], after[:, :3], START, units=range(3), names=names,
                                          noun="output", state_name="model output")
    assert lines(fig) == [f"output[{i}] {k}" for i in range(3) for k in ("before", "after")]
    assert [t.legendgroup for t in fig.data] == [n for n in names for _ in range(2)]
    assert fig.layout.meta["names"] == names
    assert not any("unit" in t.name or "unit" in t.hovertemplate for t in fig.data)
    assert "unit" not in fig.layout.yaxis.title.text
    assert "unit" not in fig.layout.meta["how_to_read"]
    ranked = plots.intervention_before_after(before, after, START, names=[f"output[{i}]" for i in range(N)],
                                             noun="output")
    assert "the 6 of 16 outputs that changed most (output[1], output[5]" in ranked.layout.meta["how_to_read"]
    with pytest.raises(ValueError, match=r"names must name each of the 3 columns of before / after; got 2 names"):
        plots.intervention_before_after(before[:, :3], after[:, :3], START, names=["a", "b"])
    with pytest.raises(ValueError, match=r"also_changed must be an int >= 0"):
        plots.intervention_before_after(before, after, START, units=[1], also_changed=-1)


def test_input_and_target_strips_above_the_lines():
    before, after = before_after()
    x = np.zeros((T, 4))
    x[10, 0] = 1.0
    y = np.zeros((T, 3))
    fig = plots.intervention_before_after(before[:, :3], after[:, :3], START, units=range(3),
                                          names=["output[0]", "output[1]", "output[2]"], noun="output", inputs=x,
                                          targets=y, feature_names=["bit 1 pulse", "bit 2 pulse", "bit 3 pulse",
                                                                    "constant"])
    assert lines(fig) == [f"output[{i}] {k}" for i in range(3) for k in ("before", "after")]
    strips = [t for t in fig.data if t.type == "heatmap"]
    assert [t.meta["strip"] for t in strips] == ["input", "target"]
    assert list(strips[0].y) == ["bit 1 pulse", "bit 2 pulse", "bit 3 pulse", "constant"]
    assert list(strips[1].y) == ["target[0]", "target[1]", "target[2]"]  # the outputs' names, "target" for "output"
    assert fig.layout.meta["strips"]["target"] == ["target[0]", "target[1]", "target[2]"]
    marker = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(marker) == 1 and marker[0].x0 == START and marker[0].xref == fig.data[0].xaxis
