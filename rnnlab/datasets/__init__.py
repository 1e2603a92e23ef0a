"""Sequence data sets [N, T, D]: the SequenceDataset type, seeded generators, the shipped sample sets,
and loaders for your own files (CSV, NPZ, UEA .ts, UCR .tsv) with validation and padding diagnostics.

What is where:
    dataset      SequenceDataset, DataError, DataWarning, the limits (MAX_*), TASKS, SPLITS, write_npz,
                 int64_labels
    generators   make_adding ... make_variable_length, to_prepadded, GENERATORS, generate, split_80_20
    shipped      the sample sets in sample_data/: SAMPLE_DATA_DIR, DatasetInfo, names, info, load, airline_series
    csv_format   load_csv (long CSV, one row per sequence and step)
    npz_format   load_npz (x [N, T, D], y, optional lengths and split: 0 / 'train', 1 / 'test'),
                 load_npz_train_test (the file's own split) and the limits on each key it reads
    npz_reader   NpzArchive: an .npz read without trusting it (zip directory, .npy headers, then data)
    ts_format    load_ts (sktime / UEA .ts: header, then one case per line, channels ':'-separated)
    tsv_format   load_tsv (UCR .tsv: label then values per line, tab-separated, NaN-padded tails)
    checks       what the loaders share: source opening, size checks, label encoding, padding warnings,
                 align_train_test (a TRAIN / TEST pair of files: one T, one class numbering)
"""

from rnnlab.datasets.checks import align_train_test
from rnnlab.datasets.csv_format import load_csv
from rnnlab.datasets.dataset import (
    MAX_FEATURES,
    MAX_FILE_BYTES,
    MAX_CLASSES,
    MAX_INFERRED_CLASSES,
    MAX_SEQUENCES,
    MAX_TIME_STEPS,
    MAX_VALUES,
    SPLITS,
    TASKS,
    DataError,
    DataWarning,
    SequenceDataset,
    write_npz,
)
from rnnlab.datasets.generators import (
    GENERATORS,
    generate,
    make_adding,
    make_copy_memory,
    make_flip_flop,
    make_parity,
    make_sine,
    make_variable_length,
    split_80_20,
    to_prepadded,
)
from rnnlab.datasets.npz_format import load_npz, load_npz_train_test
from rnnlab.datasets.shipped import (
    SAMPLE_DATA_DIR,
    DatasetInfo,
    airline_series,
    info,
    load,
    names,
)
from rnnlab.datasets.ts_format import load_ts
from rnnlab.datasets.tsv_format import load_tsv

__all__ = [
    "GENERATORS",
    "MAX_FEATURES",
    "MAX_FILE_BYTES",
    "MAX_CLASSES",
    "MAX_INFERRED_CLASSES",
    "MAX_SEQUENCES",
    "MAX_TIME_STEPS",
    "MAX_VALUES",
    "SAMPLE_DATA_DIR",
    "SPLITS",
    "TASKS",
    "DataError",
    "DataWarning",
    "DatasetInfo",
    "SequenceDataset",
    "airline_series",
    "align_train_test",
    "generate",
    "info",
    "load",
    "load_csv",
    "load_npz",
    "load_npz_train_test",
    "load_ts",
    "load_tsv",
    "make_adding",
    "make_copy_memory",
    "make_flip_flop",
    "make_parity",
    "make_sine",
    "make_variable_length",
    "names",
    "split_80_20",
    "to_prepadded",
    "write_npz",
]
