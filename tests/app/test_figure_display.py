"""How the app shows rnnlab.plots figures (app/ui/figures.py)."""

import numpy as np
from apptools import chart
from test_build import build


def test_a_charts_reading_is_the_caption_below_not_a_subtitle_cut_at_its_edge():
    """Plotly draws a subtitle on one line, cut at the chart's right edge: the page shows the same text as the
    caption under the chart (which wraps) and leaves the subtitle out, in normal and presentation mode alike."""
    from rnnlab import plots

    at = build()
    grid = chart(at, "padding_grid")
    reading = grid["layout"]["meta"]["how_to_read"]
    assert reading and not grid["layout"]["title"].get("subtitle", {}).get("text")
    assert f"How to read it: {reading}" in [c.value for c in at.caption]
    # the function itself keeps its subtitle for notebooks and exported figures
    assert plots.unit_lines(np.zeros((4, 3)), [0, 1]).layout.title.subtitle.text
