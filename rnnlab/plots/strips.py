"""Input and target strips: one sample's inputs [T, D] and per-step targets [T] / [T, k] drawn as thin
heatmaps above a chart over time, on the same time axis, so the eye finds where the pulses are.

The chart functions (state_heatmap, gate_heatmaps, gradient_norms, ...) take ``inputs`` / ``targets`` and
call :func:`make_strips`, :func:`strip_figure` and :func:`add_strips`; without them nothing changes.
Strip rows sit on top, the chart's own rows below; rows are numbered from the bottom, so the chart keeps
the axis names it has without strips (``x``/``y``). Strip traces are added last to ``fig.data`` and carry
``meta={"strip": "input" | "target"}`` so they are easy to tell from the chart's own traces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .style import (
    DIVERGING_SCALE,
    OKABE_ITO,
    PADDING_BAND,
    SEQUENTIAL_SCALE,
    PlotInputError,
    _array,
    _invalid_runs,
    _signed_range,
)

#: Okabe-Ito colours in words, for the how-to-read line of a class strip (same order as OKABE_ITO).
COLOUR_WORDS = ("blue", "orange", "green", "vermillion", "purple", "sky blue", "yellow", "black")
ROW_PX, MIN_STRIP_PX, MAX_STRIP_PX, GAP_PX, TITLED_GAP_PX = 22, 34, 220, 14, 40


@dataclass(frozen=True, eq=False)
class Strip:
    """One strip: ``z`` [r, T] (NaN on padded steps), its row labels [r], and for a class strip
    (a label per step) the class names [n_classes] (``z`` holds class indices)."""

    kind: str  # "input" | "target"
    z: np.ndarray
    rows: tuple[str, ...]
    classes: tuple[str, ...] = ()
    low: float = -1.0
    high: float = 1.0

    @property
    def px(self) -> int:
        return int(min(MAX_STRIP_PX, max(MIN_STRIP_PX, ROW_PX * len(self.rows))))


def _fit_time(array: np.ndarray, name: str, time_steps: int, expected: str) -> np.ndarray:
    """[T_in, r] with T_in <= T -> [T, r], steps after T_in NaN (a sample's valid steps only is fine)."""
    if array.shape[0] > time_steps:
        raise PlotInputError(
            f"{name} must have at most T={time_steps} steps {expected}, the chart's time steps; got shape {array.shape}"
        )
    if array.shape[0] < time_steps:
        array = np.concatenate([array, np.full((time_steps - array.shape[0], array.shape[1]), np.nan)])
    return array


def _names(names, count: int, name: str, default: list[str]) -> tuple[str, ...]:
    if names is None or len(names) == 0:
        return tuple(default)
    names = [str(n) for n in names]
    if len(names) != count:
        raise PlotInputError(f"{name} must name each of the {count} rows; got {len(names)} names {names}")
    unique = []
    for i, n in enumerate(names):  # a categorical axis merges equal names: keep every row apart
        unique.append(n if n not in unique else f"{n} ({i})")
    return tuple(unique)


def make_strips(
    inputs,
    targets,
    time_steps: int,
    mask: np.ndarray,
    *,
    feature_names: Sequence[str] | None = None,
    target_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
) -> list[Strip]:
    """inputs [T, D] (or [T]), targets [T] class labels or [T, k] numbers, mask [T] -> the strips to draw.

    Fewer than T steps (a sample's valid steps only) are allowed: the missing steps are blank. Steps where
    ``mask`` is False are NaN (drawn as padding). A 1-D target of whole numbers >= 0 is a class label per
    step (one Okabe-Ito colour per class, ``class_names`` name them); anything else is numbers (RdBu).
    """
    strips = []
    if inputs is not None:
        x = _array(inputs, "inputs", (1, 2), "[T, D] (time, input features) of one sample")
        x = _fit_time(x[:, None] if x.ndim == 1 else x, "inputs", time_steps, "[T, D]")
        x = np.where(mask[:, None], x, np.nan)
        d = x.shape[1]
        rows = _names(feature_names, d, "feature_names", ["x"] if d == 1 else [f"x[{i}]" for i in range(d)])
        low, high = _signed_range(x, None)
        strips.append(Strip("input", x.T, rows, low=low, high=high))
    if targets is not None:
        y = _array(targets, "targets", (1, 2), "[T] (a class per step) or [T, k] (numbers per step)")
        finite = y[np.isfinite(y)]
        is_classes = y.ndim == 1 and finite.size and (finite >= 0).all() and (finite == np.round(finite)).all()
        y = _fit_time(y[:, None] if y.ndim == 1 else y, "targets", time_steps, "[T] or [T, k]")
        y = np.where(mask[:, None], y, np.nan)
        if is_classes:
            n_classes = max(int(finite.max()) + 1, len(class_names or ()))
            classes = tuple(str(c) for c in class_names) if class_names is not None and len(class_names) else ()
            classes = classes + tuple(str(i) for i in range(len(classes), n_classes))
            rows = _names(target_names, 1, "target_names", ["target"])
            strips.append(Strip("target", y.T, rows, classes=classes, low=-0.5, high=n_classes - 0.5))
        else:
            k = y.shape[1]
            rows = _names(target_names, k, "target_names", ["target"] if k == 1 else [f"target[{i}]" for i in range(k)])
            low, high = _signed_range(y, None)
            strips.append(Strip("target", y.T, rows, low=low, high=high))
    return strips


@dataclass(frozen=True)
class Rows:
    """Row numbers of a strip figure, each list top to bottom: the strips', then the chart's own."""

    strips: tuple[int, ...]
    main: tuple[int, ...]


def strip_figure(
    strips: list[Strip],
    main_px: Sequence[int],
    *,
    cols: int = 1,
    subplot_titles: Sequence[str] | None = None,
    column_titles: Sequence[str] | None = None,
    shared_yaxes: bool = False,
    horizontal_spacing: float | None = None,
) -> tuple[go.Figure, Rows]:
    """strips, main row heights [rows] in px (top to bottom) -> (figure with the strip rows on top, all
    sharing the time axis, and the Rows to draw in).

    Rows are numbered from the bottom, so the chart's own bottom row keeps the axis names it has without
    strips (``x``/``y``, ``x2``/``y2`` in a second column). ``subplot_titles`` [main rows * cols, top to
    bottom] title the chart's own subplots; ``column_titles`` [cols] go on top of each column instead
    (above the strips). The figure's height is set so that every row keeps its pixel height.
    """
    n_main, n_strips = len(main_px), len(strips)
    heights = [int(h) for h in reversed(main_px)] + [s.px for s in reversed(strips)]  # bottom to top
    gap = GAP_PX if subplot_titles is None else TITLED_GAP_PX  # room for each subplot's title
    area = sum(heights) + gap * (len(heights) - 1)
    titles = None
    if subplot_titles is not None:  # row 1 (bottom) first
        by_row = [list(subplot_titles[i * cols : (i + 1) * cols]) for i in range(n_main)]
        titles = [t for row in reversed(by_row) for t in row] + [""] * (n_strips * cols)
    elif column_titles is not None:
        titles = [""] * ((len(heights) - 1) * cols) + list(column_titles)
    extra = {} if horizontal_spacing is None else {"horizontal_spacing": horizontal_spacing}
    fig = make_subplots(
        rows=len(heights), cols=cols, shared_xaxes=True, shared_yaxes=shared_yaxes, start_cell="bottom-left",
        row_heights=[h / sum(heights) for h in heights], vertical_spacing=gap / area,
        subplot_titles=titles, **extra,
    )
    fig.update_layout(height=int(area + 175))
    rows = Rows(strips=tuple(range(n_main + n_strips, n_main, -1)), main=tuple(range(n_main, 0, -1)))
    return fig, rows


def main_domain(fig: go.Figure, rows: Rows) -> tuple[float, float]:
    """(bottom, top) in paper fractions of the chart's own rows (column 1), for colour bars."""
    return float(fig.get_subplot(rows.main[-1], 1).yaxis.domain[0]), float(fig.get_subplot(rows.main[0], 1).yaxis.domain[1])


def _colour_scale(strip: Strip):
    n = len(strip.classes)
    if not n:
        return DIVERGING_SCALE
    if n > len(OKABE_ITO):
        return SEQUENTIAL_SCALE
    scale = []
    for i in range(n):  # class i owns the band [i/n, (i+1)/n] of the scale: one flat colour
        scale += [[i / n, OKABE_ITO[i]], [(i + 1) / n, OKABE_ITO[i]]]
    return scale


def add_strips(fig: go.Figure, strips: list[Strip], rows: Rows | None, *, col: int = 1,
               grey_padding: bool = False) -> None:
    """Draw the strips in their rows of column ``col``: rows labelled by feature / target names, y title
    'input' / 'target'. ``grey_padding`` adds grey bands over blank steps (charts without a grey background)."""
    if not strips:
        return
    for row, strip in zip(rows.strips, strips):
        time_steps = strip.z.shape[1]
        trace = dict(
            z=strip.z, x=np.arange(time_steps), y=list(strip.rows), colorscale=_colour_scale(strip),
            zmin=strip.low, zmax=strip.high, showscale=False, name=f"{strip.kind} strip",
            meta={"strip": strip.kind}, hoverongaps=False,
        )
        if strip.classes:
            names = np.array(strip.classes, dtype=object)
            index = np.nan_to_num(strip.z, nan=0).astype(int).clip(0, len(names) - 1)
            trace["customdata"] = np.where(np.isfinite(strip.z), names[index], "")
            trace["hovertemplate"] = f"{strip.kind} %{{y}}<br>t=%{{x}}<br>class %{{customdata}}<extra></extra>"
        else:
            trace["zmid"] = 0.0 if strip.low < 0 < strip.high else None
            trace["hovertemplate"] = f"{strip.kind} %{{y}}<br>t=%{{x}}<br>value=%{{z:.3f}}<extra></extra>"
        fig.add_trace(go.Heatmap(**trace), row=row, col=col)
        fig.update_yaxes(
            title_text=strip.kind if col == 1 else None, title_font_size=12, title_standoff=4, autorange="reversed",
            showgrid=False, zeroline=False, automargin=True, tickfont_size=11, showticklabels=col == 1,
            row=row, col=col,
        )
        fig.update_xaxes(showgrid=False, zeroline=False, row=row, col=col)
        if grey_padding:
            blank = np.isnan(strip.z).all(axis=0)
            for first, last in _invalid_runs(~blank):
                fig.add_vrect(x0=first - 0.5, x1=last + 0.5, fillcolor=PADDING_BAND, line_width=0, layer="above",
                              row=row, col=col)


def strips_reading(strips: list[Strip]) -> str:
    """The how-to-read sentence for the strips (empty without strips)."""
    if not strips:
        return ""
    parts = []
    for strip in strips:
        if strip.classes and len(strip.classes) <= len(OKABE_ITO):
            legend = ", ".join(f"{COLOUR_WORDS[i]} = {name}" for i, name in enumerate(strip.classes))
            parts.append(f"{strip.kind} ({legend})")
        else:
            parts.append(f"{strip.kind} (red < 0 < blue)")
    return f" The strip{'s' if len(strips) > 1 else ''} on top: this sample's {' and '.join(parts)}, same time steps."


def strips_meta(strips: list[Strip]) -> dict:
    """{'strips': {kind: row labels}} for fig.layout.meta."""
    return {"strips": {s.kind: list(s.rows) for s in strips}} if strips else {}
