"""A student's path through a lesson: Load and train, read what the lesson's claim measures on their own model,
and one click later the lesson's view with the evidence's layer, sample and units preselected.

The claims themselves are tested on hand-built numbers in tests/test_lesson_claims.py; here the pages must show
exactly the Evidence that rnnlab measures on the session's run, and open the view it is about.
"""

from apptools import APP, TIMEOUT, assert_clean, go, runs_of, wait_training
from streamlit.testing.v1 import AppTest

from rnnlab.experiments import evidence_for, lessons


def lesson_trained(key: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.button(key=f"lessons_train_{key}").click().run()  # -> the Train page, training started
    return wait_training(at)


def test_load_and_train_then_look_here_opens_the_lessons_view_on_the_evidence():
    lesson = lessons.by_key("parity")
    at = lesson_trained("parity")
    assert_clean(at)
    (run,) = runs_of(at)
    found = evidence_for(lesson, {lesson.preset: run})  # what rnnlab measures on this very run
    assert found.holds is True, found.sentence  # the preset is tuned so that it does (bench/bench_lessons.py)
    assert any(s.value == found.sentence for s in at.success), [s.value for s in at.success]
    assert any(h.value == f"Lesson: {lesson.title}" for h in at.subheader)

    at.button(key="train_look_here").click().run()  # the one more click
    assert_clean(at)
    layer = at.selectbox(key="states_layer")
    sample = next(s for s in at.selectbox if s.key and s.key.startswith("states_sample_"))
    assert layer.value == found.focus.layer and sample.value == found.focus.sample
    assert any(s.value == found.sentence for s in at.success)  # the claim, quantified, on the view itself
    if found.focus.sample != 0:  # the link of this view opens it too (a default value stays out of the URL)
        assert at.query_params["st_sample"] == str(found.focus.sample)


def test_the_lesson_card_shows_what_the_model_shows_after_training():
    lesson = lessons.by_key("parity")
    at = lesson_trained("parity")
    run = runs_of(at)[-1]
    go(at, "lessons")
    assert_clean(at)
    found = evidence_for(lesson, {lesson.preset: run})
    assert any(s.value == found.sentence for s in at.success)
    assert at.button(key="lessons_look_parity") is not None
    # the other lessons were not trained: their cards promise nothing about this session
    assert sum(1 for s in at.success if s.value == found.sentence) == 1
