"""Figures for seeing inside recurrent networks: plain arrays in, plotly Figures out.

Every function here is pure: it takes NumPy arrays (or pandas DataFrames) and returns a
``plotly.graph_objects.Figure``. Nothing here imports TensorFlow, Keras, Streamlit or the rest of
rnnlab, so the module can be loaded (and tested) on its own.

Shapes follow the house names: batch, time, units (B, T, n); input features D. ``valid`` masks are
bool, True on real time steps and False on padding; padded steps are drawn grey wherever a mask is
given (NaN cells over a grey plot background for heatmaps, grey bands for line charts).

Each figure carries a title, axis titles with units, a colour-blind-safe colour scale (Viridis for
sequential values, ColorBrewer RdBu centred at 0 for signed values, the Okabe-Ito palette for
categories) and a one-line "how to read it": shown as the title's subtitle and stored in
``fig.layout.meta["how_to_read"]`` (see :func:`how_to_read`) so the app can print it too.

Bad input raises :class:`PlotInputError` (a ``ValueError``) naming the argument, echoing the shape
or value received and saying what was expected.
"""

from .cell_steps import cell_step_chart
from .gates import gate_heatmaps, gate_saturation, intervention_before_after
from .gradients import gradient_norms, gradient_norms_side_by_side
from .padding import dynamic_comparison, padding_grid
from .padding_stack import invariance_chart, layer_lengths_chart
from .pca import PCABasis, default_samples, fit_pca, pca_project, state_trajectories
from .states import state_heatmap, unit_lines
from .style import GATE_RANGES, PlotInputError, how_to_read
from .style import CATEGORICAL, HIGHLIGHT, OKABE_ITO, PADDING_GREY  # noqa: F401  (public constants outside __all__)
from .training import training_curves, training_curves_overlay

__all__ = [
    "PlotInputError",
    "PCABasis",
    "GATE_RANGES",
    "how_to_read",
    "state_heatmap",
    "unit_lines",
    "fit_pca",
    "pca_project",
    "state_trajectories",
    "default_samples",
    "gate_heatmaps",
    "gate_saturation",
    "gradient_norms",
    "gradient_norms_side_by_side",
    "padding_grid",
    "dynamic_comparison",
    "layer_lengths_chart",
    "invariance_chart",
    "training_curves",
    "training_curves_overlay",
    "intervention_before_after",
    "cell_step_chart",
]

