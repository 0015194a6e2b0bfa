"""The package is layered: no module imports a module of a higher layer.

Reading every module's import statements (with the standard library's ``ast``, nothing
is imported), each ``govsim`` import must point to the same layer or a lower one. Imports
under ``if TYPE_CHECKING:`` are exempt from this order: they exist for annotations only and
create no dependency when the code runs. docs/architecture.md draws the layers.

Cycles are checked on every import, those under ``if TYPE_CHECKING:`` and inside functions
included: a circle of type hints still ties the modules together (none can be read, moved or
tested without the others).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
from conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "govsim"

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundations", ("govsim.core",)),
    ("policies", ("govsim.policies",)),
    ("scenario", ("govsim.scenario", "govsim.network", "govsim.data")),
    ("engine", ("govsim.engine",)),
    ("mechanisms", ("govsim.mechanisms",)),
    ("results", ("govsim.results", "govsim.simulate")),
    ("studies", ("govsim.experiments", "govsim.calibration", "govsim.search", "govsim.fitting")),
    ("presentation", ("govsim.plots",)),
    ("interface", ("govsim.app", "govsim.__main__", "govsim")),
)
"""Lowest first. A module belongs to the layer of the longest prefix that names it."""


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for level, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = level, len(prefix)
    if best is None:
        raise AssertionError(
            f"{module} is in no layer: add it to LAYERS (and docs/architecture.md)"
        )
    return best


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(tree: ast.Module, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, imported module) of every govsim import not under ``if TYPE_CHECKING:``."""
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return [
        (node.lineno, target)
        for node, target, _ in _imports(tree, module, is_package)
        if id(node) not in typing_only
    ]


def _imports(
    tree: ast.Module, module: str, is_package: bool
) -> list[tuple[ast.stmt, str, list[str]]]:
    """(statement, module named, names taken from it) of every govsim import in ``tree``."""
    found: list[tuple[ast.stmt, str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node, target, [alias.name for alias in node.names]))
    return [f for f in found if f[1] == "govsim" or f[1].startswith("govsim.")]


def import_graph(sources: dict[str, tuple[ast.Module, bool]]) -> nx.DiGraph:
    """Module -> module it imports (edge attribute ``line``), for every import of the
    ``sources`` (module name -> (parsed source, is a package)), type-only and inside
    functions included. A package is its ``__init__``: ``from pkg import name`` imports
    ``pkg.name`` when that is a module, else ``pkg``."""
    graph = nx.DiGraph()
    graph.add_nodes_from(sources)
    for module, (tree, is_package) in sources.items():
        for node, target, names in _imports(tree, module, is_package):
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in sources]
            whole = [target] if len(submodules) < len(names) or not names else []
            for imported in whole + submodules:
                if imported in sources and imported != module:
                    graph.add_edge(module, imported, line=node.lineno)
    return graph


def cycles(graph: nx.DiGraph) -> list[str]:
    """Every import circle, as ``a (line) -> b (line) -> a`` (the line of each import), from
    its first module in name order, shortest first."""
    rotated = (c[c.index(min(c)) :] + c[: c.index(min(c))] for c in nx.simple_cycles(graph))
    found = sorted(rotated, key=lambda c: (len(c), c))
    return [
        " -> ".join(
            f"{a} ({graph.edges[a, b]['line']})" for a, b in zip(c, c[1:] + c[:1], strict=True)
        )
        + f" -> {c[0]}"
        for c in found
    ]


def package_sources() -> dict[str, tuple[ast.Module, bool]]:
    return {
        module_name(path): (ast.parse(path.read_text(encoding="utf-8")), path.name == "__init__.py")
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_no_module_imports_a_higher_layer() -> None:
    violations = []
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50, "the package was not found"
    for path in modules:
        module = module_name(path)
        own = layer_of(module)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, target in runtime_imports(tree, module, path.name == "__init__.py"):
            if layer_of(target) > own:
                violations.append(
                    f"{path.relative_to(REPO_ROOT)}:{line}: {module} ({LAYERS[own][0]}) imports "
                    f"{target} ({LAYERS[layer_of(target)][0]})"
                )
    assert not violations, "imports of a higher layer:\n" + "\n".join(violations)


def test_the_check_sees_a_violation() -> None:
    """A planted upward import is reported (so the test above can fail)."""
    tree = ast.parse("from govsim.plots import figures\nimport govsim.app.cli\n")
    found = runtime_imports(tree, "govsim.engine.ledger", False)
    assert [layer_of(name) > layer_of("govsim.engine.ledger") for _, name in found] == [True, True]
    hidden = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import govsim.app.cli\n"
    )
    assert runtime_imports(hidden, "govsim.engine.ledger", False) == []


def test_no_import_circle() -> None:
    """No module imports itself through others, counting type-only imports and imports
    inside functions (a package's ``__init__`` is a module of its own)."""
    sources = package_sources()
    assert len(sources) > 50, "the package was not found"
    found = cycles(import_graph(sources))
    assert not found, f"{len(found)} import circles (module (line of the import)):\n" + "\n".join(
        found
    )


def test_the_check_sees_a_circle() -> None:
    """A planted circle is reported, also when one side imports only for type hints or
    inside a function, and through a package's ``__init__``."""
    planted = {
        "govsim.a": "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from govsim.b import B\n",
        "govsim.b": "def f():\n    from govsim.pkg import C\n",
        "govsim.pkg": "from govsim.pkg import c\n",
        "govsim.pkg.c": "import govsim.a\n",
        "govsim.d": "from govsim.pkg import c\n",
    }
    sources = {name: (ast.parse(text), name == "govsim.pkg") for name, text in planted.items()}
    assert cycles(import_graph(sources)) == [
        "govsim.a (3) -> govsim.b (2) -> govsim.pkg (1) -> govsim.pkg.c (1) -> govsim.a"
    ]
    sources.pop("govsim.pkg.c")
    assert cycles(import_graph(sources)) == []


def test_the_architecture_page_lists_every_module_under_its_layer() -> None:
    """docs/architecture.md has a section per layer ("### 1. foundations") whose table names
    each module of that layer by its path, and no other."""
    import re

    text = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    sections = re.split(r"^### \d+\. (\w+)\n", text, flags=re.MULTILINE)
    listed = {
        name: set(re.findall(r"^\| `(govsim/[\w/]+\.py)` \|", body, flags=re.MULTILINE))
        for name, body in zip(sections[1::2], sections[2::2], strict=True)
    }
    assert list(listed) == [name for name, _ in LAYERS], "one section per layer, in order"
    expected: dict[str, set[str]] = {name: set() for name, _ in LAYERS}
    for path in PACKAGE.rglob("*.py"):
        expected[LAYERS[layer_of(module_name(path))][0]].add(path.relative_to(REPO_ROOT).as_posix())
    for name in expected:
        missing, extra = expected[name] - listed[name], listed[name] - expected[name]
        assert not missing and not extra, (
            f"docs/architecture.md, layer {name}: add {sorted(missing)}, remove {sorted(extra)}"
        )
