"""The round trip of a fit (govsim fit --check): headline figures in a fixed order, measured
alike on a log and on runs, verdicts by issue 26's tolerances, and a report that holds them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO_ROOT
from scipy import stats

from govsim.app.cli import main
from govsim.core.intervals import mean_ci, prediction_interval
from govsim.data.caselog import read_log
from govsim.fitting import fit_log
from govsim.fitting.compare import compare, figure_names, headline
from govsim.fitting.export import cases_to_log, write_log
from govsim.fitting.round_trip import PROBLEMS_OFF, inside, round_trip, verdict
from govsim.scenario import load_scenario
from govsim.simulate import simulate

BASELINE = REPO_ROOT / "scenarios" / "baseline.yaml"


def _write(rows: list[dict], path: Path) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_figures_come_in_one_fixed_complete_order(tmp_path: Path) -> None:
    # Two logs with other categories, in other orders, one with the required columns only.
    full = _write(
        [
            {
                "created": "2024-03-04 09:00",
                "category": "water",
                "street": "s1",
                "channel": "hotline",
                "closed": "2024-03-04 12:00",
                "closing_tier": "grid",
                "resolved": True,
                "satisfaction": "basic",
            },
            {
                "created": "2024-03-05 10:00",
                "category": "roads",
                "street": "s1",
                "channel": "online",
                "closed": "2024-03-05 11:00",
                "closing_tier": "hotline",
                "resolved": True,
                "satisfaction": "satisfied",
            },
        ],  # fmt: skip
        tmp_path / "full.csv",
    )
    bare = _write(
        [
            {
                "created": "2024-03-04 09:00",
                "category": "noise",
                "street": "s1",
                "channel": "patrol",
            },
            {
                "created": "2024-03-06 09:00",
                "category": "water",
                "street": "s1",
                "channel": "hotline",
            },
        ],  # fmt: skip
        tmp_path / "bare.csv",
    )
    table = compare({"bare": read_log(bare), "full": read_log(full)}, settle_days=0)
    names = figure_names(["noise", "roads", "water"])
    assert list(table.index) == names
    assert names[:5] == [
        "first contacts per day",
        "volume: noise (per day)",
        "volume: roads (per day)",
        "volume: water (per day)",
        "appeals per day",
    ]
    assert (
        names.index("work orders closed at grid")
        < names.index("hours to close at grid (mean)")
        < names.index("hours to close at grid (p90)")
        < names.index("hours to close at street (mean)")
        < names.index("hours to close, work orders (p90)")
        < names.index("resolution rate")
    )
    assert names[-2:] == ["resolution rate", "satisfaction rate"]
    assert table.loc["volume: roads (per day)", "bare"] == 0  # absent: none a day, not missing
    assert table.loc["volume: water (per day)", "bare"] == pytest.approx(1 / 3)
    after = names[names.index("appeals per day") + 1 :]
    assert table.loc[after, "bare"].isna().all()  # no such columns: empty rows, still there
    assert table.loc["satisfaction rate", "full"] == pytest.approx(0.95)
    assert table.loc["consultation share (of closed)", "full"] == 0.5
    # A run's log, its categories in the scenario's order, gives the same rows.
    figures = headline(read_log(full), categories=["water", "roads"])
    assert list(figures.index) == figure_names(["water", "roads"])
    assert set(figures["kind"]) == {"volume", "share", "hours", "rate"}


def test_closing_figures_count_settled_cases_closed_in_the_window(tmp_path: Path) -> None:
    day = pd.Timestamp("2024-03-04")
    rows = [  # days 0..9: settled up to day 7 with settle_days = 3 (window end: day 10)
        {"created": day + pd.Timedelta(hours=10), "closed": day + pd.Timedelta(hours=12),
         "closing_tier": "grid"},
        {"created": day + pd.Timedelta(days=1), "closed": day + pd.Timedelta(days=1, hours=6),
         "closing_tier": "street"},
        # closed after the window's end: a run stops there, so not counted
        {"created": day + pd.Timedelta(days=6), "closed": day + pd.Timedelta(days=12),
         "closing_tier": "district"},
        # created in the last settle days: left out though it closed quickly
        {"created": day + pd.Timedelta(days=8), "closed": day + pd.Timedelta(days=8, hours=1),
         "closing_tier": "department"},
        {"created": day + pd.Timedelta(days=9, hours=23), "closed": None, "closing_tier": None},
    ]  # fmt: skip
    frame = pd.DataFrame(rows).assign(category="water", street="s1", channel="hotline")
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    figures = headline(read_log(path), settle_days=3)["value"]
    assert figures["first contacts per day"] == pytest.approx(5 / 10)
    assert figures["work orders closed at grid"] == pytest.approx(0.5)
    assert figures["work orders closed at street"] == pytest.approx(0.5)
    assert figures["work orders closed at district"] == 0
    assert figures["work orders closed at department"] == 0
    assert math.isnan(figures["hours to close at department (mean)"])
    assert figures["hours to close, work orders (mean)"] == pytest.approx((2 + 6) / 2)


def test_verdicts_by_the_issues_tolerances() -> None:
    assert verdict("volume", 100.0, 104.9) == "ok"
    assert verdict("volume", 100.0, 94.9) == "off"
    assert verdict("share", 0.20, 0.229) == "ok"
    assert verdict("share", 0.20, 0.231) == "off"
    assert verdict("hours", 10.0, 11.49) == "ok"
    assert verdict("hours", 10.0, 8.4) == "off"
    assert verdict("rate", 0.90, 0.919) == "ok"
    assert verdict("rate", 0.90, 0.879) == "off"
    assert verdict("hours", np.nan, 3.0) == ""  # nothing to give back
    assert verdict("hours", 3.0, np.nan) == "off"  # the log has it, the runs do not
    # Inside the prediction interval [10, 14] of one more run, or not.
    assert inside(10.0, 12.0, 10.0, 14.0) == "yes"
    assert inside(9.9, 12.0, 10.0, 14.0) == "no"
    assert inside(np.nan, 12.0, 10.0, 14.0) == ""
    assert inside(10.0, 12.0, -np.inf, np.inf) == ""  # one run: no interval to be inside
    assert inside(10.0, np.nan, np.nan, np.nan) == "no"  # the log has it, the runs do not


def test_the_log_is_judged_as_one_more_run() -> None:
    """The prediction interval of one more run: t(n-1) s sqrt(1 + 1/n) about the mean, wider
    than the CI of the mean by sqrt(n + 1) (the log is one draw of its city, not a mean)."""
    runs = [10.0, 12.0, 11.0, 13.0, 14.0]
    pi, ci = prediction_interval(runs), mean_ci(runs)
    half = stats.t.ppf(0.975, 4) * np.std(runs, ddof=1) * np.sqrt(1.2)
    assert pi.mean == 12.0 and np.isclose(pi.high - 12.0, half) and np.isclose(12.0 - pi.low, half)
    assert np.isclose(pi.half_width / ci.half_width, np.sqrt(6))
    assert prediction_interval([3.0]).high == np.inf


def _short_log(tmp_path: Path, seed: int) -> tuple[Path, list[str]]:
    """A 10-day log of the baseline (problems on), and its categories."""
    scenario = load_scenario(BASELINE, ["days=10"])
    path = tmp_path / "log.parquet"
    write_log(cases_to_log(simulate(scenario, seed=seed).cases, scenario), path)
    return path, [c.name for c in scenario.categories]


def test_the_replayed_runs_replay_the_log(tmp_path: Path) -> None:
    log_path, categories = _short_log(tmp_path, seed=3)
    city = tmp_path / "city.yaml"
    city.write_text(f"base: {BASELINE}\ndays: 10\n", encoding="utf-8")
    table = round_trip(read_log(log_path), city, 2, 3.0, workers=1, progress=False)
    assert list(table.index) == figure_names(categories)
    volumes = ["first contacts per day", *[f"volume: {c} (per day)" for c in categories]]
    assert (table.loc[volumes, "replayed"] == table.loc[volumes, "log"]).all()
    assert (table.loc[volumes, "replayed low"] == table.loc[volumes, "replayed high"]).all()
    assert (table.loc[volumes, "drawn"] != table.loc[volumes, "log"]).any()  # drawn: not replayed
    assert (table.loc[volumes, "replayed verdict"] == "ok").all()


def test_fit_check_writes_the_round_trip_into_the_report(tmp_path: Path, capsys) -> None:
    log_path, categories = _short_log(tmp_path, seed=5)
    out = tmp_path / "fitted" / "city.yaml"
    args = ["fit", "--calibrate", "0", str(log_path), "--base", str(BASELINE), "--out", str(out)]
    assert (
        main([*args, "--no-figures", "--settle-days", "3", "--check", "2", "--workers", "1"]) == 0
    )
    report = out.with_suffix(".fit.md").read_text(encoding="utf-8")
    assert "## Round trip" in report
    assert f"- {PROBLEMS_OFF}" in report  # the baseline has problems on
    section = report.split("## Round trip", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ")[0].lstrip("| ") for line in section.splitlines() if "|" in line]
    assert rows[2:] == figure_names(categories)
    assert "figures come back (drawn)" in section and "(replayed)" in section
    assert sorted(p.name for p in out.parent.iterdir()) == ["city.fit.md", "city.yaml"]


def test_a_failed_check_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    import govsim.fitting.round_trip as module

    def fail(*args, **kwargs):
        raise RuntimeError("a run failed")

    monkeypatch.setattr(module, "round_trip", fail)
    log_path, _ = _short_log(tmp_path, seed=7)
    out = tmp_path / "new" / "fitted.yaml"
    with pytest.raises(RuntimeError, match="a run failed"):
        fit_log(log_path, BASELINE, out, settle_days=3, figures=False, check=2)
    assert not (tmp_path / "new").exists()


def test_log_compare_prints_the_fixed_order(tmp_path: Path, capsys) -> None:
    log_path, categories = _short_log(tmp_path, seed=11)
    assert main(["log", "compare", str(log_path), "--settle-days", "3"]) == 0
    printed = capsys.readouterr().out.splitlines()[1:]
    assert [line.rsplit(maxsplit=1)[0].strip() for line in printed] == figure_names(
        sorted(categories)
    )
