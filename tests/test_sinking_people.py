"""Resource sinking with its people (``powers_with_people``): whole people move, each with
the powers of their department's categories, and the powers act only where a holder works.

Short runs of the baseline city (a day or a few): the statistical claims (with nobody moved
the share closed at grid and street is unchanged, with people moved the carried categories
close sooner and the tier they left works harder) are in experiments/sinking/.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import load_script

import govsim
from govsim.core.errors import UserInputError
from govsim.engine.agents.intake import CategoryRules
from govsim.policies.sinking import whole_people
from govsim.simulate import new_run

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SHIPPED = {"start_day": 0, "department_share": 0.25, "district_share": 0.25, "to_grids": 0.6}


def sinking(days: float = 1, **spec: object) -> govsim.Scenario:
    policy = {"type": "resource_sinking", **SHIPPED, "powers_with_people": True, **spec}
    return govsim.load_scenario(BASELINE, [f"days={days}", f"policies=[{policy}]"])


def test_whole_people_are_a_share_of_the_tier_by_largest_remainder():
    staff = [3, 4, 3, 2, 2, 2, 2, 2, 2, 2]  # the baseline's departments
    assert whole_people(staff, 0.25) == [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    assert [int(n * 0.25) for n in staff] == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]  # the old mode
    assert whole_people([2, 2], 1.0) == [2, 2]  # never more than a unit has
    assert whole_people([3, 4], 0.0) == [0, 0]


def test_a_quarter_of_the_department_staff_moves_six_people_and_says_so():
    result = govsim.simulate(sinking(), seed=1)
    (event,) = result.summary["policy_events"]
    assert "6 of 6 department staff moved (25% of 24)" in event["event"]
    assert "5 of 5 district staff moved (25% of 20)" in event["event"]
    movers = result.summary["movers"]
    assert len(movers) == 11
    by_origin = {m["origin"]: m for m in movers if m["origin_tier"] == "department"}
    assert by_origin["urban_management"]["categories"] == ["urban_construction"]
    assert by_origin["public_security"]["categories"] == ["social_order"]
    assert sum(m["destination_tier"] == "grid" for m in movers) == 7  # 60% of 6, of 5
    for mover in movers:
        assert mover["origin"] and mover["destination"]
        if mover["origin_tier"] == "district":  # district staff stay in their district
            assert mover["destination"].startswith(mover["origin"])
            assert len(mover["categories"]) == 10


def test_a_share_that_rounds_down_is_stated_in_one_line():
    result = govsim.simulate(sinking(department_share=0.1, district_share=0.0), seed=1)
    (event,) = result.summary["policy_events"]
    assert (
        "2 of 2.4 department staff moved (10% of 24): whole people, 2.4 rounds down to 2"
        in (event["event"])
    )
    assert len(result.summary["movers"]) == 2


def test_the_powers_act_only_where_a_holder_works():
    model = new_run(sinking(days=0.5, district_share=0.0), seed=1)
    model.run()
    intake = model.intake
    assert intake.local is not None
    grid_names = [g.name for g in model.layout.grids]
    held = {m["destination"]: m["categories"] for m in model.levers.movers}
    categories = [c.name for c in model.scenario.categories]
    for g, rules in enumerate(intake.local):
        street_name = grid_names[g].rsplit("-", 1)[0]
        here = set(held.get(grid_names[g], [])) | set(held.get(street_name, []))
        for c, name in enumerate(categories):
            if name in here:
                assert rules[c] != intake.rules[c]
                assert rules[c].department_share < intake.rules[c].department_share or (
                    intake.rules[c].department_share == 0
                )
            else:
                assert rules[c] == intake.rules[c]


def test_powers_held_everywhere_are_the_city_wide_powers():
    model = new_run(sinking(days=1, department_share=0.0, district_share=0.0), seed=1)
    levers, intake = model.levers, model.intake
    n_grids, n_streets = len(model.layout.grids), len(model.layout.streets)
    for unit in range(n_streets):
        levers.move_powers_down_at(4, "street", unit, 0.5)
    for unit in range(n_grids):
        levers.move_powers_down_at(4, "grid", unit, 0.5)
        levers.move_powers_down_at(4, "grid", unit, 0.25)  # holders do not add up
    city_wide = intake.rules[4].with_powers_moved_down(0.5)
    assert intake.local is not None
    assert all(rules[4] == city_wide for rules in intake.local)
    assert all(rules[3] == intake.rules[3] for rules in intake.local)
    levers.move_powers_down(4, 0.2)  # a city-wide move later: the units' rules follow it
    assert all(rules[4] == intake.rules[4].with_powers_moved_down(0.5) for rules in intake.local)
    with pytest.raises(ValueError, match="grid or a street"):
        levers.move_powers_down_at(4, "district", 0, 0.5)


def test_one_share_moves_both_steps_as_before():
    rules = CategoryRules(0, 1, 2, 0.3, 0.7, 0.4, 0.5)
    assert rules.with_powers_moved_down(0.5) == rules.with_powers_moved_down(0.5, 0.5)
    only_grid = rules.with_powers_moved_down(0.5, 0.0)
    assert only_grid.street_cut == rules.street_cut and only_grid.grid_cut == 0.3 + 0.5 * 0.4


def test_with_nobody_moved_sinking_changes_nothing():
    def cases(**spec: object) -> pd.DataFrame:
        return govsim.simulate(sinking(days=3, powers=1.0, **spec), seed=2).cases

    plain = govsim.simulate(govsim.load_scenario(BASELINE, ["days=3"]), seed=2).cases
    nobody = cases(department_share=0.0, district_share=0.0)
    pd.testing.assert_frame_equal(nobody, plain)
    powers_alone = cases(department_share=0.0, district_share=0.0, powers_with_people=False)
    assert not powers_alone.equals(plain)  # the old mode: powers move without people


def test_the_old_mode_is_the_default():
    scenario = govsim.load_scenario(BASELINE, ['policies=[{"type": "resource_sinking"}]'])
    assert scenario.policies[0].powers_with_people is False


@pytest.mark.parametrize(
    ("key", "value"), [("powers_with_people", '"maybe"'), ("power_with_people", "true")]
)
def test_bad_keys_are_refused(key: str, value: str):
    policy = f'policies=[{{"type": "resource_sinking", "{key}": {value}}}]'
    with pytest.raises(UserInputError, match=key):
        govsim.load_scenario(BASELINE, [policy])


@pytest.mark.slow
def test_the_departments_the_movers_leave_work_harder():
    # Cut down from experiments/sinking/people.py (90 days, 6 seeds: +4.7 points, 4.2 to 5.2).
    plain = govsim.load_scenario(BASELINE, ["days=20"])
    moved = sinking(days=20, district_share=0.0)
    for seed in (1, 2):
        before = govsim.simulate(plain, seed=seed).summary["utilisation"]["department"]
        after = govsim.simulate(moved, seed=seed).summary["utilisation"]["department"]
        assert after > before + 0.02, (seed, before, after)


def _experiment_script():
    """experiments/sinking/people.py as a module (it is a script, not part of the package)."""
    return load_script(ROOT / "experiments" / "sinking" / "people.py", "sinking_people")


def test_the_experiment_sums_each_run_by_category_and_grid_without_losing_a_case(monkeypatch):
    # The experiment keeps a run's times to close summed by category and grid (a Haidian run
    # has 919,000 cases); the mean over any set must be the mean over the cases themselves.
    people = _experiment_script()
    monkeypatch.setattr(people, "DAYS", 6)
    monkeypatch.setattr(people, "START", 1)
    monkeypatch.setattr(people, "LAST", 5)
    row = people.run("baseline", "people_departments", 1)
    cases = govsim.simulate(
        govsim.load_scenario(
            BASELINE, ["days=6", f"policies=[{people.VARIANTS['people_departments']}]"]
        ),
        seed=1,
    ).cases
    window = cases[(cases["created"] >= 24) & (cases["created"] < 5 * 24)]
    hours = window["closed"].fillna(6 * 24.0) - window["created"]
    assert sum(n for _, n in row["hours"].values()) == len(window)
    some = {"housing", "health"}
    grids = {"D01-S001-G0001", "D01-S001-G0002", "D01-S002-G0005"}
    keep = window["category"].astype(str).isin(some) & window["grid"].astype(str).isin(grids)
    assert keep.sum() > 0
    assert people.mean_hours(row, some, grids) == pytest.approx(hours[keep].mean(), rel=1e-12)
    assert people.mean_hours(row, set(), None) != people.mean_hours(row, set(), None)  # nan


def test_the_experiment_reads_its_verdicts_by_the_rule_set_before_its_runs():
    people = _experiment_script()
    out = {
        "nobody": {"share_closed_low": [0.0, 0.0, 0.0]},
        "people_departments": {
            "hours_carried": [1.2, 0.8, 1.7],
            "utilisation_department": [0.1, 0.09, 0.11],
        },
    }
    assert list(people.verdicts(out).values()) == ["hit", "miss", "hit"]
    out["people_departments"]["hours_carried"] = [-1.0, -1.5, -0.1]
    out["nobody"]["share_closed_low"] = [0.01, 0.005, 0.02]
    assert list(people.verdicts(out).values()) == ["miss", "hit", "hit"]
