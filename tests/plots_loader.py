"""Load rnnlab/plots straight from its folder, without running rnnlab/__init__.py (which imports TensorFlow),
so the plot tests stay fast and TensorFlow-free. Shared by tests/test_plots.py and tests/test_plots_strips.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

PLOTS_DIR = Path(__file__).resolve().parents[1] / "rnnlab" / "plots"
MODULE_NAME = "_rnnlab_plots_under_test"


def load_plots():
    """-> the rnnlab.plots package, loaded once per process under a private name (relative imports inside work)."""
    if MODULE_NAME in sys.modules:
        return sys.modules[MODULE_NAME]
    spec = importlib.util.spec_from_file_location(
        MODULE_NAME, PLOTS_DIR / "__init__.py", submodule_search_locations=[str(PLOTS_DIR)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
