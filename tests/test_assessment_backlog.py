"""What the monthly assessment counts of the orders still open (``ranking.open_orders``).

Off, the league tables are today's; on a hand-made month of cases (one street, one
department, cases created, moved and closed by hand) an order left open past the grace
period counts once as closed late, unresolved and unsatisfied, and the backlog columns are
the hours counted by hand; on the 12-street city (experiments/assessment) the backlog-aware
design turns the composite against the backlog (issue 28), with intervals from the seeds.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import simpy
from conftest import load_script
from ranking_stubs import StubLevers
from statsmodels.stats.weightstats import DescrStatsW

import govsim
from govsim.core.calendar import Calendar
from govsim.core.case import Case
from govsim.core.codes import (
    ABANDONED,
    CLOSED,
    SATISFIED,
    STAGE,
    STREET_TIER,
)
from govsim.policies.ranking import Ranking
from govsim.results.run_tables import BACKLOG_COLUMNS, RANKING_COLUMNS, ranking_columns

ROOT = Path(__file__).resolve().parent.parent
ALL_POLICIES = ROOT / "scenarios" / "policies" / "all.yaml"
EXPERIMENT = ROOT / "experiments" / "assessment" / "backlog_blindness.py"

# The hand-made months: February 2024 (0-696 h), March (696-1440 h), 8 days of April.
MONTH_1, MONTH_2, HORIZON = 696.0, 1440.0, 1440.0 + 8 * 24
LIMIT = 168.0  # the one category's limit (hours)
GRACE = 168.0  # a week (the default grace_days)


@pytest.mark.slow
def test_off_leaves_the_rankings_and_the_run_as_they_were():
    def run(extra: str) -> govsim.RunResult:
        overrides = ["days=40"] if not extra else ["days=40", f"policies.5.open_orders={extra}"]
        return govsim.simulate(govsim.load_scenario(ALL_POLICIES, overrides), seed=7)

    default = run("")
    off = run("{counted: false, grace_days: 3, recorded: false}")
    recorded = run("{recorded: true}")
    assert list(default.rankings.columns) == list(RANKING_COLUMNS)
    assert len(default.rankings) > 0
    pd.testing.assert_frame_equal(off.rankings, default.rankings)
    # Recording only adds columns: the league tables and every case are today's.
    assert list(recorded.rankings.columns) == [*RANKING_COLUMNS, *BACKLOG_COLUMNS]
    pd.testing.assert_frame_equal(recorded.rankings[list(RANKING_COLUMNS)], default.rankings)
    assert (recorded.rankings["open_counted"] == 0).all()
    pd.testing.assert_frame_equal(recorded.cases, default.cases)


def _hand_made_months(counted: bool) -> pd.DataFrame:
    """Run the ranking over the hand-made cases; return its league tables.

    At the street: A, created at 100 h, closed at 1,000 h (in March, after February's grace
    week); B, closed on time in February; D, open at February's end and closed in its
    grace week; E, the same in March; F, created in March, never closed. H waits at the
    hotline, P at the department, both never closed; G is abandoned at the hotline.
    Every closing is on time, resolved and satisfied.
    """
    env = simpy.Environment()
    levers = StubLevers(env, [LIMIT], HORIZON)
    orders = {"counted": counted, "recorded": True}
    Ranking(type="ranking", governance_count=0, open_orders=orders).install(levers)
    script = [  # (created, stage, closed or None, first response)
        ("G", 50.0, "hotline", None),
        ("A", 100.0, "street", 1000.0),
        ("B", 200.0, "street", 300.0),
        ("D", 650.0, "street", 750.0),
        ("H", 660.0, "hotline", None),
        ("P", 680.0, "department", None),
        ("E", 1400.0, "street", 1500.0),
        ("F", 1430.0, "street", None),
    ]
    events = []
    for i, (name, created, stage, closed) in enumerate(script):
        case = Case(i, i, 0, 0, 0, 0, 0, 0, 0, created, department=0)
        case.stage = STAGE[stage]
        events.append((created, "create", case))
        if closed is not None:
            events.append((closed, "close", case))
        if name == "G":
            events.append((60.0, "abandon", case))

    def drive():
        for time, action, case in sorted(events, key=lambda e: e[0]):
            yield env.timeout(time - env.now)
            if action == "create":
                case.created = env.now
                for listener in levers.created:
                    listener(case)
            elif action == "abandon":
                case.status, case.abandoned_at = ABANDONED, env.now
            else:
                case.first_response = case.created + 10
                case.closed, case.final_tier, case.status = env.now, STREET_TIER, CLOSED
                case.resolved, case.satisfaction = 1, SATISFIED
                for listener in levers.closed:
                    listener(case)

    env.process(drive())
    env.run(until=HORIZON)
    return pd.DataFrame(levers.rankings, columns=ranking_columns(levers.rankings))


def _row(table: pd.DataFrame, month: str, unit_type: str) -> pd.Series | None:
    rows = table[(table["month"] == month) & (table["unit_type"] == unit_type)]
    assert len(rows) <= 1
    return None if rows.empty else rows.iloc[0]


def test_an_order_open_past_the_grace_period_counts_once():
    table = _hand_made_months(counted=True)
    feb, mar = _row(table, "2024-02", "street"), _row(table, "2024-03", "street")
    # February: B (on time, resolved, satisfied) and A, open a week after the month: one
    # order of two late, unresolved, unsatisfied. D closed in the grace week: not counted.
    assert feb["open_counted"] == 1 and feb["composite"] == pytest.approx(0.5)
    # March: D (closed in February's grace week) and F, open a week after March; A's
    # closing in March is not scored again, E closed in March's grace week is not counted.
    assert mar["open_counted"] == 1 and mar["composite"] == pytest.approx(0.5)
    # The department's order P counts in February and never again (March: nothing to rank).
    department = _row(table, "2024-02", "department")
    assert department["open_counted"] == 1 and department["composite"] == pytest.approx(0.0)
    assert math.isnan(department["open_cases_mean"])  # kept for streets only
    assert _row(table, "2024-03", "department") is None


def test_uncounted_orders_leave_todays_scores_and_the_backlog_is_the_hours_by_hand():
    table = _hand_made_months(counted=False)
    feb, mar = _row(table, "2024-02", "street"), _row(table, "2024-03", "street")
    assert feb["composite"] == pytest.approx(1.0) and mar["composite"] == pytest.approx(1.0)
    assert (table["open_counted"] == 0).all()
    # Open hours in February: G 10 (abandoned), A 596, B 100, D 46, H 36, P 16; in March:
    # A 304, D 54, H 744, P 744, E 40, F 10.
    assert feb["open_cases_mean"] == pytest.approx((10 + 596 + 100 + 46 + 36 + 16) / MONTH_1)
    assert mar["open_cases_mean"] == pytest.approx(
        (304 + 54 + 744 + 744 + 40 + 10) / (MONTH_2 - MONTH_1)
    )
    # Past the 168 h limit at the month's end: A (street) in February; in March P
    # (department; H waits at the hotline, which no unit holds).
    assert feb["open_past_limit"] == 1 and mar["open_past_limit"] == 0
    assert table[table["unit_type"] == "department"].empty  # no closed case, none counted


def _experiment():
    return load_script(EXPERIMENT, "backlog_blindness")


@pytest.mark.slow
def test_counting_open_orders_turns_the_composite_against_the_backlog():
    """Three seeds of the 12-street city (6 seed-months): today's composite rises with the
    backlog (95% interval of the mean rho above 0); counting the orders open a week after
    the month lowers rho in every seed-month's pair (paired interval below 0) and ranks the
    most backlogged street lower."""
    frame = _experiment().seed_months([1, 2, 3], designs=("today", "open_after_week"), workers=2)
    today = frame[frame["design"] == "today"].set_index(["seed", "month"])
    aware = frame[frame["design"] == "open_after_week"].set_index(["seed", "month"])
    assert len(today) == len(aware) == 6
    assert (today["worst_street"] == aware["worst_street"]).all()  # the same cases
    low, _ = DescrStatsW(today["rho"].to_numpy()).tconfint_mean()
    assert low > 0
    _, high = DescrStatsW((aware["rho"] - today["rho"]).to_numpy()).tconfint_mean()
    assert high < 0
    _, high = DescrStatsW((today["worst_rank"] - aware["worst_rank"]).to_numpy()).tconfint_mean()
    assert high < 0


@pytest.mark.slow
def test_the_streets_mean_open_cases_are_the_case_tables_open_hours():
    """open_cases_mean: every case of the street's territory, from creation to its closing or
    abandonment (open ones to the month's end), over the month's hours."""
    overrides = ["days=62", "policies.5.open_orders.recorded=true"]
    result = govsim.simulate(govsim.load_scenario(ALL_POLICIES, overrides), seed=7)
    cases = result.cases
    end = cases["closed"].fillna(cases["abandoned_at"]).fillna(float("inf"))
    calendar = Calendar(result.scenario.start_date, 62 * 24.0)
    streets = result.rankings[result.rankings["unit_type"] == "street"]
    months = sorted(set(streets["month"]))
    assert len(months) == 2
    for month in months:
        i = calendar.labels.index(month)
        start, stop = calendar.month_starts[i], calendar.month_starts[i + 1]
        hours = (end.clip(upper=stop) - cases["created"].clip(lower=start)).clip(lower=0)
        by_street = hours.groupby(cases["street"].astype(str)).sum() / (stop - start)
        got = streets[streets["month"] == month].set_index("unit")["open_cases_mean"]
        assert len(got) == 6
        assert got.to_numpy() == pytest.approx(by_street[got.index].to_numpy(), rel=1e-9)
