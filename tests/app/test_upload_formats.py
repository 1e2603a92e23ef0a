"""Build page uploads in every format: .csv, .npz (its split array honoured), UEA .ts, UCR .tsv, TRAIN / TEST pairs
that keep their split, and a message in the page (never only Streamlit's red icon) for unknown or bad files."""

import io
from pathlib import Path

import numpy as np
import pytest
from apptools import assert_clean, go, new_app, spec_of, tiny_spec, wait_training

UPLOAD_KEY = "rnnlab:uploaded_dataset"
VOWELS = Path(__file__).resolve().parents[3] / "shared" / "data" / "japanese_vowels"


def ts_text(n: int, seed: int, d: int = 2) -> bytes:
    """A small multivariate, unequal-length .ts file: n cases of 3..6 steps, d channels, classes up / down."""
    rng = np.random.default_rng(seed)
    lines = ["# hand-made", "@problemName Tiny", "@timeStamps false", "@missing false", "@univariate false",
             f"@dimensions {d}", "@equalLength false", "@classLabel true up down", "@data"]
    for i in range(n):
        values = rng.uniform(0.5, 1.5, size=(d, 3 + i % 4))
        channels = [",".join(f"{v:.3f}" for v in channel) for channel in values]
        lines.append(":".join(channels) + (":up" if i % 2 else ":down"))
    return ("\n".join(lines) + "\n").encode()


def tsv_text(n: int) -> bytes:
    """A UCR-style .tsv: labels 1 / 2, series of 3..5 values, NaN-padded to 5."""
    rows = []
    for i in range(n):
        values = [f"{0.5 + 0.1 * (i + t):.2f}" for t in range(3 + i % 3)] + ["NaN"] * (2 - i % 3)
        rows.append("\t".join([str(1 + i % 2), *values]))
    return ("\n".join(rows) + "\n").encode()


def npz_bytes(split) -> bytes:
    n = len(split)
    x = np.random.default_rng(0).uniform(0.5, 1.5, size=(n, 5, 3)).astype(np.float32)
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=np.arange(n) % 2, split=np.asarray(split))
    return buffer.getvalue()


def own_files(spec=None):
    at = new_app(spec or tiny_spec(), page="build")
    at.radio[0].set_value("Your own file (CSV / NPZ)").run()
    return at


def upload(at, *files):
    at.file_uploader(key="build_data_upload").set_value(list(files)).run()
    return at


def training_count(at) -> int:
    text = next(m.value for m in at.markdown if "training sequences**" in m.value)
    return int(text.split("**")[1].split()[0])


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_uploader_takes_any_file_and_several_at_once():
    at = own_files()
    uploader = at.file_uploader(key="build_data_upload")
    assert uploader.allowed_type == []  # the page names a wrong type itself, never only Streamlit's red icon
    assert uploader.accept_multiple_files


def test_ts_train_test_pair_keeps_its_split():
    at = upload(own_files(), ("tiny_TRAIN.ts", ts_text(12, 0), "application/octet-stream"),
                ("tiny_TEST.ts", ts_text(8, 1), "video/mp2t"))
    assert_clean(at)
    assert spec_of(at).dataset == "upload:tiny_TRAIN.ts+tiny_TEST.ts"
    train, test = at.session_state[UPLOAD_KEY]
    assert (train.n_samples, test.n_samples) == (12, 8) and train.class_names == ("up", "down")
    assert train.time_steps == test.time_steps == 6
    assert training_count(at) == 12 and any("2 classes" in m.value for m in at.markdown)
    assert "your data's own" in captions(at) and "12 training and 8 test sequences" in captions(at)


def test_single_ts_and_tsv_files_use_the_random_split():
    at = upload(own_files(), ("tiny_TRAIN.ts", ts_text(12, 0), "application/octet-stream"))
    assert_clean(at)
    assert spec_of(at).dataset == "upload:tiny_TRAIN.ts"
    assert at.session_state[UPLOAD_KEY].n_samples == 12 and training_count(at) == 10  # validation_split 0.2
    assert "at random, validation_split = 0.2" in captions(at)
    upload(at, ("GunPoint_TRAIN.tsv", tsv_text(10), "text/tab-separated-values"))
    assert_clean(at)
    data = at.session_state[UPLOAD_KEY]
    assert spec_of(at).dataset == "upload:GunPoint_TRAIN.tsv" and data.class_names == ("1", "2")
    assert list(data.lengths[:3]) == [3, 4, 5] and training_count(at) == 8


def test_npz_split_key_is_honoured():
    split = np.repeat(["train", "test"], 40)  # the file: 40 / 40, not a random 64 / 16
    at = upload(own_files(), ("motions.npz", npz_bytes(split), "application/octet-stream"))
    assert_clean(at)
    train, test = at.session_state[UPLOAD_KEY]
    assert (train.n_samples, test.n_samples) == (40, 40) and training_count(at) == 40
    assert train.sequence_ids[0] == "0" and test.sequence_ids[0] == "40"
    upload(at, ("codes.npz", npz_bytes(np.r_[np.zeros(30), np.ones(10)].astype(np.uint8)), "application/octet-stream"))
    assert_clean(at)
    assert [d.n_samples for d in at.session_state[UPLOAD_KEY]] == [30, 10]


def test_csv_still_uploads_alone():
    rows = ["sequence_id,t,a,label"] + [f"{s},{t},{0.1 * (t + 1)},{s % 2}" for s in range(10) for t in range(3)]
    at = upload(own_files(), ("walks.csv", "\n".join(rows).encode(), "text/csv"))
    assert_clean(at)
    assert spec_of(at).dataset == "upload:walks.csv" and training_count(at) == 8


@pytest.mark.parametrize(
    "files, expected",
    [
        ([("notes.txt", b"hello", "text/plain")], ["notes.txt: a .txt file is not a data format the app reads",
                                                   ".ts (UEA / sktime"]),
        ([("README", b"hello", "text/plain")], ["README: a file without an extension"]),
        ([("bad.ts", b"@classLabel true up down\n@data\n1,2:3,4:up\n1,?:3,4:down\n", "application/octet-stream")],
         ["Reading bad.ts", "line 4, channel 0, step 1: missing value '?'"]),
        ([("bad.tsv", b"1\t0.5\tNaN\t2\n", "text/plain")], ["Reading bad.tsv", "line 1, field 3 (step 1)"]),
        ([("split.npz", npz_bytes(["train", "valid"]), "application/octet-stream")], ["split.npz", "split[1] = 'valid'"]),
        ([("a.ts", ts_text(4, 0), ""), ("b.tsv", tsv_text(4), "")], ["a.ts, b.tsv: several files make one data set "
                                                                     "only as a TRAIN / TEST pair"]),
        ([("a_TRAIN.ts", ts_text(4, 0), ""), ("b_TEST.ts", ts_text(4, 1), "")], ["a_TRAIN.ts, b_TEST.ts"]),
        ([("a_TRAIN.ts", ts_text(4, 0), ""), ("a_TEST.ts", ts_text(4, 1, d=3), "")],
         ["TRAIN / TEST pair (a_TRAIN.ts, a_TEST.ts): 2 and 3 features (D) per step"]),
        ([("a_TRAIN.ts", ts_text(4, 0), ""), ("a_TEST.ts", b"@data\n", "")], ["Reading a_TEST.ts"]),
        ([("m_TRAIN.npz", npz_bytes([0, 1]), ""), ("m_TEST.npz", npz_bytes([0, 1]), "")],
         ["m_TRAIN.npz: this file has its own train / test split; upload it on its own"]),
    ],
)
def test_unknown_and_bad_files_get_a_message_in_the_page(files, expected):
    at = own_files()
    before = spec_of(at)
    upload(at, *files)
    assert not at.exception
    shown = " | ".join(e.value for e in at.error)
    assert all(text in shown for text in expected), shown
    assert spec_of(at).dataset == before.dataset and spec_of(at).layers == before.layers
    assert UPLOAD_KEY not in at.session_state or at.session_state[UPLOAD_KEY] is None


def test_a_good_file_after_a_bad_one_is_used():
    at = upload(own_files(), ("notes.txt", b"hello", "text/plain"))
    assert at.error
    upload(at, ("tiny.ts", ts_text(10, 0), ""))
    assert_clean(at)
    assert spec_of(at).dataset == "upload:tiny.ts"


def test_training_uses_the_pairs_own_split():
    at = upload(own_files(tiny_spec(epochs=1)), ("tiny_TRAIN.ts", ts_text(12, 0), ""), ("tiny_TEST.ts", ts_text(8, 1), ""))
    go(at, "train")
    at.button(key="train_start").click().run()
    wait_training(at)
    assert_clean(at)
    run = at.session_state["rnnlab:session_runs"][-1]
    assert run.spec.dataset == "upload:tiny_TRAIN.ts+tiny_TEST.ts"
    assert [d.n_samples for d in run.data] == [12, 8]


@pytest.mark.skipif(not VOWELS.is_dir(), reason="the shared data folder (japanese_vowels/) is not beside the clone")
def test_real_japanese_vowels_pair():
    files = [(p.name, p.read_bytes(), "application/octet-stream")
             for p in (VOWELS / "JapaneseVowels_TRAIN.ts", VOWELS / "JapaneseVowels_TEST.ts")]
    at = upload(own_files(), *files)
    assert_clean(at)
    train, test = at.session_state[UPLOAD_KEY]
    assert train.x.shape == (270, 29, 12) and test.x.shape == (370, 29, 12)
    assert training_count(at) == 270 and any("9 classes" in m.value for m in at.markdown)
