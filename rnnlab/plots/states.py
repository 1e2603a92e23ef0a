"""Hidden states over time: heatmaps, per-unit lines, and trajectories in a PCA basis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from .style import (
    DIVERGING_SCALE,
    OKABE_ITO,
    PADDING_GREY,
    SEQUENTIAL_SCALE,
    TIME_AXIS,
    UNIT_AXIS,
    PlotInputError,
    _array,
    _colour,
    _finish,
    _grey_padded_steps,
    _mask,
    _signed_range,
    _step,
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
) -> go.Figure:
    """[T, n] states of one sample (+ valid [T]) -> units x time heatmap (units on y, time on x).

    ``z`` is ``values.T`` with padded steps set to NaN, so they show the grey background. The
    diverging colour scale is centred at 0 and fixed to [-1, 1] when every |value| <= 1 (tanh or
    sigmoid h), otherwise to +-max|value| (an LSTM's c can grow); pass ``value_range`` to fix it.
    """
    values = _array(values, "values", 2, "[T, n] (time, units)")
    time_steps, n_units = values.shape
    mask = _mask(valid, "valid", (time_steps,), "[T] matching values [T, n]")
    low, high = _signed_range(values, value_range)
    z = np.where(mask[None, :], values.T, np.nan)  # [n, T]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=np.arange(time_steps),
            y=np.arange(n_units),
            colorscale=DIVERGING_SCALE,
            zmin=low,
            zmax=high,
            zmid=0.0 if low < 0 < high else None,
            colorbar=dict(title=dict(text=state_name)),
            hovertemplate=f"t=%{{x}}<br>unit %{{y}}<br>{state_name}=%{{z:.3f}}<extra></extra>",
            hoverongaps=False,
        )
    )
    fig.update_xaxes(title_text=TIME_AXIS, showgrid=False, zeroline=False)
    fig.update_yaxes(title_text=UNIT_AXIS, showgrid=False, zeroline=False)
    fig.update_layout(plot_bgcolor=PADDING_GREY)
    reading = (
        "Each row is one unit, each column one time step; red < 0 < blue, white = 0."
        + (" Grey columns are padded steps." if not mask.all() else "")
    )
    return _finish(
        fig,
        chart="state_heatmap",
        title=title or f"State {state_name} per unit over time",
        reading=reading,
        value_range=[low, high],
        padded_steps=np.flatnonzero(~mask).tolist(),
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
                line=dict(color=_colour(i), dash=("solid", "dash", "dot")[(i // len(OKABE_ITO)) % 3]),
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


# ---------------------------------------------------------------------------------- PCA


@dataclass(frozen=True, eq=False)
class PCABasis:
    """A fitted principal-component basis: mean [n], components [k, n] (rows orthonormal),
    explained_variance_ratio [k], and the range [k] of the fitted data's coordinates.

    Fit once (e.g. on the states of every epoch) and pass it to :func:`state_trajectories` so that
    different epochs or samples are drawn in the same axes.
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray
    coord_min: np.ndarray
    coord_max: np.ndarray

    @property
    def n_components(self) -> int:
        return int(self.components.shape[0])

    def project(self, states) -> np.ndarray:
        """[N, n] -> [N, k]: coordinates of the states in this basis."""
        states = _array(states, "states", 2, "[N, n] (points, units)")
        if states.shape[1] != self.components.shape[1]:
            raise PlotInputError(
                f"states must have n={self.components.shape[1]} units to match the basis; "
                f"got shape {states.shape}"
            )
        return (states - self.mean) @ self.components.T


def fit_pca(states, k: int = 2) -> PCABasis:
    """[N, n] states -> PCABasis with k components (NumPy SVD of the centred data).

    Signs are fixed so that each component's largest-magnitude loading is positive, so refits on
    similar data do not flip axes. Rows with NaN or inf are ignored.
    """
    states = _array(states, "states", 2, "[N, n] (points, units)")
    states = states[np.isfinite(states).all(axis=1)]
    n_points, n_units = states.shape
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= min(n_points, n_units):
        raise PlotInputError(
            f"k must be an int in [1, min(N, n)] = [1, {min(n_points, n_units)}] for states of shape "
            f"{states.shape} (finite rows); got {k!r}"
        )
    mean = states.mean(axis=0)
    centred = states - mean
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:k].copy()  # [k, n]
    biggest = np.argmax(np.abs(components), axis=1)
    components *= np.sign(components[np.arange(k), biggest])[:, None]
    total = float(np.sum(singular**2))
    ratio = singular[:k] ** 2 / total if total > 0 else np.zeros(k)
    coords = centred @ components.T
    return PCABasis(mean, components, ratio, coords.min(axis=0), coords.max(axis=0))


def pca_project(states, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """[N, n] states -> (coords [N, k], explained_variance_ratio [k]) by PCA (NumPy SVD)."""
    basis = fit_pca(states, k)
    return basis.project(states), basis.explained_variance_ratio


def state_trajectories(
    states,
    valid=None,
    labels=None,
    *,
    dims: int = 2,
    up_to_step: int | None = None,
    basis: PCABasis | None = None,
    state_name: str = "h",
    title: str | None = None,
) -> go.Figure:
    """[B, T, n] states (+ valid [B, T], labels [B]) -> PCA trajectories, one line per sample.

    Without labels, markers are coloured by time step (Viridis, fixed 0..T-1); with labels, each
    label has one colour (Okabe-Ito) and one legend entry. Padded steps are left out. ``up_to_step``
    draws steps 0..up_to_step only (time-step slider); axes stay fixed to the full data. ``basis``
    (from :func:`fit_pca`) fixes the projection, e.g. across epochs; by default PCA is fitted on
    this call's valid states. The last drawn step of each sample has a larger marker.
    """
    states = _array(states, "states", 3, "[B, T, n] (batch, time, units)")
    batch, time_steps, n_units = states.shape
    if dims not in (2, 3):
        raise PlotInputError(f"dims must be 2 or 3; got {dims!r}")
    mask = _mask(valid, "valid", (batch, time_steps), "[B, T] matching states [B, T, n]")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (batch,):
            raise PlotInputError(f"labels must have shape ({batch},) [B] matching states; got shape {labels.shape}")
    last_step = time_steps - 1 if up_to_step is None else _step(up_to_step, "up_to_step", time_steps)
    if basis is None:
        if mask.sum() < dims:
            raise PlotInputError(
                f"valid must mark at least dims={dims} steps as real to fit a {dims}-D PCA; got "
                f"{int(mask.sum())} True of shape {mask.shape} (or pass a fitted basis)"
            )
        basis = fit_pca(states[mask], dims)
    elif not isinstance(basis, PCABasis):
        raise PlotInputError(f"basis must be a PCABasis from fit_pca(); got {type(basis).__name__}")
    elif basis.n_components < dims or basis.components.shape[1] != n_units:
        raise PlotInputError(
            f"basis must have >= {dims} components over n={n_units} units; got components of shape "
            f"{basis.components.shape}"
        )
    coords = basis.project(states.reshape(-1, n_units))[:, :dims].reshape(batch, time_steps, dims)
    shown = mask & (np.arange(time_steps)[None, :] <= last_step)  # [B, T]

    # Axis ranges: the fitted data's extent united with all valid points of this call.
    lows, highs = basis.coord_min[:dims].copy(), basis.coord_max[:dims].copy()
    if mask.any():
        lows = np.minimum(lows, coords[mask].min(axis=0))
        highs = np.maximum(highs, coords[mask].max(axis=0))
    pad = 0.05 * np.maximum(highs - lows, 1e-9)
    ranges = [[float(lo - p), float(hi + p)] for lo, hi, p in zip(lows, highs, pad)]

    label_values = [] if labels is None else list(dict.fromkeys(labels.tolist()))
    fig = go.Figure()
    scatter = go.Scatter3d if dims == 3 else go.Scatter
    for b in range(batch):
        steps = np.flatnonzero(shown[b])
        xyz = coords[b, steps]
        sizes = np.full(len(steps), 4 if dims == 3 else 6)
        if len(steps):
            sizes[-1] = 8 if dims == 3 else 12
        axes = dict(x=xyz[:, 0], y=xyz[:, 1])
        if dims == 3:
            axes["z"] = xyz[:, 2]
        hover = f"sample {b}<br>t=%{{customdata}}<extra></extra>"
        if labels is None:
            trace = scatter(
                **axes,
                mode="lines+markers",
                name=f"sample {b}",
                customdata=steps,
                line=dict(color="rgba(120, 120, 120, 0.5)", width=1.5),
                marker=dict(
                    color=steps,
                    colorscale=SEQUENTIAL_SCALE,
                    cmin=0,
                    cmax=max(time_steps - 1, 1),
                    size=sizes,
                    showscale=b == 0,
                    colorbar=dict(title=dict(text=TIME_AXIS)) if b == 0 else None,
                ),
                showlegend=False,
                hovertemplate=hover,
            )
        else:
            index = label_values.index(labels[b].item())
            colour = _colour(index)
            trace = scatter(
                **axes,
                mode="lines+markers",
                name=f"label {labels[b]}",
                legendgroup=f"label {labels[b]}",
                showlegend=not any(labels[:b] == labels[b]),
                customdata=steps,
                line=dict(color=colour, width=2),
                marker=dict(color=colour, size=sizes),
                hovertemplate=f"label {labels[b]}<br>" + hover,
            )
        fig.add_trace(trace)

    names = [
        f"PC{i + 1} ({100 * basis.explained_variance_ratio[i]:.1f}% of variance)" for i in range(dims)
    ]
    if dims == 3:
        fig.update_layout(
            scene=dict(
                xaxis=dict(title=dict(text=names[0]), range=ranges[0]),
                yaxis=dict(title=dict(text=names[1]), range=ranges[1]),
                zaxis=dict(title=dict(text=names[2]), range=ranges[2]),
            )
        )
    else:
        fig.update_xaxes(title_text=names[0], range=ranges[0])
        fig.update_yaxes(title_text=names[1], range=ranges[1])
    colouring = "colour = label" if labels is not None else "colour = time step (dark early, yellow late)"
    reading = (
        f"Each line is one sample's {state_name} moving through state space, projected on the top "
        f"principal components; {colouring}; the big marker is the last step drawn."
    )
    return _finish(
        fig,
        chart="state_trajectories",
        title=title or f"Trajectories of {state_name} in PCA space (steps 0..{last_step})",
        reading=reading,
        explained_variance_ratio=basis.explained_variance_ratio[:dims].tolist(),
        up_to_step=last_step,
    )
