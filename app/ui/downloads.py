"""The data behind download buttons: made only when the user clicks, from plain objects (no session state)."""

from __future__ import annotations


def lazy(function, *args):
    """A download's data made only when the user clicks (st.download_button runs the callable then, in
    another thread), so page reruns never pay for it. The callable holds plain objects, not session state."""
    return lambda: function(*args)


def trace_csv(trace, layer: str | None = None) -> bytes:
    """Trace -> long CSV (layer, direction, sample, t, unit, quantity, value, valid), one layer or all."""
    frame = trace.to_frame()
    if layer is not None:
        frame = frame[frame["layer"] == layer]
    return frame.to_csv(index=False).encode()
