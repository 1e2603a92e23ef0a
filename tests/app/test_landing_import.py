"""The first page draws before TensorFlow has loaded (app/compat.py, rnnlab/__init__.py's deferred mode).

Each check runs the app in a fresh interpreter (this test process has TensorFlow imported already) where
TensorFlow's import is held back until the script says so: the Lessons page must draw completely while
TensorFlow is still not there, only the router's background thread may have asked for it (or for pandas), and a
page that needs it must wait for it and then work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Holds TensorFlow's import (its module body, not the finder: a finder runs under the global import lock) until
# the event is set, and records which threads asked for it.
SCRIPT = textwrap.dedent(
    """
    import importlib.machinery, json, sys, threading, time
    sys.path.insert(0, ROOT)
    release, asked, pandas_asked = threading.Event(), [], []
    HOLD_S = 20  # a page that imports TensorFlow itself waits this long, then draws with it loaded

    class HeldLoader:
        def __init__(self, real):
            self.real = real
        def create_module(self, spec):
            return self.real.create_module(spec)
        def exec_module(self, module):
            asked.append(threading.current_thread().name)
            release.wait(HOLD_S)
            self.real.exec_module(module)

    class HoldTensorFlow:
        def find_spec(self, name, path=None, target=None):
            if name == "pandas" and "pandas" not in sys.modules:  # who imports pandas first
                pandas_asked.append(threading.current_thread().name)
            if name != "tensorflow":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            spec.loader = HeldLoader(spec.loader)
            return spec

    sys.meta_path.insert(0, HoldTensorFlow())
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(ROOT + "/app/streamlit_app.py", default_timeout=60)
    start = time.perf_counter()
    at.run(timeout=120)
    drawn = dict(
        seconds=time.perf_counter() - start,
        exceptions=[str(e.value) for e in at.exception], errors=[str(e.value) for e in at.error],
        subheaders=[s.value for s in at.subheader], buttons=[b.key for b in at.button],
        tensorflow_loaded=hasattr(sys.modules.get("tensorflow"), "constant"), asked=list(asked),
        pandas_asked=list(pandas_asked),
    )
    release.set()
    at.button(key="lessons_load_sine").click().run()  # Load: the Build page, which needs TensorFlow
    import rnnlab
    loaded = dict(
        exceptions=[str(e.value) for e in at.exception], errors=[str(e.value) for e in at.error],
        titles=[t.value for t in at.title], tensorflow_loaded=hasattr(sys.modules.get("tensorflow"), "constant"),
        spec=at.session_state["rnnlab:spec"].to_json(), lstm_registered=rnnlab.lstm is not None,
        deferred_variable=__import__("os").environ.get("RNNLAB_DEFER_TENSORFLOW"), asked=list(asked),
    )
    print("RESULT" + json.dumps(dict(drawn=drawn, loaded=loaded)))
    """
)


def run_app_with_tensorflow_held() -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("RNNLAB_DEFER_TENSORFLOW", None)
    done = subprocess.run([sys.executable, "-c", f"ROOT = {str(ROOT)!r}\n" + SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT")]
    assert done.returncode == 0 and lines, f"rc {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return json.loads(lines[-1][len("RESULT"):])


def test_lessons_page_draws_while_tensorflow_is_still_loading_and_other_pages_wait_for_it():
    from rnnlab.experiments import LESSONS, PRESETS

    result = run_app_with_tensorflow_held()
    drawn, loaded = result["drawn"], result["loaded"]
    # the whole landing page, with TensorFlow's import still held back
    assert drawn["exceptions"] == [] and drawn["errors"] == [], drawn
    assert sorted(drawn["subheaders"]) == sorted(lesson.title for lesson in LESSONS)  # two columns
    assert {f"lessons_train_{lesson.key}" for lesson in LESSONS} <= set(drawn["buttons"])
    assert drawn["tensorflow_loaded"] is False, f"the Lessons page waited for TensorFlow ({drawn['seconds']:.1f} s)"
    # the page's own thread never asked for TensorFlow (the background import starts once the page is drawn)
    assert set(drawn["asked"]) <= {"rnnlab-import-tensorflow"}, drawn["asked"]
    # nor for pandas (0.36 s): the page needs two constants of app/session/jobs.py, not its DataFrames
    assert set(drawn["pandas_asked"]) <= {"rnnlab-import-tensorflow"}, drawn["pandas_asked"]
    # Load waited for TensorFlow, then loaded the lesson's preset and opened the Build page
    assert loaded["exceptions"] == [] and loaded["errors"] == [], loaded
    assert loaded["tensorflow_loaded"] is True and loaded["lstm_registered"] is True
    assert loaded["asked"] == ["rnnlab-import-tensorflow"], loaded["asked"]  # imported by the background thread
    assert "Build" in " ".join(loaded["titles"]), loaded["titles"]
    assert loaded["spec"] == PRESETS["sine"].to_json()
    # the deferred mode was for rnnlab's first import only: subprocesses of the app do not inherit it
    assert loaded["deferred_variable"] is None


def test_import_rnnlab_without_the_variable_registers_the_layers_with_keras():
    """README's promise: `import rnnlab`, then keras.models.load_model reads rnnlab's layers."""
    code = ("import sys, rnnlab, keras\n"
            "print('tensorflow' in sys.modules, keras.saving.get_registered_object('rnnlab>LSTM') is rnnlab.LSTM)")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("RNNLAB_DEFER_TENSORFLOW", None)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True"], done.stdout


def test_compat_names_the_variable_rnnlab_reads():
    import rnnlab
    from app import compat

    assert compat.DEFER_TENSORFLOW_ENV == rnnlab.DEFER_TENSORFLOW_ENV
