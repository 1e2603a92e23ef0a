"""The equivalent code the Build page shows for your own files reads them with the right loader and keeps the split
the app trains on: a TRAIN / TEST pair's, an NPZ's own split, else the random split train() makes."""

import numpy as np

import rnnlab
from rnnlab import datasets
from rnnlab.experiments import ExperimentSpec, LayerSpec, load_data, split_dataset

SPEC = ExperimentSpec(dataset="upload:x", layers=(LayerSpec("gru", 3, return_seq=True),), epochs=1, batch_size=4)


def run_data_code(spec, tmp_path, monkeypatch) -> dict:
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    with rnnlab.naming_context():
        exec(compile(spec.python_code(fit=False), "<python_code>", "exec"), namespace)  # noqa: S102
    return namespace


def parity(n=12):
    data, _ = load_data(ExperimentSpec(dataset="parity", dataset_options={"n_samples": n, "n_test": 2}))
    return data


def write_ts(path, data):
    lines = ["@problemName parity", "@univariate true", "@equalLength true", "@classLabel true a b", "@data"]
    for b in range(data.n_samples):
        lines.append(",".join(f"{v:g}" for v in data.x[b, :, 0]) + (":a" if b % 2 else ":b"))
    path.write_text("\n".join(lines) + "\n")


def test_a_train_test_pair_of_ts_files_is_read_and_aligned_not_split_again(tmp_path, monkeypatch):
    data = parity()
    write_ts(tmp_path / "p_TRAIN.ts", data.subset(np.arange(8)))
    write_ts(tmp_path / "p_TEST.ts", data.subset(np.arange(8, 12)))
    spec = SPEC.replace(dataset="upload:p_TRAIN.ts+p_TEST.ts")
    assert "datasets.align_train_test(datasets.load_ts('p_TRAIN.ts'), datasets.load_ts('p_TEST.ts'))" in \
        spec.python_code(fit=False)
    namespace = run_data_code(spec, tmp_path, monkeypatch)
    assert (namespace["train"].n_samples, namespace["test"].n_samples) == (8, 4)


def test_an_npz_with_its_own_split_keeps_it_and_one_without_is_split_at_random(tmp_path, monkeypatch):
    data = parity()
    split = np.array(["train"] * 9 + ["test"] * 3)
    np.savez(tmp_path / "s.npz", x=data.x, y=data.y, lengths=data.lengths, split=split)
    namespace = run_data_code(SPEC.replace(dataset="upload:s.npz"), tmp_path, monkeypatch)
    assert (namespace["train"].n_samples, namespace["test"].n_samples) == (9, 3)

    np.savez(tmp_path / "r.npz", x=data.x, y=data.y, lengths=data.lengths)
    spec = SPEC.replace(dataset="upload:r.npz")
    namespace = run_data_code(spec, tmp_path, monkeypatch)
    expected_train, expected_test = split_dataset(datasets.load_npz(tmp_path / "r.npz"), spec)  # as train() splits
    assert namespace["train"].sequence_ids == expected_train.sequence_ids
    assert namespace["test"].sequence_ids == expected_test.sequence_ids


def test_a_tsv_file_is_read_with_load_tsv(tmp_path, monkeypatch):
    data = parity()
    rows = ["\t".join([str(int(data.y[b][0]) + 1), *(f"{v:g}" for v in data.x[b, :, 0])]) for b in range(12)]
    (tmp_path / "u.tsv").write_text("\n".join(rows) + "\n")
    spec = SPEC.replace(dataset="upload:u.tsv", layers=(LayerSpec("gru", 3),))
    assert "datasets.load_tsv('u.tsv')" in spec.python_code(fit=False)
    namespace = run_data_code(spec, tmp_path, monkeypatch)
    assert namespace["train"].n_samples + namespace["test"].n_samples == 12
