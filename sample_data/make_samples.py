"""Writes the shipped sample sets in sample_data/ as <name>.npz (see README.md).

    python sample_data/make_samples.py [--source ../shared/data] [--out sample_data] [--synthetic-only]

Synthetic sets come from the seeded generators in rnnlab.datasets; the real sets (Japanese Vowels,
airline) are converted from the files under --source. Every archive is written with fixed zip
metadata, so running the script twice gives byte-identical files.

Each archive holds the keys load_npz reads (x, y, lengths, task, n_classes, feature_names,
class_names, sequence_ids) plus `split` [N] uint8 (0 train, 1 test), used by datasets.load().
airline.npz also holds the raw series (series, months, series_split) and its scaling
(scale_mean, scale_std, window).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from rnnlab import datasets

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data"  # the shared/ folder beside the checkout

# name -> generator arguments of the shipped file (seed 0 throughout)
SYNTHETIC = {
    "adding": dict(n_samples=2000),
    "copy_memory": dict(n_samples=1000, delay=20),
    "parity": dict(n_samples=2000, T=20),
    "sine": dict(n_samples=2000, T=50),
    "flip_flop": dict(n_samples=600, T=100),
    "variable_length": dict(n_samples=1000),
    "variable_length_prepadded": dict(n_samples=1000),
}
AIRLINE_WINDOW = 12


def synthetic(name: str) -> tuple[datasets.SequenceDataset, dict[str, np.ndarray]]:
    """name -> (the whole set, extra arrays: split). Both variable_length files share one split."""
    dataset = datasets.generate(name, seed=0, **SYNTHETIC[name])
    split = datasets.split_80_20(dataset.n_samples, seed=0).astype(np.uint8)
    return dataset, {"split": split}


def read_ts(path: Path) -> tuple[list[np.ndarray], list[str]]:
    """sktime .ts (multivariate, unequal length) -> list of [T_i, D] float64 arrays, labels as text."""
    sequences, labels, in_data = [], [], False
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            in_data = line.lower().startswith("@data")
            continue
        *dimensions, label = line.split(":")
        channels = [np.array([float(v) for v in dim.split(",")]) for dim in dimensions]
        if len({len(c) for c in channels}) != 1:
            raise ValueError(f"{path.name} line {number}: dimensions have different lengths.")
        sequences.append(np.stack(channels, axis=1))  # [T_i, D]
        labels.append(label.strip())
    return sequences, labels


def japanese_vowels(source: Path) -> tuple[datasets.SequenceDataset, dict[str, np.ndarray]]:
    """The UCI set, its own split (train first), speakers 1..9 -> classes 0..8, padded to 29 frames."""
    parts = [read_ts(source / "japanese_vowels" / f"JapaneseVowels_{p}.ts") for p in ("TRAIN", "TEST")]
    sequences = parts[0][0] + parts[1][0]
    labels = np.array([int(v) for v in parts[0][1] + parts[1][1]]) - 1
    lengths = np.array([len(s) for s in sequences])
    x = np.zeros((len(sequences), lengths.max(), sequences[0].shape[1]), np.float32)
    for b, sequence in enumerate(sequences):
        x[b, : len(sequence)] = sequence
    ids = [f"train {i}" for i in range(len(parts[0][0]))] + [f"test {i}" for i in range(len(parts[1][0]))]
    dataset = datasets.SequenceDataset(
        name="japanese_vowels",
        x=x,
        y=labels,
        lengths=lengths,
        task="classification",
        n_classes=9,
        feature_names=tuple(f"lpc {i + 1}" for i in range(x.shape[2])),
        class_names=tuple(f"speaker {i + 1}" for i in range(9)),
        sequence_ids=tuple(ids),
    )
    split = np.r_[np.zeros(len(parts[0][0])), np.ones(len(parts[1][0]))].astype(np.uint8)
    return dataset, {"split": split}


def airline(source: Path) -> tuple[datasets.SequenceDataset, dict[str, np.ndarray]]:
    """144 months -> 132 windows [12, 1] -> next month; split in time; z-scored on the training months."""
    frame = pd.read_csv(source / "airline" / "Airline.csv")
    passengers = frame["Passengers"].to_numpy(np.float64)  # [144]
    n_windows = len(passengers) - AIRLINE_WINDOW
    n_train = int(round(0.8 * n_windows))
    train_months = n_train + AIRLINE_WINDOW  # months seen by training windows, targets included
    mean, std = passengers[:train_months].mean(), passengers[:train_months].std()
    scaled = ((passengers - mean) / std).astype(np.float32)
    if (scaled == 0).any():
        raise ValueError("a scaled month is exactly 0 (an all-zero step); change the scaling.")
    starts = np.arange(n_windows)
    x = scaled[starts[:, None] + np.arange(AIRLINE_WINDOW)[None, :]][..., None]  # [N, 12, 1]
    y = scaled[starts + AIRLINE_WINDOW][:, None]  # [N, 1]
    months = frame["Date"].astype(str).to_numpy()
    dataset = datasets.SequenceDataset(
        name="airline",
        x=x,
        y=y,
        lengths=np.full(n_windows, AIRLINE_WINDOW),
        task="regression",
        feature_names=("passengers (scaled)",),
        sequence_ids=tuple(f"{months[s]}..{months[s + AIRLINE_WINDOW - 1]}" for s in starts),
    )
    extra = {
        "split": (starts >= n_train).astype(np.uint8),
        "series": passengers.astype(np.float32),
        "months": months.astype(str),
        "series_split": (np.arange(len(passengers)) >= train_months).astype(np.uint8),
        "scale_mean": np.array(mean),
        "scale_std": np.array(std),
        "window": np.array(AIRLINE_WINDOW),
    }
    return dataset, extra


def build(name: str, source: Path = DEFAULT_SOURCE) -> tuple[datasets.SequenceDataset, dict[str, np.ndarray]]:
    """name -> (dataset, extra arrays) exactly as shipped."""
    if name in SYNTHETIC:
        return synthetic(name)
    if name == "japanese_vowels":
        return japanese_vowels(source)
    if name == "airline":
        return airline(source)
    raise ValueError(f"name must be one of {datasets.names()}; received {name!r}.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder with japanese_vowels/ and airline/")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write the .npz files")
    parser.add_argument("--synthetic-only", action="store_true", help="skip the real data sets")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in datasets.names():
        if args.synthetic_only and name not in SYNTHETIC:
            continue
        dataset, extra = build(name, args.source)
        path = args.out / f"{name}.npz"
        dataset.save_npz(path, **extra)
        print(f"{path}: x {dataset.x.shape}, y {dataset.y.shape}, {path.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
