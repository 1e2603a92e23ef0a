"""Process-wide fixes the app needs from its libraries (applied once by streamlit_app.py, idempotent).

Streamlit clears the Keras session after every script run (``script_runner._clean_problem_modules`` calls
``keras.backend.clear_session()``). rnnlab trains in a background thread per browser session, and several
sessions run at once, so that clear lands while another thread is inside TensorFlow: it empties the kernel
cache and resets Keras' global state under a running training, which blocks it (observed: training stuck
before its first batch). rnnlab's models are eager Keras 3 objects owned by their sessions and need no
clearing, so the app keeps Streamlit's other clean-up (matplotlib) and skips the Keras one.
"""

from __future__ import annotations

import sys


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
