"""One run as one file: ``<run-id>.rnnlab.zip`` moves a stored run between machines (RunStore.export / import_run).

The archive holds one folder, the run's own:

    <run-id>/spec.json  meta.json  history.csv  [model.keras]  [data.npz]  [snapshots/epoch_0005.npz ...]

(TensorBoard files are left out: import writes them again from history.csv.)

Import trusts nothing in the file. Before a byte is extracted: the file must be a zip no larger than
MAX_ARCHIVE_BYTES whose directory lists at most MAX_ARCHIVE_MEMBERS members; every member must be one of the
names above, under one folder named by a run id of the store's format (so no absolute paths, no '..', no
backslashes, no links, no duplicates, no encryption, only stored / deflated members), and the sizes it declares
must add up to at most MAX_ARCHIVE_BYTES. Then the members are extracted (each stopped at its declared size)
into the store's hidden staging folder and read as the store reads them: the spec validates, meta.json names the
same run (and, for a model imported from the user's files, says which file), history.csv has its epochs (none for
such a model: it was not trained here), data.npz and the snapshots load without pickles, and model.keras loads in
Keras safe mode (which never runs code from a file). Only then is the folder renamed into place; any problem
removes the staging folder and raises RunArchiveError, so the store is as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import stat
import struct
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rnnlab.errors import RnnlabError

ARCHIVE_SUFFIX = ".rnnlab.zip"
MAX_ARCHIVE_MEMBERS = 1_000
MAX_ARCHIVE_BYTES = 1 << 30  # the file, and the sum of its members' uncompressed sizes
_SNAPSHOT = re.compile(r"snapshots/epoch_\d{4,5}\.npz")
_CHUNK = 1 << 20


class RunArchiveError(RnnlabError):
    """A file that is not a run archive rnnlab can import: the message names the file, the member and why."""


class RunExists(RnnlabError):
    """The store already holds a different run with the archive's run id."""


@dataclass(frozen=True)
class RunImport:
    """What import_run did: ``run_id`` of the run, ``already_stored`` True when the same run was there already."""

    run_id: str
    already_stored: bool = False

    @property
    def message(self) -> str:
        """One sentence for the user."""
        if self.already_stored:
            return f"run {self.run_id} is already in the store (the same files); nothing was written."
        return f"imported run {self.run_id}."


def _run_files(store, run_id: str) -> list[tuple[str, Path]]:
    """-> [(archive member name, file in the run folder)] of what an export carries, in a fixed order."""
    from rnnlab.experiments import runs

    folder = store.root / run_id
    names = [runs.SPEC_FILE, runs.META_FILE, runs.HISTORY_FILE, runs.MODEL_FILE, runs.DATA_FILE]
    files = [(name, folder / name) for name in names if (folder / name).is_file()]
    meta = json.loads((folder / runs.META_FILE).read_text()) if (folder / runs.META_FILE).is_file() else {}
    files += [(f"{runs.SNAPSHOT_DIR}/{p.name}", p) for p in runs.snapshot_files(folder, meta)]
    return files


def _write_archive(store, run_id: str, target) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in _run_files(store, run_id):
            info = zipfile.ZipInfo(f"{run_id}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(path, "rb") as source, archive.open(info, "w", force_zip64=True) as member:
                shutil.copyfileobj(source, member, _CHUNK)


def export_run(store, run_id: str, path=None) -> Path:
    """A stored run -> ``path``: a file name ending in .zip, else a folder (made if missing) for
    <run-id>.rnnlab.zip; None: the working directory. Written under a temporary name and renamed, so a crash
    leaves no half archive. -> the path written."""
    target = Path(path) if path is not None else Path(".")
    if target.suffix.lower() != ".zip" or target.is_dir():
        target = target / f"{run_id}{ARCHIVE_SUFFIX}"
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{target.name}")
    try:
        _write_archive(store, run_id, temp)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target


def export_run_bytes(store, run_id: str) -> bytes:
    """A stored run -> the bytes of its .rnnlab.zip."""
    buffer = io.BytesIO()
    _write_archive(store, run_id, buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------- import


def import_run(store, source) -> RunImport:
    """A .rnnlab.zip (path, bytes or binary file) -> RunImport; see the module docstring for every check."""
    from rnnlab.experiments import runs

    name, handle = _open_source(source)
    try:
        archive = _open_zip(handle, name)
        with archive:
            run_id, members = _checked_members(archive, name)
            store.root.mkdir(parents=True, exist_ok=True)
            staging = store.root / f"{runs._TMP}import-{run_id}-{uuid.uuid4().hex[:8]}"
            staging.mkdir()
            try:
                for relative, info in members.items():
                    _extract(archive, info, staging / relative, name)
                _check_run_folder(staging, run_id, name)
                history = pd.read_csv(staging / runs.HISTORY_FILE)
                runs._write_tensorboard(staging / runs.TENSORBOARD_DIR, history)
                return _move_into_place(store, staging, run_id, name)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    finally:
        if handle is not source:
            handle.close()


def _open_source(source) -> tuple[str, object]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "the uploaded file", io.BytesIO(bytes(source))
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise RunArchiveError(f"{path}: no such file; expected a run archive (<run-id>{ARCHIVE_SUFFIX}).")
        size = path.stat().st_size
        if size > MAX_ARCHIVE_BYTES:
            raise RunArchiveError(f"{path}: {size} bytes is too large for a run archive; at most {MAX_ARCHIVE_BYTES}.")
        return str(path), open(path, "rb")
    if hasattr(source, "read") and hasattr(source, "seek"):
        return getattr(source, "name", "the uploaded file"), source
    raise TypeError(f"`source` must be a path, bytes or a binary file of a run archive; received {type(source).__name__}.")


def _open_zip(handle, name: str) -> zipfile.ZipFile:
    """The zip, after its end record says it lists at most MAX_ARCHIVE_MEMBERS members (zipfile reads them all)."""
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    if size > MAX_ARCHIVE_BYTES:
        raise RunArchiveError(f"{name}: {size} bytes is too large for a run archive; at most {MAX_ARCHIVE_BYTES}.")
    handle.seek(max(0, size - 22 - 0xFFFF))
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        raise RunArchiveError(f"{name}: not a zip file; expected a run archive (<run-id>{ARCHIVE_SUFFIX}).")
    (entries,) = struct.unpack("<H", tail[at + 10: at + 12])
    if entries > MAX_ARCHIVE_MEMBERS:
        raise RunArchiveError(f"{name}: the zip lists {entries} members; a run archive has at most {MAX_ARCHIVE_MEMBERS}.")
    handle.seek(0)
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as error:
        raise RunArchiveError(f"{name}: not a readable zip file ({error}).") from None
    if len(archive.infolist()) > MAX_ARCHIVE_MEMBERS:  # zip64 directories say more than the classic record
        archive.close()
        raise RunArchiveError(f"{name}: the zip lists more than {MAX_ARCHIVE_MEMBERS} members.")
    return archive


def _checked_members(archive: zipfile.ZipFile, name: str) -> tuple[str, dict[str, zipfile.ZipInfo]]:
    """-> (run id, {name inside the run folder: ZipInfo}) when every member is allowed; RunArchiveError otherwise."""
    from rnnlab.experiments import runs

    allowed = {runs.SPEC_FILE, runs.META_FILE, runs.HISTORY_FILE, runs.MODEL_FILE, runs.DATA_FILE}
    folders, members, total = set(), {}, 0
    for info in archive.infolist():
        member = info.filename
        mode = info.external_attr >> 16
        if member.startswith(("/", "\\")) or "\\" in member or ":" in member or ".." in member.split("/"):
            raise RunArchiveError(f"{name}: member {member!r} has an absolute or escaping path; refused.")
        if stat.S_ISLNK(mode):
            raise RunArchiveError(f"{name}: member {member!r} is a symbolic link; a run archive holds plain files.")
        folder, _, relative = member.partition("/")
        if not runs._RUN_ID.fullmatch(folder):
            raise RunArchiveError(
                f"{name}: member {member!r} is not inside a run folder named by a run id "
                "'YYYYmmdd-HHMMSS-mmm-<8 hex digits>'; this is not a run archive (RunStore.export writes them)."
            )
        if info.is_dir() and relative in ("", f"{runs.SNAPSHOT_DIR}/"):
            continue  # folder entries, as `zip -r` writes them
        if relative not in allowed and not _SNAPSHOT.fullmatch(relative):
            raise RunArchiveError(
                f"{name}: unexpected member {member!r}; a run archive holds {sorted(allowed)} and snapshots/epoch_NNNN.npz."
            )
        if folders and folder not in folders:
            raise RunArchiveError(f"{name}: expected one run folder; found {sorted(folders | {folder})}.")
        if relative in members:
            raise RunArchiveError(f"{name}: member {member!r} appears twice.")
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise RunArchiveError(f"{name}: member {member!r} is encrypted or compressed with method "
                                  f"{info.compress_type}; expected plain stored or deflated members.")
        total += info.file_size
        if total > MAX_ARCHIVE_BYTES:
            raise RunArchiveError(f"{name}: its members declare more than {MAX_ARCHIVE_BYTES} bytes uncompressed; "
                                  f"a run archive holds at most {MAX_ARCHIVE_BYTES}.")
        folders.add(folder)
        members[relative] = info
    if not folders:
        raise RunArchiveError(f"{name}: the zip holds no run folder; expected <run-id>/spec.json, meta.json, ...")
    missing = [m for m in (runs.SPEC_FILE, runs.META_FILE, runs.HISTORY_FILE) if m not in members]
    if missing:
        raise RunArchiveError(f"{name}: missing {missing}; a run archive needs spec.json, meta.json and history.csv.")
    return folders.pop(), members


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, name: str) -> None:
    """One member -> target, refusing more bytes than its declared size (zipfile checks the CRC at the end)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with archive.open(info) as member, open(target, "xb") as out:
            while chunk := member.read(_CHUNK):
                written += len(chunk)
                if written > info.file_size:
                    raise RunArchiveError(f"{name}: member {info.filename!r} holds more than it declares.")
                out.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        if isinstance(error, RnnlabError):
            raise
        raise RunArchiveError(f"{name}: member {info.filename!r} is damaged ({error}).") from None


def _check_run_folder(folder: Path, run_id: str, name: str) -> None:
    """Reads the extracted run as RunStore.load does (spec, meta, history, data, snapshots, model in safe mode)."""
    from rnnlab.experiments import runs
    from rnnlab.experiments.spec import ExperimentSpec

    def fail(what: str, error) -> RunArchiveError:
        return RunArchiveError(f"{name}: {what}: {' '.join(str(error).split())[:300]}")

    try:
        ExperimentSpec.from_json((folder / runs.SPEC_FILE).read_text(encoding="utf-8"))
    except (RnnlabError, UnicodeDecodeError) as error:
        raise fail("spec.json is not a valid experiment spec", error) from None
    try:
        meta = json.loads((folder / runs.META_FILE).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise fail("meta.json is not JSON", error) from None
    if not isinstance(meta, dict) or meta.get("run_id") != run_id:
        got = meta.get("run_id") if isinstance(meta, dict) else meta
        raise RunArchiveError(f"{name}: meta.json names run {got!r}, not the archive's folder {run_id!r}.")
    if meta.get("has_model") and not (folder / runs.MODEL_FILE).is_file():
        raise RunArchiveError(f"{name}: meta.json says the run has a model, but model.keras is missing.")
    try:
        history = pd.read_csv(folder / runs.HISTORY_FILE)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise fail("history.csv is not a table", error) from None
    if meta.get("imported") is not None and runs.ImportedOrigin.from_meta(meta["imported"]) is None:
        raise RunArchiveError(f"{name}: meta.json's \"imported\" must name the file the model came from "
                              f"({{'source': ..., 'kind': 'keras' | 'tflearn'}}); received {str(meta['imported'])[:200]}.")
    # a model imported from the user's files was not trained here: its history has the columns and no rows
    if "epoch" not in history.columns or (len(history) and not all(pd.api.types.is_numeric_dtype(t)
                                                                   for t in history.dtypes)):
        raise RunArchiveError(f"{name}: history.csv must hold numbers with an 'epoch' column; "
                              f"received columns {list(history.columns)[:10]}.")
    try:
        if (folder / runs.DATA_FILE).is_file():
            runs.read_run_data(folder / runs.DATA_FILE)
        runs.RunStore._load_snapshots(folder, {})  # every snapshot member must read, listed or not
    except Exception as error:  # noqa: BLE001 - any reader's failure on a damaged member refuses the run
        raise fail("its data or snapshots could not be read", error) from None
    if (folder / runs.MODEL_FILE).is_file():
        import keras

        import rnnlab.layers  # noqa: F401  (registers rnnlab's layers for deserialisation, deferred mode too)

        try:
            keras.models.load_model(folder / runs.MODEL_FILE, safe_mode=True)
        except Exception as error:  # noqa: BLE001 - safe mode refusing code, or a damaged file: both refuse the run
            raise fail("model.keras could not be loaded in Keras safe mode (which never runs code from a file)",
                       error) from None


def _digest(folder: Path) -> dict[str, str]:
    """run folder -> {member name: sha256} of what an archive carries."""
    from rnnlab.experiments import runs

    out = {}
    for relative in (runs.SPEC_FILE, runs.META_FILE, runs.HISTORY_FILE, runs.MODEL_FILE, runs.DATA_FILE):
        if (folder / relative).is_file():
            out[relative] = _sha256(folder / relative)
    meta = json.loads((folder / runs.META_FILE).read_text()) if (folder / runs.META_FILE).is_file() else {}
    for path in runs.snapshot_files(folder, meta):
        out[f"{runs.SNAPSHOT_DIR}/{path.name}"] = _sha256(path)
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _move_into_place(store, staging: Path, run_id: str, name: str) -> RunImport:
    final = store.root / run_id
    if not final.exists():
        try:
            os.replace(staging, final)
            return RunImport(run_id)
        except OSError:  # another import of this run won the race: compare with it below
            if not final.exists():
                raise
    if _digest(final) == _digest(staging):
        return RunImport(run_id, already_stored=True)
    raise RunExists(
        f"{name}: the store {store.root}/ already holds a different run {run_id} (other files under the same id); "
        "nothing was written. Delete or keep that run; the archive cannot replace it."
    )
