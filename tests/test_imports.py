"""The command line imports only what a command uses.

``govsim --help`` needs argparse alone: not the numerical libraries, nor the study packages
(calibration, search, fitting, experiments). ``govsim validate`` reads a scenario: YAML
and pydantic, not numpy, pandas or scipy. ``govsim run`` simulates and writes the tables:
numpy, pandas, pyarrow, SimPy, and ``scipy.stats`` for the settling check of every run's
summary; not the graph library, the figures nor the study packages.

Each command runs through :func:`govsim.app.cli.main` in a fresh interpreter (this one has
imported everything already), which reports the modules it ended with.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASELINE, REPO_ROOT

REPORT = """
import json, sys
from govsim.app.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""

NUMERICAL = ("numpy", "pandas", "scipy", "pyarrow", "simpy", "networkx", "matplotlib")
STUDIES = ("govsim.calibration", "govsim.search", "govsim.fitting", "govsim.experiments")


def imported(tmp_path: Path, *argv: str) -> set[str]:
    """The modules loaded by ``govsim ARGV`` in a fresh interpreter (the command must succeed)."""
    report = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", REPORT, str(report), *argv],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(report.read_text(encoding="utf-8"))
    assert found["code"] == 0, proc.stderr
    return set(found["modules"])


def among(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The ``packages`` of which ``modules`` holds the package or one of its modules."""
    return [p for p in packages if any(m == p or m.startswith(p + ".") for m in modules)]


def test_help_imports_neither_pandas_nor_scipy(tmp_path: Path) -> None:
    modules = imported(tmp_path, "--help")
    assert "govsim.app.cli" in modules  # the report saw the command
    assert among(modules, NUMERICAL + ("pydantic",)) == []
    assert among(modules, STUDIES + ("govsim.scenario", "govsim.engine", "govsim.plots")) == []


def test_validate_reads_the_scenario_without_the_numerical_libraries(tmp_path: Path) -> None:
    modules = imported(tmp_path, "validate", str(BASELINE))
    assert "govsim.scenario.schema" in modules
    assert among(modules, NUMERICAL) == []
    assert among(modules, STUDIES + ("govsim.engine", "govsim.results", "govsim.plots")) == []


@pytest.mark.slow
def test_run_imports_the_simulation_and_its_tables_only(tmp_path: Path) -> None:
    out = tmp_path / "run"
    modules = imported(
        tmp_path, "run", str(BASELINE), "--days", "0.2", "--quiet", "--out", str(out)
    )
    assert (out / "summary.json").is_file()
    needed = ("numpy", "pandas", "pyarrow", "simpy", "scipy.stats", "govsim.engine.run")
    assert among(modules, needed) == list(needed)
    assert among(modules, ("networkx", "matplotlib", "govsim.plots") + STUDIES) == []
