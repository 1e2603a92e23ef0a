"""End to end in a real browser, on the Build page: a data file uploaded through the file input (Playwright's
set_input_files) is named by the sidebar right away, without another click; the model uploader states its own 20 MB
limit (the data uploader the server's 50 MB) and the browser refuses a larger model before sending it.
Screenshots go to .e2e-artifacts/ (gitignored).

Needs /usr/bin/chromium (`make browser`). Missing: the test fails when $CI is set, and is skipped otherwise.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.e2e

try:  # tests/ as a package or as a plain directory on sys.path
    from tests.e2e.test_browser import ARTIFACTS, app_url, no_exceptions, page, settle
except ImportError:
    from test_browser import ARTIFACTS, app_url, no_exceptions, page, settle  # noqa: F401

from rnnlab.experiments import ExperimentSpec, LayerSpec

CSV = "sequence_id,t,a,b,label\n" + "".join(
    f"{s},{t},{0.1 * (t + 1):.2f},{-0.2 * s - 0.1:.2f},{s % 2}\n" for s in range(12) for t in range(3 + s % 4))


def test_the_sidebar_names_an_upload_at_once_and_each_uploader_says_its_limit(page, app_url, tmp_path):
    spec = ExperimentSpec(dataset="sine", dataset_options={"n_samples": 64, "n_test": 16},
                          layers=(LayerSpec("lstm", 4),), epochs=2, batch_size=32, seed=0)
    page.goto(f"{app_url}/build?{urlencode(spec.to_query())}")
    page.get_by_role("heading", name="Build").first.wait_for()
    settle(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("sine: lstm(4)").wait_for()
    page.get_by_text("Your own file (CSV / NPZ)").first.click()
    data_uploader = page.locator(".st-key-build_data_upload")
    data_uploader.wait_for()
    settle(page)
    assert re.search(r"50\s*MB per file", data_uploader.inner_text()), data_uploader.inner_text()

    path = tmp_path / "walks.csv"
    path.write_text(CSV)
    data_uploader.locator("input[type=file]").set_input_files(str(path))
    # no click after the upload: the sidebar must name the new data by itself (it lagged one script run before)
    sidebar.get_by_text("upload:walks.csv: lstm(4)").wait_for(timeout=60_000)
    settle(page)
    no_exceptions(page)
    assert data_uploader.get_by_text("walks.csv").count() >= 1  # the upload stays in its uploader
    assert page.get_by_text("datasets.load_csv('walks.csv'", exact=False).count() >= 1  # the page ran to its end
    page.screenshot(path=str(ARTIFACTS / "upload-01-sidebar.png"))

    page.get_by_text("Bring your model", exact=False).first.click()  # open the expander
    keras_uploader = page.locator(".st-key-build_keras_upload")
    keras_uploader.wait_for()
    assert re.search(r"20\s*MB per file", keras_uploader.inner_text()), keras_uploader.inner_text()
    big = tmp_path / "big.keras"
    big.write_bytes(b"\0" * (21 * 2**20))
    keras_uploader.locator("input[type=file]").set_input_files(str(big))
    keras_uploader.get_by_text(re.compile(r"must be 20(\.0)?\s*MB or smaller")).wait_for(timeout=30_000)
    settle(page)
    no_exceptions(page)
    page.screenshot(path=str(ARTIFACTS / "upload-02-model-limit.png"))
