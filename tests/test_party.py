"""The area's units (govsim/mechanisms/area_units/) and community deliberation
(govsim/mechanisms/deliberation/): reductions, small deterministic cases, bad input.

A small city of the baseline's shapes (2 streets, 6 grids, 30,000 residents) keeps each run
a fraction of a second; the paired experiments are experiments/party/area_units.py and
experiments/party/deliberation.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, load_script

import govsim
from govsim.core.errors import LedgerError, UserInputError
from govsim.simulate import new_run

SMALL = [
    "city.synthetic={districts: 1, streets: 2, grids: 6, population: 30000}",
    "days=20",
]
NOT_FIXED_BY_CASES = "problems.fix_probability={grid: 0, street: 0, district: 0, department: 0}"
"""No case fixes its problem: what is fixed, the mechanism fixed."""


def run(overrides: list[str], seed: int = 3) -> govsim.RunResult:
    return govsim.simulate(govsim.load_scenario(BASELINE, [*SMALL, *overrides]), seed=seed)


@pytest.fixture(scope="module")
def plain() -> govsim.RunResult:
    return run([])


# -- reductions -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param(["area_units.enabled=true", *[
            f"area_units.resources.{kind}.per_street=0"
            for kind in ("night_parking", "elderly_canteen")
        ]], id="no_units"),
        pytest.param(["area_units.enabled=true", *[
            f"area_units.resources.{kind}.{share}=0"
            for kind in ("night_parking", "elderly_canteen")
            for share in ("fix_open_share", "avert_share")
        ]], id="units_without_effect"),
        pytest.param([
            "deliberation.enabled=true", "deliberation.hall.settle_probability=0",
            "deliberation.projects.per_community=0",
        ], id="no_deliberation"),
        pytest.param([
            "deliberation.enabled=true", "deliberation.hall.delay_days=3000",
            "deliberation.projects.fix_probability=0", "deliberation.projects.min_reports=1",
            "start_date=2024-03-25",
        ], id="halls_listening_projects_failing"),
    ],
)  # fmt: skip
def test_zero_units_or_probability_give_todays_cases(plain, overrides: list[str]) -> None:
    """No unit, no effect, probability 0 or a settlement past the horizon: the cases and
    problems of the run without the mechanism (the mechanism's own draws shift no other)."""
    start = [o for o in overrides if o.startswith("start_date")]
    base = run(start) if start else plain
    on = run(overrides)
    assert base.cases is not None and on.cases is not None
    pd.testing.assert_frame_equal(base.cases, on.cases)
    pd.testing.assert_frame_equal(base.tables["problems"], on.tables["problems"])
    if "deliberation" in on.tables:
        listening = "deliberation.hall.delay_days=3000" in overrides
        assert (on.summary["deliberation"]["taken_up"] > 0) == listening
        if listening:  # projects were chosen, and failed
            assert on.summary["deliberation"]["projects_chosen"] > 0


def test_switched_off_the_mechanisms_are_not_built_and_their_blocks_are_null(plain) -> None:
    assert plain.summary["area_units"] is None and plain.summary["deliberation"] is None
    assert "area_units" not in plain.tables and "deliberation" not in plain.tables


# -- the area's units -------------------------------------------------------------------------
def test_a_sure_resource_fixes_the_open_problems_of_its_category_and_averts_new_ones() -> None:
    """Parking opened on day 5 by a unit of each street with shares 1: every traffic problem
    open at 120 h is fixed then (fixed_by area_units), none arises after; other categories go on
    as before."""
    result = run([
        "area_units.enabled=true", "area_units.resources={p: {categories: [traffic], "
        "lag_days: 5, fix_open_share: 1, avert_share: 1, cost_yuan_per_month: 30000}}",
    ])  # fmt: skip
    problems = result.tables["problems"]
    traffic = problems[problems["category"] == "traffic"]
    open_then = traffic[(traffic["arose"] < 120) & ~(traffic["fixed"] < 120)]
    assert len(open_then) > 0
    assert (open_then["fixed_by"] == "area_units").all()
    assert np.allclose(open_then["fixed"], 120.0)
    assert (traffic["arose"] <= 120).all()
    others = problems[problems["category"] != "traffic"]
    assert (others["arose"] > 120).sum() > 100
    block = result.summary["area_units"]
    assert block["units_joined"] == 2 and block["units_in_effect"] == 2
    assert block["problems_fixed"] == len(open_then)
    assert block["cost_yuan"] == pytest.approx(2 * 30000 * 20 / 30)
    table = result.tables["area_units"]
    assert table["fixed"].sum() == len(open_then)
    assert table["averted"].sum() == block["problems_averted"] > 0
    assert table["cost_yuan"].sum() == pytest.approx(block["cost_yuan"])


# -- deliberation -----------------------------------------------------------------------------
def test_a_resource_due_at_the_horizon_does_not_take_effect() -> None:
    """Joining on day 0 with a lag of the run's 5 days: joined, never in effect (the run stops
    before an event at its horizon), and the book balances."""
    result = run(["days=5", "area_units.enabled=true",
                  "area_units.resources={p: {categories: [traffic], lag_days: 5}}"])  # fmt: skip
    block = result.summary["area_units"]
    assert block["units_joined"] == 2 and block["units_in_effect"] == 0


def test_a_sure_hall_settles_each_shared_problem_after_its_delay() -> None:
    """Hall in every community, probability 1, 2 days, no case fixing anything: every
    building or compound problem first reported 2 days before the end is settled 48 h after
    its first report; no household problem is."""
    result = run([
        "deliberation.enabled=true", "deliberation.hall.coverage=1",
        "deliberation.hall.settle_probability=1", "deliberation.hall.delay_days=2",
        "deliberation.projects.per_community=0", NOT_FIXED_BY_CASES,
    ])  # fmt: skip
    problems = result.tables["problems"]
    shared = problems["scope"].isin(["building", "compound"])
    due = problems[shared & (problems["first_reported"] + 48 < 20 * 24)]
    assert len(due) > 50
    assert (due["fixed_by"] == "deliberation").all()
    assert np.allclose(due["fixed"], due["first_reported"] + 48)
    assert not (problems[~shared]["fixed_by"] == "deliberation").any()
    assert result.summary["deliberation"]["settled"] == len(due)


def test_the_months_most_reported_problem_becomes_each_communitys_project() -> None:
    """Runs across 1 April (168 h): each community's project is its open building or compound
    problem with the most reports before then, and a sure project fixes it within 3 days."""
    result = run([
        "start_date=2024-03-25", "deliberation.enabled=true",
        "deliberation.hall.settle_probability=0", "deliberation.projects.min_reports=1",
        "deliberation.projects.fix_probability=1", "deliberation.projects.deadline_days=3",
        NOT_FIXED_BY_CASES,
    ])  # fmt: skip
    cases, problems = result.cases, result.tables["problems"]
    projects = result.tables["deliberation_projects"]
    assert cases is not None
    shared = problems.loc[problems["scope"].isin(["building", "compound"]), "problem_id"]
    before = cases[(cases["created"] < 168) & cases["problem_id"].isin(shared)]
    reports = before.groupby(["grid", "problem_id"], observed=True).size()
    most = reports.groupby(level="grid", observed=True).max()
    assert len(projects) == len(most) > 0
    for row in projects.itertuples():
        assert row.chosen == 168 and row.month == "2024-04"
        assert row.reports == most[row.grid] == reports[(row.grid, row.problem_id)]
        assert row.outcome == "fixed" and 168 <= row.fixed <= 168 + 72
    fixed = problems.set_index("problem_id").loc[projects["problem_id"]]
    assert (fixed["fixed_by"] == "project").all()
    assert result.summary["deliberation"]["projects_fixed"] == len(projects)
    table = result.tables["deliberation"]
    assert table.loc[table["month"] == "2024-04", "projects_chosen"].sum() == len(projects)


@pytest.mark.parametrize(
    ("name", "overrides", "planted", "message"),
    [
        ("deliberation", ["deliberation.hall.settle_probability=1"], ("pending", "settling"),
         "deliberation's book does not balance: .* settlements begun"),
        ("deliberation", ["deliberation.projects.min_reports=1"], ("pending", "projects"),
         "deliberation's book does not balance: .* projects chosen"),
        ("area_units", [], ("planned", "effective"),
         "area units' book does not balance: effective: 2 units counted, 3 planned"),
    ],
)  # fmt: skip
def test_the_books_refuse_a_planted_error(
    name: str, overrides: list[str], planted: tuple[str, str], message: str
) -> None:
    """A settlement, a project or a unit's effect that goes missing is caught at the end."""
    scenario = govsim.load_scenario(
        BASELINE,
        [*SMALL, "start_date=2024-03-25", f"{name}.enabled=true", *overrides,
         "area_units.resources={p: {categories: [traffic], lag_days: 5}}"],
    )  # fmt: skip
    model = new_run(scenario, seed=3)
    (mechanism,) = [m for m in model.mechanisms if m.name == name]
    book, key = planted
    getattr(mechanism, book)[key] += 1
    with pytest.raises(LedgerError, match=message):
        model.run()


# -- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        (
            "area_units:\n  enabled: true\n  resources:\n    parking:\n"
            "      categories: [trafic]\n",
            5,
            "area_units.resources.parking.categories.0",
            "no category 'trafic' (did you mean 'traffic'?)",
        ),
        (
            "area_units:\n  enabled: true\n  resources:\n    parking:\n"
            "      categories: [traffic]\n      streets: {D09-S001: 2}\n",
            6,
            "area_units.resources.parking.streets.D09-S001",
            "no street 'D09-S001' in the city",
        ),
        (
            "deliberation:\n  enabled: true\n  hall:\n    scopes: [building, yard]\n",
            4,
            "deliberation.hall.scopes.1",
            "no scope kind 'yard'",
        ),
        (
            "problems:\n  enabled: false\ndeliberation:\n  enabled: true\n",
            4,
            "deliberation.enabled",
            "set problems.enabled: true",
        ),
    ],
)
def test_bad_input_names_file_line_and_key(
    write_file, text: str, line: int, key: str, message: str
) -> None:
    path = write_file("party.yaml", f"base: {BASELINE}\n{text}")
    with pytest.raises(UserInputError) as error:
        govsim.load_scenario(path)
    assert error.value.source is not None and error.value.source.endswith("party.yaml")
    assert error.value.line == line + 1  # (after the base line)
    assert error.value.key_path == key
    assert message in error.value.message


# -- the experiments, cut down ------------------------------------------------------------------
def _experiment(name: str):
    path = BASELINE.parent.parent / "experiments" / "party" / f"{name}.py"
    return load_script(path, f"party_{name}")


@pytest.mark.slow
def test_the_paired_experiments_run_and_each_mechanism_acts() -> None:
    """experiments/party/area_units.py and deliberation.py on one seed and 30 days: every
    figure of both arms, and in the on arm the units avert problems and the halls settle some
    (the 6- and 12-seed figures are in docs/policies.md)."""
    area = _experiment("area_units")
    deliberation = _experiment("deliberation")
    for on, split, block, acted in (
        (area.ON, area.by_category, "area_units", "problems_averted"),
        (deliberation.ON, deliberation.by_scope, "deliberation", "settled"),
    ):
        runs, differences = area.paired([1], on, split, block, days=30)
        assert list(runs["arm"]) == ["off", "on"]
        figures = [c for c in runs.columns if c not in ("arm", "seed")]
        assert len(figures) == 8 and runs[figures].notna().all().all()
        assert differences[acted].iloc[0] > 0
