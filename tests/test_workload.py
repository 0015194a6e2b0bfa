"""People at work (govsim/mechanisms/workload): duty hours, other duties, overtime.

The reductions of issue 29: grid workers on duty 08-20 serve nobody at 03:00, and a case
reaching an empty grid at night starts at 08:00; hours on cases are the pools' busy
server-hours; a schedule on duty at every hour is the run without the mechanism; a bad
schedule is refused naming its file, line and key; and (slow) a pool whose servers switch
on a schedule agrees with the Kolmogorov forward equations of its birth-death chain.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import simpy
from conftest import BASELINE

import govsim
from govsim.core.errors import LedgerError, UserInputError
from govsim.core.servers import ServerPool
from govsim.mechanisms.workload.book import CASE_HOURS, FIELDS, UnitBook
from govsim.mechanisms.workload.plan import WeekPlan
from govsim.results.run_tables import collect
from govsim.scenario.loader import validate
from govsim.scenario.workload import TierDuty
from govsim.simulate import new_run

GRID_08_20 = {"grid": {"hours": [8, 20]}}


def night_city(**workload: object) -> dict:
    """One grid of two workers; every case is found on patrol and goes straight to the grid,
    where it takes half an hour and closes."""
    return {
        "name": "night",
        "seed": 7,
        "days": 4,
        "start_date": "2024-03-04",  # a Monday
        "city": {"synthetic": {"districts": 1, "streets": 1, "grids": 1, "population": 1000}},
        "staffing": {"grid_workers": 2, "street_staff": 1, "district_staff": 1},
        "categories": [
            {
                "name": "litter",
                "rate": 30,
                "consultation_share": 0,
                "closable_at": {"grid": 1.0},
                "handling": {"grid": {"kind": "deterministic", "mean": 0.5}},
            }
        ],
        "arrivals": {"channels": {"hotline": 0, "online": 0, "patrol": 1}},
        "output": {"timeseries_interval_hours": 1.0},
        "workload": {"enabled": True, **workload},
    }


@pytest.fixture(scope="module")
def night_run():
    model = new_run(validate(night_city(tiers=GRID_08_20), source="<test>"))
    state = model.run()
    return model, collect(state)


def test_grid_workers_on_duty_8_to_20_serve_nobody_at_3am(night_run) -> None:
    _, result = night_run
    series = result.timeseries
    grid = series[series["tier"].astype(str) == "grid"].set_index("time")
    for day in range(4):
        assert grid.loc[24.0 * day + 3, "staff"] == 0
        assert grid.loc[24.0 * day + 10, "staff"] == 2


def test_a_case_reaching_an_empty_grid_at_night_starts_at_eight(night_run) -> None:
    _, result = night_run
    cases = result.cases
    hour = cases["created"] % 24
    next_eight = 24.0 * np.ceil((cases["created"] - 8) / 24) + 8
    night = cases[((hour >= 20) | (hour < 8)) & (next_eight < 24.0 * 4)].sort_values("created")
    next_eight = next_eight[night.index]
    assert len(night) > 8
    assert (night["first_response"] >= next_eight - 1e-12).all()
    # Nobody serves before 08:00; then the two workers take the night's cases in order, half
    # an hour each: the first two (a case found at 02:00 at an empty grid) start at 08:00.
    order = night.groupby(next_eight.to_numpy()).cumcount().to_numpy()
    expected = next_eight.to_numpy() + 0.5 * (order // 2)
    assert night["first_response"].to_numpy() == pytest.approx(expected, abs=1e-9)
    assert (order == 0).sum() >= 3  # three nights with cases


def test_hours_on_cases_are_busy_server_hours(night_run) -> None:
    model, result = night_run
    table = result.tables["workload"]
    for pool in model.handlers.pools:
        mine = table[(table["unit"].astype(str) == pool.name)]
        assert abs(mine["case_hours"].sum() - pool.busy_area) < 1e-9
        assert mine["cases"].sum() == pool.departed
    grid = table[table["tier"].astype(str) == "grid"]
    assert grid["overtime_hours"].sum() > 0  # cases in hand at 20:00 are finished
    assert (grid["duty_hours"] == 0.5 * grid["person_hours"]).all()  # 12 of 24 hours
    tiers = result.summary["workload"]["tiers"]
    assert tiers["grid"]["duty_hours_per_person"] == pytest.approx(84.0)
    assert tiers["street"]["duty_hours_per_person"] == pytest.approx(168.0)


def test_the_workload_check_catches_a_miscounted_hour(night_run) -> None:
    model, _ = night_run
    mechanism = model.mechanism("workload")
    book = mechanism.books["grid"][0]
    book.months[0][CASE_HOURS] += 0.01
    try:
        with pytest.raises(LedgerError, match="hours on cases"):
            mechanism.check(model)
    finally:
        book.months[0][CASE_HOURS] -= 0.01


def test_other_duties_take_hours_off_cases() -> None:
    duties = [
        {"name": "visits", "hours_per_week": 21},  # a quarter of 84 h on duty
        {"name": "meeting", "hours_per_week": 2, "at": {"weekdays": [0], "start": 9}},
    ]
    data = {**night_city(tiers={"grid": {"hours": [8, 20], "duties": duties}}), "days": 28}
    result = govsim.simulate(validate(data, source="<test>"))
    table = result.tables["workload"]
    grid = table[table["tier"].astype(str) == "grid"].sum(numeric_only=True)
    person_weeks = grid["person_hours"] / 168
    # 23 h a week, less the half-hours of cases in hand as duties begin; the daily rotation
    # rounds to whole people, its carry at most 12 person-hours either way (1.5 h a week).
    assert 21 < grid["other_hours"] / person_weeks <= 23 + 1.5
    figures = result.summary["workload"]["tiers"]["grid"]
    assert figures["case_share"] == pytest.approx(
        grid["case_hours"] / (grid["case_hours"] + grid["other_hours"])
    )


def test_on_duty_at_every_hour_is_the_run_without_the_mechanism() -> None:
    always = {tier: {"hours": [0, 24]} for tier in ("grid", "street", "district", "department")}
    # Staff changes through the roster: departments' people sink, grid workers go on patrol.
    policies = (
        "policies=[{type: resource_sinking, start_day: 1}, {type: grid_patrol, start_day: 2}]"
    )
    base = ["days=3", policies]
    off = govsim.simulate(govsim.load_scenario(BASELINE, base), seed=3)
    on = govsim.simulate(
        govsim.load_scenario(
            BASELINE, [*base, "workload.enabled=true", f"workload.tiers={always}"]
        ),
        seed=3,
    )
    pd.testing.assert_frame_equal(on.cases, off.cases)
    pd.testing.assert_frame_equal(on.timeseries, off.timeseries)
    assert on.summary["utilisation"] == off.summary["utilisation"]
    table = on.tables["workload"]
    assert (table["duty_hours"] == table["person_hours"]).all()
    assert table["other_hours"].sum() == 0
    # Overtime only where a policy took people busy with a case (they finish it first).
    cut = table["tier"].astype(str).isin(["grid", "department"])
    assert table.loc[~cut, "overtime_hours"].sum() == 0
    assert off.summary["workload"] is None


def test_a_bad_schedule_names_its_file_line_and_key(tmp_path) -> None:
    path = tmp_path / "late.yaml"
    path.write_text(
        "name: late\n"
        "categories:\n"
        "  - {name: a, rate: 1}\n"
        "workload:\n"
        "  enabled: true\n"
        "  tiers:\n"
        "    grid:\n"
        "      hours: [20, 8]\n"
    )
    with pytest.raises(UserInputError) as caught:
        govsim.load_scenario(path)
    message = str(caught.value)
    assert "late.yaml" in message and "workload.tiers.grid" in message
    assert "line 7" in message
    assert "0 <= from < to <= 24" in message


# -- a time-varying M/M/c against its Kolmogorov forward equations --------------------------

LAMBDA, MU, STAFF, SKELETON = 1.5, 1.0, 3, 1 / 3  # per hour; 3 on duty 08-20, 1 at night


class Item:
    ticket = 0


def simulated_hourly_means(seed: int, days: int, warmup_days: int) -> np.ndarray:
    """Mean number in the pool at each hour of the day, one replication."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    pool = ServerPool(
        env, "unit", "grid", STAFF, lambda _: rng.exponential(1 / MU), lambda *_: None
    )
    plan = WeekPlan(TierDuty(hours=(8.0, 20.0), skeleton=SKELETON), 0.0)
    book = UnitBook(pool, 0, plan.skeleton, 0.0, 1, [[0.0] * len(FIELDS) for _ in range(days)])
    pool.roster = book.restaff
    segments = plan.segments(0.0)
    _, kind, end = next(segments)
    book.begin(kind, end)
    counts = np.zeros(24)

    def shifts():
        for start, kind, end in segments:
            yield env.timeout(start - env.now)
            book.begin(kind, end)

    def arrivals():
        while True:
            yield env.timeout(rng.exponential(1 / LAMBDA))
            pool.arrive(Item())

    def sampler():
        yield env.timeout(24.0 * warmup_days)
        hour = 0
        while True:
            counts[hour % 24] += pool.busy + pool.queued
            yield env.timeout(1.0)
            hour += 1

    for process in (shifts(), arrivals(), sampler()):
        env.process(process)
    env.run(until=24.0 * days - 0.5)
    return counts / (days - warmup_days)


def kolmogorov_hourly_means(queue_max: int = 80) -> np.ndarray:
    """E[number in system] at each hour of the day in the periodic regime, from the forward
    equations of the chain (queued q, busy b): a service in hand is finished when the servers
    drop (b may exceed them), a freed server takes the next only if b - 1 < servers."""
    from scipy.integrate import solve_ivp

    nb = STAFF + 1
    size = (queue_max + 1) * nb

    def index(q: int, b: int) -> int:
        return q * nb + b

    def generator(servers: int) -> np.ndarray:
        rates = np.zeros((size, size))
        for q in range(queue_max + 1):
            for b in range(nb):
                i = index(q, b)
                if q == 0 and b < servers:
                    rates[i, index(0, b + 1)] += LAMBDA
                elif q < queue_max:
                    rates[i, index(q + 1, b)] += LAMBDA
                if b > 0:
                    if q > 0 and b - 1 < servers:
                        rates[i, index(q - 1, b)] += MU * b
                    else:
                        rates[i, index(q, b - 1)] += MU * b
        rates -= np.diag(rates.sum(axis=1))
        return rates.T  # dp/dt = Q^T p

    def pull(p: np.ndarray, servers: int) -> np.ndarray:
        out = np.zeros_like(p)
        for q in range(queue_max + 1):
            for b in range(nb):
                moved = min(q, max(0, servers - b))
                out[index(q - moved, b + moved)] += p[index(q, b)]
        return out

    night, day = generator(1), generator(STAFF)
    totals = np.array([q + b for q in range(queue_max + 1) for b in range(nb)], dtype=float)
    p = np.zeros(size)
    p[0] = 1.0
    means = np.zeros(24)
    for d in range(12):  # to the periodic regime (it converges within a few days)
        for start, end, rates, servers in (
            (0, 8, night, 1),
            (8, 20, day, STAFF),
            (20, 24, night, 1),
        ):
            if servers == STAFF:
                p = pull(p, STAFF)
            hours = np.arange(start, end + 1)
            sol = solve_ivp(
                lambda _, x, r=rates: r @ x, (start, end), p, t_eval=hours, rtol=1e-9, atol=1e-12
            )
            if d == 11:
                means[start:end] = totals @ sol.y[:, :-1]
            p = sol.y[:, -1]
    return means


@pytest.mark.slow
def test_switching_servers_agree_with_the_kolmogorov_equations() -> None:
    from scipy.stats import norm

    reps = np.array([simulated_hourly_means(seed, days=32, warmup_days=2) for seed in range(24)])
    mean = reps.mean(axis=0)
    half = norm.ppf(1 - 0.025 / 24) * reps.std(axis=0, ddof=1) / math.sqrt(len(reps))
    exact = kolmogorov_hourly_means()
    assert exact[7] > 2 * exact[16]  # the queue builds at night: the check is not vacuous
    assert (np.abs(mean - exact) <= half).all(), (mean - exact) / half
