"""Helpers for the AppTest suite: start the app with a spec, wait for training, read the charts' JSON."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import numpy as np

from streamlit.testing.v1 import AppTest

from rnnlab.experiments import ExperimentSpec, LayerSpec

APP = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"
TIMEOUT = 90

SPEC_KEY = "rnnlab:spec"
JOB_KEY = "rnnlab:training_job"
RUNS_KEY = "rnnlab:session_runs"


def tiny_spec(**changes) -> ExperimentSpec:
    """A regression experiment that trains in about a second: sine, 64 sequences, LSTM(4), 2 epochs."""
    spec = ExperimentSpec(dataset="sine", dataset_options={"n_samples": 64, "n_test": 16},
                          layers=(LayerSpec("lstm", 4),), epochs=2, batch_size=32, seed=0)
    return spec.replace(**changes)


def tiny_classification(**changes) -> ExperimentSpec:
    """Variable-length walks (classification, zero-padded) with a dynamic LSTM(4)."""
    spec = ExperimentSpec(dataset="variable_length", dataset_options={"n_samples": 64, "n_test": 16},
                          layers=(LayerSpec("lstm", 4, dynamic=True),), epochs=2, batch_size=32, seed=0)
    return spec.replace(**changes)


def new_app(spec: ExperimentSpec | None = None, page: str | None = None, **query) -> AppTest:
    """A fresh browser session on the app (spec in the URL when given), run once, on ``page`` if given."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if spec is not None:
        at.query_params.update(spec.to_query())
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    return at


def go(at: AppTest, page: str) -> AppTest:
    return at.switch_page(f"app_pages/{page}.py").run()


def spec_of(at: AppTest) -> ExperimentSpec:
    return at.session_state[SPEC_KEY]


def runs_of(at: AppTest) -> list:
    return at.session_state[RUNS_KEY] if RUNS_KEY in at.session_state else []


def wait_training(at: AppTest, timeout: float = 120) -> AppTest:
    """Block until this session's background training ends, then rerun (the app collects the run)."""
    job = at.session_state[JOB_KEY]
    assert job.wait(timeout), "training did not finish in time"
    at.run()
    return at


def wait_first_epoch(job, timeout: float = 60) -> None:
    """Block until the session's background training job has finished at least one epoch (or timeout)."""
    deadline = time.time() + timeout
    while job.progress().epochs_done < 1 and time.time() < deadline:
        time.sleep(0.1)


def start_long_training() -> tuple[AppTest, object]:
    """Start a 400-epoch LSTM training on the Train page and wait for its first epoch -> (app, job)."""
    spec = tiny_spec(epochs=400, dataset_options={"n_samples": 256, "n_test": 16}, layers=(LayerSpec("lstm", 8),))
    at = new_app(spec, page="train")
    at.button(key="train_start").click().run()
    job = at.session_state[JOB_KEY]
    wait_first_epoch(job)
    return at, job


def train(at: AppTest) -> AppTest:
    """Press Start on the Train page and wait for the result."""
    go(at, "train")
    at.button(key="train_start").click().run()
    return wait_training(at)


def problems(at: AppTest) -> list[str]:
    """Exception elements and error messages in the page (an empty list is a clean page)."""
    return [f"exception: {e.value}" for e in at.exception] + [f"error: {e.value}" for e in at.error]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def charts(at: AppTest) -> list[dict]:
    """Every plotly chart in the page as its figure JSON (data + layout)."""
    return [json.loads(element.proto.spec) for element in at.get("plotly_chart")]


def chart(at: AppTest, name: str) -> dict:
    """The (first) chart whose layout.meta.chart is ``name`` (the rnnlab.plots function that drew it)."""
    found = [fig for fig in charts(at) if fig.get("layout", {}).get("meta", {}).get("chart") == name]
    assert found, f"no {name} chart; the page has {[f['layout'].get('meta', {}).get('chart') for f in charts(at)]}"
    return found[0]


def array(value) -> np.ndarray:
    """A figure JSON array -> ndarray (plotly sends typed arrays as {'dtype', 'bdata' (base64), 'shape'})."""
    if isinstance(value, dict) and "bdata" in value:
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if shape:
            data = data.reshape([int(n) for n in str(shape).split(",")])
        return data
    return np.asarray(value, dtype=object if value and isinstance(value, list) and value[0] is None else None)


def trace_types(fig: dict) -> list[str]:
    return [trace.get("type", "scatter") for trace in fig["data"]]


def title(fig: dict) -> str:
    value = fig["layout"].get("title", {})
    return value.get("text", "") if isinstance(value, dict) else str(value)


def frame_with(at: AppTest, column: str):
    """The (first) st.dataframe whose table has ``column``."""
    for element in at.dataframe:
        frame = element.value
        if column in frame.columns:
            return frame
    raise AssertionError(f"no table with column {column!r}: {[list(e.value.columns) for e in at.dataframe]}")
