"""Runs keep what they need, and move as one file.

- a run trained on your own data keeps that data (data.npz) and load gives it back, array for array;
- export -> import into another store -> load: the same spec, weights (predictions), history, snapshots, data;
- archives that are not runs (zip slip, links, too many / too large members, missing members, a bad id, not a
  zip, a model Keras safe mode refuses) each give a clear error and leave the store as it was.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import stat
import zipfile

import numpy as np
import pandas as pd
import pytest

import rnnlab
from rnnlab import datasets
from rnnlab.errors import RnnlabError
from rnnlab.experiments import (
    ExperimentSpec,
    LayerSpec,
    RunStore,
    run_archive,
    run_data,
    split_dataset,
    train,
)
from rnnlab.experiments.run_archive import RunArchiveError, RunExists
from rnnlab.experiments.run_data import RunDataTooLarge, read_run_data, write_run_data

SPEC = ExperimentSpec(dataset="upload:walks.csv", layers=(LayerSpec("gru", 4, dynamic=True),), batch_size=8,
                      epochs=2, seed=3, validation_split=0.25)


def walks_csv(n: int = 24, seed: int = 0) -> bytes:
    """A long CSV of n walks of 3..7 steps with text labels 'down' / 'up' (what a user uploads)."""
    rng = np.random.default_rng(seed)
    rows = ["sequence_id,t,a,b,label"]
    for i in range(n):
        label = "up" if i % 2 else "down"
        for t in range(int(rng.integers(3, 8))):
            rows.append(f"walk{i},{t},{rng.normal() + (1 if label == 'up' else -1):.4f},{rng.normal():.4f},{label}")
    return "\n".join(rows).encode()


def uploaded(n: int = 24):
    buffer = io.BytesIO(walks_csv(n))
    buffer.name = "walks.csv"
    return datasets.load_csv(buffer)


@pytest.fixture(scope="module")
def trained():
    """(train, test) of an uploaded CSV and a short training on them with snapshots."""
    pair = split_dataset(uploaded(), SPEC)
    with rnnlab.naming_context():
        result = train(SPEC, dataset=pair, snapshot_epochs=(0, 2), snapshot_samples=2)
    return pair, result


def assert_same_dataset(a, b):
    for name in ("x", "y", "lengths"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert getattr(a, name).dtype == getattr(b, name).dtype
    for name in ("name", "task", "n_classes", "feature_names", "class_names", "sequence_ids", "warnings"):
        assert getattr(a, name) == getattr(b, name), name


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


# ------------------------------------------------------------------------------------------ data.npz


def labelling(n, t, seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, t + 1, n)
    valid = np.arange(t)[None, :] < lengths[:, None]
    x = np.where(valid[..., None], rng.normal(size=(n, t, 2)) + 3, 0)
    y = np.where(valid, rng.integers(0, 60, (n, t)), 0)  # 60 classes: more than load_npz would infer as classes
    return datasets.SequenceDataset("steps", x, y, lengths, "sequence_labelling", n_classes=60,
                                    warnings=(f"note {seed}",))


def regression(n, t, seed):
    rng = np.random.default_rng(seed)
    return datasets.SequenceDataset("sums", rng.normal(size=(n, t, 3)) + 5, rng.normal(size=(n, 2)),
                                    np.full(n, t), "regression", feature_names=("p", "q", "r"))


@pytest.mark.parametrize("pair", [
    lambda: split_dataset(uploaded(), SPEC),
    lambda: (labelling(9, 6, 0), labelling(4, 9, 1)),  # test longer than train: padded in the file, cut back
    lambda: (regression(7, 5, 0), regression(3, 5, 1)),
    lambda: (regression(7, 5, 0), None),
], ids=["classes-text-labels", "labelling-different-T", "regression", "no-test-part"])
def test_run_data_reads_back_exactly_what_was_written(tmp_path, pair):
    train_part, test_part = pair()
    size = write_run_data((train_part, test_part), tmp_path / "data.npz")
    assert size == (tmp_path / "data.npz").stat().st_size
    back_train, back_test = read_run_data(tmp_path / "data.npz")
    assert_same_dataset(back_train, train_part)
    if test_part is None:
        assert back_test is None
    else:
        assert_same_dataset(back_test, test_part)


def test_the_data_file_is_an_ordinary_npz_with_its_split(tmp_path):
    train_part, test_part = split_dataset(uploaded(), SPEC)
    write_run_data((train_part, test_part), tmp_path / "data.npz")
    again_train, again_test = datasets.load_npz_train_test(tmp_path / "data.npz")
    np.testing.assert_array_equal(again_train.x, train_part.x)
    np.testing.assert_array_equal(again_test.y, test_part.y)
    assert again_test.class_names == ("down", "up")


def test_data_over_the_limit_is_refused_and_the_store_keeps_nothing(tmp_path, trained, monkeypatch):
    pair, result = trained
    with pytest.raises(RunDataTooLarge, match=r"MB as data.npz; a run keeps at most"):
        write_run_data(pair, tmp_path / "d.npz", max_bytes=100)
    assert not (tmp_path / "d.npz").exists()
    monkeypatch.setattr(run_data, "MAX_RUN_DATA_BYTES", 100)
    store = RunStore(tmp_path / "runs")
    with pytest.raises(RunDataTooLarge):
        store.save(SPEC, result, data=pair)
    assert store.run_ids() == [] and files_under(tmp_path / "runs") == []


def test_bad_data_argument_names_what_was_expected(tmp_path, trained):
    with pytest.raises(TypeError, match=r"`data` must be the \(train, test\) SequenceDatasets.*received dict"):
        RunStore(tmp_path).save(SPEC, trained[1], data={"x": 1})


# ------------------------------------------------------------------------------- a run of uploaded data


def test_a_run_of_uploaded_data_reopens_with_that_data(tmp_path, trained):
    pair, result = trained
    store = RunStore(tmp_path / "runs")
    run_id = store.save(SPEC, result, data=pair)
    assert (tmp_path / "runs" / run_id / "data.npz").is_file()
    run = store.load(run_id)
    assert run.meta["has_data"] is True
    assert_same_dataset(run.data[0], pair[0])
    assert_same_dataset(run.data[1], pair[1])
    np.testing.assert_array_equal(run.model.predict(run.data[1].x, verbose=0),
                                  result.model.predict(pair[1].x, verbose=0))
    assert store.load(run_id, load_data=False).data is None
    store.save(SPEC, result, run_id=run_id)  # saving again without data keeps the data
    assert_same_dataset(store.load(run_id).data[1], pair[1])


def test_a_run_of_named_data_keeps_no_data_file(tmp_path, trained):
    store = RunStore(tmp_path)
    run_id = store.save(SPEC, trained[1])
    assert not (tmp_path / run_id / "data.npz").exists() and store.load(run_id).data is None


# ------------------------------------------------------------------------------------ export / import


@pytest.fixture
def exported(tmp_path, trained):
    """(source store, run id, archive path) of the uploaded-data run."""
    pair, result = trained
    store = RunStore(tmp_path / "here")
    run_id = store.save(SPEC, result, data=pair)
    return store, run_id, store.export(run_id, tmp_path / "out")


def test_export_then_import_gives_the_same_run_on_another_machine(tmp_path, exported, trained):
    store, run_id, path = exported
    assert path == tmp_path / "out" / f"{run_id}.rnnlab.zip" and path.is_file()
    assert path.read_bytes() == store.export_bytes(run_id)  # one file, the same bytes either way
    names = zipfile.ZipFile(path).namelist()
    assert all(n.startswith(f"{run_id}/") for n in names) and f"{run_id}/data.npz" in names

    there = RunStore(tmp_path / "there")
    outcome = there.import_run(path)
    assert outcome.run_id == run_id and not outcome.already_stored and "imported" in outcome.message
    original, copy = store.load(run_id), there.load(run_id)
    assert copy.spec == original.spec == SPEC
    pd.testing.assert_frame_equal(copy.history, original.history)
    assert copy.meta == original.meta
    for a, b in zip(original.model.get_weights(), copy.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = trained[0][1].x
    np.testing.assert_array_equal(copy.model.predict(x, verbose=0), original.model.predict(x, verbose=0))
    for a, b in zip(original.data, copy.data):
        assert_same_dataset(a, b)
    assert sorted(copy.snapshots) == [0, 2]
    np.testing.assert_array_equal(copy.snapshots[2].get("GRU", "h"), original.snapshots[2].get("GRU", "h"))
    assert list((tmp_path / "there" / run_id / "tb").glob("events.out.tfevents.*"))  # written again from history

    again = there.import_run(path.read_bytes())
    assert again.already_stored and "already in the store" in again.message and there.run_ids() == [run_id]


def test_import_refuses_to_replace_a_different_run_with_the_same_id(tmp_path, exported, trained):
    _, run_id, path = exported
    there = RunStore(tmp_path / "there")
    there.save(SPEC, dataclasses.replace(trained[1], message="another run"), run_id=run_id)
    before = {p: p.read_bytes() for p in (tmp_path / "there").rglob("*") if p.is_file()}
    with pytest.raises(RunExists, match=rf"already holds a different run {run_id}.*nothing was written"):
        there.import_run(path)
    assert {p: p.read_bytes() for p in (tmp_path / "there").rglob("*") if p.is_file()} == before


def rewritten(path, change) -> bytes:
    """The archive at ``path`` with ``change(name, data) -> [(ZipInfo or name, data), ...]`` applied to each member."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            for name, data in change(info.filename, source.read(info)):
                target.writestr(name, data)
    return out.getvalue()


def symlink(name):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def added(member, data=b"x"):
    """A change that adds one member (``member`` may use {run} for the run folder) next to spec.json."""
    def change(n, d):
        run = n.split("/")[0]
        extra = symlink(member.format(run=run)) if data is None else member.format(run=run)
        return [(n, d), (extra, data or b"/etc/passwd")] if n.endswith("spec.json") else [(n, d)]
    return change


def replaced(suffix, new):
    """A change that replaces the member ending in ``suffix`` by ``new(data)`` (None: drops it)."""
    def change(n, d):
        if not n.endswith(suffix):
            return [(n, d)]
        return [] if new is None else [(n, new(d))]
    return change


MALFORMED = {
    "zip slip": (added("../evil.txt"), "absolute or escaping path"),
    "zip slip inside": (added("{run}/../../evil.txt"), "escaping path"),
    "absolute path": (added("/tmp/evil.txt"), "absolute or escaping path"),
    "symlink": (added("{run}/snapshots/epoch_0007.npz", None), "symbolic link"),
    "unexpected member": (added("{run}/run.py", b"print(1)"), "unexpected member"),
    "missing history": (replaced("history.csv", None), "missing ['history.csv']"),
    "bad run id": (lambda n, d: [("my-run/" + n.split("/", 1)[1], d)], "not inside a run folder named by a run id"),
    "two runs": (added("20200101-000000-000-00000000/spec.json"), "expected one run folder"),
    "meta of another run": (replaced("meta.json", lambda d: d.replace(b'"run_id": "', b'"run_id": "x')),
                            "meta.json names run"),
    "bad spec": (replaced("spec.json", lambda d: b'{"layers": 3}'), "spec.json is not a valid experiment spec"),
    "damaged model": (replaced("model.keras", lambda d: d[: len(d) // 2]),
                      "model.keras could not be loaded in Keras safe mode"),
    "damaged data": (replaced("data.npz", lambda d: b"PK not really"), "its data or snapshots could not be read"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_archive_is_refused_and_nothing_is_written(tmp_path, exported, case):
    _, _, path = exported
    change, fragment = MALFORMED[case]
    there = RunStore(tmp_path / "there")
    with pytest.raises(RunArchiveError, match=re.escape(fragment)):
        there.import_run(rewritten(path, change))
    assert files_under(tmp_path / "there") == []
    assert not list(tmp_path.rglob("evil.txt")) and not (tmp_path.parent / "evil.txt").exists()


def test_too_many_or_too_large_members_are_refused_before_extraction(tmp_path, exported, monkeypatch):
    _, run_id, path = exported
    there = RunStore(tmp_path / "there")
    many = rewritten(path, lambda n, d: [(n, d)] + [(f"{run_id}/snapshots/epoch_{9000 + i}.npz", b"")
                                                    for i in range(run_archive.MAX_ARCHIVE_MEMBERS)]
                     if n.endswith("spec.json") else [(n, d)])
    with pytest.raises(RunArchiveError, match=r"the zip lists \d+ members; a run archive has at most 1000"):
        there.import_run(many)
    monkeypatch.setattr(run_archive, "MAX_ARCHIVE_BYTES", path.stat().st_size + 10)  # the file fits, not the members
    with pytest.raises(RunArchiveError, match=r"members declare more than \d+ bytes uncompressed"):
        there.import_run(path)
    monkeypatch.setattr(run_archive, "MAX_ARCHIVE_BYTES", 1000)
    with pytest.raises(RunArchiveError, match=r"bytes is too large for a run archive; at most 1000"):
        there.import_run(path)
    assert files_under(tmp_path / "there") == []


@pytest.mark.parametrize("source, fragment", [
    (b"just some bytes, not a zip", "not a zip file"),
    (b"", "not a zip file"),
    ("no-such-file.rnnlab.zip", "no such file"),
])
def test_what_is_not_a_zip_is_refused(tmp_path, source, fragment):
    store = RunStore(tmp_path / "there")
    with pytest.raises(RunArchiveError, match=fragment):
        store.import_run(str(tmp_path / source) if isinstance(source, str) else source)
    assert files_under(tmp_path / "there") == []


def test_import_source_of_a_wrong_type_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="`source` must be a path, bytes or a binary file.*received int"):
        RunStore(tmp_path).import_run(3)


def test_export_of_an_unknown_run_names_it(tmp_path):
    with pytest.raises(RnnlabError, match="no run 'nothing'"):
        RunStore(tmp_path).export("nothing", tmp_path)


def test_an_archive_zipped_by_hand_with_folder_entries_imports(tmp_path, exported):
    _, run_id, path = exported
    by_hand = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(by_hand, "w") as target:
        target.writestr(f"{run_id}/", b"")
        target.writestr(f"{run_id}/snapshots/", b"")
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
    assert RunStore(tmp_path / "there").import_run(by_hand.getvalue()).run_id == run_id
    assert json.loads((tmp_path / "there" / run_id / "meta.json").read_text())["run_id"] == run_id


def test_a_model_that_carries_code_is_refused_by_keras_safe_mode(tmp_path, exported):
    import keras

    _, _, path = exported
    inputs = keras.Input((3,))
    keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2)(inputs)).save(tmp_path / "code.keras")
    with_code = rewritten(path, replaced("model.keras", lambda d: (tmp_path / "code.keras").read_bytes()))
    with pytest.raises(RunArchiveError, match=r"model.keras could not be loaded in Keras safe mode.*[Ll]ambda"):
        RunStore(tmp_path / "there").import_run(with_code)
    assert files_under(tmp_path / "there") == []
