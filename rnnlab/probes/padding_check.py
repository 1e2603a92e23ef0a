"""Padding on a whole stack: the length every recurrent layer uses, and whether padding changes what it returns.

    table = layer_lengths(model, x, true_lengths=lengths)   # per layer and sample: length used, step returned
    table.to_frame()                                         # one row per (layer, sample), flagged where it differs
    report = padding_invariance(model, x, lengths)           # each sample alone at its true length vs padded
    report.verdict(); report.to_frame()                      # rows that differ and the first layer where they part

Both work on any keras.Model holding rnnlab recurrent layers (stacks, BiRNN, shared layers: 'NAME#1' is a
layer's second call), or on one rnnlab layer. The padded pass and the lengths come from rnnlab.probe's Trace.

Why the check matters (the TFLearn bug class): a dynamic layer infers each row's length from the steps of its
input that are not all zero. Its own outputs past the length are 0, so a dynamic layer above it infers the same
length. But when something between them writes non-zero values into the padded steps (a layer with
dynamic=False, a Dense with a bias, a normalisation), the layer above counts the padding as data: padded, it
reads T steps; alone, only the real ones. Its outputs then part ways (a backward half reads the padding
first), and so does everything after it.

Shapes: x [B, T, D] (or a list of model inputs whose first is [B, T, D] and the others per-row arrays [B, ...]);
lengths [B]; per-layer arrays [L, B] (L recurrent layer calls in the order they run).
"""

from __future__ import annotations

import weakref
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from rnnlab import padding
from rnnlab.errors import RnnlabError, describe
from rnnlab.layers.bidirectional import BiRNN
from rnnlab.layers.recurrent import Recurrent
from rnnlab.probes.padding_lab import real_step_ranges
from rnnlab.probes.probe import probe
from rnnlab.probes.selection import select_layers

MODEL_OUTPUT = "model output"
#: How padding_invariance ran each sample "alone".
ALONE_CUT = "cut"  # the sample's real steps only, [1, L, D], through a variable-T twin of the model
ALONE_PADDED = "padded alone"  # the model takes a fixed T: the sample with its padding, in a batch of one


# ----------------------------------------------------------------------------------------- inputs


def _split_inputs(x):
    """x [B, T, D] or [x_seq, other per-row inputs...] -> (x_seq [B, T, D] float32, others list)."""
    if isinstance(x, (list, tuple)):
        if not x:
            raise RnnlabError("`x` must be a [B, T, D] array or a list of model inputs; received an empty list.")
        seq, others = np.asarray(x[0]), [np.asarray(v) for v in x[1:]]
    else:
        seq, others = np.asarray(x), []
    if seq.ndim != 3:
        raise RnnlabError(f"`x` must be 3-D [batch, time, input_dim] (or a list whose first input is); received "
                          f"shape {seq.shape}.")
    if not np.issubdtype(seq.dtype, np.number):
        raise RnnlabError(f"`x` must hold numbers; received dtype {seq.dtype}.")
    for i, other in enumerate(others, 1):
        if other.ndim == 0 or len(other) != len(seq):
            raise RnnlabError(f"`x[{i}]` must have one entry per row of x[0] ({len(seq)}); received shape "
                              f"{other.shape}.")
    return seq.astype(np.float32, copy=False), others


def _join_inputs(seq, others):
    return [seq, *others] if others else seq


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


def _layer_key(trace_name: str) -> tuple[str, str | None]:
    """'NAME/fw#1' -> ('NAME#1', 'fw'); 'NAME' -> ('NAME', None)."""
    base, _, call = trace_name.partition("#")
    name, _, direction = base.partition("/")
    return (name + (f"#{call}" if call else ""), direction or None)


def _receives_seq_len(layer) -> bool:
    """Whether a layer is called with explicit lengths (``seq_len=``) in its model's graph."""
    for node in getattr(layer, "_inbound_nodes", []) or []:
        arguments = getattr(node, "arguments", None)
        if arguments is not None and arguments.kwargs.get("seq_len") is not None:
            return True
    return False


def _mode(layer, given_seq_len: bool) -> str:
    if given_seq_len or _receives_seq_len(layer):
        return "seq_len"
    return "dynamic" if layer.dynamic_lengths else "static"


def _kind(layer) -> str:
    if isinstance(layer, BiRNN):
        return f"bidirectional ({layer.cell_fw.kind} / {layer.cell_bw.kind})"
    return layer.cell.kind


def _grouped(trace, layers_by_name) -> dict:
    """Trace -> {layer key: (layer, {direction: LayerTrace})} in the order the layer calls ran."""
    grouped: dict = {}
    for name, record in trace.layers.items():
        key, direction = _layer_key(name)
        layer = layers_by_name[key.partition("#")[0]]
        grouped.setdefault(key, (layer, {}))[1][direction] = record
    return grouped


def _returned(layer, records) -> tuple[np.ndarray, np.ndarray]:
    """A layer's records -> (its output [B, T, n'] per step, forward half first; [B] the step return_seq=False
    takes: length-1, -1 for length 0 where the layer returns zeros)."""
    if None in records:
        sequence = records[None].quantities["h"]  # [B, T, n]
    else:
        sequence = np.concatenate([records["fw"].quantities["h"], records["bw"].quantities["h"]], axis=2)  # [B, T, 2n]
    lengths = next(iter(records.values())).seq_len
    return sequence, lengths.astype(np.int64) - 1


def _layer_output(layer, sequence, steps) -> np.ndarray:
    """[B, T, n'] outputs per step, [B] returned steps -> what the layer returns: the sequence, or [B, n']."""
    if layer.return_seq:
        return sequence
    rows = np.arange(len(steps))
    return np.where((steps >= 0)[:, None], sequence[rows, np.maximum(steps, 0)], 0.0)


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
    choice in words.
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
        return not self.differs.any()

    def verdict(self) -> str:
        """One sentence: all rows agree, or which rows differ and where they part ways."""
        n = int(self.checked.sum())
        if self.passed:
            return f"All {n} rows give the same outputs alone and padded (max difference {self._max():.2g})."
        parts = [f"row {b} (first at {self.layers[self.first_layer[b]]}, max |difference| "
                 f"{np.nanmax(self.max_diff[b]):.3g})" for b in self.differing_rows[:12]]
        more = len(self.differing_rows) - len(parts)
        return (f"{len(self.differing_rows)} of {n} rows give different outputs alone and padded: " + "; ".join(parts)
                + (f"; and {more} more" if more > 0 else "") + ".")

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
        return out


_TWINS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its variable-T twin, or None


def _variable_time_twin(model, seq, others):
    """model -> a model over the same layer objects (same weights) that takes any number of time steps, or None
    when the model cannot run on fewer steps (a fixed-T layer such as Flatten, a nested fixed-T model)."""
    import keras

    if isinstance(model, (Recurrent, BiRNN)):
        return model
    inputs = getattr(model, "inputs", None) or []
    if not inputs or inputs[0].shape[1] is None:
        return model
    if model in _TWINS:
        return _TWINS[model]
    twin = None
    try:
        new_inputs = [keras.Input(shape=(None, *spec.shape[2:]), dtype=spec.dtype) if i == 0 else
                      keras.Input(shape=spec.shape[1:], dtype=spec.dtype) for i, spec in enumerate(inputs)]
        candidate = keras.models.clone_model(model, input_tensors=new_inputs if len(new_inputs) > 1 else new_inputs[0],
                                             clone_function=lambda layer: layer)
        short = max(1, seq.shape[1] - 1)
        candidate(_join_inputs(seq[:1, :short], [o[:1] for o in others]), training=False)  # can it really?
        twin = candidate
    except Exception:  # noqa: BLE001 - any failure means: this model needs its fixed T
        twin = None
    _TWINS[model] = twin
    return twin


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
    return PaddingInvariance(layers=names, max_diff=max_diff, lengths_padded=lengths_padded,
                             lengths_alone=lengths_alone, true_lengths=truth, true_ranges=ranges,
                             alone=ALONE_CUT if cut else ALONE_PADDED, how=how, atol=float(atol), notes=notes)


def _difference(a, b) -> float:
    """Two arrays of what a layer returned -> max |a - b| (inf when their shapes differ)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.abs(a - b).max()) if a.size else 0.0
