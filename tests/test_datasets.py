"""Sample data, generators and loaders (rnnlab/datasets/, sample_data/)."""

from __future__ import annotations

import importlib.util
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnnlab import datasets
from rnnlab.datasets import DataError, DataWarning, SequenceDataset
from rnnlab.padding import padding_report, tflearn_lengths_np

SAMPLE_DATA = Path(__file__).resolve().parents[1] / "sample_data"
SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data"

# name -> (x shape of 'all', y shape of 'all', n_train, n_test, task, n_classes)
SHIPPED = {
    "adding": ((2000, 200, 2), (2000, 1), 1600, 400, "regression", None),
    "copy_memory": ((1000, 40, 10), (1000, 40), 800, 200, "sequence_labelling", 9),
    "parity": ((2000, 20, 1), (2000, 20), 1600, 400, "sequence_labelling", 2),
    "sine": ((2000, 50, 1), (2000, 1), 1600, 400, "regression", None),
    "flip_flop": ((600, 100, 4), (600, 100, 3), 480, 120, "sequence_labelling", None),
    "variable_length": ((1000, 50, 1), (1000,), 800, 200, "classification", 2),
    "variable_length_prepadded": ((1000, 50, 1), (1000,), 800, 200, "classification", 2),
    "japanese_vowels": ((640, 29, 12), (640,), 270, 370, "classification", 9),
    "airline": ((132, 12, 1), (132, 1), 106, 26, "regression", None),
}
SMALL = {  # generator -> small arguments for quick checks
    "adding": dict(n_samples=50),
    "copy_memory": dict(n_samples=50),
    "parity": dict(n_samples=50),
    "sine": dict(n_samples=50),
    "flip_flop": dict(n_samples=20),
    "variable_length": dict(n_samples=50),
    "variable_length_prepadded": dict(n_samples=50),
}


def _make_samples_module():
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLE_DATA / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _csv(frame: pd.DataFrame) -> io.BytesIO:
    buffer = io.BytesIO(frame.to_csv(index=False).encode())
    buffer.name = "upload.csv"
    return buffer


def _npz(**arrays) -> io.BytesIO:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    buffer.name = "upload.npz"
    return buffer


def _long_frame(n_seq=3, n_steps=4, label=None) -> pd.DataFrame:
    rows = []
    for s in range(n_seq):
        for t in range(n_steps):
            rows.append({"sequence_id": f"s{s}", "t": t, "f1": 1.0 + s + t, "f2": -0.5 * t - 1, "label": s % 2 if label is None else label})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------- generators


@pytest.mark.parametrize("name", list(SMALL))
def test_generators_reproducible_for_a_seed_and_different_across_seeds(name):
    a = datasets.generate(name, seed=3, **SMALL[name])
    b = datasets.generate(name, seed=3, **SMALL[name])
    c = datasets.generate(name, seed=4, **SMALL[name])
    assert a.x.tobytes() == b.x.tobytes() and a.y.tobytes() == b.y.tobytes()
    assert np.array_equal(a.lengths, b.lengths)
    assert a.x.tobytes() != c.x.tobytes()
    # generated data never has an all-zero real step: TFLearn's count is the true length
    report = padding_report(a.x)
    if name == "variable_length_prepadded":
        assert np.array_equal(report.tflearn, a.lengths)
        assert np.array_equal(report.leading_padding, a.time_steps - a.lengths)
    else:
        assert np.array_equal(report.tflearn, a.lengths)
        assert np.array_equal(report.trailing, a.lengths)


def test_adding_targets_are_the_sum_of_the_two_marked_values():
    data = datasets.make_adding(n_samples=300, seed=1)
    assert data.x.shape == (300, 200, 2) and data.y.shape == (300, 1)
    assert 30 <= data.lengths.min() and data.lengths.max() <= 200 and len(np.unique(data.lengths)) > 50
    for b in range(data.n_samples):
        length = data.lengths[b]
        values, markers = data.x[b, :, 0], data.x[b, :, 1]
        marked = np.flatnonzero(markers == 1)
        assert len(marked) == 2 and np.count_nonzero(markers) == 2
        assert marked[0] < length // 2 <= marked[1] < length
        assert np.all(values[:length] > 0) and np.all(values[:length] <= 1)
        assert np.all(data.x[b, length:] == 0)
        assert data.y[b, 0] == pytest.approx(values[marked[0]] + values[marked[1]], abs=1e-6)
    fixed = datasets.make_adding(n_samples=10, T=50, seed=0)
    assert fixed.x.shape == (10, 50, 2) and np.all(fixed.lengths == 50)


def test_adding_baseline_mse_of_predicting_one_is_a_sixth():
    y = datasets.load("adding", "all").y[:, 0]
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, abs=0.015)


def test_parity_labels_recomputed_step_by_step():
    data = datasets.make_parity(n_samples=40, T=15, seed=2)
    assert set(np.unique(data.x)) == {-1.0, 1.0}
    for b in range(40):
        parity = 0
        for t in range(15):
            parity ^= int(data.x[b, t, 0] > 0)
            assert data.y[b, t] == parity


def test_copy_memory_input_and_target():
    data = datasets.make_copy_memory(n_samples=30, delay=7, copy_length=4, n_symbols=5, seed=0)
    assert data.x.shape == (30, 15, 7) and data.y.shape == (30, 15) and data.n_classes == 6
    assert np.all(data.x.sum(axis=2) == 1)  # one-hot, so never all zero
    codes = data.x.argmax(axis=2)
    for b in range(30):
        assert np.all((1 <= codes[b, :4]) & (codes[b, :4] <= 5))
        assert np.all(codes[b, 4:10] == 0) and codes[b, 10] == 6 and np.all(codes[b, 11:] == 0)
        assert np.all(data.y[b, :11] == 0) and np.array_equal(data.y[b, 11:], codes[b, :4])


def test_flip_flop_outputs_hold_the_last_pulse():
    data = datasets.make_flip_flop(n_samples=10, T=60, pulse_prob=0.1, seed=5)
    assert data.x.shape == (10, 60, 4) and np.all(data.x[..., 3] == 1)
    assert set(np.unique(data.x[..., :3])) == {-1.0, 0.0, 1.0}
    for b in range(10):
        held = [0.0, 0.0, 0.0]
        for t in range(60):
            for k in range(3):
                if data.x[b, t, k] != 0:
                    held[k] = data.x[b, t, k]
            assert list(data.y[b, t]) == held
    bare = datasets.make_flip_flop(n_samples=10, T=60, pulse_prob=0.1, constant_channel=False, seed=5)
    assert not np.signbit(data.x[data.x == 0]).any()  # no -0.0
    assert bare.x.shape == (10, 60, 3) and np.array_equal(bare.x, data.x[..., :3])


def test_sine_target_is_the_next_value_of_the_same_wave():
    data = datasets.make_sine(n_samples=20, T=30, noise_std=0.0, seed=0)
    for b in range(20):
        s = data.x[b, :, 0].astype(np.float64)
        # a pure sine obeys s[t+1] = c * s[t] - s[t-1] with c = 2 cos(w); fit c, predict the next value
        c = np.linalg.lstsq(s[1:-1, None], s[2:] + s[:-2], rcond=None)[0][0]
        assert c * s[-1] - s[-2] == pytest.approx(data.y[b, 0], abs=1e-4)
    noisy = datasets.make_sine(n_samples=20, T=30, seed=0)
    assert not np.allclose(noisy.x, data.x)


def test_variable_length_labels_and_prepadded_copy_hold_the_same_sequences():
    post = datasets.make_variable_length(n_samples=60, seed=9)
    pre = datasets.make_variable_length(n_samples=60, padding="pre", seed=9)
    assert np.array_equal(post.lengths, pre.lengths) and np.array_equal(post.y, pre.y)
    for b in range(60):
        length = post.lengths[b]
        assert post.y[b] == int(post.x[b, length - 1, 0] > post.x[b, 0, 0])
        assert np.array_equal(pre.x[b, 50 - length :], post.x[b, :length])
        assert np.all(pre.x[b, : 50 - length] == 0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: datasets.make_adding(n_samples=0), "n_samples must be a positive int; received 0"),
        (lambda: datasets.make_adding(min_length=50, max_length=40), "min_length must be"),
        (lambda: datasets.make_variable_length(padding="middle"), "padding must be 'post' or 'pre'; received 'middle'"),
        (lambda: datasets.make_flip_flop(pulse_prob=0), "pulse_prob"),
        (lambda: datasets.generate("japanese_vowels"), "synthetic sets"),
    ],
)
def test_generator_arguments_are_checked(call, match):
    with pytest.raises(DataError, match=match):
        call()


# ------------------------------------------------------------------ shipped files


def test_names_and_info():
    assert datasets.names() == list(SHIPPED)
    for name in datasets.names():
        info = datasets.info(name)
        assert info.name == name and info.task == SHIPPED[name][4]
        assert info.title and info.description and info.what_it_teaches and info.source
    with pytest.raises(DataError, match="received 'mnist'"):
        datasets.info("mnist")


@pytest.mark.parametrize("name", list(SHIPPED))
def test_shipped_files_load_with_documented_shapes(name):
    x_shape, y_shape, n_train, n_test, task, n_classes = SHIPPED[name]
    every = datasets.load(name, "all")
    train, test = datasets.load(name, "train"), datasets.load(name, "test")
    assert every.x.shape == x_shape and every.y.shape == y_shape and every.x.dtype == np.float32
    assert (len(train), len(test)) == (n_train, n_test)
    assert every.task == task and every.n_classes == n_classes and train.name == name
    assert every.lengths.dtype == np.int64 and len(every.feature_names) == x_shape[2]
    if n_classes:
        assert every.y.dtype == np.int64 and every.y.min() >= 0 and every.y.max() < n_classes
    # train and test are disjoint and together make 'all'
    ids = set(train.sequence_ids) | set(test.sequence_ids)
    assert not set(train.sequence_ids) & set(test.sequence_ids) and ids == set(every.sequence_ids)
    # no real step is all zeros: dynamic mode's inferred length is the true length
    assert np.array_equal(tflearn_lengths_np(every.x), every.lengths)
    if name != "variable_length_prepadded":
        assert np.all(every.x[~every.valid_mask] == 0)
        assert every.warnings == ()
    else:
        assert "front" in every.warnings[0]
    # the shipped archive is an ordinary NPZ that load_npz reads too
    again = datasets.load_npz(SAMPLE_DATA / f"{name}.npz") if name != "variable_length_prepadded" else None
    if again is not None:
        assert again.task == task and np.array_equal(again.x, every.x) and np.array_equal(again.y, every.y)


def test_prepadded_file_is_the_same_set_padded_at_the_front():
    post, pre = datasets.load("variable_length", "all"), datasets.load("variable_length_prepadded", "all")
    assert np.array_equal(post.y, pre.y) and np.array_equal(post.lengths, pre.lengths)
    assert datasets.load("variable_length", "test").sequence_ids == datasets.load("variable_length_prepadded", "test").sequence_ids
    assert np.array_equal(datasets.to_prepadded(post).x, pre.x)
    assert np.array_equal(padding_report(pre.x).leading_padding, 50 - pre.lengths)


def test_japanese_vowels_lengths_labels_and_split():
    train, test = datasets.load("japanese_vowels", "train"), datasets.load("japanese_vowels", "test")
    every = datasets.load("japanese_vowels", "all")
    assert (len(train), len(test)) == (270, 370) and train.n_features == 12
    assert every.lengths.min() == 7 and every.lengths.max() == 29
    assert np.array_equal(tflearn_lengths_np(every.x), every.lengths)  # no real frame is all zeros
    assert np.all(np.abs(every.x).max(axis=2)[every.valid_mask] > 0)
    assert np.array_equal(np.bincount(train.y, minlength=9), [30] * 9)
    assert set(test.y) == set(range(9)) and every.class_names[0] == "speaker 1"


@pytest.mark.skipif(not (SOURCE / "japanese_vowels").is_dir(), reason="source data not available")
def test_japanese_vowels_matches_the_ts_source():
    lines = (SOURCE / "japanese_vowels" / "JapaneseVowels_TEST.ts").read_text().splitlines()
    data_lines = lines[[line.strip().lower() for line in lines].index("@data") + 1 :]
    last = data_lines[-1].strip().split(":")  # the last test utterance, parsed independently
    values = np.array([[float(v) for v in dim.split(",")] for dim in last[:-1]]).T  # [T, 12]
    test = datasets.load("japanese_vowels", "test")
    assert test.lengths[-1] == len(values) and test.y[-1] == int(last[-1]) - 1
    np.testing.assert_allclose(test.x[-1, : len(values)], values, rtol=1e-6)


def test_airline_windows_split_in_time_and_raw_series():
    series = datasets.airline_series()
    assert len(series) == 144 and series.passengers.iloc[0] == 112 and series.passengers.iloc[-1] == 432
    assert series.month.iloc[0] == "1949-01" and (series.scaled != 0).all()
    every, train, test = (datasets.load("airline", s) for s in ("all", "train", "test"))
    scaled = series.scaled.to_numpy()
    for i in (0, 50, 131):
        np.testing.assert_allclose(every.x[i, :, 0], scaled[i : i + 12], rtol=1e-6)
        assert every.y[i, 0] == pytest.approx(scaled[i + 12], rel=1e-6)
    np.testing.assert_array_equal(every.y[:-1, 0], every.x[1:, -1, 0])
    assert train.sequence_ids[-1] < test.sequence_ids[0]  # every test window comes after training
    assert (series.split == "train").sum() == 118  # the months the 106 training windows see
    assert series.scaled[series.split == "train"].mean() == pytest.approx(0, abs=1e-5)


def test_load_subsamples_with_a_seed_and_checks_arguments():
    a = datasets.load("parity", "train", n_samples=100, seed=1)
    b = datasets.load("parity", "train", n_samples=100, seed=1)
    c = datasets.load("parity", "train", n_samples=100, seed=2)
    assert len(a) == 100 and a.sequence_ids == b.sequence_ids and a.sequence_ids != c.sequence_ids
    assert set(a.sequence_ids) <= set(datasets.load("parity", "train").sequence_ids)
    a.x[:] = 7  # a copy: the cached file stays as it was
    assert datasets.load("parity", "train", n_samples=100, seed=1).x.max() == 1
    with pytest.raises(DataError, match=r"n_samples must be an int in 1\.\.1600 .* received 5000"):
        datasets.load("parity", "train", n_samples=5000)
    with pytest.raises(DataError, match="split must be one of .* received 'valid'"):
        datasets.load("parity", "valid")
    with pytest.raises(DataError, match="name must be one of"):
        datasets.load("nope")


def test_shipped_files_are_what_make_samples_writes_byte_for_byte():
    make_samples = _make_samples_module()
    names = [n for n in datasets.names() if n in make_samples.SYNTHETIC or SOURCE.is_dir()]
    for name in names:
        dataset, extra = make_samples.build(name, SOURCE)
        buffer = io.BytesIO()
        dataset.save_npz(buffer, **extra)
        assert buffer.getvalue() == (SAMPLE_DATA / f"{name}.npz").read_bytes(), name


def test_sample_data_folder_is_small_and_documented():
    files = [p for p in SAMPLE_DATA.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert sum(p.stat().st_size for p in files) < 10 * 1024 * 1024
    readme = (SAMPLE_DATA / "README.md").read_text()
    for name in datasets.names():
        assert f"`{name}`" in readme and (SAMPLE_DATA / f"{name}.npz").is_file()
    assert "Kudo" in readme and "CC BY 4.0" in readme and "Box & Jenkins" in readme


# --------------------------------------------------------------------- CSV


def test_csv_round_trip_classification_from_path_and_buffer(tmp_path):
    original = datasets.load("japanese_vowels", "train", n_samples=20, seed=0)
    frame = original.to_frame()
    path = tmp_path / "jv.csv"
    frame.sample(frac=1.0, random_state=0).to_csv(path, index=False)  # rows shuffled: t orders them
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = datasets.load_csv(path)
    order = [loaded.sequence_ids.index(i) for i in original.sequence_ids]
    assert loaded.task == "classification" and loaded.name == "jv.csv"
    np.testing.assert_array_equal(loaded.lengths[order], original.lengths)
    np.testing.assert_array_equal(loaded.x[order][:, : original.time_steps], original.x[:, : loaded.time_steps])
    assert loaded.feature_names == original.feature_names and loaded.warnings == ()
    codes = {int(v) for v in original.y}
    assert loaded.n_classes == (max(codes) + 1 if 0 in codes else len(codes))
    from_buffer = datasets.load_csv(io.BytesIO(path.read_bytes()))
    np.testing.assert_array_equal(from_buffer.x, loaded.x)


def test_csv_round_trip_regression_and_sequence_labelling():
    for name, task in (("airline", "regression"), ("parity", "sequence_labelling"), ("flip_flop", "sequence_labelling")):
        original = datasets.load(name, "test", n_samples=8, seed=0)
        label = ["label_0", "label_1", "label_2"] if name == "flip_flop" else "label"
        loaded = datasets.load_csv(_csv(original.to_frame()), label_column=label, task=task)
        assert loaded.task == task and loaded.sequence_ids == original.sequence_ids
        np.testing.assert_array_equal(loaded.x, original.x)
        np.testing.assert_allclose(loaded.y, original.y)
    inferred = datasets.load_csv(_csv(datasets.load("parity", "test", n_samples=8).to_frame()))
    assert inferred.task == "sequence_labelling" and inferred.n_classes == 2


def test_csv_text_labels_time_order_and_no_time_column():
    frame = _long_frame(n_seq=3, n_steps=3)
    frame["label"] = frame["sequence_id"].map({"s0": "cat", "s1": "dog", "s2": "cat"})
    frame = frame.iloc[::-1]  # reversed rows: t must restore the order
    data = datasets.load_csv(_csv(frame))
    assert data.task == "classification" and data.class_names == ("cat", "dog")
    assert list(data.y) == [0, 1, 0] and data.sequence_ids == ("s2", "s1", "s0")
    assert list(data.x[0, :, 0]) == [3.0, 4.0, 5.0]
    in_file_order = datasets.load_csv(_csv(frame.drop(columns="t")), time_column=None)
    assert list(in_file_order.x[0, :, 0]) == [5.0, 4.0, 3.0]
    regression = datasets.load_csv(_csv(_long_frame(label=0.25)))
    assert regression.task == "regression" and regression.y.shape == (3, 1)


def test_csv_ragged_lengths_are_zero_padded_at_the_end():
    frame = _long_frame(n_seq=2, n_steps=5)
    frame = frame[~((frame.sequence_id == "s1") & (frame.t >= 2))]
    data = datasets.load_csv(_csv(frame))
    assert list(data.lengths) == [5, 2] and data.time_steps == 5
    assert np.all(data.x[1, 2:] == 0) and np.array_equal(tflearn_lengths_np(data.x), data.lengths)


def _error(frame_or_text, **kwargs) -> str:
    source = io.BytesIO(frame_or_text.encode()) if isinstance(frame_or_text, str) else _csv(frame_or_text)
    with pytest.raises(DataError) as caught:
        datasets.load_csv(source, **kwargs)
    return str(caught.value)


def test_csv_errors_name_the_column_line_sequence_and_value():
    frame = _long_frame()
    message = _error(frame.drop(columns="label"))
    assert "missing column(s) ['label']" in message and "'f1'" in message
    assert "'seq'" in _error(frame, id_column="seq")

    text = "sequence_id,t,f1,label\na,0,1.0,0\na,1,2.0,0,9\n"
    message = _error(text)
    assert "ragged" in message and "line 3" in message

    dup = frame.copy()
    dup.loc[5, "t"] = 0  # s1 step 1 -> a second t=0 (rows 4 and 5: lines 6 and 7)
    message = _error(dup)
    assert "sequence 's1' has time step 0 twice (lines 6 and 7)" in message

    nan = frame.copy()
    nan.loc[6, "f2"] = np.nan
    assert "column 'f2', line 8 (sequence 's1'): missing value" in _error(nan)

    inf = frame.copy()
    inf.loc[2, "f1"] = np.inf
    assert "column 'f1', line 4 (sequence 's0'): value inf is infinite" in _error(inf)

    text_value = frame.astype({"f1": object})
    text_value.loc[9, "f1"] = "abc"
    assert "column 'f1', line 11 (sequence 's2'): value 'abc' is not a number" in _error(text_value)

    bad_time = frame.astype({"t": object})
    bad_time.loc[1, "t"] = "later"
    assert "column 't', line 3 (sequence 's0'): value 'later' is not a number" in _error(bad_time)

    no_label = frame.copy()
    no_label["label"] = no_label["label"].astype(float)
    no_label.loc[3, "label"] = np.nan
    assert "label column 'label' is empty at line 5 (sequence 's0')" in _error(no_label)

    no_id = frame.copy()
    no_id.loc[4, "sequence_id"] = None
    assert "column 'sequence_id' is empty at line 6" in _error(no_id)

    varying = frame.copy()
    varying.loc[2, "label"] = 1
    message = _error(varying, task="classification")
    assert "changes within sequence 's0' (line 3: 0, line 4: 1)" in message and "sequence_labelling" in message

    text_target = _long_frame(label="high")
    assert "label column 'label', line 2 (sequence 's0'): value 'high' is not a number" in _error(
        text_target, task="regression"
    )
    assert "classification takes one label column" in _error(
        frame.assign(other=1), label_column=["label", "other"], task="classification"
    )

    fractional = _long_frame(label=0.5)
    assert "value 0.5 is not a whole number" in _error(fractional, task="classification")
    assert "task must be None or one of" in _error(frame, task="clustering")
    assert "the file is empty" in _error("")
    assert "no data rows" in _error("sequence_id,t,f1,label\n")
    assert "no feature columns" in _error(frame[["sequence_id", "t", "label"]])


def test_csv_size_caps():
    many = pd.DataFrame({"sequence_id": np.arange(datasets.MAX_SEQUENCES + 1), "t": 0, "f": 1.0, "label": 0})
    assert f"{datasets.MAX_SEQUENCES + 1} sequences is too large" in _error(many)
    long = pd.DataFrame({"sequence_id": "long one", "t": np.arange(datasets.MAX_TIME_STEPS + 1), "f": 1.0, "label": 0})
    assert f"sequence 'long one' has {datasets.MAX_TIME_STEPS + 1} time steps, too long" in _error(long)


def test_csv_warns_about_all_zero_real_steps():
    frame = _long_frame(n_seq=3, n_steps=5)
    frame.loc[(frame.sequence_id == "s1") & (frame.t == 2), ["f1", "f2"]] = 0.0  # row 7 -> line 9
    with pytest.warns(DataWarning, match="sequence 's1' has all-zero real step"):
        data = datasets.load_csv(_csv(frame))
    assert len(data.warnings) == 1
    assert "t=[2] (lines [9])" in data.warnings[0] and "counts 4 non-zero steps instead of 5" in data.warnings[0]
    assert list(data.lengths) == [5, 5, 5]  # the step is kept: the warning says what dynamic mode would do

    front = _long_frame(n_seq=2, n_steps=5)
    front.loc[(front.sequence_id == "s0") & (front.t < 2), ["f1", "f2"]] = 0.0
    with pytest.warns(DataWarning, match="padded at the front"):
        data = datasets.load_csv(_csv(front))
    assert "sequence 's0' starts with 2 all-zero step(s)" in data.warnings[0]


def test_many_warnings_are_summarised():
    frame = _long_frame(n_seq=15, n_steps=3)
    frame.loc[frame.t == 1, ["f1", "f2"]] = 0.0
    with pytest.warns(DataWarning):
        data = datasets.load_csv(_csv(frame))
    assert len(data.warnings) == 11 and "and 5 more sequence(s) like these (15 of 15 in all)" in data.warnings[-1]


# --------------------------------------------------------------------- NPZ


def test_npz_round_trip_through_save_npz(tmp_path):
    for name in ("japanese_vowels", "adding", "copy_memory", "flip_flop"):
        original = datasets.load(name, "test", n_samples=10, seed=0)
        path = tmp_path / f"{name}.npz"
        original.save_npz(path)
        loaded = datasets.load_npz(path)
        assert loaded.task == original.task and loaded.n_classes == original.n_classes
        assert loaded.feature_names == original.feature_names and loaded.sequence_ids == original.sequence_ids
        assert loaded.class_names == original.class_names
        for field in ("x", "y", "lengths"):
            np.testing.assert_array_equal(getattr(loaded, field), getattr(original, field))


def test_npz_plain_arrays_infer_lengths_and_task():
    x = np.zeros((3, 6, 2), np.float32)
    x[0, :6], x[1, :2], x[2, :4] = 1.0, 2.0, -1.0
    data = datasets.load_npz(_npz(x=x, y=np.array([2, 0, 1])))
    assert list(data.lengths) == [6, 2, 4] and data.task == "classification" and data.n_classes == 3
    assert data.name == "upload.npz"
    assert datasets.load_npz(_npz(x=x, y=np.array([0.5, 1.0, 2.0]))).y.shape == (3, 1)
    per_step = datasets.load_npz(_npz(x=x, y=np.ones((3, 6), np.int64), lengths=np.array([6, 2, 4])))
    assert per_step.task == "sequence_labelling" and per_step.y[1, 2:].tolist() == [0] * 4
    speakers = datasets.load_npz(_npz(x=x, y=np.array(["b", "a", "b"])))
    assert speakers.class_names == ("a", "b") and list(speakers.y) == [1, 0, 1]
    shifted = datasets.load_npz(_npz(x=x, y=np.array([1, 9, 5])))
    assert shifted.class_names == ("1", "5", "9") and list(shifted.y) == [0, 2, 1]


def _npz_error(**arrays) -> str:
    with pytest.raises(DataError) as caught:
        datasets.load_npz(_npz(**arrays))
    return str(caught.value)


def test_npz_errors():
    x = np.ones((4, 5, 2), np.float32)
    y = np.arange(4)
    message = _npz_error(x=np.ones((4, 5)), y=y)
    assert "x must be 3-D [N, T, D]" in message and "(4, 5)" in message and "x[..., None]" in message
    assert "no array 'y'" in _npz_error(x=x)
    assert "y has 3 entries (shape (3,)) but x has 4 sequences" in _npz_error(x=x, y=np.arange(3))
    with_nan = x.copy()
    with_nan[2, 3, 1] = np.nan
    assert "x[2, 3, 1] is nan (sequence '2', step 3, feature 1)" in _npz_error(x=with_nan, y=y)
    ragged = np.empty(2, dtype=object)
    ragged[0], ragged[1] = np.ones((3, 2)), np.ones((5, 2))
    assert "holds Python objects (ragged sequences" in _npz_error(x=ragged, y=np.arange(2))
    assert "lengths[1] = 0" in _npz_error(x=x, y=y, lengths=np.array([5, 0, 5, 5]))
    assert "lengths[3] = 9; each length must lie in 1..T=5" in _npz_error(x=x, y=y, lengths=np.array([5, 5, 5, 9]))
    message = _npz_error(x=x, y=y, lengths=np.array([5, 3, 5, 5]))
    assert "sequence '1' has length 3 but a non-zero value at step 3" in message
    empty = x.copy()
    empty[2] = 0
    assert "sequence(s) ['2'] are empty" in _npz_error(x=empty, y=y)
    assert "x has dtype <U1; expected numbers" in _npz_error(x=np.full((1, 1, 1), "a"), y=np.arange(1))
    long = np.ones((1, datasets.MAX_TIME_STEPS + 1, 1), np.float32)
    assert f"{datasets.MAX_TIME_STEPS + 1} time steps is too long" in _npz_error(x=long, y=np.arange(1))
    many = np.ones((datasets.MAX_SEQUENCES + 1, 1, 1), np.float32)
    assert "sequences is too large" in _npz_error(x=many, y=np.zeros(datasets.MAX_SEQUENCES + 1))
    assert "sequence_labelling needs y [N, T]" in str(
        pytest.raises(DataError, datasets.load_npz, _npz(x=x, y=np.ones((4, 3))), task="sequence_labelling").value
    )
    with pytest.raises(DataError, match="not a readable .npz archive"):
        datasets.load_npz(io.BytesIO(b"definitely not a zip file"))
    single = io.BytesIO()
    np.save(single, x)
    with pytest.raises(DataError, match="a single .npy array"):
        datasets.load_npz(io.BytesIO(single.getvalue()))


def test_npz_warns_about_interior_zero_steps_and_front_padding():
    x = np.ones((3, 6, 2), np.float32)
    x[1, 2] = 0.0  # an all-zero real step inside sequence 1
    x[2, :3] = 0.0  # sequence 2 padded at the front
    with pytest.warns(DataWarning) as record:
        data = datasets.load_npz(_npz(x=x, y=np.array([0, 1, 0])))
    assert len(record) == 1 and "sequence '1' has all-zero real step(s) at t=[2]" in str(record[0].message)
    assert "counts 5 non-zero steps instead of 6" in data.warnings[0]
    assert "sequence '2' starts with 3 all-zero step(s)" in data.warnings[1]
    assert list(data.lengths) == [6, 6, 6]


# ------------------------------------------------------------------ the type


def test_sequence_dataset_subset_mask_and_checks():
    data = datasets.load("variable_length", "test")
    part = data.subset([3, 1])
    assert part.sequence_ids == (data.sequence_ids[3], data.sequence_ids[1])
    np.testing.assert_array_equal(part.x, data.x[[3, 1]])
    assert data.subset(data.y == 1).n_samples == int(data.y.sum())
    assert data.valid_mask.sum() == data.lengths.sum()
    assert (data.n_samples, data.time_steps, data.n_features) == (200, 50, 1)
    with pytest.raises(DataError, match="x must be 3-D"):
        SequenceDataset("bad", np.ones((2, 3)), np.zeros(2), np.ones(2), "classification")
    with pytest.raises(DataError, match="task must be one of"):
        SequenceDataset("bad", np.ones((2, 3, 1)), np.zeros(2), np.ones(2), "ranking")
    with pytest.raises(DataError, match="y must have one entry per sequence"):
        SequenceDataset("bad", np.ones((2, 3, 1)), np.zeros(3), np.ones(2), "classification")


def test_data_error_is_a_value_error_and_rnnlab_error():
    import rnnlab

    assert issubclass(DataError, ValueError)
    if hasattr(rnnlab, "RnnlabError"):
        assert issubclass(DataError, rnnlab.RnnlabError)


def test_datasets_do_not_import_streamlit():
    package = Path(datasets.__file__).parent
    assert [p.name for p in package.glob("*.py") if "streamlit" in p.read_text()] == []
