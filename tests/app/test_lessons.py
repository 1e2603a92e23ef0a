"""Lessons (landing page), the shared sidebar, presentation mode and the URL."""

from apptools import SPEC_KEY, assert_clean, new_app, spec_of, tiny_spec, wait_training

from rnnlab.experiments import lessons
from rnnlab.experiments import PRESETS, ExperimentSpec


def test_landing_lists_every_lesson_with_its_buttons():
    at = new_app()
    assert_clean(at)
    subheaders = [s.value for s in at.subheader]
    for lesson in lessons.LESSONS:
        assert lesson.title in subheaders
        assert at.button(key=f"lessons_load_{lesson.key}")
        assert at.button(key=f"lessons_train_{lesson.key}")
    assert {l.preset for l in lessons.LESSONS} <= set(PRESETS)
    # the default experiment is in the URL from the first run
    assert at.query_params["dataset"] == "adding"
    assert ExperimentSpec.from_query(at.query_params) == spec_of(at)


def test_load_a_lesson_sets_the_whole_experiment_and_the_url():
    at = new_app()
    at.button(key="lessons_load_sine").click().run()
    assert_clean(at)
    assert spec_of(at) == PRESETS["sine"]
    assert at.query_params["dataset"] == "sine"
    assert at.query_params["lesson"] == "sine"
    assert ExperimentSpec.from_query({k: v for k, v in at.query_params.items() if k != "lesson"}) == PRESETS["sine"]
    assert any("Loaded" in s.value for s in at.success)
    assert any(h.value == "Build" for h in at.title)  # Load goes on to the Build page


def test_load_and_train_trains_the_preset():
    at = new_app()
    at.button(key="lessons_train_parity").click().run()
    assert any(h.value == "Train" for h in at.title)
    wait_training(at)
    assert_clean(at)
    run = at.session_state["rnnlab:session_runs"][-1]
    assert run.spec == PRESETS["parity"]
    assert len(run.history) == PRESETS["parity"].epochs
    assert [m.label for m in at.metric][:2] == ["loss", "accuracy"]


def test_presentation_mode_injects_large_type_and_goes_into_the_url():
    at = new_app()
    assert not any("<style>" in m.value for m in at.markdown)
    at.toggle(key="side_presentation").set_value(True).run()
    assert any("<style>" in m.value and "font-size" in m.value for m in at.markdown)
    assert at.query_params["present"] == "1"
    again = new_app(present="1")  # a shared link keeps it
    assert any("<style>" in m.value for m in again.markdown)


def test_a_shared_link_reproduces_the_experiment():
    spec = tiny_spec(seed=7, learning_rate=0.005)
    at = new_app(spec)
    assert spec_of(at) == spec
    assert at.query_params["seed"] == "7"


def test_a_broken_link_shows_an_error_and_the_default_experiment():
    at = new_app(**{"l0.n_units": "-3", "layers": "1", "l0.kind": "lstm"})
    assert not at.exception
    assert any("could not be read" in e.value for e in at.error)
    assert spec_of(at) == ExperimentSpec()
    assert SPEC_KEY in at.session_state


def test_every_page_renders_in_a_fresh_session():
    at = new_app()
    for page in ("build", "train", "runs", "states", "gates", "padding", "gradients", "lessons"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert_clean(at)
    # the inspection pages say how to get a model instead of failing
    at.switch_page("app_pages/gates.py").run()
    assert any("needs a trained model" in i.value for i in at.info)
