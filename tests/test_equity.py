"""Equity outcomes: the inequality indices on hand-built vectors, the per-street figures of the
streaming tallies against the cases table of an unequal city, and an equity outcome in an
experiment and as a search objective."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import BASELINE

import govsim
from govsim.app.cli import main
from govsim.app.console import format_summary
from govsim.experiments import run_experiment
from govsim.experiments.executors.local import LocalExecutor
from govsim.experiments.outcomes import OUTCOMES
from govsim.results.equity import (
    MIN_CLOSED,
    gini,
    most_backlogged,
    place_table,
    share_over,
    spreads,
    theil,
    with_equity_rows,
    worst_decile_ratio,
)
from govsim.results.loading import NotAResultsFolder
from govsim.search import run_study


# -- the indices on hand-built vectors ------------------------------------------------------------
def test_gini_of_one_to_four_is_a_quarter() -> None:
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25, abs=1e-15)
    assert gini([4, 1, 3, 2]) == pytest.approx(0.25, abs=1e-15)  # order does not matter
    assert gini([5, 5, 5]) == 0.0 and gini([0, 0]) == 0.0
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)  # one of n holds all: (n - 1) / n
    assert math.isnan(gini([]))


def test_gini_is_the_mean_absolute_difference_over_twice_the_mean() -> None:
    x = np.random.default_rng(3).lognormal(size=37)
    pairs = np.abs(x[:, None] - x[None, :]).mean()
    assert gini(x) == pytest.approx(pairs / (2 * x.mean()), rel=1e-12)


def test_theil_is_zero_when_equal_and_ln_n_when_one_holds_all() -> None:
    assert theil([1, 1, 1, 1]) == 0.0
    for n in (2, 5, 12):
        assert theil([0] * (n - 1) + [7.5]) == pytest.approx(math.log(n), rel=1e-14)
    # (1/2)(0.5 ln 0.5 + 1.5 ln 1.5) for (1, 3): mean 2, shares 0.5 and 1.5
    assert theil([1, 3]) == pytest.approx(0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5)))
    with pytest.raises(ValueError):
        theil([-1, 2])


def test_worst_decile_ratio_takes_the_top_tenth_over_the_median() -> None:
    assert worst_decile_ratio(range(1, 11)) == pytest.approx(10 / 5.5)  # top 1 of 10
    assert worst_decile_ratio([1, 2, 3]) == pytest.approx(3 / 2)  # at least one street
    # 11 streets: ceil(1.1) = 2 worst, (10 + 40) / 2 over the median 6
    assert worst_decile_ratio([*range(1, 11), 40]) == pytest.approx(25 / 6)
    assert math.isnan(worst_decile_ratio([0, 0, 5]))  # median 0


def test_share_over_limit_counts_medians_strictly_above_one() -> None:
    assert share_over([0.5, 1.0, 1.5, 2.0]) == 0.5
    assert math.isnan(share_over([]))


# -- an unequal city against its cases table ------------------------------------------------------
SHORT_STREETS = (0, 1, 2)
"""Streets of the unequal city short of staff: 1 grid worker a grid instead of 3, 2 street staff
instead of 5 (the rest keep the baseline's)."""


def unequal_city(folder: Path, days: int = 20) -> Path:
    """The baseline with 12 explicit streets of two grids each (5,000 residents a grid, a road
    grid in every fourth street), SHORT_STREETS short of staff."""

    def street(s: int) -> dict:
        short = s in SHORT_STREETS
        grids = [
            {
                "name": f"D{s // 6}-S{s:02d}-G{g}",
                "population": 5000,
                "kind": kind,
                **({"workers": 1} if short else {}),
            }
            for g, kind in enumerate(("community", "road" if s % 4 == 0 else "village"))
        ]
        return {"name": f"D{s // 6}-S{s:02d}", **({"staff": 2} if short else {}), "grids": grids}

    districts = [
        {"name": f"D{d}", "streets": [street(s) for s in range(6 * d, 6 * d + 6)]} for d in (0, 1)
    ]
    spec = {
        "base": str(BASELINE),
        "name": "unequal_test",
        "days": days,
        "city": {"synthetic": None, "districts": districts},
    }
    path = folder / "unequal.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def category_limits(scenario: govsim.Scenario) -> dict[str, float]:
    names = [c.name for c in scenario.categories]
    return dict(zip(names, scenario.category_limits(), strict=True))


def per_street_from_cases(cases: pd.DataFrame, limits: dict[str, float]) -> pd.DataFrame:
    """Work orders by street, computed from the cases table alone."""
    orders = cases[cases["dispatched"].notna()].copy()
    orders["street"] = orders["street"].astype(str)
    closed = orders[orders["status"] == "closed"].copy()
    closed["hours"] = closed["closed"] - closed["created"]
    closed["ratio"] = closed["hours"] / closed["category"].astype(str).map(limits)
    by = closed.groupby("street")
    return pd.DataFrame(
        {
            "work_orders": orders.groupby("street").size(),
            "closed": by.size(),
            "open_at_end": orders[orders["status"] == "open"].groupby("street").size(),
            "time_to_close_median": by["hours"].median(),
            "time_to_close_p90": by["hours"].quantile(0.9),
            "time_over_limit_median": by["ratio"].median(),
        }
    ).fillna({"open_at_end": 0, "closed": 0})


@pytest.fixture(scope="module")
def unequal_run(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("unequal")
    path = unequal_city(tmp)
    out = tmp / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 0
    return path, out


@pytest.mark.slow
def test_most_backlogged_street_over_median_matches_the_cases_table(unequal_run) -> None:
    path, out = unequal_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    block = summary["equity"]
    scenario = govsim.load_scenario(path)
    limits = category_limits(scenario)
    expected = per_street_from_cases(pd.read_parquet(out / "cases.parquet"), limits)
    assert len(expected) == block["streets"] == 12

    open_cases = expected["open_at_end"]
    worst = open_cases.idxmax()
    timed = expected.loc[expected["closed"] >= MIN_CLOSED, "time_to_close_median"]
    top = block["most_backlogged"]
    assert top["street"] == worst
    assert top["open_at_end"] == open_cases[worst]
    assert top["open_over_median"] == pytest.approx(open_cases[worst] / open_cases.median())
    assert top["time_to_close_over_median"] == pytest.approx(
        expected.loc[worst, "time_to_close_median"] / timed.median()
    )
    # The staffing is unequal enough to show: the worst street is one of the short-staffed.
    assert top["open_over_median"] > 2 and top["time_to_close_over_median"] > 1.2
    assert worst in {f"D0-S{s:02d}" for s in SHORT_STREETS}

    # The whole per-street table, and the indices on it.
    places = pd.read_parquet(out / "equity.parquet")
    streets = places[places["unit_type"] == "street"].set_index("unit")
    for column in expected:
        assert streets[column].to_numpy(float) == pytest.approx(
            expected[column].reindex(streets.index).to_numpy(float), rel=1e-12
        ), column
    assert block["time_to_close"]["gini"] == pytest.approx(gini(timed), abs=1e-6)
    assert block["time_to_close"]["excluded"] == 12 - len(timed)
    over = expected.loc[expected["closed"] >= MIN_CLOSED, "time_over_limit_median"]
    assert block["time_to_close"]["share_over_limit"] == pytest.approx(share_over(over))
    backlog = open_cases * 10_000 / 10_000  # two grids of 5,000 residents per street
    assert block["backlog_per_10k"]["theil"] == pytest.approx(theil(backlog), abs=1e-6)
    # Grid kinds: every work order in one kind.
    kinds = places[places["unit_type"] == "grid_kind"]
    assert set(kinds["unit"]) == {"community", "village", "road"}
    assert kinds["work_orders"].sum() == streets["work_orders"].sum()


def test_console_names_the_most_backlogged_street(unequal_run) -> None:
    _, out = unequal_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    top = summary["equity"]["most_backlogged"]
    text = format_summary(summary)
    assert f"most backlogged    {top['street']}: {top['open_at_end']:,} work orders" in text
    assert f"({top['open_over_median']:.2f}x the median street's)" in text
    del summary["equity"]  # a summary written before the block: no lines, no error
    assert "most backlogged" not in format_summary(summary)


@pytest.mark.slow
def test_summary_only_run_gives_the_same_equity_figures(unequal_run) -> None:
    path, out = unequal_run
    scenario = govsim.load_scenario(path, ["output.cases_table=false"])
    result = govsim.simulate(scenario)
    assert result.cases is None
    written = json.loads((out / "summary.json").read_text(encoding="utf-8"))["equity"]
    assert result.summary["equity"] == written
    pd.testing.assert_frame_equal(
        result.tables["equity"], pd.read_parquet(out / "equity.parquet"), check_dtype=False
    )


@pytest.mark.slow
def test_equity_outcomes_take_the_warm_up(unequal_run) -> None:
    path, out = unequal_run
    result = govsim.simulate(govsim.load_scenario(path))
    warmup = 5 * 24.0
    scenario = result.scenario
    limits = category_limits(scenario)
    assert result.cases is not None
    after = per_street_from_cases(result.cases[result.cases["created"] >= warmup], limits)
    timed = after.loc[after["closed"] >= MIN_CLOSED]
    assert OUTCOMES["equity_ttc_gini"](result, warmup) == pytest.approx(
        gini(timed["time_to_close_median"]), rel=1e-12
    )
    assert OUTCOMES["equity_ttc_worst_decile_ratio"](result, warmup) == pytest.approx(
        worst_decile_ratio(timed["time_to_close_median"]), rel=1e-12
    )
    assert OUTCOMES["equity_backlog_worst_over_median"](result, warmup) == pytest.approx(
        after["open_at_end"].max() / after["open_at_end"].median(), rel=1e-12
    )
    assert OUTCOMES["equity_ttc_gini"](result, warmup) != OUTCOMES["equity_ttc_gini"](result, 0.0)


def test_place_table_adds_up_to_the_run(tmp_path: Path) -> None:
    result = govsim.simulate(govsim.load_scenario(BASELINE, ["days=4"]), seed=5)
    table = place_table(result.statistics)
    cases = result.cases
    assert cases is not None
    orders = cases[cases["dispatched"].notna()]
    for unit_type in ("street", "grid_kind"):
        rows = table[table["unit_type"] == unit_type]
        assert rows["work_orders"].sum() == len(orders)
        assert rows["closed"].sum() == (orders["status"] == "closed").sum()
        assert rows["open_at_end"].sum() == (orders["status"] == "open").sum()
    assert table["population"].iloc[:6].sum() == 120_000


# -- an equity outcome in an experiment and in a search -------------------------------------------
@pytest.mark.slow
def test_an_equity_outcome_is_an_experiment_outcome_and_a_search_objective(tmp_path: Path) -> None:
    city = unequal_city(tmp_path, days=6)
    experiment = tmp_path / "exp.yaml"
    experiment.write_text(
        yaml.safe_dump(
            {
                "name": "equity_tiny",
                "scenario": str(city),
                "seed": 3,
                "replications": 2,
                "days": 6,
                "warmup_days": 1,
                "variants": {
                    "baseline": {},
                    "more_grid_workers": {"set": {"staffing.grid_workers": 5}},
                },
                "outcomes": ["equity_ttc_gini", "equity_backlog_worst_over_median"],
            },
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    result = run_experiment(
        experiment, executor=LocalExecutor(1), out=tmp_path / "exp", progress=False
    )
    values = result.tables["results"]
    gini_runs = values[values["metric"].astype(str) == "equity_ttc_gini"]
    baseline = gini_runs[gini_runs["variant"].astype(str) == "baseline"]
    assert len(gini_runs) == 4 and gini_runs["value"].between(0, 1).all()
    # a closed-only time to close brings its caveats along, as the others do
    assert {"open_share", "settled"} <= set(values["metric"].astype(str))
    # A run of the experiment measures what the outcome gives on the same run.
    first = baseline.iloc[0]
    again = govsim.simulate(
        govsim.load_scenario(city, ["days=6", "output.cases_table=false"]), seed=int(first["seed"])
    )
    assert OUTCOMES["equity_ttc_gini"](again, 24.0) == pytest.approx(first["value"], rel=1e-12)

    study = tmp_path / "study.yaml"
    study.write_text(
        yaml.safe_dump(
            {
                "name": "equity_search",
                "scenario": str(BASELINE),
                "days": 5,
                "warmup_days": 1,
                "levers": [{"key": "staffing.street_staff", "range": [3, 8], "integer": True}],
                "objectives": [{"outcome": "equity_ttc_gini", "direction": "minimise"}],
                "seed": 2,
                "replications": {"initial": 2, "step": 1, "max": 2, "final": 2},
                "search": {"sampler": "random", "trials": 3, "batch": 3, "startup_trials": 3},
            },
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    run_study(study, executor=LocalExecutor(1), out=tmp_path / "study", progress=False)
    trials = govsim.load(tmp_path / "study").trials
    complete = trials[trials["state"] == "complete"]
    assert len(complete) >= 1
    assert complete["equity_ttc_gini"].between(0, 1).all()


def test_streets_with_few_closed_orders_are_left_out_and_counted() -> None:
    streets = pd.DataFrame(
        {
            "unit_type": "street",
            "unit": ["a", "b", "c", "d"],
            "closed": [MIN_CLOSED, MIN_CLOSED + 5, MIN_CLOSED - 1, 0],
            "valid_callbacks": [MIN_CLOSED, 0, MIN_CLOSED, MIN_CLOSED],
            "population": [1000, 1000, 0, 1000],
            "time_to_close_median": [10.0, 30.0, 500.0, np.nan],
            "time_over_limit_median": [0.5, 1.5, 9.0, np.nan],
            "open_per_10k": [1.0, 3.0, np.nan, 8.0],
            "satisfaction_rate": [0.8, np.nan, 0.6, 0.9],
            "open_at_end": [1, 3, 0, 8],
        }
    )
    spread = spreads(streets)
    assert list(spread["time_to_close"].values) == [10.0, 30.0]
    assert spread["time_to_close"].excluded == 2
    assert spread["time_to_close"].indices()["gini"] == pytest.approx(
        0.25
    )  # |10-30| x 2 / (2 x 4 x 20)
    assert share_over(spread["time_over_limit"].values) == 0.5
    assert list(spread["backlog_per_10k"].values) == [1.0, 3.0, 8.0]
    assert spread["satisfaction"].excluded == 1
    top = most_backlogged(streets)
    assert top["street"] == "d" and top["open_over_median"] == pytest.approx(8 / 2)
    assert math.isnan(top["time_to_close_over_median"])  # the worst street closed none


def test_worst_decile_of_a_rate_is_its_lowest() -> None:
    assert worst_decile_ratio([0.5, 0.8, 0.9], higher_is_worse=False) == pytest.approx(0.5 / 0.8)


def test_kpi_equity_rows_hold_the_indices_across_the_months_streets() -> None:
    rates = [0.9, 0.8, 0.7, 0.6]
    kpis = pd.DataFrame(
        {
            "month": "2024-03",
            "unit_type": ["city", "street", "street", "street", "street", "street"],
            "unit": ["city", "a", "b", "c", "d", "e"],
            "cases": [100, 30, 30, 30, 30, 1],
            "due": [100, 30, 30, 30, 30, 1],
            "on_time": [100, 27, 24, 21, 18, 1],
            "valid_callbacks": [100, 30, 30, 30, 30, MIN_CLOSED - 1],
            "resolved": [100, 27, 24, 21, 18, 1],
            "problem_cases": 0,
            "fixed_cases": 0,
            "satisfaction_points": [100.0, 27, 24, 21, 18, 1],
            "response_rate": [1.0, *rates, 1.0],
            "resolution_rate": [1.0, *rates, 1.0],
            "satisfaction_rate": [1.0, *rates, 1.0],
            "composite": [1.0, *rates, 1.0],
            "true_fix_rate": np.nan,
            "month_days": 31.0,
            "complete_month": True,
        }
    )
    table = with_equity_rows(kpis)
    assert list(table["unit_type"]) == ["city", *["equity"] * 3, *["street"] * 5]
    assert table.dtypes.equals(kpis.dtypes)
    equity = table[table["unit_type"] == "equity"].set_index("unit")
    # street e (fewer valid callbacks than MIN_CLOSED) is left out of the indices and sums
    assert (equity["cases"] == 120).all()
    assert equity.loc["gini", "response_rate"] == pytest.approx(gini(rates))
    assert equity.loc["theil", "satisfaction_rate"] == pytest.approx(theil(rates))
    assert equity.loc["worst_decile_over_median", "composite"] == pytest.approx(0.6 / 0.75)
    assert equity["true_fix_rate"].isna().all()  # no problems: no index
    # Removing the rows gives the table back, row for row.
    plain = table[table["unit_type"] != "equity"].reset_index(drop=True)
    pd.testing.assert_frame_equal(plain, kpis)


def test_an_overwritten_places_table_is_refused_naming_the_column(unequal_run, tmp_path) -> None:
    _, out = unequal_run
    folder = tmp_path / "copy"
    shutil.copytree(out, folder)
    places = pd.read_parquet(folder / "equity.parquet")
    places.assign(closed=places["closed"].astype(str)).to_parquet(folder / "equity.parquet")
    with pytest.raises(NotAResultsFolder, match="column 'closed' holds text"):
        govsim.load(folder)


@pytest.mark.slow
def test_the_shipped_unequal_city_gives_its_cases_tables_ratios(tmp_path: Path) -> None:
    """scenarios/unequal.yaml (places, staff per resident 0.76-1.31, groups): the equity
    block's most backlogged street over the median street, open work orders and median time
    to close, is what cases.parquet gives; so is the whole per-street table."""
    path = Path(__file__).resolve().parents[1] / "scenarios" / "unequal.yaml"
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet", "--days", "60"]) == 0
    block = json.loads((out / "summary.json").read_text(encoding="utf-8"))["equity"]
    expected = per_street_from_cases(
        pd.read_parquet(out / "cases.parquet"), category_limits(govsim.load_scenario(path))
    )
    assert len(expected) == block["streets"] == 12
    open_cases = expected["open_at_end"]
    worst = open_cases.idxmax()
    timed = expected.loc[expected["closed"] >= MIN_CLOSED, "time_to_close_median"]
    top = block["most_backlogged"]
    assert (top["street"], top["open_at_end"]) == (worst, open_cases[worst])
    assert top["open_over_median"] == pytest.approx(open_cases[worst] / open_cases.median())
    assert top["time_to_close_over_median"] == pytest.approx(
        expected.loc[worst, "time_to_close_median"] / timed.median()
    )
    assert top["open_over_median"] > 5  # the city is unequal enough to show it
    streets = pd.read_parquet(out / "equity.parquet").query("unit_type == 'street'")
    streets = streets.set_index("unit")
    for column in expected:
        assert streets[column].to_numpy(float) == pytest.approx(
            expected[column].reindex(streets.index).to_numpy(float), rel=1e-12
        ), column
