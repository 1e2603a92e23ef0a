"""Training in the background of one browser session, and the runs a session keeps.

A TrainingJob runs ``rnnlab.training.train`` in a worker thread, so the page stays responsive, the Stop
button reaches it (``stop_flag``), and switching pages does not kill it. Its callback records every batch and
epoch under a lock; the Train page's fragment reads ``progress()`` twice a second and redraws the progress bar
and the curves. The job object lives in this session's st.session_state (via app/state.py): nothing here is
module-level mutable state, and no Streamlit call happens in the worker thread.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

log = logging.getLogger("rnnlab.app")

#: How many test sequences the snapshots (epoch slider on the States page) record.
SNAPSHOT_SAMPLES = 16


@dataclass(frozen=True)
class Progress:
    """A consistent copy of a job's state for drawing: epochs [rows] of logs, the batch position, the end."""

    status: str  # 'running' | 'done' | 'stopped' | 'diverged' | 'failed'
    epochs_total: int
    epochs_done: int
    batch: int
    n_batches: int
    rows: tuple[dict, ...]
    last_batch_loss: float | None
    seconds: float
    message: str

    @property
    def fraction(self) -> float:
        """0..1 through the whole training (epochs and the batches of the current one)."""
        if self.status != "running":
            return 1.0 if self.status == "done" else min(1.0, self.epochs_done / max(self.epochs_total, 1))
        within = self.batch / self.n_batches if self.n_batches else 0.0
        return min(1.0, (self.epochs_done + within) / max(self.epochs_total, 1))

    def history(self) -> pd.DataFrame:
        """[epochs_done rows] epoch, loss, metric, val_loss, ... as far as trained."""
        return pd.DataFrame(list(self.rows))


class _Recorder:
    """The TrainingCallback the job hands to train(): plain numbers in, under the job's lock."""

    def __init__(self, job: "TrainingJob"):
        self.job = job

    def on_train_begin(self, logs):
        with self.job._lock:
            self.job._n_batches = int(logs.get("n_batches", 0))
            self.job._metric = logs.get("metric")

    def on_batch_end(self, batch, logs):
        with self.job._lock:
            self.job._batch = int(batch)
            self.job._last_loss = float(logs.get("loss", float("nan")))

    def on_epoch_end(self, epoch, logs):
        row = {k: float(v) for k, v in logs.items() if k not in ("elapsed",)}
        row["epoch"] = int(epoch)
        with self.job._lock:
            self.job._rows.append(row)
            self.job._batch = 0

    def on_train_end(self, logs):
        pass


class TrainingJob:
    """One training of one session: ``start()``, ``stop()``, ``progress()``, then ``result`` / ``error``."""

    def __init__(self, spec, data, *, label: str, snapshot_epochs=(), strategy=None):
        self.job_id = uuid.uuid4().hex[:8]
        self.spec = spec
        self.data = data  # (train, test) SequenceDatasets, or one dataset to split
        self.label = label
        self.snapshot_epochs = tuple(snapshot_epochs)
        self.strategy = strategy
        self.result = None
        self.error: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._rows: list[dict] = []
        self._batch = 0
        self._n_batches = 0
        self._metric = None
        self._last_loss: float | None = None
        self._started = time.perf_counter()
        self._ended: float | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rnnlab-train-{self.job_id}", daemon=True)

    # -- control
    def start(self) -> "TrainingJob":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask training to stop after the current batch (finished epochs are kept)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (tests, benchmarks); True when it has."""
        return self._done.wait(timeout)

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # -- the worker
    def _run(self) -> None:
        import rnnlab
        from rnnlab.training import train

        try:
            with rnnlab.naming_context():
                result = train(
                    self.spec,
                    dataset=self.data,
                    callbacks=[_Recorder(self)],
                    stop_flag=self._stop.is_set,
                    snapshot_epochs=self.snapshot_epochs,
                    snapshot_samples=SNAPSHOT_SAMPLES,
                    strategy=self.strategy,
                )
            with self._lock:
                self.result = result
        except Exception as error:  # noqa: BLE001 - reported in the page, logged for the developer
            from app.components import error_message

            log.warning("training %s failed:\n%s", self.job_id, traceback.format_exc())
            with self._lock:
                self.error = error_message("Training", error)
        finally:
            self._ended = time.perf_counter()
            self._done.set()

    # -- reading
    def progress(self) -> Progress:
        with self._lock:
            if not self._done.is_set():
                status, message = "running", ""
            elif self.error is not None:
                status, message = "failed", self.error
            elif getattr(self.result, "diverged", False):
                status, message = "diverged", self.result.message
            elif self.result.stopped_early:
                status, message = "stopped", self.result.message
            else:
                status, message = "done", self.result.message
            end = self._ended if self._ended is not None else time.perf_counter()
            return Progress(
                status=status,
                epochs_total=int(self.spec.epochs),
                epochs_done=len(self._rows),
                batch=self._batch,
                n_batches=self._n_batches,
                rows=tuple(dict(r) for r in self._rows),
                last_batch_loss=self._last_loss,
                seconds=end - self._started,
                message=message,
            )


@dataclass
class SessionRun:
    """A finished training kept by one session: what the inspection pages look at."""

    run_id: str
    label: str
    spec: Any
    model: Any
    history: pd.DataFrame
    final_metrics: dict
    message: str = ""
    stopped_early: bool = False
    diverged: bool = False
    snapshots: dict = field(default_factory=dict)
    snapshot_indices: tuple = ()
    data: Any = None  # (train, test) SequenceDatasets, or None when reopened from the store
    store_id: str | None = None  # the RunStore id once saved
    result: Any = None  # the TrainResult (None when reopened from the store)

    def summary(self) -> str:
        """'12 epochs, val_loss 0.0123, val_mae 0.08'."""
        parts = [f"{len(self.history)} epochs"]
        for key, value in self.final_metrics.items():
            if key in ("epochs", "seconds") or not isinstance(value, (int, float)):
                continue
            parts.append(f"{key} {value:.4g}")
        return ", ".join(parts[:5])


def run_from_job(job: TrainingJob, number: int) -> SessionRun | None:
    """A finished job -> SessionRun (None when it failed or finished no epoch)."""
    result = job.result
    if result is None or result.history is None or len(result.history) == 0:
        return None
    return SessionRun(
        run_id=job.job_id,
        label=f"#{number} {job.label}",
        spec=job.spec,
        model=result.model,
        history=result.history,
        final_metrics=dict(result.final_metrics),
        message=result.message,
        stopped_early=bool(result.stopped_early),
        diverged=bool(getattr(result, "diverged", False)),
        snapshots=dict(result.snapshots or {}),
        snapshot_indices=tuple(getattr(result, "snapshot_indices", ()) or ()),
        data=job.data,
        result=result,
    )
