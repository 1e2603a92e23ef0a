"""The padding grid with the true real steps (the rows a CSV has): an all-zero step the file has, even at a
sequence's start, is drawn as a real all-zero step inside the sequence, not as padding; without true steps the
grid keeps reading the data alone. Hover names each row's sequence id when given.

Loaded without TensorFlow like tests/test_plots.py (see tests/plots_loader.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from plots_loader import load_plots

plots = load_plots()

REAL, INSIDE, PADDING = 0, 1, 2


def csv_like_batch():
    """x [3, 6, 2] post-padded as load_csv pads it, true lengths [5, 6, 3]: row 0's first three rows of the file
    are all zero (then two real steps, one padding step); row 1 has a zero step at t=2 and ends in a zero row
    the file has; row 2 is plain."""
    x = np.ones((3, 6, 2))
    x[0, :3] = 0  # three real all-zero rows at the start
    x[0, 5:] = 0  # padding after its 5 rows
    x[1, 2] = 0
    x[1, 5] = 0  # its last row is all zero, but the file has it
    x[2, 3:] = 0
    return x, np.array([5, 6, 3])


def categories(fig) -> np.ndarray:
    return np.asarray(fig.data[0].z)


def test_leading_zero_rows_of_the_file_are_real_steps_inside_the_sequence():
    x, lengths = csv_like_batch()
    fig = plots.padding_grid(x, {"true": lengths}, real_steps=lengths)
    np.testing.assert_array_equal(categories(fig), [
        [INSIDE, INSIDE, INSIDE, REAL, REAL, PADDING],
        [REAL, REAL, INSIDE, REAL, REAL, INSIDE],
        [REAL, REAL, REAL, PADDING, PADDING, PADDING],
    ])
    hover = np.asarray(fig.data[0].customdata)  # [B, T, 2]: category name, sample name
    assert hover[0, 0, 0] == "all-zero step inside the sequence"
    assert hover[0, 5, 0] == "padding (all zero, outside)"
    assert fig.layout.meta["real_steps"] == [[0, 5], [0, 6], [0, 3]]
    assert "inside the sequence" in fig.layout.meta["how_to_read"]


def test_true_steps_as_ranges_of_pre_padded_rows():
    x = np.ones((1, 6, 1))
    x[0, :2] = 0  # padding at the front
    x[0, 3] = 0  # a real all-zero step
    fig = plots.padding_grid(x, {}, real_steps=[[2, 6]])
    np.testing.assert_array_equal(categories(fig), [[PADDING, PADDING, REAL, INSIDE, REAL, REAL]])


def test_without_true_steps_the_data_alone_decide_as_before():
    x, lengths = csv_like_batch()
    fig = plots.padding_grid(x, {"true": lengths})
    np.testing.assert_array_equal(categories(fig), [
        [PADDING, PADDING, PADDING, REAL, REAL, PADDING],  # the leading zeros read as padding
        [REAL, REAL, INSIDE, REAL, REAL, PADDING],
        [REAL, REAL, REAL, PADDING, PADDING, PADDING],
    ])
    assert fig.layout.meta["real_steps"] is None
    assert np.asarray(fig.data[0].customdata)[1, 0, 1] == "1"  # hover: "sample 1", the batch index alone


def test_hover_names_the_sequence_ids():
    x, lengths = csv_like_batch()
    fig = plots.padding_grid(x, {"true": lengths}, real_steps=lengths, sample_names=["s097", "1", "s003"])
    heatmap = fig.data[0]
    names = np.asarray(heatmap.customdata)[:, 0, 1]
    assert names.tolist() == ["0 (s097)", "1", "2 (s003)"]  # an id equal to the index adds nothing
    assert "sample %{customdata[1]}" in heatmap.hovertemplate


def test_bad_true_steps_and_names_are_refused():
    x, _ = csv_like_batch()
    with pytest.raises(ValueError, match=r"real_steps must be \[B\] = \(3,\)"):
        plots.padding_grid(x, {}, real_steps=[1, 2])
    with pytest.raises(ValueError, match=r"real_steps must be \(start, stop\) with 0 <= start <= stop <= 6"):
        plots.padding_grid(x, {}, real_steps=[1, 2, 9])
    with pytest.raises(ValueError, match=r"sample_names must name the B=3 rows"):
        plots.padding_grid(x, {}, sample_names=["a"])
