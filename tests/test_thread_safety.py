"""Threads that train side by side (an app's browser sessions) do not reach into each other: seeds are per run,
the default scope registry is per thread, and load_data's shared arrays cannot be written."""

from __future__ import annotations

import dataclasses
import sys
import threading

import numpy as np
import pytest

import rnnlab
from rnnlab.errors import RnnlabError
from rnnlab.experiments import ExperimentSpec, LayerSpec, load_data, train

# dropout included: its masks come from the run's seeds too
SPEC = ExperimentSpec(
    dataset="adding", dataset_options={"T": 10, "n_samples": 48, "n_test": 16},
    layers=(LayerSpec("lstm", 6, dropout=(0.9, 0.8)),), batch_size=16, epochs=2, seed=5,
)
SEEDS = (5, 6)


def _numbers(result) -> np.ndarray:
    return result.history.drop(columns="seconds").to_numpy()


def _in_threads(*targets) -> None:
    """Runs the callables in threads started together, switching between them often; re-raises their errors."""
    errors = []
    start = threading.Barrier(len(targets))

    def run(target):
        try:
            start.wait()
            target()
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # interleave the threads' Python code finely, as a loaded server would
    try:
        threads = [threading.Thread(target=run, args=(target,)) for target in targets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        sys.setswitchinterval(interval)
    if errors:
        raise errors[0]


def test_seeded_runs_in_concurrent_threads_give_the_histories_they_give_alone():
    alone = {seed: _numbers(train(SPEC.replace(seed=seed))) for seed in SEEDS}
    assert not np.array_equal(alone[SEEDS[0]], alone[SEEDS[1]])
    together: dict[int, list] = {seed: [] for seed in SEEDS}

    def trainer(seed):
        def go():
            for _ in range(2):
                together[seed].append(_numbers(train(SPEC.replace(seed=seed))))
        return go

    _in_threads(*(trainer(seed) for seed in SEEDS))
    for seed in SEEDS:
        for history in together[seed]:
            np.testing.assert_array_equal(history, alone[seed])


def test_a_run_leaves_the_process_wide_random_state_alone():
    import random

    state, np_state = random.getstate(), np.random.get_state()
    expected = (random.random(), np.random.random())
    random.setstate(state)
    np.random.set_state(np_state)
    train(SPEC.replace(epochs=1))
    assert (random.random(), np.random.random()) == expected


def test_reuse_in_one_thread_does_not_see_a_scope_made_in_another():
    made = {}

    def thread_a():
        net = rnnlab.input_data(shape=[None, 5, 3])
        rnnlab.lstm(net, 4, scope="encoder")
        made["a"] = rnnlab.layers.scopes.current().lookup("encoder")

    def thread_b():
        net = rnnlab.input_data(shape=[None, 5, 3])
        with pytest.raises(RnnlabError, match="no layer with that scope"):
            rnnlab.lstm(net, 4, scope="encoder", reuse=True)
        rnnlab.lstm(net, 4, scope="encoder")  # its own "encoder": not taken by thread A's
        made["b"] = rnnlab.layers.scopes.current().lookup("encoder")

    for target in (thread_a, thread_b):  # one after the other: B starts after A has registered its layer
        _in_threads(target)
    assert made["a"] is not None and made["b"] is not None and made["b"] is not made["a"]


def test_a_thread_keeps_its_default_registry_between_calls():
    seen = []

    def thread():
        net = rnnlab.input_data(shape=[None, 5, 3])
        first = rnnlab.lstm(net, 4, scope="decoder")
        second = rnnlab.lstm(net, 4, scope="decoder", reuse=True)
        seen.append(first.shape == second.shape)

    _in_threads(thread)
    assert seen == [True]


@pytest.mark.parametrize("options", [{"n_samples": 40, "n_test": 10}, {"n_samples": 40, "n_test": 10, "standardize": True}])
def test_load_data_arrays_cannot_be_written(options):
    spec = ExperimentSpec(dataset="sine", dataset_options={"T": 8, **options})
    train_data, test_data = load_data(spec)
    before = train_data.x.copy()
    for data in (train_data, test_data):
        for array in (data.x, data.y, data.lengths):
            with pytest.raises(ValueError, match="read-only"):
                array[0] = 0
    with pytest.raises(ValueError, match="read-only"):
        train_data.x += 1.0
    np.testing.assert_array_equal(load_data(spec)[0].x, before)
    edited = train_data.x.copy()  # the way to edit: a copy, and a dataset made of it
    edited[0, 0, 0] = 123.0
    assert dataclasses.replace(train_data, x=edited).x[0, 0, 0] == 123.0
    assert load_data(spec)[0].x[0, 0, 0] == before[0, 0, 0]
