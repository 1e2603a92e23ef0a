"""The data of an ExperimentSpec: how to read it (data_plan), the cached loader, feature standardisation."""

from __future__ import annotations

import dataclasses
import functools
import json

import numpy as np

from rnnlab.errors import RnnlabError
from rnnlab.experiments.spec import ExperimentSpec, SpecError


def data_plan(spec: ExperimentSpec) -> dict:
    """-> how load_data reads the data: {'generate', 'n_train', 'n_test', 'data_seed', 'standardize', 'params'}."""
    options = dict(spec.dataset_options)
    standardize_ = bool(options.pop("standardize", False))
    n_samples = options.pop("n_samples", None)
    n_test = options.pop("n_test", None)
    data_seed = options.pop("data_seed", 0)
    generate = bool(options.pop("generate", False)) or bool(options)
    if generate:
        n_train = n_samples or 1000
        n_test = n_test or max(1, n_train // 4)
    elif n_samples is not None and n_test is None:
        n_test = max(1, -(-n_samples // 4))
    return {"generate": generate, "n_train": n_samples if not generate else n_train, "n_test": n_test,
            "data_seed": data_seed, "standardize": standardize_, "params": options}


def load_data(spec: ExperimentSpec):
    """spec -> (train, test) SequenceDatasets [N, T, D] as the spec describes (cached, shared by every caller).

    Their arrays (x, y, lengths) are read-only, so no caller can change the data another one gets: copy
    (``x = data.x.copy()``) to edit, and ``dataclasses.replace(data, x=x)`` to make a dataset of the copy.

    Shipped sets: the file's own train / test split, optionally a seeded random subset of each.
    Generated sets: ``datasets.generate(name, n_train + n_test, data_seed, **params)``, the first
    n_train sequences for training and the rest for testing. Bad options raise SpecError.
    """
    plan = data_plan(spec)
    key = json.dumps({"dataset": spec.dataset, **plan}, sort_keys=True)
    train, test = _load_data_cached(key)
    if not plan["standardize"]:
        return train, test
    return tuple(_read_only(data) for data in standardize(train, test))


def _read_only(data):
    """Marks the arrays of a dataset that load_data hands out as read-only (in place) and returns it."""
    for array in (data.x, data.y, data.lengths):
        array.flags.writeable = False
    return data


def standardize(train, test):
    """(train, test) [N, T, D] -> the same with each feature z-scored by the training set's mean and std
    over real steps (t < length). Padded steps stay exactly 0, so dynamic mode still finds the lengths."""
    mask = train.valid_mask  # [N, T]
    mean = train.x[mask].mean(axis=0)  # [D]
    std = train.x[mask].std(axis=0)
    std = np.where(std > 0, std, 1.0)

    def scaled(data):
        x = np.where(data.valid_mask[..., None], (data.x - mean) / std, 0.0).astype(np.float32)
        return dataclasses.replace(data, x=x)

    return scaled(train), scaled(test)


@functools.lru_cache(maxsize=8)
def _load_data_cached(key: str):
    from rnnlab import datasets

    plan = json.loads(key)
    name = plan["dataset"]
    try:
        if plan["generate"]:
            data = datasets.generate(name, n_samples=plan["n_train"] + plan["n_test"], seed=plan["data_seed"],
                                     **plan["params"])
            n = plan["n_train"]
            return _read_only(data.subset(np.arange(n))), _read_only(data.subset(np.arange(n, n + plan["n_test"])))
        if name not in datasets.names():
            raise SpecError("dataset", f"unknown data set; expected one of {datasets.names()}; received {name!r}.")
        train = datasets.load(name, "train", n_samples=plan["n_train"], seed=plan["data_seed"])
        test_size = datasets.load(name, "test").n_samples
        n_test = None if plan["n_test"] is None else min(plan["n_test"], test_size)
        test = datasets.load(name, "test", n_samples=n_test, seed=plan["data_seed"])
        return _read_only(train), _read_only(test)  # both hold fresh copies (datasets.load indexes its cache)
    except SpecError:
        raise
    except (RnnlabError, TypeError) as error:
        raise SpecError("dataset_options", str(error)) from None
