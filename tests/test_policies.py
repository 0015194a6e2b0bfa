"""Each policy moves its outcome in the expected direction.

Method: R replications with fixed seeds; the policy variant and the baseline of
replication r share its seed, hence the same arrivals and per-case draws (common random
numbers). The test asserts that the 95% t-interval of the paired differences lies on the
expected side of zero: the tolerance comes from the replications, not from a chosen
margin. Horizons and cities are kept small enough for CI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import govsim
from govsim.core.intervals import Interval, paired_ci
from govsim.simulate import new_run

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
POLICIES = ROOT / "scenarios" / "policies"
SEEDS = [101, 202, 303, 404, 505, 606]

Metric = Callable[[govsim.RunResult], float]


class Pairs:
    """The baseline and policy runs of each seed in SEEDS, paired by seed."""

    def __init__(self, policy: list[str] | Path, days: float, base: list[str] = ()) -> None:
        overrides = [f"days={days}", *base]
        baseline = govsim.load_scenario(BASELINE, overrides)
        if isinstance(policy, Path):
            variant = govsim.load_scenario(policy, overrides)
        else:
            variant = govsim.load_scenario(BASELINE, [*overrides, *policy])
        self.control = [govsim.simulate(baseline, seed=seed) for seed in SEEDS]
        self.treated = [govsim.simulate(variant, seed=seed) for seed in SEEDS]

    def diff(self, metric: Metric) -> Interval:
        """Paired CI of metric(policy) - metric(baseline)."""
        return paired_ci([metric(r) for r in self.treated], [metric(r) for r in self.control])

    def ratio(self, metric: Metric) -> float:
        return float(
            np.mean([metric(r) for r in self.treated]) / np.mean([metric(r) for r in self.control])
        )


def paired(policy: list[str] | Path, metric: Metric, days: float, base: list[str] = ()) -> Interval:
    return Pairs(policy, days, base).diff(metric)


def closed(result: govsim.RunResult) -> pd.DataFrame:
    return result.cases[result.cases["status"] == "closed"]


def share_closed_low(result: govsim.RunResult) -> float:
    """Share of closed work orders that closed at a grid or street."""
    work = closed(result)
    work = work[work["final_tier"].astype(str) != "hotline"]
    return float(work["final_tier"].astype(str).isin(["grid", "street"]).mean())


@pytest.mark.slow
def test_resource_sinking_raises_share_closed_at_grid_and_street():
    ci = paired(POLICIES / "resource_sinking.yaml", share_closed_low, days=30)
    assert ci.low > 0, ci


def test_resource_sinking_moves_capacity_without_losing_queued_cases():
    scenario = govsim.load_scenario(POLICIES / "resource_sinking.yaml", ["days=10"])
    model = new_run(scenario, seed=1)
    before = sum(p.capacity for p in model.handlers.departments + model.handlers.districts)
    low_before = sum(p.capacity for p in model.handlers.grids + model.handlers.streets)
    model.run()  # the ledger check inside raises if a case was lost
    after = sum(p.capacity for p in model.handlers.departments + model.handlers.districts)
    low_after = sum(p.capacity for p in model.handlers.grids + model.handlers.streets)
    assert after < before
    assert low_after - low_before == before - after  # every mover arrives somewhere


@pytest.mark.slow
def test_thirty_minute_whistle_shortens_time_to_close_of_department_categories():
    whistle = [
        "whistle.enabled=true",
        "whistle.probability=1.0",
        "whistle.precision=1.0",
        "whistle.types={emergency: {share: 1.0, deadline_hours: 0.5, on_time_share: 1.0}}",
    ]
    # Built so the effect must appear: departments have the staff to answer every whistle
    # (with the baseline's 2-4 they queue, and the whistle then moves the wait, not removes it).
    staffed = [f"departments.{i}.staff=8" for i in range(10)]
    owned = {
        "market_regulation",
        "public_services",
        "housing",
        "health",
        "urban_construction",
        "traffic",
        "social_order",
        "labour_social_security",
        "education",
    }

    def mean_time_to_close(result: govsim.RunResult) -> float:
        # Cases created in the first 20 of 30 days, so both variants see the same cases.
        # The cases beyond the street's powers: escalated to the district, or whistled.
        cases = result.cases
        beyond = (cases["escalations"] >= 2) | (cases["whistles"] >= 1)
        early = cases[
            beyond & (cases["created"] < 20 * 24) & cases["category"].astype(str).isin(owned)
        ]
        late_close = early["closed"].fillna(30 * 24)  # still open: at least the horizon
        return float((late_close - early["created"]).mean())

    ci = paired(whistle, mean_time_to_close, days=30, base=staffed)
    assert ci.high < 0, ci


@pytest.mark.slow
def test_whistle_to_the_wrong_department_costs_time():
    sharp = ["whistle.enabled=true", "whistle.precision=1.0"]
    blunt = ["whistle.enabled=true", "whistle.precision=0.5"]

    def department_visits(result: govsim.RunResult) -> float:
        return float(result.cases["whistles"].sum())

    ci = paired(blunt, department_visits, days=20, base=sharp)
    assert ci.low > 0, ci  # wrong summons are redone: more whistles for the same cases


@pytest.mark.slow
def test_monthly_topic_cuts_the_topic_category_after_the_lag_and_not_before():
    # Start 2024-03-04: the first month end is 2024-04-01 (day 28); 14-day lag -> day 42.
    topic = ["policies=[{type: monthly_topic, categories: [housing], lag_days: 14, efficacy: 0.5}]"]
    effect_day = 28 + 14

    def housing(start: float, end: float) -> Metric:
        def volume(result: govsim.RunResult) -> float:
            c = result.cases[result.cases["repeat_of"].isna()]
            window = (c["created"] >= start * 24) & (c["created"] < end * 24)
            return float((window & (c["category"].astype(str) == "housing")).sum())

        return volume

    # Appeals without problems behind them: the topic cuts the category's appeals themselves
    # (with problems it cuts the problems: tests/test_problems.py).
    pairs = Pairs(topic, days=70, base=["problems.enabled=false"])
    before = pairs.diff(housing(0, effect_day))
    assert before.mean == 0 and before.half_width == 0  # same arrivals until the effect starts
    after = pairs.diff(housing(effect_day, 70))
    assert after.high < 0, after
    assert 0.4 < pairs.ratio(housing(effect_day, 70)) < 0.6  # efficacy 0.5


def test_monthly_topic_picks_last_months_top_category():
    scenario = govsim.load_scenario(POLICIES / "monthly_topic.yaml", ["days=40"])
    result = govsim.simulate(scenario, seed=3)
    march = result.cases[(result.cases["created"] < 28 * 24) & result.cases["repeat_of"].isna()]
    top = march["category"].astype(str).value_counts().idxmax()
    assert result.summary["policy_events"][0]["event"] == f"monthly topic: {top} picked"


@pytest.mark.slow
def test_grid_patrol_raises_patrol_share_and_cuts_hotline_calls():
    def patrol_share(result: govsim.RunResult) -> float:
        return float((result.cases["channel"].astype(str) == "patrol").mean())

    def hotline_calls(result: govsim.RunResult) -> float:
        return float((result.cases["channel"].astype(str) == "hotline").sum())

    pairs = Pairs(POLICIES / "grid_patrol.yaml", days=20)
    assert pairs.diff(patrol_share).low > 0
    assert pairs.diff(hotline_calls).high < 0


@pytest.mark.slow
def test_direct_dispatch_to_streets_shortens_wait_for_first_response():
    def dispatch_to_response(result: govsim.RunResult) -> float:
        cases = result.cases
        grid = cases[cases["channel"].astype(str) != "patrol"]
        return float((grid["first_response"] - grid["dispatched"]).mean())

    ci = paired(POLICIES / "dispatch_reform.yaml", dispatch_to_response, days=20)
    assert ci.high < 0, ci


@pytest.mark.slow
def test_ranking_pressure_raises_resolution_month_by_month():
    ranking = [
        "policies=[{type: ranking, improvement_rate: 0.3, quality_ceiling: 0.99}]",
        "feedback.resolution_probability={hotline: 0.7, grid: 0.6, street: 0.6, district: 0.6, "
        "department: 0.6}",
    ]
    base = ranking[1:]

    def rise(result: govsim.RunResult) -> float:
        # Streets' resolution in June (the last full month) minus March (before any ranking).
        kpis = result.kpis[result.kpis["unit_type"] == "street"]
        monthly = kpis.groupby("month")[["resolved", "valid_callbacks"]].sum()
        rate = monthly["resolved"] / monthly["valid_callbacks"]
        return float(rate["2024-06"] - rate["2024-03"])

    pairs = Pairs(ranking, days=120, base=base)
    assert pairs.diff(rise).low > 0
    assert np.mean([rise(r) for r in pairs.treated]) > 0.05  # several points over four months


@pytest.mark.slow
def test_governance_class_street_cuts_its_appeals():
    ranking = ["policies=[{type: ranking, governance_count: 1, governance_prevention: 0.3}]"]

    def prevented(result: govsim.RunResult) -> float:
        return float(sum(result.summary["prevented_appeals"].values()))

    ci = paired(ranking, prevented, days=100)
    assert ci.low > 0, ci


def test_surge_multiplies_arrivals_inside_its_window_only():
    surge = ["arrivals.surges=[{name: wave, start_day: 5, end_day: 10, multiplier: 3}]"]

    def in_window(result: govsim.RunResult) -> float:
        c = result.cases[result.cases["repeat_of"].isna()]
        return float(((c["created"] >= 5 * 24) & (c["created"] < 10 * 24)).sum())

    def before(result: govsim.RunResult) -> float:
        c = result.cases[result.cases["repeat_of"].isna()]
        return float((c["created"] < 5 * 24).sum())

    pairs = Pairs(surge, days=12, base=["problems.enabled=false"])  # first appeals, drawn at once
    assert pairs.diff(in_window).low > 0
    assert 2.5 < pairs.ratio(in_window) < 3.5
    same = pairs.diff(before)
    assert same.mean == 0 and same.half_width == 0


@pytest.mark.parametrize("path", sorted(POLICIES.glob("*.yaml")), ids=lambda p: p.stem)
def test_ledger_holds_with_each_shipped_policy(path: Path):
    result = govsim.simulate(govsim.load_scenario(path, ["days=45"]))  # ledger checked inside
    s = result.summary
    assert s["created"] == s["closed"] + s["abandoned"] + s["open_at_end"]


POLICY_CHOICES = {
    "dispatch_reform": "{type: dispatch_reform, direct_to_street: %s, dispatch_accuracy: %.2f}",
    "whistle_blowing": (
        "{type: whistle_blowing, probability: %.2f, precision: %.2f, monthly_cap: %d}"
    ),
    "resource_sinking": (
        "{type: resource_sinking, start_day: %.1f, department_share: %.2f, "
        "district_share: %.2f, to_grids: %.2f, powers: %.2f}"
    ),
    "grid_patrol": "{type: grid_patrol, start_day: %.1f, time_share: %.2f, detection: %.2f}",
    "monthly_topic": (
        "{type: monthly_topic, top_k: %d, lag_days: %.1f, efficacy: %.2f, staff_per_street: %d}"
    ),
    "ranking": (
        "{type: ranking, governance_count: %d, improvement_rate: %.2f, extra_staff: %d, "
        "governance_prevention: %.2f, speedup: %.2f, resolution_penalty: %.2f}"
    ),
}

unit = st.floats(0, 1)


@st.composite
def policy_lists(draw: st.DrawFn) -> str:
    chosen = draw(st.lists(st.sampled_from(sorted(POLICY_CHOICES)), unique=True, max_size=6))
    items = []
    for name in chosen:
        if name == "dispatch_reform":
            args = (draw(st.sampled_from(["true", "false"])), draw(st.floats(0.05, 1)))
        elif name == "whistle_blowing":
            args = (draw(unit), draw(st.floats(0.05, 1)), draw(st.integers(0, 20)))
        elif name == "resource_sinking":
            args = (draw(st.floats(0, 40)), draw(unit), draw(unit), draw(unit), draw(unit))
        elif name == "grid_patrol":
            args = (draw(st.floats(0, 40)), draw(st.floats(0, 0.9)), draw(unit))
        elif name == "monthly_topic":
            args = (
                draw(st.integers(1, 3)),
                draw(st.floats(0, 20)),
                draw(unit),
                draw(st.integers(0, 3)),
            )
        else:
            args = (
                draw(st.integers(0, 3)),
                draw(unit),
                draw(st.integers(0, 2)),
                draw(unit),
                draw(st.floats(0, 0.9)),
                draw(unit),
            )
        items.append(POLICY_CHOICES[name] % args)
    return "[" + ", ".join(items) + "]"


@pytest.mark.slow
@settings(max_examples=25)
@given(policies=policy_lists(), seed=st.integers(0, 2**31), load=st.floats(0.5, 4.0))
def test_ledger_holds_with_random_policies_switched_on(policies: str, seed: int, load: float):
    scenario = govsim.load_scenario(
        BASELINE,
        [
            "days=70",
            "start_date=2024-03-20",
            f"policies={policies}",
            "city.synthetic={districts: 1, streets: 3, grids: 6, "
            f"population: {int(30000 * load)}}}",
        ],
    )
    result = govsim.simulate(scenario, seed=seed)  # raises LedgerError on any imbalance
    s = result.summary
    assert s["created"] == s["closed"] + s["abandoned"] + s["open_at_end"]
    assert len(result.cases) == s["created"]
