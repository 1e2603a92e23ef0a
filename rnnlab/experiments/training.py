"""The training loop: one custom step (GradientTape + optimizer.apply) for one device and for tf.distribute.

    from rnnlab.experiments import train, TrainingCallback
    result = train(spec)                               # data loaded from the spec
    result.history                                     # epoch, loss, <metric>, val_loss, val_<metric>, seconds
    result.final_metrics["val_loss"]

    class Show(TrainingCallback):
        def on_batch_end(self, batch, logs): print(logs["epoch"], batch, logs["loss"])
    train(spec, callbacks=[Show()], stop_flag=event.is_set, snapshot_epochs=(0, 5, 10))

What the loop promises:

* Progress: callbacks get ``on_train_begin(logs)``, ``on_batch_end(batch, logs)``, ``on_epoch_end(epoch, logs)``
  and ``on_train_end(logs)`` with plain Python numbers. Epochs and batches count from 1 (epoch 0 of
  ``snapshot_epochs`` is the untrained model).
* Stopping: ``stop_flag()`` (a callable or a threading.Event) is checked between batches, and a callback may
  raise :class:`StopTraining`; the result then says where it stopped (``stopped_early``, ``message``).
* Divergence: a NaN or infinite loss stops training with a message naming epoch, batch and learning rate; the
  model gets back the weights of the last finished epoch (``diverged=True``), or :class:`TrainingDiverged`
  is raised with ``raise_on_divergence=True``.
* Reproducibility: the seed fixes the initial weights, the dropout masks and the shuffling, so the same
  spec gives the same history. The seeds are the run's own (``initializations.seeded``, a NumPy Generator for
  the shuffling), never process-wide: runs in other threads neither change this one's numbers nor see them.
* Memory: dropping the result frees the model, its variables and the traced steps (:func:`_release_gradients`).
* Strategies: ``strategy=tf.distribute.MirroredStrategy()`` / ``MultiWorkerMirroredStrategy()`` run the same
  step through ``strategy.run``; the batch size is the global batch, split over the replicas, and the loss
  is divided by the global weight of the batch, so every strategy computes the same update (the tests check
  that two replicas and two worker processes reproduce the one-device history). The loop is a custom step
  rather than ``model.fit`` because Keras 3's fit fails under MultiWorkerMirroredStrategy
  (keras-team/keras#20585).
* Losses: regression and numbers per step use the mean squared error (metric: mean absolute error); classes
  use cross-entropy (metric: accuracy). In sequence labelling only real steps (t < length) count.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from rnnlab.errors import RnnlabError
from rnnlab.experiments.data import load_data
from rnnlab.experiments.model import build_model, head_for
from rnnlab.experiments.spec import ExperimentSpec
from rnnlab.layers import initializations

EVAL_BATCH_SIZE = 256


class StopTraining(Exception):
    """Raise from a callback to stop training cleanly after the current batch."""


class TrainingDiverged(RnnlabError):
    """The loss became NaN or infinite (raised only with ``train(..., raise_on_divergence=True)``)."""


class TrainingCallback:
    """Base class for progress callbacks: override what you need. ``logs`` hold plain floats / ints.

    on_train_begin(logs): epochs, n_batches (per epoch), n_train, n_test, task, metric.
    on_batch_end(batch, logs): epoch, batch, n_batches, epochs, loss, <metric>, seconds (since the start).
    on_epoch_end(epoch, logs): epoch, loss, <metric>, val_loss, val_<metric> (when there is test data),
        seconds (of this epoch), elapsed (since the start).
    on_train_end(logs): final_metrics plus stopped_early, diverged, message.
    """

    def on_train_begin(self, logs: dict) -> None:
        pass

    def on_batch_end(self, batch: int, logs: dict) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        pass

    def on_train_end(self, logs: dict) -> None:
        pass


class HistoryRecorder(TrainingCallback):
    """Keeps every batch's logs (``.batches``) and every epoch's logs (``.epochs``): handy in tests and apps."""

    def __init__(self):
        self.begin: dict | None = None
        self.batches: list[dict] = []
        self.epochs: list[dict] = []
        self.end: dict | None = None

    def on_train_begin(self, logs):
        self.begin = dict(logs)

    def on_batch_end(self, batch, logs):
        self.batches.append(dict(logs))

    def on_epoch_end(self, epoch, logs):
        self.epochs.append(dict(logs))

    def on_train_end(self, logs):
        self.end = dict(logs)


@dataclass
class TrainResult:
    """What :func:`train` returns.

    model: the trained keras.Model; history: DataFrame, one row per finished epoch (epoch, loss, <metric>,
    val_loss, val_<metric>, seconds); final_metrics: the last finished epoch's numbers plus 'epochs' and
    'seconds' (total); stopped_early / diverged / message: how it ended; snapshots: epoch -> rnnlab Trace
    of the snapshot samples (epoch 0 = before training); spec: the spec trained; final_snapshot: the epoch of
    the snapshot recorded with exactly the returned model's weights (its Trace is what probing the snapshot
    samples with the model's loss returns now), or None when the weights changed after the last snapshot
    (a stop or a divergence inside an epoch, an epoch without a snapshot).
    """

    model: Any
    history: pd.DataFrame
    final_metrics: dict
    stopped_early: bool = False
    message: str = ""
    snapshots: dict = field(default_factory=dict)
    spec: ExperimentSpec | None = None
    diverged: bool = False
    seconds: float = 0.0
    snapshot_indices: tuple = ()
    final_snapshot: int | None = None


# ---------------------------------------------------------------------------------------------- data


def split_dataset(dataset, spec: ExperimentSpec):
    """dataset -> (train, test): a SequenceDataset is split with ``spec.validation_split`` (seeded by spec.seed);
    a (train, test) pair is returned as it is; None loads the spec's data."""
    if dataset is None:
        return load_data(spec)
    if isinstance(dataset, (tuple, list)) and len(dataset) == 2:
        return dataset[0], dataset[1]
    n = dataset.n_samples
    n_test = int(round(spec.validation_split * n))
    if n < 2 or n_test < 1 or n_test >= n:
        raise RnnlabError(
            f"validation_split={spec.validation_split} leaves no training or no test sequences of the "
            f"{n} in `dataset`; pass (train, test) or change validation_split."
        )
    order = np.random.default_rng([spec.seed, 7]).permutation(n)
    return dataset.subset(np.sort(order[n_test:])), dataset.subset(np.sort(order[:n_test]))


def targets(dataset, task: str):
    """dataset -> (x [N, T, D] float32, y, w): sample weights w are [N] ones, or the [N, T] valid mask
    (float32) in sequence labelling, so padded steps count for nothing."""
    x = np.asarray(dataset.x, np.float32)
    y = np.asarray(dataset.y)
    y = y.astype(np.int64) if dataset.n_classes and task != "regression" else y.astype(np.float32)
    if task == "sequence_labelling":
        w = dataset.valid_mask.astype(np.float32)
    else:
        w = np.ones(dataset.n_samples, np.float32)
    return x, y, w


def baseline(train_data, test_data=None) -> dict:
    """-> {'loss': ..., metric: ...}: the trivial predictor on test_data (train_data if None).

    Regression / numbers: always predict the training mean (MSE and MAE). Classes: always predict the
    training class frequencies (cross-entropy) and the most frequent class (accuracy). Real steps only.
    """
    test_data = test_data if test_data is not None else train_data
    task = train_data.task
    _, y_train, w_train = targets(train_data, task)
    _, y_test, w_test = targets(test_data, task)
    weights = w_test / w_test.sum()
    if train_data.n_classes and task != "regression":
        counts = np.bincount(y_train.reshape(-1), weights=w_train.reshape(-1), minlength=train_data.n_classes)
        freq = np.clip(counts / counts.sum(), 1e-7, 1.0)
        ce = -np.log(freq[y_test])
        acc = (y_test == np.argmax(counts)).astype(np.float64)
        return {"loss": float((ce * weights).sum()), "accuracy": float((acc * weights).sum())}
    axes = tuple(range(w_train.ndim))
    mean = (y_train * w_train.reshape(w_train.shape + (1,))).sum(axis=axes) / w_train.sum()
    err = y_test - mean
    return {"loss": float(((err**2).mean(-1) * weights).sum()), "mae": float((np.abs(err).mean(-1) * weights).sum())}


# ---------------------------------------------------------------------------------------------- the loop


def _call_all(callbacks, method, *args):
    for callback in callbacks:
        hook = getattr(callback, method, None)
        if hook is not None:
            hook(*args)


def _stop_requested(stop_flag) -> bool:
    if stop_flag is None:
        return False
    if hasattr(stop_flag, "is_set"):
        return bool(stop_flag.is_set())
    return bool(stop_flag())


def _note_gradients(registered: set) -> None:
    """At trace time: adds to ``registered`` the names under which the graph being traced registered
    ``@tf.custom_gradient`` functions (the ``_gradient_op_type`` that ``gradient_override_map`` gives an op)."""
    for op in tf.compat.v1.get_default_graph().get_operations():
        with contextlib.suppress(ValueError):  # ValueError: no override on this op
            name = op.get_attr("_gradient_op_type")
            name = name.decode() if isinstance(name, bytes) else str(name)
            if name.startswith("CustomGradient-"):  # tf.custom_gradient's generate_name()
                registered.add(name)


def _release_gradients(registered: set) -> None:
    """Unregisters the ``@tf.custom_gradient`` functions of a run's traced steps (:func:`_note_gradients`).

    Under tf.function, ``ReplicaContext.all_reduce`` (Keras's optimizer sums the gradients with it, on every
    strategy, the default one included) registers a ``@tf.custom_gradient`` under a fresh name in TensorFlow's
    process-wide gradient registry at every trace, and the registered function holds the traced graph's tensors
    (tensorflow/tensorflow#97697): the graph, and with it the model's variables, stayed alive for the life of the
    process. Nothing differentiates through a finished step; only this run's own names are removed.
    """
    from tensorflow.python.framework import ops as tf_ops

    registry = getattr(getattr(tf_ops, "_gradient_registry", None), "_registry", None)
    for name in registered if isinstance(registry, dict) else ():
        registry.pop(name, None)


def _make_steps(model, optimizer, strategy, head: dict, registered: set):
    """-> (train_step, eval_step): tf.functions over a distributed batch, returning global sums.

    Each returns (sum of weighted loss, sum of weighted metric, sum of weights) over the global batch; each
    trace notes its custom gradients in ``registered`` (:func:`_note_gradients`).
    """
    classes = head["classes"]

    def per_step_loss_and_metric(y, pred):
        if classes:
            loss = keras.losses.sparse_categorical_crossentropy(y, pred)  # [B] or [B, T]
            hit = tf.cast(tf.equal(tf.argmax(pred, axis=-1), tf.cast(y, tf.int64)), pred.dtype)
            return loss, hit
        err = pred - tf.cast(y, pred.dtype)  # [B, k] or [B, T, k]
        return tf.reduce_mean(tf.square(err), axis=-1), tf.reduce_mean(tf.abs(err), axis=-1)

    def replica_train(x, y, w):
        w_sum = tf.reduce_sum(w)
        global_w = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, w_sum)
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            loss, metric = per_step_loss_and_metric(y, pred)
            loss_sum = tf.reduce_sum(loss * w)
            # gradients are summed over replicas, so divide by the weight of the *global* batch
            scaled = loss_sum / tf.maximum(global_w, 1e-12)
        grads = tape.gradient(scaled, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss_sum, tf.reduce_sum(metric * w), w_sum

    def replica_eval(x, y, w):
        pred = model(x, training=False)
        loss, metric = per_step_loss_and_metric(y, pred)
        return tf.reduce_sum(loss * w), tf.reduce_sum(metric * w), tf.reduce_sum(w)

    def reduce(values):
        return tuple(strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for v in values)

    @tf.function
    def train_step(batch):
        sums = reduce(strategy.run(replica_train, args=batch))
        _note_gradients(registered)
        return sums

    @tf.function
    def eval_step(batch):
        sums = reduce(strategy.run(replica_eval, args=batch))
        _note_gradients(registered)
        return sums

    return train_step, eval_step


def _batches(strategy, arrays, batch_size, order=None):
    if order is not None:
        arrays = tuple(a[order] for a in arrays)
    dataset = tf.data.Dataset.from_tensor_slices(arrays).batch(batch_size)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    options.deterministic = True
    dataset = dataset.with_options(options)
    return strategy.experimental_distribute_dataset(dataset)


def _evaluate(eval_step, strategy, arrays) -> tuple[float, float] | None:
    if arrays is None or len(arrays[0]) == 0:
        return None
    totals = np.zeros(3)
    for batch in _batches(strategy, arrays, EVAL_BATCH_SIZE):
        totals += [float(v) for v in eval_step(batch)]
    return float(totals[0] / max(totals[2], 1e-12)), float(totals[1] / max(totals[2], 1e-12))


def _snapshot(model, x, y, epoch, snapshots) -> int | None:
    """Probe x [B, T, D] (with y: grad_norm too) into snapshots[epoch]; -> epoch (None when no probe exists)."""
    import rnnlab

    probe = getattr(rnnlab, "probe", None)
    if probe is None:
        warnings.warn("snapshot_epochs needs rnnlab.probe, which this rnnlab does not have yet; no snapshots taken.",
                      stacklevel=3)
        return None
    snapshots[epoch] = probe(model, x, y)
    return epoch


def train(
    spec: ExperimentSpec,
    dataset=None,
    callbacks: Iterable = (),
    stop_flag: Callable[[], bool] | None = None,
    snapshot_epochs: Iterable[int] = (),
    strategy: tf.distribute.Strategy | None = None,
    *,
    snapshot_samples: int | Iterable[int] = 4,
    raise_on_divergence: bool = False,
) -> TrainResult:
    """spec (+ data) -> TrainResult: train a model built by ``build_model(spec)`` with the custom step.

    dataset: None (the spec's data: ``load_data(spec)``), a SequenceDataset (split with
        ``spec.validation_split``) or a (train, test) pair of SequenceDatasets [N, T, D].
    callbacks: objects with any of on_train_begin / on_batch_end / on_epoch_end / on_train_end
        (see :class:`TrainingCallback`).
    stop_flag: a callable returning True (or a threading.Event, set) to stop between batches.
    snapshot_epochs: epochs after which ``rnnlab.probe`` records the gates of the snapshot samples
        (0 = before training); result.snapshots[epoch] is the Trace.
    snapshot_samples: how many test samples to probe (the first ones), or their indices [B] into the test set
        (the training set when there is no test data), in the order the snapshots keep them:
        ``rnnlab.datasets.dataset.probe_samples(train, test, n)[1]`` spreads them over the classes, as the app does.
    strategy: a tf.distribute strategy (default: the current one, usually a single device). The model is
        built inside ``strategy.scope()``; ``spec.batch_size`` is the global batch.
    raise_on_divergence: raise TrainingDiverged on NaN / inf loss instead of returning.
    """
    registered: set[str] = set()  # the custom gradients the run's traced steps register
    try:
        with initializations.seeded(spec.seed):  # the run's own seeds, in this thread only
            return _train(spec, dataset, callbacks, stop_flag, snapshot_epochs, strategy, snapshot_samples,
                          raise_on_divergence, registered)
    finally:
        _release_gradients(registered)


def _train(spec, dataset, callbacks, stop_flag, snapshot_epochs, strategy, snapshot_samples, raise_on_divergence,
           registered) -> TrainResult:
    """The body of :func:`train`, with the run's seeds; the steps note their custom gradients in ``registered``."""
    started = time.perf_counter()
    train_data, test_data = split_dataset(dataset, spec)
    spec.validate(dataset_info=train_data)
    task = spec.task(train_data)
    n_outputs = None if train_data.n_classes else int(train_data.y.shape[-1])
    head = head_for(task, train_data.n_classes, n_outputs)
    metric = head["metric"]
    strategy = strategy or tf.distribute.get_strategy()

    with strategy.scope():
        model = build_model(spec, dataset=train_data)
        optimizer = model.optimizer
        optimizer.build(model.trainable_variables)
    train_step, eval_step = _make_steps(model, optimizer, strategy, head, registered)

    train_arrays = targets(train_data, task)
    test_arrays = targets(test_data, task) if test_data is not None and test_data.n_samples else None
    n_train = train_data.n_samples
    n_batches = math.ceil(n_train / spec.batch_size)
    rng = np.random.default_rng([spec.seed, 2024])
    callbacks = list(callbacks)
    snapshot_epochs = sorted(set(int(e) for e in snapshot_epochs))
    source = test_data if test_arrays is not None else train_data
    if isinstance(snapshot_samples, (int, np.integer)):
        snapshot_index = np.arange(min(snapshot_samples, source.n_samples))
    else:
        snapshot_index = np.asarray(list(snapshot_samples), dtype=np.int64)
    if snapshot_index.size and (snapshot_index.min() < 0 or snapshot_index.max() >= source.n_samples):
        raise RnnlabError(
            f"snapshot_samples must be indices in 0..{source.n_samples - 1} of the "
            f"{'test' if source is test_data else 'training'} set; received {snapshot_index.tolist()}."
        )
    snap_x, snap_y = source.x[snapshot_index], source.y[snapshot_index]
    snapshots: dict = {}
    current = None  # the snapshot epoch recorded with the model's present weights (None once they change)
    if 0 in snapshot_epochs:
        current = _snapshot(model, snap_x, snap_y, 0, snapshots)

    _call_all(callbacks, "on_train_begin", {
        "epochs": spec.epochs, "n_batches": n_batches, "n_train": n_train,
        "n_test": 0 if test_arrays is None else int(test_data.n_samples), "task": task, "metric": metric,
    })
    rows: list[dict] = []
    good_weights = model.get_weights()
    stopped, diverged, message = False, False, ""
    for epoch in range(1, spec.epochs + 1):
        epoch_start = time.perf_counter()
        totals = np.zeros(3)
        order = rng.permutation(n_train)
        for batch, data in enumerate(_batches(strategy, train_arrays, spec.batch_size, order), start=1):
            loss_sum, metric_sum, weight = (float(v) for v in train_step(data))
            current = None
            batch_loss = loss_sum / max(weight, 1e-12)
            if not math.isfinite(batch_loss):
                diverged = stopped = True
                kind = "NaN" if math.isnan(batch_loss) else "infinite"
                last = f"the end of epoch {epoch - 1}" if epoch > 1 else "their initial values"
                message = (
                    f"Training stopped: the loss became {kind} at epoch {epoch}, batch {batch} with "
                    f"learning_rate={spec.learning_rate:g} ({spec.optimizer}). The weights are back at {last}. "
                    "Try a smaller learning rate, another activation, or check the data for NaN / inf."
                )
                model.set_weights(good_weights)
                break
            totals += (loss_sum, metric_sum, weight)
            logs = {"epoch": epoch, "batch": batch, "n_batches": n_batches, "epochs": spec.epochs,
                    "loss": batch_loss, metric: metric_sum / max(weight, 1e-12),
                    "seconds": time.perf_counter() - started}
            try:
                _call_all(callbacks, "on_batch_end", batch, logs)
            except StopTraining as request:
                stopped, message = True, str(request) or f"Stopped by a callback at epoch {epoch}, batch {batch}."
            if not stopped and _stop_requested(stop_flag) and (batch < n_batches or epoch < spec.epochs):
                stopped, message = True, f"Stopped on request at epoch {epoch}, batch {batch} of {n_batches}."
            if stopped:
                break
        if diverged and raise_on_divergence:
            raise TrainingDiverged(message)
        if diverged or (stopped and batch < n_batches):
            break  # only finished epochs enter the history
        weight = max(totals[2], 1e-12)
        row = {"epoch": epoch, "loss": float(totals[0] / weight), metric: float(totals[1] / weight)}
        val = _evaluate(eval_step, strategy, test_arrays)
        if val is not None:
            row["val_loss"], row[f"val_{metric}"] = val
        row["seconds"] = time.perf_counter() - epoch_start
        rows.append(row)
        good_weights = model.get_weights()
        if epoch in snapshot_epochs:
            current = _snapshot(model, snap_x, snap_y, epoch, snapshots)
        try:
            _call_all(callbacks, "on_epoch_end", epoch, {**row, "elapsed": time.perf_counter() - started})
        except StopTraining as request:
            stopped, message = True, str(request) or f"Stopped by a callback after epoch {epoch}."
        if stopped:
            break

    columns = ["epoch", "loss", metric] + (["val_loss", f"val_{metric}"] if test_arrays is not None else []) + ["seconds"]
    history = pd.DataFrame(rows, columns=columns)
    final = {k: float(v) for k, v in rows[-1].items() if k not in ("epoch", "seconds")} if rows else {}
    seconds = time.perf_counter() - started
    final.update(epochs=len(rows), seconds=seconds)
    if not message:
        message = f"Trained {len(rows)} epochs in {seconds:.1f} s."
    _call_all(callbacks, "on_train_end", {**final, "stopped_early": stopped, "diverged": diverged, "message": message})
    return TrainResult(
        model=model, history=history, final_metrics=final, stopped_early=stopped, message=message,
        snapshots=snapshots, spec=spec, diverged=diverged, seconds=seconds,
        snapshot_indices=tuple(int(i) for i in snapshot_index), final_snapshot=current,
    )
