"""Reading an .npz archive without trusting it: the zip directory and each wanted member's .npy header are
checked before a single array byte is decompressed, and members nobody asks for are never opened.

    with NpzArchive(source, name) as archive:     # the zip directory, its size checked first
        archive.keys                               # every member, ".npy" dropped: ('x', 'y', ...)
        header = archive.header("x")               # NpyHeader: shape, dtype (object dtypes, bzip2 / lzma
                                                   #   members refused); the caller checks its limits
        x = archive.read("x")                      # the array, exactly as many bytes as its header declares
                                                   #   (truncated members, absurd compression refused first)

Every problem is a DataError naming the file (and the key): "the file is truncated or not a valid .npz: ..."
for broken archives, "holds Python objects" for object dtypes (never unpickled), and the declared size
against the limit for members that would decompress into too much.
"""

from __future__ import annotations

import io
import math
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnlab.datasets.dataset import MAX_FILE_BYTES, DataError

MAX_NPZ_MEMBERS = 1_000  # arrays in one archive (load_npz uses at most 8; save_npz may add a few)
MAX_ZIP_DIRECTORY_BYTES = 1 << 20  # the zip's central directory, parsed into Python objects by zipfile
MAX_COMPRESSION_RATIO = 1_000  # declared bytes / compressed bytes ...
RATIO_CHECK_BYTES = 16 << 20  # ... checked for members declaring more than this

_NPY_MAGIC = b"\x93NUMPY"
_EOCD = b"PK\x05\x06"  # end of central directory record
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what numpy.savez / savez_compressed write
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}
# what a broken archive or member raises inside zipfile / zlib / numpy.lib.format
_BROKEN = (ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError,
           struct.error)


@dataclass(frozen=True)
class NpyHeader:
    """What a member's .npy header declares: shape, dtype, and the data bytes that follow the header."""

    key: str
    shape: tuple[int, ...]
    dtype: np.dtype
    data_bytes: int  # prod(shape) * itemsize
    header_bytes: int  # magic string and header, before the data
    member_bytes: int  # the member's uncompressed size as the zip directory gives it
    compressed_bytes: int

    @property
    def n_values(self) -> int:
        """prod(shape), the number of values declared."""
        return math.prod(self.shape)

    def describe(self) -> str:
        """e.g. "shape (20000, 1000, 1000) float64"."""
        return f"shape {self.shape} {self.dtype}"


class NpzArchive:
    """An .npz archive opened for checked reading (see the module docstring); use it as a context manager."""

    def __init__(self, source, name: str):
        self.name = name
        self._owned = None
        if isinstance(source, (str, os.PathLike)):
            source = self._owned = open(Path(source), "rb")  # closed in close()
        elif not (hasattr(source, "seek") and hasattr(source, "tell")):
            data = source.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise DataError(f"{name}: more than {MAX_FILE_BYTES} bytes is too large; at most MAX_FILE_BYTES={MAX_FILE_BYTES}.")
            source = io.BytesIO(data)
        try:
            self._zip = self._open_zip(source)
        except BaseException:
            self.close()
            raise
        members: dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():  # a repeated name: the last one wins, as in numpy.load
            key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            members[key] = info
        self._members = members
        self.keys = tuple(members)

    # ---- the zip directory
    def _open_zip(self, source) -> zipfile.ZipFile:
        source.seek(0)
        start = source.read(len(_NPY_MAGIC))
        source.seek(0)
        if start == _NPY_MAGIC:
            shape = self._single_npy_shape(source)
            raise DataError(f"{self.name}: a single .npy array, shape {shape}; expected an .npz archive with 'x' and 'y'.")
        if not start.startswith(b"PK"):
            what = "the file is empty" if not start else "not a zip file"
            raise DataError(f"{self.name}: not a readable .npz archive ({what}); expected arrays 'x' and 'y'.")
        entries, directory_bytes = self._directory_size(source)
        if entries > MAX_NPZ_MEMBERS or directory_bytes > MAX_ZIP_DIRECTORY_BYTES:
            raise DataError(
                f"{self.name}: the zip directory lists {entries} members in {directory_bytes} bytes; at most "
                f"{MAX_NPZ_MEMBERS} members in {MAX_ZIP_DIRECTORY_BYTES} bytes (an .npz holds a few arrays)."
            )
        try:
            archive = zipfile.ZipFile(source)
        except _BROKEN as error:
            raise self._broken(error) from None
        if len(archive.infolist()) > MAX_NPZ_MEMBERS:  # the directory held more than its record said
            count = len(archive.infolist())
            archive.close()
            raise DataError(f"{self.name}: the zip directory lists {count} members; at most {MAX_NPZ_MEMBERS}.")
        return archive

    def _directory_size(self, source) -> tuple[int, int]:
        """-> (members, bytes) of the central directory as the end records declare it, read from the tail."""
        source.seek(0, io.SEEK_END)
        size = source.tell()
        tail_bytes = min(size, 22 + 0xFFFF)  # the end record and its comment (at most 64 KiB)
        source.seek(size - tail_bytes)
        tail = source.read(tail_bytes)
        at = tail.rfind(_EOCD)
        if at < 0 or at + 22 > len(tail):
            raise self._broken("no end of central directory record")
        entries, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
        locator = tail[at - 20 : at] if at >= 20 else b""
        if locator[:4] == _ZIP64_LOCATOR:  # zip64: the real counts are in the zip64 end record
            (offset,) = struct.unpack("<Q", locator[8:16])
            source.seek(min(offset, size))
            record = source.read(56)
            if record[:4] == _ZIP64_EOCD and len(record) == 56:
                entries, directory_bytes = struct.unpack("<QQ", record[32:48])
        source.seek(0)
        return entries, directory_bytes

    def _single_npy_shape(self, source) -> tuple:
        try:
            return _read_npy_header(source)[0]
        except _BROKEN:
            return "unreadable"

    # ---- members
    def header(self, key: str) -> NpyHeader:
        """key -> NpyHeader of that member, read from its first bytes only; refuses object dtypes and
        compression methods other than stored and deflated (zipfile inflates bzip2 / lzma without a bound)."""
        info = self._members[key]
        if info.compress_type not in _METHODS:  # bzip2 / lzma: zipfile inflates those without a bound
            raise DataError(
                f"{self.name}: array '{key}' is compressed with method {info.compress_type} "
                f"({_METHOD_NAMES.get(info.compress_type, 'unknown')}); expected stored or deflated members, as "
                "numpy.savez and numpy.savez_compressed write them."
            )
        try:
            with self._zip.open(info) as member:
                shape, dtype = _read_npy_header(member)
                header_bytes = member.tell()
        except _BROKEN as error:
            raise self._broken(f"array '{key}': {error}") from None
        if any(size < 0 for size in shape):
            raise self._broken(f"array '{key}' declares a negative dimension, shape {shape}")
        declared = NpyHeader(key, tuple(int(s) for s in shape), dtype, math.prod(shape) * dtype.itemsize,
                             header_bytes, info.file_size, info.compress_size)
        if dtype.hasobject:
            raise DataError(
                f"{self.name}: array '{key}' holds Python objects (ragged sequences of different lengths?); "
                f"declared dtype object ({declared.describe()}), which is never unpickled. Save x as one "
                "[N, T, D] number array, zero-padded at the end, with the true lengths in 'lengths'."
            )
        return declared

    def read(self, key: str) -> np.ndarray:
        """key -> the array, decompressing exactly the bytes its header declares; first refuses a member
        shorter than its header declares, or one whose compression ratio is above MAX_COMPRESSION_RATIO."""
        declared = self.header(key)
        if declared.member_bytes < declared.header_bytes + declared.data_bytes:
            raise self._broken(
                f"array '{key}' declares {declared.describe()} = {declared.data_bytes} bytes of data but its "
                f"member holds {max(declared.member_bytes - declared.header_bytes, 0)}"
            )
        ratio = declared.data_bytes / max(declared.compressed_bytes, 1)
        if declared.data_bytes > RATIO_CHECK_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise DataError(
                f"{self.name}: array '{key}' declares {declared.describe()} = {declared.data_bytes} bytes from "
                f"{declared.compressed_bytes} compressed bytes, a compression ratio of {ratio:.0f}; at most "
                f"{MAX_COMPRESSION_RATIO} for arrays over {RATIO_CHECK_BYTES} bytes (a zip bomb?)."
            )
        try:
            with self._zip.open(self._members[key]) as member:
                return np.lib.format.read_array(member, allow_pickle=False)
        except _BROKEN as error:
            raise self._broken(f"array '{key}': {error}") from None

    # ---- errors, closing
    def _broken(self, detail) -> DataError:
        return DataError(f"{self.name}: the file is truncated or not a valid .npz: {detail}.")

    def close(self) -> None:
        """Closes the zip and the file this archive opened itself (a caller's buffer stays open)."""
        if getattr(self, "_zip", None) is not None:
            self._zip.close()
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> NpzArchive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _read_npy_header(stream) -> tuple[tuple, np.dtype]:
    """.npy stream at its start -> (shape, dtype), reading only the magic string and the header."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f".npy format version {version[0]}.{version[1]} is not supported (1.0 and 2.0 are)")
    return shape, dtype
