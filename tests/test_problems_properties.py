"""Property tests of the case and problem ledgers with problems on (hypothesis).

Random valid scenarios (those of ``test_ledger_properties.py``) get a random problems
section (scopes, reporting rates, first-report delays, fix and resolution probabilities,
giving up, paper closures) and a random mix of the policies that act on problems (grid
patrols, monthly topics, self-governance, rankings, resource sinking), half of them
pushed into overload; the area's units and community deliberation are switched on at random
(issue 29). Every run must end with both ledgers balanced (the model checks them, and the two
mechanisms their books), and its tables must tell the same story:

- every problem that arose is fixed or open, once; every case names a problem that arose;
- no case was opened after its problem's fix; a problem's cases are its appeals;
- a case closed after its problem's fix closed as fixed; the summary's block adds up;
- the area's units' and deliberation's tables add up to their blocks and to the problems'
  ``fixed_by``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ledger_properties import (
    check_groups_block,
    check_volunteers_block,
    distributions,
    probabilities,
    scenario_dicts,
    shares,
)

import govsim
from govsim.engine.ledger import check_timestamps
from govsim.mechanisms.problems.ledger import problem_timeline_faults
from govsim.results.run_tables import collect
from govsim.scenario.loader import validate
from govsim.simulate import new_run

pytestmark = pytest.mark.slow
KINDS = ("household", "building", "compound")


@st.composite
def problem_scenarios(draw) -> dict:
    data = draw(scenario_dicts())
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3, unique=True))
    data["problems"] = {
        "enabled": True,
        "scopes": {
            k: {"residents": draw(st.integers(1, 500)),
                "reporting_rate": draw(st.one_of(st.just(0.0), st.floats(0.01, 6.0)))}
            for k in kinds
        },  # fmt: skip
        "first_report_delay": draw(distributions(max_mean=24.0)),
        "reference_open_hours": draw(st.floats(0, 96)),
        "fix_probability": {
            t: draw(st.one_of(st.just(1.0), st.floats(0.2, 1.0), probabilities))
            for t in ("grid", "street", "district", "department")
        },
        "resolved_if_not_fixed": draw(probabilities),
        "keep_reporting": draw(probabilities),
        "effort_elasticity": draw(st.floats(0, 3)),
        "paper_closure": draw(st.one_of(st.just(0.0), probabilities)),
    }  # fmt: skip
    for category in data["categories"]:
        category["problem"] = {
            "scope": draw(shares(tuple(kinds))),
            "fixability": draw(st.one_of(st.just(1.0), st.floats(0, 1.5))),
            "unfixable_share": draw(st.one_of(st.just(0.0), st.floats(0, 0.3))),
        }
    names = [c["name"] for c in data["categories"]]
    policies = []
    if draw(st.booleans()):
        policies.append({"type": "grid_patrol", "detection": draw(probabilities),
                         "time_share": draw(st.floats(0, 0.5))})  # fmt: skip
    if draw(st.booleans()):
        policies.append({"type": "monthly_topic", "efficacy": draw(probabilities),
                         "lag_days": draw(st.floats(0, 3)), "categories": names,
                         "start_day": 0.0, "cost_yuan": 1.0,
                         "budget_yuan": draw(st.floats(0, 3))})  # fmt: skip
    if draw(st.booleans()):
        policies.append({"type": "self_governance", "coverage": draw(probabilities),
                         "solve_share": draw(probabilities),
                         "delay": draw(distributions(max_mean=12.0))})  # fmt: skip
    if draw(st.booleans()):
        policies.append({"type": "ranking", "improvement_rate": draw(probabilities),
                         "speedup": draw(st.floats(0, 0.9)),
                         "resolution_penalty": draw(probabilities)})  # fmt: skip
    if draw(st.booleans()):
        policies.append({"type": "resource_sinking", "department_share": draw(probabilities),
                         "powers": draw(probabilities)})  # fmt: skip
    data["policies"] = policies
    if draw(st.booleans()):  # overload: few staff for the appeals
        data["staffing"] = {"grid_workers": 1, "street_staff": 1, "district_staff": 1}
    else:  # every tier can close something
        data["staffing"] = {k: max(1, v) for k, v in data["staffing"].items()}
    # The month ends of topics and rankings need some days.
    data["days"] = max(data["days"], draw(st.floats(1.0, 40.0)))
    data["start_date"] = "2024-01-20"
    scale = 1.0 if data["days"] <= 5 else 5.0 / data["days"]
    for category in data["categories"]:
        category["rate"] *= scale
    # Drawn last, so the examples drawn before stay as they were: sinking with its people
    # (whole people, each with their department's powers where they work), district staff too.
    for policy in policies:
        if policy["type"] == "resource_sinking" and draw(st.booleans()):
            policy |= {"powers_with_people": True, "district_share": draw(probabilities)}
    if draw(st.booleans()):  # the area's units (issue 29)
        data["area_units"] = {"enabled": True, "resources": {"r": {
            "categories": draw(st.lists(st.sampled_from(names), min_size=1, max_size=2,
                                        unique=True)),
            "per_street": draw(st.integers(0, 3)), "join_day": draw(st.floats(0, 5)),
            "lag_days": draw(st.floats(0, 10)), "fix_open_share": draw(probabilities),
            "avert_share": draw(probabilities), "cost_yuan_per_month": draw(st.floats(0, 1e5)),
        }}}  # fmt: skip
    if draw(st.booleans()):  # community deliberation and small projects (issue 29)
        some_kinds = st.lists(st.sampled_from(kinds), max_size=3, unique=True)
        data["deliberation"] = {
            "enabled": True,
            "hall": {"coverage": draw(probabilities), "scopes": draw(some_kinds),
                     "settle_probability": draw(probabilities),
                     "delay_days": draw(st.floats(0, 10))},
            "projects": {"per_community": draw(st.integers(0, 3)),
                         "min_reports": draw(st.integers(1, 3)),
                         "fix_probability": draw(probabilities),
                         "deadline_days": draw(st.floats(0.1, 20)), "scopes": draw(some_kinds)},
        }  # fmt: skip
    return data


problem_runs = problem_scenarios().map(lambda d: validate(d, source="<hypothesis>"))


def check_problem_tables(result: govsim.RunResult) -> None:
    cases, problems, block = result.cases, result.problems, result.summary["problems"]
    assert cases is not None and problems is not None and block is not None
    check_timestamps(cases)
    ids = problems["problem_id"].to_numpy()
    assert np.array_equal(ids, np.arange(len(problems))), "each problem recorded once"
    fixed_at = problems["fixed"].to_numpy(dtype=float)
    case_problem = cases["problem_id"].fillna(-1).to_numpy(dtype=np.int64)
    found = problem_timeline_faults(case_problem, cases["created"].to_numpy(), fixed_at)
    assert not found, found
    counts = cases["problem_id"].dropna().astype(int).value_counts()
    appeals = pd.Series(problems["appeals"].to_numpy(), index=ids)
    assert (appeals[appeals > 0] == counts.reindex(appeals[appeals > 0].index)).all()
    assert appeals[~appeals.index.isin(counts.index)].eq(0).all()
    linked = cases[cases["problem_id"].notna()]
    fix = fixed_at[linked["problem_id"].astype(int).to_numpy()]
    after = (linked["status"] == "closed").to_numpy() & (linked["closed"].to_numpy() > fix)
    assert (linked["outcome"].astype(str).to_numpy()[after] == "fixed").all()
    assert block["arisen"] == len(problems) == block["fixed"] + block["open_at_end"]
    assert block["appeals"] == len(linked) == int(problems["appeals"].sum())
    assert sum(block["fixed_by"].values()) == block["fixed"]
    assert sum(block["discovered_by"].values()) == block["arisen"]
    check_party_tables(result)


def check_party_tables(result: govsim.RunResult) -> None:
    """The area's units' and deliberation's tables, summary blocks and the problems' fixed_by
    tell the same story (issue 29)."""
    fixed_by = result.summary["problems"]["fixed_by"]
    units = result.summary["area_units"]
    if units is None:
        assert fixed_by["area_units"] == 0
    else:
        table = result.tables["area_units"]
        assert fixed_by["area_units"] == units["problems_fixed"] == table["fixed"].sum()
        assert units["problems_averted"] == table["averted"].sum()
        assert units["units_joined"] == table["joined"].sum() >= units["units_in_effect"]
        assert table["cost_yuan"].sum() == pytest.approx(units["cost_yuan"], rel=1e-6, abs=1e-6)
    block = result.summary["deliberation"]
    if block is None:
        assert fixed_by["deliberation"] == fixed_by["project"] == 0
        return
    table, projects = result.tables["deliberation"], result.tables["deliberation_projects"]
    assert fixed_by["deliberation"] == block["settled"] == table["settled"].sum()
    assert fixed_by["project"] == block["projects_fixed"] == table["projects_fixed"].sum()
    assert block["projects_chosen"] == len(projects) == table["projects_chosen"].sum()
    assert (projects["outcome"] == "fixed").sum() == block["projects_fixed"]
    assert (projects["outcome"] == "open").sum() == block["projects_under_way"]
    assert block["settled"] + block["settled_otherwise_first"] <= table["settling"].sum()


@settings(max_examples=60)
@given(scenario=problem_runs)
def test_ledgers_balance_with_problems_on(scenario) -> None:
    model = new_run(scenario)
    result = collect(model.run())  # raises LedgerError if a case or a problem is lost
    check_problem_tables(result)
    check_groups_block(result)
    check_volunteers_block(result)  # volunteers are on at random too (scenario_dicts)
    for pool in model.pools:
        assert pool.arrived == pool.departed + pool.queued + pool.busy + pool.withdrawn, pool
