"""The house rules of rnnlab/: rooms by concern, imports flowing one way, no streamlit in the library.

    layers (with padding, errors) <- probes <- experiments <- cli / app;  datasets <- experiments;
    plots import numpy, pandas and plotly only.

Imports are read from the source with ``ast`` (module level and inside functions alike), so a lazy import
inside a function breaks a rule as much as one at the top.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "rnnlab"
MAX_LINES = 500

# room -> the rooms it may import from (itself always allowed). "rnnlab" is the package's public face,
# rnnlab/__init__.py, which re-exports layers and probes.
ALLOWED = {
    "errors": set(),
    "_tensorflow": set(),
    "padding": {"errors"},
    "layers": {"errors", "_tensorflow", "padding"},
    "probes": {"errors", "_tensorflow", "padding", "layers", "rnnlab"},
    "datasets": {"errors", "padding"},
    "plots": set(),
    "experiments": {"errors", "_tensorflow", "padding", "layers", "probes", "datasets", "plots", "rnnlab"},
    "cli": {"errors", "_tensorflow", "padding", "layers", "probes", "datasets", "experiments", "rnnlab"},
    "__init__": {"errors", "_tensorflow", "layers", "probes"},
}
PLOTS_MAY_IMPORT = {"numpy", "pandas", "plotly"}


def library_modules() -> list[Path]:
    return sorted(p for p in LIBRARY.rglob("*.py") if "__pycache__" not in p.parts)


def room_of(path: Path) -> str:
    relative = path.relative_to(LIBRARY)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_names(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in the file; relative imports resolved to rnnlab.*."""
    package = ["rnnlab", *path.relative_to(LIBRARY).parts[:-1]]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if module == "rnnlab":  # from rnnlab import datasets -> the room named, else the public face
                found += [(node.lineno, f"rnnlab.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
    return found


def rnnlab_room(module: str) -> str | None:
    """'rnnlab.layers.cells' -> 'layers'; 'rnnlab' or 'rnnlab.lstm' (a public name) -> 'rnnlab'; else None."""
    parts = module.split(".")
    if parts[0] != "rnnlab":
        return None
    if len(parts) == 1 or not (LIBRARY / parts[1]).exists() and not (LIBRARY / f"{parts[1]}.py").exists():
        return "rnnlab"
    return parts[1]


def violations(paths) -> list[str]:
    problems = []
    for path in paths:
        room = room_of(path)
        for line, module in imported_names(path):
            top = module.split(".")[0]
            where = f"{path.relative_to(ROOT)}:{line} imports {module}"
            if top == "streamlit" or top == "app":
                problems.append(f"{where}: the library never imports the app or streamlit")
            inside_plots = module == "rnnlab.plots" or module.startswith("rnnlab.plots.")
            if room == "plots" and not inside_plots and top not in PLOTS_MAY_IMPORT | sys.stdlib_module_names:
                problems.append(f"{where}: plots import numpy, pandas and plotly only")
            target = rnnlab_room(module)
            if target is not None and target != room and target not in ALLOWED[room]:
                problems.append(f"{where}: {room} may import only {sorted(ALLOWED[room])}")
    return problems


def test_every_room_imports_only_the_rooms_below_it():
    assert violations(library_modules()) == []


def test_the_import_rule_catches_an_upward_import(tmp_path, monkeypatch):
    """The checker itself can fail: a layer module importing probes, a plot importing TensorFlow."""
    fake = tmp_path / "rnnlab"
    (fake / "layers").mkdir(parents=True)
    (fake / "plots").mkdir()
    (fake / "probes").mkdir()
    (fake / "layers" / "bad.py").write_text("def f():\n    from rnnlab.probes import probe\n")
    (fake / "plots" / "bad.py").write_text("import tensorflow as tf\nfrom .style import HIGHLIGHT\n")
    monkeypatch.setattr(sys.modules[__name__], "LIBRARY", fake)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = violations(sorted(fake.rglob("*.py")))
    assert any("layers/bad.py:2 imports rnnlab.probes" in p for p in found), found
    assert any("plots/bad.py:1 imports tensorflow" in p for p in found), found
    assert not any("rnnlab.plots.style" in p for p in found), found  # a relative import inside plots is fine


@pytest.mark.parametrize("folder", ["rnnlab", "app"])
def test_no_module_is_over_500_lines(folder):
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in p.parts and (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_importing_all_of_rnnlab_imports_no_streamlit():
    code = (
        "import importlib, pkgutil, sys\n"
        "import rnnlab\n"
        "names = [m.name for m in pkgutil.walk_packages(rnnlab.__path__, 'rnnlab.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(len(names), 'streamlit' in sys.modules, 'app' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    count, streamlit, app = result.stdout.split()
    assert int(count) >= 30 and streamlit == "False" and app == "False", result.stdout
