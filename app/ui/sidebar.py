"""The shared sidebar (drawn by the router on every page) and the presentation mode it switches."""

from __future__ import annotations

import streamlit as st

from app import state

PRESENTATION_CSS = """
<style>
/* presentation mode. Streamlit sizes everything in rem, so a larger root font scales it all alike; the root
   grows with the screen (about 20.6 px at 1280 px wide, 25.4 px at 1920) */
html { font-size: clamp(19px, calc(0.75vw + 11px), 26px) !important; }
[data-testid="stSidebar"] { min-width: 15rem; }
/* labels and button texts wrap at spaces instead of ending in "..." (a single word too long for its box still
   shows the ellipsis: the page then gives it more room, and tests/e2e/test_presentation.py looks for it) */
[data-testid="stWidgetLabel"] .stMarkdownEllipsis, [data-testid="stWidgetLabel"] .stMarkdownEllipsis p,
[data-testid="stMetricLabel"] .stMarkdownEllipsis, [data-testid="stMetricLabel"] .stMarkdownEllipsis p,
[data-testid^="stBaseButton"] .stMarkdownEllipsis,
[data-testid^="stBaseButton"] .stMarkdownEllipsis p {
  white-space: normal !important; word-break: normal !important; overflow-wrap: normal !important;
}
[data-testid^="stBaseButton"] { height: auto; }
/* a metric's value shrinks with its column (container query units) instead of being cut */
[data-testid="stColumn"]:has([data-testid="stMetric"]) { container-type: inline-size; }
[data-testid="stMetricValue"] { font-size: min(2.25rem, 24cqi) !important; }
</style>
"""


def apply_view_settings() -> None:
    """Inject the presentation CSS when presentation mode is on."""
    if state.presentation():
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)


def sidebar():
    """The shared sidebar, drawn before the page: presentation mode, then the experiment summary in a slot of its
    own -> the slot, for ``refresh_summary`` after the page."""
    on = st.toggle(
        "Presentation mode",
        value=state.presentation(),
        key="side_presentation",
        help="Large type for a projector or a screen share. Kept in the link (present=1).",
    )
    state.set_presentation(on)
    slot = st.empty()
    with slot.container():
        experiment_summary()
    return slot


def summary_facts() -> tuple:
    """What the experiment summary names: the spec, whether a training runs, the inspected run."""
    job, run = state.training_job(), state.current_run()
    return (state.spec().to_json(), job is not None and not job.finished, run.run_id if run is not None else None)


def refresh_summary(slot, drawn: tuple) -> None:
    """After the page: draw the experiment summary again, in its slot, when the page changed what it names
    (``drawn``: summary_facts() before the page), e.g. a new upload, an edited layer or a training started; the
    sidebar then never names the previous experiment. A page that stopped early (st.stop) keeps the first one."""
    if slot is not None and summary_facts() != drawn:
        with slot.container():
            experiment_summary(after_page=True)


def experiment_summary(after_page: bool = False) -> None:
    """The experiment in one line, training status, the inspected run, spec download."""
    spec = state.spec()
    st.caption("Experiment (every setting is in the address bar: copy it to share)")
    st.markdown(f"`{spec.describe()}`")
    job = state.training_job()
    if job is not None and not job.finished:
        progress = job.progress()
        st.caption(f"Training: epoch {progress.epochs_done} of {progress.epochs_total} ...")
    run = state.current_run()
    if run is not None:
        layers = run.layers_text()
        st.caption(f"Inspecting run {run.label}" + ("" if run.label.endswith(layers) else f": {layers}"))
    st.download_button(
        "Download spec JSON",
        data=spec.to_json(),
        file_name=f"rnnlab-spec-{spec.short_hash()}.json",
        mime="application/json",
        key="side_spec_json_after_page" if after_page else "side_spec_json",  # one widget key per draw
        icon=":material/download:",
    )
