"""The architecture, as a test: the packages of ``app/`` form layers, and no package imports one above it.

Every module under ``app/`` is parsed (nothing is imported, so the test is fast and sees
imports inside functions too); each ``import app.x…`` / ``from app.x import …`` is an edge
from the importer's package to the imported one (``app.guard.scanner`` belongs to
``app.guard``; a top-level module such as ``app.shop`` is a package of its own).  The
test fails on a cycle between packages and on any import of a package from a layer at
or above the importer's own (packages of one layer do not import each other).

A new package or top-level module has to be given its layer here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app import PROJECT_ROOT

APP = PROJECT_ROOT / "app"

#: Lowest first.  A package may import the packages of lower layers only.
LAYERS: list[set[str]] = [
    {"app.shop", "app.ranking"},  # plain data: the shop profile, the ranking table
    {"app.text"},  # normalisation, segmentation, entities, the lexicon
    {"app.content"},  # the file formats of intents, templates and variables, and their problems
    # matcher, renderer, guard; the store; the settings (their errors in Chinese come from app.content)
    {"app.matching", "app.rendering", "app.guard", "app.store", "app.config"},
    {"app.engine", "app.stats"},  # the assistant of one content version; the statistics
    {"app.editing"},  # validate, lint, sync between files and store, form views, inbox
    {"app.api"},  # the JSON API
    {"app.web", "app.serving"},  # the pages (over the API's services); the HTTP server
    {"app.cli", "app.main"},  # the command line; the app factory
]
LAYER = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}


def _module_name(path: Path, root: Path = PROJECT_ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str) -> str:
    """``app.guard.scanner`` → ``app.guard``; ``app.shop`` → ``app.shop``; ``app`` → ``app``."""
    return ".".join(module.split(".")[:2])


def _is_module(dotted: str, root: Path) -> bool:
    rel = Path(*dotted.split("."))
    return (root / rel).with_suffix(".py").is_file() or (root / rel / "__init__.py").is_file()


def _imports(path: Path, root: Path = PROJECT_ROOT) -> set[str]:
    """The ``app`` modules ``path`` imports (``from app import serving`` counts as ``app.serving``)."""
    module = _module_name(path, root)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name == "app" or a.name.startswith("app."))
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target != "app" and not target.startswith("app."):
                continue
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names if _is_module(f"{target}.{a.name}", root))
    return found


def package_graph() -> dict[str, dict[str, set[str]]]:
    """``{importer package: {imported package: {file that imports it, …}}}``, the root ``app`` left out."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in sorted(APP.rglob("*.py")):
        source = _package(_module_name(path))
        graph.setdefault(source, {})
        for target in map(_package, _imports(path)):
            if target not in ("app", source):
                graph[source].setdefault(target, set()).add(str(path.relative_to(PROJECT_ROOT)))
    graph.pop("app", None)
    return graph


def find_cycle(graph: dict[str, dict[str, set[str]]]) -> list[str] | None:
    """One cycle of packages (``[a, b, …, a]``), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def layer_violations(graph: dict[str, dict[str, set[str]]]) -> list[str]:
    out = []
    for source, targets in sorted(graph.items()):
        for target, files in sorted(targets.items()):
            if LAYER[target] >= LAYER[source]:
                out.append(f"{source} imports {target} ({', '.join(sorted(files))}): "
                           f"layer {LAYER[source]} may only import lower layers, {target} is in layer {LAYER[target]}")
    return out


@pytest.fixture(scope="module")
def graph():
    return package_graph()


def test_every_package_has_a_layer(graph):
    assert sorted(set(graph) - set(LAYER)) == [], "give the new package its layer in LAYERS"
    assert sorted(set(LAYER) - set(graph)) == [], "a package in LAYERS no longer exists: remove it"


def test_the_package_graph_has_no_cycle(graph):
    assert find_cycle(graph) is None


def test_no_package_imports_one_above_it(graph):
    assert layer_violations(graph) == []


def test_the_root_package_imports_nothing_of_the_app():
    assert _imports(APP / "__init__.py") == set()


# -- the checks themselves catch what they are for -------------------------------------------------


def test_a_cycle_and_an_upward_import_are_found():
    graph = {"app.text": {"app.engine": {"app/text/x.py"}}, "app.engine": {"app.text": {"app/engine/y.py"}}}
    assert find_cycle(graph) == ["app.engine", "app.text", "app.engine"]
    assert layer_violations(graph) == [
        "app.text imports app.engine (app/text/x.py): layer 1 may only import lower layers, app.engine is in layer 4"
    ]


def test_imports_inside_functions_relative_ones_and_submodules_named_in_from_app_are_seen(tmp_path):
    pkg = tmp_path / "app" / "guard"
    pkg.mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "serving.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "x.py").write_text(
        "def f():\n    from app.engine.assistant import Assistant\n"
        "from ..text import normalize\nfrom app import serving\nimport app.store.db\n"
    )
    assert _imports(pkg / "x.py", tmp_path) == {"app.engine.assistant", "app.text", "app", "app.serving", "app.store.db"}
