"""What a page says to the user besides its figures: the error guard, queued messages, the run banner and the
"no run yet" hint. None of them keeps state (that is app/state.py's job)."""

from __future__ import annotations

import contextlib
import logging
import traceback

import streamlit as st

from app import state
from app.errors import error_message

log = logging.getLogger("rnnlab.app")


@contextlib.contextmanager
def guard(what: str):
    """Run a page section; an error becomes an st.error in the page (never a traceback), the rest of the
    page and the user's work stay. rnnlab errors already say what was wrong and what was expected."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - shown to the user, logged for the developer
        st.error(said_once(what, error_message(what, error)))
        log.warning("%s failed:\n%s", what, traceback.format_exc())


def said_once(what: str, message: str) -> str:
    """``what``'s message with a name said once: rnnlab's file errors start with the file's name ("a.csv: column
    'ax', line 7 ..."), so under "Reading a.csv" the message would say "Reading a.csv: a.csv: column ...". When
    the error opens with the words that end ``what``, they are dropped from the error's part; an error that does
    not name them keeps all it says."""
    words = what.split(" ")
    for start in range(len(words)):
        name = " ".join(words[start:])
        doubled = f"{what}: {name}: "
        if name and message.startswith(doubled):
            return f"{what}: {message[len(doubled):]}"
    return message


def show_messages() -> None:
    """Messages queued with state.flash (e.g. by a button before a page switch)."""
    for level, message in state.pop_flashes():
        {"error": st.error, "warning": st.warning, "success": st.success}.get(level, st.info)(message)


def need_run(page: str) -> object | None:
    """The current run, or None after saying how to get one."""
    run = state.current_run()
    if run is None:
        job = state.training_job()
        if job is not None and not job.finished:
            st.info("Training is running: this page fills in when it finishes (see the Train page).")
        else:
            st.info(f"{page} needs a trained model, and this experiment ({state.spec().describe()}) has not been "
                    "trained in this session yet. Train it here, or load a lesson.")
            if st.button("Train this experiment", type="primary", key="need_run_train", icon=":material/play_arrow:"):
                state.request_training()  # the Train page starts it
                st.switch_page("app_pages/train.py", query_params=state.url_params())
    return run


def run_banner(run) -> None:
    """One line naming the run being inspected."""
    st.caption(f"Inspecting run **{run.label}** · {run.summary()}")


def evidence(found) -> None:
    """A lesson's Evidence on the user's own run: green when its claim holds, a warning with what to change when
    it does not, a note when it cannot be measured yet. Never more than the numbers show."""
    text = found.sentence + (f" {found.suggestion}" if found.holds is not True and found.suggestion else "")
    {True: st.success, False: st.warning}.get(found.holds, st.info)(text)


def lesson_evidence(here) -> None:
    """(lesson title, Evidence) or None -> the lesson's claim on this run, above a page's charts."""
    if here is not None:
        st.markdown(f"**Lesson: {here[0]}**")
        evidence(here[1])
