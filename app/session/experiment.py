"""The data of the session's experiment and runs: the (train, test) sets a spec names (the user's upload
included), the probe pool the inspection pages share, and the Trace of a run's model on it (once per run).

Shapes as in rnnlab: batch, time, units (B, T, n); inputs [N, T, D].
"""

from __future__ import annotations

import streamlit as st

from app import services, state

UPLOAD_PREFIX = "upload:"


def is_upload(dataset_name: str) -> bool:
    """Whether a spec's dataset names the user's own uploaded data."""
    return str(dataset_name).startswith(UPLOAD_PREFIX)


def experiment_data(spec):
    """spec -> (train, test) SequenceDatasets [N, T, D]: the shipped / generated set the spec names, or the
    session's uploaded data split with spec.validation_split."""
    from rnnlab.datasets import DataError
    from rnnlab.experiments import load_data

    if is_upload(spec.dataset):
        dataset = state.uploaded_dataset()
        if dataset is None or state.uploaded_token() != spec.dataset:
            raise DataError(
                f"this experiment uses your own data ({spec.dataset[len(UPLOAD_PREFIX):]}), which cannot travel "
                "in a link or survive a new session: upload the file again on the Build page, or choose sample data."
            )
        from rnnlab.experiments import split_dataset

        return split_dataset(dataset, spec)
    return load_data(spec)


def run_data(run):
    """A run -> (train, test) SequenceDatasets: those it trained on, or its spec's data when reopened."""
    if run.data is not None:
        return run.data
    return experiment_data(run.spec)


def pool_indices(run) -> tuple[int, ...]:
    """A run -> the [B] indices into its held-out data (the training data when there is none) of the sequences
    the inspection pages probe, at most PROBE_SAMPLES: rnnlab.datasets.dataset.probe_samples, the choice its
    training snapshots record too (jobs.TrainingJob). Classification takes the classes in turn, so every class
    is there; other tasks take the first ones in file order."""
    from rnnlab.datasets.dataset import probe_samples

    _, index = probe_samples(*run_data(run), services.PROBE_SAMPLES)
    return tuple(int(i) for i in index)


def probe_pool(run):
    """A run -> the SequenceDataset [B, T, D] the inspection pages probe: the held-out sequences of pool_indices
    (the training ones when there is no test data), in that order, so sample b is the same on every page."""
    from rnnlab.datasets.dataset import probe_samples

    source, index = probe_samples(*run_data(run), services.PROBE_SAMPLES)
    return source.subset(index)


def sample_strips(pool, b: int) -> dict:
    """Sample b's input [T, D] (and its per-step target for sequence labelling) as the keyword arguments of
    rnnlab.plots' input / target strips above a chart over time."""
    return dict(inputs=pool.x[b], targets=pool.y[b] if pool.task == "sequence_labelling" else None,
                feature_names=pool.feature_names, class_names=pool.class_names)


def loss_name(run, dataset) -> str:
    """The Keras loss of the run's head (for gradients through time)."""
    from rnnlab.experiments import head_for

    task = run.spec.task(dataset)
    n_outputs = None if dataset.n_classes else int(dataset.y.shape[-1])
    return head_for(task, dataset.n_classes, n_outputs)["loss"]


def shared_final_trace(run, pool):
    """A run, its probe pool [B, T, D] (probe_pool(run)) -> the snapshot Trace that training recorded with the run's
    final weights on these B sequences (its snapshot_indices are pool_indices(run)) and with the run's loss: what
    ``rnnlab.probe(run.model, pool.x, pool.y, loss=...)`` returns now (tests/app/test_probe_sharing.py compares
    them). None when there is no such snapshot: a run reopened or imported, stopped inside an epoch, its last
    epoch not snapshotted, or other samples."""
    result = getattr(run, "result", None)
    epoch = getattr(run, "final_snapshot", None)
    if result is None or epoch is None or epoch not in run.snapshots or run.model is not result.model:
        return None
    if run.data is None or tuple(run.snapshot_indices) != pool_indices(run):
        return None
    if getattr(run.model, "loss", None) != loss_name(run, pool):
        return None
    return run.snapshots[epoch]


def pool_snapshots(run) -> dict:
    """A run -> {epoch: Trace} of its training snapshots when their sample b is the probe pool's sample b (they
    recorded the pool's sequences, or its first ones), else {}: a run stored before the pool took the classes in
    turn, or trained with other snapshot_samples, recorded other sequences, whose states must not be shown under
    the pool's labels. A run that does not say which it recorded recorded the first ones (the old rule)."""
    snapshots = dict(getattr(run, "snapshots", None) or {})
    if not snapshots:
        return {}
    recorded = tuple(int(i) for i in (getattr(run, "snapshot_indices", None) or ()))
    if not recorded:
        batch = {int(record.valid.shape[0]) for trace in snapshots.values() for record in trace.layers.values()}
        recorded = tuple(range(max(batch, default=0)))
    return snapshots if recorded == pool_indices(run)[: len(recorded)] else {}


def run_trace(run):
    """A run -> rnnlab Trace of its model on the probe pool, with y (so grad_norm is there); once per run. A run
    trained in this session shares its last snapshot (shared_final_trace) instead of probing again; otherwise the
    probe has the snapshots' batch shape, so it reuses their compiled pass."""
    import rnnlab

    def compute():
        pool = probe_pool(run)
        shared = shared_final_trace(run, pool)
        if shared is not None:
            return shared
        return rnnlab.probe(run.model, pool.x, pool.y, loss=loss_name(run, pool))

    with st.spinner("Probing the model: every gate and state of every step ..."):
        return state.memo("trace", run.run_id, compute)


def run_baseline(run) -> dict:
    """A run -> {'loss': ..., metric: ...}: the trivial predictor on the run's test data (once per run)."""
    from rnnlab.experiments import baseline

    def compute():
        train, test = run_data(run)
        return baseline(train, test)

    return state.memo("baseline", run.run_id, compute)


def job_baseline(job) -> dict | None:
    """A training job -> the trivial predictor's test numbers (shared with run_baseline of the run it becomes),
    or None when its data is not yet split."""
    from rnnlab.experiments import baseline

    if not (isinstance(job.data, tuple) and len(job.data) == 2):
        return None
    return state.memo("baseline", job.job_id, lambda: baseline(*job.data))


def run_verdict(run):
    """A run -> rnnlab.experiments.Verdict: did its test loss beat the trivial predictor's?"""
    from rnnlab.experiments import against_baseline

    return against_baseline(run.final_metrics, run_baseline(run))
