"""Step through a cell: one unit's gates and states over time with a marker at step t, and that step's numbers."""

from __future__ import annotations

import re
from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .style import (
    HIGHLIGHT,
    OKABE_ITO,
    TIME_AXIS,
    PlotInputError,
    _array,
    _colour,
    _finish,
    _grey_padded_steps,
    _mask,
    _step,
)


def _html(label: str) -> str:
    """'f*c_{t-1}' -> 'f·c<sub>t-1</sub>', 'h~' -> 'h̃': a number's label as plotly draws text."""
    label = label.replace("*", "·").replace("h~", "h\u0303")
    label = re.sub(r"_\{([^}]*)\}", r"<sub>\1</sub>", label)
    return re.sub(r"_([A-Za-z0-9])", r"<sub>\1</sub>", label)


def cell_step_chart(
    series: Mapping[str, object],
    step: int,
    numbers: Mapping[str, float],
    valid=None,
    *,
    title: str | None = None,
) -> go.Figure:
    """dict quantity -> [T] values of one unit, a step t, dict label -> float (that step's numbers) -> two panels.

    Left: each quantity of the unit over time (lines; padded steps, valid [T] False, left out under a grey
    band) with a vertical marker and a dot on every line at step t. Right: one bar per number of step t, in
    the order given, its value written on it (blue for >= 0, vermillion for < 0); labels such as 'c_{t-1}' or
    'f*c_{t-1}' are drawn as c<sub>t-1</sub>, f·c<sub>t-1</sub>.
    """
    if not isinstance(series, Mapping) or not series:
        raise PlotInputError(f"series must be a non-empty dict quantity -> [T] array; got {type(series).__name__}")
    arrays = {str(k): _array(v, f"series[{k!r}]", 1, "[T] (time)") for k, v in series.items()}
    lengths = {k: a.shape[0] for k, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise PlotInputError(f"series must all have the same length T; got lengths {lengths}")
    time_steps = next(iter(lengths.values()))
    t = _step(step, "step", time_steps)
    mask = _mask(valid, "valid", (time_steps,), "[T] matching the series")
    if not isinstance(numbers, Mapping) or not numbers:
        raise PlotInputError(f"numbers must be a non-empty dict label -> float; got {type(numbers).__name__}")
    labels = [str(k) for k in numbers]
    values = _array(list(numbers.values()), "numbers", 1, "of floats (one per label)")

    fig = make_subplots(rows=1, cols=2, column_widths=[0.58, 0.42], horizontal_spacing=0.1,
                        subplot_titles=("this unit over time", f"the numbers of step t={t}"
                                        + ("" if mask[t] else " (padded)")))
    steps = np.arange(time_steps)
    for i, (name, a) in enumerate(arrays.items()):
        colour = _colour(i)
        fig.add_trace(go.Scatter(
            x=steps, y=np.where(mask, a, np.nan), mode="lines", name=name, legendgroup=name,
            line=dict(color=colour, width=2),
            hovertemplate=f"{name}<br>t=%{{x}}<br>value=%{{y:.4f}}<extra></extra>",
        ), row=1, col=1)
        if mask[t]:
            fig.add_trace(go.Scatter(
                x=[t], y=[a[t]], mode="markers", name=f"{name} at t={t}", legendgroup=name, showlegend=False,
                marker=dict(color=colour, size=10, line=dict(color=HIGHLIGHT, width=2)),
                hovertemplate=f"{name} at t={t}: %{{y:.4f}}<extra></extra>",
            ), row=1, col=1)
    fig.add_vline(x=t, line=dict(color=HIGHLIGHT, width=2, dash="dot"), row=1, col=1)
    _grey_padded_steps(fig, mask, row=1, col=1)
    fig.add_trace(go.Bar(
        x=labels, y=values, name=f"step t={t}", showlegend=False,
        marker_color=[OKABE_ITO[0] if v >= 0 else OKABE_ITO[3] for v in values],
        text=[f"{v:.3f}" for v in values], textposition="outside", cliponaxis=False,
        hovertemplate="%{x} = %{y:.6f}<extra></extra>",
    ), row=1, col=2)
    fig.update_xaxes(title_text=TIME_AXIS, range=[-0.5, time_steps - 0.5], row=1, col=1)
    fig.update_yaxes(title_text="value", row=1, col=1)
    fig.update_xaxes(title_text="quantity at step t", type="category", tickvals=labels,
                     ticktext=[_html(label) for label in labels], row=1, col=2)
    fig.update_yaxes(title_text="value", zeroline=True, row=1, col=2)
    reading = ("Left: this unit's gates and states over time; the dotted line marks step t (grey: padding). "
               "Right: the numbers the equations use at step t.")
    return _finish(fig, chart="cell_step_chart", title=title or f"One unit, step t={t}", reading=reading,
                   height=430, step=t, padded=not bool(mask[t]), numbers=dict(zip(labels, values.tolist())))
