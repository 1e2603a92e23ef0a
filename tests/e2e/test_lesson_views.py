"""Every lesson as a new user meets it, in a real browser, in presentation mode at 1280x720.

The "Done when" of the lessons issue: a new user who clicks "Load and train" on any lesson lands, with one more
click, on a view where the lesson's claim is visible and quantified for their own run.

One `streamlit run` server and one chromium; each lesson of rnnlab.experiments.lessons.LESSONS gets a fresh
browser context (a new session: no run, no lesson, no view choice leaks from the lesson before). For each:

1. open the Lessons page (`?present=1`) and click the lesson's "Load and train";
2. on the Train page, wait until the training has finished and the lesson section ("Lesson: <title>") shows
   its evidence. A lesson with a companion (``also``: the adding lesson's SimpleRNN) first shows that the
   companion is missing; the test then does what a student does: back to the Lessons page, click the
   companion's button on the card, and train it (Start training on the Train page when the button only loads);
3. the evidence is a success box (the presets are tuned so every claim holds: bench/bench_lessons.py) whose
   sentence is this lesson's, with its numbers;
4. click "Look here: the <page> page" and check that the page shown is the lesson's page (app/streamlit_app.py's
   router: url path, heading, the highlighted sidebar link) and that its view is about the evidence: the
   layer and sample the evidence's focus names are the selected ones (States, Gates; the focus sample is
   re-derived from the test data where it depends on the data alone), and on the Gradients page the
   lesson's two trained runs are compared side by side. A view that repeats the lesson's evidence ("Lesson:
   <title>" and its box) must show the Train page's success box, same sentence; a view without it is a note;
5. save a full-page screenshot `.e2e-artifacts/lessons/<lesson key>.png` and apply test_presentation.py's
   no-overflow checks to the view (page_checks.MEASURE_JS), and one more: no two annotations of a chart
   overlap (ANNOTATION_OVERLAP_JS).

Each lesson also writes `.e2e-artifacts/lessons/<lesson key>.json` (the evidence sentences, the run labels,
the URL of the view, seconds per step, and notes). Notes are things in a view that are weaker than the lesson's
text promises but not required here (e.g. a widget the lesson mentions that is not preselected); they are
issued as LessonViewNote warnings, so they show in pytest's warnings summary without failing the test. A step
that fails saves `<lesson key>-failed.png` of the page as it was.

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python -m pytest -q -p no:cacheprovider tests/e2e/test_lesson_views.py
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import urllib.parse
import warnings
from functools import cache

import pytest

from rnnlab.experiments.lessons import LESSONS

pytestmark = pytest.mark.e2e

try:  # tests/ as a package or as a plain directory on sys.path
    from tests.e2e.page_checks import (full_page_shot, no_exceptions, open_page, overflow_problems, require_chromium,
                                       settle, wait_drawn)
    from tests.e2e.streamlit_server import BROWSER_ARGS, CHROMIUM, ROOT, served_app
except ImportError:
    from page_checks import (full_page_shot, no_exceptions, open_page, overflow_problems, require_chromium, settle,
                             wait_drawn)
    from streamlit_server import BROWSER_ARGS, CHROMIUM, ROOT, served_app

ARTIFACTS = ROOT / ".e2e-artifacts" / "lessons"
SERVER_START_S = 90
TRAIN_S = 180  # one preset's training (5-25 s on 2 cores) plus its claim, with room for a slow machine
WIDTH, HEIGHT = 1280, 720

#: A phrase of each lesson's evidence sentence (rnnlab/experiments/claims.py), with a number in it: the success
#: box is this lesson's evidence, quantified. A lesson not listed here only needs a number in its sentence.
EVIDENCE = {
    "adding": r"Always answering the mean scores an MSE of [\d.]+; the LSTM reaches a test MSE of [\d.e-]+ .*"
              r"the SimpleRNN reaches a test MSE of [\d.e-]+",
    "forget_gate": r"The units whose c follows bits 1-\d+ best are [\d, ]+ .*forget gate has a median of [\d., ]+",
    "parity": r"the 2-D PCA of h splits into two clusters by parity: .*[\d.]+%",
    "sine": r"\d+ of \d+ test sequences trace a ring in the 2-D PCA of h",
    "padding": r"With dynamic on, the output for each of \d+ test walks .*score [\d.]+% instead of [\d.]+%",
    "vowels": r"The model names the speaker of [\d.]+% of the \d+ test utterances",
}


class LessonViewNote(UserWarning):
    """A lesson's view is weaker than its text promises (reported, not failed)."""


# ------------------------------------------------------------------------------------------- the app's pages


@cache
def router() -> dict[str, tuple[str, str]]:
    """page file ('states.py') -> (navigation title, url path), read from app/streamlit_app.py's st.Page calls."""
    source = (ROOT / "app" / "streamlit_app.py").read_text()
    pages = {}
    for call in re.findall(r"st\.Page\(([^)]*)\)", source):
        file = re.search(r"\"app_pages/([^\"]+)\"", call)
        title = re.search(r"title=\"([^\"]+)\"", call)
        path = re.search(r"url_path=\"([^\"]+)\"", call)
        if file and title:
            pages[file.group(1)] = (title.group(1), path.group(1) if path else "")
    return pages


def page_heading(file: str) -> str:
    """The st.title a page file draws first (its h1)."""
    found = re.search(r"st\.title\(\"([^\"]+)\"\)", (ROOT / "app" / "app_pages" / file).read_text())
    assert found, f"app/app_pages/{file} has no st.title(\"...\")"
    return found.group(1)


@cache
def expected_samples() -> dict[str, int]:
    """lesson key -> the sample its evidence's Focus names, where that follows from the test data alone
    (rnnlab/experiments/claims.py): the flip-flop sequence with the most pulses among the probed ones; sample 0
    for parity, the vowels and the adding problem. (The sine lesson's sample is its best ring, which needs the
    trained model.)"""
    import numpy as np

    from rnnlab.experiments import PRESETS
    from rnnlab.experiments.claims import MAX_SAMPLES
    from rnnlab.experiments.data import load_data

    _, test = load_data(PRESETS["forget_gate"])
    bits = test.y.shape[-1]
    pulses = (np.asarray(test.x[:MAX_SAMPLES, :, :bits]) != 0).sum(axis=(1, 2))
    return {"forget_gate": int(np.argmax(pulses)), "parity": 0, "vowels": 0, "adding": 0}


# ----------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    require_chromium()
    with served_app(tmp_path_factory.mktemp("runs"), ARTIFACTS, SERVER_START_S) as url:
        yield url


@pytest.fixture(scope="module")
def browser(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context per lesson: a new streamlit session, nothing left from the lesson before."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


# ----------------------------------------------------------------------------------------- page helpers


def no_errors(page, where: str) -> None:
    """No traceback, and no error box (messages.guard turns a failing section into an st.error)."""
    no_exceptions(page)
    boxes = page.locator("[data-testid='stMain'] [data-testid='stAlertContentError']")
    assert boxes.count() == 0, f"{where}: an error box says: {boxes.first.inner_text()}"


def button(page, key: str, label: str):
    """The visible button of widget key ``key`` (a button with help also has a hidden twin), checked to say
    ``label``."""
    found = page.locator(f".st-key-{key} button:visible")
    assert found.count() == 1, f"no button with key {key!r} ({label!r}) on {page.url}"
    text = found.inner_text().replace("arrow_forward", "").replace("play_arrow", "").strip()
    assert text == label, f"the button with key {key!r} says {text!r}, expected {label!r}"
    return found


def wait_heading(page, text: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        "(text) => { const h = document.querySelector('[data-testid=\"stMain\"] h1');"
        " return h && h.innerText.trim().startsWith(text); }", arg=text, timeout=timeout)


def wait_trained(page, number: int) -> str:
    """Wait on the Train page until run #number is the result shown -> its label ('#1 sine: lstm(16)')."""
    page.get_by_text(f"Result: run #{number} ").first.wait_for(timeout=TRAIN_S * 1000)
    settle(page)
    no_errors(page, "Train page")
    head = page.locator("[data-testid='stMain'] h3", has_text=f"Result: run #{number} ").first.inner_text()
    return head.strip().removeprefix("Result: run ").strip()


EVIDENCE_BOX_JS = r"""
(title) => {
  // the lesson's heading: a subheader (Train page) or a bold line (a lesson's view) saying "Lesson: <title>"
  const heads = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]')]
    .filter((el) => (el.textContent || '').trim() === title && el.querySelector('h3, strong'));
  if (!heads.length) return null;
  let el = heads[0];
  while (el && (el = el.nextElementSibling)) {
    const alert = el.querySelector('[data-testid="stAlert"]');
    if (alert) {
      const content = alert.querySelector('[data-testid^="stAlertContent"]');
      const r = alert.getBoundingClientRect();
      return {kind: content ? content.dataset.testid.replace('stAlertContent', '') : '?',
              text: alert.innerText.trim().replace(/\s+/g, ' '), stale: el.dataset.stale === 'true',
              shown: r.width > 0 && r.height > 0};
    }
    if (el.querySelector('h1, h2, h3')) break;
  }
  return {kind: 'none', text: '', stale: false, shown: false};
}
"""


#: Beyond test_presentation.py's checks: two annotations of one chart (subplot titles, "returns t=..." labels) whose
#: texts overlap each other.
ANNOTATION_OVERLAP_JS = r"""
() => {
  const problems = [];
  const textOf = (el) => (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 90);
  document.querySelectorAll('.js-plotly-plot').forEach((plot, index) => {
    const title = plot.querySelector('.gtitle');
    const lines = title ? [...title.querySelectorAll('tspan.line')].map(textOf).filter(Boolean) : [];
    const name = title ? `chart "${lines.length ? lines.join(' ') : textOf(title)}"` : `chart ${index + 1}`;
    const texts = [...plot.querySelectorAll('.annotation-text')].filter((el) => {
      const r = el.getBoundingClientRect();
      return textOf(el) && r.width > 0 && r.height > 0;
    });
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i].getBoundingClientRect(), b = texts[j].getBoundingClientRect();
        const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (x > 2 && y > 2) {
          problems.push(`${name}: the annotation "${textOf(texts[i])}" overlaps the annotation "${textOf(texts[j])}" `
            + `(${Math.round(x)}x${Math.round(y)}px)`);
        }
      }
    }
  });
  return problems;
}
"""


def evidence_box(page, lesson) -> dict:
    """The box right under the Train page's "Lesson: <title>" heading: {kind: Success / Info / Warning / Error,
    text}. Fails when the section is missing."""
    title = f"Lesson: {lesson.title}"
    try:
        page.wait_for_function(f"(title) => {{ const b = ({EVIDENCE_BOX_JS})(title); return b && b.kind !== 'none'"
                               " && !b.stale; }", arg=title, timeout=TRAIN_S * 1000)
    except Exception as error:  # say what is missing, not a timeout
        found = page.evaluate(EVIDENCE_BOX_JS, title)
        raise AssertionError(f"the Train page has no lesson section {title!r} with an evidence box under it "
                             f"(found: {found})") from error
    return page.evaluate(EVIDENCE_BOX_JS, title)


def combobox(page, label: str) -> str:
    """The value a selectbox labelled ``label`` shows."""
    box = page.get_by_role("combobox", name=label, exact=True)
    assert box.count() >= 1, f"no selectbox {label!r} on {page.url}"
    return box.first.input_value()


def radio_choice(page, label: str) -> str:
    group = page.get_by_role("radiogroup", name=label, exact=True)
    assert group.count() >= 1, f"no radio {label!r} on {page.url}"
    return group.first.locator("[data-testid='stRadioOption'][data-selected='true']").inner_text().strip()


def chart_titles(page) -> list[str]:
    """Titles of the plotly charts drawn, their lines joined by spaces."""
    return page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot .gtitle')].map((t) => {"
        " const lines = t.querySelectorAll('tspan.line');"
        " return (lines.length ? [...lines].map((l) => l.textContent).join(' ') : t.textContent)"
        ".replace(/\\s+/g, ' ').trim(); })")


def url_params(page) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query))


def note(record: dict, text: str) -> None:
    record["notes"].append(text)
    warnings.warn(LessonViewNote(f"lesson {record['lesson']}: {text}"), stacklevel=2)


# ----------------------------------------------------------------------- what each lesson page must show


def check_layer_and_sample(page, lesson, record, *, layer_label: str, layer_view: str, sample_view: str,
                           chart: str) -> tuple[str, int]:
    """The selected layer and sample: the ones in the view settings (the link), the preset's recurrent layer,
    the focus sample where it follows from the data, and the ones the main chart is drawn for."""
    from rnnlab.experiments import PRESETS

    params = url_params(page)
    layer_shown = combobox(page, layer_label)
    layer = layer_shown.split(" (")[0]
    sample_shown = combobox(page, "Sample")
    matched = re.match(r"sample (\d+)\b", sample_shown)
    assert matched, f"the Sample selectbox shows {sample_shown!r}"
    sample = int(matched.group(1))
    record["view"] = {"layer": layer_shown, "sample": sample_shown}
    kind = PRESETS[lesson.preset].layers[-1].kind
    assert kind.replace("_", "") in layer_shown.lower().replace("_", ""), \
        f"{layer_label!r} shows {layer_shown!r}, not the {kind} layer of the '{lesson.preset}' run"
    assert params.get(layer_view, layer) == layer, \
        f"the link names layer {params.get(layer_view)!r} ({layer_view}) but the page shows {layer_shown!r}"
    assert params.get(sample_view, "0") == str(sample), \
        f"the link names sample {params.get(sample_view)!r} ({sample_view}) but the page shows {sample_shown!r}"
    expected = expected_samples().get(lesson.key)
    if expected is not None:
        assert sample == expected, (f"'Look here' should select sample {expected}, the one the evidence is about, "
                                    f"but the Sample selectbox shows {sample_shown!r} ({page.url})")
    titles = chart_titles(page)
    wanted = chart.format(layer=re.escape(layer), sample=sample)
    assert any(re.search(wanted, title) for title in titles), \
        f"no chart drawn for layer {layer} and sample {sample} (/{wanted}/); charts: {titles}"
    return layer, sample


def states_view(page, lesson, record) -> None:
    check_layer_and_sample(page, lesson, record, layer_label="Layer", layer_view="st_layer", sample_view="st_sample",
                           chart=r"^{layer}: h of sample {sample}\b")
    titles = chart_titles(page)
    assert any("in PCA space" in title for title in titles), f"no PCA trajectories on the States page: {titles}"
    colour = radio_choice(page, "Colour by")
    record["view"]["colour_by"] = colour
    if "coloured by label" in lesson.look_for and colour != "label":
        note(record, f"the lesson says 'open the States page coloured by label', but 'Look here' leaves the "
                     f"'Colour by' radio (key states_colour, view st_colour) at {colour!r}")


def gates_view(page, lesson, record) -> None:
    layer, _ = check_layer_and_sample(page, lesson, record, layer_label="Layer and direction",
                                      layer_view="gt_layer", sample_view="gt_sample",
                                      chart=r"^{layer}: gates of sample {sample}\b")
    named = re.search(r"best are ([\d, ]+?) \(", record["evidence"])
    if named:  # the units the evidence names: are they the intervention's units?
        units = [int(u) for u in named.group(1).split(",")]
        panel = page.locator("[data-testid='stMultiSelect']", has=page.get_by_text("Units (none = all units)"))
        chips = panel.locator("[data-baseweb='tag'], [data-tag]").all_inner_texts()
        chosen = sorted({int(m) for text in chips for m in re.findall(r"\d+", text)})
        record["view"]["intervention_units"] = chosen
        if chosen != sorted(units):
            note(record, f"the evidence names units {units} and the lesson says to fix their forget gate at 0 in the "
                         f"intervention panel, but its 'Units (none = all units)' multiselect (key "
                         f"gates_iv_units_{layer}) is {chosen or 'empty'} after 'Look here'")


def gradients_view(page, lesson, record) -> None:
    titles = chart_titles(page)
    assert any(title.startswith("||dL/dh_t|| per layer of run") for title in titles), \
        f"no gradient norms of the run on the Gradients page: {titles}"
    sample = combobox(page, "Sample for the input strip and the dotted line")
    expected = expected_samples().get(lesson.key)
    assert expected is None or re.match(rf"sample {expected}\b", sample), \
        f"the Gradients page's sample is {sample!r}, not sample {expected}, the one the evidence is about"
    if not lesson.also:
        return
    companion = lesson.also[0][1]
    left_run, right_run = record["runs"][lesson.preset], record["runs"][companion]
    mode = radio_choice(page, "Compare")
    left, right = combobox(page, "Left"), combobox(page, "Right")
    record["view"] = {"sample": sample, "compare": mode, "left": left, "right": right}
    assert mode == "Two trained runs of this session", \
        f"the Gradients page compares {mode!r}, not the lesson's two trained runs"
    assert (left, right) == (left_run, right_run), \
        f"the Gradients page compares {left!r} (left) with {right!r} (right), not {left_run!r} with {right_run!r}"
    caption = f"your trained runs of {lesson.preset} (left) and {companion} (right)"
    assert page.get_by_text(caption).count() >= 1, f"no caption {caption!r} on the Gradients page"
    side = f"||dL/dh_t||: {left_run} vs {right_run}"
    assert side in titles, f"no chart {side!r}: {titles}"


def padding_view(page, lesson, record) -> None:
    step = page.get_by_role("heading", name="2. Step by step: dynamic on and off")
    assert step.count() >= 1, "the Padding lab has no 'Step by step: dynamic on and off' section"
    assert page.get_by_text("Which step does return_seq=False return?").count() >= 1, \
        "the Padding lab does not say which step each mode returns"
    titles = chart_titles(page)
    assert any("dynamic=True vs dynamic=False" in title for title in titles), f"no dynamic on / off chart: {titles}"
    record["view"] = {"data": combobox(page, "Data"), "sample": combobox(page, "Sample")}
    note(record, "the Padding lab shows fresh, untrained layers on its own sample rows (the random walks' "
                 "training split): neither the student's trained model nor the test walk the evidence's focus "
                 "names (the shortest one) is on it; 'Look here' preselects nothing there (lesson_runs.FOCUS_VIEWS"
                 "['padding.py'] is empty)")


VIEWS = {"states.py": states_view, "gates.py": gates_view, "gradients.py": gradients_view, "padding.py": padding_view}


# ------------------------------------------------------------------------------------------------ the test


def train_companions(page, lesson, record) -> None:
    """What a student does for a lesson with a companion preset: see that it is missing, go back to the lesson's
    card, click its button, and train it."""
    for number, (label, preset) in enumerate(lesson.also, start=2):
        box = evidence_box(page, lesson)
        record["evidence_before_companion"] = box["text"]
        assert box["kind"] == "Info" and "not trained yet" in box["text"], \
            f"with only '{lesson.preset}' trained the evidence should say what is missing, not: {box}"
        lessons_heading = page_heading("lessons.py")
        open_page(page, router()["lessons.py"][0])
        button(page, f"lessons_{preset}", label).click()
        record["clicks"] += 2
        page.wait_for_function(  # the button switches page: Build (it only loads) or Train (it also trains)
            "(before) => { const h = document.querySelector('[data-testid=\"stMain\"] h1');"
            " return h && h.innerText && !h.innerText.startsWith(before); }", arg=lessons_heading)
        settle(page)
        no_errors(page, f"after {label!r}")
        if not page.evaluate("() => document.querySelector('[data-testid=\"stMain\"] h1').innerText").startswith(
                page_heading("train.py")):
            record["notes_flow"] = f"{label!r} only loads the preset (lands on the Build page): Train, Start training"
            open_page(page, router()["train.py"][0])
            button(page, "train_start", "Start training").click()
            record["clicks"] += 2
        record["runs"][preset] = wait_trained(page, number)
        record["seconds"][f"train {preset}"] = round(time.perf_counter() - record["_t"], 1)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_lesson_view(page, app_url, lesson):
    record = {"lesson": lesson.key, "runs": {}, "seconds": {}, "notes": [], "clicks": 0, "view": {},
              "_t": time.perf_counter()}

    def mark(step: str) -> None:
        record["seconds"][step] = round(time.perf_counter() - record["_t"], 1)

    nav_title, url_path = router()[lesson.page]
    try:
        # 1. the Lessons page, as a new user opens it
        page.goto(f"{app_url}/?present=1")
        page.get_by_role("heading", name=lesson.title).first.wait_for()
        settle(page)
        no_errors(page, "Lessons page")
        try:  # the large-type CSS can land a moment after the first script run
            page.wait_for_function("() => parseFloat(getComputedStyle(document.documentElement).fontSize) > 16",
                                   timeout=15_000)
        except Exception as error:
            raise AssertionError("presentation mode (large type) is not on with ?present=1") from error
        button(page, f"lessons_train_{lesson.key}", "Load and train").click()
        record["clicks"] += 1
        # 2. the Train page: the training, then the lesson's evidence
        wait_heading(page, page_heading("train.py"))
        record["runs"][lesson.preset] = wait_trained(page, 1)
        mark(f"train {lesson.preset}")
        train_companions(page, lesson, record)
        box = evidence_box(page, lesson)
        mark("evidence")
        record["evidence"] = box["text"]
        # 3. a success box with this lesson's sentence and its numbers
        assert box["shown"], f"the evidence box is not visible: {box}"
        assert box["kind"] == "Success", \
            f"the lesson's evidence is a {box['kind']} box, not a success box: {box['text']}"
        sentence = EVIDENCE.get(lesson.key, r"\d")
        assert re.search(sentence, box["text"]), \
            f"the success box is not this lesson's evidence (/{sentence}/): {box['text']}"
        # 4. one more click: the lesson's view
        button(page, "train_look_here", f"Look here: the {nav_title} page").click()
        record["clicks"] += 1
        wait_heading(page, page_heading(lesson.page))
        wait_drawn(page)
        mark("view")
        record["url"] = page.url
        no_errors(page, f"{nav_title} page")
        path = urllib.parse.urlparse(page.url).path.strip("/")
        assert path == url_path, f"'Look here' landed on /{path}, not on the {nav_title} page (/{url_path})"
        current = page.locator("[data-testid='stSidebarNav'] a[aria-current='page']").inner_text().strip()
        current = current.splitlines()[-1].strip() if current else current  # after the icon's name
        assert current == nav_title, f"the sidebar highlights {current!r}, not {nav_title!r}"
        params = url_params(page)
        assert params.get("present") == "1", f"presentation mode is off after 'Look here': {page.url}"
        assert params.get("lesson") == lesson.key, f"the lesson is not in the link after 'Look here': {page.url}"
        assert page.get_by_text(f"Inspecting run {record['runs'][list(record['runs'])[-1]]}").count() >= 1 \
            or lesson.page == "padding.py", "the view does not inspect the run just trained"
        VIEWS[lesson.page](page, lesson, record)
        shown = page.evaluate(EVIDENCE_BOX_JS, f"Lesson: {lesson.title}")  # the claim on the view itself
        record["view_evidence"] = shown
        if shown is None:
            note(record, f"the {nav_title} page does not show the lesson's evidence ('Lesson: {lesson.title}' and its "
                         "box): the claim's numbers are on the Train page and the lesson card only")
        else:
            assert shown["kind"] == "Success" and shown["text"] == record["evidence"], \
                (f"the {nav_title} page's lesson box is a {shown['kind']} box saying {shown['text']!r}, not the "
                 f"Train page's evidence {record['evidence']!r}")
        # 5. the view in presentation mode: a screenshot, nothing cut or overlapping
        problems = overflow_problems(page) + page.evaluate(ANNOTATION_OVERLAP_JS)
        full_page_shot(page, ARTIFACTS / f"{lesson.key}.png")
        mark("screenshot")
        record["overflow"] = problems
        assert not problems, (f"lesson {lesson.key}: the {nav_title} view at {WIDTH}x{HEIGHT} in presentation "
                              f"mode, {len(problems)} cut or overlapping:\n  " + "\n  ".join(problems))
    except BaseException:
        with contextlib.suppress(Exception):  # the failure itself is what matters
            full_page_shot(page, ARTIFACTS / f"{lesson.key}-failed.png")
        raise
    finally:
        record.pop("_t")
        (ARTIFACTS / f"{lesson.key}.json").write_text(json.dumps(record, indent=2) + "\n")
