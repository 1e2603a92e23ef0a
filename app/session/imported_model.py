"""Bring your model: an uploaded ``.keras`` file, or TFLearn checkpoint files applied to the stack built on the Build
page, made into a session run that every inspection page opens, without training.

    imported = keras_import(data, "model.keras", train)            # safe mode, size-limited, shapes checked
    imported = tflearn_import(spec, train, {"net.tfl.index": ..., "net.tfl.data-00000-of-00001": ...})
    run = open_as_run(imported, spec, (train, test))                # the session's current run
    run.agreement                # a .keras file's: the converted model's predictions against Keras's, per split
    run_store.save_run(run)    # the run store keeps origin(run) with it; reopened_run opens it again (its link too)

Shapes as in rnnlab: inputs [N, T, D]; a model's input [B, T, D] (T may be None: any length).
"""

from __future__ import annotations

import logging
import os
import tempfile
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from app import state
from app.errors import error_message
from app.session import jobs
from app.session.import_agreement import (
    AGREEMENT_TOLERANCE,
    Agreement,
    agreement_message,
    compare_predictions,
    measure_agreement,
)

log = logging.getLogger("rnnlab.app")

#: The largest .keras file the Build page loads, in MB (checked before anything is read).
MAX_MODEL_MB = 20
#: The largest TFLearn checkpoint (all its files together) the Build page loads, in MB.
MAX_CHECKPOINT_MB = 20
#: Checkpoint files that may come along and are not needed: TFLearn's graph (.meta) and its 'checkpoint' list.
IGNORED_CHECKPOINT_FILES = (".meta", "checkpoint")


def _shape_text(shape) -> str:
    """(None, None, 3) -> '[B, T, 3]': an open batch is B, an open time axis T (any length)."""
    return "[" + ", ".join(str(d) if d is not None else ("B" if i == 0 else "T") for i, d in enumerate(shape)) + "]"


@dataclass(frozen=True)
class ImportedModel:
    """A model read from the user's files, ready to open as a run.

    model: a keras.Model on rnnlab's layers, [B, T, D] -> its head's output. source: the file name(s).
    kind: 'keras' or 'tflearn'. report: the TFLearnLoadReport (TFLearn checkpoints only). original: the Keras
    model as the .keras file holds it (Keras's own layers), kept to compare predictions when it opens as a run.
    """

    model: Any
    source: str
    kind: str
    report: Any = None
    original: Any = field(default=None, repr=False, compare=False)

    def layers(self) -> list[dict]:
        """-> [{'layer', 'type', 'output shape', 'parameters'}] for each layer of the model, in order."""
        rows = []
        for layer in self.model.layers:
            shape = tuple(getattr(getattr(layer, "output", None), "shape", ()) or ())
            rows.append({"layer": layer.name, "type": type(layer).__name__, "output shape": _shape_text(shape),
                         "parameters": int(layer.count_params()) if layer.built else 0})
        return rows


@dataclass
class ImportedRun(jobs.SessionRun):
    """A session run whose model came from the user's files: no history, no snapshots, not trained here.
    final_metrics hold its test loss and metric (``held_out_metrics``), so the Train page's verdict applies."""

    source: str = ""
    kind: str = "keras"
    load_report: str = ""
    #: (test, training) Agreements of the converted model with the .keras file's own model; () when not measured
    agreement: tuple = ()
    #: the .keras file's own model's test loss and metric, when its predictions differ from the converted model's
    keras_metrics: dict = field(default_factory=dict)
    #: a stored run's ('success' | 'warning', sentence), as agreement_message() said it when the run was saved
    stored_agreement: tuple = ()

    def agreement_message(self) -> tuple[str, str] | None:
        """-> ('success' | 'warning', the sentence saying whether the converted model's predictions equal the Keras
        model's on this run's data), or None when not measured (TFLearn checkpoints, stored runs)."""
        if self.agreement:
            return agreement_message(self.agreement)
        return tuple(self.stored_agreement) if self.stored_agreement else None

    def layers_text(self) -> str:
        """'lstm(8, seq, dynamic) > gru(6, dynamic) > dense(9)': the imported model's own layers (a .keras file's
        are not the Build page's stack; TFLearn checkpoints fill that stack, so theirs is the spec's)."""
        if self.kind != "keras":
            return super().layers_text()
        return describe_model(self.model)

    def summary(self) -> str:
        """'imported from model.keras, not trained here, val_loss 0.69, val_accuracy 0.5'; when the converted model's
        predictions differ from the Keras model's: 'imported from model.keras, not trained here; converted model
        val_loss 0.58, val_accuracy 0.83; the Keras model val_loss 0.57, val_accuracy 0.87 (24 of 30 test rows
        differ)'."""
        def numbers(metrics: dict) -> list[str]:
            return [f"{k} {v:.4g}" for k, v in metrics.items() if isinstance(v, (int, float))][:3]

        head = f"imported from {self.source}, not trained here"
        if not self.keras_metrics:
            return ", ".join([head, *numbers(self.final_metrics)])
        test = self.agreement[0] if self.agreement else None
        differ = f" ({len(test.rows)} of {test.n_rows} test rows differ)" if test is not None and test.rows else ""
        return (f"{head}; converted model {', '.join(numbers(self.final_metrics))}; the Keras model "
                f"{', '.join(numbers(self.keras_metrics))}{differ}")


def describe_model(model) -> str:
    """A Keras model -> 'lstm(8, seq, dynamic) > gru(6, dynamic) > dense(9)': its layers in order, recurrent ones as
    the Build page names them, others by their class (with units where they have them); input and identity
    layers left out."""
    from rnnlab.layers import BiRNN, Recurrent

    parts = []
    for layer in model.layers:
        if type(layer).__name__ in ("InputLayer", "Identity"):
            continue
        if isinstance(layer, Recurrent):
            flags = [flag for flag, on in (("seq", layer.return_seq), ("dynamic", layer.dynamic_lengths)) if on]
            parts.append(f"{layer.cell.kind}({', '.join([str(layer.cell.num_units), *flags])})")
        elif isinstance(layer, BiRNN):
            parts.append(f"bidirectional({layer.cell_fw.kind}+{layer.cell_bw.kind}, {layer.cell_fw.num_units})")
        else:
            units = getattr(layer, "units", None)
            parts.append(type(layer).__name__.lower() + (f"({units})" if units is not None else ""))
    return " > ".join(parts)


def is_imported(run) -> bool:
    """Whether a session run came from the user's files (Bring your model) rather than a training."""
    return isinstance(run, ImportedRun)


# ------------------------------------------------------------------------------------------------ checks


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def keras_file_problem(file_name: str, size: int, max_mb: int = MAX_MODEL_MB) -> str | None:
    """A sentence saying why an uploaded file cannot be loaded as a model (not .keras, over the limit), or None."""
    if not file_name.lower().endswith(".keras"):
        kind = f"a .{file_name.rsplit('.', 1)[-1]} file" if "." in file_name else "a file without an extension"
        return (f"{file_name}: {kind} is not a Keras model file; expected a .keras file (model.save('name.keras')). "
                ".h5 files, SavedModel folders and .weights.h5 files are not read.")
    if size > max_mb * 2**20:
        return f"{file_name} is {_megabytes(size)}; the limit for a model is {max_mb} MB."
    return None


def checkpoint_files_problem(sizes: dict[str, int], max_mb: int = MAX_CHECKPOINT_MB) -> str | None:
    """{file name: size} of uploaded checkpoint files -> a sentence saying what is wrong with them, or None:
    files that are not part of a TensorFlow checkpoint, a missing .index or .data-* file, more than the limit."""
    names = sorted(sizes)
    strangers = [n for n in names if not (n.endswith(".index") or ".data-" in n or n.endswith(".meta")
                                          or n == "checkpoint")]
    if strangers:
        return (f"{', '.join(strangers)}: not part of a TFLearn checkpoint; expected <name>.index and "
                "<name>.data-00000-of-00001 (a .meta file may come along and is ignored).")
    indexes = [n for n in names if n.endswith(".index")]
    if len(indexes) != 1:
        return (f"Received {names}: a checkpoint needs exactly one .index file with its .data-* file(s); found "
                f"{len(indexes)} .index files.")
    prefix = indexes[0][: -len(".index")]
    if not any(n.startswith(prefix + ".data-") for n in names):
        return (f"Received {names}: {indexes[0]} needs its weights file {prefix}.data-00000-of-00001; upload both "
                "(several files at once in the same uploader).")
    total = sum(sizes[n] for n in names if not n.endswith(IGNORED_CHECKPOINT_FILES))
    if total > max_mb * 2**20:
        return f"The checkpoint is {_megabytes(total)}; the limit is {max_mb} MB."
    return None


def check_model_fits(model, dataset, source: str = "the model") -> None:
    """model [B, T, D] -> head, dataset x [N, T, D]: raise RnnlabError naming both shapes when the model cannot
    read the data (another D, a fixed T that differs) or its output does not fit the data's task (class count,
    number of outputs, one output per step)."""
    from rnnlab.errors import RnnlabError

    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 1 or len(model.outputs) != 1:
        raise RnnlabError(f"{source} has {len(inputs)} inputs and {len(model.outputs)} outputs; the lab inspects "
                          "models with one input [B, T, D] and one output.")
    given = tuple(inputs[0].shape)
    data = (dataset.n_samples, dataset.time_steps, dataset.n_features)
    if len(given) != 3 or given[2] != data[2] or given[1] not in (None, data[1]):
        raise RnnlabError(
            f"{source} takes input {_shape_text(given)} (B, T, D), but the data on the Build page "
            f"({dataset.name}) is x {_shape_text(data)} (N, T, D): its D (features per step) and T (steps, unless "
            "the model takes any T) must agree. Choose data with that shape, or a model made for this data.")
    out = tuple(model.outputs[0].shape)
    task = dataset.task
    if dataset.n_classes and task != "regression":
        wanted = (None, data[1], dataset.n_classes) if task == "sequence_labelling" else (None, dataset.n_classes)
        what = f"{dataset.n_classes} class probabilities" + (" per step" if task == "sequence_labelling" else "")
    else:
        k = int(np.asarray(dataset.y).shape[-1]) if np.asarray(dataset.y).ndim > 1 else 1
        wanted = (None, data[1], k) if task == "sequence_labelling" else (None, k)
        what = f"{k} number{'s' if k > 1 else ''}" + (" per step" if task == "sequence_labelling" else "")
    if len(out) != len(wanted) or out[-1] != wanted[-1]:
        raise RnnlabError(
            f"{source} outputs {_shape_text(out)}, but the data's task ({task}) needs {_shape_text(wanted)}: "
            f"{what}. Choose data for this model's head, or a model made for this data.")


# ------------------------------------------------------------------------------------------------ loading


def keras_import(data: bytes, file_name: str, dataset, max_mb: int = MAX_MODEL_MB) -> ImportedModel:
    """Uploaded .keras bytes -> ImportedModel on rnnlab's layers (rnnlab.from_keras: Keras's safe mode, from a
    temporary file deleted after), checked to fit ``dataset`` x [N, T, D]. Raises RnnlabError saying what is wrong
    (not a .keras file, over max_mb, refused by safe mode, a layer rnnlab cannot reproduce, shapes that differ)."""
    import rnnlab
    from rnnlab.errors import RnnlabError
    from rnnlab.layers.keras_models import load_keras_model

    problem = keras_file_problem(file_name, len(data), max_mb)
    if problem:
        raise RnnlabError(problem)
    with tempfile.TemporaryDirectory(prefix="rnnlab-upload-") as folder:
        path = os.path.join(folder, "uploaded.keras")
        with open(path, "wb") as handle:
            handle.write(data)
        try:
            with rnnlab.naming_context():
                original = load_keras_model(path)  # Keras's own layers: kept to compare predictions with
                model = rnnlab.from_keras(original)
        except RnnlabError as error:
            raise RnnlabError(str(error).replace(repr(path), file_name).replace(path, file_name)) from None
    check_model_fits(model, dataset, source=file_name)
    return ImportedModel(model=model, source=file_name, kind="keras", original=original)


def tflearn_import(spec, dataset, files: dict[str, bytes]) -> ImportedModel:
    """spec + dataset [N, T, D] + uploaded checkpoint files {name: bytes} -> ImportedModel: the stack built as
    training builds it (rnnlab.experiments.build_model), the checkpoint's weights loaded into it
    (rnnlab.load_tflearn_checkpoint_files); a .meta file is ignored. Raises RnnlabError for missing files, a stack
    that cannot be built for the data, or weights whose shapes differ from the stack's."""
    import rnnlab
    from rnnlab.errors import RnnlabError
    from rnnlab.experiments import build_model

    problem = checkpoint_files_problem({name: len(value) for name, value in files.items()})
    if problem:
        raise RnnlabError(problem)
    needed = {name: value for name, value in files.items() if not name.endswith(IGNORED_CHECKPOINT_FILES)}
    model = build_model(spec, dataset=dataset, compile=False)
    report = rnnlab.load_tflearn_checkpoint_files(model, needed)
    prefix = next(name for name in needed if name.endswith(".index"))[: -len(".index")]
    return ImportedModel(model=model, source=f"{prefix} (TFLearn checkpoint)", kind="tflearn", report=report)


def remembered(kind: str, key, compute) -> tuple[ImportedModel | None, str | None]:
    """Once per (kind, key) in this session: ``compute()`` -> (ImportedModel, None), or (None, the sentence saying
    what went wrong); a failure is remembered too, so a bad file is not read again on every rerun."""
    def attempt():
        try:
            return compute(), None
        except Exception as error:  # noqa: BLE001 - shown in the page, logged for the developer
            log.warning("importing a model failed:\n%s", traceback.format_exc())
            return None, error_message("Bring your model", error)

    return state.memo(f"imported_{kind}", key, attempt)


def report_rows(report) -> list[dict]:
    """TFLearnLoadReport -> [{'checkpoint variable', 'model weight', 'shape'}], one row per variable loaded."""
    return [{"checkpoint variable": v.checkpoint_name, "model weight": v.model_weight,
             "shape": "[" + ", ".join(str(d) for d in v.shape) + "]"} for v in report.loaded]


# ------------------------------------------------------------------------------------------------ the run


def held_out_metrics(model, spec, train, test) -> dict:
    """model + (train, test) [N, T, D] -> {'val_loss', 'val_<metric>'}: the loss and metric training reports for
    the spec's head on the test data (real steps only in sequence labelling); {} without test data."""
    import keras

    from rnnlab.experiments import head_for
    from rnnlab.experiments.training import targets

    if test is None or not test.n_samples:
        return {}
    task = spec.task(train)
    head = head_for(task, train.n_classes, None if train.n_classes else int(train.y.shape[-1]))
    x, y, w = targets(test, task)
    pred = np.asarray(model.predict(x, verbose=0, batch_size=256), np.float64)
    if head["classes"]:
        loss = np.asarray(keras.losses.sparse_categorical_crossentropy(y, pred))  # [N] or [N, T]
        metric = (np.argmax(pred, axis=-1) == y).astype(np.float64)
    else:
        err = pred - y.reshape(pred.shape)
        loss, metric = np.mean(np.square(err), axis=-1), np.mean(np.abs(err), axis=-1)
    total = max(float(w.sum()), 1e-12)
    return {"val_loss": float((loss * w).sum() / total), f"val_{head['metric']}": float((metric * w).sum() / total)}


def imported_run(imported: ImportedModel, spec, data: tuple, number: int) -> ImportedRun:
    """ImportedModel + the spec and (train, test) data it is inspected on -> ImportedRun labelled '#number
    imported <source>' (no history: it was not trained here). For a .keras file, the converted model's predictions
    are compared with the file's own model's on that data (``agreement``), and where they differ on the test split
    the Keras model's own test numbers are kept beside the converted model's (``keras_metrics``)."""
    train, test = data
    report = str(imported.report) if imported.report is not None else ""
    agreement = measure_agreement(imported, data)
    differs = bool(agreement) and not agreement[0].agrees
    return ImportedRun(
        run_id=f"import-{uuid.uuid4().hex[:8]}",
        label=f"#{number} imported {imported.source}",
        spec=spec,
        model=imported.model,
        history=pd.DataFrame(columns=["epoch", "loss"]),
        final_metrics=held_out_metrics(imported.model, spec, train, test),
        message=f"Imported from {imported.source}; not trained here.",
        data=(train, test),
        source=imported.source,
        kind=imported.kind,
        load_report=report,
        agreement=agreement,
        keras_metrics=held_out_metrics(imported.original, spec, train, test) if differs else {},
    )


def origin(run: ImportedRun):
    """An imported run -> rnnlab's ImportedOrigin: what the run store keeps of where its model came from (the
    file, keras / tflearn, the load report, and a .keras model's own layers, which are not the spec's) and what
    was measured of its conversion (the agreement sentence, the Keras model's own test numbers)."""
    from rnnlab.experiments.runs import ImportedOrigin

    return ImportedOrigin(source=run.source, kind=run.kind, load_report=run.load_report or "",
                          layers=describe_model(run.model) if run.kind == "keras" else "",
                          agreement=tuple(run.agreement_message() or ()), keras_metrics=dict(run.keras_metrics))


def reopened_run(stored, number: int) -> ImportedRun:
    """A stored run whose model was imported (``stored.imported`` is its ImportedOrigin) -> ImportedRun labelled
    '#number stored <id>, imported <source>': its model, test numbers and data (the upload's, kept in the run;
    otherwise its spec names them), no history, snapshots or training."""
    found = stored.imported
    return ImportedRun(
        run_id=f"store-{stored.run_id}",
        label=f"#{number} stored {stored.run_id}, imported {found.source}",
        spec=stored.spec,
        model=stored.model,
        history=pd.DataFrame(columns=["epoch", "loss"]),
        final_metrics=dict(stored.final_metrics),
        message=str(stored.meta.get("message", "")) or f"Imported from {found.source}; not trained here.",
        data=getattr(stored, "data", None),
        store_id=stored.run_id,
        source=found.source,
        kind=found.kind,
        load_report=found.load_report,
        keras_metrics=dict(found.keras_metrics),
        stored_agreement=tuple(found.agreement),
    )


def open_as_run(imported: ImportedModel, spec, data: tuple) -> ImportedRun:
    """Make the imported model this session's current run (States, Gates, Gradients, Cell steps and the Padding
    lab open it); -> the run."""
    run = imported_run(imported, spec, data, state.next_run_number())
    state.add_session_run(run)
    return run


__all__ = ["AGREEMENT_TOLERANCE", "MAX_CHECKPOINT_MB", "MAX_MODEL_MB", "Agreement", "ImportedModel", "ImportedRun",
           "agreement_message", "check_model_fits", "checkpoint_files_problem", "compare_predictions",
           "held_out_metrics", "imported_run", "is_imported", "keras_file_problem", "keras_import",
           "measure_agreement", "open_as_run", "origin", "remembered", "reopened_run", "report_rows",
           "tflearn_import"]
