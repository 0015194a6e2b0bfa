"""Property tests of the ledgers with the coordination mechanisms on (hypothesis).

Random valid scenarios (those of ``test_ledger_properties.py``, and half the time with the
random problems of ``test_problems_properties.py``) get random coordination: categories that
need several departments and shares with unclear jurisdiction, a dispute time and district
fallback, whistles with one deadline or with types, imprecise whistles, departments' local
branches, departments with their own handling times and time limits, and the street powers
policy. Every run must end with both ledgers balanced (the model checks them, including every
joint case's contributions) and:

- every joint case closed at the street, with as many departments as its category needs;
- every disputed case came through the hotline (a grid's own find is not disputed);
- no department pool, branch or not, lost or duplicated an item.
"""

from __future__ import annotations

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_ledger_properties import distributions, probabilities, scenario_dicts
from test_problems_properties import check_problem_tables, problem_scenarios

from govsim.engine.ledger import check_timestamps
from govsim.results.run_tables import collect
from govsim.scenario.loader import validate
from govsim.simulate import new_run

pytestmark = pytest.mark.slow


@st.composite
def coordination_scenarios(draw) -> dict:
    data = draw(st.one_of(scenario_dicts(), problem_scenarios()))
    # Enough appeals for whistles, joint cases and disputes to happen (150-800 expected), in
    # at most 15 days.
    data["days"] = min(data["days"], 15.0)
    city = data["city"]
    population = (
        city["synthetic"]["population"]
        if "synthetic" in city
        else sum(
            g["population"] for d in city["districts"] for s in d["streets"] for g in s["grids"]
        )
    )
    total = sum(c["rate"] for c in data["categories"])
    target = draw(st.integers(150, 800)) * 1000 / (max(population, 1) * data["days"])
    for category in data["categories"]:
        if population == 0:  # a city without residents (key-unit and road grids only)
            break
        share = category["rate"] / total if total > 0 else 1 / len(data["categories"])
        category["rate"] = min(share * target, 1000.0)
    departments = data["departments"]
    if len(departments) < 2:  # joint handling needs at least two departments
        departments += [{"name": f"joint_{i}", "staff": draw(st.integers(0, 4))} for i in range(2)]
    names = [d["name"] for d in departments]
    for category in data["categories"]:
        if category.get("department") is None and draw(st.booleans()):
            category["department"] = draw(st.sampled_from(names))
    for department in departments:
        if draw(st.booleans()):
            department["handling"] = draw(distributions(max_mean=8.0))
        if draw(st.booleans()):
            department["limit_hours"] = draw(st.floats(0.5, 200))
        department["kind"] = draw(
            st.sampled_from(["commission", "bureau", "state_firm", "utility", "platform"])
        )
    for category in data["categories"]:
        owner = category.get("department")
        others = [n for n in names if n != owner]
        if owner is not None and others and draw(st.booleans()):
            category["joint_departments"] = draw(
                st.lists(st.sampled_from(others), min_size=1, max_size=3, unique=True)
            )
            # Mostly beyond the street's powers and whistled, so joint handling happens.
            category["whistle"] = True
            category["closable_at"] = {"grid": 0.1, "street": 0.1, "district": 0.8}
        category["unclear_jurisdiction"] = draw(st.one_of(st.just(0.0), st.floats(0.05, 1)))
    data["jurisdiction"] = {
        "dispute_time": draw(distributions(max_mean=48.0)),
        "district_fallback": draw(probabilities),
    }
    whistle = data["whistle"]
    whistle["enabled"] = draw(st.sampled_from([True, True, True, False]))
    whistle["probability"] = draw(st.one_of(st.just(1.0), probabilities))
    whistle["deadline_hours"] = draw(st.floats(0.1, 48))
    whistle["arrival"] = draw(distributions(max_mean=24.0))
    if draw(st.booleans()):
        whistle["types"] = {
            "routine": {"share": 0.7, "deadline_hours": draw(st.floats(0.5, 48)),
                        "on_time_share": draw(probabilities)},
            "hard": {"share": 0.3, "deadline_hours": draw(st.floats(0.5, 96)),
                     "on_time_share": draw(probabilities)},
        }  # fmt: skip
    if draw(st.booleans()):
        whistle["branches"] = {
            "departments": draw(st.one_of(st.none(), st.lists(st.sampled_from(names), max_size=3)))
            if names
            else None,
            "staff_share": draw(probabilities),
            "arrival": draw(distributions(max_mean=4.0)),
            "level": draw(st.sampled_from(["district", "street"])),
        }
    if draw(st.booleans()):
        whistle["monthly_cap"] = draw(st.integers(0, 5))
    if draw(st.booleans()):
        data.setdefault("policies", []).append(
            {
                "type": "street_powers",
                "start_day": draw(st.floats(0, 3)),
                "street_share": draw(probabilities),
                "assessment_effect": draw(st.floats(0.1, 1)),
                "veto": draw(st.booleans()),
            }
        )
    return data


runs = coordination_scenarios().map(lambda d: validate(d, source="<hypothesis>"))


@settings(max_examples=80)
@given(scenario=runs)
def test_ledgers_balance_with_coordination_on(scenario) -> None:
    model = new_run(scenario)
    result = collect(model.run())  # raises LedgerError if a case, part or problem is lost
    cases = result.cases
    assert cases is not None
    check_timestamps(cases)
    if scenario.problems.enabled:
        check_problem_tables(result)
    for pool in model.pools:
        assert pool.arrived == pool.departed + pool.queued + pool.busy + pool.withdrawn, pool
    needed = {c.name: 1 + len(c.joint_departments) for c in scenario.categories}
    joint = cases[cases["joint_departments"] > 0]
    assert (joint["joint_departments"] == joint["category"].astype(str).map(needed)).all()
    closed = joint[joint["status"] == "closed"]
    assert (closed["final_tier"] == "street").all()
    assert (cases.loc[cases["disputes"] > 0, "channel"] != "patrol").all()
    assert not model.ledger.joint - {c for c in model.ledger.open.values() if c.parts_open}
    event(f"joint cases: {'some' if len(joint) else 'none'}")
    event(f"disputed cases: {'some' if (cases['disputes'] > 0).any() else 'none'}")
    event(f"branches: {'yes' if model.handlers.branches else 'no'}")
    event(f"whistled: {(cases['whistles'] > 0).sum() > 0}")
