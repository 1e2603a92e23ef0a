"""Training curves: loss and metrics per epoch, for one run or several overlaid."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .style import OKABE_ITO, PlotInputError, _colour, _finish


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


def _baselines(baseline, name: str = "baseline") -> dict[str, float]:
    """None, a number (the loss) or a dict quantity -> value (rnnlab.experiments.baseline's result) -> dict."""
    if baseline is None:
        return {}
    if isinstance(baseline, Mapping):
        items = dict(baseline)
    else:
        items = {"loss": baseline}
    try:
        values = {str(k): float(v) for k, v in items.items()}
    except (TypeError, ValueError):
        raise PlotInputError(
            f"{name} must be a number (the trivial baseline's loss) or a dict such as {{'loss': 0.167}}; got {baseline!r}"
        ) from None
    if not all(np.isfinite(list(values.values()))):
        raise PlotInputError(f"{name} values must be finite numbers; got {values}")
    return values


def _draw_baselines(fig: go.Figure, values: dict[str, float], panels: dict[str, tuple[int, str]]) -> dict[str, float]:
    """A dotted horizontal line, labelled, per baseline value whose quantity has a panel -> the values drawn."""
    drawn = {}
    for quantity, (col, colour) in panels.items():
        if quantity not in values:
            continue
        value = values[quantity]
        label = "trivial baseline" if quantity == "loss" else f"baseline {quantity}"
        fig.add_hline(
            y=value, line=dict(color=colour, dash="dot", width=2), row=1, col=col, exclude_empty_subplots=False,
            annotation_text=f"{label} {value:.4g}", annotation_position="top right",
            annotation_font_color=colour,
        )
        drawn[quantity] = value
    return drawn


BASELINE_COLOUR = OKABE_ITO[-1]  # black: apart from every run's and quantity's colour
BASELINE_READING = (
    " Black dotted: the trivial baseline on the test data (always the training mean, or the class frequencies);"
    " a model has learned something only below it (above it for accuracy)."
)


def _curve_layout(fig: go.Figure, metric_names: list[str]) -> None:
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="loss (lower is better)", row=1, col=1)
    if metric_names:
        fig.update_yaxes(title_text="metric value", row=1, col=2)


def training_curves(history: pd.DataFrame, *, title: str | None = None, baseline=None) -> go.Figure:
    """DataFrame [epochs] with columns epoch, loss, optional val_loss and metrics (+ val_<metric>) -> lines.

    Left panel: loss (solid) and val_loss (dashed); right panel (when there are metric columns):
    each metric solid and its ``val_`` twin dashed in the same colour. Non-numeric columns are ignored.
    ``baseline``: the trivial baseline's test loss (a number), or the dict
    ``rnnlab.experiments.baseline(train, test)`` returns ({'loss': ..., 'accuracy' or 'mae': ...}): each
    value whose quantity is drawn becomes a dotted, labelled horizontal line at that value.
    """
    baselines = _baselines(baseline)
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
    drawn = _draw_baselines(fig, baselines, {q: (col, BASELINE_COLOUR) for q, col in quantities})
    reading = "Solid = training, dashed = validation; a gap that widens over epochs is overfitting."
    if drawn:
        reading += BASELINE_READING
    return _finish(fig, chart="training_curves", title=title or "Training curves", reading=reading, metrics=metrics,
                   baseline=drawn)


def training_curves_overlay(
    runs: Mapping[str, pd.DataFrame], *, metric: str | None = None, title: str | None = None, baseline=None
) -> go.Figure:
    """dict run name -> DataFrame (epoch, loss, val_loss?, metrics) -> one colour per run, overlaid.

    Left panel: loss (solid) and val_loss (dashed) of every run. Right panel: ``metric`` (default:
    the first metric column shared by all runs, if any) and its ``val_`` twin. ``baseline`` as in
    :func:`training_curves` (for runs on the same data): dotted black lines.
    """
    baselines = _baselines(baseline)
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
    panels = {"loss": (1, BASELINE_COLOUR)} | ({metric: (2, BASELINE_COLOUR)} if metric else {})
    drawn = _draw_baselines(fig, baselines, panels)
    reading = "One colour per run; solid = training, dashed = validation. Lower loss and earlier flattening win."
    if drawn:
        reading += BASELINE_READING
    return _finish(
        fig, chart="training_curves_overlay", title=title or "Training curves of several runs",
        reading=reading, runs=list(frames), metric=metric, baseline=drawn,
    )
