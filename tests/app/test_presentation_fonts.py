"""Presentation mode reaches every text of a chart (app/ui/figures.py presentation_layout): no tick label, axis or
colour bar title, subplot title or annotation keeps a small size that a plot function set explicitly (the input
strips' row labels at 11 px, make_subplots' subplot titles at 16 px), and heatmap rows with names keep room for
each name at that size."""

import pytest
from apptools import assert_clean, chart, charts, go, new_app, tiny_spec, train

from app.ui import figures

FLOOR = figures.PRESENTATION_FIGURE_FONT  # 17 px: the least text size a projected chart may show
TITLE_FLOOR = figures.PRESENTATION_AXIS_TITLE_FONT  # 20 px: axis, colour bar and subplot titles


def font_sizes(node, path=""):
    """(path, size) of every font in a figure's JSON that sets a size (the template left out: it sets none)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "template":
                continue
            where = f"{path}.{key}" if path else key
            if key.endswith("font") and isinstance(value, dict) and "size" in value:
                sizes = value["size"] if isinstance(value["size"], list) else [value["size"]]
                yield from ((f"{where}.size", size) for size in sizes)
            yield from font_sizes(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, (dict, list)):
                yield from font_sizes(value, f"{path}[{i}]")


def small_fonts(fig: dict) -> list[str]:
    """The fonts of a drawn figure below the presentation minimum: axis, colour bar and chart titles below
    TITLE_FLOOR, any other text (tick labels, annotations, legend) below FLOOR."""
    small = []
    for where, size in font_sizes(fig):
        floor = TITLE_FLOOR if ".title." in where and "legend" not in where else FLOOR
        if size < floor:
            small.append(f"{where}={size} (< {floor})")
    return small


@pytest.fixture(scope="module")
def presenting():
    """A trained tiny LSTM run, the app in presentation mode."""
    at = new_app(tiny_spec())
    train(at)
    at.toggle(key="side_presentation").set_value(True).run()
    assert at.query_params["present"] == "1"
    return at


def test_every_text_on_the_gates_page_is_presentation_size(presenting):
    at = go(presenting, "gates")
    assert_clean(at)
    gates = chart(at, "gate_heatmaps")
    assert gates["layout"]["font"]["size"] == FLOOR
    # the charts this test is about: input strip row labels and subplot titles, set small by rnnlab.plots
    strip_axes = {t.get("yaxis", "y").replace("y", "yaxis") for t in gates["data"] if t.get("meta", {}).get("strip")}
    assert strip_axes, "the gate heatmaps have no input strip"
    for axis in strip_axes:
        assert gates["layout"][axis]["tickfont"]["size"] >= FLOOR
        assert gates["layout"][axis]["title"]["font"]["size"] >= TITLE_FLOOR  # titles stay larger than ticks
    titles = [a for a in gates["layout"]["annotations"] if a.get("text", "").endswith("gate")]
    assert len(titles) >= 3 and all(a["font"]["size"] >= TITLE_FLOOR for a in titles), titles
    for fig in charts(at):
        assert not small_fonts(fig), (fig["layout"].get("meta", {}).get("chart"), small_fonts(fig))


def test_every_text_on_the_states_page_is_presentation_size(presenting):
    at = go(presenting, "states")
    assert_clean(at)
    drawn = charts(at)
    assert {"state_heatmap", "state_trajectories"} <= {f["layout"].get("meta", {}).get("chart") for f in drawn}
    heatmap = chart(at, "state_heatmap")
    assert any(t.get("meta", {}).get("strip") for t in heatmap["data"]), "the state heatmap has no input strip"
    for fig in drawn:
        assert not small_fonts(fig), (fig["layout"].get("meta", {}).get("chart"), small_fonts(fig))


def test_rnnlab_plots_keep_their_own_sizes_for_notebooks():
    """Only the app's presentation copy changes: the figure a notebook gets keeps its 11 px strip labels."""
    import numpy as np
    from rnnlab import plots

    fig = plots.state_heatmap(np.zeros((6, 3)), np.ones(6, bool), state_name="h", inputs=np.zeros((6, 2)))
    shown = figures.presentation_layout(fig)
    assert fig.layout.yaxis2.tickfont.size == 11 and fig.layout.font.size is None
    assert shown.layout.yaxis2.tickfont.size == FLOOR and shown.layout.yaxis2.title.font.size == TITLE_FLOOR


def row_px(fig, axis: str, top: float) -> float:
    """The px of height a y axis of a figure gets: its domain's share of the plot area under a ``top`` margin."""
    low, high = fig.layout[axis].domain
    return (high - low) * (fig.layout.height - top - fig.layout.margin.b)


def test_a_strip_of_twelve_named_rows_grows_so_every_name_fits():
    """Twelve "lpc" rows in a strip (Japanese Vowels) get at least 1.2 x the tick font each, the pitch at which
    plotly shows every label instead of every other one; the gate heatmaps under them keep their height in px and
    their subplot titles stay on top of them."""
    import numpy as np
    from rnnlab import plots

    rng = np.random.default_rng(0)
    gates = {g: rng.random((20, 8)) for g in ("input", "forget", "output")}
    names = [f"lpc {i}" for i in range(1, 13)]
    fig = plots.gate_heatmaps(gates, np.ones(20, bool), inputs=rng.normal(size=(20, 12)), feature_names=names)
    strip = next("yaxis" + t.yaxis[1:] for t in fig.data if t.meta and t.meta.get("strip") == "input")
    shown = figures.presentation_layout(fig)
    top = 20 + figures.TITLE_LINE_PX + 12 + 28  # the top margin of a one-line title over subplot titles
    assert row_px(fig, strip, fig.layout.margin.t) / 12 < 1.2 * FLOOR  # plotly would drop every other name
    assert row_px(shown, strip, top) / 12 >= 1.2 * shown.layout[strip].tickfont.size
    assert shown.layout.height > fig.layout.height
    for axis in ("yaxis", "yaxis2", "yaxis3"):  # the gates, bottom to top
        assert row_px(shown, axis, top) == pytest.approx(row_px(fig, axis, fig.layout.margin.t), abs=3)
    title = next(note for note in shown.layout.annotations if note.text == "input gate")
    assert title.y == pytest.approx(shown.layout.yaxis3.domain[1])
