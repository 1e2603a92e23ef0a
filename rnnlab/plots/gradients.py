"""Gradient norms through time: one network, or two side by side."""

from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .style import TIME_AXIS, PlotInputError, _array, _colour, _finish, _grey_padded_steps, _mask, _rgba


def _norm_arrays(norms, name: str) -> dict[str, np.ndarray]:
    if isinstance(norms, Mapping):
        if not norms:
            raise PlotInputError(f"{name} must be a non-empty dict layer name -> [B, T]; got an empty dict")
        arrays = {str(k): _array(v, f"{name}[{k!r}]", 2, "[B, T] (batch, time)") for k, v in norms.items()}
    else:
        arrays = {"layer": _array(norms, name, 2, "[B, T] (batch, time)")}
    shapes = {k: a.shape for k, a in arrays.items()}
    if len(set(shapes.values())) > 1:
        raise PlotInputError(f"{name} arrays must all have the same shape [B, T]; got shapes {shapes}")
    return arrays


def _norm_summary(norms: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """[B, T] norms, [B, T] mask -> mean, 10th and 90th percentile, count of valid samples, each [T]."""
    masked = np.where(mask, norms, np.nan)
    counts = mask.sum(axis=0)
    with warnings.catch_warnings():  # all-NaN columns (steps with no valid sample) -> NaN, quietly
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(masked, axis=0)
        p10 = np.nanpercentile(masked, 10, axis=0)
        p90 = np.nanpercentile(masked, 90, axis=0)
    return mean, p10, p90, counts


def _add_norm_traces(fig: go.Figure, arrays, mask: np.ndarray, colour_offset: int = 0, **where) -> None:
    for i, (layer, norms) in enumerate(arrays.items()):
        colour = _colour(i + colour_offset)
        mean, p10, p90, counts = _norm_summary(norms, mask)
        steps = np.arange(norms.shape[1])
        fig.add_trace(
            go.Scatter(
                x=steps, y=p90, mode="lines", line=dict(width=0, color=colour), legendgroup=layer,
                showlegend=False, name=f"{layer} 90th percentile", hoverinfo="skip",
            ),
            **where,
        )
        fig.add_trace(
            go.Scatter(
                x=steps, y=p10, mode="lines", line=dict(width=0, color=colour), fill="tonexty",
                fillcolor=_rgba(colour, 0.2), legendgroup=layer, showlegend=False,
                name=f"{layer} 10th percentile", hoverinfo="skip",
            ),
            **where,
        )
        fig.add_trace(
            go.Scatter(
                x=steps, y=mean, mode="lines+markers", line=dict(color=colour, width=2),
                marker=dict(size=4), name=layer, legendgroup=layer, customdata=counts,
                hovertemplate=f"{layer}<br>t=%{{x}}<br>mean ||dL/dh_t||=%{{y:.3g}}"
                "<br>over %{customdata} valid samples<extra></extra>",
            ),
            **where,
        )


def gradient_norms(norms, valid=None, *, title: str | None = None) -> go.Figure:
    """dict layer name -> [B, T] gradient norms ||dL/dh_t|| (+ valid [B, T]) -> mean over time, log y.

    Per layer: a line for the mean over valid samples and a shaded 10th-90th percentile band
    (three traces per layer: upper bound, lower bound, mean). A bare [B, T] array is accepted as one
    layer. Steps where no sample is valid are blank with a grey band. Non-positive norms cannot sit
    on a log axis and are left out by plotly.
    """
    arrays = _norm_arrays(norms, "norms")
    batch, time_steps = next(iter(arrays.values())).shape
    mask = _mask(valid, "valid", (batch, time_steps), "[B, T] matching the norms")
    fig = go.Figure()
    _add_norm_traces(fig, arrays, mask)
    _grey_padded_steps(fig, mask.any(axis=0))
    fig.update_xaxes(title_text=TIME_AXIS)
    fig.update_yaxes(title_text="||dL/dh_t|| (log scale)", type="log", exponentformat="power")
    reading = (
        "How strongly the loss reaches back to each step: a line falling towards early t means "
        "vanishing gradients, rising means exploding; shaded = 10th-90th percentile over samples."
    )
    return _finish(
        fig, chart="gradient_norms", title=title or "Gradient norm through time", reading=reading,
        layers=list(arrays),
    )


def gradient_norms_side_by_side(
    left,
    right,
    *,
    left_name: str = "model A",
    right_name: str = "model B",
    left_valid=None,
    right_valid=None,
    title: str | None = None,
) -> go.Figure:
    """Two dicts layer name -> [B, T] norms (+ valid [B, T] each) -> two panels sharing a log y axis.

    For comparing two models or layer kinds (e.g. SimpleRNN vs LSTM) on the same scale. Each side
    may also be a bare [B, T] array; the sides may have different B and T.
    """
    sides = []
    for side, norms, valid, side_name in (
        ("left", left, left_valid, left_name), ("right", right, right_valid, right_name)
    ):
        arrays = _norm_arrays(norms, side)
        if not isinstance(norms, Mapping):
            arrays = {side_name: arrays["layer"]}
        shape = next(iter(arrays.values())).shape
        mask = _mask(valid, f"{side}_valid", shape, f"[B, T] matching {side}")
        sides.append((arrays, mask))
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, subplot_titles=[left_name, right_name],
                        horizontal_spacing=0.06)
    offset = 0
    for col, (arrays, mask) in enumerate(sides, start=1):
        _add_norm_traces(fig, arrays, mask, colour_offset=offset, row=1, col=col)
        _grey_padded_steps(fig, mask.any(axis=0), row=1, col=col)
        offset += len(arrays)
        fig.update_xaxes(title_text=TIME_AXIS, row=1, col=col)
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_yaxes(title_text="||dL/dh_t|| (log scale)", row=1, col=1)
    reading = (
        "Same log scale on both sides: the panel whose line stays flatter towards early t keeps "
        "gradients alive over longer spans."
    )
    return _finish(
        fig,
        chart="gradient_norms_side_by_side",
        title=title or f"Gradient norm through time: {left_name} vs {right_name}",
        reading=reading,
    )
