"""End to end in a real browser: on the Build page, upload a .keras file of Keras's own LSTM / GRU layers through the
file input (Playwright's set_input_files), open it as a run, and see its gates on the Gates page and the padding
invariance check pass in the Padding lab, nothing trained. Screenshots go to .e2e-artifacts/ (gitignored).

Needs /usr/bin/chromium (`make browser`). Missing: the test fails when $CI is set, and is skipped otherwise.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.e2e

try:  # tests/ as a package or as a plain directory on sys.path
    from tests.e2e.test_browser import ARTIFACTS, app_url, go, no_exceptions, page, settle, wait_for_charts  # noqa: F401
except ImportError:
    from test_browser import ARTIFACTS, app_url, go, no_exceptions, page, settle, wait_for_charts  # noqa: F401

from rnnlab.experiments import ExperimentSpec, LayerSpec


def keras_model_file(tmp_path) -> str:
    """Keras's own layers for the variable-length walks (D = 1, 2 classes) -> the path of its .keras file."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, 1))
    net = keras.layers.Masking(0.0)(inputs)
    net = keras.layers.LSTM(4, return_sequences=True, name="lstm")(net)
    net = keras.layers.GRU(3, reset_after=False, name="gru")(net)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax", name="head")(net))
    path = tmp_path / "walks_lstm_gru.keras"
    model.save(path)
    return str(path)


def test_upload_a_keras_model_and_open_its_gates(page, app_url, tmp_path):
    spec = ExperimentSpec(dataset="variable_length", dataset_options={"n_samples": 64, "n_test": 16},
                          layers=(LayerSpec("lstm", 4, dynamic=True),), epochs=2, batch_size=32, seed=0)
    page.goto(f"{app_url}/build?{urlencode(spec.to_query())}")
    page.get_by_role("heading", name="Build").first.wait_for()
    settle(page)
    page.get_by_text("Bring your model", exact=False).first.click()  # open the expander
    page.locator(".st-key-build_keras_upload input[type=file]").set_input_files(keras_model_file(tmp_path))
    opener = page.locator(".st-key-build_open_imported_keras button").first
    opener.wait_for(timeout=90_000)
    settle(page)
    no_exceptions(page)
    assert page.get_by_text("walks_lstm_gru.keras").count() >= 1
    opener.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "byom-01-build.png"))
    opener.click()
    page.get_by_text("as run #1 imported walks_lstm_gru.keras").first.wait_for(timeout=60_000)
    settle(page)
    no_exceptions(page)

    go(page, "Gates")
    wait_for_charts(page, 2, timeout=90_000)
    no_exceptions(page)
    assert page.get_by_text("imported walks_lstm_gru.keras").count() >= 1  # the run banner
    assert page.locator(".js-plotly-plot", has_text="forget").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "byom-02-gates.png"), full_page=True)

    go(page, "Padding lab")
    page.locator(".st-key-pad_stack_check button").first.click()  # the imported run is the section's default
    page.get_by_text("give the same outputs alone and padded").first.wait_for(timeout=90_000)
    settle(page)
    no_exceptions(page)
    page.screenshot(path=str(ARTIFACTS / "byom-03-padding.png"), full_page=True)
