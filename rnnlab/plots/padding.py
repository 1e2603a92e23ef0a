"""Padding: which steps are real, zero or padded, and dynamic=True vs dynamic=False step by step."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .style import (
    DIVERGING_SCALE,
    HIGHLIGHT,
    OKABE_ITO,
    SAMPLE_AXIS,
    TIME_AXIS,
    UNIT_AXIS,
    PlotInputError,
    _array,
    _finish,
    _grey_padded_steps,
    _mask,
    _signed_range,
    _step,
)

PADDING_CATEGORIES = ("real step", "all-zero step inside the sequence", "padding (all zero, outside)")
_PADDING_COLOURS = (OKABE_ITO[0], OKABE_ITO[1], "#D9D9D9")
_READING_SYMBOLS = ("line-ns", "triangle-down", "triangle-up", "diamond", "x-thin", "cross", "star", "square")
_READING_COLOURS = ("#000000", HIGHLIGHT, OKABE_ITO[2], OKABE_ITO[4], OKABE_ITO[5], OKABE_ITO[6])


def padding_grid(x, lengths: Mapping[str, object], *, title: str | None = None) -> go.Figure:
    """[B, T, D] inputs + dict reading name -> [B] lengths -> B x T grid of real / zero / padding steps.

    Cell categories from the data alone: 0 = real (some feature non-zero), 1 = all-zero step with
    real steps on both sides, 2 = all-zero step before the first or after the last real step
    (padding, light grey). Each reading of the length (e.g. 'true', 'TFLearn', 'first zero') is a
    marker where that reading says the sequence ends (between step L-1 and L). Rows where the
    readings disagree get a vermillion frame and a "≠" in the tick label.
    """
    x = _array(x, "x", 3, "[B, T, D] (batch, time, features)")
    batch, time_steps, _ = x.shape
    if not isinstance(lengths, Mapping):
        raise PlotInputError(f"lengths must be a dict reading name -> [B] lengths; got {type(lengths).__name__}")
    readings: dict[str, np.ndarray] = {}
    for name, value in lengths.items():
        array = np.asarray(value)
        if array.shape != (batch,):
            raise PlotInputError(f"lengths[{name!r}] must have shape ({batch},) [B] matching x; got shape {array.shape}")
        if not np.issubdtype(array.dtype, np.number) or np.any(array < 0) or np.any(array > time_steps):
            raise PlotInputError(f"lengths[{name!r}] must be ints in [0, {time_steps}]; got {array.tolist()}")
        readings[str(name)] = array.astype(np.int64)

    nonzero = np.abs(x).max(axis=2) > 0  # [B, T]
    seen_before = np.cumsum(nonzero, axis=1) > 0  # a real step at or before t
    seen_after = np.cumsum(nonzero[:, ::-1], axis=1)[:, ::-1] > 0  # a real step at or after t
    category = np.where(nonzero, 0, np.where(seen_before & seen_after, 1, 2))  # [B, T]
    if readings:
        stacked = np.stack(list(readings.values()))  # [R, B]
        disagree = (stacked != stacked[0]).any(axis=0)  # [B]
    else:
        disagree = np.zeros(batch, dtype=bool)

    c0, c1, c2 = _PADDING_COLOURS
    fig = go.Figure(
        go.Heatmap(
            z=category,
            x=np.arange(time_steps),
            y=np.arange(batch),
            zmin=-0.5,
            zmax=2.5,
            colorscale=[[0, c0], [1 / 3, c0], [1 / 3, c1], [2 / 3, c1], [2 / 3, c2], [1, c2]],
            colorbar=dict(tickvals=[0, 1, 2], ticktext=list(PADDING_CATEGORIES), title=dict(text="step")),
            xgap=1,
            ygap=1,
            customdata=np.array(PADDING_CATEGORIES, dtype=object)[category],
            hovertemplate="sample %{y}, t=%{x}: %{customdata}<extra></extra>",
            name="steps",
        )
    )
    n_readings = max(len(readings), 1)
    for i, (name, array) in enumerate(readings.items()):
        offset = 0.0 if n_readings == 1 else -0.25 + 0.5 * i / (n_readings - 1)
        fig.add_trace(
            go.Scatter(
                x=array - 0.5,
                y=np.arange(batch) + offset,
                mode="markers",
                name=f"{name} length ends",
                marker=dict(
                    symbol=_READING_SYMBOLS[i % len(_READING_SYMBOLS)],
                    color=_READING_COLOURS[i % len(_READING_COLOURS)],
                    size=11,
                    line=dict(width=2, color=_READING_COLOURS[i % len(_READING_COLOURS)]),
                ),
                customdata=array,
                hovertemplate=f"{name}: length %{{customdata}}<extra></extra>",
            )
        )
    for b in np.flatnonzero(disagree):
        fig.add_shape(
            type="rect", x0=-0.5, x1=time_steps - 0.5, y0=b - 0.5, y1=b + 0.5,
            line=dict(color=HIGHLIGHT, width=3), fillcolor="rgba(0,0,0,0)", layer="above",
        )
    fig.update_xaxes(title_text=TIME_AXIS, range=[-0.75, time_steps - 0.25], showgrid=False, zeroline=False)
    fig.update_yaxes(
        title_text=SAMPLE_AXIS,
        tickvals=list(range(batch)),
        ticktext=[f"≠ {b}" if disagree[b] else str(b) for b in range(batch)],
        autorange="reversed",
        showgrid=False,
        zeroline=False,
    )
    fig.update_layout(
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.01, x=0),
        margin=dict(b=120),
    )
    reading = (
        "Blue = real step, orange = all-zero step inside the data, grey = padding; each marker is where "
        "one reading of the length stops. Framed rows (≠) are samples where the readings disagree."
    )
    return _finish(
        fig,
        chart="padding_grid",
        title=title or "Where each sequence really ends",
        reading=reading,
        height=max(340, 230 + 24 * batch),
        disagree=np.flatnonzero(disagree).tolist(),
    )


def dynamic_comparison(
    output_dynamic,
    output_static,
    valid=None,
    *,
    returned_step_dynamic: int | None = None,
    returned_step_static: int | None = None,
    value_range: tuple[float, float] | None = None,
    value_name: str = "output",
    title: str | None = None,
) -> go.Figure:
    """[T, n] outputs of one sample with dynamic=True and dynamic=False (+ valid [T]) -> two heatmaps.

    ``value_name`` labels the values (colour bar, hover): 'output', 'h', 'c', ...

    Units on y, time on x, one shared diverging colour axis centred at 0. A vermillion frame marks the
    step that ``return_seq=False`` returns: ``returned_step_dynamic`` (default: the last valid step,
    length-1) and ``returned_step_static`` (default T-1). Padded steps are dimmed by a grey veil but
    kept visible, since what the layer writes there is the point of the comparison.
    """
    on = _array(output_dynamic, "output_dynamic", 2, "[T, n] (time, units)")
    off = _array(output_static, "output_static", 2, "[T, n] (time, units)")
    if on.shape != off.shape:
        raise PlotInputError(
            f"output_static must have the same shape as output_dynamic {on.shape}; got shape {off.shape}"
        )
    time_steps, n_units = on.shape
    mask = _mask(valid, "valid", (time_steps,), "[T] matching the outputs [T, n]")
    if returned_step_dynamic is None:
        returned_step_dynamic = max(int(mask.sum()) - 1, 0)
    step_on = _step(returned_step_dynamic, "returned_step_dynamic", time_steps)
    step_off = _step(time_steps - 1 if returned_step_static is None else returned_step_static,
                     "returned_step_static", time_steps)
    low, high = _signed_range(np.concatenate([on.ravel(), off.ravel()]), value_range)
    fig = make_subplots(
        rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.05,
        subplot_titles=["dynamic=True (lengths from padding)", "dynamic=False (every step)"],
    )
    for col, (values, step, label) in enumerate(((on, step_on, "dynamic=True"), (off, step_off, "dynamic=False")), 1):
        fig.add_trace(
            go.Heatmap(
                z=values.T, x=np.arange(time_steps), y=np.arange(n_units), coloraxis="coloraxis", name=label,
                hovertemplate=f"{label}<br>t=%{{x}}<br>unit %{{y}}<br>{value_name}=%{{z:.3f}}<extra></extra>",
            ),
            row=1, col=col,
        )
        _grey_padded_steps(fig, mask, row=1, col=col)
        fig.add_shape(
            type="rect", x0=step - 0.5, x1=step + 0.5, y0=-0.5, y1=n_units - 0.5,
            line=dict(color=HIGHLIGHT, width=3), layer="above", row=1, col=col,
        )
        fig.add_annotation(
            x=step, y=n_units - 0.5, text=f"return_seq=False returns t={step}", showarrow=True,
            arrowhead=2, ay=-28, font=dict(color=HIGHLIGHT), row=1, col=col,
        )
        fig.update_xaxes(title_text=TIME_AXIS, showgrid=False, zeroline=False, row=1, col=col)
    fig.update_yaxes(showgrid=False, zeroline=False)
    fig.update_yaxes(title_text=UNIT_AXIS, row=1, col=1)
    fig.update_layout(
        coloraxis=dict(colorscale=DIVERGING_SCALE, cmin=low, cmax=high, cmid=0.0 if low < 0 < high else None,
                       colorbar=dict(title=dict(text=value_name))),
    )
    reading = (
        "Left: the layer told where each sequence ends; right: it runs over the padding too. The framed "
        "column is the single output return_seq=False gives; grey veils cover padded steps."
    )
    return _finish(
        fig,
        chart="dynamic_comparison",
        title=title or "Step by step: dynamic=True vs dynamic=False",
        reading=reading,
        returned_steps={"dynamic": step_on, "static": step_off},
    )
