"""The predictions in other years (govsim.calibration.predict_years): their settings and
definitions. The runs themselves are ``govsim calibrate``'s; one run here is cut down to two
streets and 12 days across the new year (a fraction of a second)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import REPO_ROOT

from govsim.calibration import predict_years as years
from govsim.calibration import targets
from govsim.calibration.expected import daily_expected
from govsim.calibration.facts import RANKING, _policy
from govsim.calibration.files import CalibrationFiles
from govsim.calibration.measure import CalibrationTask, RateCounts
from govsim.calibration.predictions import PREDICTION_SOURCES
from govsim.calibration.scaling import scale_factor, scaled_copy
from govsim.scenario.loader import load_scenario

FILES = CalibrationFiles(REPO_ROOT)


@pytest.fixture(scope="module")
def setting():
    return years.setting_2020_21(FILES)


def test_2020_21_volumes_follow_the_published_series(setting) -> None:
    daily = daily_expected(setting)
    daily.index = pd.to_datetime(daily.index)
    by_year = daily.groupby(daily.index.year).sum()
    # first contacts: the published contacts less the 1-2% repeat appeals and redials
    for year, published in ((2020, years.CONTACTS_2020), (2021, years.CONTACTS_2021)):
        assert 0.97 < by_year.loc[year].sum() / (published * 1e4) < 1.0
    for year, published in ((2020, years.EPIDEMIC_2020), (2021, years.EPIDEMIC_2021)):
        assert 0.97 < by_year.loc[year, years.EPIDEMIC] / (published * 1e4) < 1.0


def test_2020_21_carries_the_fits(setting) -> None:
    base = load_scenario(FILES.scenario("beijing-2019"))
    assert setting.feedback == base.feedback  # the 2019 quality, no refit
    rates = {c.name: c.rate for c in setting.categories}
    assert all(rates[c.name] == c.rate for c in base.categories)  # volumes: surges only
    ranking = next(p for p in setting.policies if p.type == "ranking")
    fact = _policy(FILES, "a_ranking", RANKING)
    assert ranking.improvement_rate == fact["improvement_rate"]
    assert ranking.service_gain == fact["service_gain"]
    copy = years._copy(setting)
    assert next(p for p in copy.policies if p.type == "ranking").governance_count == 1


def test_2019_from_2024_changes_only_quality() -> None:
    scenario = years.setting_2019_from_2024(FILES)
    base = load_scenario(FILES.scenario("beijing-2019"))
    fitted_2024 = load_scenario(FILES.scenario("beijing"))
    assert scenario.feedback.resolution_probability == fitted_2024.feedback.resolution_probability
    assert scenario.problems.fix_probability == fitted_2024.problems.fix_probability
    assert scenario.categories == base.categories
    assert scenario.hotline == base.hotline


def test_predictions_are_well_formed() -> None:
    predictions = years.predictions() + years.out_of_sample()
    assert len({p.key for p in predictions}) == len(predictions) >= 6
    assert set(years.MISS_MEANS) == {p.key for p in predictions}
    known = {**targets.SOURCES, **PREDICTION_SOURCES}
    for p in predictions:
        assert p.published.source in known, p.key
        low, high = p.tolerance.band(p.published.value)
        assert low < p.published.value < high
        assert p.setting and p.untouched


def test_pooled_rates_are_volume_weighted() -> None:
    a = RateCounts(10, 10, 10, 100, 50, 0, 0)
    b = RateCounts(10, 10, 10, 300, 270, 0, 0)
    assert years.pooled(a, b).rate("resolution") == pytest.approx(320 / 400)


def test_2020_21_setting_runs_cut_down(setting) -> None:
    short = load_scenario(FILES.data / years.SETTING_2020_21, ["days=12"])
    cut = setting.model_copy(update={"days": 12.0, "start_date": pd.Timestamp("2020-12-25").date()})
    cut = scaled_copy(cut, streets=2)
    assert short.days == 12
    run = years.measure_years(CalibrationTask("cut", cut, 7, scale_factor(setting, cut)))
    assert set(run.years) == {"2020", "2021"}
    epidemic = run.years["2020"].epidemic
    assert epidemic is not None and epidemic.cases > 0
    assert 0 < run.years["2020"].rates.rate("resolution") <= 1
