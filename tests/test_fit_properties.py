"""Property tests of ``govsim fit`` on logs the model writes itself (hypothesis).

A random scenario runs, its cases are exported as a case log and fitted with the scenario as
the base; the fit must never stop with an exception, the fitted scenario must load, and (with
problems off) a run of it must give the log's first contacts back within 10%. And where a fit
gives a value beyond its key's schema bound: a sign the data show is written as it is, a
value beyond a bound is clipped with a warning.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO_ROOT, fit_without_calibration
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from govsim.data.caselog import REQUIRED, LogError, read_log
from govsim.experiments.executors.local import LocalExecutor
from govsim.fitting import fit, fit_log, prepare
from govsim.fitting.bounds import field_bounds, within_bounds
from govsim.fitting.estimation import Estimate
from govsim.fitting.export import cases_to_log, write_log
from govsim.scenario import Scenario, load_scenario
from govsim.scenario.loader import validate
from govsim.simulate import simulate

SAMPLE = REPO_ROOT / "experiments" / "data" / "sample-city.yaml"
SAMPLE_LOG = REPO_ROOT / "experiments" / "data" / "sample-log.parquet"
KINDS = ("exponential", "lognormal", "gamma", "deterministic")
TERRITORIAL = ("grid", "street", "district")


@st.composite
def durations(draw, low: float, high: float) -> dict:
    kind = draw(st.sampled_from(KINDS))
    spec = {"kind": kind, "mean": draw(st.floats(low, high))}
    if kind in ("lognormal", "gamma"):
        spec["cv"] = draw(st.floats(0.3, 2.0))
    return spec


@st.composite
def weights(draw, keys: tuple[str, ...]) -> dict[str, float]:
    """Shares over ``keys`` summing to 1 exactly (the largest takes the rounding)."""
    w = draw(st.lists(st.integers(0, 5), min_size=len(keys), max_size=len(keys)))
    w = w if sum(w) else [1] * len(keys)
    values = {k: x / sum(w) for k, x in zip(keys, w, strict=True)}
    last = max(values, key=lambda k: values[k])
    values[last] = 1.0 - sum(v for k, v in values.items() if k != last)
    return values


@st.composite
def fit_scenarios(draw, problems: bool | None = None) -> dict:
    """A scenario of 5-20 days expecting 2,500-4,000 first contacts: Poisson noise of a log's
    volume is then under 2%, so a fitted volume off by 10% is not chance. ``problems``: on,
    off, or drawn (None)."""
    days = draw(st.integers(5, 20))
    population = draw(st.integers(5_000, 50_000))
    departments = [
        {"name": f"dep{i}", "staff": draw(st.integers(0, 6))}
        for i in range(draw(st.integers(0, 2)))
    ]
    categories = []
    for i in range(draw(st.integers(1, 4))):
        category = {
            "name": f"cat{i}",
            "rate": draw(st.floats(0.2, 5.0)),
            "urgency": draw(st.sampled_from(["emergency", "utility", "general", "complex"])),
            "consultation_share": draw(st.floats(0.0, 1.0)),
            "closable_at": draw(weights(TERRITORIAL)),
        }
        if departments and draw(st.booleans()):
            category["department"] = draw(st.sampled_from([d["name"] for d in departments]))
            category["department_route_share"] = draw(st.floats(0.0, 1.0))
        if draw(st.integers(0, 3)) == 0:  # its own handling at a tier: fitted on its own
            tier = draw(st.sampled_from(["grid", "department"]))
            category["handling"] = {tier: draw(durations(0.5, 24.0))}
        categories.append(category)
    if draw(st.booleans()):
        city = {
            "synthetic": {
                "districts": draw(st.integers(1, 2)),
                "streets": draw(st.integers(2, 6)),
                "grids": draw(st.integers(6, 24)),
                "population": population,
            }
        }
    else:  # unequal streets, some grids without residents
        people = draw(st.lists(st.integers(0, 10), min_size=6, max_size=12))
        people[-1] += 1  # a resident at least
        grids = [
            {"name": f"G{g}", "population": population * n // sum(people)}
            for g, n in enumerate(people)
        ]
        city = {
            "districts": [
                {"name": "D0", "streets": [{"name": "S0", "grids": grids[:2]}]},
                {"name": "D1", "streets": [{"name": "S1", "grids": grids[2:]}]},
            ]
        }
        population = sum(g["population"] for g in grids)
    # The season (January 3 to 9, all categories) multiplies the days it covers.
    multiplier = draw(st.one_of(st.none(), st.floats(0.0, 3.0)))
    covered = max(0, min(days, 9) - 2) if multiplier is not None else 0
    exposure = days + ((multiplier or 1.0) - 1.0) * covered
    expected = draw(st.integers(2_500, 4_000))
    scale = expected / (population * sum(c["rate"] for c in categories) / 1000 * exposure)
    for c in categories:
        c["rate"] *= scale
    data = {
        "name": "fit-property",
        "seed": draw(st.integers(0, 2**32 - 1)),
        "days": days,
        "start_date": "2024-01-01",
        "city": city,
        "staffing": {
            "grid_workers": draw(st.integers(0, 4)),
            "street_staff": draw(st.integers(0, 6)),
            "district_staff": draw(st.integers(0, 8)),
        },
        "departments": departments,
        "categories": categories,
        "arrivals": {"channels": draw(weights(("hotline", "online", "patrol")))},
        "hotline": {
            "operators": draw(st.integers(1, 10)),
            "patience": draw(st.one_of(st.none(), durations(0.05, 0.5))),
            "redial_probability": draw(st.floats(0.0, 1.0)),
        },
        "handling": {
            tier: draw(durations(0.5, 24.0))
            for tier in ("grid", "street", "district", "department")
        },
        "whistle": {"enabled": draw(st.booleans())},
        "feedback": {
            "callback_delay": draw(durations(1.0, 48.0)),
            "satisfaction": {
                "intercept": draw(st.floats(-2, 2)),
                "resolved_effect": draw(st.floats(-1, 4)),
                "lateness_effect": draw(st.floats(-1, 2)),
                "handoff_effect": draw(st.floats(-0.5, 1)),
            },
        },
        "problems": {"enabled": draw(st.booleans()) if problems is None else problems},
    }
    if draw(st.booleans()):
        data["arrivals"]["intraday"] = draw(
            st.lists(st.floats(0.0, 3.0), min_size=24, max_size=24).filter(lambda x: sum(x) > 1)
        )
    if multiplier is not None:
        data["arrivals"]["seasons"] = [
            {"name": "season", "start": "01-03", "end": "01-09", "multiplier": multiplier}
        ]
    return data


def first_contacts(cases: pd.DataFrame) -> int:
    return int(cases["repeat_of"].isna().sum())


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(data=fit_scenarios(), other_seed=st.integers(0, 2**32 - 1))
# Found by CI (issue 27's run): four hours without a first contact and a season whose base
# multiplier is 5e-324 drove the arrival GLM's IRLS to non-finite weights, a traceback; the
# fit now holds the shapes at the base's and fits the rates alone (govsim/fitting/arrivals.py).
@example(
    data={
        "name": "fit-property",
        "seed": 233692,
        "days": 7,
        "start_date": "2024-01-01",
        "city": {
            "districts": [
                {
                    "name": "D0",
                    "streets": [
                        {
                            "name": "S0",
                            "grids": [
                                {"name": "G0", "population": 931},
                                {"name": "G1", "population": 465},
                            ],
                        }
                    ],
                },
                {
                    "name": "D1",
                    "streets": [
                        {
                            "name": "S1",
                            "grids": [
                                {"name": "G2", "population": 1086},
                                {"name": "G3", "population": 1086},
                                {"name": "G4", "population": 465},
                                {"name": "G5", "population": 1397},
                                {"name": "G6", "population": 155},
                            ],
                        }
                    ],
                },
            ]
        },
        "staffing": {"grid_workers": 4, "street_staff": 3, "district_staff": 5},
        "departments": [],
        "categories": [
            {
                "name": "cat0",
                "rate": 146.9470655958847,
                "urgency": "general",
                "consultation_share": 0.06444282347669673,
                "closable_at": {
                    "grid": 0.3846153846153846,
                    "street": 0.23076923076923078,
                    "district": 0.38461538461538464,
                },
                "handling": {
                    "department": {
                        "kind": "lognormal",
                        "mean": 16.73785354509921,
                        "cv": 1.6824751177559558,
                    }
                },
            },
            {
                "name": "cat1",
                "rate": 28.00082341972757,
                "urgency": "general",
                "consultation_share": 0.9259626847929026,
                "closable_at": {
                    "grid": 0.3846153846153846,
                    "street": 0.23076923076923078,
                    "district": 0.38461538461538464,
                },
                "handling": {"department": {"kind": "exponential", "mean": 23.198807771565132}},
            },
            {
                "name": "cat2",
                "rate": 97.03070157690819,
                "urgency": "complex",
                "consultation_share": 0.37535314376756845,
                "closable_at": {
                    "grid": 0.5,
                    "street": 0.3333333333333333,
                    "district": 0.16666666666666666,
                },
            },
            {
                "name": "cat3",
                "rate": 81.19956518187523,
                "urgency": "complex",
                "consultation_share": 2.419170939138162e-82,
                "closable_at": {
                    "grid": 0.16666666666666666,
                    "street": 0.6666666666666667,
                    "district": 0.16666666666666666,
                },
            },
        ],
        "arrivals": {
            "channels": {
                "hotline": 0.6666666666666667,
                "online": 0.3333333333333333,
                "patrol": 0.0,
            },
            "intraday": [
                2.4232421980550223,
                2.167132588750595,
                0.7380676234984505,
                0.88,
                1.969917727073689,
                1.4170465425212533,
                0.7519148035922107,
                1.9508925988316639,
                5.358266057098133e-23,
                2.4116449242405587,
                2.4010540410123857,
                2.9051350352877527,
                1.7723666163992537,
                1.4462302541239809,
                1.25,
                2.6794952129487846,
                1.358316742463333,
                1.2085640367319257e-304,
                2.404185341660704,
                9.03776132713548e-188,
                0.7259575262402109,
                5e-324,
                0.7994443982677757,
                0.768889325822746,
            ],
            "seasons": [{"name": "season", "start": "01-03", "end": "01-09", "multiplier": 5e-324}],
        },
        "hotline": {"operators": 1, "patience": None, "redial_probability": 0.3604362861061586},
        "handling": {
            "grid": {"kind": "exponential", "mean": 2.00001},
            "street": {"kind": "lognormal", "mean": 1.9, "cv": 1.9132560898427358},
            "district": {"kind": "gamma", "mean": 4.775533043590355, "cv": 0.8238878885222083},
            "department": {"kind": "lognormal", "mean": 20.646317422603765, "cv": 1.3},
        },
        "whistle": {"enabled": False},
        "feedback": {
            "callback_delay": {
                "kind": "gamma",
                "mean": 36.476301226665846,
                "cv": 0.7255919229092533,
            },
            "satisfaction": {
                "intercept": 0.8071168995715294,
                "resolved_effect": -0.5,
                "lateness_effect": 2.0293626767269758e-284,
                "handoff_effect": 0.8661342055924997,
            },
        },
        "problems": {"enabled": True},
    },
    other_seed=27,
).via("discovered failure")
def test_a_log_of_the_model_always_fits_and_gives_its_volume_back(data, other_seed) -> None:
    scenario, cases, fitted = _fit_own_log(data)  # no exception, whatever the log
    assert fitted.days == scenario.days
    if scenario.problems.enabled:
        # With problems on, a category's rate is the appeal rate only at the assumed
        # reference_open_hours (issue 26): the fit without calibration does not give the
        # volume back; the test below checks it with appeals per problem calibrated.
        return
    logged = first_contacts(cases)
    again = first_contacts(simulate(fitted, seed=other_seed).cases)
    assert abs(again - logged) <= 0.1 * logged, (logged, again)


def _fit_own_log(data: dict, **options) -> tuple[Scenario, pd.DataFrame, Scenario]:
    """The scenario ``data``, its run's cases, and the scenario ``govsim fit`` writes from
    that run's log with ``data`` as the base (``options``: :func:`fit_log`'s)."""
    scenario = validate(data, source="<hypothesis>")
    with tempfile.TemporaryDirectory() as folder:
        base, log, out = (
            Path(folder, "base.yaml"),
            Path(folder, "log.parquet"),
            Path(folder, "f.yaml"),
        )
        base.write_text(yaml.safe_dump(data), encoding="utf-8")
        cases = simulate(scenario).cases
        write_log(cases_to_log(cases, scenario), log)
        fit_log(log, base, out, figures=False, **options)
        return scenario, cases, load_scenario(out)


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(data=fit_scenarios(problems=True), other_seed=st.integers(0, 2**32 - 1))
def test_with_problems_on_a_log_of_the_model_gives_its_volume_back(data, other_seed) -> None:
    """Problems on, appeals per problem calibrated alone (3 corrections on one seed, as long
    as the log: ``fit_log(volume_passes=3)``): a run of the fitted city on another seed gives
    the log's first contacts back within 10%."""
    _, cases, fitted = _fit_own_log(
        data, volume_passes=3, seeds=1, executor=LocalExecutor(workers=1)
    )
    logged = first_contacts(cases)
    again = first_contacts(simulate(fitted, seed=other_seed).cases)
    event(f"off by {abs(again - logged) / logged:.0%}")
    assert abs(again - logged) <= 0.1 * logged, (logged, again)


def _rising_log(folder: Path) -> Path:
    """The sample log, its ratings redrawn so that late cases are *more* satisfied."""
    frame = pd.read_parquet(SAMPLE_LOG)
    scenario = load_scenario(SAMPLE)
    limits = {c.name: scenario.limit_hours_of(c) for c in scenario.categories}
    hours = (frame["closed"] - frame["created"]).dt.total_seconds() / 3600
    limit = frame["category"].astype(str).map(limits).astype(float)
    late = np.maximum(hours / limit - 1, 0).fillna(0).to_numpy()
    rng = np.random.default_rng(1)
    u = rng.random(len(frame))
    z = np.log(u) - np.log1p(-u)
    score = -0.5 + 2.0 * late
    rating = np.where(z < score, "satisfied", np.where(z < score + 1.0, "basic", "unsatisfied"))
    frame["satisfaction"] = pd.Series(rating, index=frame.index).where(
        frame["satisfaction"].notna()
    )
    path = folder / "rising.parquet"
    write_log(frame, path)
    return path


def test_satisfaction_rising_with_lateness_is_fitted_as_a_negative_effect(
    tmp_path: Path, capsys
) -> None:
    """It stopped `govsim fit` with "the fitted scenario does not validate" (issue 26)."""
    log = _rising_log(tmp_path)
    out = tmp_path / "rising.yaml"
    assert fit_without_calibration(log, SAMPLE, out) == 0
    effect = load_scenario(out).feedback.satisfaction.lateness_effect
    assert effect < 0  # truth -2: the sign the data show, written as it is
    report = out.with_suffix(".fit.md").read_text(encoding="utf-8")
    assert "| `feedback.satisfaction.lateness_effect` |" in report
    assert "clipped" not in report  # allowed, not clipped
    assert (
        "(>= -100.0, <= 100.0)"
        in (REPO_ROOT / "docs" / "scenarios.md")
        .read_text(encoding="utf-8")
        .split("| `lateness_effect` |")[1]
        .split("\n")[0]
    )


def test_bounds_are_read_from_the_schema() -> None:
    assert field_bounds(("categories", "x", "rate")) == (0.0, 1000.0, False, False)
    assert field_bounds(("handling", "grid", "cv")) == (0.0, 100.0, True, False)
    assert field_bounds(("categories", "x", "handling", "street", "mean"))[:2] == (0.0, 87600.0)
    assert field_bounds(("arrivals", "seasons", 0, "multiplier"))[:2] == (0.0, 1000.0)
    assert field_bounds(("feedback", "satisfaction", "lateness_effect"))[:2] == (-100.0, 100.0)
    assert field_bounds(("feedback", "satisfaction", "basic_gap"))[:2] == (0.0, 100.0)
    assert field_bounds(("arrivals", "intraday", 3))[:2] == (-np.inf, np.inf)  # a shape


def test_a_value_beyond_its_bound_is_clipped_with_a_warning() -> None:
    method = "ordinal logit of callback ratings"
    estimates = [
        Estimate(("feedback", "satisfaction", "intercept"), 153.2, 120.0, 190.0, method, 500),
        Estimate(("feedback", "satisfaction", "lateness_effect"), -3.5, -4.0, -3.0, method, 500),
        Estimate(("handling", "grid", "mean"), 4.0, 3.5, 4.5, "lognormal", 50, {"kind": "x"}),
        Estimate(("handling", "grid", "cv"), 0.0, 0.0, 0.0, "lognormal", 50, {"kind": "x"}),
    ]
    kept, dropped, warnings = within_bounds(estimates)
    assert [e.path for e in kept] == [
        "feedback.satisfaction.intercept",
        "feedback.satisfaction.lateness_effect",
    ]
    assert kept[0].value == 100.0 and "clipped from 153.2" in kept[0].comment()
    assert kept[1].value == -3.5  # inside the widened bound: as fitted
    assert warnings == [
        "feedback.satisfaction.intercept: fitted 153.2 is outside its bound [-100, 100]: "
        "written as 100 (the ratings separate (nearly) perfectly; beyond 40 log-odds a share "
        "is 0 or 1)"
    ]
    # A cv of 0 cannot be written (the bound is open): the whole distribution is kept.
    assert {d.key for d in dropped} == {"handling.grid.cv", "handling.grid.mean"}


def test_a_clipped_value_is_a_warning_of_the_report(tmp_path: Path) -> None:
    """A log of 2,000 first contacts a day against a base city of 100 residents: a rate of
    20,000 per 1,000 residents a day, beyond the schema's 1,000, is written as 1,000."""
    base = tmp_path / "tiny.yaml"
    base.write_text(
        "name: tiny\ncity: {synthetic: {districts: 1, streets: 1, grids: 1, population: 100}}\n"
        "categories: [{name: noise, rate: 1.0}]\n",
        encoding="utf-8",
    )
    rng = np.random.default_rng(4)
    n = 14_000
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 7 * 24, n)), "h")
    log = pd.DataFrame(
        {"case_id": np.arange(n), "created": created, "category": "noise", "channel": "online"}
    )
    log["street"] = "D01-S001"
    path = tmp_path / "busy.csv"
    write_log(log, path)
    out = tmp_path / "fitted.yaml"
    assert fit_without_calibration(path, base, out) == 0
    assert load_scenario(out).categories[0].rate == 1000.0
    report = out.with_suffix(".fit.md").read_text(encoding="utf-8")
    warning = next(line for line in report.splitlines() if "outside its bound" in line)
    assert warning.startswith("- categories.noise.rate: fitted 2") and "[0, 1000]" in warning
    assert "written as 1000" in warning and "population" in warning


def test_a_few_redials_against_a_base_whose_redials_take_no_time(tmp_path: Path) -> None:
    """Five redials fit a redial probability but not their delay; the base's delay is 0, and a
    redial must take time: the probability is kept from the base, with the reason."""
    base = tmp_path / "no-redials.yaml"
    base.write_text(
        f"base: {SAMPLE}\nname: no-redials\n"
        "hotline: {redial_probability: 0.0, redial_delay: {kind: deterministic, mean: 0.0}}\n",
        encoding="utf-8",
    )
    frame = pd.read_parquet(SAMPLE_LOG)
    abandoned = frame.loc[frame["abandoned_at"].notna(), "case_id"]
    redials = frame.index[frame["repeat_of"].isin(abandoned)]
    frame.loc[redials[5:], "repeat_of"] = pd.NA  # the others: first contacts of their own
    path = tmp_path / "few-redials.parquet"
    write_log(frame, path)
    out = tmp_path / "fitted.yaml"
    assert fit_without_calibration(path, base, out) == 0
    assert load_scenario(out).hotline.redial_probability == 0.0
    report = out.with_suffix(".fit.md").read_text(encoding="utf-8")
    assert "| `hotline.redial_probability` | fitted 0.0" in report
    assert "a redial must take time" in report


def test_a_value_that_cannot_be_written_keeps_its_group_from_the_base() -> None:
    """A shape is written whole: one hour the fit could not give keeps all 24 from the base."""
    shape = [
        Estimate(("arrivals", "intraday", h), 1.0, 0.9, 1.1, "Poisson GLM", 100) for h in range(24)
    ]
    shape[5].value = float("nan")
    rate = Estimate(("categories", "noise", "rate"), 2.0, 1.9, 2.1, "Poisson GLM", 100)
    kept, dropped, warnings = within_bounds([*shape, rate])
    assert kept == [rate] and not warnings
    assert len(dropped) == 24
    assert dropped[0].key == "arrivals.intraday.5" and "nan" in dropped[0].reason


OPTIONAL = [c for c in pd.read_parquet(SAMPLE_LOG).columns if c not in REQUIRED]


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(
    first_day=st.integers(0, 55),
    days=st.integers(1, 56),
    columns=st.sets(st.sampled_from(OPTIONAL)),
    fraction=st.sampled_from([0.002, 0.02, 0.2, 1.0]),
    ratings=st.sampled_from(["as logged", "shuffled", "one level", "two levels", "by resolved"]),
    resolved=st.sampled_from(["as logged", "all true", "all false"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_log_that_validates_fits_without_an_exception(
    first_day, days, columns, fraction, ratings, resolved, seed
) -> None:
    """Parts of the sample log (days, columns, a share of the rows) with ratings and outcomes
    made degenerate: any of them that `govsim log validate` accepts is fitted and written."""
    rng = np.random.default_rng(seed)
    frame = pd.read_parquet(SAMPLE_LOG)
    day = (frame["created"] - frame["created"].min().normalize()).dt.days
    frame = frame[(day >= first_day) & (day < first_day + days)]
    frame = frame[rng.random(len(frame)) < fraction].copy()
    if "repeat_of" in frame:  # a repeat of a row left out is a first contact of its own
        frame.loc[~frame["repeat_of"].isin(frame["case_id"]), "repeat_of"] = pd.NA
    rated = frame["satisfaction"].notna()
    levels = np.array(["satisfied", "basic", "unsatisfied"])
    if ratings == "shuffled":
        frame.loc[rated, "satisfaction"] = rng.permutation(frame.loc[rated, "satisfaction"])
    elif ratings == "one level":
        frame.loc[rated, "satisfaction"] = "basic"
    elif ratings == "two levels":
        frame.loc[rated, "satisfaction"] = rng.choice(levels[:2], int(rated.sum()))
    elif ratings == "by resolved":  # ratings separate perfectly on resolved
        good = frame["resolved"].fillna(False).astype(bool)
        frame.loc[rated, "satisfaction"] = np.where(good[rated], "satisfied", "unsatisfied")
    if resolved != "as logged":
        frame.loc[frame["resolved"].notna(), "resolved"] = resolved == "all true"
    if "repeat_of" in columns:
        columns.add("case_id")
    if columns & {"closing_tier", "callback", "resolved", "satisfaction", "closing_unit"}:
        columns.add("closed")  # what the format refuses without it
    frame = frame[[c for c in frame.columns if c in REQUIRED or c in columns]]
    with tempfile.TemporaryDirectory() as folder:
        log, out = Path(folder, "log.parquet"), Path(folder, "fitted.yaml")
        if frame.empty:
            event("no row left")
            return
        write_log(frame, log)
        try:
            read_log(log)
        except LogError as exc:
            event(f"refused: {exc.message}")
            return  # `govsim log validate` refuses it: not a log to fit
        fit_log(log, SAMPLE, out, figures=False)
        load_scenario(out)
        event("fitted")


def test_a_sparse_log_is_fitted_quietly_and_the_report_says_why_factors_are_zero(
    tmp_path: Path,
) -> None:
    """One first contact: statsmodels' separation warnings were printed by `govsim fit`, once
    per iteration; the report says it once."""
    path = tmp_path / "one.parquet"
    write_log(pd.read_parquet(SAMPLE_LOG).head(1), path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = fit(prepare(read_log(path), load_scenario(SAMPLE), 7))
    assert any(w.startswith("the arrival GLM separates perfectly") for w in result.warnings)
    hours = [result.get("arrivals", "intraday", h).value for h in range(24)]
    assert max(hours) == pytest.approx(24.0) and sorted(hours)[-2] < 1e-6
