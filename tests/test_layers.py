"""The package is layered: no module imports a module of a higher layer.

Reading every module's import statements (with the standard library's ``ast``, nothing
is imported), each ``govsim`` import must point to the same layer or a lower one. Imports
under ``if TYPE_CHECKING:`` are exempt: they exist for annotations only and create no
dependency when the code runs (a policy's controller is annotated with the scenario type
that holds it, for instance). docs/architecture.md draws the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

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
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
    return [(line, name) for line, name in found if name == "govsim" or name.startswith("govsim.")]


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
