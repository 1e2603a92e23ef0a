"""Figure display: a plotly Figure from rnnlab.plots in the page, sized for presentation mode, PNG export kept."""

from __future__ import annotations

import textwrap

import streamlit as st

from app import state

PRESENTATION_FIGURE_FONT = 17  # plotly sizes its text in px: larger in presentation mode
PRESENTATION_TITLE_FONT = 22
#: Axis, colour bar and subplot titles: plotly's own default for axis titles (1.2 x the figure font), so a title
#: stays larger than the tick labels under it.
PRESENTATION_AXIS_TITLE_FONT = 20
#: Characters of a PRESENTATION_TITLE_FONT title that fit on one line of a chart as wide as the page's main
#: column at 1280x720 in presentation mode (about 750 px); a chart in half of it (share=0.5) fits half.
TITLE_CHARS = 54
LEGEND_CHARS = 64  # the same for legend entries at PRESENTATION_FIGURE_FONT
TITLE_LINE_PX = 30
#: Row pitch, in tick fonts, that a heatmap's labelled rows get in presentation mode (plotly shows every label
#: from 1.2; a little more so an estimate of the plot's height that is a few % off still leaves them all).
ROW_FONTS = 1.35
#: Up to this many named rows grow to fit each name (Japanese Vowels' 12 LPC coefficients); more and the figure
#: would grow by hundreds of px, so plotly labels every other row (or fewer) instead.
MAX_GROWN_ROWS = 16
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
    base_font = layout.font.size or 12
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
    raise_small_fonts(fig, base_font)
    grow_crowded_rows(fig, top=new_top if title else (layout.margin.t if layout.margin.t is not None else 80))
    return fig


#: Keys of plotly attributes that are fonts (a dict with a ``size``), in the layout and in traces.
FONT_KEYS = {"font", "tickfont", "titlefont", "textfont", "insidetextfont", "outsidetextfont"}


def raise_small_fonts(fig, base: float = 12) -> None:
    """Raise, in place, every text size ``fig`` sets explicitly below the presentation sizes: tick labels,
    annotations, legends and any other text to PRESENTATION_FIGURE_FONT; axis and colour bar titles, and
    annotations set larger than the figure's own font (make_subplots' subplot titles), to
    PRESENTATION_AXIS_TITLE_FONT, so titles stay larger than ticks. Larger sizes are kept.

    The layout font alone does not reach text whose size a plot function set (the input strips' row labels
    at 11 px, subplot titles at 16 px): plotly uses the explicit size. ``base``: the figure's font size before
    presentation mode (plotly's default 12), against which an annotation counts as emphasised."""
    layout = fig.layout.to_plotly_json()
    layout.pop("template", None)
    for path, size in _font_sizes(layout):
        fig.layout[path] = _raised(size, _floor(path, size, base))
    for trace in fig.data:
        for path, size in _font_sizes(trace.to_plotly_json()):
            trace[path] = _raised(size, _floor(path, size, base))


def grow_crowded_rows(fig, *, top: float) -> None:
    """Grow, in place, each subplot whose labelled rows (a heatmap's named rows on y, such as the 12 "lpc" rows
    of an input strip) are closer than ROW_FONTS x their tick font, and the figure with it: the other subplots
    keep their pixel heights, and what sits on the page (subplot titles, colour bars, shapes) moves with them.
    Without it plotly leaves out every other row label once the font no longer fits the rows (its own spacing
    is 1.2 x the font). ``top``: the top margin in px that the figure will get (the title's room)."""
    layout = fig.layout
    bottom = layout.margin.b if layout.margin.b is not None else 80
    plot_px = (layout.height or DEFAULT_HEIGHT) - top - bottom
    rows: dict[str, int] = {}
    for trace in fig.data:
        if trace.type == "heatmap" and trace.y is not None and len(trace.y) and isinstance(trace.y[0], str):
            axis = "yaxis" + (trace.yaxis or "y")[1:]
            rows[axis] = max(rows.get(axis, 0), len(trace.y))
    grow: dict[tuple[float, float], float] = {}  # domain -> px to add (columns of one row share it)
    for axis, count in rows.items():
        ax = layout[axis]
        if ax.overlaying or count > MAX_GROWN_ROWS:
            continue
        low, high = ax.domain or (0.0, 1.0)
        need = count * ROW_FONTS * (ax.tickfont.size or layout.font.size or 12)
        if need > (high - low) * plot_px:
            key = (float(low), float(high))
            grow[key] = max(grow.get(key, 0.0), need - (high - low) * plot_px)
    added = sum(grow.values())
    if plot_px <= 0 or added < 1:
        return
    new_px = plot_px + added

    def moved(y):  # paper y -> paper y of the grown figure (growth of each row below or ending at y lifts it)
        return (y * plot_px + sum(px for (_, high), px in grow.items() if high <= y + 1e-9)) / new_px

    for axis in [name for name in layout if name.startswith("yaxis") and layout[name] is not None]:
        ax = layout[axis]
        if ax.domain is not None and not ax.overlaying:
            low, high = ax.domain
            ax.domain = (moved(low), min(1.0, moved(high)))
    for item in (*(layout.annotations or ()), *(layout.shapes or ())):
        if item.yref == "paper":
            for end in ("y", "y0", "y1"):
                if end in item and isinstance(item[end], (int, float)):
                    item[end] = moved(item[end])
    bars = [layout[name].colorbar for name in layout if name.startswith("coloraxis") and layout[name] is not None]
    for trace in fig.data:
        for owner in (trace, getattr(trace, "marker", None)):
            if owner is not None and "colorbar" in owner and owner.colorbar.to_plotly_json():
                bars.append(owner.colorbar)
    for bar in bars:
        if bar.y is not None and bar.yref in (None, "paper"):
            bar.y = moved(bar.y)
            if bar.lenmode != "pixels":
                bar.len = (bar.len if bar.len is not None else 1.0) * plot_px / new_px
    fig.update_layout(height=round((layout.height or DEFAULT_HEIGHT) + added))


def _font_sizes(node, path=(), key=None):
    """(path to a font's size, the size) for each font in a plotly JSON dict that sets a size."""
    if isinstance(node, dict):
        if key in FONT_KEYS and "size" in node:
            yield path + ("size",), node["size"]
        for name, value in node.items():
            if isinstance(value, (dict, list, tuple)):
                yield from _font_sizes(value, path + (name,), name)
    elif isinstance(node, (list, tuple)) and node and isinstance(node[0], dict):
        for i, value in enumerate(node):
            yield from _font_sizes(value, path + (i,), key)


def _floor(path, size, base) -> int:
    """The least size of the font at ``path``: titles (axis, colour bar; an annotation set larger than the
    figure's font, such as a subplot title) get the title size, everything else the figure size."""
    names = [p for p in path if isinstance(p, str)]
    if names[-2] == "tickfont" or names[0] in ("legend", "hoverlabel"):
        return PRESENTATION_FIGURE_FONT
    if names[-2] == "titlefont" or (len(names) > 2 and names[-3] == "title"):
        return PRESENTATION_AXIS_TITLE_FONT
    if names[0] == "annotations" and isinstance(size, (int, float)) and size > base:
        return PRESENTATION_AXIS_TITLE_FONT
    return PRESENTATION_FIGURE_FONT


def _raised(size, floor):
    """A plotly font size (a number, or one per point) raised to at least ``floor``."""
    if isinstance(size, (list, tuple)):
        return [_raised(s, floor) for s in size]
    if hasattr(size, "tolist"):  # a numpy array
        return _raised(size.tolist(), floor)
    return max(size, floor) if isinstance(size, (int, float)) else size


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
