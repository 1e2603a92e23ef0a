"""Import TensorFlow once, without its C++ start-up chatter.

TensorFlow 2.21 prints absl / oneDNN / CUDA-probe lines on import and at its first device look-up (a
"failed call to cuInit" error on machines without a GPU) even with TF_CPP_MIN_LOG_LEVEL set, and they
bury one-line messages (the CLI's errors, the app's log). rnnlab sets TF_CPP_MIN_LOG_LEVEL=2 unless you set
it, and imports TensorFlow (and looks up its GPUs once) with file descriptor 2 silenced unless
TF_CPP_MIN_LOG_LEVEL=0. Python exceptions raised by the import still surface as usual.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _import_quietly() -> None:
    if "tensorflow" in sys.modules or os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        import tensorflow  # noqa: F401

        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real fd 2 (some embedded interpreters)
        import tensorflow  # noqa: F401

        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow

        tensorflow.config.list_physical_devices("GPU")  # the CUDA probe's complaint on CPU-only machines, too
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_quietly()
