"""Hidden-state trajectories in a PCA basis: fit the basis (NumPy SVD), project, and draw one line per
sample, coloured by time step, by a label per sample or per step, or by a number (regression target)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from .style import (
    SEQUENTIAL_SCALE,
    TIME_AXIS,
    PlotInputError,
    _array,
    _colour,
    _finish,
    _mask,
    _step,
)

#: Above this many time steps a trajectory plot tangles with many samples: draw TANGLE_SAMPLES by default.
TANGLE_STEPS = 25
TANGLE_SAMPLES = 6
MANY_SAMPLES = 24
#: The longest 'value = class name' list the legend's title shows (longer: the names are in the hover).
LEGEND_MAPPING_CHARS = 40


def default_samples(batch: int, time_steps: int) -> int:
    """B samples of T steps -> how many trajectories to draw by default: at most 6 when T > 25 (more
    tangle into an unreadable knot), else at most 24."""
    return int(min(batch, TANGLE_SAMPLES if time_steps > TANGLE_STEPS else MANY_SAMPLES))


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


def _variance_share(points: np.ndarray, components: np.ndarray) -> np.ndarray:
    """points [N, n], orthonormal components [k, n] -> [k]: the share of the points' own variance (about their
    own mean) along each component; zeros when the points do not vary."""
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) == 0:
        return np.zeros(len(components))
    centred = points - points.mean(axis=0)
    total = float(np.sum(centred**2))
    if total <= 0:
        return np.zeros(len(components))
    return np.sum((centred @ components.T) ** 2, axis=0) / total


def _per_step(values, name: str, batch: int, time_steps: int, expected: str) -> np.ndarray | None:
    """None, [B] or [B, T] -> None or [B, T] (a per-sample value repeated over its steps)."""
    if values is None:
        return None
    values = np.asarray(values)
    if values.shape == (batch,):
        return np.repeat(values[:, None], time_steps, axis=1)
    if values.shape == (batch, time_steps):
        return values
    raise PlotInputError(
        f"{name} must have shape ({batch},) [B] or ({batch}, {time_steps}) [B, T] {expected}; got shape {values.shape}"
    )


def _label_colours(labels: np.ndarray) -> dict:
    """labels (any shape) -> {label value: Okabe-Ito colour}: whole numbers >= 0 get colour number ``label``
    (label 1 is always the second colour, as in the target strips); other labels colours in order of appearance."""
    values = list(dict.fromkeys(labels.ravel().tolist()))
    numeric = all(isinstance(v, (int, float, np.integer, np.floating)) and float(v) == int(v) >= 0 for v in values)
    if numeric:
        return {v: _colour(int(v)) for v in sorted(values)}
    return {v: _colour(i) for i, v in enumerate(values)}


def state_trajectories(
    states,
    valid=None,
    labels=None,
    *,
    targets=None,
    class_names: Sequence[str] | None = None,
    samples: int | None = None,
    dims: int = 2,
    up_to_step: int | None = None,
    basis: PCABasis | None = None,
    basis_of: str | None = None,
    state_name: str = "h",
    title: str | None = None,
) -> go.Figure:
    """[B, T, n] states (+ valid [B, T], labels [B] or [B, T], targets [B] or [B, T]) -> PCA trajectories.

    One line per sample. Colour: by time step (Viridis, fixed 0..T-1) by default; with ``labels`` [B]
    (a class per sample) each trajectory has its label's colour; with ``labels`` [B, T] (a class per
    step, sequence labelling) each point has its step's label's colour on a grey line. Whole-number
    labels k get Okabe-Ito colour k; ``class_names`` names them in the legend's title and hover. With
    ``targets`` [B] or [B, T] (numbers, e.g. regression targets) points are coloured on a continuous
    Viridis scale fixed to the targets' range. Labels and targets are exclusive.

    ``samples`` draws only samples 0..samples-1 while the PCA basis (when not given) and the axes are
    fitted on all B: fewer lines, same space. Padded steps are left out. ``up_to_step`` draws steps
    0..up_to_step only (time-step slider); axes stay fixed to the full data. ``basis`` (from
    :func:`fit_pca`) fixes the projection, e.g. across epochs. The last drawn step of each sample has a
    larger marker.
    """
    states = _array(states, "states", 3, "[B, T, n] (batch, time, units)")
    batch, time_steps, n_units = states.shape
    if dims not in (2, 3):
        raise PlotInputError(f"dims must be 2 or 3; got {dims!r}")
    mask = _mask(valid, "valid", (batch, time_steps), "[B, T] matching states [B, T, n]")
    if labels is not None and targets is not None:
        raise PlotInputError("labels and targets colour the same points: pass one of them; got both")
    per_step_labels = labels is not None and np.ndim(labels) == 2
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape not in ((batch,), (batch, time_steps)):
            raise PlotInputError(
                f"labels must have shape ({batch},) [B] or ({batch}, {time_steps}) [B, T] matching states; "
                f"got shape {labels.shape}"
            )
    colour_values = _per_step(targets, "targets", batch, time_steps, "(numbers) matching states")
    if colour_values is not None:
        colour_values = _array(colour_values, "targets", 2, "[B] or [B, T] numbers")
    if samples is None:
        drawn = batch
    elif isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or not 1 <= samples <= batch:
        raise PlotInputError(f"samples must be an int in [1, B] = [1, {batch}]; got {samples!r}")
    else:
        drawn = int(samples)
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

    # Axis ranges: the fitted data's extent united with all valid points of this call (all B samples).
    lows, highs = basis.coord_min[:dims].copy(), basis.coord_max[:dims].copy()
    if mask.any():
        lows = np.minimum(lows, coords[mask].min(axis=0))
        highs = np.maximum(highs, coords[mask].max(axis=0))
    pad = 0.05 * np.maximum(highs - lows, 1e-9)
    ranges = [[float(lo - p), float(hi + p)] for lo, hi, p in zip(lows, highs, pad)]

    names = {}
    if labels is not None:
        colours = _label_colours(labels[mask] if per_step_labels else labels)  # padded steps' labels left out
        for value in colours:
            known = class_names is not None and isinstance(value, (int, np.integer)) and 0 <= value < len(class_names)
            names[value] = str(class_names[value]) if known else str(value)
    if colour_values is not None:
        finite = colour_values[mask & np.isfinite(colour_values)]
        value_range = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    fig = go.Figure()
    scatter = go.Scatter3d if dims == 3 else go.Scatter
    for b in range(drawn):
        steps = np.flatnonzero(shown[b])
        xyz = coords[b, steps]
        sizes = np.full(len(steps), 4 if dims == 3 else 6)
        if len(steps):
            sizes[-1] = 8 if dims == 3 else 12
        axes = dict(x=xyz[:, 0], y=xyz[:, 1])
        if dims == 3:
            axes["z"] = xyz[:, 2]
        hover = f"sample {b}<br>t=%{{customdata}}<extra></extra>"
        grey_line = dict(color="rgba(120, 120, 120, 0.5)", width=1.5)
        common = dict(**axes, mode="lines+markers", customdata=steps)
        if labels is not None and not per_step_labels:
            colour = colours[labels[b].item()]
            trace = scatter(
                **common,
                name=f"label {names[labels[b].item()]}",
                legendgroup=f"label {labels[b]}",
                showlegend=not any(labels[:b] == labels[b]),
                line=dict(color=colour, width=2),
                marker=dict(color=colour, size=sizes),
                hovertemplate=f"label {names[labels[b].item()]}<br>" + hover,
            )
        elif labels is not None:
            step_labels = labels[b, steps].tolist()
            trace = scatter(
                **common, name=f"sample {b}", showlegend=False, line=grey_line,
                marker=dict(color=[colours[v] for v in step_labels], size=sizes),
                text=[names[v] for v in step_labels],
                hovertemplate=f"sample {b}<br>t=%{{customdata}}<br>label %{{text}}<extra></extra>",
            )
        elif colour_values is not None:
            trace = scatter(
                **common, name=f"sample {b}", showlegend=False, line=grey_line,
                marker=dict(
                    color=colour_values[b, steps], colorscale=SEQUENTIAL_SCALE, cmin=value_range[0],
                    cmax=value_range[1], size=sizes, showscale=b == 0,
                    colorbar=dict(title=dict(text="target")) if b == 0 else None,
                ),
                hovertemplate=f"sample {b}<br>t=%{{customdata}}<br>target=%{{marker.color:.3g}}<extra></extra>",
            )
        else:
            trace = scatter(
                **common,
                name=f"sample {b}",
                line=grey_line,
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
        fig.add_trace(trace)
    if per_step_labels:  # one legend entry per label (a marker of its colour), after the samples' traces
        for value, colour in colours.items():
            empty = dict(x=[None], y=[None], **({"z": [None]} if dims == 3 else {}))
            fig.add_trace(scatter(**empty, mode="markers", name=f"label {names[value]}", legendgroup=f"label {value}",
                                  marker=dict(color=colour, size=10), showlegend=True, hoverinfo="skip",
                                  meta={"legend_only": True}))
    if names:  # a row under the plot: a legend beside it squeezes the plot on a projector's large type
        fig.update_layout(legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.01, x=0),
                          margin=dict(b=90))
    if names and class_names is not None:
        mapping = ", ".join(f"{v} = {n}" for v, n in names.items() if str(v) != n)
        # a long mapping (nine speakers) would widen the legend until it squeezes the plot: the entries name them
        fig.update_layout(legend_title_text=f"label: {mapping}" if mapping and len(mapping) <= LEGEND_MAPPING_CHARS
                          else "label")

    ratio = basis.explained_variance_ratio[:dims]
    shown_ratio = _variance_share(states[mask], basis.components[:dims])  # [dims]
    own = basis_of is None and np.allclose(shown_ratio, ratio, rtol=1e-6, atol=1e-9)  # fitted on these states
    if own:
        axis_names = [f"PC{i + 1} ({100 * ratio[i]:.1f}% of variance)" for i in range(dims)]
    else:
        of, whose = (basis_of, "its variance") if basis_of is not None else ("the given basis", "its data's variance")
        axis_names = [f"PC{i + 1} of {of} ({100 * ratio[i]:.1f}% of {whose})" for i in range(dims)]
    if dims == 3:
        fig.update_layout(
            scene=dict(
                xaxis=dict(title=dict(text=axis_names[0]), range=ranges[0]),
                yaxis=dict(title=dict(text=axis_names[1]), range=ranges[1]),
                zaxis=dict(title=dict(text=axis_names[2]), range=ranges[2]),
            )
        )
    else:
        fig.update_xaxes(title_text=axis_names[0], range=ranges[0])
        fig.update_yaxes(title_text=axis_names[1], range=ranges[1])
    if per_step_labels:
        colouring, colour_by = "colour = the label of each step", "label per step"
    elif labels is not None:
        colouring, colour_by = "colour = label", "label"
    elif colour_values is not None:
        colouring, colour_by = "colour = target value (dark low, yellow high)", "target"
    else:
        colouring, colour_by = "colour = time step (dark early, yellow late)", "time"
    reading = (
        f"Each line is one sample's {state_name} moving through state space, projected on the top "
        f"principal components; {colouring}; the big marker is the last step drawn."
    )
    if not own:
        reading += (
            f" The axes are the principal components of {basis_of or 'another set of states'}, not of these: "
            f"they carry {' and '.join(f'{100 * r:.1f}%' for r in shown_ratio)} of these states' variance."
        )
    if drawn < batch:
        fitted = "the axes fit all" if own else "the axis ranges cover all"
        reading += f" {drawn} of {batch} samples drawn; {fitted} {batch}."
    return _finish(
        fig,
        chart="state_trajectories",
        title=title or f"Trajectories of {state_name} in PCA space (steps 0..{last_step})",
        reading=reading,
        explained_variance_ratio=ratio.tolist(),
        variance_shown=shown_ratio.tolist(),
        basis_of=basis_of if basis_of is not None else ("these states" if own else "the given basis"),
        up_to_step=last_step,
        samples_drawn=drawn,
        colour_by=colour_by,
    )
