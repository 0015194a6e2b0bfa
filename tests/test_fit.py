"""govsim fit: a run of known parameters, exported and fitted, gives CIs that cover them at 95%.

The round trip simulates ``experiments/data/sample-city.yaml`` (every parameter known),
exports the run as a case log, fits it, and counts the parameters outside their fitted
95% CI. With m parameters per seed and k seeds, n = k m checks are each missed with
probability 0.05 if the intervals are right, so the misses are about Binomial(n, 0.05):
the tests require them within that distribution's central 99.9% (not "always inside",
which would be wrong one time in twenty per parameter). Parameters whose true value is 0
(department routing of categories that have none) sit on the boundary, where the Wilson
interval always covers: they are left out of n. The checks of one seed are not quite
independent (the 24 intraday shares are tied by their mean), so the bounds are a guide
that a biased fit or too narrow intervals would still break.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO_ROOT, fit_without_calibration
from scipy import stats

from govsim.app.cli import main
from govsim.data.caselog import read_log
from govsim.fitting import FitResult, fit, prepare, scenario_value
from govsim.fitting.export import cases_to_log, write_log
from govsim.fitting.satisfaction import fit_satisfaction
from govsim.scenario import load_scenario
from govsim.simulate import simulate

SAMPLE = REPO_ROOT / "experiments" / "data" / "sample-city.yaml"
SAMPLE_LOG = REPO_ROOT / "experiments" / "data" / "sample-log.parquet"
MISS = 0.05


def _fitted(scenario, seed: int, folder: Path) -> FitResult:
    result = simulate(scenario, seed=seed)
    path = folder / f"log-{seed}.parquet"
    write_log(cases_to_log(result.cases, scenario), path)
    return fit(prepare(read_log(path), scenario, settle_days=7))


def _misses(scenario, result: FitResult) -> tuple[int, int, list[str]]:
    checked, missed, names = 0, 0, []
    for estimate in result.estimates:
        truth = scenario_value(scenario, estimate.key)
        assert truth is not None, f"{estimate.path}: no known value to compare with"
        if truth == 0:
            continue
        checked += 1
        if not estimate.covers(truth):
            missed += 1
            names.append(
                f"{estimate.path}: {truth:.4g} not in [{estimate.low:.4g}, {estimate.high:.4g}]"
            )
    return checked, missed, names


def test_round_trip_one_seed(tmp_path: Path) -> None:
    scenario = load_scenario(SAMPLE, ["days=28"])
    result = _fitted(scenario, seed=11, folder=tmp_path)
    checked, missed, names = _misses(scenario, result)
    assert checked >= 100
    assert missed <= stats.binom.ppf(0.999, checked, MISS), names
    groups = {e.key[0] if e.key[0] != "categories" else e.key[2] for e in result.estimates}
    assert {
        "rate",
        "consultation_share",
        "closable_at",
        "department_route_share",
        "arrivals",
        "handling",
        "feedback",
        "hotline",
    } <= groups


@pytest.mark.slow
def test_round_trip_coverage_over_seeds(tmp_path: Path) -> None:
    scenario = load_scenario(SAMPLE)
    checked = missed = 0
    street_checked = street_missed = 0
    names: list[str] = []
    for seed in (101, 102, 103, 104, 105, 106):
        result = _fitted(scenario, seed, tmp_path)
        c, m, n = _misses(scenario, result)
        checked, missed, names = checked + c, missed + m, names + n
        rates = {c.name: c.rate for c in scenario.categories}
        streets = result.arrivals.streets
        street_checked += len(streets)
        street_missed += int(
            (
                (streets["low"] > streets["category"].map(rates))
                | (streets["high"] < streets["category"].map(rates))
            ).sum()
        )
    low, high = stats.binom.ppf(0.0005, checked, MISS), stats.binom.ppf(0.9995, checked, MISS)
    print(
        f"round trip: {missed} of {checked} parameters outside their 95% CI "
        f"(expected {MISS * checked:.1f}, 99.9% range {low:.0f}-{high:.0f}); streets: "
        f"{street_missed} of {street_checked}"
    )
    assert low <= missed <= high, names
    # Per-street rates have exact (conservative) Poisson intervals: too many misses only.
    assert street_missed <= stats.binom.ppf(0.9995, street_checked, MISS)


@pytest.mark.slow
def test_fit_cli_writes_scenario_report_and_figures(tmp_path: Path, capsys) -> None:
    out = tmp_path / "fitted.yaml"
    assert (
        main(["fit", "--calibrate", "0", str(SAMPLE_LOG), "--base", str(SAMPLE), "--out", str(out)])
        == 0
    )
    text = out.read_text(encoding="utf-8")
    fitted = load_scenario(out)  # valid, and `base:` still finds the baseline from the new folder
    base = load_scenario(SAMPLE)
    assert (fitted.start_date, fitted.days) == (base.start_date, base.days)
    assert "# assumed" in text  # the base file's comments are kept
    lines = {line.split(":")[0].strip(): line for line in text.splitlines()}
    assert "fit: 95% CI" in lines["callback_reach"] and "n=" in lines["callback_reach"]
    assert fitted.staffing == base.staffing and fitted.whistle == base.whistle
    assert fitted.categories[0].rate != base.categories[0].rate  # values replaced in place
    assert sum(fitted.arrivals.channels.values()) == pytest.approx(1.0, abs=1e-9)
    report = out.with_suffix(".fit.md").read_text(encoding="utf-8")
    assert "Not fitted" in report and "handling.street" in report and "95% CI" in report
    figures = sorted(p.name for p in out.with_name("fitted.fit").iterdir())
    assert "arrivals_daily.png" in figures and "satisfaction.png" in figures
    assert all(f"fitted.fit/{name}" in report for name in figures)
    capsys.readouterr()
    run = tmp_path / "run"
    assert main(["run", str(out), "--days", "2", "--out", str(run), "--quiet"]) == 0
    assert (run / "summary.json").exists()


def test_fit_of_a_bad_log_writes_nothing(tmp_path: Path, capsys) -> None:
    frame = pd.read_parquet(SAMPLE_LOG).head(100)
    frame["street"] = frame["street"].astype(str)
    frame.loc[41, "street"] = "Atlantis"
    bad = tmp_path / "bad.parquet"
    write_log(frame.drop(columns=["district", "grid"]), bad)
    out = tmp_path / "out" / "fitted.yaml"
    out.parent.mkdir()
    assert (
        main(["fit", "--calibrate", "0", str(bad), "--base", str(SAMPLE), "--out", str(out)]) == 2
    )
    assert f"{bad}, row 42, column 'street'" in capsys.readouterr().err
    assert list(out.parent.iterdir()) == []


def test_a_log_of_required_columns_fits_arrivals_and_says_what_it_cannot(tmp_path: Path) -> None:
    frame = pd.read_parquet(SAMPLE_LOG)
    frame = frame[frame["repeat_of"].isna()][["created", "category", "street", "channel"]]
    path = tmp_path / "minimal.csv"
    write_log(frame, path)
    scenario = load_scenario(SAMPLE)
    result = fit(prepare(read_log(path), scenario, 7))
    kinds = {e.key[2] if e.key[0] == "categories" else e.key[1] for e in result.estimates}
    assert kinds == {"rate", "intraday", "weekday", "seasons", "channels"}
    missing = " ".join(n.key for n in result.not_fitted)
    for key in ("consultation_share", "handling", "feedback.satisfaction", "callback_reach"):
        assert key in missing
    out = tmp_path / "minimal.yaml"
    assert fit_without_calibration(path, SAMPLE, out) == 0
    assert (
        load_scenario(out).categories[0].consultation_share
        == scenario.categories[0].consultation_share
    )


def _synthetic_log(n: int, rng: np.random.Generator) -> pd.DataFrame:
    start = pd.Timestamp("2024-03-04")
    created = start + pd.to_timedelta(np.sort(rng.uniform(0, 28 * 24, n)), unit="h")
    return pd.DataFrame(
        {
            "case_id": np.arange(n),
            "created": created,
            "category": "housing",
            "street": "D01-S001",
            "channel": "online",
        }
    )


def test_satisfaction_fit_matches_the_callback_models_parametrisation(tmp_path: Path) -> None:
    """Ratings drawn as agents/callback.py draws them: the fit gets the scenario's keys back."""
    rng = np.random.default_rng(3)
    truth = {
        "intercept": -0.6,
        "resolved_effect": 2.2,
        "lateness_effect": 0.8,
        "handoff_effect": 0.45,
        "basic_gap": 1.3,
    }
    n = 20_000
    log = _synthetic_log(n, rng)
    limit = 168.0  # housing is a 'general' appeal in the baseline: 7 days
    hours = rng.exponential(200.0, n)
    handoffs = rng.integers(0, 3, n)
    resolved = rng.random(n) < 0.8
    late = np.maximum(hours / limit - 1, 0)
    score = (
        truth["intercept"]
        + truth["resolved_effect"] * resolved
        - truth["lateness_effect"] * late
        - truth["handoff_effect"] * handoffs
    )
    u = rng.random(n)
    z = np.log(u) - np.log1p(-u)
    rating = np.where(
        z < score, "satisfied", np.where(z < score + truth["basic_gap"], "basic", "unsatisfied")
    )
    log["closed"] = log["created"] + pd.to_timedelta(hours, unit="h")
    log["closing_tier"] = "street"
    log["escalations"] = handoffs
    log["resolved"] = resolved
    log["satisfaction"] = rating
    path = tmp_path / "ratings.parquet"
    write_log(log, path)
    data = prepare(read_log(path), load_scenario(REPO_ROOT / "scenarios" / "baseline.yaml"), 7)
    estimates, missing, _ = fit_satisfaction(data)
    assert {e.key[-1] for e in estimates} == set(truth)
    for e in estimates:
        half = (e.high - e.low) / 2
        assert abs(e.value - truth[e.key[-1]]) < 2 * half, (
            e.path,
            e.value,
            truth[e.key[-1]],
        )  # z = 3.9
    assert any("hand-offs counted from escalations only" in m.reason for m in missing)


def test_closing_started_identifies_street_and_district_visits(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    n = 4000
    log = _synthetic_log(n, rng)
    street = rng.random(n) < 0.5
    visit = np.where(
        street,
        rng.gamma(4.0, 2.0, n),
        rng.lognormal(np.log(16) - 0.5 * np.log(2), np.sqrt(np.log(2)), n),
    )
    log["first_response"] = log["created"] + pd.Timedelta(hours=1)
    log["closing_started"] = log["first_response"] + pd.to_timedelta(
        rng.exponential(5.0, n), unit="h"
    )
    log["closed"] = log["closing_started"] + pd.to_timedelta(visit, unit="h")
    log["closing_tier"] = np.where(street, "street", "district")
    log["whistles"] = 0
    path = tmp_path / "visits.parquet"
    write_log(log, path)
    result = fit(
        prepare(read_log(path), load_scenario(REPO_ROOT / "scenarios" / "baseline.yaml"), 7)
    )
    street_mean = result.get("handling", "street", "mean")
    district_mean = result.get("handling", "district", "mean")
    assert street_mean.extra["kind"] == "gamma" and district_mean.extra["kind"] == "lognormal"
    for estimate, truth in (
        (street_mean, 8.0),
        (district_mean, 16.0),
        (result.get("handling", "street", "cv"), 0.5),
        (result.get("handling", "district", "cv"), 1.0),
    ):
        half = (estimate.high - estimate.low) / 2
        assert abs(estimate.value - truth) < 2 * half, (estimate.path, estimate.value, truth)
    assert not any(e.key[:2] == ("handling", "grid") for e in result.estimates)  # no grid closure


def test_a_category_with_its_own_handling_is_fitted_on_its_own(tmp_path: Path) -> None:
    base = tmp_path / "own.yaml"
    base.write_text(
        f"base: {REPO_ROOT / 'scenarios' / 'baseline.yaml'}\nname: own\ndays: 28\ncategories:\n"
        "  - {name: housing, rate: 1.5, urgency: general, department: housing,\n"
        "     handling: {grid: {kind: gamma, mean: 9.0, cv: 0.6}}}\n"
        "  - {name: traffic, rate: 1.5, urgency: general, department: transport}\n",
        encoding="utf-8",
    )
    scenario = load_scenario(base)
    result = _fitted(scenario, seed=3, folder=tmp_path)
    own = result.get("categories", "housing", "handling", "grid", "mean")
    pooled = result.get("handling", "grid", "mean")
    assert own.extra["kind"] == "gamma"
    half = (own.high - own.low) / 2
    assert (
        abs(own.value - 9.0) < 2 * half
        and abs(pooled.value - 4.0) < 2 * (pooled.high - pooled.low) / 2
    )
    out = tmp_path / "own-fitted.yaml"
    assert fit_without_calibration(tmp_path / "log-3.parquet", base, out) == 0
    fitted = load_scenario(out)
    assert fitted.categories[0].handling.grid is not None
    assert fitted.categories[0].handling.grid.mean == pytest.approx(own.value, rel=1e-5)


def test_counted_rows_give_the_ordered_models_own_fit() -> None:
    """Fitting identical rows once with their counts is the same likelihood as fitting them all."""
    import warnings

    from statsmodels.miscmodels.ordinal_model import OrderedModel

    from govsim.fitting.satisfaction import CountedOrderedModel

    rng = np.random.default_rng(8)
    n = 3000
    exog = pd.DataFrame(
        {
            "resolved": rng.integers(0, 2, n).astype(float),
            "handoffs": rng.integers(0, 3, n).astype(float),
        }
    )
    score = -0.5 + 2.0 * exog["resolved"] - 0.4 * exog["handoffs"]
    u = rng.random(n)
    z = np.log(u) - np.log1p(-u)
    codes = np.where(z < score, 0, np.where(z < score + 1.0, 1, 2))
    levels = ["satisfied", "basic", "unsatisfied"]
    endog = pd.Series(pd.Categorical.from_codes(codes, categories=levels, ordered=True))
    table = exog.assign(rating=codes)
    rows = table.groupby(["rating", "resolved", "handoffs"]).size().reset_index(name="count")
    counted = CountedOrderedModel(
        pd.Series(pd.Categorical.from_codes(rows["rating"], categories=levels, ordered=True)),
        rows[["resolved", "handoffs"]],
        distr="logit",
    )
    counted.counts = rows["count"].to_numpy(dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = OrderedModel(endog, exog, distr="logit").fit(
            method="bfgs", disp=False, maxiter=1000
        )
        weighted = counted.fit(method="bfgs", disp=False, maxiter=1000)
    assert len(rows) <= 18
    np.testing.assert_allclose(weighted.params, plain.params, atol=1e-4)
    np.testing.assert_allclose(weighted.bse, plain.bse, rtol=1e-3)


def test_an_unbounded_interval_is_inf_without_a_warning() -> None:
    """A tiny log's coefficient can have a standard error past exp's float range: its upper
    bound is inf, said without numpy's overflow warning (it was printed by `govsim fit`)."""
    from govsim.fitting.estimation import log_normal_interval

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, low, high = log_normal_interval(1.0, 1e4)
    assert value == pytest.approx(np.e) and low == 0.0 and high == np.inf
