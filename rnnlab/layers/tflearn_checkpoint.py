"""Load a TFLearn ``DNN.save`` checkpoint into the same network built with rnnlab's functions.

    report = rnnlab.load_tflearn_checkpoint(model, "model.tfl")   # model.tfl.index + model.tfl.data-00000-of-00001
    print(report)                                                 # what loaded, what was left

The checkpoint is read with TensorFlow's own reader (``tf.train.load_checkpoint``); TFLearn is not needed and the
``.meta`` graph file is not read. Layers match by their TFLearn scope, which is the rnnlab layer's name:

==========================  =================================================================================
model layer (name = scope)  checkpoint variables (TFLearn 0.5.0 on TF 2)
==========================  =================================================================================
rnnlab SimpleRNN ``S``      ``S/.../BasicRNNCell/Linear/Matrix``, ``.../Linear/Bias``
rnnlab LSTM ``S``           ``S/.../BasicLSTMCell/Linear/Matrix``, ``.../Linear/Bias`` (blocks i, j, f, o)
rnnlab GRU ``S``            ``S/.../GRUCell/Gates/Linear/{Matrix,Bias}``, ``.../Candidate/Linear/{Matrix,Bias}``
rnnlab BiRNN ``S``          the same under ``S/.../fw/...`` and ``S/.../bw/...`` (``FW`` / ``BW`` too)
keras Dense ``S``           ``S/W`` [in, out] and ``S/b`` (TFLearn's ``fully_connected``: FullyConnected, ...)
keras Embedding ``S``       ``S/W`` (TFLearn's ``embedding``)
==========================  =================================================================================

rnnlab's functional API names layers as TFLearn does (LSTM, LSTM_1, GRU, BiRNN, ...), so a network rebuilt with
the same calls in the same order matches; name Keras Dense layers like TFLearn's scopes (``FullyConnected``,
``FullyConnected_1``, ...). The weights move unchanged: rnnlab keeps TFLearn's layout (SPEC.md).

Nothing is assigned until every match has been checked: a shape mismatch raises an RnnlabError naming the
checkpoint variable, the model weight and both shapes. Layers and cells built with ``restore=False`` keep their
weights. Optimizer slots (``.../Adam``), step counters and moving averages are training state and never loaded.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import asdict, dataclass, field

import keras
import numpy as np
import tensorflow as tf

from rnnlab.errors import RnnlabError, describe
from rnnlab.layers.bidirectional import BiRNN
from rnnlab.layers.checkpoint import _walk
from rnnlab.layers.recurrent import Recurrent

# rnnlab cell kind -> (TFLearn cell class, variable suffixes in the cell's get_weights() order, bias flags)
_TFLEARN_CELLS = {
    "simple_rnn": ("BasicRNNCell", (("Linear/Matrix", False), ("Linear/Bias", True))),
    "lstm": ("BasicLSTMCell", (("Linear/Matrix", False), ("Linear/Bias", True))),
    "gru": ("GRUCell", (("Gates/Linear/Matrix", False), ("Gates/Linear/Bias", True),
                        ("Candidate/Linear/Matrix", False), ("Candidate/Linear/Bias", True))),
}
_KIND_OF_CELL = {cell: kind for kind, (cell, _) in _TFLEARN_CELLS.items()}
_DIRECTIONS = {"fw": ("fw", "FW"), "bw": ("bw", "BW")}
_CHECKPOINT_SUFFIX = re.compile(r"\.(index|meta|data-\d{5}-of-\d{5})$")


@dataclass
class LoadedVariable:
    """One checkpoint variable assigned to one model weight."""

    checkpoint_name: str
    model_weight: str
    shape: list[int]


@dataclass
class TFLearnLoadReport:
    """What :func:`load_tflearn_checkpoint` did. ``to_dict()`` is JSON; ``str()`` reads as a short report.

    loaded: the checkpoint variables assigned, each with the model weight it went to.
    left_in_checkpoint: model variables of the checkpoint that no layer of the model took (a layer named otherwise,
        a layer the model lacks, a Bias of a cell built with bias=False).
    training_state: optimizer slots, step counters, moving averages: saved by TFLearn, never loaded.
    not_loaded: model layers the checkpoint had nothing for (they keep their weights).
    kept: layers and cells built with restore=False (kept on purpose).
    """

    checkpoint: str
    loaded: list[LoadedVariable] = field(default_factory=list)
    left_in_checkpoint: list[str] = field(default_factory=list)
    training_state: list[str] = field(default_factory=list)
    not_loaded: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """-> a JSON-ready dict with the fields above."""
        return asdict(self)

    def __str__(self) -> str:
        lines = [f"TFLearn checkpoint {self.checkpoint!r}: {len(self.loaded)} variables loaded."]
        lines += [f"  {v.checkpoint_name} -> {v.model_weight} {tuple(v.shape)}" for v in self.loaded]
        for title, names in (("Not loaded (the checkpoint has nothing for them)", self.not_loaded),
                             ("Kept (restore=False)", self.kept),
                             ("Left in the checkpoint (no layer of that name)", self.left_in_checkpoint)):
            if names:
                lines.append(f"{title}: {', '.join(names)}.")
        if self.training_state:
            lines.append(f"Training state not loaded (optimizer slots, counters): {len(self.training_state)} "
                         "variables.")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- the checkpoint


def checkpoint_prefix(path) -> str:
    """A checkpoint prefix, one of its files (``.index``, ``.data-*``, ``.meta``) or its folder -> the prefix."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"`path` must be a str or os.PathLike; received {describe(path)}.")
    path = os.fspath(path)
    if os.path.isdir(path):
        latest = tf.train.latest_checkpoint(path)
        indexes = sorted(f for f in os.listdir(path) if f.endswith(".index"))
        if latest is None and len(indexes) == 1:
            latest = os.path.join(path, indexes[0][: -len(".index")])
        if latest is None:
            raise RnnlabError(
                f"`path`={path!r} is a folder with {len(indexes)} checkpoint .index files and no 'checkpoint' file "
                "naming the latest; pass the checkpoint prefix (e.g. 'model.tfl' for model.tfl.index)."
            )
        return latest
    prefix = _CHECKPOINT_SUFFIX.sub("", path)
    if not os.path.isfile(prefix + ".index"):
        raise RnnlabError(
            f"`path`={path!r}: no checkpoint there (expected {prefix + '.index'!r} and its .data-* files, as TFLearn's "
            "DNN.save writes them)."
        )
    return prefix


def _read(prefix: str):
    try:
        reader = tf.train.load_checkpoint(prefix)
        shapes = reader.get_variable_to_shape_map()
    except Exception as error:  # TensorFlow raises DataLossError, NotFoundError, ... by cause
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RnnlabError(f"The checkpoint {prefix!r} could not be read: {first}") from None
    return reader, {name: tuple(shape) for name, shape in shapes.items()}


def _is_training_state(name: str, shapes: dict) -> bool:
    """Optimizer slots are named after their variable (``X/Adam``); counters and averages are scalars."""
    parent = name.rsplit("/", 1)[0] if "/" in name else None
    return (parent is not None and parent in shapes) or shapes[name] == () or "moving_avg" in name


# ---------------------------------------------------------------------------------------------- matching


def _cell_matches(names, scope: str, cell_name: str, suffix: str, direction: str | None) -> list[str]:
    found = []
    for name in names:
        if not (name.startswith(scope + "/") and name.endswith(f"/{cell_name}/{suffix}")):
            continue
        middle = name[len(scope) + 1: -len(f"{cell_name}/{suffix}")].split("/")
        in_direction = any(part in _DIRECTIONS[direction] for part in middle) if direction else not any(
            part in _DIRECTIONS["fw"] + _DIRECTIONS["bw"] for part in middle)
        if in_direction:
            found.append(name)
    return found


def _cell_targets(cell, scope: str, direction: str | None, names, label: str) -> list[tuple[str, object, str]]:
    """-> [(checkpoint name, model variable, model weight label)] for one rnnlab cell; [] if nothing matches."""
    cell_name, suffixes = _TFLEARN_CELLS[cell.kind]
    wanted = [suffix for suffix, is_bias in suffixes if cell.bias or not is_bias]
    matches = [_cell_matches(names, scope, cell_name, suffix, direction) for suffix in wanted]
    where = f"scope {scope!r}" + (f" ({direction})" if direction else "")
    if not any(matches):
        others = {c for c in _KIND_OF_CELL if c != cell_name
                  and any(_cell_matches(names, scope, c, s, direction) for s, _ in _TFLEARN_CELLS[_KIND_OF_CELL[c]][1])}
        if others:
            raise RnnlabError(
                f"The checkpoint's {where} holds a TFLearn {sorted(others)[0]} ({_KIND_OF_CELL[sorted(others)[0]]}); "
                f"the model's {label} is a {cell.kind} cell ({cell_name}). Build the layer of the same kind."
            )
        return []
    for suffix, found in zip(wanted, matches):
        if len(found) != 1:
            raise RnnlabError(
                f"The checkpoint's {where} holds {len(found)} variables ending in {cell_name}/{suffix} "
                f"({', '.join(found) or 'none'}); expected exactly one for the model's {label}."
            )
    return [(found[0], variable, f"{label} {variable.path.rsplit('/', 1)[-1]}")
            for found, variable in zip(matches, cell.weights)]


def _layer_targets(layer, names) -> list[tuple[str, object, str]] | None:
    """-> the (checkpoint name, variable, label) triples for one model layer; None if the layer has no TFLearn form."""
    scope = layer.name
    if isinstance(layer, Recurrent):
        return _cell_targets(layer.cell, scope, None, names, f"layer {scope!r}")
    if isinstance(layer, BiRNN):
        targets = []
        for direction, cell in (("fw", layer.cell_fw), ("bw", layer.cell_bw)):
            if getattr(cell, "restore", True):
                targets += _cell_targets(cell, scope, direction, names, f"layer {scope!r} cell_{direction}")
        return targets
    if isinstance(layer, keras.layers.Dense):
        pairs = [("W", layer.kernel)] + ([("b", layer.bias)] if layer.use_bias else [])
    elif isinstance(layer, keras.layers.Embedding):
        pairs = [("W", layer.embeddings)]
    else:
        return None
    return [(f"{scope}/{leaf}", variable, f"layer {scope!r} {variable.path.rsplit('/', 1)[-1]}")
            for leaf, variable in pairs if f"{scope}/{leaf}" in names]


def _restored(layer) -> bool:
    return getattr(layer, "restore", True) is not False


# ---------------------------------------------------------------------------------------------- loading


def load_tflearn_checkpoint(model, path, *, checkpoint_label: str | None = None) -> TFLearnLoadReport:
    """Assign a TFLearn ``DNN.save`` checkpoint's weights to ``model``; -> a TFLearnLoadReport.

    Shapes: each checkpoint variable has the shape of the model weight it goes to (rnnlab keeps TFLearn's
    layout: Matrix [D + n, k n], Bias [k n]; Dense W [in, out], b [out]).

    Arguments:
        model: a built keras.Model (or layer) made with rnnlab's functions and Keras Dense / Embedding layers named
            like TFLearn's scopes. Its layers and cells built with ``restore=False`` keep their weights.
        path: the checkpoint prefix ('model.tfl'), one of its files (.index, .data-*, .meta) or its folder.
        checkpoint_label: the name the report gives the checkpoint (default: the prefix).

    Raises RnnlabError for a missing or unreadable checkpoint, a layer of another kind under the same scope, and
    a shape mismatch (naming the variable and both shapes); nothing is assigned then.
    """
    if not isinstance(model, keras.layers.Layer):
        raise TypeError(f"`model` must be a built keras.Model or layer; received {describe(model)}.")
    prefix = checkpoint_prefix(path)
    reader, shapes = _read(prefix)
    report = TFLearnLoadReport(checkpoint=checkpoint_label or prefix)
    training = {name for name in shapes if _is_training_state(name, shapes)}
    names = sorted(set(shapes) - training)
    assignments, seen = [], set()
    for layer in _walk(model):
        if id(layer) in seen or isinstance(layer, keras.Model):
            continue
        seen.add(id(layer))
        cells = [getattr(layer, a) for a in ("cell", "cell_fw", "cell_bw") if hasattr(layer, a)]
        seen.update(id(c) for c in cells)
        if not _restored(layer) or (cells and not any(_restored(c) for c in cells)):
            report.kept.append(layer.name)
            continue
        report.kept += [f"{layer.name} {c.name}" for c in cells if not _restored(c)]
        if any(id(c) in {id(a[3]) for a in assignments} for c in cells):
            continue  # a twin sharing a cell already matched (reuse=True)
        if not layer.built:
            raise RnnlabError(f"`model` layer {layer.name!r} is not built: call the model on data or build it first.")
        targets = _layer_targets(layer, names)
        if targets is None:
            continue
        if not targets and layer.weights:
            report.not_loaded.append(layer.name)
        for checkpoint_name, variable, label in targets:
            assignments.append((checkpoint_name, variable, label, cells[0] if cells else layer))
    for checkpoint_name, variable, label, _ in assignments:
        if shapes[checkpoint_name] != tuple(variable.shape):
            raise RnnlabError(
                f"Checkpoint variable {checkpoint_name!r} has shape {shapes[checkpoint_name]}, but the model's "
                f"{label} has shape {tuple(variable.shape)}; nothing was loaded. Build the layer with the same "
                "n_units and input as the TFLearn network."
            )
    for checkpoint_name, variable, label, _ in assignments:
        value = reader.get_tensor(checkpoint_name)
        variable.assign(np.asarray(value, dtype=variable.dtype))
        report.loaded.append(LoadedVariable(checkpoint_name, label, list(shapes[checkpoint_name])))
    used = {a[0] for a in assignments}
    report.left_in_checkpoint = [name for name in names if name not in used]
    report.training_state = sorted(training)
    return report


def load_tflearn_checkpoint_files(model, files: dict) -> TFLearnLoadReport:
    """Uploaded checkpoint files {file name: bytes} -> load them into ``model`` (see :func:`load_tflearn_checkpoint`).

    ``files`` must hold one ``<prefix>.index`` and its ``<prefix>.data-*`` file(s); a ``.meta`` file and TFLearn's
    ``checkpoint`` file may come along and are not needed. They are written to a temporary folder, deleted after.
    """
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, (bytes, bytearray))
                                              for k, v in files.items()):
        raise TypeError(f"`files` must be a dict {{file name: bytes}}; received {describe(files)}.")
    for name in files:
        if os.path.basename(name) != name or name in ("", ".", ".."):
            raise RnnlabError(f"`files` names must be plain file names; received {name!r}.")
    indexes = [name for name in files if name.endswith(".index")]
    if len(indexes) != 1:
        raise RnnlabError(
            f"`files` must hold exactly one .index file (with its .data-* files); received {len(indexes)} among "
            f"{sorted(files)}."
        )
    prefix = indexes[0][: -len(".index")]
    data = [name for name in files if name.startswith(prefix + ".data-")]
    if not data:
        raise RnnlabError(
            f"`files` has {indexes[0]!r} but no {prefix}.data-00000-of-00001 (the weights); received {sorted(files)}."
        )
    with tempfile.TemporaryDirectory(prefix="rnnlab-tflearn-") as folder:
        for name in [indexes[0], *data]:
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(files[name])
        return load_tflearn_checkpoint(model, os.path.join(folder, prefix), checkpoint_label=prefix)


__all__ = ["LoadedVariable", "TFLearnLoadReport", "checkpoint_prefix", "load_tflearn_checkpoint",
           "load_tflearn_checkpoint_files"]
