"""The Padding lab's "Your stack": a run's own model on its own data, layer by layer (rnnlab.probes.padding_check).

Results hold a session's model, so they are memoised per session (state.memo), keyed by run and rows.
Shapes as in rnnlab: inputs [N, T, D], lengths [N], per-layer arrays [L, N].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app import state
from app.session import experiment

#: The choice that keeps the lab on fresh, untrained layers (no run).
FRESH = "fresh"
#: Rows of the run's data the stack section looks at by default.
STACK_ROWS = 64


def choices() -> dict[str, str]:
    """-> {choice id: label}: the fresh layers, then this session's runs (trained or reopened), newest first."""
    options = {FRESH: "A fresh untrained layer (the lab below)"}
    for run in reversed(state.session_runs()):
        options[run.run_id] = f"Run {run.label}"
    return options


def default_choice() -> str:
    """The current run when there is one, else the fresh layers."""
    run = state.current_run()
    return run.run_id if run is not None else FRESH


def run_by_id(run_id: str):
    """A run id -> this session's run, or None."""
    return next((run for run in state.session_runs() if run.run_id == run_id), None)


def stack_data(run, rows: int):
    """A run + row count -> (x [n, T, D], true lengths [n], a sentence naming the rows): the first ``rows``
    held-out sequences (the training ones when the run has no test data), in file order."""
    train, test = experiment.run_data(run)
    source, which = (test, "held-out") if test is not None and test.n_samples else (train, "training")
    n = min(int(rows), source.n_samples)
    return source.x[:n], source.lengths[:n], f"the first {n} {which} sequences of {source.name}"


def layer_lengths(run, rows: int):
    """-> rnnlab.probes.LayerLengths of the run's model on stack_data (once per run and rows)."""
    from rnnlab.probes import layer_lengths as compute

    def run_it():
        x, lengths, _ = stack_data(run, rows)
        return compute(run.model, x, true_lengths=lengths)

    return state.memo("pad_stack_lengths", (run.run_id, int(rows)), run_it)


def invariance(run, rows: int):
    """-> rnnlab.probes.PaddingInvariance of the run's model on stack_data (once per run and rows)."""
    from rnnlab.probes import padding_invariance

    def run_it():
        x, lengths, _ = stack_data(run, rows)
        return padding_invariance(run.model, x, lengths)

    return state.memo("pad_stack_invariance", (run.run_id, int(rows)), run_it)


def lengths_frame(table) -> pd.DataFrame:
    """LayerLengths -> one row per sample: true length and real steps, each layer's length (and returned step
    where return_seq=False), and the layers that differ from the truth."""
    frame = pd.DataFrame({
        "sample": np.arange(len(table.true_lengths)),
        "true length": table.true_lengths,
        "true real steps": [f"t={s}..{e - 1}" if e > s else "none" for s, e in table.true_ranges],
    })
    for i, layer in enumerate(table.layers):
        frame[f"{layer} ({table.modes[i]}): length"] = table.lengths[i]
        if not table.return_seq[i]:
            frame[f"{layer}: returns step"] = table.returned_steps[i]
    differs = table.differs
    frame["differs at"] = [", ".join(layer for i, layer in enumerate(table.layers) if differs[i, b])
                           for b in range(len(table.true_lengths))]
    return frame


def verdict_rows(report) -> list[str]:
    """PaddingInvariance -> one line per differing row: its true length, the first layer and what each layer
    used padded vs alone there."""
    lines = []
    for b in report.differing_rows:
        first = int(report.first_layer[b])
        layer = report.layers[first]
        detail = ""
        if first < len(report.lengths_padded):
            detail = (f": padded it used length {int(report.lengths_padded[first, b])}, alone "
                      f"{int(report.lengths_alone[first, b])}")
        lines.append(f"row {int(b)} (true length {int(report.true_lengths[b])}) parts ways first at **{layer}**"
                     f"{detail}; max |padded - alone| {np.nanmax(report.max_diff[b]):.3g}")
    return lines


def invariance_box(report) -> tuple[bool, str]:
    """PaddingInvariance -> (green, the box's markdown). Green only when the outputs agree alone and padded AND
    no layer uses fewer steps than a sample has even alone (report.all_clear): agreeing outputs alone say nothing
    about a row that both runs cut short. Else the rows that differ (one line each), the rows a layer runs short
    on (report.short_summary), or both."""
    checked = int(report.checked.sum())
    short = report.short_summary()
    if report.passed:
        agree = (f"All {checked} rows give the same outputs alone and padded (every layer, and the model's output, "
                 f"within {report.atol:g})")
        return (True, agree + ".") if not short else (False, f"{agree}, but {short}")
    differ = (f"{len(report.differing_rows)} of {checked} rows give different outputs alone and padded:\n"
              + "\n".join(f"- {line}" for line in verdict_rows(report)))
    return False, differ + (f"\n\nAlso, {short}" if short else "")
