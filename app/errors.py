"""The user-facing sentence for an exception: a leaf (no streamlit, no app import), so the UI's error guard and
the background training job (app/session/jobs.py, which must not import the UI) say it the same way."""

from __future__ import annotations


def error_message(what: str, error: BaseException) -> str:
    """A user-facing sentence for an exception raised while doing ``what``."""
    from rnnlab import RnnlabError

    if isinstance(error, RnnlabError):
        return f"{what}: {error}"
    if isinstance(error, (ValueError, TypeError, KeyError)):
        return f"{what}: {error}"
    if isinstance(error, MemoryError):
        return f"{what}: not enough memory. Use fewer samples, fewer units or a shorter sequence."
    return f"{what} failed unexpectedly ({type(error).__name__}: {error}). Your settings are kept; try again or change them."
