"""Unequal places: the synthetic layout's dispersions and staff, and the places mechanism's
grid weights (grid kinds, exposure, old compounds)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, SCENARIOS_DIR, small_scenario_dict
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from test_ledger_properties import check_groups_block
from test_problems_properties import check_problem_tables, problem_scenarios

import govsim
from govsim.core.errors import UserInputError
from govsim.engine.mechanism import Mechanism, RunParts
from govsim.network.city import build_city
from govsim.results.run_tables import collect
from govsim.scenario.loader import validate
from govsim.scenario.schema import Scenario
from govsim.simulate import new_run


def _city(**synthetic: Any) -> Scenario:
    """The small test scenario with its synthetic city set to ``synthetic``."""
    return Scenario.model_validate(small_scenario_dict(city={"synthetic": synthetic}))


def _street_sums(layout: Any, values: np.ndarray) -> np.ndarray:
    return np.bincount(layout.grid_street(), weights=values, minlength=len(layout.streets))


def _drawn(scenario: Scenario, days: int) -> pd.DataFrame:
    """The residents' events of ``days`` days, as the run would draw them."""
    run = new_run(scenario)
    _, categories, grids, residents, _ = run.residents.draw_days(0, days)
    return pd.DataFrame({"category": categories, "grid": grids, "resident": residents})


# -- reductions ------------------------------------------------------------------------------


def test_places_off_or_neutral_is_the_plain_run() -> None:
    off = govsim.load_scenario(BASELINE, ["days=3"])
    neutral = govsim.load_scenario(BASELINE, ["days=3", "places.enabled=true"])
    assert new_run(neutral).placement.plain  # nothing to weigh: the plain draws
    plain, with_places = govsim.simulate(off), govsim.simulate(neutral)
    pd.testing.assert_frame_equal(plain.cases, with_places.cases)
    assert plain.summary["places"] is None
    block = with_places.summary["places"]
    assert block["city"]["residents"] == 120_000
    assert block["city"]["resident_equivalents"] == pytest.approx(120_000)


class _PopulationWeights(Mechanism):
    """Sets the grid weights to the populations: the per-category draws, with nothing to
    change."""

    name = "population_weights"

    def install(self, run: RunParts) -> None:
        population = run.layout.grid_population().astype(float)
        run.placement.grid_weights = np.tile(population, (run.placement.categories, 1))


def test_weights_equal_to_the_populations_draw_the_plain_cases() -> None:
    scenario = govsim.load_scenario(BASELINE, ["days=3"])
    plain = govsim.simulate(scenario)
    weighted = govsim.simulate(scenario, mechanisms=[_PopulationWeights()])
    pd.testing.assert_frame_equal(plain.cases, weighted.cases)


def test_layout_without_dispersion_is_todays_whatever_the_layout_seed() -> None:
    counts = {"districts": 2, "streets": 5, "grids": 17, "population": 12_345}
    kinds = {"community": 12, "village": 2, "key_unit": 2, "road": 1}
    today = build_city(_city(**counts, grid_kinds=kinds))
    other_seed = build_city(_city(**counts, grid_kinds=kinds, layout_seed=99))
    assert today == other_seed
    homes = [g.population for g in today.grids if g.kind in ("community", "village")]
    assert sorted(homes) == [881] * 3 + [882] * 11  # 12,345 spread evenly over 14 grids
    assert {g.staff for g in today.grids} == {1} and {s.staff for s in today.streets} == {1}


# -- the layout's dispersions and staff ---------------------------------------------------------


@pytest.mark.parametrize("cv", [0.3, 0.8])
def test_street_populations_have_the_asked_dispersion(cv: float) -> None:
    streets, population = 2000, 20_000_000
    layout = build_city(
        _city(
            districts=10,
            streets=streets,
            grids=2 * streets,
            population=population,
            population_dispersion=cv,
            grid_dispersion=0.4,
            layout_seed=3,
        )
    )
    grid_population = layout.grid_population()
    assert grid_population.sum() == population  # exactly, by largest remainders
    per_street = _street_sums(layout, grid_population)
    # The sample CV of 2,000 lognormal draws: standard error about cv x sqrt((kurtosis + 2) /
    # 4n), under 0.02 here (0.015 at 0.3, 0.07 at 0.8 from the heavier tail): 3 SE.
    sigma2 = math.log1p(cv * cv)
    kurtosis = math.exp(4 * sigma2) + 2 * math.exp(3 * sigma2) + 3 * math.exp(2 * sigma2) - 6
    se = cv * math.sqrt((kurtosis + 2) / (4 * streets))
    assert abs(per_street.std() / per_street.mean() - cv) < 3 * se
    # Within a street, each grid's share of it: the grid factors' CV (0.4) shows in the ratio
    # of a street's two grids (their log difference has sd sqrt(2) x sigma).
    pairs = grid_population.reshape(streets, 2)
    log_ratio = np.log(pairs[:, 0] / pairs[:, 1])
    sigma = math.sqrt(math.log1p(0.4**2))
    assert log_ratio.std() == pytest.approx(math.sqrt(2) * sigma, rel=3 / math.sqrt(2 * streets))


def test_dispersions_draw_from_the_layout_seed_only() -> None:
    counts = {"streets": 8, "grids": 16, "population": 80_000, "population_dispersion": 0.5}
    one, same, other = (build_city(_city(**counts, layout_seed=seed)) for seed in (1, 1, 2))
    assert one == same and one != other
    run_seed = Scenario.model_validate(
        {**small_scenario_dict(seed=123), "city": {"synthetic": {**counts, "layout_seed": 1}}}
    )
    assert build_city(run_seed) == one  # the run's seed plays no part


def test_staff_per_resident_follows_population() -> None:
    streets = 400
    scenario = Scenario.model_validate(
        small_scenario_dict(
            city={
                "synthetic": {
                    "streets": streets,
                    "grids": 4 * streets,
                    "population": 8_000_000,
                    "population_dispersion": 0.5,
                    "staff_by_population": True,
                    "layout_seed": 7,
                }
            },
            staffing={"grid_workers": 3, "street_staff": 20, "district_staff": 1},
        )
    )
    layout = build_city(scenario)
    residents = _street_sums(layout, layout.grid_population())
    relative = residents / residents.mean()
    street_staff = np.array([s.staff for s in layout.streets])
    grid_staff = _street_sums(layout, np.array([g.staff for g in layout.grids], dtype=float))
    # Rounded, at least 1 (a street's grids: at least 1 each).
    assert np.all(np.abs(street_staff - np.maximum(1, 20 * relative)) <= 0.5)
    assert np.all(np.abs(grid_staff - np.maximum(4, 12 * relative)) <= 0.5)
    # So staff per resident is the same in every street but the smallest (rounding aside).
    per_resident = (street_staff + grid_staff) / residents / (32 / residents.mean())
    big = relative > 0.5
    assert np.all(np.abs(per_resident[big] - 1) < 0.1)


def test_staff_dispersion_varies_staff_per_resident_by_street() -> None:
    streets, cv = 1000, 0.2
    scenario = Scenario.model_validate(
        small_scenario_dict(
            city={
                "synthetic": {
                    "streets": streets,
                    "grids": streets,
                    "population": 20_000_000,
                    "staff_by_population": True,
                    "staff_dispersion": cv,
                    "layout_seed": 5,
                }
            },
            staffing={"grid_workers": 100, "street_staff": 100, "district_staff": 1},
        )
    )
    layout = build_city(scenario)
    staff = np.array([s.staff for s in layout.streets]) + np.array([g.staff for g in layout.grids])
    factor = staff / 200  # every street has the average population: staff is 200 x its factor
    assert factor.mean() == pytest.approx(1, abs=3 * cv / math.sqrt(streets))
    assert factor.std() == pytest.approx(cv, abs=0.02)


# -- the places mechanism: grid weights ---------------------------------------------------------


def _road_city(**places: Any) -> Scenario:
    """Three community grids of 1,000 residents and a road grid, two categories."""
    data = small_scenario_dict(
        city={
            "synthetic": {
                "districts": 1,
                "streets": 2,
                "grids": 4,
                "grid_kinds": {"community": 3, "road": 1},
                "population": 3000,
            }
        },
        places={"enabled": True, **places},
    )
    return Scenario.model_validate(data)


def test_a_road_grid_gets_its_exposure_times_its_multiplier() -> None:
    exposure, multiplier, days, seeds = 2000.0, 3.0, 7 * 20, range(5)
    scenario = _road_city(kinds={"road": {"exposure": exposure, "rates": {"noise": multiplier}}})
    layout = build_city(scenario)
    road = np.array([unit.kind == "road" for unit in layout.grids])
    offset = int(layout.grid_population()[: int(np.argmax(road))].sum())
    events = pd.concat(_drawn(scenario.model_copy(update={"seed": seed}), days) for seed in seeds)
    events["road"] = road[events.grid.to_numpy()]
    assert (events[events.road].resident == offset).all()  # no residents: the grid's offset
    counts = events.groupby(["road", "category"]).size()
    for code, category in enumerate(scenario.categories):
        m = multiplier if category.name == "noise" else 1.0
        # Whole weeks (the weekday shape averages 1; the small scenario has no seasons):
        # E x m x rate / 1000 a day on the road, 3,000 residents x rate / 1000 elsewhere.
        for on_road, weight in ((True, exposure * m), (False, 3000.0)):
            expected = weight * category.rate / 1000 * days * len(seeds)
            z = (counts[on_road, code] - expected) / math.sqrt(expected)
            assert abs(z) < 3, (category.name, on_road, counts[on_road, code], expected)


def test_old_compounds_raise_their_categories_by_the_multiplier() -> None:
    data = small_scenario_dict(
        city={"synthetic": {"streets": 10, "grids": 200, "population": 200_000, "layout_seed": 4}},
        places={"enabled": True, "old_compounds": {"share": 0.25, "rates": {"leak": 2.0}}},
    )
    scenario = Scenario.model_validate(data)
    layout = build_city(scenario)
    old = np.array([g.old_compound for g in layout.grids])
    assert old.sum() == 50  # 25% of 200 residential grids
    events = _drawn(scenario, 28)
    events["old"] = old[events.grid.to_numpy()]
    residents = {True: 50 * 1000, False: 150 * 1000}
    for code, ratio in ((0, 2.0), (1, 1.0)):  # leak raised, noise not
        counts = events[events.category == code].groupby("old").size()
        measured = (counts[True] / residents[True]) / (counts[False] / residents[False])
        se = math.sqrt(1 / counts[True] + 1 / counts[False])  # of the log ratio
        assert abs(math.log(measured / ratio)) < 3 * se, (code, measured)


def test_non_residential_grids_run_with_problems_and_repeat_appeals() -> None:
    overrides = [
        "days=10",
        "feedback.repeat_probability=0.8",
        "city.synthetic.grid_kinds={community: 20, key_unit: 2, road: 2}",
        "places.enabled=true",
        "places.kinds={road: {exposure: 3000, rates: {traffic: 4}}, key_unit: {exposure: 3000}}",
    ]
    scenario = govsim.load_scenario(BASELINE, overrides)
    result = govsim.simulate(scenario)  # the ledgers are checked at the end
    layout = build_city(scenario)
    offset = np.concatenate([[0], np.cumsum(layout.grid_population())[:-1]])
    outside = [g for g, unit in enumerate(layout.grids) if unit.population == 0]
    names = {layout.grids[g].name: offset[g] for g in outside}
    cases = result.cases[result.cases.grid.astype(str).isin(list(names))]
    assert len(cases) > 100 and (cases.repeat_of >= 0).any() and cases.problem_id.notna().any()
    assert (cases.resident_id == cases.grid.astype(str).map(names)).all()


def test_the_summary_block_counts_resident_equivalents_and_expected_appeals() -> None:
    scenario = _road_city(kinds={"road": {"exposure": 2000, "rates": {"noise": 3}}})
    run = new_run(scenario)
    mechanism = run.mechanism("places")
    assert mechanism is not None
    block = mechanism.summary(None)  # type: ignore[arg-type]  (it reads nothing of the run)
    road = block["by_kind"]["road"]
    assert road["grids"] == 1 and road["residents"] == 0
    assert road["expected_appeals_per_day"] == pytest.approx(2000 * (2.0 + 3 * 1.0) / 1000)
    assert road["resident_equivalents"] == pytest.approx(2000 * 5 / 3)
    assert block["city"]["expected_appeals_per_day"] == pytest.approx(3000 * 3 / 1000 + 10)


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "key", "message"),
    [
        (
            "places.kinds={road: {rates: {trafic: 2}}}",
            "places.kinds.road.rates.trafic",
            "no category 'trafic' (did you mean 'traffic'?)",
        ),
        (
            "places.old_compounds.rates={housing: 2, noise: 1.5}",
            "places.old_compounds.rates.noise",
            "no category 'noise'",
        ),
        ("places.kinds={road: {rates: {traffic: -1}}}", "places.kinds.road.rates", "[0, 1000]"),
        ("places.kinds={lane: {exposure: 10}}", "places.kinds.lane", ""),
        ("city.synthetic.population_dispersion=-0.1", "city.synthetic.population_dispersion", ""),
    ],
)
def test_bad_places_are_refused_naming_the_key(override: str, key: str, message: str) -> None:
    with pytest.raises(UserInputError) as error:
        govsim.load_scenario(BASELINE, [override])
    assert error.value.key_path == key
    assert message in error.value.message


def test_old_compounds_of_an_explicit_city_are_marked_on_its_grids() -> None:
    def city(kind: str, share: float = 0.0) -> dict[str, Any]:
        grids = [
            {"name": "g1", "population": 100, "old_compound": True, "kind": kind},
            {"name": "g2", "population": 100},
        ]
        return small_scenario_dict(
            city={"districts": [{"name": "d", "streets": [{"name": "s", "grids": grids}]}]},
            places={"enabled": True, "old_compounds": {"share": share}},
        )

    layout = build_city(Scenario.model_validate(city("village")))
    assert [g.old_compound for g in layout.grids] == [True, False]
    with pytest.raises(ValidationError, match="only a community or village grid"):
        Scenario.model_validate(city("road"))
    with pytest.raises(ValidationError, match="marks its old compounds on its grids"):
        Scenario.model_validate(city("community", share=0.5))


# -- the shipped unequal scenario ---------------------------------------------------------------


def test_the_unequal_scenario_has_unequal_streets() -> None:
    scenario = govsim.load_scenario(SCENARIOS_DIR / "unequal.yaml")
    layout = build_city(scenario)
    assert len(layout.streets) >= 12 and scenario.places.enabled and scenario.problems.enabled
    residents = _street_sums(layout, layout.grid_population())
    assert residents.sum() == scenario.city.synthetic.population  # type: ignore[union-attr]
    assert residents.std() / residents.mean() == pytest.approx(0.51, abs=0.01)
    staff = np.array([s.staff for s in layout.streets]) + _street_sums(
        layout, np.array([g.staff for g in layout.grids], dtype=float)
    )
    baseline = build_city(govsim.load_scenario(BASELINE))
    per_resident = (baseline.streets[0].staff + 4 * baseline.grids[0].staff) / 20_000
    relative = staff / residents / per_resident
    assert 0.74 < relative.min() < 0.8 and 1.25 < relative.max() < 1.35
    assert sum(g.old_compound for g in layout.grids) == round(0.3 * 44)


def test_the_cost_estimate_counts_the_grids_exposure() -> None:
    from govsim.engine.cost import expected_daily_appeals

    plain = _road_city()
    exposed = _road_city(kinds={"road": {"exposure": 2000, "rates": {"noise": 3}}})
    # Flat weekdays, no season: 3,000 residents x 3 a day per 1,000, and the road's 2,000
    # resident-equivalents x (2 + 3 x 1) per 1,000.
    assert expected_daily_appeals(plain)[0] == pytest.approx(9.0)
    assert expected_daily_appeals(exposed)[0] == pytest.approx(9.0 + 10.0)


# -- ledgers under random places ----------------------------------------------------------------


@st.composite
def place_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A random problems scenario (test_problems_properties.py), problems on or off, groups of
    residents on or off (test_ledger_properties.py), with random grid kinds, dispersions, staff
    by population and a random places section: every part of issue 27 on at random."""
    data = draw(problem_scenarios())
    if not draw(st.sampled_from([True, True, False])):
        data["problems"]["enabled"] = False
        data["policies"] = []  # some act on problems only
        for section in ("area_units", "deliberation"):  # (these need problems)
            data.pop(section, None)
    names = [c["name"] for c in data["categories"]]
    kinds = ("community", "village", "key_unit", "road")
    multipliers = st.dictionaries(st.sampled_from(names), st.floats(0, 4), max_size=len(names))
    city = data["city"]
    if "synthetic" in city:
        spec = city["synthetic"]
        outside = draw(st.integers(min(1, spec["grids"] - 1), spec["grids"] - 1))
        spec["grid_kinds"] = {"community": spec["grids"] - outside, "road": outside}
        spec["population_dispersion"] = draw(st.floats(0, 2))
        spec["grid_dispersion"] = draw(st.floats(0, 2))
        spec["staff_by_population"] = draw(st.booleans())
        spec["staff_dispersion"] = draw(st.floats(0, 1))
        spec["layout_seed"] = draw(st.integers(0, 1000))
        share = draw(st.floats(0, 1))
    else:
        share = 0.0
        for grid in (g for d in city["districts"] for s in d["streets"] for g in s["grids"]):
            grid["kind"] = draw(st.sampled_from(kinds))
            grid["old_compound"] = grid["kind"] in kinds[:2] and draw(st.booleans())
    data["places"] = {
        "enabled": True,
        "kinds": {
            kind: {
                "exposure": draw(st.one_of(st.floats(50, 500), st.just(0.0))),
                "rates": draw(multipliers),
            }
            for kind in kinds
        },
        "old_compounds": {"share": share, "rates": draw(multipliers)},
    }
    return data


@pytest.mark.slow
@settings(max_examples=30)
@given(scenario=place_scenarios().map(lambda d: validate(d, source="<hypothesis>")))
def test_ledgers_balance_with_places_on(scenario: Scenario) -> None:
    model = new_run(scenario)
    result = collect(model.run())  # raises LedgerError if a case or a problem is lost
    if scenario.problems.enabled:
        check_problem_tables(result)
    check_groups_block(result)  # groups of residents are on at random too (scenario_dicts)
    layout = model.layout
    assert layout.population == sum(g.population for g in layout.grids)
    cases = result.cases
    assert cases is not None
    population = dict(zip([g.name for g in layout.grids], layout.grid_population(), strict=True))
    empty = cases.grid.astype(str).map(population) == 0
    offset = np.concatenate([[0], np.cumsum(layout.grid_population())[:-1]])
    first = dict(zip([g.name for g in layout.grids], offset, strict=True))
    # A grid without residents: its events' resident is the grid's offset.
    assert (cases.resident_id[empty] == cases.grid[empty].astype(str).map(first)).all()
