"""Process-wide fixes the app needs from its libraries (applied once by streamlit_app.py, idempotent).

Streamlit clears the Keras session after every script run (``script_runner._clean_problem_modules`` calls
``keras.backend.clear_session()``). rnnlab trains in a background thread per browser session, and several
sessions run at once, so that clear lands while another thread is inside TensorFlow: it empties the kernel
cache and resets Keras' global state under a running training, which blocks it (observed: training stuck
before its first batch). rnnlab's models are eager Keras 3 objects owned by their sessions and need no
clearing, so the app keeps Streamlit's other clean-up (matplotlib) and skips the Keras one.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
import traceback

log = logging.getLogger("rnnlab.app")


def _clean_problem_modules_without_keras() -> None:
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:  # noqa: BLE001 - as Streamlit does: never break a run over this
            pass


def keep_keras_session() -> None:
    """Stop Streamlit from calling keras.backend.clear_session() after each script run."""
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:  # a Streamlit without that module has nothing to patch
        return
    if getattr(script_runner, "_clean_problem_modules", None) is not _clean_problem_modules_without_keras:
        script_runner._clean_problem_modules = _clean_problem_modules_without_keras


_frozen = False


def freeze_startup_objects() -> None:
    """Move every object alive after the imports (TensorFlow's, Keras', Streamlit's) out of the garbage collector's
    sight, once per process.

    Python's full collections walk every tracked object while holding the GIL; with TensorFlow loaded that is
    millions of long-lived objects, and a full collection then stalls every session's page and the health check.
    ``gc.freeze()`` keeps those start-up objects (which live as long as the server) out of later collections, so a
    collection only walks what the sessions made since.
    """
    global _frozen
    if not _frozen:
        import gc

        gc.collect()
        gc.freeze()
        _frozen = True


# ------------------------------------------------------------------------- TensorFlow in the background
# The Lessons page needs only the lesson texts and presets (rnnlab.experiments' pure-data modules); TensorFlow's
# import takes seconds. So the router imports rnnlab with TensorFlow deferred (rnnlab/__init__.py,
# RNNLAB_DEFER_TENSORFLOW), starts TensorFlow's import in a thread, and draws the page at once; a page that needs
# TensorFlow waits for that thread (wait_for_tensorflow) before importing anything that imports it, so two
# threads never import TensorFlow's modules at the same time.

#: What the background import loads: TensorFlow, the layers (registered with Keras, so stored .keras models
#: load) and the modules the pages import when they draw.
BACKGROUND_IMPORTS = ("rnnlab.layers", "rnnlab.probes", "rnnlab.experiments.training", "rnnlab.experiments.model",
                      "rnnlab.experiments.runs", "rnnlab.datasets", "rnnlab.padding", "rnnlab.plots",
                      "app.services", "app.session.training", "app.session.lesson_runs")

#: rnnlab.DEFER_TENSORFLOW_ENV (named here because rnnlab reads it at its first import)
DEFER_TENSORFLOW_ENV = "RNNLAB_DEFER_TENSORFLOW"

_tensorflow_ready = threading.Event()
_tensorflow_thread: threading.Thread | None = None
_tensorflow_lock = threading.Lock()
_tensorflow_seconds: float | None = None


def import_rnnlab_deferred() -> None:
    """Import rnnlab with TensorFlow deferred (once per process; nothing to do when rnnlab is imported already,
    as under the tests). The environment variable is set for that one import only: no subprocess inherits it."""
    if "rnnlab" in sys.modules:
        return
    previous = os.environ.get(DEFER_TENSORFLOW_ENV)
    os.environ[DEFER_TENSORFLOW_ENV] = "1"
    try:
        import rnnlab  # noqa: F401
    finally:
        if previous is None:
            os.environ.pop(DEFER_TENSORFLOW_ENV, None)
        else:
            os.environ[DEFER_TENSORFLOW_ENV] = previous


def _background_import() -> None:
    global _tensorflow_seconds
    started = time.perf_counter()
    try:
        for name in BACKGROUND_IMPORTS:
            importlib.import_module(name)
        import rnnlab

        rnnlab.probe  # noqa: B018  (the public names, imported in deferred mode on first use)
        _tensorflow_seconds = time.perf_counter() - started
        freeze_startup_objects()  # TensorFlow's objects out of every later full garbage collection
    except BaseException:  # noqa: BLE001 - the page that needs it imports it again and shows the error
        log.warning("importing TensorFlow in the background failed:\n%s", traceback.format_exc())
    finally:
        _tensorflow_ready.set()


def start_tensorflow_import() -> None:
    """Start importing TensorFlow (and the modules the pages need) in a background thread, once per process."""
    global _tensorflow_thread
    with _tensorflow_lock:
        if _tensorflow_thread is None:
            _tensorflow_thread = threading.Thread(target=_background_import, name="rnnlab-import-tensorflow",
                                                  daemon=True)
            _tensorflow_thread.start()


def tensorflow_ready() -> bool:
    """Whether the background import has finished (then importing TensorFlow costs nothing more)."""
    return _tensorflow_ready.is_set()


def wait_for_tensorflow(timeout: float | None = None) -> bool:
    """Block until the background import has finished (starting it if needed); True when it has."""
    start_tensorflow_import()
    return _tensorflow_ready.wait(timeout)
