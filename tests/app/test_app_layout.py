"""The app's layout: no import cycle among app modules, and the UI helpers (app/ui) apart from the training
orchestration (app/session). Static: every module under app/ is parsed with ast, nothing is imported."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
UI = "app.ui"
ORCHESTRATION = "app.session"


def module_name(path: Path) -> str:
    """app/ui/widgets.py -> 'app.ui.widgets'; app/ui/__init__.py -> 'app.ui' (pages: 'app.app_pages.build')."""
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def app_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(APP.rglob("*.py"))}


def _resolve(name: str, known: set[str]) -> str | None:
    """'app.ui.widgets' -> the longest prefix that is a module under app/ (None outside app)."""
    parts = name.split(".")
    if parts[0] != "app":
        return None
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def imports_of(path: Path, module: str, known: set[str]) -> set[str]:
    """The app modules ``module`` imports anywhere in its file (module level and inside functions)."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [_resolve(alias.name, known) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x / from ..session import jobs
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from app.ui import widgets` imports the module app.ui.widgets; `from app.errors import error_message`
            # imports a name of app.errors
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else _resolve(base, known)
                       for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target is not None and target != module)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = app_modules()
    known = set(modules)
    return {name: imports_of(path, name, known) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as [a, b, ..., a] (None when there is none); deterministic (sorted order)."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {node: WHITE for node in graph}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = GREY
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt, WHITE) == GREY:
                return stack[stack.index(nxt):] + [nxt]
            if colour.get(nxt, WHITE) == WHITE:
                colour.setdefault(nxt, WHITE)
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        colour[node] = BLACK
        return None

    for node in sorted(graph):
        if colour[node] == WHITE:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_cycle_finder_detects_a_two_module_cycle():
    assert find_cycle({"app.a": {"app.b"}, "app.b": {"app.a"}, "app.c": set()}) == ["app.a", "app.b", "app.a"]
    assert find_cycle({"app.a": {"app.b"}, "app.b": {"app.c"}, "app.c": {"app.a"}}) == [
        "app.a", "app.b", "app.c", "app.a"]
    assert find_cycle({"app.a": {"app.b", "app.c"}, "app.b": {"app.c"}, "app.c": set()}) is None


def test_graph_sees_module_and_function_level_imports():
    graph = import_graph()
    assert "app.state" in graph["app.streamlit_app"]  # module level: from app import state
    assert "app.ui.messages" in graph["app.streamlit_app"]  # from app.ui import messages, sidebar
    assert "app.errors" in graph["app.session.jobs"]  # from app.errors import error_message
    assert "app.ui.layer_editor" in graph["app.app_pages.gradients"]  # inside a function


def test_app_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle among app modules: " + " -> ".join(cycle)


def _crossings(source: str, forbidden: str) -> list[str]:
    graph = import_graph()
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module == source or module.startswith(source + ".")
        for target in targets
        if target == forbidden or target.startswith(forbidden + ".")
    )


def test_ui_never_imports_training_orchestration():
    assert (APP / "ui").is_dir() and (APP / "session").is_dir()
    assert _crossings(UI, ORCHESTRATION) == []


def test_training_orchestration_never_imports_ui():
    assert _crossings(ORCHESTRATION, UI) == []
