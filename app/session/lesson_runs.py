"""The loaded lesson on this session's own runs: which trained runs belong to it, what its claim measures on
them (rnnlab.experiments.lessons), and the view settings that open the lesson's view on that evidence."""

from __future__ import annotations

import streamlit as st

from app import state
from app.session import experiment, imported_model

#: The URL view settings (app/state.py VIEW_PARAMS) through which each lesson page preselects a Focus.
FOCUS_VIEWS = {
    "states.py": {"layer": "st_layer", "sample": "st_sample", "units": "st_units", "colour_by": "st_colour"},
    "gates.py": {"layer": "gt_layer", "sample": "gt_sample", "units": "gt_units"},
    "padding.py": {},
    "gradients.py": {},
}


#: The title each lesson page has in the app's navigation (for "Look here: the Gates page").
PAGE_TITLES = {"states.py": "States", "gates.py": "Gates", "padding.py": "Padding lab", "gradients.py": "Gradients"}


def current():
    """The lesson loaded last (rnnlab.experiments.Lesson), or None."""
    from rnnlab.experiments import lessons

    key = state.lesson()
    try:
        return lessons.by_key(key) if key else None
    except KeyError:  # an outdated link
        return None


def same_experiment(spec, preset) -> bool:
    """Whether a run's spec is the preset's experiment: equal apart from the seed and the number of epochs
    (a student who trains longer or tries another seed still runs the lesson)."""
    return spec.replace(seed=preset.seed, epochs=preset.epochs) == preset


def runs_of(lesson) -> dict:
    """lesson -> {preset name: the latest session run of that preset}, for the lesson's preset and its companions."""
    from rnnlab.experiments import PRESETS

    names = [lesson.preset, *(preset for _, preset in lesson.also)]
    found = {}
    for run in state.session_runs():  # oldest first: the latest run of a preset wins
        if imported_model.is_imported(run):  # the Build page's spec, but not a training of it
            continue
        for name in names:
            if same_experiment(run.spec, PRESETS[name]):
                found[name] = run
    return found


def evidence(lesson):
    """lesson -> rnnlab Evidence measured on this session's runs of it (once per set of runs), or None when none
    of the lesson's presets has a trained run yet (with only a companion trained, the evidence says what is
    missing)."""
    from rnnlab.experiments import evidence_for

    runs = runs_of(lesson)
    if not runs:
        return None
    key = (lesson.key, tuple(sorted((name, run.run_id) for name, run in runs.items())))
    with st.spinner("Measuring the lesson's claim on your model ..."):
        return state.memo("lesson-evidence", key, lambda: evidence_for(lesson, runs))


def evidence_on(run, page: str):
    """-> (lesson title, Evidence) when the loaded lesson is about ``page`` and ``run`` is one of its runs, else
    None: the lesson's view shows, above its charts, what the claim measures on the run it shows."""
    lesson = current()
    if lesson is None or lesson.page != page or all(r is not run for r in runs_of(lesson).values()):
        return None
    found = evidence(lesson)
    return None if found is None else (lesson.title, found)


def focus_views(page: str, focus, pool_indices=()) -> dict[str, str]:
    """A Focus (layer, sample, units) -> {view setting: value} for ``page``. ``focus.sample`` indexes the test split
    (rnnlab.experiments.claims); ``pool_indices`` [B] are the test indices of the probe pool the pages show
    (experiment.pool_indices of the lesson's run), so the view's sample is the focus sequence's place in the pool:
    the same sequence, wherever the pool put it. A sequence outside the pool is left out."""
    names = FOCUS_VIEWS.get(page, {})
    if focus is None:
        return {}
    views = {}
    if "layer" in names and focus.layer is not None:
        views[names["layer"]] = str(focus.layer)
    pool = [int(i) for i in pool_indices]
    if "sample" in names and focus.sample is not None and int(focus.sample) in pool:
        views[names["sample"]] = str(pool.index(int(focus.sample)))
    if "units" in names and focus.units:
        views[names["units"]] = ",".join(str(int(u)) for u in focus.units)
    return views


def lesson_views(lesson, found) -> dict[str, str]:
    """lesson, Evidence -> {view setting: value} of the lesson's page: the evidence's Focus (focus_views, on the
    probe pool of the lesson's run) plus the view the lesson's text asks for (``lesson.colour_by``: the States
    page's "Colour by")."""
    run = runs_of(lesson).get(lesson.preset)
    focus = getattr(found, "focus", None)
    pool = experiment.pool_indices(run) if run is not None and focus is not None else ()
    views = focus_views(lesson.page, focus, pool)
    colour_view = FOCUS_VIEWS.get(lesson.page, {}).get("colour_by")
    if colour_view and lesson.colour_by:
        views[colour_view] = lesson.colour_by
    return views


def look_here(lesson, found) -> None:
    """Open the lesson's page with the evidence's layer, sample and units preselected, coloured as the lesson
    says (through the URL views)."""
    for name, value in lesson_views(lesson, found).items():
        state.set_view(name, value, None)
    st.switch_page(f"app_pages/{lesson.page}", query_params=state.url_params())
