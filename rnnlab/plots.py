"""Figures for seeing inside recurrent networks: plain arrays in, plotly Figures out.

Every function here is pure: it takes NumPy arrays (or pandas DataFrames) and returns a
``plotly.graph_objects.Figure``. Nothing here imports TensorFlow, Keras, Streamlit or the rest of
rnnlab, so the module can be loaded (and tested) on its own.

Shapes follow the house names: batch, time, units (B, T, n); input features D. ``valid`` masks are
bool, True on real time steps and False on padding; padded steps are drawn grey wherever a mask is
given (NaN cells over a grey plot background for heatmaps, grey bands for line charts).

Each figure carries a title, axis titles with units, a colour-blind-safe colour scale (Viridis for
sequential values, ColorBrewer RdBu centred at 0 for signed values, the Okabe-Ito palette for
categories) and a one-line "how to read it": shown as the title's subtitle and stored in
``fig.layout.meta["how_to_read"]`` (see :func:`how_to_read`) so the app can print it too.

Bad input raises :class:`PlotInputError` (a ``ValueError``) naming the argument, echoing the shape
or value received and saying what was expected.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = [
    "PlotInputError",
    "PCABasis",
    "GATE_RANGES",
    "how_to_read",
    "state_heatmap",
    "unit_lines",
    "fit_pca",
    "pca_project",
    "state_trajectories",
    "gate_heatmaps",
    "gate_saturation",
    "gradient_norms",
    "gradient_norms_side_by_side",
    "padding_grid",
    "dynamic_comparison",
    "training_curves",
    "training_curves_overlay",
    "intervention_before_after",
]


class PlotInputError(ValueError):
    """An argument given to a plotting function has the wrong shape, range or name."""


# ----------------------------------------------------------------------------- style

#: Okabe & Ito (2008) categorical palette: distinguishable under the common colour-vision deficiencies.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
SEQUENTIAL_SCALE = "Viridis"  # perceptually uniform, colour-blind safe
DIVERGING_SCALE = "RdBu"  # ColorBrewer red (negative) - white (0) - blue (positive)
PADDING_GREY = "#8C8C8C"  # padded (invalid) steps; absent from both scales above
PADDING_BAND = "rgba(140, 140, 140, 0.45)"  # translucent grey over padded steps on line charts
HIGHLIGHT = "#D55E00"  # vermillion: rows / steps the eye should go to
TIME_AXIS = "time step t"
UNIT_AXIS = "unit"
SAMPLE_AXIS = "sample b (batch index)"

#: Value range of each gate the gate plots accept: sigmoid gates in [0, 1], the tanh candidate in [-1, 1].
GATE_RANGES: dict[str, tuple[float, float]] = {
    "input": (0.0, 1.0),
    "forget": (0.0, 1.0),
    "output": (0.0, 1.0),
    "reset": (0.0, 1.0),
    "update": (0.0, 1.0),
    "candidate": (-1.0, 1.0),
}


def how_to_read(fig: go.Figure) -> str:
    """Figure -> str: the one-line "how to read it" that every figure in this module carries."""
    meta = fig.layout.meta
    if isinstance(meta, Mapping):
        return str(meta.get("how_to_read", ""))
    return ""


def _finish(
    fig: go.Figure,
    *,
    chart: str,
    title: str,
    reading: str,
    height: int | None = None,
    **meta,
) -> go.Figure:
    """Title + subtitle, meta, template, colorway and margins shared by every figure."""
    fig.update_layout(
        template="plotly_white",
        title=dict(text=title, subtitle=dict(text=reading), x=0.02, xanchor="left"),
        meta={"chart": chart, "how_to_read": reading, **meta},
        colorway=list(OKABE_ITO),
        margin=dict(t=95, l=70, r=30, b=fig.layout.margin.b or 60),
        hoverlabel=dict(namelength=-1),
    )
    if height is not None:
        fig.update_layout(height=height)
    return fig


# ------------------------------------------------------------------------ validation


def _array(value, name: str, ndims: int | tuple[int, ...], expected: str) -> np.ndarray:
    """Any array-like -> float ndarray with an allowed ndim, else PlotInputError naming `name`."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise PlotInputError(
            f"{name} must be a numeric array {expected}; got {type(value).__name__} that NumPy "
            f"cannot read as numbers ({error})"
        ) from None
    allowed = (ndims,) if isinstance(ndims, int) else ndims
    if array.ndim not in allowed:
        raise PlotInputError(
            f"{name} must be a {' or '.join(f'{d}-D' for d in allowed)} array {expected}; "
            f"got shape {array.shape} ({array.ndim}-D)"
        )
    if array.size == 0 and array.ndim > 0:
        raise PlotInputError(f"{name} must not be empty; got shape {array.shape}, expected {expected}")
    return array


def _mask(valid, name: str, shape: tuple[int, ...], expected: str) -> np.ndarray:
    """None or array-like -> bool array of exactly `shape` (all True for None)."""
    if valid is None:
        return np.ones(shape, dtype=bool)
    mask = np.asarray(valid)
    if mask.shape != tuple(shape):
        raise PlotInputError(f"{name} must have shape {tuple(shape)} {expected}; got shape {mask.shape}")
    if mask.dtype != bool:
        if not np.isin(mask, (0, 1)).all():
            raise PlotInputError(f"{name} must be bool (or 0/1) {expected}; got values other than 0 and 1")
        mask = mask.astype(bool)
    return mask


def _step(value, name: str, time_steps: int) -> int:
    """An int time index in [0, T)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise PlotInputError(f"{name} must be an int time step in [0, {time_steps}); got {value!r}")
    if not 0 <= int(value) < time_steps:
        raise PlotInputError(f"{name} must be a time step in [0, {time_steps}); got {value}")
    return int(value)


def _units(units, name: str, n_units: int) -> list[int]:
    """A list of unit indices, each in [0, n)."""
    try:
        chosen = [int(u) for u in np.atleast_1d(np.asarray(units)).tolist()]
    except (TypeError, ValueError):
        raise PlotInputError(f"{name} must be a list of int unit indices in [0, {n_units}); got {units!r}") from None
    bad = [u for u in chosen if not 0 <= u < n_units]
    if bad or not chosen:
        raise PlotInputError(
            f"{name} must be a non-empty list of unit indices in [0, {n_units}); got {list(chosen)}"
        )
    return chosen


def _invalid_runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """[T] bool -> [(first, last)] inclusive index runs where valid is False."""
    runs, start = [], None
    for t, ok in enumerate(valid.tolist()):
        if not ok and start is None:
            start = t
        if ok and start is not None:
            runs.append((start, t - 1))
            start = None
    if start is not None:
        runs.append((start, len(valid) - 1))
    return runs


def _grey_padded_steps(fig: go.Figure, valid: np.ndarray, **axes) -> None:
    """Translucent grey bands over every run of padded steps (line charts)."""
    for first, last in _invalid_runs(valid):
        fig.add_vrect(
            x0=first - 0.5, x1=last + 0.5, fillcolor=PADDING_BAND, line_width=0, layer="above", **axes
        )


def _signed_range(values: np.ndarray, value_range) -> tuple[float, float]:
    """Colour range for signed values, centred at 0: +-1 when |v| <= 1 (tanh states), else +-max|v|."""
    if value_range is not None:
        low, high = (float(v) for v in value_range)
        if not low < high:
            raise PlotInputError(f"value_range must be (low, high) with low < high; got {value_range!r}")
        return low, high
    finite = np.abs(values[np.isfinite(values)])
    peak = float(finite.max()) if finite.size else 1.0
    peak = 1.0 if peak <= 1.0 else peak
    return -peak, peak


def _colour(i: int) -> str:
    return OKABE_ITO[i % len(OKABE_ITO)]


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


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


# ---------------------------------------------------------------------------------- gates


def _check_gate_names(gates: Mapping, name: str) -> None:
    if not isinstance(gates, Mapping) or not gates:
        raise PlotInputError(
            f"{name} must be a non-empty dict gate name -> array; got {type(gates).__name__}"
            + (" (empty)" if isinstance(gates, Mapping) else "")
        )
    unknown = [g for g in gates if g not in GATE_RANGES]
    if unknown:
        raise PlotInputError(
            f"{name} has unknown gate name(s) {unknown}; expected names from {list(GATE_RANGES)}"
        )


def gate_heatmaps(gates: Mapping[str, object], valid=None, *, title: str | None = None) -> go.Figure:
    """dict gate name -> [T, n] activations of one sample (+ valid [T]) -> one heatmap per gate.

    Subplots share the time axis. Sigmoid gates (input, forget, output, reset, update) use Viridis
    with a fixed 0..1 range; the tanh ``candidate`` uses RdBu with a fixed -1..1 range centred at 0.
    Units on y, time on x; padded steps are NaN over a grey background.
    """
    _check_gate_names(gates, "gates")
    arrays = {g: _array(v, f"gates[{g!r}]", 2, "[T, n] (time, units)") for g, v in gates.items()}
    shapes = {g: a.shape for g, a in arrays.items()}
    if len(set(shapes.values())) > 1:
        raise PlotInputError(f"gates must all have the same shape [T, n]; got shapes {shapes}")
    time_steps, n_units = next(iter(arrays.values())).shape
    mask = _mask(valid, "valid", (time_steps,), "[T] matching the gates' [T, n]")
    names = list(arrays)
    fig = make_subplots(
        rows=len(names),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.08, 0.3 / len(names)),
        subplot_titles=[f"{g} gate" if g != "candidate" else "candidate (tanh)" for g in names],
    )
    for row, gate in enumerate(names, start=1):
        signed = GATE_RANGES[gate][0] < 0
        fig.add_trace(
            go.Heatmap(
                z=np.where(mask[None, :], arrays[gate].T, np.nan),
                x=np.arange(time_steps),
                y=np.arange(n_units),
                coloraxis="coloraxis2" if signed else "coloraxis",
                name=gate,
                hovertemplate=f"{gate}<br>t=%{{x}}<br>unit %{{y}}<br>value=%{{z:.3f}}<extra></extra>",
                hoverongaps=False,
            ),
            row=row,
            col=1,
        )
        fig.update_yaxes(title_text=UNIT_AXIS, showgrid=False, zeroline=False, row=row, col=1)
    fig.update_xaxes(showgrid=False, zeroline=False)
    fig.update_xaxes(title_text=TIME_AXIS, row=len(names), col=1)
    fig.update_layout(
        plot_bgcolor=PADDING_GREY,
        coloraxis=dict(
            colorscale=SEQUENTIAL_SCALE, cmin=0.0, cmax=1.0,
            colorbar=dict(title=dict(text="gate (0..1)"), len=0.45, y=1.0, yanchor="top"),
        ),
    )
    if "candidate" in names:
        fig.update_layout(
            coloraxis2=dict(
                colorscale=DIVERGING_SCALE, cmin=-1.0, cmax=1.0, cmid=0.0,
                colorbar=dict(title=dict(text="candidate"), len=0.45, y=0.0, yanchor="bottom"),
            )
        )
    reading = "Yellow = gate open (near 1), dark purple = closed (near 0); rows are units, columns time steps."
    if "candidate" in names:
        reading += " Candidate (tanh): red < 0 < blue."
    if not mask.all():
        reading += " Grey columns are padded steps."
    return _finish(
        fig,
        chart="gate_heatmaps",
        title=title or "Gate activations per unit over time",
        reading=reading,
        height=max(320, 60 + 190 * len(names)),
        gates=names,
    )


def gate_saturation(
    gates: Mapping[str, object],
    valid=None,
    *,
    low: float = 0.05,
    high: float = 0.95,
    title: str | None = None,
) -> go.Figure:
    """dict gate name -> [B, T, n] (+ valid [B, T]) -> bars: fraction of valid entries saturated.

    For sigmoid gates in [0, 1] the bars count entries < ``low`` (closed) and > ``high`` (open). The
    same fractions of the range are used for the tanh ``candidate`` in [-1, 1]: < -1 + 2*low and
    > -1 + 2*high. Only valid (unpadded) steps count. y is fixed to 0..1.
    """
    _check_gate_names(gates, "gates")
    if not 0.0 <= low < high <= 1.0:
        raise PlotInputError(f"low and high must satisfy 0 <= low < high <= 1; got low={low}, high={high}")
    arrays = {g: _array(v, f"gates[{g!r}]", 3, "[B, T, n] (batch, time, units)") for g, v in gates.items()}
    shapes = {g: a.shape for g, a in arrays.items()}
    if len({s[:2] for s in shapes.values()}) > 1:
        raise PlotInputError(f"gates must all share [B, T]; got shapes {shapes}")
    batch, time_steps = next(iter(shapes.values()))[:2]
    mask = _mask(valid, "valid", (batch, time_steps), "[B, T] matching the gates' [B, T, n]")
    names = list(arrays)
    closed, opened, counts = [], [], []
    for gate in names:
        lo_end, hi_end = GATE_RANGES[gate]
        span = hi_end - lo_end
        entries = arrays[gate][mask]  # [N_valid, n]
        count = entries.size
        counts.append(count)
        closed.append(float(np.mean(entries < lo_end + low * span)) if count else 0.0)
        opened.append(float(np.mean(entries > lo_end + high * span)) if count else 0.0)
    fig = go.Figure()
    for label, fractions, colour in (
        (f"saturated low (< {low:g} of range, closed)", closed, OKABE_ITO[0]),
        (f"saturated high (> {high:g} of range, open)", opened, OKABE_ITO[1]),
    ):
        fig.add_trace(
            go.Bar(
                x=names,
                y=fractions,
                name=label,
                marker_color=colour,
                customdata=counts,
                text=[f"{100 * f:.1f}%" for f in fractions],
                textposition="outside",
                hovertemplate="%{x}: %{y:.1%} of %{customdata} valid entries<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="gate")
    fig.update_yaxes(title_text="fraction of valid entries (0..1)", range=[0, 1.05], tickformat=".0%")
    reading = (
        "Tall bars mean the gate is mostly stuck fully closed or fully open (little gradient flows "
        "through a saturated sigmoid); only real, unpadded steps are counted."
    )
    return _finish(
        fig,
        chart="gate_saturation",
        title=title or "Gate saturation",
        reading=reading,
        closed=dict(zip(names, closed)),
        open=dict(zip(names, opened)),
    )


# ------------------------------------------------------------------------------ gradients


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


# -------------------------------------------------------------------------------- padding

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


# ------------------------------------------------------------------------------ training


def _history(frame, name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise PlotInputError(f"{name} must be a pandas DataFrame with columns epoch, loss, ...; got {type(frame).__name__}")
    missing = [c for c in ("epoch", "loss") if c not in frame.columns]
    if missing:
        raise PlotInputError(
            f"{name} must have columns 'epoch' and 'loss'; missing {missing}, got columns {list(frame.columns)}"
        )
    return frame.sort_values("epoch")


TIMING_COLUMNS = {"seconds", "elapsed", "time", "batch", "n_batches", "epochs"}


def _metric_columns(frame: pd.DataFrame) -> list[str]:
    """Numeric training metrics other than epoch/loss and bookkeeping (timing, counts), without their val_ twins."""
    skip = {"epoch", "loss", "val_loss"} | TIMING_COLUMNS
    return [
        c for c in frame.columns
        if c not in skip and not str(c).startswith("val_") and pd.api.types.is_numeric_dtype(frame[c])
    ]


def _curve_layout(fig: go.Figure, metric_names: list[str]) -> None:
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="loss (lower is better)", row=1, col=1)
    if metric_names:
        fig.update_yaxes(title_text="metric value", row=1, col=2)


def training_curves(history: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """DataFrame [epochs] with columns epoch, loss, optional val_loss and metrics (+ val_<metric>) -> lines.

    Left panel: loss (solid) and val_loss (dashed); right panel (when there are metric columns):
    each metric solid and its ``val_`` twin dashed in the same colour. Non-numeric columns are ignored.
    """
    frame = _history(history, "history")
    metrics = _metric_columns(frame)
    fig = make_subplots(rows=1, cols=2 if metrics else 1, subplot_titles=["loss", "metrics"] if metrics else ["loss"])
    quantities = [("loss", 1)] + [(m, 2) for m in metrics]
    for i, (column, col) in enumerate(quantities):
        colour = _colour(i)
        for key, dash, suffix in ((column, "solid", "train"), (f"val_{column}", "dash", "validation")):
            if key in frame.columns:
                fig.add_trace(
                    go.Scatter(
                        x=frame["epoch"], y=frame[key], mode="lines+markers", name=key,
                        line=dict(color=colour, dash=dash), marker=dict(size=5),
                        hovertemplate=f"{key} ({suffix})<br>epoch %{{x}}: %{{y:.4g}}<extra></extra>",
                    ),
                    row=1, col=col,
                )
    _curve_layout(fig, metrics)
    reading = "Solid = training, dashed = validation; a gap that widens over epochs is overfitting."
    return _finish(fig, chart="training_curves", title=title or "Training curves", reading=reading, metrics=metrics)


def training_curves_overlay(
    runs: Mapping[str, pd.DataFrame], *, metric: str | None = None, title: str | None = None
) -> go.Figure:
    """dict run name -> DataFrame (epoch, loss, val_loss?, metrics) -> one colour per run, overlaid.

    Left panel: loss (solid) and val_loss (dashed) of every run. Right panel: ``metric`` (default:
    the first metric column shared by all runs, if any) and its ``val_`` twin.
    """
    if not isinstance(runs, Mapping) or not runs:
        raise PlotInputError(f"runs must be a non-empty dict run name -> DataFrame; got {type(runs).__name__}")
    frames = {str(name): _history(frame, f"runs[{name!r}]") for name, frame in runs.items()}
    shared = [m for m in _metric_columns(next(iter(frames.values())))
              if all(m in f.columns for f in frames.values())]
    if metric is None:
        metric = shared[0] if shared else None
    elif any(metric not in f.columns for f in frames.values()):
        raise PlotInputError(f"metric must be a column of every run; got {metric!r}, shared metrics are {shared}")
    fig = make_subplots(rows=1, cols=2 if metric else 1, subplot_titles=["loss", metric] if metric else ["loss"])
    for i, (run, frame) in enumerate(frames.items()):
        colour = _colour(i)
        for column, col in [("loss", 1)] + ([(metric, 2)] if metric else []):
            for key, dash in ((column, "solid"), (f"val_{column}", "dash")):
                if key in frame.columns:
                    fig.add_trace(
                        go.Scatter(
                            x=frame["epoch"], y=frame[key], mode="lines", name=f"{run}: {key}",
                            legendgroup=run, line=dict(color=colour, dash=dash),
                            hovertemplate=f"{run}<br>{key}, epoch %{{x}}: %{{y:.4g}}<extra></extra>",
                        ),
                        row=1, col=col,
                    )
    _curve_layout(fig, [metric] if metric else [])
    reading = "One colour per run; solid = training, dashed = validation. Lower loss and earlier flattening win."
    return _finish(
        fig, chart="training_curves_overlay", title=title or "Training curves of several runs",
        reading=reading, runs=list(frames), metric=metric,
    )


# -------------------------------------------------------------------------- interventions


def intervention_before_after(
    before,
    after,
    start_step: int,
    *,
    units: Sequence[int] | None = None,
    valid=None,
    state_name: str = "h",
    title: str | None = None,
) -> go.Figure:
    """[T, n] (or [T]) states before and after an intervention that starts at ``start_step`` -> lines.

    Per unit: original as a solid line, intervened as a dashed line in the same colour; a vertical
    marker at ``start_step``. ``units`` defaults to the (up to 6) units that change most, unit 0
    when none changes. Padded
    steps (valid [T] False) are left out and covered by a grey band.
    """
    before = _array(before, "before", (1, 2), "[T, n] or [T] (time, units)")
    after = _array(after, "after", (1, 2), "[T, n] or [T] (time, units)")
    if before.shape != after.shape:
        raise PlotInputError(f"after must have the same shape as before {before.shape}; got shape {after.shape}")
    if before.ndim == 1:
        before, after = before[:, None], after[:, None]
    time_steps, n_units = before.shape
    step = _step(start_step, "start_step", time_steps)
    mask = _mask(valid, "valid", (time_steps,), "[T] matching before / after")
    if units is None:  # the (up to 6) units that change most; unit 0 alone when nothing changes
        change = np.abs(np.where(mask[:, None], after - before, 0.0))  # [T, n]
        change = np.nanmax(np.where(np.isfinite(change), change, np.inf), axis=0)  # [n]; NaN/inf count as change
        ranked = [u for u in np.argsort(-change, kind="stable")[:6].tolist() if change[u] > 0]
        chosen = sorted(ranked) or [0]
    else:
        chosen = _units(units, "units", n_units)
    fig = go.Figure()
    for i, unit in enumerate(chosen):
        colour = _colour(i)
        label = f"unit {unit}" if n_units > 1 else state_name
        for values, dash, kind in ((before, "solid", "before"), (after, "dash", "after")):
            fig.add_trace(
                go.Scatter(
                    x=np.arange(time_steps), y=np.where(mask, values[:, unit], np.nan), mode="lines",
                    name=f"{label} {kind}", legendgroup=label, line=dict(color=colour, dash=dash, width=2),
                    hovertemplate=f"{label} {kind}<br>t=%{{x}}<br>{state_name}=%{{y:.3f}}<extra></extra>",
                )
            )
    fig.add_vline(x=step, line=dict(color=HIGHLIGHT, width=2, dash="dot"),
                  annotation_text=f"intervention at t={step}", annotation_position="top right",
                  annotation_font_color=HIGHLIGHT)
    _grey_padded_steps(fig, mask)
    fig.update_xaxes(title_text=TIME_AXIS)
    fig.update_yaxes(title_text=f"{state_name} (unit activation)")
    reading = (
        "Solid = original run, dashed = with the intervention; where the dashed line leaves the solid one "
        "after the dotted marker shows how long the network carries the change."
    )
    return _finish(
        fig, chart="intervention_before_after", title=title or f"Intervention on {state_name}: before vs after",
        reading=reading, units=chosen, start_step=step,
    )
