"""The fit's waits (issue 26): stages measured alike in a log and a run, staff bounds from the
busiest moments, unequal streets written as residents, appeals per problem as a reduction,
and the calibration by simulation bringing a log's times to close back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govsim.data.caselog import read_log
from govsim.experiments.executors.local import LocalExecutor
from govsim.fitting import fit, fit_log, prepare
from govsim.fitting.corrections import department_levers
from govsim.fitting.estimation import Estimate
from govsim.fitting.export import cases_to_log, write_log
from govsim.fitting.populations import unequal_city
from govsim.fitting.stages import (
    BUSIEST,
    Window,
    department_figure,
    max_concurrent,
    stage_figures,
)
from govsim.fitting.waits import _earned, _toward
from govsim.mechanisms.problems import expected_appeals, problem_event_rates
from govsim.scenario import load_scenario
from govsim.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TRUTH = ROOT / "experiments" / "fitting" / "truth.yaml"


def test_most_visits_under_way_at_once_is_counted_exactly():
    starts = np.array([0.0, 1.0, 2.0, 2.5, 10.0, 0.0, 5.0])
    ends = np.array([3.0, 2.0, 4.0, 3.0, 11.0, 1.0, 6.0])
    units = np.array([0, 0, 0, 0, 0, 1, 1])
    # unit 0: [0,3) [1,2) [2,4) [2.5,3): at 2.5 three are under way ([1,2) ended at 2)
    assert max_concurrent(starts, ends, units) == {0: 3, 1: 1}
    # an end and a start at the same instant do not overlap
    assert max_concurrent(np.array([0.0, 1.0]), np.array([1.0, 2.0]), np.array([4, 4])) == {4: 1}


def _frame(rows: list[dict]) -> pd.DataFrame:
    start = pd.Timestamp("2024-03-04")
    frame = pd.DataFrame(rows)
    for column in ("created", "dispatched", "first_response", "closed"):
        frame[column] = start + pd.to_timedelta(frame[column], unit="h")
    return frame


def test_stage_figures_measure_the_window_and_route():
    rows = []
    for i in range(10):  # department orders: dispatch wait i, closed 10 h after creation
        rows.append(
            {
                "created": 10 + i,
                "dispatched": 10 + i,
                "first_response": 10 + 2 * i,
                "closed": 20 + i,
                "closing_tier": "department",
                "returns": 0,
                "escalations": 0,
                "grid": "g1",
            }
        )
    rows.append(  # a returned order: its wait is not a dispatch wait
        {
            "created": 12,
            "dispatched": 12,
            "first_response": 90,
            "closed": 95,
            "closing_tier": "department",
            "returns": 1,
            "escalations": 0,
            "grid": "g1",
        }
    )
    rows.append(  # created before the window: not counted
        {
            "created": 1,
            "dispatched": 1,
            "first_response": 50,
            "closed": 60,
            "closing_tier": "department",
            "returns": 0,
            "escalations": 0,
            "grid": "g1",
        }
    )
    frame = _frame(rows)
    figures = stage_figures(frame, Window(pd.Timestamp("2024-03-04"), 5.0, 48.0, 200.0))
    waits = np.arange(10.0)
    assert figures["dispatch wait, department orders (mean)"] == pytest.approx(waits.mean())
    assert figures["dispatch wait, department orders (p90)"] == pytest.approx(
        np.quantile(waits, 0.9)
    )
    times = np.array([10.0] * 10 + [83.0])
    assert figures["hours to close at department (mean)"] == pytest.approx(times.mean())
    assert np.isnan(figures["hours to close at grid (mean)"])  # no grid closure
    assert np.isnan(figures[BUSIEST])  # no grid visit whose both ends the log shows


def test_each_departments_own_orders_are_timed_and_its_staff_searched_from_its_bound():
    rows = [
        {
            "created": 10 + i,
            "dispatched": 10 + i,
            "first_response": 11 + i,
            "closed": 10 + i + hours,
            "closing_tier": "department",
            "closing_unit": unit,
            "returns": 0,
            "escalations": 0,
        }
        for i in range(6)
        for unit, hours in (("health", 4.0 + i), ("water", 20.0), ("housing", 5.0))
    ]
    rows.append({**rows[0], "closing_unit": "education"})  # fewer than 5 orders: no figure
    frame = _frame(rows)
    window = Window(pd.Timestamp("2024-03-04"), 5.0, 48.0, 200.0)
    names = ["health", "water", "education", "housing", "transport"]
    figures = stage_figures(frame, window, names)
    assert figures[department_figure("health", "mean")] == pytest.approx(6.5)
    assert figures[department_figure("health", "p90")] == pytest.approx(
        np.quantile(4.0 + np.arange(6), 0.9)
    )
    assert figures[department_figure("water", "p90")] == pytest.approx(20.0)
    assert np.isnan(figures[department_figure("education", "mean")])
    assert department_figure("transport", "mean") in figures  # named, if empty
    assert department_figure("health", "mean") not in stage_figures(frame, window)
    # levers: where the log times a department and shows it full (or does not say: health);
    # from the base's staff, never below the bound; housing (3 staff) never had more than 2
    # visits under way: it never queued, and is not searched
    scenario = load_scenario(BASELINE)
    bounds = [
        Estimate(("departments", name, "staff"), most, most, np.inf, "busiest", 12)
        for name, most in (("water", 5.0), ("housing", 2.0))
    ]
    levers = {lv.key[1]: lv for lv in department_levers(scenario, bounds, figures)}
    assert set(levers) == {"health", "water"}
    assert (levers["health"].base, levers["health"].start, levers["health"].low) == (2, 2, 1)
    assert (levers["water"].base, levers["water"].start, levers["water"].low) == (2, 5, 5)
    assert levers["water"].high >= 7


def test_a_departments_staff_moves_only_where_its_own_times_say_so():
    here = {"d": 2.0, "loss": 0.10, "loss: dept": 0.010, "loss se: dept": 0.004}
    up = {"d": 3.0, "loss": 0.09, "loss: dept": 0.004, "loss se: dept": 0.001}
    down = {"d": 1.0, "loss": 0.30, "loss: dept": 0.300, "loss se: dept": 0.01}
    # 0.004 beats 0.010 by less than two standard errors (0.008): stay
    assert _earned([here, up, down], "loss: dept", "d", 2.0) is here
    clear = {**up, "loss: dept": 0.0005}  # beats it by 0.0095 > 0.008: move
    assert _earned([here, clear, down], "loss: dept", "d", 2.0) is clear


def test_the_final_corrections_average_with_gain_one_over_k():
    """Corrections to targets 10, 13, 16 (each a noisy estimate of the same value) with gains
    1, 1/2, 1/3 leave their mean, 13: additively, and for a ratio, geometrically."""
    value = {"delay": 4.0, "ratio": 4.0}
    for k, aim in enumerate((10.0, 13.0, 16.0), start=1):
        value = _toward(value, {"delay": aim, "ratio": aim}, 1 / k, {"ratio"})
    assert value["delay"] == pytest.approx(13.0)
    assert value["ratio"] == pytest.approx((10.0 * 13.0 * 16.0) ** (1 / 3))


def test_appeals_per_problem_is_a_switch_with_a_reduction():
    scenario = load_scenario(BASELINE)
    housing = next(c for c in scenario.categories if c.name == "housing")
    derived = expected_appeals(scenario.problems, housing.problem)
    assert derived == pytest.approx(1 + 24 / 24 * (0.4 * 0.05 + 0.4 * 0.3 + 0.2 * 1.0))
    given = load_scenario(BASELINE, ["categories.housing.problem.appeals_per_problem=2.5"])
    housing_given = next(c for c in given.categories if c.name == "housing")
    assert expected_appeals(given.problems, housing_given.problem) == 2.5
    rules = [None] * len(scenario.categories)
    rates, _ = problem_event_rates(scenario, [_Rule() for _ in rules])
    rates_given, _ = problem_event_rates(given, [_Rule() for _ in rules])
    h = [c.name for c in scenario.categories].index("housing")
    problems = 0.36 * 0.5
    assert rates[h] == pytest.approx(0.36 * 0.5 + problems / derived)
    assert rates_given[h] == pytest.approx(0.36 * 0.5 + problems / 2.5)
    assert [r for i, r in enumerate(rates) if i != h] == [
        r for i, r in enumerate(rates_given) if i != h
    ]


class _Rule:
    def _replace(self, **_: object) -> _Rule:
        return self


def _log(path: Path, scenario_path: Path, days: int, seed: int) -> Path:
    scenario = load_scenario(scenario_path, [f"days={days}", "problems.enabled=false"])
    result = simulate(scenario, seed=seed)
    assert result.cases is not None
    write_log(cases_to_log(result.cases, scenario), path)
    return path


@pytest.mark.slow
def test_unequal_streets_are_written_as_residents_and_equal_ones_kept(tmp_path):
    base = load_scenario(BASELINE)
    truth = load_scenario(TRUTH)
    data = prepare(read_log(_log(tmp_path / "t.parquet", TRUTH, 30, 5)), base, 7.0)
    city, note = unequal_city(data, fit(data).arrivals)
    assert city is not None and "do not follow" in note
    fitted = {
        s["name"]: sum(g["population"] for g in s["grids"])
        for d in city["districts"]
        for s in d["streets"]
    }
    true = {
        s.name: sum(g.population for g in s.grids) for d in truth.city.districts for s in d.streets
    }
    assert sum(fitted.values()) == sum(true.values())
    for name, residents in true.items():  # about 2,000 first contacts a street: +-10%
        assert fitted[name] == pytest.approx(residents, rel=0.1)
    equal = prepare(read_log(_log(tmp_path / "b.parquet", BASELINE, 30, 5)), base, 7.0)
    assert unequal_city(equal, fit(equal).arrivals)[0] is None


@pytest.mark.slow
def test_calibration_brings_the_waits_back_and_repeats_exactly(tmp_path):
    """A log of the known-truth city (problems off, 30 days) fitted from the baseline: the
    calibrated city's stage figures are closer to the log's than the base's (loss at most
    half the base's), grid staff come from the busiest moments (the truth's 2), and a second
    fit writes the same file."""
    log = _log(tmp_path / "truth.parquet", TRUTH, 30, 3)
    base = tmp_path / "base.yaml"
    base.write_text(f"base: {BASELINE}\nproblems: {{enabled: false}}\n", encoding="utf-8")
    texts = []
    for k in range(2):
        out = tmp_path / f"f{k}.yaml"
        fit_log(log, base, out, figures=False, calibrate=8, executor=LocalExecutor(workers=1))
        texts.append(out.read_text(encoding="utf-8").replace(f"f{k}", "f"))
        report = out.with_suffix(".fit.md").read_text(encoding="utf-8")
    assert texts[0] == texts[1]
    loss = [float(_between(report, "loss ", " (base ")), float(_between(report, "(base ", ")"))]
    assert loss[0] <= 0.5 * loss[1]
    assert "grid_workers: 2" in texts[0]


def _between(text: str, left: str, right: str) -> str:
    return text.split(left, 1)[1].split(right, 1)[0]


@pytest.mark.slow
def test_with_problems_on_the_fitted_city_gives_the_log_its_volumes_back(tmp_path):
    """The baseline's own log (problems on, 28 days) fitted from the baseline, with a short
    calibration: per category, the fitted city's first contacts (one drawn run, another seed)
    are the log's within 10% where the log has at least 400 (Poisson sd under 5%), and in
    total within 5%. The appeals per problem written are the calibrated ones."""
    scenario = load_scenario(BASELINE, ["days=28"])
    result = simulate(scenario, seed=21)
    assert result.cases is not None
    log_path = tmp_path / "log.parquet"
    write_log(cases_to_log(result.cases, scenario), log_path)
    out = tmp_path / "fitted.yaml"
    fit_log(log_path, BASELINE, out, figures=False, calibrate=3, executor=LocalExecutor(workers=1))
    text = out.read_text(encoding="utf-8")
    assert text.count("appeals_per_problem:") == len(scenario.categories)
    fitted = load_scenario(out)
    run = simulate(fitted, seed=22)
    assert run.cases is not None

    def first(frame: pd.DataFrame) -> pd.Series:
        return frame[frame["repeat_of"].isna()]["category"].astype(object).value_counts()

    logged, drawn = first(read_log(log_path).frame), first(run.cases)
    assert drawn.sum() == pytest.approx(logged.sum(), rel=0.05)
    for name, count in logged.items():
        if count >= 400:
            assert drawn.get(name, 0) == pytest.approx(count, rel=0.10), name
