"""Hostile or absurd inputs to the data loaders and generators: every one answered with a DataError, none
allowed to allocate more than the dataset limits (MAX_*) before it is refused.

The NPZ archives here are written by hand with zipfile and hand-made .npy headers, so a member can declare
a shape far larger than the bytes it holds: the test files stay small and nothing big is ever allocated.
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import numpy as np
import pytest

from rnnlab import datasets
from rnnlab.datasets import DataError
from rnnlab.experiments import ExperimentSpec, SpecError, load_data

MIB = 1 << 20


def _header(shape, descr="<f8") -> bytes:
    """A .npy version 1.0 header declaring ``shape`` and ``descr``, and no data."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": tuple(shape)})
    return buffer.getvalue()


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=True)
    return buffer.getvalue()


def _archive(members: dict, compression=zipfile.ZIP_DEFLATED, name="hostile.npz") -> io.BytesIO:
    """{member name: bytes, or (header bytes, n zero bytes after it)} -> an .npz in memory.

    Zero runs are written 1 MiB at a time, so a member that inflates to many MiB is never held whole.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for member, content in members.items():
            if isinstance(content, bytes):
                archive.writestr(member, content)
                continue
            header, zeros = content
            with archive.open(member, "w", force_zip64=True) as stream:
                stream.write(header)
                chunk = bytes(MIB)
                for start in range(0, zeros, MIB):
                    stream.write(chunk[: min(MIB, zeros - start)])
    buffer.seek(0)
    buffer.name = name
    return buffer


def _valid_members() -> dict:
    x = np.ones((3, 4, 2), np.float32)
    return {"x.npy": _npy(x), "y.npy": _npy(np.array([0, 1, 0]))}


def _load_error(source) -> str:
    with pytest.raises(DataError) as caught:
        datasets.load_npz(source)
    return str(caught.value)


# ------------------------------------------------------------------ NPZ: sizes declared in the .npy headers


def test_npz_member_declaring_a_huge_shape_is_refused_from_its_header():
    source = _archive({"x.npy": _header((20000, 1000, 1000)), "y.npy": _npy(np.zeros(20000, np.int64))})
    assert len(source.getvalue()) < 2000
    message = _load_error(source)
    assert message.startswith("hostile.npz: ") and "'x'" in message and "(20000, 1000, 1000)" in message
    assert "20000000000" in message and f"MAX_VALUES={datasets.MAX_VALUES}" in message


@pytest.mark.parametrize(
    "key, shape, limit",
    [
        ("y", (10**9,), "MAX_VALUES"),
        ("lengths", (datasets.MAX_SEQUENCES + 1,), "MAX_SEQUENCES"),
        ("x", (1, datasets.MAX_TIME_STEPS + 1, 1), "MAX_TIME_STEPS"),
    ],
)
def test_npz_other_members_are_checked_from_their_headers(key, shape, limit):
    members = _valid_members()
    members[f"{key}.npy"] = _header(shape, "<i8")  # the data is missing: it must never be read
    message = _load_error(_archive(members))
    assert f"'{key}'" in message and str(shape) in message and limit in message
    assert "truncated" not in message


def _load_error_and_peak(source) -> tuple[str, int]:
    tracemalloc.start()
    try:
        return _load_error(source), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_npz_absurd_compression_ratio_is_refused_before_decompressing():
    shape = (4096, 1000, 1)  # float64: 31 MiB of zeros (deflate: ~1030 to 1), within every MAX_*
    source = _archive({"x.npy": (_header(shape), 4096 * 1000 * 8), "y.npy": _npy(np.zeros(4096, np.int64))})
    assert len(source.getvalue()) < 64 * 1024
    message, peak = _load_error_and_peak(source)
    assert "'x'" in message and "compression ratio" in message and str(shape) in message
    assert peak < 8 * MIB


def test_npz_bzip2_member_is_refused_unopened():
    shape = (4096, 1000, 1)  # bzip2 packs these 31 MiB of zeros into ~150 bytes, and zipfile would
    source = _archive({"x.npy": (_header(shape), 4096 * 1000 * 8), "y.npy": _npy(np.zeros(4096, np.int64))},
                      compression=zipfile.ZIP_BZIP2)  # inflate them whole to read the 128-byte header
    message, peak = _load_error_and_peak(source)
    assert "'x'" in message and "bzip2" in message and "deflated" in message
    assert peak < 8 * MIB


def test_npz_bomb_under_an_ignored_key_is_never_read(monkeypatch):
    opened = []
    original_open = zipfile.ZipFile.open

    def recording_open(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return original_open(self, name, *args, **kwargs)

    members = _valid_members()
    members["notes.npy"] = (_header((4 * MIB,)), 32 * MIB)  # 32 MiB of zeros under a key load_npz ignores
    source = _archive(members)
    monkeypatch.setattr(zipfile.ZipFile, "open", recording_open)
    tracemalloc.start()
    try:
        data = datasets.load_npz(source)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert data.x.shape == (3, 4, 2)
    assert "notes.npy" not in opened and "x.npy" in opened
    assert peak < 8 * MIB


def test_npz_object_dtype_is_refused_from_the_header_and_ignored_when_unused():
    members = _valid_members()
    members["x.npy"] = _header((3, 4, 2), "|O")
    message = _load_error(_archive(members))
    assert "array 'x' holds Python objects" in message and "declared dtype object" in message

    members = _valid_members()
    members["extra.npy"] = _npy(np.array([None, {"a": 1}], dtype=object))  # a pickle: never opened
    assert datasets.load_npz(_archive(members)).x.shape == (3, 4, 2)


def test_truncated_or_corrupt_npz_has_its_own_message():
    whole = io.BytesIO()
    np.savez_compressed(whole, x=np.random.default_rng(0).random((5, 6, 2)), y=np.arange(5))
    cut = io.BytesIO(whole.getvalue()[: len(whole.getvalue()) * 2 // 3])
    message = _load_error(cut)
    assert "the file is truncated or not a valid .npz" in message and "Python objects" not in message

    members = _valid_members()  # a readable zip whose 'x' member stops half way through its data
    members["x.npy"] = members["x.npy"][:-10]
    message = _load_error(_archive(members))
    assert "the file is truncated or not a valid .npz" in message and "'x'" in message
    assert "Python objects" not in message

    corrupt = bytearray(_archive(_valid_members(), compression=zipfile.ZIP_STORED).getvalue())
    at = bytes(corrupt).index(b"\x93NUMPY") + 200  # inside x's data (its header is 128 bytes)
    corrupt[at] ^= 0xFF  # the CRC no longer matches
    message = _load_error(io.BytesIO(bytes(corrupt)))
    assert "the file is truncated or not a valid .npz" in message


def test_npz_with_too_many_members_is_refused_before_listing_them():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, content in _valid_members().items():
            archive.writestr(member, content)
        for i in range(5000):
            archive.writestr(f"m{i}", b"")
    buffer.seek(0)
    message = _load_error(buffer)
    assert "members" in message and "5002" in message


def test_csv_header_with_thousands_of_columns_is_refused_before_parsing(tmp_path):
    header = ",".join(["sequence_id", "t", "label", *(f"f{i}" for i in range(3 * datasets.MAX_FEATURES))])
    path = tmp_path / "wide.csv"
    path.write_text(header + "\n" + ",".join(["a", "0", "1"] + ["1"] * 3 * datasets.MAX_FEATURES) + "\n")
    for source in (path, io.BytesIO(path.read_bytes())):
        with pytest.raises(DataError, match=r"header row names 3003 columns; at most 2002"):
            datasets.load_csv(source)
    endless = io.BytesIO(b"sequence_id,t,label," + b"f" * (2 << 20))
    with pytest.raises(DataError, match="header row is longer than"):
        datasets.load_csv(endless)


# ------------------------------------------------------------------ class labels


def _csv(text: str) -> io.BytesIO:
    buffer = io.BytesIO(text.encode())
    buffer.name = "labels.csv"
    return buffer


def test_sparse_integer_labels_that_would_make_millions_of_classes_are_refused():
    text = "sequence_id,t,f,label\na,0,1.0,0\nb,0,2.0,5\nc,0,3.0,5000000\n"
    assert len(text) < 230
    with pytest.raises(DataError) as caught:
        datasets.load_csv(_csv(text))
    message = str(caught.value)
    assert "label column 'label'" in message and "5000001 classes" in message
    assert f"MAX_CLASSES={datasets.MAX_CLASSES}" in message
    x = np.ones((3, 2, 1), np.float32)
    with pytest.raises(DataError, match=r"y: .*5000001 classes.*MAX_CLASSES"):
        datasets.load_npz(_archive({"x.npy": _npy(x), "y.npy": _npy(np.array([0, 5, 5000000]))}))
    with pytest.raises(DataError, match=r"n_classes.*5000001.*MAX_CLASSES"):
        datasets.SequenceDataset("direct", x, np.array([0, 5, 5000000]), np.full(3, 2), "classification")


def test_too_many_distinct_labels_are_refused():
    labels = np.arange(1, datasets.MAX_CLASSES + 2)  # no 0: numbered by their distinct values
    x = np.ones((len(labels), 1, 1), np.float32)
    source = _archive({"x.npy": _npy(x), "y.npy": _npy(labels)})
    assert f"{len(labels)} distinct labels" in _load_error(source)


@pytest.mark.parametrize("value", ["1e20", "9223372036854775807.0", "-1e19"])
def test_csv_labels_that_do_not_fit_int64_are_refused_not_wrapped(value):
    text = f"sequence_id,t,f,label\na,0,1.0,1\nb,0,2.0,{value}\n"
    with pytest.raises(DataError) as caught:
        datasets.load_csv(_csv(text), task="classification")
    message = str(caught.value)
    assert "label column 'label'" in message and "line 3" in message and "int64" in message
    assert repr(float(value)) in message


def test_exact_int64_csv_labels_keep_their_value():
    data = datasets.load_csv(_csv("sequence_id,t,f,label\na,0,1.0,1\nb,0,2.0,9223372036854775807\n"))
    assert data.class_names == ("1", "9223372036854775807") and list(data.y) == [0, 1]


@pytest.mark.parametrize(
    "y",
    [np.array([1e20, 1.0, 2.0]), np.array([2.0**63, 1.0, 2.0]), np.array([2**64 - 1, 1, 2], np.uint64)],
    ids=["1e20", "2**63", "uint64-max"],
)
def test_npz_labels_that_do_not_fit_int64_are_refused_not_wrapped(y):
    source = _archive({"x.npy": _npy(np.ones((3, 2, 1), np.float32)), "y.npy": _npy(y)})
    with pytest.raises(DataError) as caught:
        datasets.load_npz(source, task="classification")
    message = str(caught.value)
    assert "y[0]" in message and "int64" in message and str(y[0].item()) in message


def test_sequence_dataset_refuses_class_codes_that_do_not_fit_int64():
    with pytest.raises(DataError, match=r"y.*int64"):
        datasets.SequenceDataset("direct", np.ones((2, 1, 1)), np.array([0.0, 1e20]), np.ones(2), "classification")


# ------------------------------------------------------------------ generators

M_T, M_N, M_D = datasets.MAX_TIME_STEPS, datasets.MAX_SEQUENCES, datasets.MAX_FEATURES
BAD_OPTIONS = [
    # (generator, options, fragments the message must hold)
    ("adding", dict(n_samples=M_N + 1), ["n_samples", str(M_N + 1), f"1..{M_N}"]),
    ("adding", dict(T=2_000_000), ["T", "2000000", f"2..{M_T}"]),
    ("adding", dict(T=1), ["T", "received 1", f"2..{M_T}"]),
    ("adding", dict(min_length=1), ["min_length", "received 1", "2..200", "max_length"]),
    ("adding", dict(max_length=M_T + 1), ["max_length", str(M_T + 1), f"2..{M_T}"]),
    ("adding", dict(T="50"), ["T", "'50'", f"2..{M_T}"]),
    ("adding", dict(seed=-1), ["seed", "-1"]),
    ("copy_memory", dict(delay=M_T), ["delay", str(M_T), "copy_length", "MAX_TIME_STEPS"]),
    ("copy_memory", dict(copy_length=M_T), ["copy_length", str(M_T)]),
    ("copy_memory", dict(n_symbols=M_D), ["n_symbols", str(M_D), f"1..{M_D - 2}"]),
    ("copy_memory", dict(n_symbols=0), ["n_symbols", "received 0", f"1..{M_D - 2}"]),
    ("copy_memory", dict(n_samples=M_N, n_symbols=200), ["n_samples", "n_symbols", "MAX_VALUES"]),
    ("parity", dict(T=M_T + 1), ["T", str(M_T + 1), f"1..{M_T}"]),
    ("parity", dict(n_samples=M_N + 1), ["n_samples", str(M_N + 1), f"1..{M_N}"]),
    ("sine", dict(T=M_T + 1), ["T", str(M_T + 1), f"1..{M_T}"]),
    ("sine", dict(noise_std=-1.0), ["noise_std", "-1.0", "[0, 100]"]),
    ("sine", dict(noise_std=float("inf")), ["noise_std", "inf", "[0, 100]"]),
    ("sine", dict(noise_std="0.1"), ["noise_std", "'0.1'", "[0, 100]"]),
    ("flip_flop", dict(T=M_T + 1), ["T", str(M_T + 1), f"1..{M_T}"]),
    ("flip_flop", dict(n_bits=M_D), ["n_bits", str(M_D), f"1..{M_D - 1}"]),
    ("flip_flop", dict(pulse_prob=1.5), ["pulse_prob", "1.5", "(0, 1]"]),
    ("flip_flop", dict(pulse_prob=float("nan")), ["pulse_prob", "nan", "(0, 1]"]),
    ("flip_flop", dict(constant_channel="yes"), ["constant_channel", "'yes'", "True or False"]),
    ("flip_flop", dict(n_samples=M_N, T=M_T, n_bits=2), ["n_samples", "n_bits", "MAX_VALUES"]),
    ("variable_length", dict(min_length=1), ["min_length", "received 1", "2..50", "max_length"]),
    ("variable_length", dict(max_length=M_T + 1), ["max_length", str(M_T + 1), f"2..{M_T}"]),
    ("variable_length_prepadded", dict(n_samples=M_N + 1), ["n_samples", str(M_N + 1), f"1..{M_N}"]),
]


@pytest.mark.parametrize("name, options, fragments", BAD_OPTIONS,
                         ids=[f"{n}-{'-'.join(o)}" for n, o, _ in BAD_OPTIONS])
def test_every_generator_option_is_range_checked(name, options, fragments):
    n_samples = options.pop("n_samples", 10)
    with pytest.raises(DataError) as caught:
        datasets.generate(name, n_samples=n_samples, **options)
    message = str(caught.value)
    assert "expected" in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_generate_checks_n_samples_against_max_sequences():
    with pytest.raises(DataError, match=rf"n_samples .*received {M_N + 1}.*1\.\.{M_N}"):
        datasets.generate("sine", n_samples=M_N + 1)


def test_options_at_their_limits_still_generate():
    assert datasets.make_adding(n_samples=2, T=M_T).x.shape == (2, M_T, 2)
    assert datasets.make_copy_memory(n_samples=2, delay=M_T - 2, copy_length=1, n_symbols=M_D - 2).x.shape == (
        2, M_T, M_D)
    assert datasets.make_flip_flop(n_samples=2, T=5, n_bits=M_D - 1).x.shape == (2, 5, M_D)
    assert datasets.make_sine(n_samples=2, T=5, noise_std=100.0).x.shape == (2, 5, 1)


def test_out_of_range_generator_option_in_a_spec_is_a_spec_error():
    with pytest.raises(SpecError) as caught:
        load_data(ExperimentSpec(dataset_options={"T": 2_000_000, "n_samples": 4}))
    assert caught.value.field == "dataset_options"
    assert str(caught.value).startswith("dataset_options: T must be at most")
    assert "2000000" in str(caught.value) and f"2..{M_T}" in str(caught.value)
