"""Replay (arrivals.replay): a log's first contacts drive a run, exactly or by bootstrapped days."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE
from scipy import stats

from govsim.app.cli import main
from govsim.core.errors import UserInputError
from govsim.data.caselog import read_log
from govsim.fitting.export import cases_to_log, write_log
from govsim.results.run_tables import scenario_yaml
from govsim.scenario import load_scenario
from govsim.simulate import simulate

ARRIVAL_COLUMNS = ["created", "category", "street", "grid", "channel"]
LOG_DAYS = 28


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """Four weeks of the baseline, run and exported as a case log."""
    folder = tmp_path_factory.mktemp("replay")
    scenario = load_scenario(BASELINE, [f"days={LOG_DAYS}", "problems.enabled=false"])
    result = simulate(scenario)
    log_path = folder / "log.parquet"
    write_log(cases_to_log(result.cases, scenario), log_path)
    return scenario, result, log_path, folder


def _replay_scenario(folder: Path, log: Path, *overrides: str):
    text = (
        f"base: {BASELINE}\nproblems:\n  enabled: false\nname: replayed\ndays: {LOG_DAYS}\n"
        f"arrivals:\n  replay: {{log: {log.name}}}\n"
    )
    path = folder / f"replay-{abs(hash(overrides)) % 10**6}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path, list(overrides))


def _first_contacts(cases: pd.DataFrame, scenario) -> pd.DataFrame:
    log = cases_to_log(cases, scenario)
    first = log[log["repeat_of"].isna()]
    return (
        first[ARRIVAL_COLUMNS].astype({c: str for c in ARRIVAL_COLUMNS[1:]}).reset_index(drop=True)
    )


def test_exact_replay_reproduces_the_logged_arrivals(logged) -> None:
    scenario, result, log_path, folder = logged
    replay = _replay_scenario(folder, log_path, "seed=99")  # another seed: the rest differs
    run = simulate(replay).cases
    expected = _first_contacts(result.cases, scenario)
    replayed = _first_contacts(run, replay)
    assert len(replayed) == len(expected) > 5000
    pd.testing.assert_frame_equal(replayed, expected)  # times to the microsecond, places, channels
    # The model did the rest: its own outcomes and repeats, not the log's.
    assert not run["closed"].equals(result.cases["closed"])


def test_replay_with_the_runs_seed_reproduces_the_run(logged) -> None:
    """Common random numbers: the same appeals at the same times, the same seed, the same run."""
    scenario, result, log_path, folder = logged
    replay = _replay_scenario(folder, log_path, f"seed={scenario.seed}")
    run = simulate(replay).cases
    original = result.cases
    assert len(run) == len(original)
    for column in ("status", "final_tier", "category", "street", "channel", "satisfaction"):
        pd.testing.assert_series_equal(run[column], original[column])
    for column in ("created", "first_response", "closed", "callback"):
        np.testing.assert_allclose(run[column], original[column], atol=1e-6, equal_nan=True)


def test_replay_without_grids_draws_a_grid_of_the_logged_street(logged, tmp_path: Path) -> None:
    scenario, result, log_path, _ = logged
    frame = pd.read_parquet(log_path).drop(columns=["grid"]).head(2000)
    small = tmp_path / "nogrid.csv"
    write_log(frame, small)
    replay = _replay_scenario(tmp_path, small, "days=7")
    run = simulate(replay).cases
    first = run[run["repeat_of"].isna()]
    grid_street = first["grid"].astype(str).str.rsplit("-", n=1).str[0]
    assert (grid_street.to_numpy() == first["street"].astype(str).to_numpy()).all()
    assert first["grid"].nunique() > len(first["street"].unique())  # several grids per street drawn


def _daily(first: pd.DataFrame, start: pd.Timestamp, days: int) -> np.ndarray:
    day = ((first["created"] - start).dt.total_seconds() // 86400).astype(int)
    return np.bincount(day, minlength=days)[:days]


def test_bootstrap_resamples_whole_days_and_keeps_daily_totals(logged) -> None:
    scenario, result, log_path, folder = logged
    days = 84
    replay = _replay_scenario(
        folder, log_path, "arrivals.replay.mode=bootstrap", f"days={days}", "seed=5"
    )
    run = simulate(replay).cases
    start = pd.Timestamp(replay.start_date)
    log_first = read_log(log_path).first_contacts()
    log_daily = _daily(log_first, pd.Timestamp(scenario.start_date), LOG_DAYS)
    boot_first = cases_to_log(run, replay)
    boot_first = boot_first[boot_first["repeat_of"].isna()]
    boot_daily = _daily(boot_first, start, days)

    # Whole days: every day of the run is one day of the log, its appeals at their times of day.
    def signature(frame: pd.DataFrame, day_start: pd.Timestamp) -> list[tuple]:
        return sorted(
            zip(
                ((frame["created"] - day_start).dt.total_seconds()).round(3),
                frame["category"].astype(str),
                frame["street"].astype(str),
                strict=True,
            )
        )

    log_days = {}
    for d in range(LOG_DAYS):
        day_start = pd.Timestamp(scenario.start_date) + pd.Timedelta(days=d)
        rows = log_first[
            (log_first["created"] >= day_start)
            & (log_first["created"] < day_start + pd.Timedelta(days=1))
        ]
        log_days[d] = signature(rows, day_start)
    drawn = []
    for d in range(days):
        day_start = start + pd.Timedelta(days=d)
        rows = boot_first[
            (boot_first["created"] >= day_start)
            & (boot_first["created"] < day_start + pd.Timedelta(days=1))
        ]
        sig = signature(rows, day_start)
        matches = [k for k, v in log_days.items() if v == sig]
        assert matches, f"day {d} of the bootstrap run is no day of the log"
        assert all(k % 7 == d % 7 for k in matches)  # same weekday (both start on a Monday)
        drawn.append(matches[0])
    # It differs from the log: the days come in another order, some twice, some not at all.
    assert drawn[:LOG_DAYS] != list(range(LOG_DAYS))
    assert len(set(drawn)) < LOG_DAYS or len(drawn) > LOG_DAYS
    # And keeps the distribution of daily totals: two-sample KS, and the mean within its CI.
    assert stats.ks_2samp(boot_daily, log_daily).pvalue > 0.01
    half = 1.96 * np.sqrt(log_daily.var(ddof=1) / LOG_DAYS + boot_daily.var(ddof=1) / days)
    assert abs(boot_daily.mean() - log_daily.mean()) < half


def test_bootstrap_draws_follow_the_seed(logged) -> None:
    scenario, _, log_path, folder = logged

    def first_contacts(seed: int) -> pd.Series:
        replay = _replay_scenario(
            folder, log_path, "arrivals.replay.mode=bootstrap", "days=14", f"seed={seed}"
        )
        cases = simulate(replay).cases
        return cases.loc[cases["repeat_of"].isna(), "created"].reset_index(drop=True)

    one, again, other = first_contacts(1), first_contacts(1), first_contacts(2)
    pd.testing.assert_series_equal(one, again)
    assert len(one) != len(other) or not np.allclose(one, other)


def test_replay_refuses_a_street_the_city_does_not_have(logged, tmp_path: Path) -> None:
    _, _, log_path, _ = logged
    frame = pd.read_parquet(log_path).head(50)
    frame["street"] = frame["street"].astype(str)
    frame.loc[7, "street"] = "Elsewhere"
    frame = frame.drop(columns=["grid", "district"])
    bad = tmp_path / "bad.csv"
    write_log(frame, bad)
    with pytest.raises(UserInputError) as error:  # when the scenario is loaded, before any run
        _replay_scenario(tmp_path, bad)
    assert f"{bad}, row 8, column 'street'" in str(error.value)


def test_missing_replay_log_is_a_located_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        f"base: {BASELINE}\nname: r\narrivals:\n  replay:\n    log: missing.csv\n"
        "problems:\n  enabled: false\n",
        encoding="utf-8",
    )
    with pytest.raises(UserInputError) as error:
        load_scenario(path)
    assert error.value.key_path == "arrivals.replay.log" and error.value.line == 5


def test_run_of_a_log_outside_the_window_exits_two_and_writes_nothing(
    logged, tmp_path: Path, capsys
) -> None:
    _, _, log_path, folder = logged
    path = tmp_path / "late.yaml"
    path.write_text(
        f"base: {BASELINE}\nproblems:\n  enabled: false\nname: late\nstart_date: 2030-01-01\n"
        f"days: 3\narrivals:\n  replay: {{log: {log_path}}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 2
    assert "no appeal of the log falls within the run" in capsys.readouterr().err
    assert not out.exists()


def test_no_replay_key_in_dumps_when_off() -> None:
    """Scenario files and experiment fingerprints stay as they were before replay existed."""
    scenario = load_scenario(BASELINE)
    assert "replay" not in scenario_yaml(scenario)
    assert "replay" not in scenario.model_dump_json()
