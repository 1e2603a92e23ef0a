"""Page helpers shared by the browser tests that drive the app in presentation mode (test_presentation.py,
test_lesson_views.py): wait for a script run to finish and its charts to be drawn, fail on an exception, and
measure that no text box or chart title is cut or overlaps (MEASURE_JS over TEXT_BOXES), and the smallest text the
charts draw (SMALLEST_CHART_TEXT_JS).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

try:  # tests/ as a package or as a plain directory on sys.path
    from tests.e2e.streamlit_server import CHROMIUM
except ImportError:
    from streamlit_server import CHROMIUM

#: Boxes whose text must show whole: (what it is, CSS selector).
TEXT_BOXES = (
    ("label", '[data-testid="stWidgetLabel"]'),
    ("metric label", '[data-testid="stMetricLabel"]'),
    ("metric value", '[data-testid="stMetricValue"]'),
    ("metric delta", '[data-testid="stMetricDelta"]'),
    ("button", '[data-testid^="stBaseButton"]'),
    ("radio option", '[data-testid="stRadioOption"], [data-testid="stRadio"] label'),
    ("tab", '[data-testid="stTab"], [data-baseweb="tab"]'),
    ("selected value", '[data-testid="stSelectbox"] input'),
    ("multiselect chip", '[data-testid="stMultiSelect"] [data-tag], [data-testid="stMultiSelect"] [data-baseweb="tag"]'),
    ("sidebar link", '[data-testid="stSidebarNavLink"]'),
    ("expander title", '[data-testid="stExpander"] summary'),
)

MEASURE_JS = r"""
(boxes) => {
  const problems = [];
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none';
  };
  const textOf = (el) => (el.innerText || el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 90);
  const cut = (root) => [root, ...root.querySelectorAll('*')].find((el) =>
    !(el instanceof SVGElement) && el.clientWidth > 0 && (el.tagName === 'INPUT' ? el.value : (el.innerText || '').trim())
    && el.scrollWidth > el.clientWidth + 1);
  const seen = new Set();
  for (const [kind, selector] of boxes) {
    for (const el of document.querySelectorAll(selector)) {
      if (seen.has(el) || !shown(el)) continue;
      seen.add(el);
      const text = (el.tagName === 'INPUT' ? el.value : textOf(el)) || el.getAttribute('aria-label') || '';
      const inner = cut(el);
      if (inner) {
        problems.push(`${kind} "${text}": cut (${inner.clientWidth}px shows ${inner.scrollWidth}px of text)`);
        continue;
      }
      const column = el.parentElement && el.parentElement.closest('[data-testid="stColumn"], [data-testid="stVerticalBlock"]');
      if (column) {
        const r = el.getBoundingClientRect(), c = column.getBoundingClientRect();
        if (r.left < c.left - 1 || r.right > c.right + 1) {
          problems.push(`${kind} "${text}": ${Math.round(r.width)}px wide spills out of its ${Math.round(c.width)}px column`);
        }
      }
    }
  }
  const meets = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 2;
  const rectOf = (el) => el.getBoundingClientRect();
  document.querySelectorAll('.js-plotly-plot').forEach((plot, index) => {
    const svg = plot.querySelector('svg.main-svg');
    if (!svg || !shown(plot)) return;
    const chart = rectOf(svg);
    const title = plot.querySelector('.gtitle');
    const name = title ? `chart "${textOf(title)}"` : `chart ${index + 1}`;
    const heads = [...plot.querySelectorAll('.gtitle, .gtitle-subtitle')].filter((el) => textOf(el));
    for (const head of heads) {
      const r = rectOf(head);
      if (r.left < chart.left - 1 || r.right > chart.right + 1 || r.top < chart.top - 1) {
        problems.push(`${name}: ${head.classList.contains('gtitle') ? 'title' : 'subtitle'} "${textOf(head)}" is `
          + `${Math.round(r.width)}px wide, cut by the ${Math.round(chart.width)}px chart`);
      }
    }
    const others = [
      ...[...plot.querySelectorAll('.annotation')].map((el) => ['subplot title / annotation', el]),
      ...[...plot.querySelectorAll('.legend')].map((el) => ['legend', el]),
      ...[...plot.querySelectorAll('.cbtitle')].map((el) => ['colour bar title', el]),
      ...heads.map((el) => ['title', el]),
    ].filter(([, el]) => shown(el) && textOf(el));
    for (let i = 0; i < heads.length; i++) {
      for (const [what, other] of others) {
        if (other === heads[i] || (heads.indexOf(other) >= 0 && heads.indexOf(other) < i)) continue;
        if (meets(rectOf(heads[i]), rectOf(other))) {
          problems.push(`${name}: "${textOf(heads[i])}" overlaps the ${what} "${textOf(other)}"`);
        }
      }
    }
    // a legend beside the plot (left or right of it, at its height) must leave it half the chart's width
    const legend = plot.querySelector('.legend');
    const areas = [...plot.querySelectorAll('.nsewdrag')].map(rectOf).filter((r) => r.width > 0);
    if (legend && shown(legend) && areas.length) {
      const l = rectOf(legend);
      const left = Math.min(...areas.map((r) => r.left)), right = Math.max(...areas.map((r) => r.right));
      const top = Math.min(...areas.map((r) => r.top)), bottom = Math.max(...areas.map((r) => r.bottom));
      const beside = (l.left >= right - 2 || l.right <= left + 2) && l.top < bottom && l.bottom > top;
      if (beside && right - left < 0.6 * chart.width) {
        problems.push(`${name}: the ${Math.round(l.width)}px legend beside the plot leaves it `
          + `${Math.round(right - left)}px of the ${Math.round(chart.width)}px chart`);
      }
    }
  });
  return problems;
}
"""


#: The smallest text a page's plotly charts draw: {size (px, computed font-size), text, chart (its title)} of the
#: smallest shown SVG text inside a ``.js-plotly-plot`` (tick labels, axis / colour bar / subplot titles,
#: annotations, legend), or null without charts. Presentation mode wants it at projector size. Rich-text
#: sub- and superscripts (plotly's ``<sub>``/``<sup>``: a tspan at a % of its line, c<sub>t-1</sub>, 10<sup>-3</sup>)
#: are left out: their line is measured.
SMALLEST_CHART_TEXT_JS = r"""
() => {
  let smallest = null;
  document.querySelectorAll('.js-plotly-plot').forEach((plot, index) => {
    const title = plot.querySelector('.gtitle');
    const chart = title ? (title.textContent || '').trim() : `chart ${index + 1}`;
    plot.querySelectorAll('svg text, svg tspan').forEach((el) => {
      if (el.closest('tspan[style*="font-size"][style*="%"]')) return;  // a sub- or superscript
      const text = (el.textContent || '').trim();
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      if (!text || r.width < 1 || r.height < 1 || s.visibility === 'hidden' || s.display === 'none') return;
      const size = parseFloat(s.fontSize);
      if (smallest === null || size < smallest.size) smallest = {size, text: text.slice(0, 60), chart};
    });
  });
  return smallest;
}
"""


def require_chromium() -> None:
    """Fail (CI) or skip (elsewhere) with a clear message when the browser is missing."""
    if os.path.exists(CHROMIUM):
        return
    message = (f"{CHROMIUM} not found: the browser test drives Debian's chromium. Install it with `make browser` "
               "(apt-get install chromium); never `playwright install`.")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def settle(page) -> None:
    """Wait until the script run has finished (the app says notRunning) and no spinner is left."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'"
        " && !document.querySelector('[data-testid=\"stSpinner\"]')",
        timeout=120_000,
    )


def no_exceptions(page) -> None:
    errors = page.locator("[data-testid='stException']")
    assert errors.count() == 0, errors.first.inner_text()


def heading(page) -> str:
    return page.evaluate("() => (document.querySelector('[data-testid=\"stMain\"] h1') || {}).innerText || ''")


def open_page(page, title: str) -> None:
    """Click the page's sidebar link (the session and its runs stay) and wait until it is drawn."""
    before = heading(page)
    link = page.locator("[data-testid='stSidebarNav'] a", has_text=title).first
    already = link.get_attribute("aria-current") == "page"
    link.click()
    if not already:
        page.wait_for_function("(before) => { const h = document.querySelector('[data-testid=\"stMain\"] h1');"
                               " return h && h.innerText && h.innerText !== before; }", arg=before)
    wait_drawn(page)


def wait_drawn(page) -> None:
    """Wait until the script run has finished and the page's charts are drawn (none still a skeleton, their
    count no longer growing, their text laid out)."""
    settle(page)
    # charts: wait until none is still a skeleton and the count has stopped growing
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stMain\"] [data-testid=\"stSkeleton\"]')",
                           timeout=90_000)
    previous = -1
    for _ in range(20):
        count = page.locator(".js-plotly-plot").count()
        if count == previous:
            break
        previous = count
        page.wait_for_timeout(700)
    page.wait_for_timeout(600)  # plotly lays out its text after the first draw


def smallest_chart_text(page) -> dict | None:
    """The smallest text the page's plotly charts show now (SMALLEST_CHART_TEXT_JS): {size, text, chart} or None."""
    return page.evaluate(SMALLEST_CHART_TEXT_JS)


def overflow_problems(page) -> list[str]:
    """What is cut or overlapping in the page as drawn now (MEASURE_JS over TEXT_BOXES); [] when nothing."""
    return page.evaluate(MEASURE_JS, [list(box) for box in TEXT_BOXES])


def full_page_shot(page, path: Path, max_height: int = 12000) -> None:
    """Screenshot of the whole page to ``path``: the app scrolls inside its main block, so grow the viewport to
    it, then give the viewport its size back."""
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], [data-testid=\"stMainBlockContainer\"]')]"
        ".map(e => e.scrollHeight), 0)")
    page.set_viewport_size({"width": size["width"], "height": int(min(max(height + 80, size["height"]), max_height))})
    page.wait_for_timeout(600)  # plotly charts resize
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
