"""Padding: which steps are real, zero or padded, and dynamic=True vs dynamic=False step by step."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .style import (
    DIVERGING_SCALE,
    HIGHLIGHT,
    OKABE_ITO,
    PADDING_GREY,
    SAMPLE_AXIS,
    TIME_AXIS,
    UNIT_AXIS,
    PlotInputError,
    _array,
    _finish,
    _grey_padded_steps,
    _invalid_runs,
    _mask,
    _signed_range,
    _step,
)

PADDING_CATEGORIES = ("real step", "all-zero step inside the sequence", "padding (all zero, outside)")
_PADDING_COLOURS = (OKABE_ITO[0], OKABE_ITO[1], "#D9D9D9")
_READING_SYMBOLS = ("line-ns", "triangle-down", "triangle-up", "diamond", "x-thin", "cross", "star", "square")
_READING_COLOURS = ("#000000", HIGHLIGHT, OKABE_ITO[2], OKABE_ITO[4], OKABE_ITO[5], OKABE_ITO[6])


def padding_grid(x, lengths: Mapping[str, object], *, real_steps=None, sample_names=None,
                 title: str | None = None) -> go.Figure:
    """[B, T, D] inputs + dict reading name -> [B] lengths or [B, 2] step ranges -> B x T grid of real / zero /
    padding steps.

    Cell categories from the data alone: 0 = real (some feature non-zero), 1 = all-zero step with
    real steps on both sides, 2 = all-zero step before the first or after the last real step
    (padding, light grey). A reading given as [B] lengths L (e.g. 'TFLearn', 'first zero': steps 0..L-1)
    is one marker where it says the sequence ends (between step L-1 and L). A reading given as [B, 2]
    (start, stop) ranges (e.g. the true real steps of pre-padded data, start..stop-1) is a bracket: a marker
    where the steps start (between start-1 and start) and one where they end, joined by a line. Rows where
    the readings cover different steps get a vermillion frame and a "≠" in the tick label.
    ``real_steps``: the true real steps when known ([B] lengths, steps 0..L-1, or [B, 2] (start, stop) ranges,
    e.g. the rows a CSV has): an all-zero step inside them is a real all-zero step (1), not padding, even at the
    start or end of the sequence; an all-zero step outside is padding (2). Without it the data alone decide.
    ``sample_names``: [B] names for the hover (e.g. the sequences' ids in the user's file).
    ``layout.meta['readings']``: reading name -> [[start, stop], ...] per row; ``layout.meta['real_steps']``:
    the true real steps as [[start, stop], ...] (None when not given).
    """
    x = _array(x, "x", 3, "[B, T, D] (batch, time, features)")
    batch, time_steps, _ = x.shape
    if not isinstance(lengths, Mapping):
        raise PlotInputError(f"lengths must be a dict reading name -> [B] lengths or [B, 2] ranges; "
                             f"got {type(lengths).__name__}")
    readings: dict[str, np.ndarray] = {}  # name -> [B, 2] (start, stop)
    ranged: set[str] = set()
    for name, value in lengths.items():
        array = np.asarray(value)
        if array.shape not in ((batch,), (batch, 2)):
            raise PlotInputError(f"lengths[{name!r}] must have shape ({batch},) [B] or ({batch}, 2) [B, 2] "
                                 f"matching x; got shape {array.shape}")
        if not np.issubdtype(array.dtype, np.number) or np.any(array < 0) or np.any(array > time_steps):
            raise PlotInputError(f"lengths[{name!r}] must be ints in [0, {time_steps}]; got {array.tolist()}")
        array = array.astype(np.int64)
        if array.ndim == 2:
            if np.any(array[:, 0] > array[:, 1]):
                raise PlotInputError(f"lengths[{name!r}] ranges must be (start, stop) with start <= stop; "
                                     f"got {array.tolist()}")
            ranged.add(str(name))
        else:
            array = np.stack([np.zeros_like(array), array], axis=1)
        readings[str(name)] = array

    nonzero = np.abs(x).max(axis=2) > 0  # [B, T]
    if real_steps is None:  # the data alone: zeros between non-zero steps are inside, the others padding
        seen_before = np.cumsum(nonzero, axis=1) > 0  # a real step at or before t
        seen_after = np.cumsum(nonzero[:, ::-1], axis=1)[:, ::-1] > 0  # a real step at or after t
        inside = seen_before & seen_after  # [B, T]
    else:
        real_steps = _real_step_ranges(real_steps, batch, time_steps)  # [B, 2] (start, stop)
        t = np.arange(time_steps)[None, :]  # [1, T]
        inside = (t >= real_steps[:, :1]) & (t < real_steps[:, 1:])  # [B, T]: the true real steps
    category = np.where(nonzero, 0, np.where(inside, 1, 2))  # [B, T]
    if sample_names is None:
        names = np.array([str(b) for b in range(batch)], dtype=object)
    else:
        names = np.array([str(n) for n in np.asarray(sample_names, dtype=object).reshape(-1)], dtype=object)
        if names.shape != (batch,):
            raise PlotInputError(f"sample_names must name the B={batch} rows of x; got {names.size} names")
        names = np.array([str(b) if n == str(b) else f"{b} ({n})" for b, n in enumerate(names)], dtype=object)
    if readings:
        stacked = np.stack(list(readings.values()))  # [R, B, 2]
        disagree = (stacked != stacked[0]).any(axis=(0, 2))  # [B]
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
            customdata=np.stack([np.array(PADDING_CATEGORIES, dtype=object)[category],
                                 np.repeat(names[:, None], time_steps, axis=1)], axis=-1),  # [B, T, 2]
            hovertemplate="sample %{customdata[1]}, t=%{x}: %{customdata[0]}<extra></extra>",
            name="steps",
        )
    )
    n_readings = max(len(readings), 1)
    for i, (name, array) in enumerate(readings.items()):
        offset = 0.0 if n_readings == 1 else -0.25 + 0.5 * i / (n_readings - 1)
        colour = _READING_COLOURS[i % len(_READING_COLOURS)]
        marker = dict(symbol=_READING_SYMBOLS[i % len(_READING_SYMBOLS)], color=colour, size=11,
                      line=dict(width=2, color=colour))
        rows = np.arange(batch) + offset
        if name in ranged:  # a bracket per row: start | ---- | stop, with None between rows
            bounds = array - 0.5  # [B, 2]: the edges between steps
            gaps = np.full((batch, 1), None, dtype=object)
            text = np.array([f"{name}: steps {s}..{e - 1} ({e - s} steps)" if e > s else f"{name}: no step"
                             for s, e in array], dtype=object)[:, None]
            trace = go.Scatter(
                x=np.hstack([bounds.astype(object), gaps]).ravel(),
                y=np.hstack([np.repeat(rows[:, None], 2, axis=1).astype(object), gaps]).ravel(),
                mode="lines+markers", name=f"{name} steps (start | end)", marker=marker,
                line=dict(color=colour, width=1.5), text=np.hstack([text, text, gaps]).ravel(),
                hovertemplate="%{text}<extra></extra>",
            )
        else:
            trace = go.Scatter(
                x=array[:, 1] - 0.5, y=rows, mode="markers", name=f"{name} length ends", marker=marker,
                customdata=array[:, 1], hovertemplate=f"{name}: length %{{customdata}}<extra></extra>",
            )
        fig.add_trace(trace)
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
        ("Blue = real step, orange = all-zero step inside the sequence (the true lengths say it is real), "
         "grey = padding" if real_steps is not None else
         "Blue = real step, orange = all-zero step inside the data, grey = padding")
        + "; each marker is where "
        "one reading of the length stops"
        + (" (a bracket |—| spans the steps a reading says are real)" if ranged else "")
        + ". Framed rows (≠) are samples where the readings disagree."
    )
    return _finish(
        fig,
        chart="padding_grid",
        title=title or "Where each sequence really ends",
        reading=reading,
        height=max(340, 230 + 24 * batch),
        disagree=np.flatnonzero(disagree).tolist(),
        readings={name: array.tolist() for name, array in readings.items()},
        real_steps=None if real_steps is None else real_steps.tolist(),
    )


def _real_step_ranges(real_steps, batch: int, time_steps: int) -> np.ndarray:
    """[B] lengths or [B, 2] (start, stop) ranges -> [B, 2] int64 (start, stop), checked against x [B, T, D]."""
    array = np.asarray(real_steps)
    if array.shape not in ((batch,), (batch, 2)) or not np.issubdtype(array.dtype, np.number):
        raise PlotInputError(f"real_steps must be [B] = ({batch},) lengths or [B, 2] = ({batch}, 2) (start, stop) "
                             f"ranges matching x; got shape {array.shape}")
    array = array.astype(np.int64)
    if array.ndim == 1:
        array = np.stack([np.zeros_like(array), array], axis=1)
    if np.any(array < 0) or np.any(array > time_steps) or np.any(array[:, 0] > array[:, 1]):
        raise PlotInputError(f"real_steps must be (start, stop) with 0 <= start <= stop <= {time_steps}; "
                             f"got {array.tolist() if batch <= 20 else 'values outside'}")
    return array


def dynamic_comparison(
    output_dynamic,
    output_static,
    valid=None,
    *,
    computed=None,
    returned_step_dynamic: int | None = None,
    returned_step_static: int | None = None,
    value_range: tuple[float, float] | None = None,
    value_name: str = "output",
    title: str | None = None,
) -> go.Figure:
    """[T, n] outputs of one sample with dynamic=True and dynamic=False (+ valid [T], computed [T]) -> two heatmaps.

    ``value_name`` labels the values (colour bar, hover): 'output', 'h', 'c', ...

    Units on y, time on x, one shared diverging colour axis centred at 0. ``valid`` is True on the sample's
    real steps: the padded steps (False; the leading zeros of pre-padded data) are dimmed by a grey veil on
    both sides but kept visible, since what the layer writes there is the point of the comparison.
    ``computed`` (default: ``valid``) is True on the steps the dynamic=True layer computes (t < its length);
    real steps it never computes get a dotted frame on the left. A vermillion frame marks the step that
    ``return_seq=False`` returns: ``returned_step_dynamic`` (default: the last computed step, length-1; -1:
    none, the layer returns zeros) and ``returned_step_static`` (default T-1).
    """
    on = _array(output_dynamic, "output_dynamic", 2, "[T, n] (time, units)")
    off = _array(output_static, "output_static", 2, "[T, n] (time, units)")
    if on.shape != off.shape:
        raise PlotInputError(
            f"output_static must have the same shape as output_dynamic {on.shape}; got shape {off.shape}"
        )
    time_steps, n_units = on.shape
    mask = _mask(valid, "valid", (time_steps,), "[T] matching the outputs [T, n]")
    done = mask if computed is None else _mask(computed, "computed", (time_steps,), "[T] matching the outputs [T, n]")
    if returned_step_dynamic is None:
        returned_step_dynamic = max(int(done.sum()) - 1, 0)
    step_on = -1 if returned_step_dynamic == -1 else _step(returned_step_dynamic, "returned_step_dynamic", time_steps)
    step_off = _step(time_steps - 1 if returned_step_static is None else returned_step_static,
                     "returned_step_static", time_steps)
    skipped = mask & ~done  # real steps the dynamic layer never computes
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
        if col == 1:
            for first, last in _invalid_runs(~skipped):
                fig.add_shape(
                    type="rect", x0=first - 0.5, x1=last + 0.5, y0=-0.5, y1=n_units - 0.5, name="not computed",
                    line=dict(color=PADDING_GREY, width=2, dash="dot"), fillcolor="rgba(0,0,0,0)", layer="above",
                    row=1, col=col,
                )
                fig.add_annotation(x=(first + last) / 2, y=-0.5, yshift=-4, yanchor="top", showarrow=False,
                                   text="real, not computed", font=dict(color=PADDING_GREY, size=11), row=1, col=col)
        if step < 0:
            fig.add_annotation(x=-0.5, y=n_units - 0.5, xanchor="left", text="return_seq=False returns zeros (length 0)",
                               showarrow=False, yshift=14, font=dict(color=HIGHLIGHT), row=1, col=col)
            continue
        fig.add_shape(
            type="rect", x0=step - 0.5, x1=step + 0.5, y0=-0.5, y1=n_units - 0.5,
            line=dict(color=HIGHLIGHT, width=3), layer="above", row=1, col=col,
        )
        where = "" if mask[step] else " (a padded step)"
        fig.add_annotation(  # the text leans into the panel, so it neither widens the axis nor leaves the panel
            x=step, y=n_units - 0.5, text=f"return_seq=False returns t={step}{where}", showarrow=True,
            # the right panel's label one line higher: a long one leaning left must not cover the left panel's
            arrowhead=2, ax=0, ay=-28 - 22 * (col - 1), xanchor="left" if step < time_steps / 2 else "right",
            font=dict(color=HIGHLIGHT), row=1, col=col,
        )
    for col in (1, 2):
        fig.update_xaxes(title_text=TIME_AXIS, range=[-0.5, time_steps - 0.5], showgrid=False, zeroline=False,
                         row=1, col=col)
    fig.update_yaxes(showgrid=False, zeroline=False)
    fig.update_yaxes(title_text=UNIT_AXIS, row=1, col=1)
    fig.update_layout(
        coloraxis=dict(colorscale=DIVERGING_SCALE, cmin=low, cmax=high, cmid=0.0 if low < 0 < high else None,
                       colorbar=dict(title=dict(text=value_name))),
    )
    reading = (
        "Left: the layer told where each sequence ends; right: it runs over the padding too. The framed "
        "column is the single output return_seq=False gives; grey veils cover padded steps"
        + ("; dotted frames mark real steps dynamic=True never computes (its output there is 0)."
           if skipped.any() else ".")
    )
    return _finish(
        fig,
        chart="dynamic_comparison",
        title=title or "Step by step: dynamic=True vs dynamic=False",
        reading=reading,
        returned_steps={"dynamic": step_on, "static": step_off},
        padded_steps=np.flatnonzero(~mask).tolist(),
        not_computed_steps=np.flatnonzero(skipped).tolist(),
    )
