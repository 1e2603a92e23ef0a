"""Figure display: a plotly Figure from rnnlab.plots in the page, sized for presentation mode, PNG export kept."""

from __future__ import annotations

import textwrap

import streamlit as st

from app import state

PRESENTATION_FIGURE_FONT = 17  # plotly sizes its text in px: larger in presentation mode
PRESENTATION_TITLE_FONT = 22
#: Characters of a PRESENTATION_TITLE_FONT title that fit on one line of a chart as wide as the page's main
#: column at 1280x720 in presentation mode (about 750 px); a chart in half of it (share=0.5) fits half.
TITLE_CHARS = 54
LEGEND_CHARS = 64  # the same for legend entries at PRESENTATION_FIGURE_FONT
TITLE_LINE_PX = 30
DEFAULT_HEIGHT = 450  # plotly's height when a figure sets none

PLOTLY_CONFIG = {
    "displaylogo": False,
    # keep the camera button: "Download plot as a PNG"
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def figure(fig, *, key: str, how_to_read: bool = True, share: float = 1.0) -> None:
    """A plotly Figure from rnnlab.plots, with its one-line how-to-read below instead of its subtitle (which plotly
    does not wrap); PNG export kept.

    ``share``: the part of the page's width the chart gets (0.5 in one of two columns); in presentation mode
    the title is wrapped to fit it."""
    from rnnlab import plots

    reading = plots.how_to_read(fig) if how_to_read else ""
    if state.presentation():
        fig = presentation_layout(fig, share=share)
    elif reading and fig.layout.title.subtitle.text:
        # the caption below says it in type that wraps; plotly's one-line subtitle is cut at the chart's edge
        fig = go_copy(fig)
        fig.update_layout(title=dict(subtitle=dict(text="")))
    st.plotly_chart(fig, theme=None, key=key, config=PLOTLY_CONFIG)
    if reading:
        st.caption(f"How to read it: {reading}")


def presentation_layout(fig, *, share: float = 1.0):
    """A copy of ``fig`` for a projector: larger type; the title wrapped to the chart's width, above the plot
    and its subplot titles; the subtitle left out (the how-to-read caption under the chart says it, in type
    that wraps); a legend beside the plot moved under it, so it no longer squeezes the plot."""
    fig = go_copy(fig)
    layout = fig.layout
    old_top = layout.margin.t if layout.margin.t is not None else 80
    title = wrap_title(layout.title.text or "", max(12, int(TITLE_CHARS * share)))
    lines = title.count("<br>") + 1 if title else 0
    fig.update_layout(font=dict(size=PRESENTATION_FIGURE_FONT))
    if title:
        # automargin with yref="paper": plotly grows the top margin until the title clears the plot area;
        # pad.b keeps it clear of the subplot titles that sit just above the plot
        fig.update_layout(title=dict(
            text=title, subtitle=dict(text=""), font=dict(size=PRESENTATION_TITLE_FONT), x=0.02, xanchor="left",
            xref="container", yref="paper", y=1, yanchor="bottom", automargin=True,
            pad=dict(b=12 + (28 if _top_annotations(fig) else 0), t=0, l=0, r=0),
        ), margin=dict(t=20))
    else:
        fig.update_layout(title=dict(subtitle=dict(text="")))
    if _legend_beside_plot(fig):
        fig.update_layout(legend=dict(orientation="h", xref="container", yref="container", x=0.02, xanchor="left",
                                      y=0, yanchor="bottom"))
        legend_rows = _legend_rows(fig, max(16, int(LEGEND_CHARS * share)))
    else:
        legend_rows = 0
    height = layout.height or DEFAULT_HEIGHT
    new_top = 20 + lines * TITLE_LINE_PX + 12 + (28 if _top_annotations(fig) else 0)
    grow = max(0, new_top - old_top) + legend_rows * 26
    if grow:
        fig.update_layout(height=height + grow)  # the plot keeps its size; the new text gets the room
    return fig


def wrap_title(text: str, width: int) -> str:
    """A plotly title (``<br>`` between lines) wrapped at spaces to lines of at most ``width`` characters."""
    import re

    lines = []
    for line in re.split(r"<br\s*/?>", text or ""):
        lines.extend(textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""])
    return "<br>".join(lines).strip()


def _top_annotations(fig) -> bool:
    """Whether text sits just above the plot area (make_subplots' subplot titles)."""
    for note in fig.layout.annotations or ():
        if (note.yref or "").startswith(("paper", "y")) and note.yanchor == "bottom" and (note.y or 0) >= 0.98:
            return True
    return False


NO_LEGEND_BY_DEFAULT = {"heatmap", "contour", "histogram2d", "histogram2dcontour", "image", "surface", "mesh3d",
                        "cone", "streamtube", "volume", "isosurface"}


def _legend_entries(fig) -> list:
    """The traces that appear in the legend."""
    return [t for t in fig.data if t.name and (t.showlegend is True or (
        t.showlegend is None and t.type not in NO_LEGEND_BY_DEFAULT))]


def _legend_beside_plot(fig) -> bool:
    """Whether the figure shows plotly's default legend, a column to the right of the plot."""
    legend = fig.layout.legend
    if fig.layout.showlegend is False or legend.orientation == "h" or legend.x is not None:
        return False
    entries = _legend_entries(fig)
    return len(entries) > (0 if fig.layout.showlegend else 1)


def _legend_rows(fig, chars: int) -> int:
    """About how many rows a horizontal legend of this figure takes at ``chars`` characters per row."""
    rows, used = 1, 0
    seen = set()
    for trace in _legend_entries(fig):
        group = trace.legendgroup or trace.name
        entry = len(str(trace.name)) + 6  # the symbol and the gap
        if (group, trace.name) in seen:
            continue
        seen.add((group, trace.name))
        if used and used + entry > chars:
            rows, used = rows + 1, 0
        used += entry
    return rows + (1 if fig.layout.legend.title.text else 0)


def go_copy(fig):
    """A copy of a plotly Figure (so a view tweak never changes a cached or shared figure)."""
    import plotly.graph_objects as go

    return go.Figure(fig)
