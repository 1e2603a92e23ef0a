"""Training leaves nothing behind: once a result is dropped, its model and every variable of it are freed.

(TensorFlow's process-wide gradient registry used to keep each run's traced step, and with it the model's
variables, alive for the life of the process; bench/bench_memory.py measures the memory over many runs.)
"""

from __future__ import annotations

import gc
import weakref

from rnnlab.experiments import ExperimentSpec, LayerSpec, train

# 40 sequences in batches of 16: the last batch (8) traces the step a second time
SPEC = ExperimentSpec(
    dataset="sine", dataset_options={"T": 8, "n_samples": 40, "n_test": 10},
    layers=(LayerSpec("lstm", 4, dropout=(0.9, 0.8)),), batch_size=16, epochs=1, seed=0,
)


def _weak_refs(model) -> list[weakref.ref]:
    """The model and the tf.Variable behind each of its variables (weights, dropout seed state)."""
    return [weakref.ref(model)] + [weakref.ref(getattr(v, "value", v)) for v in model.variables]


def test_a_dropped_result_frees_its_model_and_its_variables():
    refs = []
    for seed in range(3):
        result = train(SPEC.replace(seed=seed))
        refs.append(_weak_refs(result.model))
        del result
    gc.collect()
    alive = [ref() for run in refs for ref in run if ref() is not None]
    assert alive == [], f"{len(alive)} objects of dropped runs are alive, e.g. {alive[0]!r:.120}"
