"""Figure display: a plotly Figure from rnnlab.plots in the page, sized for presentation mode, PNG export kept."""

from __future__ import annotations

import streamlit as st

from app import state

PRESENTATION_FIGURE_FONT = 17  # plotly sizes its text in px: larger in presentation mode

PLOTLY_CONFIG = {
    "displaylogo": False,
    # keep the camera button: "Download plot as a PNG"
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def figure(fig, *, key: str, how_to_read: bool = True) -> None:
    """A plotly Figure from rnnlab.plots, with its one-line how-to-read below; PNG export kept."""
    from rnnlab import plots

    if state.presentation():
        fig = go_copy(fig)
        fig.update_layout(font=dict(size=PRESENTATION_FIGURE_FONT))
    st.plotly_chart(fig, theme=None, key=key, config=PLOTLY_CONFIG)
    if how_to_read:
        reading = plots.how_to_read(fig)
        if reading:
            st.caption(f"How to read it: {reading}")


def go_copy(fig):
    """A copy of a plotly Figure (so a view tweak never changes a cached or shared figure)."""
    import plotly.graph_objects as go

    return go.Figure(fig)
