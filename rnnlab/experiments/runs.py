"""The run store: every trained run in its own folder, written so that a crash never leaves half a file.

    runs/<run-id>/
        spec.json          the ExperimentSpec (ExperimentSpec.from_json reads it back)
        history.csv        one row per epoch: epoch, loss, <metric>, val_loss, val_<metric>, seconds
        meta.json          final metrics, how training ended, when, which samples the snapshots probe; for a
                           model not trained here (imported from the user's files) also "imported": its origin
        model.keras        the trained model (loaded back with keras safe mode)
        snapshots/epoch_0005.npz   probe traces at chosen epochs (Trace.save)
        data.npz           the (train, test) data, only for data the spec cannot name (an upload): run_data.py
        tb/                TensorBoard event files (tensorboard --logdir runs)

    store = RunStore("runs")
    run_id = store.save(spec, result)        # '20251125-031502-123-1a2b3c4d': sortable by time
    store.list()                             # DataFrame, oldest first
    store.save(spec, result, data=(train, test))   # your own data: kept in the run (at most 50 MB as NPZ)
    store.save(spec, result, imported=ImportedOrigin("net.keras", "keras"))   # a model not trained here
    run = store.load(run_id)                 # Run(spec, history, model, snapshots, meta, data)
    store.compare(a, b); store.delete(run_id)
    store.export(run_id, "out/")             # one file, out/<run-id>.rnnlab.zip (run_archive.py)
    store.import_run("x.rnnlab.zip")         # checked in full before anything is written -> RunImport

Atomic writes: a new run is written into a hidden temporary folder and renamed into place; saving again
into an existing run writes every file to a temporary name in the same folder first and only then
``os.replace``-s them, so an error while writing leaves the previous files whole and readable.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from rnnlab.errors import RnnlabError
from rnnlab.experiments.run_data import IMPORT_KINDS, ImportedOrigin, read_run_data, write_run_data  # noqa: F401
from rnnlab.experiments.spec import ExperimentSpec

SPEC_FILE = "spec.json"
HISTORY_FILE = "history.csv"
META_FILE = "meta.json"
MODEL_FILE = "model.keras"
SNAPSHOT_DIR = "snapshots"
DATA_FILE = "data.npz"
TENSORBOARD_DIR = "tb"
_TMP = ".tmp-"
_RUN_ID = re.compile(r"\d{8}-\d{6}-\d{3}-[0-9a-f]{8}")  # new_run_id's format
#: Staging files older than this (seconds) are debris of a save that was killed; younger ones may belong to a
#: save in progress in another process (the app and the command line share a store).
STAGING_MAX_AGE_S = 600


class RunNotFound(RnnlabError, KeyError):
    """No run (or more than one) matches the id given."""

    def __str__(self):  # KeyError would quote the message
        return self.args[0] if self.args else ""


@dataclass
class Run:
    """A stored run: id, folder, spec, history DataFrame, model (None when not loaded), snapshots epoch -> Trace,
    data: the (train, test or None) SequenceDatasets it trained on when the run keeps them (uploads), else None."""

    run_id: str
    path: Path
    spec: ExperimentSpec
    history: pd.DataFrame
    model: Any = None
    snapshots: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    data: tuple | None = None

    @property
    def final_metrics(self) -> dict:
        """The run's final metrics (loss, val_loss, ..., epochs, seconds)."""
        return dict(self.meta.get("final_metrics", {}))

    @property
    def snapshot_indices(self) -> tuple:
        """Which test samples (indices into the spec's test set) the snapshots probe."""
        return tuple(self.meta.get("snapshot_indices", ()))

    @property
    def imported(self) -> ImportedOrigin | None:
        """Where the model came from when it was not trained here (meta.json "imported"), else None (a training,
        and every run stored before imported runs could be stored)."""
        return ImportedOrigin.from_meta(self.meta.get("imported"))


def snapshot_files(folder: Path, meta: dict) -> list[Path]:
    """A run folder and its meta.json -> the snapshot files of the run: those meta's "snapshot_epochs" lists (meta is
    written last: a re-save killed after it leaves older files that are not the run's), else every epoch_*.npz."""
    found = sorted((folder / SNAPSHOT_DIR).glob("epoch_*.npz")) if (folder / SNAPSHOT_DIR).is_dir() else []
    listed = meta.get("snapshot_epochs")
    if not isinstance(listed, list):
        return found
    return [path for path in found if int(path.stem.split("_")[1]) in {e for e in listed if isinstance(e, int)}]


def new_run_id(spec: ExperimentSpec, now: _dt.datetime | None = None) -> str:
    """-> 'YYYYmmdd-HHMMSS-mmm-<spec hash>': UTC time to the millisecond, then 8 hex digits of the spec."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    return f"{now:%Y%m%d-%H%M%S}-{now.microsecond // 1000:03d}-{spec.short_hash(8)}"


def _save_model(model, path: str) -> None:
    model.save(path)


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _save_snapshot(trace, path: str) -> None:
    trace.save(path)


def _temp_name(folder: Path, final_name: str) -> Path:
    """A temporary name in ``folder`` that keeps the final suffix (Keras and NumPy insist on .keras / .npz)."""
    return folder / f"{_TMP}{uuid.uuid4().hex[:8]}-{final_name}"


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if np.isfinite(value) else None
    return value


def _flatten(value, prefix="") -> dict:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = {}
        for i, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


class RunStore:
    """runs/<run-id>/ folders: save, list, load, delete, compare (see the module docstring)."""

    def __init__(self, root="runs"):
        self.root = Path(root)
        self._clean_staging_debris()

    def _clean_staging_debris(self) -> None:
        """Remove what killed saves left behind: staging folders of new runs and temporary files in run folders."""
        if not self.root.is_dir():
            return
        cutoff = time.time() - STAGING_MAX_AGE_S
        for debris in [*self.root.glob(f"{_TMP}*"), *self.root.glob(f"*/{_TMP}*"), *self.root.glob(f"*/*/{_TMP}*")]:
            try:
                if debris.lstat().st_mtime > cutoff:
                    continue
                if debris.is_dir() and not debris.is_symlink():
                    shutil.rmtree(debris, ignore_errors=True)
                else:
                    debris.unlink(missing_ok=True)
            except OSError:
                continue

    # ---- writing
    def save(self, spec: ExperimentSpec, result, run_id: str | None = None, *, save_model: bool = True,
             data=None, imported: ImportedOrigin | None = None) -> str:
        """spec + TrainResult -> run id. With ``run_id`` of an existing run, its files are replaced atomically
        (e.g. a checkpoint after each epoch); otherwise a new run folder appears whole or not at all.

        data: the (train, test) SequenceDatasets [N, T, D] the run trained on, to keep in the run as data.npz
        (pass it for data the spec cannot name, such as an upload; RunDataTooLarge over MAX_RUN_DATA_BYTES, and
        then nothing is written). None keeps a data.npz an earlier save of this run wrote.

        imported: for a model not trained here (read from the user's files), where it came from (ImportedOrigin),
        kept in meta.json as "imported"; ``result`` is then anything with the TrainResult fields the store reads
        (model, history (may have no rows), final_metrics, message, ...). None for a training.
        """
        if imported is not None and not isinstance(imported, ImportedOrigin):
            raise RnnlabError(f"`imported` must be an ImportedOrigin or None; received {type(imported).__name__}.")
        if run_id is not None and (not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id)):
            raise RnnlabError(
                "`run_id` must be an id of this store's own format 'YYYYmmdd-HHMMSS-mmm-<8 hex digits>' (as save "
                f"returns it), or None for a new run; received {run_id!r}."
            )
        if run_id is not None and (self.root / run_id).is_dir():
            self._write_files(self.root / run_id, run_id, spec, result, save_model, data, imported)
            return run_id
        self.root.mkdir(parents=True, exist_ok=True)
        run_id = run_id or new_run_id(spec)
        while (self.root / run_id).exists():  # two saves within a millisecond
            run_id = new_run_id(spec)
        staging = self.root / f"{_TMP}{run_id}"
        staging.mkdir()
        try:
            self._write_files(staging, run_id, spec, result, save_model, data, imported)
            os.replace(staging, self.root / run_id)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return run_id

    def _write_files(self, folder: Path, run_id: str, spec, result, save_model: bool, data=None,
                     imported: ImportedOrigin | None = None) -> None:
        history = result.history
        snapshots = {int(e): t for e, t in (result.snapshots or {}).items() if hasattr(t, "save")}
        meta = {
            "run_id": run_id,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "describe": spec.describe(),
            "final_metrics": _jsonable(result.final_metrics),
            "stopped_early": bool(result.stopped_early),
            "diverged": bool(getattr(result, "diverged", False)),
            "message": result.message,
            "seconds": float(getattr(result, "seconds", 0.0)),
            "snapshot_epochs": sorted(snapshots),
            "snapshot_indices": list(getattr(result, "snapshot_indices", ())),
            "has_model": bool(save_model and result.model is not None),
            "has_data": data is not None or (folder / DATA_FILE).is_file(),
            "rnnlab_version": _version(),
        }
        if imported is not None:  # only then: a training's meta.json is as it always was
            meta["imported"] = imported.to_meta()
            if imported.layers:
                meta["describe"] = f"{spec.dataset}: {imported.layers}"
        old_meta = folder / META_FILE
        if old_meta.exists():  # an update keeps the creation time (and where an imported model came from)
            try:
                previous = json.loads(old_meta.read_text())
                meta["created"] = previous["created"]
                if imported is None and isinstance(previous.get("imported"), dict):
                    meta["imported"] = previous["imported"]
                    meta["describe"] = previous.get("describe", meta["describe"])
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                pass
        staged: list[tuple[Path, Path]] = []  # (temporary, final)

        def stage(final: Path, write: Callable[[str], None]) -> None:
            temp = _temp_name(final.parent, final.name)
            staged.append((temp, final))
            write(str(temp))

        try:
            if data is not None:
                stage(folder / DATA_FILE, lambda p: write_run_data(data, p))
            if meta["has_model"]:
                stage(folder / MODEL_FILE, lambda p: _save_model(result.model, p))
            if snapshots:
                (folder / SNAPSHOT_DIR).mkdir(exist_ok=True)
            for epoch, trace in snapshots.items():
                stage(folder / SNAPSHOT_DIR / f"epoch_{epoch:04d}.npz", lambda p, t=trace: _save_snapshot(t, p))
            stage(folder / HISTORY_FILE, lambda p: _write_text(p, history.to_csv(index=False)))
            stage(folder / SPEC_FILE, lambda p: _write_text(p, spec.to_json()))
            tb_new = folder / f"{_TMP}{uuid.uuid4().hex[:8]}-{TENSORBOARD_DIR}"
            staged.append((tb_new, folder / TENSORBOARD_DIR))
            _write_tensorboard(tb_new, history)
            stage(folder / META_FILE, lambda p: _write_text(p, json.dumps(meta, indent=2)))
        except BaseException:
            for temp, _ in staged:
                if temp.is_dir():
                    shutil.rmtree(temp, ignore_errors=True)
                else:
                    temp.unlink(missing_ok=True)
            raise
        for temp, final in staged:  # meta.json last: a run with meta is complete
            if temp.is_dir():
                if final.exists():
                    trash = folder / f"{_TMP}old-{uuid.uuid4().hex[:8]}"
                    os.replace(final, trash)
                    os.replace(temp, final)
                    shutil.rmtree(trash, ignore_errors=True)
                else:
                    os.replace(temp, final)
            else:
                os.replace(temp, final)
        kept = {final for _, final in staged}  # a re-save with fewer snapshots: the others are no longer the run's
        for old in (folder / SNAPSHOT_DIR).glob("epoch_*.npz") if (folder / SNAPSHOT_DIR).is_dir() else ():
            if old not in kept:
                old.unlink(missing_ok=True)

    # ---- reading
    def run_ids(self) -> list[str]:
        """-> every complete run id, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / META_FILE).is_file()
        )

    def resolve(self, run_id: str) -> str:
        """'latest', a full id or a unique prefix -> the full run id (RunNotFound otherwise)."""
        ids = self.run_ids()
        if run_id == "latest":
            if not ids:
                raise RunNotFound(f"no runs in {self.root}/ yet; train one first (rnnlab train SPEC.json).")
            return ids[-1]
        if run_id in ids:
            return run_id
        matches = [i for i in ids if i.startswith(run_id)] if run_id else []
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise RunNotFound(f"run id {run_id!r} is ambiguous in {self.root}/: it starts {len(matches)} runs.")
        hint = f"; the latest is {ids[-1]!r}" if ids else " (there are no runs yet)"
        raise RunNotFound(f"no run {run_id!r} in {self.root}/{hint}.")

    def list(self) -> pd.DataFrame:
        """-> DataFrame, one row per run, oldest first: run_id, created, dataset, layers, epochs, loss,
        val_loss, val_accuracy / val_mae, stopped_early, message, imported_from (the file of a model not trained
        here, else None)."""
        rows = []
        for run_id in self.run_ids():
            folder = self.root / run_id
            try:
                meta = json.loads((folder / META_FILE).read_text())
                spec = json.loads((folder / SPEC_FILE).read_text())
            except (OSError, ValueError):
                continue
            final = meta.get("final_metrics", {})
            row = {
                "run_id": run_id,
                "created": meta.get("created"),
                "dataset": spec.get("dataset"),
                "layers": meta.get("describe", "").split(": ", 1)[-1],
                "epochs": final.get("epochs"),
                "loss": final.get("loss"),
                "val_loss": final.get("val_loss"),
            }
            for key in ("val_accuracy", "val_mae"):
                if key in final:
                    row[key] = final[key]
            row.update(stopped_early=meta.get("stopped_early"), message=meta.get("message"))
            origin = ImportedOrigin.from_meta(meta.get("imported"))
            row["imported_from"] = origin.source if origin is not None else None
            rows.append(row)
        columns = ["run_id", "created", "dataset", "layers", "epochs", "loss", "val_loss", "val_accuracy", "val_mae",
                   "stopped_early", "message", "imported_from"]
        frame = pd.DataFrame(rows, columns=columns)
        return frame

    def load(self, run_id: str, *, load_model: bool = True, load_data: bool = True) -> Run:
        """run id (or 'latest' / a unique prefix) -> Run; the model is loaded with Keras safe mode, and the data
        the run keeps (data.npz, for uploads) as Run.data = (train, test) unless ``load_data=False``."""
        import keras

        import rnnlab.layers  # noqa: F401  (registers rnnlab's layers for deserialisation, deferred mode too)

        run_id = self.resolve(run_id)
        folder = self.root / run_id
        spec = ExperimentSpec.from_json((folder / SPEC_FILE).read_text())
        history = pd.read_csv(folder / HISTORY_FILE)
        meta = json.loads((folder / META_FILE).read_text())
        model = None
        if load_model and (folder / MODEL_FILE).is_file():
            try:
                model = keras.models.load_model(folder / MODEL_FILE, safe_mode=True)
            except (ValueError, TypeError, OSError) as error:  # safe mode refuses code, or the file is damaged
                raise RnnlabError(
                    f"run {run_id}: its model could not be loaded (Keras safe mode, which never runs code stored "
                    f"in a file): {' '.join(str(error).split())[:300]}"
                ) from None
        data = read_run_data(folder / DATA_FILE) if load_data and (folder / DATA_FILE).is_file() else None
        return Run(run_id=run_id, path=folder, spec=spec, history=history, model=model,
                   snapshots=self._load_snapshots(folder, meta), meta=meta, data=data)

    @staticmethod
    def _load_snapshots(folder: Path, meta: dict) -> dict:
        try:
            from rnnlab.probes import Trace
        except ImportError:
            Trace = None
        snapshots = {}
        for path in snapshot_files(folder, meta):
            epoch = int(path.stem.split("_")[1])
            if Trace is not None:
                snapshots[epoch] = Trace.load(path)
            else:
                with np.load(path, allow_pickle=False) as data:
                    snapshots[epoch] = {k: data[k] for k in data.files}
        return snapshots

    # ---- moving runs between machines (rnnlab/experiments/run_archive.py)
    def export(self, run_id: str, path=None) -> Path:
        """run id -> one .rnnlab.zip file (spec, weights, history, snapshots, data) at ``path``: a file name
        ending in .zip, else a folder for <run-id>.rnnlab.zip (None: the working directory). -> the file written."""
        from rnnlab.experiments.run_archive import export_run

        return export_run(self, self.resolve(run_id), path)

    def export_bytes(self, run_id: str) -> bytes:
        """run id -> the bytes of its .rnnlab.zip (what export writes), e.g. for a download button."""
        from rnnlab.experiments.run_archive import export_run_bytes

        return export_run_bytes(self, self.resolve(run_id))

    def import_run(self, source):
        """A .rnnlab.zip (path, bytes or binary file) -> RunImport(run_id, already_stored). Checked in full first
        (members, sizes, names, spec, history, data, model in Keras safe mode), then moved into place whole;
        a different run with the same id is refused (RunExists), the same one again is left as it is."""
        from rnnlab.experiments.run_archive import import_run

        return import_run(self, source)

    # ---- managing
    def delete(self, run_id: str) -> str:
        """Remove a run (renamed away first, so it disappears from list() at once). -> the id deleted."""
        run_id = self.resolve(run_id)
        trash = self.root / f"{_TMP}deleted-{run_id}-{uuid.uuid4().hex[:6]}"
        os.replace(self.root / run_id, trash)
        shutil.rmtree(trash, ignore_errors=True)
        return run_id

    def compare(self, a: str, b: str, *, all_settings: bool = False) -> pd.DataFrame:
        """Two runs -> DataFrame indexed by name, columns kind ('setting' | 'metric'), <run a>, <run b>, differs.

        Rows: the spec settings that differ (all of them with ``all_settings``; names like
        'layers[0].n_units'), then every final metric ('epochs_trained' and 'train_seconds' for the
        final metrics 'epochs' and 'seconds', which would clash with the settings).
        """
        a, b = self.resolve(a), self.resolve(b)
        if a == b:
            raise RnnlabError(f"compare needs two different runs; received {a!r} twice.")
        metas = [json.loads((self.root / r / META_FILE).read_text()) for r in (a, b)]
        specs = [_flatten(ExperimentSpec.from_json((self.root / r / SPEC_FILE).read_text()).to_dict()) for r in (a, b)]
        rows = []
        for name in list(dict.fromkeys([*specs[0], *specs[1]])):
            va, vb = specs[0].get(name), specs[1].get(name)
            if all_settings or va != vb:
                rows.append({"name": name, "kind": "setting", a: _show(va), b: _show(vb), "differs": va != vb})
        finals = [m.get("final_metrics", {}) for m in metas]
        for name in list(dict.fromkeys([*finals[0], *finals[1]])):
            va, vb = finals[0].get(name), finals[1].get(name)
            label = {"epochs": "epochs_trained", "seconds": "train_seconds"}.get(name, name)  # not the settings
            rows.append({"name": label, "kind": "metric", a: va, b: vb, "differs": va != vb})
        return pd.DataFrame(rows, columns=["name", "kind", a, b, "differs"]).set_index("name")


def _show(value):
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


def _version() -> str:
    import rnnlab

    return getattr(rnnlab, "__version__", "")


def _write_tensorboard(directory: Path, history: pd.DataFrame) -> None:
    """history -> TensorBoard scalars (one per column, step = epoch) in ``directory``.

    Written with the core ``tf.summary.write`` and the scalar plugin's metadata, so the ``tensorboard``
    package is needed only to look at them, not to write them.
    """
    import tensorflow as tf
    from tensorflow.core.framework import summary_pb2

    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
        data_class=summary_pb2.DATA_CLASS_SCALAR,
    )

    directory.mkdir(parents=True, exist_ok=True)
    writer = tf.summary.create_file_writer(str(directory))
    try:
        with writer.as_default():
            for row in history.to_dict("records"):
                step = int(row["epoch"])
                for name, value in row.items():
                    if name != "epoch" and value is not None and np.isfinite(value):
                        tf.summary.write(name, tf.constant(float(value), tf.float32), step=step, metadata=metadata)
        writer.flush()
    finally:
        writer.close()
