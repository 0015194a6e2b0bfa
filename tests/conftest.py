"""Shared fixtures and helpers for the govsim test suite.

Hypothesis runs under the "ci" profile by default: derandomized (the same examples on
every run, no example database), no deadline, no shrinking (a failure is reported at
once), and failing examples printed as blobs so they can be replayed. Select the "dev"
profile (random, with shrinking) with ``HYPOTHESIS_PROFILE=dev``.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

REPO_ROOT = Path(__file__).resolve().parent.parent
SCENARIOS_DIR = REPO_ROOT / "scenarios"
BASELINE = SCENARIOS_DIR / "baseline.yaml"

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    database=None,
    # No shrinking in CI: a failure is reported at once (with its blob to replay) instead
    # of spending minutes on simulations; shrink locally with HYPOTHESIS_PROFILE=dev.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    deadline=None,
    print_blob=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def shipped_scenarios() -> list[Path]:
    """Every scenario file shipped under scenarios/ (recursive), sorted."""
    return sorted(p for p in SCENARIOS_DIR.rglob("*.yaml") if p.is_file()) + sorted(
        p for p in SCENARIOS_DIR.rglob("*.yml") if p.is_file()
    )


def scenario_id(path: Path) -> str:
    return str(path.relative_to(SCENARIOS_DIR))


_SMALL: dict[str, Any] = {
    "name": "small",
    "seed": 7,
    "days": 2,
    "city": {"synthetic": {"districts": 1, "streets": 2, "grids": 4, "population": 4000}},
    "staffing": {"grid_workers": 1, "street_staff": 1, "district_staff": 1},
    "departments": [{"name": "water", "staff": 1}],
    "categories": [
        {
            "name": "leak",
            "rate": 2.0,
            "urgency": "utility",
            "department": "water",
            "department_route_share": 0.3,
            "consultation_share": 0.4,
        },
        {"name": "noise", "rate": 1.0, "urgency": "general", "consultation_share": 0.5},
    ],
    "hotline": {"operators": 1},
}


def small_scenario_dict(**overrides: Any) -> dict[str, Any]:
    """A small, valid scenario as plain data (a fresh deep copy); top-level keys overridable."""
    data = copy.deepcopy(_SMALL)
    data.update(copy.deepcopy(overrides))
    return data


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def baseline_path() -> Path:
    return BASELINE


@pytest.fixture
def small_scenario():
    """Factory: ``small_scenario(**top_level_overrides)`` -> a validated Scenario."""
    from govsim.scenario.loader import validate

    def make(**overrides: Any):
        return validate(small_scenario_dict(**overrides), source="<test>")

    return make


@pytest.fixture
def write_file(tmp_path: Path):
    """Factory: ``write_file(name, text)`` writes ``text`` under tmp_path and returns the path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def fit_without_calibration(log: Path | str, base: Path | str, out: Path | str) -> int:
    """``govsim fit LOG --base BASE --out OUT --no-figures --calibrate 0``: the exit code (a
    test of what the fit estimates from the log need not wait for the calibration by
    simulation, which has tests of its own)."""
    from govsim.app.cli import main

    args = ["fit", "--calibrate", "0", str(log), "--base", str(base), "--out", str(out)]
    return main([*args, "--no-figures"])


def load_script(path: Path, name: str | None = None) -> ModuleType:
    """A script of ``experiments/`` (not part of the package) as a module, registered in
    ``sys.modules`` under ``name`` (default: the file's stem) so that its dataclasses can
    look their module up."""
    name = name or path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
