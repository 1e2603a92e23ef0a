"""The Gates page on the flip-flop lesson (preset forget_gate with a tiny budget): an intervention's h chart draws the
chosen units and names any other as knock-on; the output chart names the model's outputs as outputs; the charts'
titles name the sample as its picker does (with the sequence's id).

Truth: rnnlab.probe with the same Intervention, run here on the session's own run (which units changed most); the
page's own picker labels (app/ui/widgets.py sample_label) for the sample's name.
"""

import numpy as np
import pytest
from apptools import (
    assert_clean,
    chart,
    charts,
    go,
    new_app,
    runs_of,
    tiny_classification,
    tiny_spec,
    title,
    train,
)

import rnnlab
from app.session import experiment
from rnnlab.experiments import PRESETS, LayerSpec

CHOSEN = [7, 5, 13]
FROM = 33


@pytest.fixture(scope="module")
def flip_flop():
    """The forget_gate preset (3-bit flip-flop, LSTM(16) return_seq, Dense(3) per step) on 64 sequences, 1 epoch."""
    spec = PRESETS["forget_gate"]
    at = new_app(spec.replace(epochs=1, dataset_options={**spec.dataset_options, "n_samples": 64, "n_test": 16}))
    train(at)
    assert_clean(at)
    return at


def widget(at, kind: str, prefix: str):
    return next(w for w in getattr(at, kind) if w.key and w.key.startswith(prefix))


def apply(at, quantity: str, value: float, units: list[int], from_step: int):
    at.selectbox(key="gates_iv_quantity").set_value(quantity)
    at.number_input(key="gates_iv_value").set_value(value)
    widget(at, "multiselect", "gates_iv_units_").set_value(units)
    widget(at, "slider", "gates_iv_step_").set_value(from_step)
    at.button(key="FormSubmitter:gates_intervention_form-Apply the intervention").click().run()
    assert_clean(at)
    return at


def charts_named(at, name: str) -> list[dict]:
    return [f for f in charts(at) if f["layout"].get("meta", {}).get("chart") == name]


def h_change(at, layer: str, b: int, units: list[int]) -> np.ndarray:
    """[n] the largest |h after - h before| of sample b over its steps, the intervention run here."""
    run = runs_of(at)[-1]
    pool = experiment.probe_pool(run)
    before = rnnlab.probe(run.model, pool.x[b : b + 1]).layers[layer].quantities["h"][0]
    after = rnnlab.probe(run.model, pool.x[b : b + 1], interventions=[rnnlab.Intervention(
        layer, "forget", 0.0, units=tuple(units), from_step=FROM)]).layers[layer].quantities["h"][0]
    return np.abs(after - before).max(axis=0)


def test_the_h_chart_draws_the_chosen_units_and_names_the_others_knock_on(flip_flop):
    at = apply(go(flip_flop, "gates"), "forget", 0.0, CHOSEN, FROM)
    layer, b = at.selectbox(key="gates_layer").value, widget(at, "selectbox", "gates_sample_").value
    fig = charts_named(at, "intervention_before_after")[0]
    names = [t["name"] for t in fig["data"] if t.get("type", "scatter") == "scatter"]
    for name in names:  # every line is a chosen unit, or is called knock-on and explained under the chart
        unit = int(name.split()[1])
        assert unit in CHOSEN or "(knock-on)" in name, name
    assert {int(n.split()[1]) for n in names if "(knock-on)" not in n} == set(CHOSEN)
    change = h_change(at, layer, b, CHOSEN)
    others = [u for u in np.argsort(-change, kind="stable").tolist() if u not in CHOSEN and change[u] > 0][:3]
    assert len(others) == 3
    assert {int(n.split()[1]) for n in names if "(knock-on)" in n} == set(others)  # those that changed most, truly
    assert fig["layout"]["meta"]["chosen"] == sorted(CHOSEN) and fig["layout"]["meta"]["knock_on"] == sorted(others)
    reading = " ".join(c.value for c in at.caption if c.value.startswith("How to read it:"))
    assert "unit 5, unit 7, unit 13 (chosen)" in reading
    assert ", ".join(f"unit {u}" for u in sorted(others)) + ": the 3 units not chosen that changed most" in reading
    assert "units [5, 7, 13]" in title(fig)


def test_the_output_chart_names_the_models_outputs_as_outputs(flip_flop):
    at = apply(go(flip_flop, "gates"), "forget", 0.0, CHOSEN, FROM)
    fig = charts_named(at, "intervention_before_after")[1]  # the h chart, then the model's output
    assert "Model output per step" in title(fig)
    lines = [t for t in fig["data"] if t.get("type", "scatter") == "scatter"]
    assert [t["name"] for t in lines] == [f"output[{i}] {k}" for i in range(3) for k in ("before", "after")]
    assert fig["layout"]["meta"]["names"] == ["output[0]", "output[1]", "output[2]"]
    assert not any("unit" in t["name"] or "unit" in t["hovertemplate"] for t in lines)
    assert "unit" not in fig["layout"]["yaxis"]["title"]["text"]
    strips = fig["layout"]["meta"]["strips"]  # the same sample's pulses and targets, named as on the gates chart
    assert strips["input"] == ["bit 1 pulse", "bit 2 pulse", "bit 3 pulse", "constant"]
    assert strips["target"] == ["target[0]", "target[1]", "target[2]"]
    assert chart(at, "gate_heatmaps")["layout"]["meta"]["strips"]["target"] == strips["target"]


def test_all_units_says_the_chart_shows_those_that_changed_most(flip_flop):
    at = apply(go(flip_flop, "gates"), "forget", 0.0, [], FROM)
    fig = charts_named(at, "intervention_before_after")[0]
    assert "(all units)" in title(fig)
    assert "of 16 units that changed most" in fig["layout"]["meta"]["how_to_read"]
    assert fig["layout"]["meta"]["chosen"] == [] and fig["layout"]["meta"]["knock_on"] == []


def test_chart_titles_name_the_sample_as_the_picker_does():
    at = train(new_app(tiny_classification(epochs=1)))
    at = go(at, "gates")
    pool = experiment.probe_pool(runs_of(at)[-1])
    b = next(i for i, s in enumerate(pool.sequence_ids) if s != str(i))  # the pool takes the classes in turn
    widget(at, "selectbox", "gates_sample_").set_value(b).run()
    assert_clean(at)
    box = widget(at, "selectbox", "gates_sample_")
    label = box.format_func(b)  # "sample 1: 8 (length 20, label 1)"
    assert label.startswith(f"sample {b}: {pool.sequence_ids[b]} (length ")
    assert title(chart(at, "gate_heatmaps")) == f"LSTM: gates of {label} per unit over time"
    apply(at, "h", 0.0, [1], 2)
    assert f"LSTM, {label}: h with h = 0 (units [1]) from t=2" == title(chart(at, "intervention_before_after"))


def test_a_class_per_step_names_each_output_by_its_class():
    spec = tiny_spec(dataset="parity", dataset_options={"n_samples": 64, "n_test": 16},
                     layers=(LayerSpec("lstm", 4, return_seq=True),), epochs=1)
    at = apply(go(train(new_app(spec)), "gates"), "h", 0.0, [0], 3)
    fig = charts_named(at, "intervention_before_after")[1]
    lines = [t["name"] for t in fig["data"] if t.get("type", "scatter") == "scatter"]
    assert lines == [f"P({c}) {k}" for c in ("even", "odd") for k in ("before", "after")]  # softmax per step
    assert fig["layout"]["meta"]["strips"]["target"] == ["target"]  # the class strip, its colours "even" / "odd"
