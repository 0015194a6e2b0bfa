"""``govsim run`` on every shipped scenario (scenarios/**.yaml), shortened to keep CI fast."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import BASELINE, scenario_id, shipped_scenarios

from govsim.app.cli import main
from govsim.network.city import build_city
from govsim.scenario import load_scenario

BIG_POPULATION = 1_000_000


def short_days(path: Path) -> tuple[str, object]:
    scenario = load_scenario(path)
    population = build_city(scenario).population
    days = 0.25 if population > BIG_POPULATION else 1.0
    return str(min(days, scenario.days)), scenario


@pytest.mark.parametrize("path", shipped_scenarios(), ids=scenario_id)
def test_run_shipped_scenario(path: Path, tmp_path: Path, capsys) -> None:
    days, scenario = short_days(path)
    out = tmp_path / "out"
    rc = main(["run", str(path), "--days", days, "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "Traceback" not in captured.err
    expected = {
        "timeseries.parquet",
        "kpis.parquet",
        "equity.parquet",
        "summary.json",
        "scenario.yaml",
    }
    if scenario.output.cases_table:
        expected.add("cases.parquet")
        if scenario.problems.enabled:
            expected.add("problems.parquet")
    assert {p.name for p in out.iterdir()} - {"rankings.parquet"} == expected  # no temporary files

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    if scenario.problems.enabled:
        block = summary["problems"]
        assert block["arisen"] == block["fixed"] + block["open_at_end"]
        if scenario.output.cases_table:
            problems = pd.read_parquet(out / "problems.parquet")
            assert len(problems) == block["arisen"]
    else:
        assert summary["problems"] is None

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["created"] == summary["closed"] + summary["abandoned"] + summary["open_at_end"]
    assert summary["days"] == pytest.approx(float(days))
    assert summary["scenario"] == scenario.name
    if scenario.output.cases_table:
        cases = pd.read_parquet(out / "cases.parquet")
        assert len(cases) == summary["created"]
        counts = cases["status"].astype(str).value_counts()
        assert counts.get("closed", 0) == summary["closed"]
        assert counts.get("abandoned", 0) == summary["abandoned"]
        assert counts.get("open", 0) == summary["open_at_end"]
    timeseries = pd.read_parquet(out / "timeseries.parquet")
    city = timeseries[timeseries["tier"].astype(str) == "city"]
    assert city["arrived"].sum() == summary["created"]  # interval flows add up to the total
    written = load_scenario(out / "scenario.yaml")
    assert written.name == scenario.name and written.days == pytest.approx(float(days))


def test_run_prints_summary_when_not_quiet(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    rc = main(["run", str(BASELINE), "--days", "1", "--out", str(out)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "cases created" in captured.out and f"wrote {out}/" in captured.out


def test_run_refuses_a_file_as_output_folder(tmp_path: Path, capsys) -> None:
    out = tmp_path / "a_file"
    out.write_text("not a folder", encoding="utf-8")
    rc = main(["run", str(BASELINE), "--days", "0.5", "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert rc == 2 and str(out) in captured.err and "Traceback" not in captured.err
    assert out.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.slow
def test_python_dash_m_govsim(tmp_path: Path) -> None:
    """``python -m govsim`` is the same command (README)."""
    import subprocess
    import sys

    from conftest import REPO_ROOT

    proc = subprocess.run(
        [sys.executable, "-m", "govsim", "validate", str(BASELINE)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "valid scenario" in proc.stdout
