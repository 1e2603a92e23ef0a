"""UEA / sktime .ts (load_ts), UCR .tsv (load_tsv), an NPZ's own split (load_npz split=, load_npz_train_test) and
TRAIN / TEST pairs (align_train_test): hand-made files for every path, the real Japanese Vowels files when present."""

import io
import warnings
from pathlib import Path

import numpy as np
import pytest

from rnnlab import datasets
from rnnlab.datasets import DataError, DataWarning, align_train_test, load_npz, load_npz_train_test, load_ts, load_tsv
from rnnlab.datasets import ts_format, tsv_format

ROOT = Path(__file__).resolve().parents[1]
VOWELS = ROOT.parent / "shared" / "data" / "japanese_vowels"  # beside the clone; CI has it
SAMPLE_VOWELS = ROOT / "sample_data" / "japanese_vowels.npz"


def ts(text: str, name: str = "mine.ts") -> io.BytesIO:
    buffer = io.BytesIO(text.encode())
    buffer.name = name
    return buffer


HEADER = """# a hand-made file
@problemName Tiny
@timeStamps false
@missing false
@univariate {univariate}
@dimensions {d}
@equalLength {equal}
@classLabel true b a c
@data
"""


def header(d=2, univariate="false", equal="false"):
    return HEADER.format(d=d, univariate=univariate, equal=equal)


# ------------------------------------------------------------------------------------------------ .ts


def test_ts_univariate_equal_length():
    text = header(1, "true", "true").replace("@equalLength true", "@equalLength true\n@seriesLength 3")
    data = load_ts(ts(text + "1,2,3:a\n4,5,6:b\n\n# a comment between cases\n7,8,9:c\n"))
    assert data.x.shape == (3, 3, 1) and data.x.dtype == np.float32
    np.testing.assert_array_equal(data.x[:, :, 0], [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert list(data.y) == [1, 0, 2]  # codes in the order @classLabel lists the classes: b a c
    assert data.class_names == ("b", "a", "c") and data.n_classes == 3 and data.task == "classification"
    assert list(data.lengths) == [3, 3, 3] and data.warnings == ()
    assert data.feature_names == ("dim_0",) and data.name == "mine.ts"


def test_ts_multivariate_unequal_lengths_are_zero_padded():
    data = load_ts(ts(header() + "1,2,3:-1,-2,-3:a\n4,5:-4,-5:b\n"))
    assert data.x.shape == (2, 3, 2)
    np.testing.assert_array_equal(data.x[0], [[1, -1], [2, -2], [3, -3]])  # channel c -> x[n, t, c]
    np.testing.assert_array_equal(data.x[1], [[4, -4], [5, -5], [0, 0]])
    assert list(data.lengths) == [3, 2]
    assert data.feature_names == ("dim_0", "dim_1")


def test_ts_regression_and_input_kinds(tmp_path):
    text = ("@problemName Reg\n@TIMESTAMPS FALSE\n@univariate false\n@dimension 2\n@equalLength false\n"
            "@classLabel false\n@targetLabel true\n@data\n1,2:3,4:0.5\n5:6:-1.25e1\n")
    path = tmp_path / "reg.ts"
    path.write_text(text)
    for source in (path, str(path), text.encode(), io.StringIO(text), io.BytesIO(b"\xef\xbb\xbf" + text.encode())):
        data = load_ts(source)
        assert data.task == "regression" and data.n_classes is None and data.class_names == ()
        np.testing.assert_array_equal(data.y, np.array([[0.5], [-12.5]], np.float32))
        assert list(data.lengths) == [2, 1]


def test_ts_case_insensitive_tags_and_spaces():
    text = "@PROBLEMNAME x y\n@ClassLabel   TRUE  1 2\n@DATA\n 1, 2 : 3 , 4 : 2 \n"
    data = load_ts(ts(text))
    np.testing.assert_array_equal(data.x[0], [[1, 3], [2, 4]])
    assert list(data.y) == [1] and data.class_names == ("1", "2")


def test_ts_all_zero_real_steps_warn_with_the_line_and_the_fix():
    with pytest.warns(DataWarning, match="seq_len=dataset.lengths") as record:
        data = load_ts(ts(header() + "1,0,3:1,0,3:a\n1,2:3,4:b\n"))
    message = str(record[0].message)
    assert "sequence '0' has all-zero real step(s) at t=[1] (lines [10])" in message
    assert "counts 2 non-zero steps instead of 3" in message and data.warnings and list(data.lengths) == [3, 2]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("@problemName x\n@classLabel true a\n", "no @data line"),
        ("@problemName x\n@classLabel true a\n1,2:a\n", "line 3: '1,2:a' comes before @data"),
        ("1,2:a\n@data\n", "line 1: '1,2:a' comes before @data"),
        ("@problemName x\n@colour blue\n@data\n", "line 2: unknown header tag '@colour'"),
        ("@classLabel true a\n@classLabel true b\n@data\n", "line 2: @classLabel appears twice (lines 1 and 2)"),
        ("@missing maybe\n@classLabel true a\n@data\n", "line 1, @missing: expected true or false; received 'maybe'"),
        ("@classLabel true\n@data\n", "line 1, @classLabel: 'true' must be followed by the class names"),
        ("@classLabel true a a\n@data\n", "line 1, @classLabel: class name 'a' is listed twice"),
        ("@classLabel false a\n@data\n", "line 1, @classLabel: 'false' takes no class names"),
        ("@dimensions two\n@classLabel true a\n@data\n", "line 1, @dimensions: expected one whole number"),
        ("@dimensions 0\n@classLabel true a\n@data\n", "line 1, @dimensions: expected one whole number"),
        ("@problemName\n@classLabel true a\n@data\n", "line 1, @problemName: expected a name"),
        ("@classLabel true a\n@data now\n", "line 2, @data: expected nothing after @data"),
        ("@problemName x\n@classLabel false\n@data\n1:2\n", "no labels declared (@classLabel (line 2))"),
        ("@classLabel true a\n@targetLabel true\n@data\n", "both @classLabel (line 1) and @targetLabel (line 2)"),
        ("@timeStamps true\n@classLabel true a\n@data\n", "@timeStamps (line 1) is true: timestamped values"),
        ("@univariate true\n@dimensions 2\n@classLabel true a\n@data\n", "@univariate (line 1) is true but"),
        ("@classLabel true a\n@data\n", "no cases after @data (line 2)"),
    ],
)
def test_ts_malformed_header(text, expected):
    with pytest.raises(DataError, match="^bad.ts: .*") as error:
        load_ts(ts(text, "bad.ts"))
    assert expected in str(error.value)


@pytest.mark.parametrize(
    "case, expected",
    [
        ("1,?,3:1,2,3:a", "line 11, channel 0, step 1: missing value '?'"),
        ("1,2,3:1,NaN,3:a", "line 11, channel 1, step 1: missing value 'NaN'"),
        ("1,,3:1,2,3:a", "line 11, channel 0, step 1: empty value"),
        ("1,2,3,:1,2,3,4:a", "line 11, channel 0, step 3: empty value"),
        ("1,x,3:1,2,3:a", "line 11, channel 0, step 1: value 'x' is not a number"),
        ("1,2,inf:1,2,3:a", "line 11, channel 0, step 2: value 'inf' is infinite"),
        ("1,2,1e39:1,2,3:a", "line 11, channel 0, step 2: value '1e39' is too large for float32"),
        ("1,2,3:1,2:a", "line 11, channel 1: 2 values but channel 0 has 3 (ragged channels)"),
        ("1,2,3:a", "line 11: 1 channel(s) before the label; expected 2 (as @dimensions (line 6))"),
        ("1,2,3:1,2,3", "line 11: 1 channel(s) before the label; expected 2"),
        ("1,2,3:1,2,3:d", "line 11, the label: 'd' is not one of the classes @classLabel (line 8) lists: ['b', 'a', 'c']"),
        ("1,2,3:1,2,3:", "line 11, the label: '' is not one of the classes"),
        ("1,2:3,4:a\n@data", "line 12: header tag '@data' after @data (line 9)"),
    ],
)
def test_ts_malformed_case_names_the_line_and_field(case, expected):
    with pytest.raises(DataError) as error:
        load_ts(ts(header() + "1,2:3,4:a\n" + case + "\n", "bad.ts"))
    assert str(error.value).startswith("bad.ts: ") and expected in str(error.value), str(error.value)


def test_ts_channel_count_follows_the_first_case_without_dimensions():
    with pytest.raises(DataError, match=r"line 4: 1 channel\(s\) before the label; expected 2 \(as line 3\)"):
        load_ts(ts("@classLabel true a\n@data\n1:2:a\n1:a\n"))
    with pytest.raises(DataError, match=r"line 3: no ':' before the label"):
        load_ts(ts("@classLabel true a\n@data\n1,2,3\n"))


def test_ts_equal_length_and_series_length_are_checked():
    text = header(2, "false", "true")
    with pytest.raises(DataError, match=r"line 11: 2 steps, but line 10 has 3 and @equalLength \(line 7\) is true"):
        load_ts(ts(text + "1,2,3:1,2,3:a\n1,2:1,2:a\n"))
    text = text.replace("@equalLength true", "@equalLength true\n@seriesLength 3")
    with pytest.raises(DataError, match=r"line 11: 2 steps; @equalLength \(line 7\) is true and @seriesLength "
                                        r"\(line 8\) says 3"):
        load_ts(ts(text + "1,2:1,2:a\n"))


def test_ts_regression_label_must_be_a_number():
    text = "@classLabel false\n@targetLabel true\n@data\n1,2:x\n"
    with pytest.raises(DataError, match=r"line 4, the label: 'x' is not a finite float32 number; @targetLabel \(line 2\)"):
        load_ts(ts(text))
    with pytest.raises(DataError, match=r"line 4, the label: 'nan'"):
        load_ts(ts(text.replace(":x", ":nan")))


def test_ts_limits(monkeypatch):
    with pytest.raises(DataError, match=r"line 3, channel 0: 1001 steps is too long; at most MAX_TIME_STEPS=1000"):
        load_ts(ts("@classLabel true a\n@data\n" + ",".join(["1"] * 1001) + ":a\n"))
    monkeypatch.setattr(ts_format, "MAX_SEQUENCES", 2)
    with pytest.raises(DataError, match=r"line 5: more than 2 cases is too many; at most MAX_SEQUENCES=2"):
        load_ts(ts("@classLabel true a\n@data\n1:a\n2:a\n3:a\n"))
    with pytest.raises(DataError, match="not a text file"):
        load_ts(io.BytesIO(b"@data\n\xff\xfe\x00"))
    with pytest.raises(DataError, match="no such file"):
        load_ts("/nonexistent/file.ts")


# ----------------------------------------------------------------------------------------------- .tsv


def tsv(text: str, name: str = "mine.tsv") -> io.BytesIO:
    return ts(text, name)


def test_tsv_classification_with_nan_padded_tails():
    data = load_tsv(tsv("1\t0.5\t-1\t2\n2\t3\t4\tNaN\n1\t7\tNaN\tNaN\n2\t1\t2\t3\t\t\n"))
    assert data.x.shape == (4, 3, 1) and data.task == "classification"
    np.testing.assert_array_equal(data.x[:, :, 0], [[0.5, -1, 2], [3, 4, 0], [7, 0, 0], [1, 2, 3]])
    assert list(data.lengths) == [3, 2, 1, 3]
    assert list(data.y) == [0, 1, 0, 1] and data.class_names == ("1", "2") and data.n_classes == 2
    assert data.feature_names == ("dim_0",) and data.warnings == ()


def test_tsv_labels_zero_based_text_and_regression():
    data = load_tsv(tsv("0\t1\t2\n2\t1\t2\n"))
    assert list(data.y) == [0, 2] and data.n_classes == 3 and data.class_names == ()
    data = load_tsv(tsv("cat\t1\t2\ndog\t1\t2\ncat\t3\t4\n"))
    assert list(data.y) == [0, 1, 0] and data.class_names == ("cat", "dog")
    data = load_tsv(tsv("1.0\t1\n-1.0\t2\n"))  # whole numbers written as floats
    assert list(data.y) == [1, 0] and data.class_names == ("-1", "1")
    data = load_tsv(tsv("0.25\t1\t2\n1.5\t1\n"), task="regression")
    assert data.task == "regression" and data.y.shape == (2, 1) and data.y[1, 0] == 1.5
    assert load_tsv(tsv("0.25\t1\t2\n1.5\t1\n"), task=None).task == "regression"
    assert load_tsv(tsv("1\t1\n2\t1\n"), task=None).task == "classification"
    data = load_tsv(tsv("1,0.5,2\n2,3,NaN\n"), delimiter=",")
    assert list(data.lengths) == [2, 1]


@pytest.mark.parametrize(
    "text, options, expected",
    [
        ("1\t1\t2\n2\t1\tNaN\t3\n", {}, "line 2, field 3 (step 1): missing value 'NaN' before the end of the series"),
        ("1\t1\t2\n2\t1\t\t3\n", {}, "line 2, field 3 (step 1): missing value"),
        ("1\t1\t2\n2\t1\t?\n", {}, "line 2, field 3 (step 1): value '?' is not a number"),
        ("1\t1\t2\n2\tNaN\tNaN\n", {}, "line 2: no values (every value is NaN or empty)"),
        ("1\t1\t2\n2\t1\tinf\n", {}, "line 2, field 3 (step 1): value 'inf' is infinite"),
        ("1\t1\t2\n2\t1\t1e39\n", {}, "line 2, field 3 (step 1): value '1e39' is too large for float32"),
        ("1\t1\t2\n\t1\t2\n", {}, "line 2, field 1 (the label): missing label ''"),
        ("1\t1\t2\nNaN\t1\t2\n", {}, "line 2, field 1 (the label): missing label 'NaN'"),
        ("1\t1\t2\n1.5\t1\t2\n", {}, "line 2, field 1 (the label): label '1.5' is not a whole number"),
        ("1\t1\t2\nx\t1\t2\n", {"task": "regression"}, "line 2, field 1 (the label): label 'x' is not a number"),
        ("1\t1\t2\ninf\t1\t2\n", {}, "line 2, field 1 (the label): label 'inf' is infinite"),
        ("1,2,3\n", {}, "line 1: 1 field; expected the label, then the values, separated by '\\t'. The line has "
                        "commas: pass delimiter=','."),
        ("\n\n", {}, "the file is empty"),
        ("1\t" + "\t".join(["1"] * 1001) + "\n", {}, "line 1: 1001 steps is too long; at most MAX_TIME_STEPS=1000"),
    ],
)
def test_tsv_malformed_names_the_line_and_field(text, options, expected):
    with pytest.raises(DataError) as error:
        load_tsv(tsv(text, "bad.tsv"), **options)
    assert str(error.value).startswith("bad.tsv: ") and expected in str(error.value), str(error.value)


def test_tsv_arguments_and_limits(monkeypatch):
    with pytest.raises(DataError, match="task must be one of"):
        load_tsv(tsv("1\t2\n"), task="sequence_labelling")
    with pytest.raises(DataError, match="delimiter must be one character"):
        load_tsv(tsv("1\t2\n"), delimiter="ab")
    monkeypatch.setattr(tsv_format, "MAX_SEQUENCES", 1)
    with pytest.raises(DataError, match="line 2: more than 1 series is too many"):
        load_tsv(tsv("1\t2\n1\t3\n"))


def test_tsv_all_zero_real_step_warns():
    with pytest.warns(DataWarning, match=r"sequence '1' has all-zero real step\(s\) at t=\[1\] \(lines \[3\]\)"):
        data = load_tsv(tsv("1\t1\t2\t3\n\n2\t1\t0\t2\n"))
    assert "seq_len=dataset.lengths" in data.warnings[0]


# ------------------------------------------------------------------------------------------ NPZ split


def npz(split=None, n=6, labels=None, **extra) -> io.BytesIO:
    x = np.arange(1, n * 4 * 2 + 1, dtype=np.float32).reshape(n, 4, 2)
    arrays = {"x": x, "y": np.array(labels) if labels is not None else np.arange(n) % 3, **extra}
    if split is not None:
        arrays["split"] = np.asarray(split)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    buffer.name = "mine.npz"
    return buffer


@pytest.mark.parametrize("split", [[0, 1, 0, 1, 0, 0], np.array([0, 1, 0, 1, 0, 0], np.uint8),
                                   [False, True, False, True, False, False],
                                   ["train", "test", "train", "TEST", " Train", "train"]])
def test_npz_split_conventions(split):
    train, test = load_npz_train_test(npz(split))
    assert train.sequence_ids == ("0", "2", "4", "5") and test.sequence_ids == ("1", "3")
    np.testing.assert_array_equal(test.x, load_npz(npz(split)).x[[1, 3]])
    assert load_npz(npz(split), split="test").sequence_ids == ("1", "3")
    assert load_npz(npz(split), split="train").n_samples == 4
    assert load_npz(npz(split)).n_samples == 6 and load_npz(npz(split), split="all").n_samples == 6


def test_npz_split_classes_are_numbered_over_the_whole_file():
    labels = ["a", "c", "b", "c", "a", "a"]  # the test part holds only 'c'
    train, test = load_npz_train_test(npz([0, 1, 0, 1, 0, 0], labels=labels))
    assert train.class_names == test.class_names == ("a", "b", "c") and list(test.y) == [2, 2]


def test_npz_without_split():
    data, test = load_npz_train_test(npz())
    assert test is None and data.n_samples == 6
    with pytest.raises(DataError, match=r"mine.npz: split='train' needs a 'split' array in the file"):
        load_npz(npz(), split="train")


@pytest.mark.parametrize(
    "split, expected",
    [
        (["train", "test", "valid", "test", "train", "train"], r"split\[2\] = 'valid' \(sequence '2'\); expected 'train' or 'test'"),
        ([0, 1, 2, 0, 0, 0], r"split\[2\] = 2 \(sequence '2'\)"),
        ([0, 1, 0.5, 0, 0, 0], r"split\[2\] = 0.5"),
        ([0, 1, 0], r"'split' has shape \(3,\); expected \(6,\)"),
        ([[0, 1, 0, 1, 0, 0]], r"'split' has shape \(1, 6\)"),
        ([0, 0, 0, 0, 0, 0], r"the 'split' array marks no sequence 'test' \(all 6 are 'train'\)"),
    ],
)
def test_npz_bad_split(split, expected):
    with pytest.raises(DataError, match=expected):
        load_npz_train_test(npz(split))


def test_npz_split_argument_and_dtype():
    with pytest.raises(DataError, match="split must be None, 'all', 'train' or 'test'; received 'validation'"):
        load_npz(npz([0, 1, 0, 1, 0, 0]), split="validation")
    with pytest.raises(DataError, match=r"split has dtype complex128; expected 0 / 1 or 'train' / 'test'"):
        load_npz(npz(np.zeros(6, complex)))


@pytest.mark.skipif(not SAMPLE_VOWELS.is_file(), reason="sample_data/japanese_vowels.npz is not shipped here")
def test_shipped_npz_split_is_the_one_datasets_load_uses():
    train, test = load_npz_train_test(SAMPLE_VOWELS)
    for mine, shipped in ((train, datasets.load("japanese_vowels", "train")),
                          (test, datasets.load("japanese_vowels", "test"))):
        np.testing.assert_array_equal(mine.x, shipped.x)
        np.testing.assert_array_equal(mine.y, shipped.y)
        assert mine.sequence_ids == shipped.sequence_ids


# ----------------------------------------------------------------------------------- TRAIN / TEST pairs


def test_align_train_test_pads_and_renumbers_classes():
    train = load_tsv(tsv("1\t1\t2\n2\t1\n3\t4\n", "a_TRAIN.tsv"))  # classes 1 2 3 -> 0 1 2
    test = load_tsv(tsv("3\t1\t2\t3\t4\n4\t5\n", "a_TEST.tsv"))  # classes 3 4 -> 0 1 on its own
    a, b = align_train_test(train, test)
    assert a.x.shape == (3, 4, 1) and b.x.shape == (2, 4, 1)
    assert a.class_names == b.class_names == ("1", "2", "3", "4") and a.n_classes == b.n_classes == 4
    assert list(a.y) == [0, 1, 2] and list(b.y) == [2, 3]
    assert list(a.lengths) == [2, 1, 1] and list(b.lengths) == [4, 1]


def test_align_train_test_codes_without_names_and_errors():
    train = load_tsv(tsv("0\t1\n1\t1\n"))  # codes are the labels
    test = load_tsv(tsv("2\t1\n1\t1\n"))  # 1, 2 -> names "1", "2"
    a, b = align_train_test(train, test)
    assert a.class_names == () and a.n_classes == 3 and list(b.y) == [2, 1]
    with pytest.raises(DataError, match=r"tasks differ, 'classification' and 'regression'"):
        align_train_test(train, load_tsv(tsv("0.5\t1\n"), task="regression"))
    wide = load_ts(ts("@classLabel true 0\n@data\n1:2:0\n"))
    with pytest.raises(DataError, match=r"1 and 2 features \(D\) per step"):
        align_train_test(train, wide)


def test_align_train_test_sequence_labelling():
    def labelled(t, y, names):
        return datasets.SequenceDataset("s", np.ones((1, t, 1)), np.array([y]), [t], "sequence_labelling",
                                        n_classes=len(names), class_names=names)

    a, b = align_train_test(labelled(2, [0, 1], ("p", "q")), labelled(3, [0, 1, 0], ("q", "r")))
    assert a.y.shape == b.y.shape == (1, 3) and a.class_names == b.class_names == ("p", "q", "r")
    assert list(a.y[0]) == [0, 1, 0] and list(b.y[0]) == [1, 2, 1]


@pytest.mark.skipif(not VOWELS.is_dir(), reason="the shared data folder (japanese_vowels/) is not beside the clone")
def test_japanese_vowels_ts_matches_the_shipped_npz():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no real frame is all zeros
        train = load_ts(VOWELS / "JapaneseVowels_TRAIN.ts")
        test = load_ts(VOWELS / "JapaneseVowels_TEST.ts")
    assert train.x.shape == (270, 26, 12) and test.x.shape == (370, 29, 12)
    assert train.class_names == tuple(str(i) for i in range(1, 10)) and train.n_classes == 9
    train, test = align_train_test(train, test)
    shipped_train, shipped_test = load_npz_train_test(SAMPLE_VOWELS)
    for mine, shipped in ((train, shipped_train), (test, shipped_test)):
        assert mine.x.shape == shipped.x.shape
        np.testing.assert_array_equal(mine.x, shipped.x)
        np.testing.assert_array_equal(mine.lengths, shipped.lengths)
        np.testing.assert_array_equal(mine.y, shipped.y)  # speakers 1..9 -> classes 0..8 in both
        assert mine.lengths.min() == 7 and mine.lengths.max() <= 29


# ------------------------------------------------------------------------------------- limits, odd sources


def test_ts_header_and_size_limits(monkeypatch):
    with pytest.raises(DataError, match=r"line 1, @missing: expected only true or false; received 'true false'"):
        load_ts(ts("@missing true false\n@classLabel true a\n@data\n"))
    monkeypatch.setattr(ts_format, "MAX_CLASSES", 2)
    with pytest.raises(DataError, match=r"line 1, @classLabel: 3 classes is too many; at most MAX_CLASSES=2"):
        load_ts(ts("@classLabel true a b c\n@data\n"))
    monkeypatch.setattr(ts_format, "MAX_FEATURES", 1)
    with pytest.raises(DataError, match=r"@dimensions \(line 1\) = 2 channels is too many; at most MAX_FEATURES=1"):
        load_ts(ts("@dimensions 2\n@classLabel true a\n@data\n"))
    monkeypatch.setattr(ts_format, "MAX_VALUES", 3)
    with pytest.raises(DataError, match=r"line 4: more than MAX_VALUES=3 values up to this line"):
        load_ts(ts("@classLabel true a\n@data\n1,2:a\n3,4:a\n"))


def test_text_sources_over_the_size_cap_and_binary_files(monkeypatch, tmp_path):
    from rnnlab.datasets import checks

    buffer = io.BytesIO()
    np.savez(buffer, x=np.ones((1, 2, 1)), y=[0])
    with pytest.raises(DataError, match="mine.ts: a binary NumPy / zip file, not text"):
        source = io.BytesIO(buffer.getvalue())
        source.name = "mine.ts"
        load_ts(source)
    monkeypatch.setattr(checks, "MAX_FILE_BYTES", 10)
    with pytest.raises(DataError, match="bytes is too large; at most MAX_FILE_BYTES=10"):
        load_tsv(tsv("1\t2\t3\t4\t5\t6\n"))
    path = tmp_path / "big.tsv"
    path.write_text("1\t2\t3\t4\t5\t6\n")
    with open(path, "rb") as stream, pytest.raises(DataError, match="more than 10 bytes is too large"):
        load_tsv(stream)


def test_tsv_regression_label_too_large_for_float32():
    with pytest.raises(DataError, match=r"line 2, field 1 \(the label\): label '1e39' is too large for float32"):
        load_tsv(tsv("1\t2\n1e39\t3\n"), task="regression")


def test_align_train_test_regression_and_class_limit(monkeypatch):
    from rnnlab.datasets import checks

    one = load_tsv(tsv("0.5\t1\t2\n"), task="regression")
    a, b = align_train_test(one, load_tsv(tsv("1.5\t1\n"), task="regression"))
    assert a.x.shape == b.x.shape == (1, 2, 1) and b.y[0, 0] == 1.5 and a.n_classes is None
    two = datasets.SequenceDataset("k2", np.ones((1, 2, 1)), np.ones((1, 2)), [2], "regression")
    with pytest.raises(DataError, match=r"1 and 2 numbers per target \(k\); both files need the same k"):
        align_train_test(one, two)
    monkeypatch.setattr(checks, "MAX_CLASSES", 3)
    with pytest.raises(DataError, match=r"4 classes in all; at most MAX_CLASSES=3"):
        align_train_test(load_tsv(tsv("a\t1\nb\t1\n")), load_tsv(tsv("c\t1\nd\t1\n")))
