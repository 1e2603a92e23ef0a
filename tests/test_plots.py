"""Tests for rnnlab/plots/: the figures' data and layout, not pixels.

The plots package is loaded straight from its folder so that rnnlab/__init__.py (which imports TensorFlow)
does not run: these tests stay fast and TensorFlow-free.
"""

from __future__ import annotations

import functools
import subprocess
import sys

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from plots_loader import PLOTS_DIR, load_plots

plots = load_plots()

RNG = np.random.default_rng(1234)
T, N_UNITS = 7, 3  # deliberately not square, so a transposition mistake shows


def lengths_to_valid(lengths, time_steps):
    return np.arange(time_steps)[None, :] < np.asarray(lengths)[:, None]  # [B, T]


def axis_titles(fig: go.Figure) -> dict[str, str]:
    """Every x/y/scene axis title of a figure, by axis name."""
    layout = fig.to_dict()["layout"]
    titles = {}
    for key, value in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            titles[key] = (value.get("title") or {}).get("text", "")
        if key.startswith("scene"):
            for axis in ("xaxis", "yaxis", "zaxis"):
                titles[f"{key}.{axis}"] = ((value.get(axis) or {}).get("title") or {}).get("text", "")
    return titles


def vrects(fig: go.Figure) -> list[tuple[float, float]]:
    return [(s.x0, s.x1) for s in fig.layout.shapes if s.type == "rect" and s.yref and "domain" in s.yref]


def history(epochs=3, val=True, metric=True):
    frame = pd.DataFrame({"epoch": np.arange(1, epochs + 1), "loss": np.linspace(1.0, 0.2, epochs)})
    if val:
        frame["val_loss"] = np.linspace(1.1, 0.4, epochs)
    if metric:
        frame["accuracy"] = np.linspace(0.5, 0.9, epochs)
        frame["val_accuracy"] = np.linspace(0.45, 0.8, epochs)
    return frame


@functools.cache
def all_figures() -> dict[str, go.Figure]:
    """One figure from every public figure function, on small random inputs."""
    values = np.tanh(RNG.normal(size=(T, N_UNITS)))
    valid_t = np.arange(T) < 5
    valid_bt = lengths_to_valid([7, 5, 3], T)
    x = RNG.normal(size=(3, T, 2)) * valid_bt[:, :, None]
    return {
        "state_heatmap": plots.state_heatmap(values, valid_t),
        "unit_lines": plots.unit_lines(values, [0, 2], valid_t),
        "state_trajectories": plots.state_trajectories(RNG.normal(size=(3, T, 4)), valid_bt),
        "state_trajectories_3d": plots.state_trajectories(RNG.normal(size=(3, T, 4)), valid_bt, [0, 1, 0], dims=3),
        "gate_heatmaps": plots.gate_heatmaps({"input": RNG.random((T, N_UNITS)), "forget": RNG.random((T, N_UNITS))}),
        "gate_saturation": plots.gate_saturation({"forget": RNG.random((3, T, N_UNITS))}, valid_bt),
        "gradient_norms": plots.gradient_norms({"lstm": RNG.random((3, T))}, valid_bt),
        "gradient_norms_side_by_side": plots.gradient_norms_side_by_side(RNG.random((3, T)), RNG.random((3, T))),
        "padding_grid": plots.padding_grid(x, {"true": [7, 5, 3], "TFLearn": [7, 5, 3]}),
        "dynamic_comparison": plots.dynamic_comparison(values, values, valid_t),
        "training_curves": plots.training_curves(history()),
        "training_curves_overlay": plots.training_curves_overlay({"a": history(), "b": history(4)}),
        "intervention_before_after": plots.intervention_before_after(values, values + 0.1, 3),
    }


# ------------------------------------------------------------------------------- house rules


def test_loading_plots_imports_no_tensorflow_keras_or_streamlit():
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('p', {str(PLOTS_DIR / '__init__.py')!r}, "
        f"submodule_search_locations=[{str(PLOTS_DIR)!r}])\n"
        "m = importlib.util.module_from_spec(spec); sys.modules['p'] = m; spec.loader.exec_module(m)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('tensorflow', 'keras', 'streamlit', 'rnnlab'))\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_every_public_function_has_a_docstring_opening_with_shapes():
    for name in plots.__all__:
        obj = getattr(plots, name)
        if callable(obj) and not isinstance(obj, type):
            doc = obj.__doc__ or ""
            first_line = doc.strip().splitlines()[0]
            assert "[" in first_line or "->" in first_line, (name, first_line)


@pytest.mark.parametrize("name", list(all_figures()))
def test_every_figure_has_title_reading_axis_titles_and_modebar(name):
    fig = all_figures()[name]
    assert fig.layout.title.text
    reading = plots.how_to_read(fig)
    assert reading and fig.layout.title.subtitle.text == reading
    assert fig.layout.meta["chart"]
    titles = axis_titles(fig)
    assert any(k.endswith("xaxis") or k.startswith("xaxis") for k, v in titles.items() if v), titles
    assert any("yaxis" in k for k, v in titles.items() if v), titles
    # Plotly's own PNG export stays available: nothing removes modebar buttons.
    assert not fig.layout.modebar.remove
    fig.to_json()  # serialisable as the app will send it


@pytest.mark.parametrize("name", list(all_figures()))
def test_colour_scales_are_colour_blind_safe(name):
    fig = all_figures()[name]
    viridis = go.Heatmap(colorscale="Viridis").colorscale
    rdbu = go.Heatmap(colorscale="RdBu").colorscale
    scales = [t.colorscale for t in fig.data if isinstance(t, go.Heatmap) and t.colorscale]
    layout = fig.to_dict()["layout"]
    scales += [
        tuple(tuple(step) for step in layout[k]["colorscale"])
        for k in ("coloraxis", "coloraxis2")
        if "colorscale" in layout.get(k, {})
    ]
    scales += [t.marker.colorscale for t in fig.data if hasattr(t, "marker") and t.marker and t.marker.colorscale]
    for scale in scales:
        colours = {c for _, c in scale}
        assert scale in (viridis, rdbu) or colours <= {*plots.OKABE_ITO, "#D9D9D9"}, scale


# ----------------------------------------------------------------------------- states


def test_state_heatmap_puts_units_on_y_time_on_x_and_masks_padding():
    values = np.tanh(RNG.normal(size=(T, N_UNITS)))
    valid = np.arange(T) < 5
    fig = plots.state_heatmap(values, valid, state_name="c")
    (heatmap,) = fig.data
    assert isinstance(heatmap, go.Heatmap)
    z = np.asarray(heatmap.z, dtype=float)
    assert z.shape == (N_UNITS, T)
    np.testing.assert_array_equal(z[:, :5], values.T[:, :5])
    assert np.isnan(z[:, 5:]).all()
    np.testing.assert_array_equal(heatmap.x, np.arange(T))
    np.testing.assert_array_equal(heatmap.y, np.arange(N_UNITS))
    assert fig.layout.xaxis.title.text == "time step t"
    assert fig.layout.yaxis.title.text == "unit"
    assert (heatmap.zmin, heatmap.zmax, heatmap.zmid) == (-1.0, 1.0, 0.0)
    assert heatmap.colorscale == go.Heatmap(colorscale="RdBu").colorscale
    assert fig.layout.plot_bgcolor == plots.PADDING_GREY
    assert fig.layout.meta["padded_steps"] == [5, 6]


def test_state_heatmap_without_mask_shows_everything_and_widens_range_for_large_values():
    values = RNG.normal(size=(T, N_UNITS))
    values[2, 1] = -3.5
    fig = plots.state_heatmap(values)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z, dtype=float), values.T)
    assert (fig.data[0].zmin, fig.data[0].zmax) == (-3.5, 3.5)
    fixed = plots.state_heatmap(values, value_range=(-1, 1))
    assert (fixed.data[0].zmin, fixed.data[0].zmax) == (-1.0, 1.0)


def test_unit_lines_one_trace_per_unit_with_padding_greyed():
    values = RNG.normal(size=(T, N_UNITS))
    valid = np.array([False, True, True, True, True, False, False])  # pre- and post-padding
    fig = plots.unit_lines(values, [2, 0], valid)
    assert [t.name for t in fig.data] == ["unit 2", "unit 0"]
    assert all(isinstance(t, go.Scatter) for t in fig.data)
    y = np.asarray(fig.data[0].y, dtype=float)
    np.testing.assert_array_equal(y[1:5], values[1:5, 2])
    assert np.isnan(y[[0, 5, 6]]).all()
    assert vrects(fig) == [(-0.5, 0.5), (4.5, 6.5)]
    assert fig.layout.xaxis.title.text == "time step t"


# --------------------------------------------------------------------------------- PCA


def plane_data(n_points=200, n_units=6, seed=0):
    """Points on a known 2-D plane (offset from the origin) inside R^n."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(n_units, 2)))  # [n, 2] orthonormal
    coefficients = rng.normal(size=(n_points, 2)) * np.array([3.0, 1.0])
    return coefficients @ basis.T + rng.normal(size=n_units), basis


def test_pca_recovers_a_plane_and_matches_eigh_of_the_covariance():
    states, plane = plane_data()
    coords, ratio = plots.pca_project(states, 2)
    assert coords.shape == (200, 2) and ratio.shape == (2,)
    assert ratio.sum() == pytest.approx(1.0, abs=1e-10)

    covariance = np.cov(states, rowvar=False)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)  # ascending
    np.testing.assert_allclose(ratio, eigenvalues[::-1][:2] / eigenvalues.sum(), rtol=1e-8, atol=1e-12)

    basis = plots.fit_pca(states, 2)
    top = eigenvectors[:, ::-1][:, :2]
    for component, reference in zip(basis.components, top.T):  # same axes up to sign
        assert abs(component @ reference) == pytest.approx(1.0, abs=1e-8)
    # the fitted plane is the true plane: equal projection matrices
    np.testing.assert_allclose(basis.components.T @ basis.components, plane @ plane.T, atol=1e-8)
    # and the points are reconstructed exactly from 2 coordinates
    np.testing.assert_allclose(basis.mean + coords @ basis.components, states, atol=1e-8)


def test_pca_sign_convention_and_bad_k():
    states, _ = plane_data(seed=3)
    first = plots.fit_pca(states, 2)
    again = plots.fit_pca(-states + 0.0, 2)  # mirrored data: same axes, same signs
    np.testing.assert_allclose(first.components, again.components, atol=1e-8)
    with pytest.raises(ValueError, match=r"k must .*got 7"):
        plots.fit_pca(states, 7)
    with pytest.raises(ValueError, match=r"states must be a 2-D .*got shape \(200,\)"):
        plots.pca_project(states[:, 0], 1)


def trajectory_inputs():
    states = RNG.normal(size=(4, T, 5))
    valid = lengths_to_valid([7, 5, 3, 6], T)
    return states, valid


def test_trajectories_one_trace_per_sample_padding_excluded_time_colours():
    states, valid = trajectory_inputs()
    fig = plots.state_trajectories(states, valid)
    assert len(fig.data) == 4 and all(isinstance(t, go.Scatter) for t in fig.data)
    basis = plots.fit_pca(states[valid], 2)
    for b, trace in enumerate(fig.data):
        steps = np.flatnonzero(valid[b])
        np.testing.assert_array_equal(trace.marker.color, steps)
        expected = basis.project(states[b, steps])
        np.testing.assert_allclose(np.c_[trace.x, trace.y], expected, atol=1e-10)
        assert (trace.marker.cmin, trace.marker.cmax) == (0, T - 1)
        assert trace.marker.colorscale == go.Scatter(marker=dict(colorscale="Viridis")).marker.colorscale
    assert [t.marker.showscale for t in fig.data] == [True, False, False, False]
    assert fig.layout.xaxis.title.text.startswith("PC1 (")
    assert "% of variance" in fig.layout.yaxis.title.text


def test_trajectories_up_to_step_keeps_axes_fixed():
    states, valid = trajectory_inputs()
    full = plots.state_trajectories(states, valid)
    partial = plots.state_trajectories(states, valid, up_to_step=2)
    assert [len(t.x) for t in partial.data] == [3, 3, 3, 3]
    assert partial.layout.xaxis.range == full.layout.xaxis.range
    assert partial.layout.yaxis.range == full.layout.yaxis.range
    with pytest.raises(ValueError, match=r"up_to_step .*got 7"):
        plots.state_trajectories(states, valid, up_to_step=T)


def test_trajectories_coloured_by_label_with_one_legend_entry_per_label():
    states, valid = trajectory_inputs()
    fig = plots.state_trajectories(states, valid, labels=np.array([1, 0, 1, 0]))
    colours = [t.line.color for t in fig.data]
    assert colours[0] == colours[2] != colours[1] == colours[3]
    assert [t.showlegend for t in fig.data] == [True, True, False, False]
    assert [t.legendgroup for t in fig.data] == ["label 1", "label 0", "label 1", "label 0"]


def test_trajectories_3d_and_fixed_basis_across_epochs():
    states_a, valid = trajectory_inputs()
    states_b = states_a * 1.5 + 0.2  # "a later epoch"
    basis = plots.fit_pca(np.concatenate([states_a[valid], states_b[valid]]), 3)
    fig_a = plots.state_trajectories(states_a, valid, dims=3, basis=basis)
    fig_b = plots.state_trajectories(states_b, valid, dims=3, basis=basis)
    assert all(isinstance(t, go.Scatter3d) for t in fig_a.data)
    for axis in ("xaxis", "yaxis", "zaxis"):
        assert fig_a.layout.scene[axis].range == fig_b.layout.scene[axis].range
        assert fig_a.layout.scene[axis].title.text
    steps = np.flatnonzero(valid[1])
    np.testing.assert_allclose(
        np.c_[fig_b.data[1].x, fig_b.data[1].y, fig_b.data[1].z], basis.project(states_b[1, steps]), atol=1e-10
    )


def test_trajectories_bad_input():
    states, valid = trajectory_inputs()
    with pytest.raises(ValueError, match=r"states must be a 3-D .*got shape \(7, 5\)"):
        plots.state_trajectories(states[0], valid[0])
    with pytest.raises(ValueError, match=r"valid must have shape \(4, 7\).*got shape \(4, 6\)"):
        plots.state_trajectories(states, valid[:, :6])
    with pytest.raises(ValueError, match=r"labels must have shape \(4,\).*got shape \(3,\)"):
        plots.state_trajectories(states, valid, labels=[0, 1, 0])
    with pytest.raises(ValueError, match=r"dims must be 2 or 3; got 4"):
        plots.state_trajectories(states, valid, dims=4)
    with pytest.raises(ValueError, match=r"basis must have >= 3 components"):
        plots.state_trajectories(states, valid, dims=3, basis=plots.fit_pca(states[valid], 2))


def numpy_pca(points, k):
    """An independent PCA (eigh of the covariance) -> (components [k, n], share of the variance [k])."""
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(points, rowvar=False))  # ascending
    return eigenvectors[:, ::-1][:, :k].T, eigenvalues[::-1][:k] / eigenvalues.sum()


def shares_along(points, components):
    """The share of points' own variance along each (orthonormal) component, computed directly."""
    centred = points - points.mean(axis=0)
    return np.array([np.var(centred @ c) for c in components]) / np.var(centred, axis=0).sum()


def test_trajectories_axes_state_the_variance_of_the_states_drawn():
    states, valid = trajectory_inputs()
    fig = plots.state_trajectories(states, valid)
    _, share = numpy_pca(states[valid], 2)
    assert fig.layout.xaxis.title.text == f"PC1 ({100 * share[0]:.1f}% of variance)"
    assert fig.layout.yaxis.title.text == f"PC2 ({100 * share[1]:.1f}% of variance)"
    np.testing.assert_allclose(fig.layout.meta["explained_variance_ratio"], share, rtol=1e-8)
    np.testing.assert_allclose(fig.layout.meta["variance_shown"], share, rtol=1e-8)
    assert fig.layout.meta["basis_of"] == "these states"
    # the same basis passed in (fitted on these very states) is still the plain truth
    again = plots.state_trajectories(states, valid, basis=plots.fit_pca(states[valid], 2))
    assert again.layout.xaxis.title.text == fig.layout.xaxis.title.text


def test_trajectories_in_another_traces_basis_say_whose_axes_and_variance_they_are():
    """An epoch-0 snapshot drawn in the final model's PCA: the axes' percentages are the final model's, and the
    axis titles say so; the share of the snapshot's own variance along them is in the reading and the meta."""
    rng = np.random.default_rng(7)
    final = rng.normal(size=(4, T, 5)) * np.array([3.0, 2.0, 1.0, 0.5, 0.2])
    early = rng.normal(size=(4, T, 5)) * np.array([0.2, 0.5, 1.0, 2.0, 3.0])  # varies along other units
    valid = lengths_to_valid([7, 5, 3, 6], T)
    basis = plots.fit_pca(final[valid], 3)
    components, share = numpy_pca(final[valid], 3)
    own = shares_along(early[valid], components)
    for dims in (2, 3):
        fig = plots.state_trajectories(early, valid, dims=dims, basis=basis, basis_of="the final model's h")
        titles = [t for t in axis_titles(fig).values() if t]
        assert titles == [f"PC{i + 1} of the final model's h ({100 * share[i]:.1f}% of its variance)"
                          for i in range(dims)]
        np.testing.assert_allclose(fig.layout.meta["explained_variance_ratio"], share[:dims], rtol=1e-8)
        np.testing.assert_allclose(fig.layout.meta["variance_shown"], own[:dims], rtol=1e-8)
        assert fig.layout.meta["basis_of"] == "the final model's h"
        reading = plots.how_to_read(fig)
        assert "principal components of the final model's h, not of these" in reading
        assert " and ".join(f"{100 * r:.1f}%" for r in own[:dims]) + " of these states' variance" in reading
    assert not np.allclose(own[:2], share[:2], atol=0.05)  # the numbers the student saw would have been wrong
    # a basis from other states without a name: not the plain "% of variance" either
    unnamed = plots.state_trajectories(early, valid, basis=basis)
    assert unnamed.layout.xaxis.title.text == f"PC1 of the given basis ({100 * share[0]:.1f}% of its data's variance)"


def test_trajectories_legend_names_classes_by_their_names():
    """The legend says "label speaker 2", as the sample picker and the heatmap title do, not the class code."""
    states, valid = trajectory_inputs()
    names = ["speaker 1", "speaker 2"]
    fig = plots.state_trajectories(states, valid, labels=np.array([1, 0, 1, 0]), class_names=names)
    assert [t.name for t in fig.data] == ["label speaker 2", "label speaker 1", "label speaker 2", "label speaker 1"]
    assert [t.name for t in fig.data if t.showlegend] == ["label speaker 2", "label speaker 1"]
    assert all(t.hovertemplate.startswith(t.name + "<br>") for t in fig.data)
    per_step = plots.state_trajectories(states, valid, labels=(np.arange(T)[None, :] % 2).repeat(4, 0),
                                        class_names=["even", "odd"])
    assert sorted(t.name for t in per_step.data if t.showlegend) == ["label even", "label odd"]
    plain = plots.state_trajectories(states, valid, labels=np.array([1, 0, 1, 0]))  # no names: the codes
    assert [t.name for t in plain.data if t.showlegend] == ["label 1", "label 0"]


# -------------------------------------------------------------------------------- gates


def test_gate_heatmaps_one_subplot_per_gate_fixed_ranges_shared_time():
    gates = {g: RNG.random((T, N_UNITS)) for g in ("input", "forget", "output")}
    gates["candidate"] = np.tanh(RNG.normal(size=(T, N_UNITS)))
    valid = np.arange(T) < 6
    fig = plots.gate_heatmaps(gates, valid)
    assert [t.name for t in fig.data] == list(gates)
    assert all(isinstance(t, go.Heatmap) for t in fig.data)
    for trace, (gate, values) in zip(fig.data, gates.items()):
        z = np.asarray(trace.z, dtype=float)
        assert z.shape == (N_UNITS, T)
        np.testing.assert_array_equal(z[:, :6], values.T[:, :6])
        assert np.isnan(z[:, 6]).all()
    assert [t.coloraxis for t in fig.data] == ["coloraxis"] * 3 + ["coloraxis2"]
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (0.0, 1.0)
    assert fig.layout.coloraxis.colorscale == go.Heatmap(colorscale="Viridis").colorscale
    assert (fig.layout.coloraxis2.cmin, fig.layout.coloraxis2.cmax, fig.layout.coloraxis2.cmid) == (-1.0, 1.0, 0.0)
    # shared time axis: the lower x axes follow the bottom one, which carries the title
    assert fig.layout.xaxis.matches == "x4" and fig.layout.xaxis4.title.text == "time step t"
    assert all(fig.layout[f"yaxis{i if i > 1 else ''}"].title.text == "unit" for i in range(1, 5))


def test_gate_heatmaps_bad_input_names_argument_and_shape():
    with pytest.raises(ValueError, match=r"gates has unknown gate name\(s\) \['forgot'\]"):
        plots.gate_heatmaps({"forgot": RNG.random((T, N_UNITS))})
    with pytest.raises(ValueError, match=r"gates must all have the same shape.*\(7, 3\).*\(7, 4\)"):
        plots.gate_heatmaps({"input": RNG.random((T, 3)), "forget": RNG.random((T, 4))})
    with pytest.raises(ValueError, match=r"gates\['input'\] must be a 2-D .*got shape \(2, 7, 3\)"):
        plots.gate_heatmaps({"input": RNG.random((2, T, 3))})
    with pytest.raises(ValueError, match=r"valid must have shape \(7,\).*got shape \(5,\)"):
        plots.gate_heatmaps({"input": RNG.random((T, 3))}, np.ones(5, bool))
    with pytest.raises(ValueError, match=r"gates must be a non-empty dict"):
        plots.gate_heatmaps({})


def test_gate_saturation_counts_only_valid_entries():
    forget = np.full((2, 4, 2), 0.5)
    forget[0, 0] = [0.01, 0.99]  # valid: one closed, one open
    forget[0, 1] = [0.02, 0.5]  # valid: one closed
    forget[1, 3] = [0.0, 0.0]  # padded: must not count
    candidate = np.zeros((2, 4, 2))
    candidate[0, 0] = [-0.95, 0.95]  # beyond -0.9 / 0.9: saturated tanh
    valid = lengths_to_valid([4, 2], 4)  # 6 valid steps x 2 units = 12 entries
    fig = plots.gate_saturation({"forget": forget, "candidate": candidate}, valid)
    closed, opened = fig.data
    assert isinstance(closed, go.Bar) and list(closed.x) == ["forget", "candidate"]
    np.testing.assert_allclose(closed.y, [2 / 12, 1 / 12])
    np.testing.assert_allclose(opened.y, [1 / 12, 1 / 12])
    assert list(fig.layout.yaxis.range) == [0, 1.05]
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    with pytest.raises(ValueError, match=r"gates has unknown gate name\(s\) \['h'\]"):
        plots.gate_saturation({"h": forget}, valid)
    with pytest.raises(ValueError, match=r"gates\['forget'\] must be a 3-D .*got shape \(4, 2\)"):
        plots.gate_saturation({"forget": forget[0]})
    with pytest.raises(ValueError, match=r"gates must all share \[B, T\]"):
        plots.gate_saturation({"forget": forget, "input": forget[:, :3]})


# ---------------------------------------------------------------------------- gradients


def test_gradient_norms_mean_and_band_over_valid_samples_on_log_axis():
    norms = np.array([[1.0, 2.0, 4.0, 8.0], [3.0, 6.0, 100.0, 100.0]])
    valid = lengths_to_valid([4, 2], 4)
    fig = plots.gradient_norms({"lstm": norms, "gru": norms / 10}, valid)
    assert len(fig.data) == 6  # upper, lower, mean per layer
    upper, lower, mean = fig.data[:3]
    np.testing.assert_allclose(mean.y, [2.0, 4.0, 4.0, 8.0])
    np.testing.assert_allclose(upper.y, [2.8, 5.6, 4.0, 8.0])
    np.testing.assert_allclose(lower.y, [1.2, 2.4, 4.0, 8.0])
    assert lower.fill == "tonexty" and mean.name == "lstm" and fig.data[5].name == "gru"
    np.testing.assert_array_equal(mean.customdata, [2, 2, 1, 1])
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis.title.text == "||dL/dh_t|| (log scale)"
    assert fig.layout.xaxis.title.text == "time step t"


def test_gradient_norms_step_with_no_valid_sample_is_blank_and_grey():
    norms = RNG.random((2, 5)) + 0.1
    valid = lengths_to_valid([3, 2], 5)
    fig = plots.gradient_norms(norms, valid)  # a bare [B, T] array is one layer
    mean = np.asarray(fig.data[2].y, dtype=float)
    assert np.isnan(mean[3:]).all() and np.isfinite(mean[:3]).all()
    assert vrects(fig) == [(2.5, 4.5)]
    with pytest.raises(ValueError, match=r"norms\['a'\] must be a 2-D .*got shape \(2, 5, 1\)"):
        plots.gradient_norms({"a": norms[:, :, None]})
    with pytest.raises(ValueError, match=r"valid must have shape \(2, 5\).*got shape \(5,\)"):
        plots.gradient_norms(norms, valid[0])


def test_gradient_norms_side_by_side_shares_log_y():
    fig = plots.gradient_norms_side_by_side(
        {"simple_rnn": RNG.random((3, 6))}, RNG.random((2, 4)), left_name="SimpleRNN", right_name="LSTM",
        left_valid=lengths_to_valid([6, 4, 2], 6),
    )
    assert len(fig.data) == 6
    assert {t.xaxis for t in fig.data[:3]} == {"x"} and {t.xaxis for t in fig.data[3:]} == {"x2"}
    assert fig.data[5].name == "LSTM"
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type == "log"
    assert fig.layout.yaxis2.matches == "y"
    assert [a.text for a in fig.layout.annotations][:2] == ["SimpleRNN", "LSTM"]
    with pytest.raises(ValueError, match=r"right_valid must have shape \(2, 4\).*got shape \(3, 6\)"):
        plots.gradient_norms_side_by_side(RNG.random((3, 6)), RNG.random((2, 4)), right_valid=np.ones((3, 6)))


# ------------------------------------------------------------------------------ padding


def test_padding_grid_categories_markers_and_disagreement():
    x = np.ones((3, 6, 2))
    x[0, 4:] = 0  # post-padded, length 4
    x[1, 2] = 0  # a real all-zero step inside
    x[1, 5] = 0
    x[2, :2] = 0  # pre-padded
    lengths = {"true": [4, 5, 6], "TFLearn": [4, 4, 4], "first zero": [4, 2, 0]}
    fig = plots.padding_grid(x, lengths)
    heatmap, *markers = fig.data
    z = np.asarray(heatmap.z)
    assert z.shape == (3, 6)  # samples on y, time on x
    np.testing.assert_array_equal(
        z, [[0, 0, 0, 0, 2, 2], [0, 0, 1, 0, 0, 2], [2, 2, 0, 0, 0, 0]]
    )
    assert (heatmap.zmin, heatmap.zmax) == (-0.5, 2.5)
    assert [m.name for m in markers] == ["true length ends", "TFLearn length ends", "first zero length ends"]
    np.testing.assert_allclose(markers[1].x, [3.5, 3.5, 3.5])  # ends between step L-1 and L
    assert len({m.marker.symbol for m in markers}) == 3
    assert fig.layout.meta["disagree"] == [1, 2]
    frames = [s for s in fig.layout.shapes if s.type == "rect"]
    assert sorted((s.y0 + s.y1) / 2 for s in frames) == [1, 2]
    assert list(fig.layout.yaxis.ticktext) == ["0", "≠ 1", "≠ 2"]
    assert fig.layout.xaxis.title.text == "time step t" and "sample" in fig.layout.yaxis.title.text


def test_padding_grid_bad_input():
    x = np.ones((3, 6, 2))
    with pytest.raises(ValueError, match=r"lengths\['true'\] must have shape \(3,\).*got shape \(2,\)"):
        plots.padding_grid(x, {"true": [1, 2]})
    with pytest.raises(ValueError, match=r"lengths\['true'\] must be ints in \[0, 6\]"):
        plots.padding_grid(x, {"true": [1, 2, 9]})
    with pytest.raises(ValueError, match=r"x must be a 3-D .*got shape \(6, 2\)"):
        plots.padding_grid(x[0], {})


def test_dynamic_comparison_marks_returned_steps():
    on = np.tanh(RNG.normal(size=(T, N_UNITS)))
    on[5:] = 0.0
    off = np.tanh(RNG.normal(size=(T, N_UNITS)))
    fig = plots.dynamic_comparison(on, off, np.arange(T) < 5)
    left, right = fig.data
    np.testing.assert_array_equal(np.asarray(left.z, dtype=float), on.T)
    np.testing.assert_array_equal(np.asarray(right.z, dtype=float), off.T)
    assert left.coloraxis == right.coloraxis == "coloraxis"
    assert fig.layout.coloraxis.cmid == 0.0
    assert fig.layout.meta["returned_steps"] == {"dynamic": 4, "static": 6}
    frames = [(s.x0 + s.x1) / 2 for s in fig.layout.shapes if s.line.color == plots.HIGHLIGHT]
    assert sorted(frames) == [4, 6]
    assert vrects(fig) == [(4.5, 6.5), (4.5, 6.5)]  # padded steps veiled on both sides
    assert any("return_seq=False" in a.text for a in fig.layout.annotations)
    explicit = plots.dynamic_comparison(on, off, returned_step_dynamic=2, returned_step_static=3)
    assert explicit.layout.meta["returned_steps"] == {"dynamic": 2, "static": 3}
    with pytest.raises(ValueError, match=r"output_static must have the same shape .*\(7, 3\); got shape \(6, 3\)"):
        plots.dynamic_comparison(on, off[:6])
    with pytest.raises(ValueError, match=r"returned_step_dynamic must be a time step in \[0, 7\); got 9"):
        plots.dynamic_comparison(on, off, returned_step_dynamic=9)


# ----------------------------------------------------------------------------- training


def test_training_curves_loss_and_metric_panels():
    frame = history()
    frame["note"] = "x"  # non-numeric columns are ignored
    fig = plots.training_curves(frame)
    assert [t.name for t in fig.data] == ["loss", "val_loss", "accuracy", "val_accuracy"]
    assert [t.line.dash for t in fig.data] == ["solid", "dash", "solid", "dash"]
    assert [t.xaxis for t in fig.data] == ["x", "x", "x2", "x2"]
    np.testing.assert_allclose(fig.data[1].y, frame["val_loss"])
    assert fig.layout.xaxis.title.text == "epoch" and fig.layout.yaxis.title.text.startswith("loss")
    assert fig.layout.yaxis2.title.text == "metric value"
    only_loss = plots.training_curves(history(val=False, metric=False))
    assert [t.name for t in only_loss.data] == ["loss"]


def test_training_curves_bad_input_and_empty_history():
    with pytest.raises(ValueError, match=r"history must have columns 'epoch' and 'loss'; missing \['loss'\]"):
        plots.training_curves(pd.DataFrame({"epoch": [1], "acc": [0.5]}))
    with pytest.raises(ValueError, match=r"history must be a pandas DataFrame .*got dict"):
        plots.training_curves({"epoch": [1], "loss": [1.0]})
    empty = plots.training_curves(pd.DataFrame({"epoch": [], "loss": []}))  # before the first epoch ends
    assert len(empty.data) == 1


def test_training_curves_overlay_one_colour_per_run():
    fig = plots.training_curves_overlay({"lstm": history(), "gru": history(5, val=False)})
    names = [t.name for t in fig.data]
    assert names == ["lstm: loss", "lstm: val_loss", "lstm: accuracy", "lstm: val_accuracy", "gru: loss", "gru: accuracy", "gru: val_accuracy"]
    colours = {t.legendgroup: t.line.color for t in fig.data}
    assert colours["lstm"] != colours["gru"]
    assert fig.layout.meta["metric"] == "accuracy"
    with pytest.raises(ValueError, match=r"metric must be a column of every run; got 'f1'"):
        plots.training_curves_overlay({"a": history()}, metric="f1")
    with pytest.raises(ValueError, match=r"runs\['b'\] must have columns"):
        plots.training_curves_overlay({"a": history(), "b": pd.DataFrame({"epoch": [1]})})


# ------------------------------------------------------------------------ interventions


def test_intervention_before_after_lines_and_marker():
    before = RNG.normal(size=(T, 10))
    after = before.copy()
    after[3:, 7] += 2.0
    after[3:, 1] += 1.0
    fig = plots.intervention_before_after(before, after, 3, valid=np.arange(T) < 6)
    assert fig.layout.meta["units"] == [1, 7]  # only the units that change, by default
    assert len(fig.data) == 4
    first_before, first_after = fig.data[:2]
    assert first_before.line.dash == "solid" and first_after.line.dash == "dash"
    assert first_before.line.color == first_after.line.color
    np.testing.assert_array_equal(np.asarray(first_after.y, dtype=float)[:6], after[:6, 1])
    assert np.isnan(np.asarray(first_after.y, dtype=float)[6])
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(lines) == 1 and lines[0].x0 == lines[0].x1 == 3
    assert vrects(fig) == [(5.5, 6.5)]


def test_intervention_accepts_one_unit_and_checks_input():
    fig = plots.intervention_before_after(np.zeros(T), np.ones(T), 0)
    assert len(fig.data) == 2 and fig.data[0].name == "h before"
    chosen = plots.intervention_before_after(np.zeros((T, 4)), np.ones((T, 4)), 2, units=[3])
    assert [t.name for t in chosen.data] == ["unit 3 before", "unit 3 after"]
    with pytest.raises(ValueError, match=r"after must have the same shape as before \(7, 4\); got shape \(7, 3\)"):
        plots.intervention_before_after(np.zeros((T, 4)), np.zeros((T, 3)), 1)
    with pytest.raises(ValueError, match=r"start_step must be a time step in \[0, 7\); got 7"):
        plots.intervention_before_after(np.zeros(T), np.zeros(T), 7)
    with pytest.raises(ValueError, match=r"units must be a non-empty list of unit indices in \[0, 4\); got \[4\]"):
        plots.intervention_before_after(np.zeros((T, 4)), np.zeros((T, 4)), 1, units=[4])
    with pytest.raises(ValueError, match=r"before must be a 1-D or 2-D array .*got shape \(2, 7, 4\)"):
        plots.intervention_before_after(np.zeros((2, T, 4)), np.zeros((2, T, 4)), 1)


def test_state_functions_reject_bad_shapes():
    with pytest.raises(ValueError, match=r"values must be a 2-D array \[T, n\].*got shape \(2, 7, 3\) \(3-D\)"):
        plots.state_heatmap(np.zeros((2, T, 3)))
    with pytest.raises(ValueError, match=r"valid must have shape \(7,\).*got shape \(6,\)"):
        plots.state_heatmap(np.zeros((T, 3)), np.ones(6, bool))
    with pytest.raises(ValueError, match=r"units must be a non-empty list .*\[0, 3\); got \[5\]"):
        plots.unit_lines(np.zeros((T, 3)), [5])
    with pytest.raises(ValueError, match=r"values must be a numeric array"):
        plots.unit_lines([["a", "b"]], [0])
    assert issubclass(plots.PlotInputError, ValueError)


def test_training_curves_leave_out_timing_columns():
    history = pd.DataFrame({"epoch": [1, 2], "loss": [1.0, 0.5], "mae": [0.9, 0.4], "seconds": [1.2, 2.5]})
    fig = plots.training_curves(history)
    names = {trace.name for trace in fig.data}
    assert any("mae" in name for name in names)
    assert not any("seconds" in name for name in names)


def test_dynamic_comparison_labels_the_value_it_shows():
    values = np.zeros((5, 3))
    fig = plots.dynamic_comparison(values, values, np.ones(5, bool), value_name="c")
    assert fig.layout.coloraxis.colorbar.title.text == "c"
    assert "c=" in fig.data[0].hovertemplate


def test_a_long_class_name_list_stays_out_of_the_legend_title_and_in_the_hover():
    """Nine speakers' names in the legend's title widened the legend until it squeezed the plot (presentation mode)."""
    rng = np.random.default_rng(0)
    states = rng.normal(size=(9, 6, 4))
    labels = np.arange(9)
    names = [f"speaker {k + 1}" for k in range(9)]
    fig = plots.state_trajectories(states, labels=labels, class_names=names)
    assert fig.layout.legend.title.text == "label"  # the entries name the speakers
    assert [t.name for t in fig.data if t.showlegend] == [f"label speaker {k + 1}" for k in range(9)]
    hovers = [t.hovertemplate for t in fig.data if t.legendgroup]
    assert all(h.startswith(f"label speaker {k + 1}<br>") for k, h in enumerate(hovers))
    short = plots.state_trajectories(states[:2], labels=np.array([0, 1]), class_names=["even", "odd"])
    assert short.layout.legend.title.text == "label: 0 = even, 1 = odd"
