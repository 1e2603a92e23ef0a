"""Gate activations: per-gate heatmaps, saturation bars, and states before / after an intervention."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import strips as strip_rows
from .style import (
    DIVERGING_SCALE,
    GATE_RANGES,
    HIGHLIGHT,
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
    _step,
    _units,
)


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


def gate_heatmaps(
    gates: Mapping[str, object],
    valid=None,
    *,
    title: str | None = None,
    inputs=None,
    targets=None,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
) -> go.Figure:
    """dict gate name -> [T, n] activations of one sample (+ valid [T], inputs [T, D], targets [T] or [T, k])
    -> one heatmap per gate.

    Subplots share the time axis. Sigmoid gates (input, forget, output, reset, update) use Viridis
    with a fixed 0..1 range; the tanh ``candidate`` uses RdBu with a fixed -1..1 range centred at 0.
    Units on y, time on x; padded steps are NaN over a grey background. ``inputs`` (named by
    ``feature_names``) and per-step ``targets`` (classes named by ``class_names``) are drawn as strips
    above the gates on the same time axis (see :mod:`.strips`); the gates stay ``fig.data[:len(gates)]``.
    """
    _check_gate_names(gates, "gates")
    arrays = {g: _array(v, f"gates[{g!r}]", 2, "[T, n] (time, units)") for g, v in gates.items()}
    shapes = {g: a.shape for g, a in arrays.items()}
    if len(set(shapes.values())) > 1:
        raise PlotInputError(f"gates must all have the same shape [T, n]; got shapes {shapes}")
    time_steps, n_units = next(iter(arrays.values())).shape
    mask = _mask(valid, "valid", (time_steps,), "[T] matching the gates' [T, n]")
    strips = strip_rows.make_strips(inputs, targets, time_steps, mask, feature_names=feature_names,
                                    class_names=class_names)
    names = list(arrays)
    titles = [f"{g} gate" if g != "candidate" else "candidate (tanh)" for g in names]
    rows = None
    if strips:
        fig, rows = strip_rows.strip_figure(strips, [190] * len(names), subplot_titles=titles)
        gate_rows = rows.main
    else:
        fig = make_subplots(
            rows=len(names),
            cols=1,
            shared_xaxes=True,
            vertical_spacing=min(0.08, 0.3 / len(names)),
            subplot_titles=titles,
        )
        gate_rows = tuple(range(1, len(names) + 1))
    for row, gate in zip(gate_rows, names):
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
    fig.update_xaxes(title_text=TIME_AXIS, row=gate_rows[-1], col=1)
    strip_rows.add_strips(fig, strips, rows)
    bottom, top = strip_rows.main_domain(fig, rows) if strips else (0.0, 1.0)
    span = top - bottom
    fig.update_layout(
        plot_bgcolor=PADDING_GREY,
        coloraxis=dict(
            colorscale=SEQUENTIAL_SCALE, cmin=0.0, cmax=1.0,
            colorbar=dict(title=dict(text="gate (0..1)"), len=0.45 * span, y=top, yanchor="top"),
        ),
    )
    if "candidate" in names:
        fig.update_layout(
            coloraxis2=dict(
                colorscale=DIVERGING_SCALE, cmin=-1.0, cmax=1.0, cmid=0.0,
                colorbar=dict(title=dict(text="candidate"), len=0.45 * span, y=bottom, yanchor="bottom"),
            )
        )
    reading = "Yellow = gate open (near 1), dark purple = closed (near 0); rows are units, columns time steps."
    if "candidate" in names:
        reading += " Candidate (tanh): red < 0 < blue."
    if not mask.all():
        reading += " Grey columns are padded steps."
    reading += strip_rows.strips_reading(strips)
    height = max(320, 60 + 190 * len(names))
    return _finish(
        fig,
        chart="gate_heatmaps",
        title=title or "Gate activations per unit over time",
        reading=reading,
        height=fig.layout.height if strips else height,
        gates=names,
        **strip_rows.strips_meta(strips),
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


# -------------------------------------------------------------------------- interventions


def _most_changed(before: np.ndarray, after: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """[T, n] before / after, valid [T] -> [n] the largest |after - before| over valid steps (NaN / inf count)."""
    change = np.abs(np.where(mask[:, None], after - before, 0.0))  # [T, n]
    return np.nanmax(np.where(np.isfinite(change), change, np.inf), axis=0)  # [n]


def _column_names(names, n_units: int, state_name: str) -> list[str]:
    if names is None or len(names) == 0:
        return [f"unit {u}" for u in range(n_units)] if n_units > 1 else [state_name]
    names = [str(n) for n in names]
    if len(names) != n_units:
        raise PlotInputError(f"names must name each of the {n_units} columns of before / after; got {len(names)} "
                             f"names {names}")
    return names


def intervention_before_after(
    before,
    after,
    start_step: int,
    *,
    units: Sequence[int] | None = None,
    also_changed: int = 0,
    names: Sequence[str] | None = None,
    noun: str = "unit",
    valid=None,
    state_name: str = "h",
    title: str | None = None,
    inputs=None,
    targets=None,
    feature_names: Sequence[str] | None = None,
    target_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
) -> go.Figure:
    """[T, n] (or [T]) states before and after an intervention that starts at ``start_step`` -> lines.

    Per column: original as a solid line, intervened as a dashed line in the same colour; a vertical
    marker at ``start_step``. Padded steps (valid [T] False) are left out and covered by a grey band.

    Which columns: ``units`` (the ones the intervention chose), then up to ``also_changed`` others that
    change most, each named "... (knock-on)" in the legend and listed in the how-to-read line. Without
    ``units``: the (up to 6) columns that change most, and the how-to-read line says so (column 0 when
    nothing changes). ``names`` [n] name the columns (default "unit i"; e.g. "output[i]" for a model's
    outputs), ``noun`` is their kind in words ("unit", "output"). ``inputs`` [T, D] and per-step
    ``targets`` [T] / [T, k] (named by ``feature_names`` / ``target_names`` / ``class_names``) are drawn as
    strips above the lines on the same time axis (see :mod:`.strips`). ``layout.meta``: ``units`` (every
    column drawn, in legend order), ``chosen`` and ``knock_on``, ``names`` (the legend name of each).
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
    if isinstance(also_changed, bool) or not isinstance(also_changed, (int, np.integer)) or also_changed < 0:
        raise PlotInputError(f"also_changed must be an int >= 0 (how many other columns to add); got {also_changed!r}")
    labels = _column_names(names, n_units, state_name)
    chosen = sorted(dict.fromkeys(_units(units, "units", n_units))) if units is not None else []
    change = _most_changed(before, after, mask)
    room = 6 if units is None else int(also_changed)
    others = [u for u in np.argsort(-change, kind="stable").tolist() if u not in chosen and change[u] > 0][:room]
    others = sorted(others)
    if units is None and not others:
        others = [0]  # nothing changed: column 0 stands for all of them
    shown, legend = chosen + others, {}
    for unit in chosen:
        legend[unit] = labels[unit]
    for unit in others:
        legend[unit] = f"{labels[unit]} (knock-on)" if units is not None else labels[unit]
    strips = strip_rows.make_strips(inputs, targets, time_steps, mask, feature_names=feature_names,
                                    target_names=target_names, class_names=class_names)
    rows = None
    if strips:
        fig, rows = strip_rows.strip_figure(strips, [380])
        where = dict(row=rows.main[0], col=1)
    else:
        fig, where = go.Figure(), {}
    for i, unit in enumerate(shown):
        colour = _colour(i)
        label = legend[unit]
        for values, dash, kind in ((before, "solid", "before"), (after, "dash", "after")):
            fig.add_trace(
                go.Scatter(
                    x=np.arange(time_steps), y=np.where(mask, values[:, unit], np.nan), mode="lines",
                    name=f"{label} {kind}", legendgroup=label, line=dict(color=colour, dash=dash, width=2),
                    hovertemplate=f"{label} {kind}<br>t=%{{x}}<br>{state_name}=%{{y:.3f}}<extra></extra>",
                ),
                **where,
            )
    fig.add_vline(x=step, line=dict(color=HIGHLIGHT, width=2, dash="dot"),
                  annotation_text=f"intervention at t={step}", annotation_position="top right",
                  annotation_font_color=HIGHLIGHT, **where)
    _grey_padded_steps(fig, mask, **where)
    strip_rows.add_strips(fig, strips, rows, grey_padding=True)
    fig.update_xaxes(title_text=TIME_AXIS, **where)
    fig.update_yaxes(title_text=f"{state_name} (unit activation)" if noun == "unit" else state_name, **where)
    reading = (
        "Solid = original run, dashed = with the intervention; where the dashed line leaves the solid one "
        "after the dotted marker shows how long the network carries the change."
    )
    if n_units > 1:
        reading = " ".join(filter(None, (reading, _shown_sentence(labels, chosen, others, units is None, n_units,
                                                                  noun, change))))
    reading += strip_rows.strips_reading(strips)
    return _finish(
        fig, chart="intervention_before_after", title=title or f"Intervention on {state_name}: before vs after",
        reading=reading, units=shown, chosen=chosen, knock_on=others if units is not None else [],
        names=[legend[u] for u in shown], start_step=step, **strip_rows.strips_meta(strips),
    )


def _shown_sentence(labels, chosen, others, ranked_only, n_units, noun, change) -> str:
    """The how-to-read sentence that says why each drawn column is there."""
    def listed(columns):
        return ", ".join(labels[u] for u in columns)

    def count(k):
        return f"{k} {noun}" + ("s" if k != 1 else "")

    if ranked_only:
        if not (change[others] > 0).any():
            return f"None of the {count(n_units)} changed; {listed(others)} stands for all of them."
        return f"Shown: the {len(others)} of {count(n_units)} that changed most ({listed(others)})."
    if not others and len(chosen) == n_units:
        return ""  # every column: nothing to explain
    sentence = f"Shown: {listed(chosen)} (chosen)"
    if others:
        k = len(others)
        sentence += (f" and, marked knock-on, {listed(others)}: the {count(k) if k > 1 else noun} not chosen that "
                     f"changed most (the change reached {'them' if k > 1 else 'it'} through the network)")
    return sentence + "."
