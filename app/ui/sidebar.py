"""The shared sidebar (drawn by the router on every page) and the presentation mode it switches."""

from __future__ import annotations

import streamlit as st

from app import state

PRESENTATION_CSS = """
<style>
/* presentation mode: everything in Streamlit is sized in rem, so a larger root font scales it all alike */
html { font-size: 21px !important; }
[data-testid="stSidebar"] { min-width: 320px; }
</style>
"""


def apply_view_settings() -> None:
    """Inject the presentation CSS when presentation mode is on."""
    if state.presentation():
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)


def sidebar() -> None:
    """The shared sidebar: presentation mode, the experiment in one line, training status, spec download."""
    on = st.toggle(
        "Presentation mode",
        value=state.presentation(),
        key="side_presentation",
        help="Large type for a projector or a screen share. Kept in the link (present=1).",
    )
    state.set_presentation(on)
    spec = state.spec()
    st.caption("Experiment (every setting is in the address bar: copy it to share)")
    st.markdown(f"`{spec.describe()}`")
    job = state.training_job()
    if job is not None and not job.finished:
        progress = job.progress()
        st.caption(f"Training: epoch {progress.epochs_done} of {progress.epochs_total} ...")
    run = state.current_run()
    if run is not None:
        st.caption(f"Inspecting run {run.label}")
    st.download_button(
        "Download spec JSON",
        data=spec.to_json(),
        file_name=f"rnnlab-spec-{spec.short_hash()}.json",
        mime="application/json",
        key="side_spec_json",
        icon=":material/download:",
    )
