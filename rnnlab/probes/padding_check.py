"""Padding on a whole stack: the length every recurrent layer uses, and whether padding changes what it returns.

    table = layer_lengths(model, x, true_lengths=lengths)   # per layer and sample: length used, step returned
    table.to_frame()                                         # one row per (layer, sample), flagged where it differs
    report = padding_invariance(model, x, lengths)           # each sample alone at its true length vs padded
    report.verdict(); report.to_frame()                      # rows that differ and the first layer where they part
    report.runs_short; report.all_clear                      # layers that drop real steps even alone; both fine

Both work on any keras.Model holding rnnlab recurrent layers (stacks, BiRNN, shared layers: 'NAME#1' is a
layer's second call), or on one rnnlab layer. The padded pass and the lengths come from rnnlab.probe's Trace.

Why the check matters (the TFLearn bug class): a dynamic layer infers each row's length from the steps of its
input that are not all zero. Its own outputs past the length are 0, so a dynamic layer above it infers the same
length. But when something between them writes non-zero values into the padded steps (a layer with
dynamic=False, a Dense with a bias, a normalisation), the layer above counts the padding as data: padded, it
reads T steps; alone, only the real ones. Its outputs then part ways (a backward half reads the padding
first), and so does everything after it.

What the check cannot see: a layer that drops real steps the same way alone and padded. An all-zero step inside a
sequence makes dynamic mode count one step fewer, in the padded batch and alone alike, so the outputs agree while
the layer never reads the last real step. PaddingInvariance.runs_short flags those rows on the same numbers (the
length each layer used alone), and the verdict says so instead of a plain "all rows agree".

Shapes: x [B, T, D] (or a list of model inputs whose first is [B, T, D] and the others per-row arrays [B, ...]);
lengths [B]; per-layer arrays [L, B] (L recurrent layer calls in the order they run).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from rnnlab import padding
from rnnlab.errors import RnnlabError, describe
from rnnlab.probes.padding_lab import real_step_mask, real_step_ranges
from rnnlab.probes.probe import probe
from rnnlab.probes.selection import select_layers
from rnnlab.probes.stack_layers import (
    _grouped,
    _join_inputs,
    _kind,
    _layer_output,
    _mode,
    _returned,
    _split_inputs,
    _variable_time_twin,
)

MODEL_OUTPUT = "model output"
#: How padding_invariance ran each sample "alone".
ALONE_CUT = "cut"  # the sample's real steps only, [1, L, D], through a variable-T twin of the model
ALONE_PADDED = "padded alone"  # the model takes a fixed T: the sample with its padding, in a batch of one


# ----------------------------------------------------------------------------------------- inputs


def data_lengths(x) -> np.ndarray:
    """[B, T, D] -> [B] true lengths read from the zeros alone: rows that start with all-zero steps and hold data
    at the last step are pre-padded (length: T minus the leading zeros); other rows are post-padded (length: up
    to the last non-zero step). All-zero steps inside the data count as real. Give the true lengths when you
    know them: a row whose first real reading is all zero cannot be told from pre-padding."""
    report = padding.padding_report(x)
    time_steps = np.asarray(x).shape[1]
    pre = (report.leading_padding > 0) & (report.trailing == time_steps)
    return np.where(pre, time_steps - report.leading_padding, report.trailing).astype(np.int64)


def _true_lengths(seq, true_lengths) -> np.ndarray:
    if true_lengths is None:
        return data_lengths(seq)
    lengths = np.asarray(true_lengths)
    batch, time_steps = seq.shape[:2]
    if lengths.shape != (batch,) or not np.issubdtype(lengths.dtype, np.integer) or (
            batch and (lengths.min() < 0 or lengths.max() > time_steps)):
        shown = lengths.tolist() if lengths.size <= 12 else f"an array of shape {lengths.shape}"
        raise RnnlabError(f"`true_lengths` must be [B] = ({batch},) integers in 0..{time_steps} (T); received "
                          f"{shown} (dtype {lengths.dtype}).")
    return lengths.astype(np.int64)


# ----------------------------------------------------------------------------------------- layers


def _stops_early(lengths, stops) -> np.ndarray:
    """[L, B] lengths used + [B] the step after each sample's last real one in the layer's input -> [L, B] bool:
    the layer stops before the last real step, so it never reads it (dynamic and seq_len layers read steps
    0..length-1; static ones read every step, T >= stop).

    The lengths table's rule (LayerLengths.differs: the length, or for return_seq=False the returned step
    length-1, is not the truth) in the direction that loses data: where the real steps start at t=0 (a
    post-padded row, or a sample cut to its real steps) it is exactly ``length < true length``; a layer that
    reads more steps than the truth (static, or counting padding made non-zero) is not short."""
    return np.asarray(lengths) < np.asarray(stops)[None, :]


# ----------------------------------------------------------------------------------- the lengths table


@dataclass
class LayerLengths:
    """The length each recurrent layer uses for each sample, and the step its return_seq=False output is taken at.

    layers, kinds, modes ('dynamic': inferred from zeros; 'seq_len': received; 'static': every step, T),
    return_seq: one entry per layer call, in the order they run (L). true_lengths [B], true_ranges [B, 2]
    (the real steps start..stop-1: pre-padded rows hold them at the end), lengths [L, B] (what each layer
    uses), returned_steps [L, B] (length-1; -1: length 0, the layer returns zeros).
    """

    layers: list[str]
    kinds: list[str]
    modes: list[str]
    return_seq: list[bool]
    time_steps: int
    true_lengths: np.ndarray
    true_ranges: np.ndarray
    lengths: np.ndarray
    returned_steps: np.ndarray

    @property
    def length_differs(self) -> np.ndarray:
        """[L, B] bool: the layer uses another length than the true one."""
        return self.lengths != self.true_lengths[None, :]

    @property
    def step_differs(self) -> np.ndarray:
        """[L, B] bool: a return_seq=False layer returns another step than the last real one (stop-1)."""
        last_real = np.where(self.true_lengths > 0, self.true_ranges[:, 1] - 1, -1)  # [B]
        single = ~np.asarray(self.return_seq, dtype=bool)[:, None]  # [L, 1]
        return single & (self.returned_steps != last_real[None, :])

    @property
    def differs(self) -> np.ndarray:
        """[L, B] bool: length or returned step differs from the truth."""
        return self.length_differs | self.step_differs

    def returns(self, layer: int, sample: int) -> str:
        """What layer ``layer`` returns for ``sample``, in words (bidirectional: each half)."""
        length, step = int(self.lengths[layer, sample]), int(self.returned_steps[layer, sample])
        bi = self.kinds[layer].startswith("bidirectional")
        if self.return_seq[layer]:
            if length == self.time_steps:
                return "every step's output"
            return f"the outputs of steps 0..{length - 1}, zeros after" if length else "zeros at every step"
        if step < 0:
            return "zeros (length 0)"
        if not bi:
            return f"the output at t={step}"
        return (f"t={step}: forward half has read steps 0..{step}, backward half only step {step} (its summary of "
                f"the steps is at t=0)")

    def to_frame(self) -> pd.DataFrame:
        """-> one row per (layer, sample): layer, kind, mode, sample, true length, true real steps, length used,
        returns, returned step, length differs, step differs, differs."""
        rows = []
        for i, layer in enumerate(self.layers):
            for b in range(len(self.true_lengths)):
                start, stop = (int(v) for v in self.true_ranges[b])
                rows.append({
                    "layer": layer, "kind": self.kinds[i], "mode": self.modes[i], "sample": b,
                    "true length": int(self.true_lengths[b]),
                    "true real steps": f"t={start}..{stop - 1}" if stop > start else "none",
                    "length used": int(self.lengths[i, b]), "returns": self.returns(i, b),
                    "returned step": int(self.returned_steps[i, b]) if not self.return_seq[i] else None,
                    "length differs": bool(self.length_differs[i, b]),
                    "step differs": bool(self.step_differs[i, b]), "differs": bool(self.differs[i, b]),
                })
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """-> plain JSON-ready values (lists, ints, strings)."""
        out = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in asdict(self).items()}
        out["differs"] = self.differs.tolist()
        return out


def layer_lengths(model, x, seq_len=None, *, true_lengths=None) -> LayerLengths:
    """[B, T, D] (or the model's list of inputs) -> LayerLengths: per recurrent layer and sample, the length it
    infers (dynamic) or receives (seq_len; static: T), the step its return_seq=False output is taken at, and
    where those differ from the true length.

    Arguments:
        model: a keras.Model holding rnnlab recurrent layers, or one rnnlab layer.
        x: [B, T, D] float array, or a list of the model's inputs whose first is [B, T, D].
        seq_len: [B] explicit lengths, only when ``model`` is one rnnlab layer (as in rnnlab.probe).
        true_lengths: [B] ints; default: read from the zeros (data_lengths: pre-padded rows recognised).
    """
    seq, others = _split_inputs(x)
    truth = _true_lengths(seq, true_lengths)
    ranges = real_step_ranges(seq, truth)
    found = select_layers(model, None, "to read lengths from")
    trace = probe(model, _join_inputs(seq, others), seq_len=seq_len)
    layers, kinds, modes, return_seq, lengths, steps = [], [], [], [], [], []
    for key, (layer, records) in _grouped(trace, {layer.name: layer for layer in found}).items():
        _, returned = _returned(layer, records)
        layers.append(key)
        kinds.append(_kind(layer))
        modes.append(_mode(layer, seq_len is not None))
        return_seq.append(bool(layer.return_seq))
        lengths.append(returned + 1)
        steps.append(returned)
    return LayerLengths(layers=layers, kinds=kinds, modes=modes, return_seq=return_seq, time_steps=int(seq.shape[1]),
                        true_lengths=truth, true_ranges=ranges, lengths=np.array(lengths, np.int64).reshape(-1, len(seq)),
                        returned_steps=np.array(steps, np.int64).reshape(-1, len(seq)))


# --------------------------------------------------------------------------------- padding invariance


@dataclass
class PaddingInvariance:
    """Each sample run alone at its true length vs inside the padded batch, layer by layer.

    layers: the recurrent layer calls in the order they run, then 'model output' (L + 1 columns).
    max_diff [B, L+1]: max |padded - alone| over what each layer returns on the sample's real steps (NaN for a
    row not checked: length 0). lengths_padded / lengths_alone [L, B]: the length each layer used in each run.
    alone: 'cut' (the real steps alone, [1, L, D]) or 'padded alone' (the model takes a fixed T: the sample
    with its own padding in a batch of one, which checks only that rows do not affect each other). how: that
    choice in words. modes: per recurrent layer, 'dynamic', 'seq_len' or 'static' (as in LayerLengths).
    zero_steps [B]: all-zero steps inside each sample's real steps (real readings dynamic mode cannot count).

    Agreeing outputs are not the whole story: a layer that drops real steps alone as well as padded (an all-zero
    step inside a dynamic sequence) agrees with itself. ``runs_short`` flags those rows, ``all_clear`` is True
    only when the outputs agree and no layer runs short.
    """

    layers: list[str]
    max_diff: np.ndarray
    lengths_padded: np.ndarray
    lengths_alone: np.ndarray
    true_lengths: np.ndarray
    true_ranges: np.ndarray
    alone: str
    how: str
    atol: float = 1e-5
    notes: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    zero_steps: np.ndarray | None = None

    @property
    def checked(self) -> np.ndarray:
        """[B] bool: rows compared (a row of length 0 has nothing to run alone)."""
        return ~np.isnan(self.max_diff).all(axis=1)

    @property
    def differs(self) -> np.ndarray:
        """[B, L+1] bool: the row's output at that layer differs by more than atol."""
        return np.nan_to_num(self.max_diff, nan=0.0) > self.atol

    @property
    def differing_rows(self) -> np.ndarray:
        """[k] row indices whose outputs differ at some layer."""
        return np.flatnonzero(self.differs.any(axis=1))

    @property
    def first_layer(self) -> np.ndarray:
        """[B] int: index into ``layers`` of the first layer where the row parts ways, -1 where it never does."""
        differs = self.differs
        return np.where(differs.any(axis=1), np.argmax(differs, axis=1), -1)

    @property
    def passed(self) -> bool:
        """Every checked row gives the same outputs alone and padded (padding invariance; see all_clear)."""
        return not self.differs.any()

    @property
    def alone_stops(self) -> np.ndarray:
        """[B] the step after each sample's last real one in the input it ran alone: its true length when cut to
        its real steps, its stop in the padded row when it ran padded alone."""
        return self.true_lengths if self.alone == ALONE_CUT else self.true_ranges[:, 1]

    @property
    def runs_short(self) -> np.ndarray:
        """[L, B] bool: run alone, the layer stops before the sample's last real step (cut: lengths_alone < true
        length), so it drops real steps whatever the padding. Rows not checked are False."""
        return _stops_early(self.lengths_alone, self.alone_stops) & self.checked[None, :]

    @property
    def short_rows(self) -> np.ndarray:
        """[k] row indices where some layer runs short even alone."""
        return np.flatnonzero(self.runs_short.any(axis=0))

    @property
    def first_short_layer(self) -> np.ndarray:
        """[B] int: index into ``layers`` of the first layer that runs short alone, -1 where none does."""
        short = self.runs_short
        if not short.size:
            return np.full(len(self.true_lengths), -1)
        return np.where(short.any(axis=0), np.argmax(short, axis=0), -1)

    @property
    def all_clear(self) -> bool:
        """The outputs agree alone and padded, and no layer drops real steps (runs short) alone."""
        return self.passed and not self.runs_short.any()

    def verdict(self) -> str:
        """One sentence: all rows agree, or which rows differ and where they part ways; and, after either, the
        rows a layer runs short on even alone (short_summary)."""
        n = int(self.checked.sum())
        short = self.short_summary()
        if self.passed:
            agree = f"All {n} rows give the same outputs alone and padded (max difference {self._max():.2g})"
            return f"{agree}, but {short}" if short else f"{agree}."
        parts = [f"row {b} (first at {self.layers[self.first_layer[b]]}, max |difference| "
                 f"{np.nanmax(self.max_diff[b]):.3g})" for b in self.differing_rows[:12]]
        more = len(self.differing_rows) - len(parts)
        differ = (f"{len(self.differing_rows)} of {n} rows give different outputs alone and padded: "
                  + "; ".join(parts) + (f"; and {more} more" if more > 0 else "") + ".")
        return f"{differ} Also, {short}" if short else differ

    def short_summary(self) -> str:
        """'' when no layer runs short alone; else a lower-case clause: on which rows which layer (the first per
        row) uses fewer steps than the sample has even alone, the numbers, why, and what to do."""
        rows = self.short_rows
        if not rows.size:
            return ""
        first = self.first_short_layer
        cut = self.alone == ALONE_CUT
        zeros = self.zero_steps if self.zero_steps is not None else np.zeros(len(self.true_lengths), np.int64)
        clauses, causes = [], []
        for i in dict.fromkeys(int(first[b]) for b in rows):
            mine = [int(b) for b in rows if first[b] == i]
            shown = mine[:12]
            numbers = [self._short_numbers(i, b) for b in shown]
            listed = f"[{', '.join(map(str, shown))}{', ...' if len(mine) > len(shown) else ''}]"
            detail = (numbers[0] if len(set(numbers)) == 1
                      else "; ".join(f"row {b}: {t}" for b, t in zip(shown, numbers)))
            more = f", {len(mine) - len(shown)} more rows" if len(mine) > len(shown) else ""
            after = [self.layers[j] for j in range(i + 1, len(self.runs_short)) if self.runs_short[j, mine].any()]
            also = f" (and {', '.join(after)} after it)" if after else ""
            verb = "uses fewer steps than the sample has" if cut else "stops before the sample's last real step"
            clauses.append(f"on {'row' if len(mine) == 1 else 'rows'} {listed} layer {self.layers[i]}{also} {verb} "
                           f"even alone ({detail}{more})")
            causes.append(self._short_cause(i, mine, zeros))
        if not cut:
            lead = "The check cannot see this (the row reads the same steps padded and alone)"
        elif np.isin(rows, self.differing_rows).any():
            lead = "Padding is not all that breaks these rows (alone, with none, they run short too)"
        else:
            lead = "Padding is not what breaks these rows (alone they have none)"
        fix = "pass seq_len with the true lengths" + (
            ", or give every real step a non-zero feature" if (zeros[rows] > 0).any() else "")
        return "; ".join(clauses) + ": " + "; ".join(dict.fromkeys(causes)) + f". {lead}; {fix}."

    def _short_numbers(self, layer: int, b: int) -> str:
        length = int(self.lengths_alone[layer, b])
        if self.alone == ALONE_CUT:
            return f"{length} of {int(self.true_lengths[b])}"
        start, stop = (int(v) for v in self.true_ranges[b])
        return f"reads t=0..{length - 1}, real steps t={start}..{stop - 1}" if length else \
            f"reads no step, real steps t={start}..{stop - 1}"

    def _short_cause(self, layer: int, rows: list[int], zeros: np.ndarray) -> str:
        mode = self.modes[layer] if layer < len(self.modes) else "dynamic"
        if mode == "seq_len":
            return f"the seq_len {self.layers[layer]} receives is shorter than the sample"
        if any(zeros[b] > 0 for b in rows):
            return ("each all-zero step inside a sequence ends it a step earlier in dynamic mode (TFLearn counts the "
                    "steps that are not all zero)")
        if self.alone != ALONE_CUT and any(self.true_ranges[b, 0] > 0 for b in rows):
            return ("dynamic mode reads the counted steps from t=0, so a sequence padded at the front loses its last "
                    "real steps")
        return ("dynamic mode counts the steps of the layer's input that are not all zero, and on these rows fewer "
                "are than the sample's real steps (a layer below returns all-zero outputs there)")

    def _max(self) -> float:
        finite = self.max_diff[~np.isnan(self.max_diff)]
        return float(finite.max()) if finite.size else 0.0

    def to_frame(self) -> pd.DataFrame:
        """-> one row per sample: sample, true length, true real steps, differs, first differing layer, max
        |difference|, then one column per layer with its max |difference|."""
        first = self.first_layer
        frame = pd.DataFrame({
            "sample": np.arange(len(self.true_lengths)),
            "true length": self.true_lengths,
            "true real steps": [f"t={s}..{e - 1}" if e > s else "none" for s, e in self.true_ranges],
            "checked": self.checked,
            "differs": self.differs.any(axis=1),
            "first differing layer": [self.layers[i] if i >= 0 else "" for i in first],
            "max |padded - alone|": [float(np.nanmax(r)) if not np.isnan(r).all() else np.nan for r in self.max_diff],
            "runs short alone at": [self.layers[i] if i >= 0 else "" for i in self.first_short_layer],
        })
        for i, layer in enumerate(self.layers):
            frame[layer] = self.max_diff[:, i]
        return frame

    def to_dict(self) -> dict:
        """-> plain JSON-ready values (NaN as None)."""
        out = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in asdict(self).items()}
        out["max_diff"] = [[None if np.isnan(v) else float(v) for v in row] for row in self.max_diff]
        out["first_layer"] = self.first_layer.tolist()
        out["passed"] = self.passed
        out["runs_short"] = self.runs_short.tolist()
        out["all_clear"] = self.all_clear
        return out


def _compared(layer, records, rows, ranges, cut: bool):
    """What a layer returns for ``rows``, restricted to their real steps -> list of arrays, one per row."""
    sequence, steps = _returned(layer, records)
    output = _layer_output(layer, sequence, steps)
    return _real_part(output, rows, ranges, cut, sequence.shape[1])


def _real_part(output, rows, ranges, cut, time_steps):
    """[G, T', ...] outputs -> per row, the part on its real steps (per-step outputs) or the whole row."""
    parts = []
    for g, b in enumerate(rows):
        value = np.asarray(output[g], np.float64)
        if value.ndim >= 2 and value.shape[0] == time_steps:  # per step: keep the real steps
            start, stop = (int(v) for v in ranges[b])
            value = value[: stop - start] if cut else value[start:stop]
        parts.append(value)
    return parts


def padding_invariance(model, x, true_lengths, atol: float = 1e-5) -> PaddingInvariance:
    """[B, T, D] (or the model's inputs) + [B] true lengths -> PaddingInvariance: each sample run alone, cut to its
    real steps, vs inside the padded batch; per recurrent layer (and the model's output) the max |difference|
    over what it returns on the real steps, the rows that differ and the first layer where they part ways.

    Pre-padded rows (real steps at the end, see padding_lab.real_step_ranges) are cut to their last ``length``
    steps. The alone runs are batched: one call per distinct length. A model built with a fixed number of time
    steps runs through a twin over the same layers that accepts any T; where none can be made (a Flatten, say),
    each sample runs padded in a batch of one, and the report says so.
    """
    if not isinstance(atol, (int, float)) or isinstance(atol, bool) or not atol >= 0:
        raise RnnlabError(f"`atol` must be a number >= 0; received {describe(atol)}.")
    if true_lengths is None:
        raise RnnlabError("`true_lengths` is required: [B] ints, each sample's real number of steps "
                          "(rnnlab.probes.padding_check.data_lengths(x) reads them from the zeros).")
    seq, others = _split_inputs(x)
    truth = _true_lengths(seq, true_lengths)
    ranges = real_step_ranges(seq, truth)
    batch, time_steps = seq.shape[:2]
    found = select_layers(model, None, "to check")
    by_name = {layer.name: layer for layer in found}
    padded_trace = probe(model, _join_inputs(seq, others))
    padded = _grouped(padded_trace, by_name)
    layer_keys = list(padded)
    names = layer_keys + [MODEL_OUTPUT]
    max_diff = np.full((batch, len(names)), np.nan)
    lengths_padded = np.stack([_returned(*padded[k])[1] + 1 for k in layer_keys]) if layer_keys else np.zeros((0, batch))
    lengths_alone = np.full_like(lengths_padded, -1)
    twin = _variable_time_twin(model, seq, others)
    cut = twin is not None
    rows_all = np.arange(batch)
    padded_parts = {k: _compared(*padded[k], rows_all, ranges, cut=False) for k in layer_keys}
    padded_out = _real_part(padded_trace.output, rows_all, ranges, False, time_steps)
    groups = ({int(n): np.flatnonzero(truth == n) for n in np.unique(truth) if n > 0} if cut
              else {int(b): np.array([b]) for b in rows_all if truth[b] > 0})
    for rows in groups.values():
        if cut:
            alone_seq = np.stack([seq[b, ranges[b, 0]:ranges[b, 1]] for b in rows])  # [G, L, D]
        else:
            alone_seq = seq[rows]  # [1, T, D]: the sample with its padding
        trace = probe(twin if cut else model, _join_inputs(alone_seq, [o[rows] for o in others]))
        alone = _grouped(trace, by_name)
        if list(alone) != layer_keys:
            raise RnnlabError(f"The model ran other recurrent layer calls alone ({list(alone)}) than padded "
                              f"({layer_keys}); it cannot be compared layer by layer.")
        for i, key in enumerate(layer_keys):
            lengths_alone[i, rows] = _returned(*alone[key])[1] + 1
            mine = _compared(*alone[key], rows, ranges, cut=cut)
            for g, b in enumerate(rows):
                max_diff[b, i] = _difference(padded_parts[key][b], mine[g])
        outputs = _real_part(trace.output, rows, ranges, cut, alone_seq.shape[1])
        for g, b in enumerate(rows):
            max_diff[b, -1] = _difference(padded_out[b], outputs[g])
    how = ("each sample alone: its real steps only ([1, length, D], pre-padded rows cut to their last steps), "
           "one call per distinct length" if cut else
           "the model takes a fixed T (no variable-T twin could run), so each sample ran padded in a batch of one: "
           "this checks that rows do not affect each other, not that padding is harmless")
    notes = [] if cut else [("Build the model with time steps None (rnnlab.input_data(shape=[None, None, D])) to "
                             "compare against the unpadded sequences.")]
    if (truth == 0).any():
        notes.append(f"rows {np.flatnonzero(truth == 0).tolist()} have length 0: nothing to run alone, not checked.")
    zero_steps = ((np.abs(seq).max(axis=2) == 0) & real_step_mask(ranges, time_steps)).sum(axis=1)  # [B]
    modes = [_mode(padded[k][0], False) for k in layer_keys]
    return PaddingInvariance(layers=names, max_diff=max_diff, lengths_padded=lengths_padded,
                             lengths_alone=lengths_alone, true_lengths=truth, true_ranges=ranges,
                             alone=ALONE_CUT if cut else ALONE_PADDED, how=how, atol=float(atol), notes=notes,
                             modes=modes, zero_steps=zero_steps.astype(np.int64))


def _difference(a, b) -> float:
    """Two arrays of what a layer returned -> max |a - b| (inf when their shapes differ)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.abs(a - b).max()) if a.size else 0.0
