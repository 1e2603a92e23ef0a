"""Does a converted .keras model predict as the file's own Keras model does, on the run's own data? (Bring your model:
a Masking(0.0) model differs on rows with an all-zero step inside the sequence; the Build page names them.)

    found = measure_agreement(imported, (train, test))     # (test Agreement[, training Agreement])
    level, sentence = agreement_message(found)              # 'success' | 'warning', what the page says

Shapes as in rnnlab: inputs [N, T, D].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The largest |converted - Keras| prediction at which a row still counts as agreeing.
AGREEMENT_TOLERANCE = 1e-4
#: The training split is compared too when it has at most this many rows (the test split always is).
AGREEMENT_TRAIN_ROWS = 5000


@dataclass(frozen=True)
class Agreement:
    """Whether the converted model's predictions equal the .keras file's own model's on one split of the run's data.

    split: 'test' or 'training'. n_rows: its N. max_difference: the largest |converted - Keras| over every row and
    output (real steps only when the output is per step). rows: the indices (into the split) of the rows whose
    largest difference exceeds ``tolerance``; ids: their sequence ids (SequenceDataset.sequence_ids). interior_zeros:
    for each of those rows, its all-zero steps before its last non-zero step when the converted model has dynamic
    layers (the known reason: Keras's mask skips such a step and goes on, dynamic mode counts the non-zero steps
    and stops early), else ().
    """

    split: str
    n_rows: int
    max_difference: float
    tolerance: float = AGREEMENT_TOLERANCE
    rows: tuple[int, ...] = ()
    ids: tuple[str, ...] = ()
    interior_zeros: tuple[tuple[int, ...], ...] = ()

    @property
    def agrees(self) -> bool:
        return not self.rows

    @property
    def explained(self) -> tuple[int, ...]:
        """The differing rows that have the known reason (an all-zero step inside the sequence)."""
        return tuple(row for row, zeros in zip(self.rows, self.interior_zeros) if zeros)

    def row_names(self, limit: int = 10) -> str:
        """'row 3 (id s27), row 5 (id s29) ... and 4 more': the first ``limit`` differing rows."""
        shown = [f"row {row} (id {name})" if name != str(row) else f"row {row}"
                 for row, name in zip(self.rows[:limit], self.ids[:limit])]
        more = len(self.rows) - len(shown)
        return ", ".join(shown) + (f" ... and {more} more" if more > 0 else "")


def _has_dynamic_layers(model) -> bool:
    """Whether any recurrent layer of ``model`` (nested models too) infers lengths from all-zero steps."""
    return any(getattr(layer, "dynamic_lengths", False) or (layer is not model and hasattr(layer, "layers")
                                                           and _has_dynamic_layers(layer))
               for layer in getattr(model, "layers", []))


def compare_predictions(original, converted, dataset, split: str = "test",
                        tolerance: float = AGREEMENT_TOLERANCE) -> Agreement:
    """The .keras file's own model and its conversion, both [B, T, D] -> head, on ``dataset`` x [N, T, D] ->
    Agreement: max |difference| of their predictions, the rows (and sequence ids) that differ beyond ``tolerance``,
    and which of those have an all-zero step before their last non-zero step (with dynamic layers, the reason).
    Per-step outputs [N, T, k] are compared on the data's real steps (dataset.valid_mask) only: at padded steps a
    masked Keras layer repeats its last output, rnnlab outputs 0, and neither counts in the metrics."""
    from rnnlab.padding import padding_report

    x = np.asarray(dataset.x, np.float32)
    keras_pred = np.asarray(original.predict(x, verbose=0, batch_size=256), np.float64)
    ours = np.asarray(converted.predict(x, verbose=0, batch_size=256), np.float64)
    both_nan = np.isnan(ours) & np.isnan(keras_pred)  # NaN on one side only is a difference, on both it is not
    difference = np.where(both_nan, 0.0, np.abs(ours - keras_pred)).reshape(len(x), -1)  # [N, outputs]
    if keras_pred.ndim == 3 and keras_pred.shape[1] == x.shape[1]:  # one output per step: real steps only
        real = np.repeat(np.asarray(dataset.valid_mask, bool), keras_pred.shape[2], axis=1)  # [N, T * k]
        difference = np.where(real, difference, 0.0)
    per_row = np.nan_to_num(difference, nan=np.inf).max(axis=1) if difference.size else np.zeros(len(x))  # [N]
    rows = tuple(int(i) for i in np.flatnonzero(per_row > tolerance))
    dynamic = _has_dynamic_layers(converted)
    interior = padding_report(x).interior_zero_steps if dynamic and rows else ()
    return Agreement(split=split, n_rows=len(x), max_difference=float(per_row.max()) if len(x) else 0.0,
                     tolerance=tolerance, rows=rows, ids=tuple(str(dataset.sequence_ids[i]) for i in rows),
                     interior_zeros=tuple(interior[i] if dynamic else () for i in rows))


def agreement_message(agreements) -> tuple[str, str]:
    """(test Agreement, training Agreement or none) -> ('success' | 'warning', the sentence the Build page shows)."""
    test, *rest = agreements
    training = rest[0] if rest else None
    if test.agrees:
        also = (f" and on all {training.n_rows} training rows (max difference {training.max_difference:.2g})"
                if training is not None and training.agrees else "")
        text = (f"On your data the converted model's predictions equal the Keras model's on all {test.n_rows} test "
                f"rows (max difference {test.max_difference:.2g}, tolerance {test.tolerance:g}){also}.")
        if training is None or training.agrees:
            return "success", text
        return "warning", text + " " + _differ_text(training)
    text = _differ_text(test)
    if training is not None:
        text += (f" On the training split: all {training.n_rows} rows agree." if training.agrees
                 else f" On the training split: {len(training.rows)} of {training.n_rows} rows differ.")
    return "warning", text


def _differ_text(found: Agreement) -> str:
    text = (f"On your data the converted model's predictions differ from the Keras model's on {len(found.rows)} of "
            f"{found.n_rows} {found.split} rows (max difference {found.max_difference:.3g}, tolerance "
            f"{found.tolerance:g}): {found.row_names()}.")
    explained = found.explained
    if explained:
        row = explained[0]
        steps = list(found.interior_zeros[found.rows.index(row)])
        who = "all of them" if len(explained) == len(found.rows) else f"{len(explained)} of them"
        text += (f" Why: {who} have an all-zero step before their last non-zero step (row {row}: t={steps}). "
                 "Keras's Masking skips such a step and carries the state on to the rest of the sequence; the "
                 "converted layers (dynamic=True) take TFLearn's length, the number of steps that are not all zero, "
                 "so they stop early and drop the last real step(s). The numbers and pages of this run are the "
                 "converted model's. To inspect the model Keras runs, remove the all-zero steps inside sequences "
                 "(Keras skips them, so its final predictions stay the same) and pad only at the end; or build the "
                 "model with rnnlab's layers and explicit lengths (seq_len) and train it here.")
    if len(explained) < len(found.rows):
        text += (f" {len(found.rows) - len(explained)} differing row(s) have no all-zero step inside the sequence: "
                 "the conversion itself differs there (a layer the converted model reproduces differently).")
    return text


def measure_agreement(imported, data: tuple) -> tuple:
    """An ImportedModel (app/session/imported_model.py) + the run's (train, test) -> (test Agreement[, training Agreement]): the training
    split only when it has at most AGREEMENT_TRAIN_ROWS rows; () without the file's own model or test data."""
    train, test = data
    if imported.original is None or test is None or not test.n_samples:
        return ()
    found = [compare_predictions(imported.original, imported.model, test, "test")]
    if train is not None and 0 < train.n_samples <= AGREEMENT_TRAIN_ROWS:
        found.append(compare_predictions(imported.original, imported.model, train, "training"))
    return tuple(found)
