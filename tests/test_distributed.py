"""The training loop under tf.distribute: MirroredStrategy over two logical CPUs, and MultiWorkerMirroredStrategy
across two worker processes on localhost. Each runs in fresh processes: devices and the multi-worker cluster have
to be set up before TensorFlow initialises. The same spec and seed must give the single-device history."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rnnlab.experiments import ExperimentSpec, LayerSpec
from rnnlab.experiments import train

REPO = Path(__file__).resolve().parents[1]
# 70 training sequences in global batches of 16: the last batch (6) does not split evenly over two replicas.
SPEC = ExperimentSpec(
    dataset="parity", dataset_options={"n_samples": 70, "n_test": 21},
    layers=(LayerSpec("lstm", 6, return_seq=True, dynamic=True),), batch_size=16, epochs=2, seed=11,
)
WORKER_TIMEOUT_S = 120


def _env():
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO), "CUDA_VISIBLE_DEVICES": ""}


def _result(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no RESULT line in the output:\n{stdout[-3000:]}"
    return json.loads(lines[-1][len("RESULT "):])


def _history_numbers(history: dict) -> np.ndarray:
    return np.array([history[k] for k in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")])


MIRRORED = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from rnnlab.experiments import ExperimentSpec
    from rnnlab.experiments import train
    spec = ExperimentSpec.from_json(sys.argv[1])
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    result = train(spec, strategy=strategy)
    print("RESULT " + json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "devices": len(tf.config.list_logical_devices("CPU")),
        "history": result.history.drop(columns="seconds").to_dict("list"),
    }), flush=True)
    """
)


def test_mirrored_strategy_on_two_logical_cpus_matches_one_device():
    single = train(SPEC)
    done = subprocess.run([sys.executable, "-c", MIRRORED, SPEC.to_json()], capture_output=True, text=True,
                          timeout=WORKER_TIMEOUT_S, cwd=REPO, env=_env())
    assert done.returncode == 0, done.stderr[-3000:]
    result = _result(done.stdout)
    assert result["replicas"] == 2 and result["devices"] == 2
    expected = _history_numbers(single.history.drop(columns="seconds").to_dict("list"))
    np.testing.assert_allclose(_history_numbers(result["history"]), expected, rtol=2e-5, atol=1e-6)


WORKER = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf
    strategy = tf.distribute.MultiWorkerMirroredStrategy()  # reads TF_CONFIG; first, before any other TF work
    from rnnlab.experiments import ExperimentSpec
    from rnnlab.experiments import train
    spec = ExperimentSpec.from_json(sys.argv[1])
    result = train(spec, strategy=strategy)
    print("RESULT " + json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "task": strategy.cluster_resolver.task_id,
        "history": result.history.drop(columns="seconds").to_dict("list"),
        "weight_sum": float(sum(abs(w).sum() for w in result.model.get_weights())),
    }), flush=True)
    """
)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _run_cluster():
    """Start two workers on fresh localhost ports -> (return codes, stdouts, stderrs)."""
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    workers = []
    for index in range(2):
        env = {**_env(), "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        workers.append(subprocess.Popen([sys.executable, "-c", WORKER, SPEC.to_json()], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, cwd=REPO, env=env))
    outputs = []
    try:
        for worker in workers:
            outputs.append(worker.communicate(timeout=WORKER_TIMEOUT_S))
    except subprocess.TimeoutExpired:
        outputs = [("", "timed out")] * 2
    finally:
        for worker in workers:  # only the processes this test started
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    return [w.returncode for w in workers], [o[0] for o in outputs], [o[1] for o in outputs]


def test_multi_worker_mirrored_strategy_across_two_processes():
    for attempt in range(2):  # a second try on fresh ports if the first cluster could not form
        codes, stdouts, stderrs = _run_cluster()
        if codes == [0, 0]:
            break
    else:
        pytest.fail(f"workers exited {codes}:\n" + "\n---\n".join(e[-2000:] for e in stderrs))
    results = [_result(out) for out in stdouts]
    assert sorted(r["task"] for r in results) == [0, 1]
    assert all(r["replicas"] == 2 for r in results)
    # synchronous training: both workers end with the same weights and the same history ...
    assert results[0]["weight_sum"] == pytest.approx(results[1]["weight_sum"], rel=1e-6)
    assert results[0]["history"] == results[1]["history"]
    # ... which is the single-device history of the same spec and seed
    single = train(SPEC).history.drop(columns="seconds").to_dict("list")
    np.testing.assert_allclose(_history_numbers(results[0]["history"]), _history_numbers(single), rtol=2e-5, atol=1e-6)
