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
