"""Gradient norms through time: one network, or two side by side; a sample's input strip on top when given."""

from __future__ import annotations

import warnings
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import strips as strip_rows
from .style import (
    TIME_AXIS,
    PlotInputError,
    _array,
    _colour,
    _finish,
    _grey_padded_steps,
    _mask,
    _rgba,
)


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


def _sample(sample, batch: int, name: str = "sample") -> int | None:
    if sample is None:
        return None
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or not 0 <= sample < batch:
        raise PlotInputError(f"{name} must be an int sample index in [0, {batch}); got {sample!r}")
    return int(sample)


def _add_sample_lines(fig: go.Figure, arrays, mask: np.ndarray, sample: int, colour_offset: int = 0, **where) -> None:
    """The chosen sample's own ||dL/dh_t|| per layer: a dotted line in the layer's colour (valid steps only)."""
    for i, (layer, norms) in enumerate(arrays.items()):
        fig.add_trace(
            go.Scatter(
                x=np.arange(norms.shape[1]), y=np.where(mask[sample], norms[sample], np.nan), mode="lines",
                line=dict(color=_colour(i + colour_offset), width=1.5, dash="dot"), legendgroup=layer,
                name=f"{layer}: sample {sample}",
                hovertemplate=f"{layer}, sample {sample}<br>t=%{{x}}<br>||dL/dh_t||=%{{y:.3g}}<extra></extra>",
            ),
            **where,
        )


def gradient_norms(
    norms,
    valid=None,
    *,
    title: str | None = None,
    sample: int | None = None,
    inputs=None,
    targets=None,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
) -> go.Figure:
    """dict layer name -> [B, T] gradient norms ||dL/dh_t|| (+ valid [B, T]) -> mean over time, log y.

    Per layer: a line for the mean over valid samples and a shaded 10th-90th percentile band
    (three traces per layer: upper bound, lower bound, mean). A bare [B, T] array is accepted as one
    layer. Steps where no sample is valid are blank with a grey band. Non-positive norms cannot sit
    on a log axis and are left out by plotly.

    ``sample`` b adds b's own norms per layer as a dotted line (after the layers' traces); ``inputs``
    [T, D] and per-step ``targets`` [T] / [T, k] (of that sample) are drawn as strips above the chart on
    the same time axis (see :mod:`.strips`), masked by valid[b] when ``sample`` is given.
    """
    arrays = _norm_arrays(norms, "norms")
    batch, time_steps = next(iter(arrays.values())).shape
    mask = _mask(valid, "valid", (batch, time_steps), "[B, T] matching the norms")
    sample = _sample(sample, batch)
    strip_mask = mask[sample] if sample is not None else np.ones(time_steps, bool)
    strips = strip_rows.make_strips(inputs, targets, time_steps, strip_mask, feature_names=feature_names,
                                    class_names=class_names)
    rows = None
    if strips:
        fig, rows = strip_rows.strip_figure(strips, [380])
        where = dict(row=rows.main[0], col=1)
    else:
        fig, where = go.Figure(), {}
    _add_norm_traces(fig, arrays, mask, **where)
    if sample is not None:
        _add_sample_lines(fig, arrays, mask, sample, **where)
    _grey_padded_steps(fig, mask.any(axis=0), **where)
    strip_rows.add_strips(fig, strips, rows, grey_padding=True)
    fig.update_xaxes(title_text=TIME_AXIS, **where)
    fig.update_yaxes(title_text="||dL/dh_t|| (log scale)", type="log", exponentformat="power", **where)
    reading = (
        "How strongly the loss reaches back to each step: a line falling towards early t means "
        "vanishing gradients, rising means exploding; shaded = 10th-90th percentile over samples."
    )
    if sample is not None:
        reading += f" Dotted: sample {sample} alone."
    reading += strip_rows.strips_reading(strips)
    return _finish(
        fig, chart="gradient_norms", title=title or "Gradient norm through time", reading=reading,
        layers=list(arrays), sample=sample, **strip_rows.strips_meta(strips),
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
    sample: int | None = None,
    inputs=None,
    targets=None,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
) -> go.Figure:
    """Two dicts layer name -> [B, T] norms (+ valid [B, T] each) -> two panels sharing a log y axis.

    For comparing two models or layer kinds (e.g. SimpleRNN vs LSTM) on the same scale. Each side
    may also be a bare [B, T] array; the sides may have different B and T. When both sides read the
    same data, ``sample`` b adds b's own norms (dotted) on each side, and ``inputs`` [T, D] / ``targets``
    [T] or [T, k] of that sample are drawn as strips above both panels on each panel's time axis.
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
    sample = _sample(sample, min(m.shape[0] for _, m in sides))
    side_strips = [
        strip_rows.make_strips(
            inputs, targets, mask.shape[1], mask[sample] if sample is not None else np.ones(mask.shape[1], bool),
            feature_names=feature_names, class_names=class_names,
        )
        for _, mask in sides
    ]
    strips = side_strips[0]
    rows = None
    if strips:
        fig, rows = strip_rows.strip_figure(strips, [380], cols=2, column_titles=[left_name, right_name],
                                            shared_yaxes=True, horizontal_spacing=0.06)
    else:
        fig = make_subplots(rows=1, cols=2, shared_yaxes=True, subplot_titles=[left_name, right_name],
                            horizontal_spacing=0.06)
    row = 1  # the chart's own row: the bottom one, with strips or without
    offset = 0
    for col, (arrays, mask) in enumerate(sides, start=1):
        _add_norm_traces(fig, arrays, mask, colour_offset=offset, row=row, col=col)
        if sample is not None:
            _add_sample_lines(fig, arrays, mask, sample, colour_offset=offset, row=row, col=col)
        _grey_padded_steps(fig, mask.any(axis=0), row=row, col=col)
        offset += len(arrays)
        fig.update_xaxes(title_text=TIME_AXIS, row=row, col=col)
    for col, col_strips in enumerate(side_strips, start=1):
        strip_rows.add_strips(fig, col_strips, rows, col=col, grey_padding=True)
    fig.update_yaxes(type="log", exponentformat="power", row=row)
    fig.update_yaxes(title_text="||dL/dh_t|| (log scale)", row=row, col=1)
    reading = (
        "Same log scale on both sides: the panel whose line stays flatter towards early t keeps "
        "gradients alive over longer spans."
    )
    if sample is not None:
        reading += f" Dotted: sample {sample} alone."
    reading += strip_rows.strips_reading(strips)
    return _finish(
        fig,
        chart="gradient_norms_side_by_side",
        title=title or f"Gradient norm through time: {left_name} vs {right_name}",
        reading=reading,
        sample=sample,
        **strip_rows.strips_meta(strips),
    )
