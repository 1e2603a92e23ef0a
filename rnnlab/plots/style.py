"""Shared look and input checks of every plot: PlotInputError, colour scales and palettes, axis labels,
gate ranges, how_to_read, and the helpers that validate arrays and finish a figure."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go


class PlotInputError(ValueError):
    """An argument given to a plotting function has the wrong shape, range or name."""


# ----------------------------------------------------------------------------- style

#: Okabe & Ito (2008) categorical palette: distinguishable under the common colour-vision deficiencies.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
#: The colours of categories, in order: Okabe-Ito, then Paul Tol's "muted" scheme (also made for colour-blind
#: readers), so up to 17 classes (the 9 speakers of Japanese Vowels, say) get distinct colours before any repeats.
CATEGORICAL = OKABE_ITO + ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
                           "#AA4499")
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
        colorway=list(CATEGORICAL),
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
    """Category i's colour (CATEGORICAL, repeating after 17)."""
    return CATEGORICAL[i % len(CATEGORICAL)]


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"
