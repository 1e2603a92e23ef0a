"""Widgets whose choice is kept in the URL (a shared link opens the same view), and the layer picker.

Each reads its default from app/state.py (``view_index`` / ``view_int`` / ``view_ints``: a link's value that
does not fit is ignored) and writes the widget's value back (``set_view``), which updates the URL.
"""

from __future__ import annotations

import streamlit as st

from app import state


def layer_choice(trace, *, key: str, label: str = "Layer", view: str | None = None) -> str:
    """A selectbox over a trace's layers ('NAME/fw', 'NAME/bw' for each direction of a bidirectional layer);
    ``view``: the URL key it is kept under (see url_choice)."""
    names = list(trace.layers)
    format_func = lambda n: f"{n} ({trace.layers[n].kind})"  # noqa: E731
    if view is None:
        return st.selectbox(label, names, key=key, format_func=format_func)
    return url_choice(st.selectbox, label, names, view=view, key=key, format_func=format_func)


def url_choice(widget, label: str, options, *, view: str, key: str, default: int = 0, **kwargs):
    """A selectbox / radio (``widget``, e.g. ``st.radio`` or ``column.selectbox``) whose choice is kept in the
    URL under ``view``: the link's value when it is one of ``options``, else ``options[default]``."""
    options = list(options)
    value = widget(label, options, index=state.view_index(view, options, default), key=key, **kwargs)
    state.set_view(view, value, options[default])
    return value


def url_select_slider(widget, label: str, options, *, view: str, key: str, default: int = -1, **kwargs):
    """A select_slider kept in the URL under ``view`` (default: ``options[default]``)."""
    options = list(options)
    fallback = default % len(options)
    value = widget(label, options=options, value=options[state.view_index(view, options, fallback)], key=key, **kwargs)
    state.set_view(view, value, options[fallback])
    return value


def url_number(widget, label: str, low: int, high: int, default: int, *, view: str, key: str, **kwargs) -> int:
    """An int slider / number_input in [low, high] kept in the URL under ``view`` (a value outside is ignored)."""
    value = widget(label, low, high, state.view_int(view, low, high, default), key=key, **kwargs)
    state.set_view(view, int(value), int(default))
    return int(value)


def url_multi(widget, label: str, options, default, *, view: str, key: str, **kwargs) -> list:
    """An int multiselect kept in the URL under ``view`` ("0,3,5"; choices the run lacks are dropped)."""
    options = list(options)
    value = widget(label, options, default=state.view_ints(view, options, default), key=key, **kwargs)
    state.set_view(view, list(value), list(default))
    return list(value)


def sample_label(pool, b: int, length: int | None = None) -> str:
    """Sample b of a probe pool (a SequenceDataset [B, T, D]) as a picker names it: "sample 3: s097 (length 14,
    label 1)". The sequence's id (the CSV's id column, else its place in the file the pool was taken from) follows
    the batch index when it says more than it, so "sample 3" can be found in the user's file; ``length``: the one
    to show (default: the pool's true length); the label for classification."""
    text = f"sample {b}"
    ids = getattr(pool, "sequence_ids", ())
    if b < len(ids) and str(ids[b]) != str(b):
        text += f": {ids[b]}"
    text += f" (length {int(pool.lengths[b] if length is None else length)}"
    if getattr(pool, "task", None) == "classification":
        text += f", label {pool.class_names[pool.y[b]] if pool.class_names else pool.y[b]}"
    return text + ")"
