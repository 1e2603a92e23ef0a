"""Hidden states over time: a units x time heatmap (with the sample's input / target strips on top) and
per-unit lines. Trajectories in a PCA basis live in :mod:`.pca`."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from . import strips as strip_rows
from .style import (
    CATEGORICAL,
    DIVERGING_SCALE,
    PADDING_GREY,
    TIME_AXIS,
    UNIT_AXIS,
    _array,
    _colour,
    _finish,
    _grey_padded_steps,
    _mask,
    _signed_range,
    _units,
)

# --------------------------------------------------------------------- states over time


def state_heatmap(
    values,
    valid=None,
    *,
    state_name: str = "h",
    value_range: tuple[float, float] | None = None,
    title: str | None = None,
    inputs=None,
    targets=None,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
) -> go.Figure:
    """[T, n] states of one sample (+ valid [T], inputs [T, D], targets [T] or [T, k]) -> units x time heatmap.

    Units on y, time on x. ``z`` is ``values.T`` with padded steps set to NaN, so they show the grey
    background. The diverging colour scale is centred at 0 and fixed to [-1, 1] when every |value| <= 1
    (tanh or sigmoid h), otherwise to +-max|value| (an LSTM's c can grow); pass ``value_range`` to fix it.

    ``inputs`` (the sample's input features, named by ``feature_names``) and ``targets`` (a class per step,
    named by ``class_names``, or numbers per step) are drawn as strips above the heatmap on the same time
    axis (see :mod:`.strips`); the heatmap stays ``fig.data[0]``.
    """
    values = _array(values, "values", 2, "[T, n] (time, units)")
    time_steps, n_units = values.shape
    mask = _mask(valid, "valid", (time_steps,), "[T] matching values [T, n]")
    strips = strip_rows.make_strips(inputs, targets, time_steps, mask, feature_names=feature_names,
                                    class_names=class_names)
    low, high = _signed_range(values, value_range)
    z = np.where(mask[None, :], values.T, np.nan)  # [n, T]
    colorbar = dict(title=dict(text=state_name))
    rows = None
    if strips:
        fig, rows = strip_rows.strip_figure(strips, [max(260, min(520, 40 + 18 * n_units))])
        bottom, top = strip_rows.main_domain(fig, rows)
        colorbar.update(y=bottom, yanchor="bottom", len=top - bottom)
        where = dict(row=rows.main[0], col=1)
    else:
        fig, where = go.Figure(), {}
    fig.add_trace(
        go.Heatmap(
            z=z,
            x=np.arange(time_steps),
            y=np.arange(n_units),
            colorscale=DIVERGING_SCALE,
            zmin=low,
            zmax=high,
            zmid=0.0 if low < 0 < high else None,
            colorbar=colorbar,
            hovertemplate=f"t=%{{x}}<br>unit %{{y}}<br>{state_name}=%{{z:.3f}}<extra></extra>",
            hoverongaps=False,
        ),
        **where,
    )
    fig.update_xaxes(title_text=TIME_AXIS, showgrid=False, zeroline=False, **where)
    fig.update_yaxes(title_text=UNIT_AXIS, showgrid=False, zeroline=False, **where)
    strip_rows.add_strips(fig, strips, rows)
    fig.update_layout(plot_bgcolor=PADDING_GREY)
    reading = (
        "Each row is one unit, each column one time step; red < 0 < blue, white = 0."
        + (" Grey columns are padded steps." if not mask.all() else "")
        + strip_rows.strips_reading(strips)
    )
    return _finish(
        fig,
        chart="state_heatmap",
        title=title or f"State {state_name} per unit over time",
        reading=reading,
        value_range=[low, high],
        padded_steps=np.flatnonzero(~mask).tolist(),
        **strip_rows.strips_meta(strips),
    )


def unit_lines(
    values,
    units: Sequence[int],
    valid=None,
    *,
    state_name: str = "h",
    title: str | None = None,
) -> go.Figure:
    """[T, n] states of one sample, units [k] (+ valid [T]) -> one line per chosen unit over time.

    Padded steps are left out of the lines (NaN) and covered by a grey band.
    """
    values = _array(values, "values", 2, "[T, n] (time, units)")
    time_steps, n_units = values.shape
    chosen = _units(units, "units", n_units)
    mask = _mask(valid, "valid", (time_steps,), "[T] matching values [T, n]")
    fig = go.Figure()
    for i, unit in enumerate(chosen):
        fig.add_trace(
            go.Scatter(
                x=np.arange(time_steps),
                y=np.where(mask, values[:, unit], np.nan),
                mode="lines+markers",
                name=f"unit {unit}",
                line=dict(color=_colour(i), dash=("solid", "dash", "dot")[(i // len(CATEGORICAL)) % 3]),
                marker=dict(size=4),
                hovertemplate=f"unit {unit}<br>t=%{{x}}<br>{state_name}=%{{y:.3f}}<extra></extra>",
            )
        )
    _grey_padded_steps(fig, mask)
    fig.update_xaxes(title_text=TIME_AXIS)
    fig.update_yaxes(title_text=f"{state_name} (unit activation)")
    reading = "Each line follows one unit through the sequence; flat lines hold memory, jumps react to input."
    if not mask.all():
        reading += " Grey bands are padded steps."
    return _finish(
        fig,
        chart="unit_lines",
        title=title or f"Selected units of {state_name} over time",
        reading=reading,
        units=chosen,
    )
