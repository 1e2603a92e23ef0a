"""Presentation mode on a projector: at 1280x720 and 1920x1080, with the large type on, no label, metric value,
button, checkbox / radio label, tab or chart title of any page is cut or overlaps.

One `streamlit run` server and one browser session: it opens the app in presentation mode (`present=1`) with a
tiny experiment in the link, trains it twice on the Train page (so the result section, the inspection pages and
the Runs overlay have something to show), then visits every page of the router (app/streamlit_app.py's PAGES,
read from the file so a new page is checked too) at each size. In the page's DOM:

- text boxes (widget labels, checkbox / radio / toggle labels, metric labels and values, buttons, tabs, selected
  values, multiselect chips, sidebar links, expander titles): an element inside whose ``scrollWidth`` exceeds
  its ``clientWidth`` by more than 1 px is cut (ellipsis) or spills out; the box itself must stay inside its
  column;
- plotly charts: the title and subtitle stay inside the chart, and do not overlap the legend, the subplot
  titles (annotations), the colour bar title or each other; a legend beside the plot leaves it at least 60 %
  of the chart's width;
- plotly charts' text: no shown SVG text (tick labels such as the input strip's row names, axis and colour bar
  titles, subplot titles, legend; not sub- or superscripts) is smaller than CHART_TEXT_MIN_PX
  (SMALLEST_CHART_TEXT_JS), but for what plotly itself draws smaller (CHART_TEXT_MIN_PX_ON).

Each failure lists the page, the size and the offending texts. Screenshots of every page and size go to
.e2e-artifacts/presentation/ (gitignored).

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python -m pytest -q -p no:cacheprovider tests/e2e/test_presentation.py
"""

from __future__ import annotations

import re
import urllib.parse

import pytest

pytestmark = pytest.mark.e2e

try:  # tests/ as a package or as a plain directory on sys.path
    from tests.e2e.streamlit_server import ROOT, CHROMIUM, BROWSER_ARGS, served_app
except ImportError:
    from streamlit_server import ROOT, CHROMIUM, BROWSER_ARGS, served_app
try:
    from tests.e2e.page_checks import (MEASURE_JS, TEXT_BOXES, full_page_shot, no_exceptions, open_page,
                                       require_chromium, settle, smallest_chart_text)
except ImportError:
    from page_checks import (MEASURE_JS, TEXT_BOXES, full_page_shot, no_exceptions, open_page, require_chromium,
                             settle, smallest_chart_text)

ARTIFACTS = ROOT / ".e2e-artifacts" / "presentation"
SERVER_START_S = 90
TRAIN_S = 180
SIZES = ((1280, 720), (1920, 1080))
#: The least font size (px) of any text a chart draws in presentation mode: app/ui/figures.py's
#: PRESENTATION_FIGURE_FONT, which presentation_layout raises every smaller size to.
CHART_TEXT_MIN_PX = 17
#: Pages whose charts plotly itself draws some text smaller on: the log axes of Gradients label the 2s and 5s
#: between decades at 3/4 of the tick font (12.75 px at 17).
CHART_TEXT_MIN_PX_ON = {"Gradients": 0.75 * CHART_TEXT_MIN_PX}

#: A tiny experiment (two epochs on 200 sine sequences) whose stack shows both layer editors of the Build page:
#: a bidirectional layer (two cells) under an LSTM.
TINY_SPEC = {
    "schema_version": "1", "dataset": "sine", "head": "auto", "optimizer": "adam", "learning_rate": "0.01",
    "batch_size": "32", "epochs": "2", "seed": "0", "validation_split": "0.2",
    "dataset_options.n_samples": "200", "dataset_options.n_test": "50",
    "layers": "2", "l0.kind": "bidirectional_rnn", "l0.n_units": "8", "l0.return_seq": "true",
    "l0.fw.kind": "gru", "l0.fw.n_units": "8", "l0.bw.kind": "gru", "l0.bw.n_units": "8",
    "l1.kind": "lstm", "l1.n_units": "8",
}


def router_pages() -> list[tuple[str, str]]:
    """(title, url_path) of every st.Page in app/streamlit_app.py, in the order of its navigation."""
    source = (ROOT / "app" / "streamlit_app.py").read_text()
    pages = []
    for call in re.findall(r"st\.Page\(([^)]*)\)", source):
        title = re.search(r"title=\"([^\"]+)\"", call)
        path = re.search(r"url_path=\"([^\"]+)\"", call)
        if title:
            pages.append((title.group(1), path.group(1) if path else ""))
    return pages


PAGES = router_pages()
CASES = [(size, title) for size in SIZES for title, _ in PAGES]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    require_chromium()
    with served_app(tmp_path_factory.mktemp("runs"), ARTIFACTS, SERVER_START_S) as url:
        yield url


def train_once(page, number: int) -> None:
    page.locator(".st-key-train_start button").click()
    page.get_by_text(f"Result: run #{number}").first.wait_for(timeout=TRAIN_S * 1000)
    settle(page)
    no_exceptions(page)


@pytest.fixture(scope="module")
def page(app_url):
    """One browser session in presentation mode with two tiny runs trained (the second is the one inspected)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        context = browser.new_context(viewport={"width": SIZES[0][0], "height": SIZES[0][1]})
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{app_url}/train?present=1&{urllib.parse.urlencode(TINY_SPEC)}")
        page.get_by_role("heading", name="Train").first.wait_for()
        settle(page)
        train_once(page, 1)
        train_once(page, 2)
        yield page
        context.close()
        browser.close()


def shot(page, name: str) -> None:
    """Screenshot of the whole page to .e2e-artifacts/presentation/<name>.png."""
    full_page_shot(page, ARTIFACTS / f"{name}.png")


def test_router_pages_found():
    titles = [title for title, _ in PAGES]
    assert {"Lessons", "Build", "Train", "Runs", "States", "Gates", "Padding lab", "Gradients"} <= set(titles), titles


@pytest.mark.parametrize(("size", "title"), CASES, ids=[f"{w}x{h}-{t.replace(' ', '_')}" for (w, h), t in CASES])
def test_nothing_cut_in_presentation_mode(page, size, title):
    width, height = size
    if page.viewport_size != {"width": width, "height": height}:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(800)
    open_page(page, title)
    no_exceptions(page)
    assert "present=1" in page.url, page.url  # presentation mode stays on across pages
    assert page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)") > 16
    problems = page.evaluate(MEASURE_JS, [list(box) for box in TEXT_BOXES])
    smallest = smallest_chart_text(page)
    least = CHART_TEXT_MIN_PX_ON.get(title, CHART_TEXT_MIN_PX)
    if smallest and smallest["size"] < least - 0.01:
        problems.append(f"{smallest['chart']!r}: text \"{smallest['text']}\" is {smallest['size']:g}px, "
                        f"smaller than {least:g}px")
    print(f"{title} at {width}x{height}: smallest chart text {smallest}")
    shot(page, f"{width}x{height}-{title.lower().replace(' ', '-')}")
    assert not problems, (f"{title} at {width}x{height} in presentation mode, {len(problems)} cut, overlapping or "
                          "too small:\n  " + "\n  ".join(problems))
