"""Runs that keep what they need, in the app.

- a run trained on an uploaded file and saved keeps that data: its link (?run=<id>) opens it in a fresh session
  (no upload there) on the same data, and every page works;
- the Runs page offers the run as one file, and a run file uploaded under "Import a run" lands in the store and
  opens; a file that is not a run archive is an error in the page and leaves the store as it was.
"""

import io

import numpy as np
from apptools import (
    assert_clean,
    go,
    new_app,
    runs_of,
    spec_of,
    tiny_classification,
    train,
)

from rnnlab.experiments import RunStore

UPLOAD_KEY = "rnnlab:uploaded_dataset"


def walks_npz(n: int = 24) -> bytes:
    """An NPZ of n walks, 3..7 real steps of two features (zero-padded), text labels 'down' / 'up', its own split."""
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 8, n)
    labels = np.where(np.arange(n) % 2, "up", "down")
    x = rng.normal(size=(n, 7, 2)) + np.where(labels == "up", 1.0, -1.0)[:, None, None]
    x[np.arange(7)[None, :] >= lengths[:, None]] = 0.0
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=labels, lengths=lengths, split=(np.arange(n) >= n - 6).astype(np.uint8))
    return buffer.getvalue()


def same_data(a, b) -> bool:
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("x", "y", "lengths")) and (
        a.class_names == b.class_names and a.sequence_ids == b.sequence_ids)


def saved_upload_run(monkeypatch, runs_dir):
    """Upload an NPZ on the Build page, train on it, save the run -> (app, the saved SessionRun)."""
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(runs_dir))
    at = new_app(tiny_classification(epochs=1, layers=tiny_classification().layers), page="build")
    at.radio[0].set_value("Your own file (CSV / NPZ)").run()
    at.file_uploader(key="build_data_upload").set_value([("walks.npz", walks_npz(), "application/octet-stream")]).run()
    assert spec_of(at).dataset == "upload:walks.npz"
    train(at)
    at.button(key="train_save_run").click().run()
    saved = runs_of(at)[-1]
    assert saved.store_id and any("with its uploaded data" in s.value for s in at.success)
    return at, saved


def test_the_link_of_an_uploaded_data_run_opens_it_on_that_data_in_a_fresh_session(tmp_path, monkeypatch):
    _, saved = saved_upload_run(monkeypatch, tmp_path)
    assert (tmp_path / saved.store_id / "data.npz").is_file()

    student = new_app(None, run=saved.store_id)  # a fresh session: no upload, only the link
    assert_clean(student)
    (opened,) = runs_of(student)
    assert opened.store_id == saved.store_id and opened.spec == saved.spec
    assert all(same_data(a, b) for a, b in zip(opened.data, saved.data))
    assert student.session_state[UPLOAD_KEY] is opened.data  # Build and Train can use it again
    for page in ("states", "gates", "gradients", "build", "train"):
        go(student, page)
        assert_clean(student)
    assert any(f"stored {saved.store_id}" in c.value for c in go(student, "states").caption)


def test_a_run_file_moves_between_servers_through_the_runs_page(tmp_path, monkeypatch):
    teacher, saved = saved_upload_run(monkeypatch, tmp_path / "here")
    go(teacher, "runs")
    assert_clean(teacher)
    assert [d.proto.label for d in teacher.get("download_button")].count("Download this run") == 1
    archive = RunStore(tmp_path / "here").export_bytes(saved.store_id)  # what the button hands out

    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "there"))  # another server, another store
    student = new_app(None, page="runs")
    student.file_uploader(key="runs_import").set_value(("bad.rnnlab.zip", b"not a zip at all", "application/zip"))
    student.run()
    assert any("not a zip file" in e.value for e in student.error) and RunStore(tmp_path / "there").run_ids() == []
    assert runs_of(student) == []

    student = new_app(None, page="runs")
    student.file_uploader(key="runs_import").set_value((f"{saved.store_id}.rnnlab.zip", archive, "application/zip"))
    student.run()
    assert RunStore(tmp_path / "there").run_ids() == [saved.store_id]
    (opened,) = runs_of(student)
    assert opened.store_id == saved.store_id and spec_of(student) == saved.spec
    assert all(same_data(a, b) for a, b in zip(opened.data, saved.data))
    assert any(f"Imported run {saved.store_id}" in s.value for s in student.success)
    go(student, "states")
    assert_clean(student)
