"""Training in the background of one browser session, and the runs a session keeps.

A TrainingJob runs ``rnnlab.experiments.train`` in a worker thread, so the page stays responsive, the Stop
button reaches it (``stop_flag``), and switching pages does not kill it. Its callback records every batch and
epoch under a lock; the Train page's fragment reads ``progress()`` twice a second and redraws the progress bar
and the curves. The job object lives in this session's st.session_state (via app/state.py); the only state shared
between sessions is the server's training slots (app/session/slots.py: how many trainings run at once, the others
wait in line), and no Streamlit call happens in the worker thread.

A training never outlives its browser session. Streamlit has no public "session ended" callback, so the job's
stop_flag (checked by ``rnnlab.experiments.train`` between batches) also asks:

* is the session that started it still connected? (``session_probe()``, recorded on the page's thread when the
  job starts: ``runtime.is_active_session(session_id)``, thread-safe). A session gone for SESSION_GONE_GRACE_S
  (a closed tab; a network blip that reconnects within the grace keeps the training) stops the job. Where no
  Streamlit runtime exists (AppTest, scripts) there is nothing to ask and only the time limit applies;
* has it run longer than MAX_TRAINING_S (10 minutes)? Then it stops, keeping the epochs finished so far;
* a new training started in the same session stops the previous one (``app.session.training.start_training``).

``stop_reason`` says which ('request', 'session', 'time', 'replaced') and the end message names it.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from app.errors import error_message
from app.session.slots import SERVER_SLOTS, TrainingSlots
from app.keras_files import keras_bytes

if TYPE_CHECKING:  # pandas loads where a history is made: the landing page needs only this module's constants
    import pandas as pd

log = logging.getLogger("rnnlab.app")

#: How many test sequences the snapshots (epoch slider on the States page) record, chosen as the inspection pages'
#: probe pool is (rnnlab.datasets.dataset.probe_samples with services.PROBE_SAMPLES: the classes in turn for
#: classification, else the first ones): so the pages' probe runs the pass the snapshots compiled (no new trace,
#: about a second) and the last snapshot, taken with the final weights, is the pages' trace (experiment.run_trace).
SNAPSHOT_SAMPLES = 48
#: A training stops by itself after this many seconds (a forgotten tab must not hold the server's CPU).
MAX_TRAINING_S = 600.0
#: A training whose browser session has been disconnected this long stops (a reconnecting tab keeps it).
SESSION_GONE_GRACE_S = 30.0

#: Why a job stopped early -> the sentence that opens its end message.
STOP_REASONS = {
    "request": "",
    "session": "Stopped because its browser session ended (tab closed or disconnected). ",
    "time": "Stopped at the time limit of {limit:g} minutes per training; the epochs finished so far are kept. ",
    "replaced": "Stopped because a new training started in this session. ",
}


def session_probe() -> Callable[[], bool] | None:
    """On a page's script thread: -> a thread-safe callable telling whether this browser session is still
    connected (``runtime.is_active_session``), or None where that cannot be told (no Streamlit runtime, as
    under AppTest or in a script, or a session the runtime does not list as active)."""
    try:
        from streamlit import runtime
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:  # pragma: no cover - streamlit is a dependency of the app
        return None
    try:
        if not runtime.exists():
            return None
        ctx = get_script_run_ctx(suppress_warning=True)
        if ctx is None:
            return None
        instance, session_id = runtime.get_instance(), ctx.session_id
        if not instance.is_active_session(session_id):
            return None
    except Exception:  # noqa: BLE001 - an internal API that may change: then only the time limit applies
        log.warning("cannot watch the browser session of a training:\n%s", traceback.format_exc())
        return None
    return lambda: instance.is_active_session(session_id)


@dataclass(frozen=True)
class Progress:
    """A consistent copy of a job's state for drawing: epochs [rows] of logs, the batch position, the end."""

    status: str  # 'queued' | 'running' | 'done' | 'stopped' | 'diverged' | 'failed'
    epochs_total: int
    epochs_done: int
    batch: int
    n_batches: int
    rows: tuple[dict, ...]
    last_batch_loss: float | None
    seconds: float
    message: str
    place: int | None = None  # queued: 1 = next in line for a training slot

    @property
    def fraction(self) -> float:
        """0..1 through the whole training (epochs and the batches of the current one)."""
        if self.status == "queued":
            return 0.0
        if self.status != "running":
            return 1.0 if self.status == "done" else min(1.0, self.epochs_done / max(self.epochs_total, 1))
        within = self.batch / self.n_batches if self.n_batches else 0.0
        return min(1.0, (self.epochs_done + within) / max(self.epochs_total, 1))

    def history(self) -> pd.DataFrame:
        """[epochs_done rows] epoch, loss, metric, val_loss, ... as far as trained."""
        import pandas as pd

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

    def __init__(self, spec, data, *, label: str, snapshot_epochs=(), strategy=None,
                 alive: Callable[[], bool] | None = None, max_seconds: float | None = MAX_TRAINING_S,
                 grace_seconds: float = SESSION_GONE_GRACE_S, clock: Callable[[], float] = time.monotonic,
                 slots: TrainingSlots | None = SERVER_SLOTS):
        """``alive``: is the starting browser session still there (see session_probe; None: not watched).
        ``max_seconds``: stop after this long training (None: no limit; waiting for a slot does not count).
        ``grace_seconds``: how long ``alive`` may say False before the job stops. ``clock``: seconds, monotonic
        (tests pass a fake one). ``slots``: the server's training slots to wait for (None: start at once)."""
        self.job_id = uuid.uuid4().hex[:8]
        self.spec = spec
        self.data = data  # (train, test) SequenceDatasets, or one dataset to split
        self.label = label
        self.snapshot_epochs = tuple(snapshot_epochs)
        self.strategy = strategy
        self.result = None
        self.model_file: bytes | None = None
        self.error: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.stop_reason: str | None = None
        self.alive = alive
        self.max_seconds = max_seconds
        self.grace_seconds = float(grace_seconds)
        self._clock = clock
        self._clock_start = clock()
        self._gone_since: float | None = None
        self._rows: list[dict] = []
        self._batch = 0
        self._n_batches = 0
        self._metric = None
        self._last_loss: float | None = None
        self._started = time.perf_counter()
        self._ended: float | None = None
        self._done = threading.Event()
        self.slots = slots
        self._queued = False  # True while the worker waits in line for a training slot
        self._thread = threading.Thread(target=self._run, name=f"rnnlab-train-{self.job_id}", daemon=True)

    # -- control
    def start(self) -> "TrainingJob":
        self._thread.start()
        return self

    def stop(self, reason: str = "request") -> None:
        """Ask training to stop after the current batch (finished epochs are kept); ``reason``: a key of
        STOP_REASONS (the first reason given is kept)."""
        with self._lock:
            if not self._stop.is_set():
                self.stop_reason = reason
                if reason != "request":
                    log.info("training %s asked to stop: %s", self.job_id, reason)
            self._stop.set()

    def should_stop(self) -> bool:
        """The stop_flag handed to train(), called between batches in the worker thread: a Stop request, the
        time limit, or the browser session gone for longer than the grace."""
        if self._stop.is_set():
            return True
        now = self._clock()
        if not self._queued and self.max_seconds is not None and now - self._clock_start >= self.max_seconds:
            self.stop("time")
            return True
        if self.alive is not None:
            try:
                alive = bool(self.alive())
            except Exception:  # noqa: BLE001 - cannot tell: keep training (the time limit still applies)
                alive = True
            if alive:
                self._gone_since = None
            elif self._gone_since is None:
                self._gone_since = now
            if self._gone_since is not None and now - self._gone_since >= self.grace_seconds:
                self.stop("session")
                return True
        return False

    def end_message(self, message: str) -> str:
        """train()'s message, opened by why the job stopped when it was not the user's Stop button."""
        if self.stop_reason and self.stop_reason in STOP_REASONS and message.startswith("Stopped on request"):
            limit = (self.max_seconds or 0) / 60
            return STOP_REASONS[self.stop_reason].format(limit=limit) + message
        return message

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
        from rnnlab.datasets.dataset import probe_samples
        from rnnlab.experiments import split_dataset, train

        self._queued = self.slots is not None
        if self._queued and not self.slots.acquire(self.job_id, self.should_stop):
            self._ended = time.perf_counter()  # stopped (or its tab closed) while waiting in line
            self._done.set()
            return
        self._queued = False
        self._clock_start = self._clock()  # the time limit counts training, not waiting
        try:
            with rnnlab.naming_context():
                data = split_dataset(self.data, self.spec)  # (train, test), as train() would split it
                _, snapshot_index = probe_samples(*data, SNAPSHOT_SAMPLES)  # the pages' pool (experiment.probe_pool)
                result = train(
                    self.spec,
                    dataset=data,
                    callbacks=[_Recorder(self)],
                    stop_flag=self.should_stop,
                    snapshot_epochs=self.snapshot_epochs,
                    snapshot_samples=snapshot_index,
                    strategy=self.strategy,
                )
            model_file = self._model_file(result.model)
            with self._lock:
                self.result = result
                self.model_file = model_file
        except Exception as error:  # noqa: BLE001 - reported in the page, logged for the developer
            log.warning("training %s failed:\n%s", self.job_id, traceback.format_exc())
            with self._lock:
                self.error = error_message("Training", error)
        finally:
            if self.slots is not None:
                self.slots.release(self.job_id)
            self._ended = time.perf_counter()
            self._done.set()

    def _model_file(self, model) -> bytes | None:
        """The trained model's .keras bytes, made here in the job's thread: the Train page's download then hands
        Streamlit plain bytes. (A download made on click is a file Streamlit registers outside any script run, and
        on a busy server another session's run can remove it before the browser fetches it.)"""
        if model is None:
            return None
        try:
            return keras_bytes(model)
        except Exception:  # noqa: BLE001 - the page falls back to making the file on click
            log.warning("job %s: could not serialise its model:\n%s", self.job_id, traceback.format_exc())
            return None

    # -- reading
    def progress(self) -> Progress:
        with self._lock:
            place = None
            if not self._done.is_set():
                status, message = ("queued", "") if self._queued else ("running", "")
                place = self.slots.place(self.job_id) if self._queued else None
            elif self.error is not None:
                status, message = "failed", self.error
            elif self.result is None:  # stopped before a slot was free
                status, message = "stopped", (STOP_REASONS.get(self.stop_reason or "", "") +
                                              "Stopped before it started: it was waiting for a free training slot.")
            elif getattr(self.result, "diverged", False):
                status, message = "diverged", self.result.message
            elif self.result.stopped_early:
                status, message = "stopped", self.end_message(self.result.message)
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
                place=place,
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
    model_file: bytes | None = None  # the model's .keras file, made when training ended (None: make it on click)
    final_snapshot: int | None = None  # the snapshot epoch recorded with the model's final weights (TrainResult)

    def layers_text(self) -> str:
        """'lstm(16, seq) > lstm(8)': the run's layers, as its spec built them."""
        return " > ".join(layer.describe() for layer in self.spec.layers)

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
        message=job.end_message(result.message),
        stopped_early=bool(result.stopped_early),
        diverged=bool(getattr(result, "diverged", False)),
        snapshots=dict(result.snapshots or {}),
        snapshot_indices=tuple(getattr(result, "snapshot_indices", ()) or ()),
        data=job.data,
        result=result,
        model_file=getattr(job, "model_file", None),
        final_snapshot=getattr(result, "final_snapshot", None),
    )
