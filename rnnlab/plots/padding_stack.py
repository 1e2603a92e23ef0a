"""Padding through a stack: the length each recurrent layer uses per sample, and the padding invariance check
(each sample alone vs padded, per layer)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .style import (
    HIGHLIGHT,
    SAMPLE_AXIS,
    SEQUENTIAL_SCALE,
    PlotInputError,
    _array,
    _finish,
)

LAYER_AXIS = "layer (in the order they run)"
#: Differences at or below this are drawn as this value on the log scale (exact agreement has no logarithm).
DIFF_FLOOR = 1e-9
#: Where the x of a flagged cell sits, in cell widths right of its centre: beside the number, not over it.
MARK_OFFSET = 0.34
#: The house top margin (style._finish: title + subtitle) plus room for the layer names and LAYER_AXIS, which
#: these charts put above the plot: without it the axis title sits on the subtitle.
TOP_MARGIN = 95 + 45
TITLE_PAD = 24  # px from the chart's top edge to the title


def _room_above(fig: go.Figure) -> go.Figure:
    """The layer names and LAYER_AXIS sit above the plot: a top margin for them under the title + subtitle, and
    the title pinned to the top of the chart (plotly's 'auto' would centre it in the taller margin, onto them)."""
    return fig.update_layout(margin=dict(t=TOP_MARGIN), title=dict(yref="container", y=1, yanchor="top",
                                                                   pad=dict(t=TITLE_PAD)))


def _names(layers, count: int, argument: str, expected: str) -> list[str]:
    if isinstance(layers, str) or not isinstance(layers, Sequence) or len(layers) != count:
        raise PlotInputError(f"{argument} must be a list of {count} names ({expected}); got {layers!r}")
    names = [str(name) for name in layers]
    if len(set(names)) != len(names):
        raise PlotInputError(f"{argument} must hold distinct names; got {names}")
    return names


def layer_lengths_chart(lengths, true_lengths, layers: Sequence[str], *, differs=None,
                        title: str | None = None) -> go.Figure:
    """[L, B] lengths each layer uses + [B] true lengths + L layer names -> samples x layers grid of lengths,
    an x on every cell where the layer's length (or ``differs`` [L, B] bool: its returned step too) is not
    the truth.

    The first column is the true length; each cell shows the number it holds, and a flagged cell's x sits beside
    the number (MARK_OFFSET right of the centre), so the number stays readable. Columns are at x = 0..L (the
    axis's ticktext names them). ``layout.meta``: 'differs' = [[sample, layer name], ...], 'lengths' =
    {layer: [B]}, 'true' = [B].
    """
    used = _array(lengths, "lengths", 2, "[L, B] (layers, samples)")
    truth = _array(true_lengths, "true_lengths", 1, "[B] (samples)")
    n_layers, batch = used.shape
    if truth.shape != (batch,):
        raise PlotInputError(f"true_lengths must have shape ({batch},) [B] matching lengths [L, B] {used.shape}; "
                             f"got shape {truth.shape}")
    names = _names(layers, n_layers, "layers", "one per row of lengths [L, B]")
    if differs is None:
        flags = used != truth[None, :]
    else:
        flags = np.asarray(differs, dtype=bool)
        if flags.shape != used.shape:
            raise PlotInputError(f"differs must have shape {used.shape} [L, B] like lengths; got shape {flags.shape}")
    columns = ["true length", *names]
    grid = np.concatenate([truth[:, None], used.T], axis=1)  # [B, 1 + L]
    # numeric columns (0 = true length, 1..L the layers) so a mark can sit beside a cell's number, not on it
    fig = go.Figure(go.Heatmap(
        z=grid, x=np.arange(len(columns)), y=np.arange(batch), colorscale=SEQUENTIAL_SCALE, zmin=0,
        zmax=max(float(grid.max()), 1.0), text=grid.astype(int).astype(str), texttemplate="%{text}", xgap=2, ygap=1,
        colorbar=dict(title=dict(text="length")), name="lengths",
        customdata=np.tile(np.array(columns, dtype=object), (batch, 1)),
        hovertemplate="sample %{y}, %{customdata}: length %{z}<extra></extra>",
    ))
    rows, cols = np.nonzero(flags.T)  # [k] samples, [k] layers
    fig.add_trace(go.Scatter(
        x=cols + 1 + MARK_OFFSET, y=rows, mode="markers", name="differs from the truth",
        marker=dict(symbol="x-thin", size=11, line=dict(width=2.5, color=HIGHLIGHT), color=HIGHLIGHT),
        customdata=np.stack([used.T[rows, cols].astype(int), truth[rows].astype(int),
                             np.array([names[c] for c in cols], dtype=object)], axis=1) if len(rows) else None,
        hovertemplate="sample %{y}, %{customdata[2]}: uses %{customdata[0]}, true %{customdata[1]}<extra></extra>",
    ))
    fig.update_xaxes(title_text=LAYER_AXIS, side="top", showgrid=False, zeroline=False,
                     tickvals=list(range(len(columns))), ticktext=columns, range=[-0.5, len(columns) - 0.5])
    fig.update_yaxes(title_text=SAMPLE_AXIS, autorange="reversed", showgrid=False, zeroline=False,
                     tickvals=list(range(batch)) if batch <= 40 else None)
    fig.update_layout(legend=dict(orientation="h", yref="container", y=0.01, x=0), margin=dict(b=70))
    reading = ("Each row is a sample, each column a recurrent layer in the order they run, the first column the "
               "true length; a cell is the length that layer used (inferred from zeros, received as seq_len, or "
               "T). An x marks a layer that does not use the true length (or returns another step).")
    fig = _finish(fig, chart="layer_lengths", title=title or "The length each layer uses, per sample",
                  reading=reading, height=max(320, 200 + 22 * batch) + TOP_MARGIN - 95,
                  differs=[[int(r), names[c]] for r, c in zip(rows, cols)],
                  lengths={name: used[i].astype(int).tolist() for i, name in enumerate(names)},
                  true=truth.astype(int).tolist())
    return _room_above(fig)


def invariance_chart(max_diff, layers: Sequence[str], *, atol: float = 1e-5, title: str | None = None) -> go.Figure:
    """[B, L] max |padded - alone| per sample and layer (NaN: not checked) + L layer names -> samples x layers
    heatmap of log10 differences, a star on each row's first layer above ``atol``.

    ``layout.meta``: 'first_differing' = {sample: layer name} for rows that differ, 'atol'.
    """
    diff = _array(max_diff, "max_diff", 2, "[B, L] (samples, layers)")
    batch, n_layers = diff.shape
    names = _names(layers, n_layers, "layers", "one per column of max_diff [B, L]")
    if not isinstance(atol, (int, float)) or isinstance(atol, bool) or not atol >= 0:
        raise PlotInputError(f"atol must be a number >= 0; got {atol!r}")
    if np.any(diff[~np.isnan(diff)] < 0):
        raise PlotInputError("max_diff must hold differences >= 0 (or NaN for rows not checked); got negatives")
    above = np.nan_to_num(diff, nan=0.0) > atol  # [B, L]
    first = np.where(above.any(axis=1), np.argmax(above, axis=1), -1)  # [B]
    shown = np.log10(np.maximum(diff, DIFF_FLOOR))  # NaN stays NaN: drawn as a gap
    # the scale reaches at least two decades above atol, so float noise far below it stays in the scale's pale end
    top = max(float(np.nanmax(shown)) if np.isfinite(shown).any() else 0.0, np.log10(max(atol, DIFF_FLOOR)) + 2)
    text = np.where(np.isnan(diff), "not checked", np.vectorize(lambda v: f"{v:.2g}")(np.nan_to_num(diff)))
    fig = go.Figure(go.Heatmap(
        z=shown, x=names, y=np.arange(batch), colorscale=SEQUENTIAL_SCALE, zmin=np.log10(DIFF_FLOOR),
        zmax=top, xgap=2,
        ygap=1, customdata=text, colorbar=dict(title=dict(text="log10 max |diff|")), name="max |padded - alone|",
        hovertemplate="sample %{y}, %{x}: max |padded - alone| = %{customdata}<extra></extra>",
    ))
    rows = np.flatnonzero(first >= 0)
    fig.add_trace(go.Scatter(
        x=[names[first[b]] for b in rows], y=rows, mode="markers", name=f"first layer above atol={atol:g}",
        marker=dict(symbol="star", size=16, color=HIGHLIGHT, line=dict(width=1, color="white")),
        hovertemplate="sample %{y}: parts ways first at %{x}<extra></extra>",
    ))
    fig.update_xaxes(title_text=LAYER_AXIS, type="category", side="top", showgrid=False)
    fig.update_yaxes(title_text=SAMPLE_AXIS, autorange="reversed", showgrid=False, zeroline=False,
                     tickvals=list(range(batch)) if batch <= 40 else None,
                     ticktext=[f"≠ {b}" if first[b] >= 0 else str(b) for b in range(batch)] if batch <= 40 else None)
    fig.update_layout(legend=dict(orientation="h", yref="container", y=0.01, x=0), margin=dict(b=70))
    reading = (f"Each row is a sample run alone at its true length and inside the padded batch; a cell is the "
               f"largest difference between the two in what that layer returns on the real steps (log scale, "
               f"{DIFF_FLOOR:g} and below at the bottom). A star marks the first layer where the row differs by more "
               f"than {atol:g}; rows marked ≠ part ways.")
    fig = _finish(fig, chart="padding_invariance", title=title or "Padding invariance: alone vs padded, per layer",
                  reading=reading, height=max(320, 200 + 22 * batch) + TOP_MARGIN - 95,
                  first_differing={int(b): names[first[b]] for b in rows}, atol=float(atol))
    return _room_above(fig)
