"""The Huitian scenario (scenarios/huitian.yaml, seed 004): its structure and the plan's ramp."""

from __future__ import annotations

import math

import numpy as np
import pytest

import govsim
from govsim.network.city import build_city

HUITIAN = "scenarios/huitian.yaml"


def test_huitian_has_the_seeds_structural_counts() -> None:
    scenario = govsim.load_scenario(HUITIAN)
    layout = build_city(scenario)
    assert len(layout.grids) == 134  # 134 compounds, one grid each (004)
    assert layout.population == 800_000  # over 800,000 residents (004)
    assert len(layout.streets) == 8
    assert scenario.days == 1095  # the plan's three years
    (ramp,) = [p for p in scenario.policies if p.type == "self_governance"]
    assert (ramp.coverage, ramp.coverage_end) == (0.149, 0.948)  # 14.9% -> 94.8% (004)


@pytest.mark.slow
def test_committee_coverage_ramps_from_14_9_to_94_8_percent_over_the_three_years() -> None:
    """The share of problems the residents solve themselves follows the coverage ramp:
    coverage(t) x solve share per problem, checked against the binomial spread of the
    problems actually drawn (a population of 80,000 keeps the run short; the ramp does not
    depend on it)."""
    scenario = govsim.load_scenario(HUITIAN, ["city.synthetic.population=80000"])
    result = govsim.simulate(scenario, seed=11)
    (ramp,) = [p for p in scenario.policies if p.type == "self_governance"]
    events = {e["event"]: e["time"] for e in result.summary["policy_events"]}
    assert events["self-governance: coverage reached 94.8%"] == pytest.approx(1094 * 24)

    problems = result.tables["problems"]
    # Problems solved by residents take ~2 days (expo 48 h): leave out the last 10 days.
    problems = problems[problems["arose"] < (scenario.days - 10) * 24]
    step = 7 * 24 * np.floor(problems["arose"].to_numpy() / (7 * 24))
    coverage = ramp.coverage + (ramp.coverage_end - ramp.coverage) * np.minimum(
        1.0, step / (ramp.ramp_days * 24)
    )
    p = coverage * ramp.solve_share
    solved = (problems["fixed_by"] == "self_governance").to_numpy()
    for window in (problems["arose"] < 90 * 24, problems["arose"] >= 1000 * 24):
        mask = window.to_numpy()
        expected, sd = p[mask].sum(), math.sqrt((p[mask] * (1 - p[mask])).sum())
        z = (solved[mask].sum() - expected) / sd
        assert abs(z) < 3, (solved[mask].sum(), expected, z)
    early = solved[(problems["arose"] < 90 * 24).to_numpy()].mean()
    late = solved[(problems["arose"] >= 1000 * 24).to_numpy()].mean()
    assert late > 4 * early  # 0.948 / 0.149 = 6.4 times the coverage at the end
