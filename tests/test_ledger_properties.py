"""Property tests of the case ledger over random valid scenarios (hypothesis).

Every generated scenario is small (a few thousand cases at most) and short (1-5 days)
but covers the awkward corners: zero capacities, overload, shift plans with idle hours,
impatient callers, wrong dispatches, whistles, repeats, degenerate distributions.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import govsim
from govsim.core.case import Case
from govsim.core.codes import CLOSED, STAGE
from govsim.core.errors import LedgerError
from govsim.core.servers import ServerPool
from govsim.engine.ledger import TIME_ORDER, check_timestamps
from govsim.engine.run import Run
from govsim.network.city import build_city
from govsim.policies.whistle import Whistle
from govsim.results.kpis_from_cases import assess, kpi_frame, three_rates
from govsim.results.run_tables import collect
from govsim.scenario.loader import validate
from govsim.scenario.schema import Hotline
from govsim.simulate import new_run

TERRITORIAL = ("grid", "street", "district")
MAX_EXPECTED_CASES = 1500  # generated rates are scaled down to at most this many a run

# -- strategies ---------------------------------------------------------------------------------

KINDS = ("exponential", "lognormal", "gamma", "deterministic")


@st.composite
def distributions(draw, min_mean: float = 0.0, max_mean: float = 24.0) -> dict:
    kind = draw(st.sampled_from(KINDS))
    if min_mean == 0.0 and draw(st.integers(0, 9)) == 0:
        mean = 0.0
    else:
        mean = draw(st.floats(max(min_mean, 0.01), max_mean))
    spec = {"kind": kind, "mean": mean}
    if kind in ("lognormal", "gamma") or draw(st.booleans()):
        spec["cv"] = draw(st.floats(0.2, 2.0))
    return spec


@st.composite
def shares(draw, keys: tuple[str, ...], drop_zeros: bool = True) -> dict[str, float]:
    """Random non-negative shares over ``keys`` that sum to 1 (to rounding)."""
    weights = draw(
        st.lists(st.integers(0, 10), min_size=len(keys), max_size=len(keys)).filter(
            lambda w: sum(w) > 0
        )
    )
    total = sum(weights)
    values = {k: w / total for k, w in zip(keys, weights, strict=True) if w or not drop_zeros}
    last = max(values, key=values.get)  # make the sum exactly 1.0 in floating point
    values[last] = 1.0 - sum(v for k, v in values.items() if k != last)
    return values


probabilities = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))
staff = st.one_of(st.just(0), st.integers(1, 3))


@st.composite
def cities(draw, staffing: dict) -> dict:
    districts = draw(st.integers(1, 2))
    streets = draw(st.integers(districts, 4))
    grids = draw(st.integers(streets, 8))
    population = draw(st.integers(1, 3000))
    if draw(st.booleans()):
        return {
            "synthetic": {
                "districts": districts,
                "streets": streets,
                "grids": grids,
                "population": population,
            }
        }
    # An explicit city with some units overriding the default staff (including 0).
    per_street = [1] * streets
    for _ in range(grids - streets):
        per_street[draw(st.integers(0, streets - 1))] += 1
    street_of_district = [s * districts // streets for s in range(streets)]
    spec = []
    g = 0
    for d in range(districts):
        district = {"name": f"D{d}", "streets": []}
        if draw(st.booleans()):
            district["staff"] = draw(staff)
        for s in range(streets):
            if street_of_district[s] != d:
                continue
            street = {"name": f"S{s}", "grids": []}
            if draw(st.booleans()):
                street["staff"] = draw(staff)
            for _ in range(per_street[s]):
                grid = {"name": f"G{g}", "population": draw(st.integers(0, 1000))}
                if draw(st.booleans()):
                    grid["workers"] = draw(staff)
                street["grids"].append(grid)
                g += 1
            district["streets"].append(street)
        spec.append(district)
    return {"districts": spec}


@st.composite
def scenario_dicts(draw) -> dict:
    days = draw(st.floats(1.0, 5.0))
    staffing = {
        "grid_workers": draw(staff),
        "street_staff": draw(staff),
        "district_staff": draw(staff),
    }
    city = draw(cities(staffing))
    departments = [
        {"name": f"dep{i}", "staff": draw(staff)} for i in range(draw(st.integers(0, 3)))
    ]
    custom_urgency = draw(st.booleans())
    if custom_urgency:
        urgency = {
            f"u{i}": {"limit_hours": draw(st.floats(0.5, 400)), "priority": draw(st.integers(0, 3))}
            for i in range(draw(st.integers(1, 3)))
        }
    else:
        urgency = None
    urgency_names = list(urgency) if urgency else ["emergency", "utility", "general", "complex"]

    categories = []
    for i in range(draw(st.integers(1, 4))):
        category = {
            "name": f"cat{i}",
            "rate": draw(st.one_of(st.just(0.0), st.floats(0.1, 5.0), st.floats(5.0, 200.0))),
            "urgency": draw(st.sampled_from(urgency_names)),
            "consultation_share": draw(probabilities),
            "closable_at": draw(shares(TERRITORIAL)),
            "whistle": draw(st.booleans()),
        }
        if departments and draw(st.booleans()):
            category["department"] = draw(st.sampled_from([d["name"] for d in departments]))
            category["department_route_share"] = draw(probabilities)
        if draw(st.integers(0, 3)) == 0:
            category["handling"] = {
                tier: draw(distributions(max_mean=12.0))
                for tier in ("grid", "street", "district", "department")
                if draw(st.booleans())
            }
        categories.append(category)

    # Keep runs small: scale the rates so the expected number of appeals is bounded.
    population = (
        city["synthetic"]["population"]
        if "synthetic" in city
        else sum(
            g["population"] for d in city["districts"] for s in d["streets"] for g in s["grids"]
        )
    )
    expected = population * sum(c["rate"] for c in categories) / 1000 * days
    if expected > MAX_EXPECTED_CASES:
        for c in categories:
            c["rate"] *= MAX_EXPECTED_CASES / expected

    if draw(st.booleans()):
        operators = draw(
            st.lists(st.integers(0, 3), min_size=24, max_size=24).filter(lambda x: max(x) > 0)
        )
    else:
        operators = draw(st.integers(1, 4))
    hotline = {
        "operators": operators,
        "talk_time": draw(distributions(max_mean=0.5)),
        "patience": draw(
            st.one_of(st.none(), distributions(max_mean=1.0), distributions(max_mean=8.0))
        ),
        "redial_probability": draw(probabilities),
        # Positive means: a zero redial delay with zero patience loops without time passing.
        "redial_delay": draw(distributions(min_mean=0.1, max_mean=6.0)),
        "dispatch_delay": draw(distributions(max_mean=2.0)),
        "dispatch_accuracy": draw(st.one_of(st.just(1.0), st.floats(0.05, 1.0))),
        "return_delay": draw(distributions(max_mean=12.0)),
        "max_returns": draw(st.integers(0, 3)),
    }
    if "direct_to_street" in Hotline.model_fields:
        hotline["direct_to_street"] = draw(st.booleans())
    whistle = {"enabled": draw(st.booleans()), "probability": draw(probabilities)}
    if "precision" in Whistle.model_fields:
        whistle["precision"] = draw(st.one_of(st.just(1.0), st.floats(0.1, 1.0)))
    if "report_delay" in Whistle.model_fields:
        whistle["report_delay"] = draw(distributions(max_mean=6.0))

    data = {
        "name": "hypothesis",
        "seed": draw(st.integers(0, 2**32 - 1)),
        "days": days,
        "start_date": dt.date(2024, 1, 1) + dt.timedelta(days=draw(st.integers(0, 365))),
        "city": city,
        "staffing": staffing,
        "departments": departments,
        "categories": categories,
        "arrivals": {"channels": draw(shares(("hotline", "online", "patrol")))},
        "hotline": hotline,
        "handling": {
            tier: draw(distributions(max_mean=12.0))
            for tier in ("grid", "street", "district", "department")
        },
        "escalation": {"escalation_delay": draw(distributions(max_mean=4.0))},
        "whistle": whistle,
        "feedback": {
            "callback_delay": draw(distributions(min_mean=0.05, max_mean=48.0)),
            "callback_reach": draw(probabilities),
            "resolution_probability": {
                t: draw(probabilities)
                for t in ("hotline", "grid", "street", "district", "department")
            },
            "satisfaction": {
                "intercept": draw(st.floats(-3, 3)),
                "resolved_effect": draw(st.floats(-1, 4)),
                "handoff_effect": draw(st.floats(0, 1)),
            },
            "repeat_probability": draw(probabilities),
            "repeat_delay": draw(distributions(min_mean=0.1, max_mean=48.0)),
        },
        "output": {"timeseries_interval_hours": draw(st.sampled_from([0.5, 1.0, 6.0, 24.0]))},
    }
    if urgency:
        data["urgency_classes"] = urgency
    if draw(st.booleans()):
        data["arrivals"]["intraday"] = draw(
            st.lists(st.floats(0, 3), min_size=24, max_size=24).filter(lambda x: sum(x) > 0.1)
        )
    if draw(st.booleans()):
        data["arrivals"]["weekday"] = draw(
            st.lists(st.floats(0, 2), min_size=7, max_size=7).filter(lambda x: sum(x) > 0.1)
        )
    if draw(st.booleans()):
        data["arrivals"]["seasons"] = [
            {
                "name": "season",
                "start": "01-15",
                "end": "12-20",
                "multiplier": draw(st.floats(0, 2)),
                "categories": draw(st.one_of(st.none(), st.just([categories[0]["name"]]))),
            }
        ]
    if draw(st.booleans()):
        data["residents"] = draw(resident_groups([c["name"] for c in categories]))
    if draw(st.booleans()):
        data["workload"] = draw(workloads())
    if draw(st.booleans()):
        data["volunteers"] = draw(volunteers([c["name"] for c in categories]))
    return data


@st.composite
def workloads(draw) -> dict:
    """A workload section: duty hours, a skeleton crew and other duties for some tiers."""
    tiers = {}
    for tier in ("grid", "street", "district", "department"):
        if not draw(st.booleans()):
            continue
        start = draw(st.integers(0, 23))
        end = draw(st.integers(start + 1, 24))
        days = sorted(draw(st.sets(st.integers(0, 6), min_size=1)))
        duties = []
        blocked = 0.0
        if draw(st.booleans()):
            block_days = sorted(draw(st.sets(st.sampled_from(days), min_size=1)))
            block_start = draw(st.integers(start, end - 1))
            length = draw(st.floats(0.1, end - block_start))
            blocked = length * len(block_days)
            duties.append(
                {
                    "name": "meeting",
                    "hours_per_week": blocked,
                    "at": {"weekdays": block_days, "start": block_start},
                    "cuttable": draw(st.booleans()),
                }
            )
        room = (end - start) * len(days) - blocked
        if draw(st.booleans()):
            duties.append({"name": "visits", "hours_per_week": draw(st.floats(0, 0.9)) * room})
        tiers[tier] = {
            "hours": [start, end],
            "weekdays": days,
            "skeleton": draw(probabilities),
            "duties": duties,
        }
    return {"enabled": True, "tiers": tiers, "burden_cut": draw(probabilities)}


def check_workload_table(result: govsim.RunResult) -> None:
    """With the workload mechanism, its table adds up to the summary's figures per tier."""
    block = result.summary["workload"]
    if block is None:
        return
    table = result.tables["workload"]
    for tier, figures in block["tiers"].items():
        rows = table[table["tier"].astype(str) == tier]
        person_hours = rows["person_hours"].sum()
        if person_hours > 0 and figures["case_hours_per_person"] is not None:
            assert figures["case_hours_per_person"] == pytest.approx(
                rows["case_hours"].sum() / person_hours * 168, abs=1e-5
            )
        idle = (
            rows["duty_hours"] + rows["overtime_hours"] - rows["case_hours"] - rows["other_hours"]
        )
        assert (idle >= -1e-6 * (1 + rows["person_hours"])).all()


@st.composite
def volunteers(draw, categories: list[str]) -> dict:
    """A volunteers section switched on: members at every grid, sessions, named categories."""
    sessions = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.floats(0, 23))
        sessions.append(
            {
                "weekdays": draw(st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True)),
                "start": start,
                "end": draw(st.floats(start + 0.1, 24)),
            }
        )
    return {
        "enabled": True,
        "registered": draw(st.integers(0, 5)),
        "turnout": draw(probabilities),
        "sessions": sessions,
        "categories": draw(st.lists(st.sampled_from(categories), min_size=1, unique=True)),
        "handling_factor": draw(st.floats(0.1, 3.0)),
        "fix_factor": draw(st.one_of(st.just(1.0), st.floats(0.0, 2.0))),  # (with problems)
        "take_queued": draw(st.booleans()),
    }


@st.composite
def resident_groups(draw, categories: list[str]) -> dict:
    """A residents section with groups on: up to three groups (the rest are 'others')."""
    names = [f"g{i}" for i in range(draw(st.integers(1, 3)))]
    split = draw(shares((*names, "rest"), drop_zeros=False))
    groups = [
        {
            "name": name,
            "share": split[name],
            "rates": {c: draw(st.floats(0, 2)) for c in categories if draw(st.booleans())},
            "reporting": draw(st.one_of(st.just(1.0), st.floats(0, 2))),
            "first_report_delay": draw(st.one_of(st.just(1.0), st.floats(0, 3))),
            "callback_reach": draw(st.one_of(st.none(), probabilities)),
            "satisfaction_shift": draw(st.floats(-3, 3)),
        }
        for name in names
    ]
    return {"enabled": True, "groups": groups}


def check_groups_block(result: govsim.RunResult) -> None:
    """With groups on, the groups block counts the cases table's cases by its group column."""
    block = result.summary["groups"]
    if block is None:
        return
    cases = result.cases
    assert cases is not None
    group, status = cases["group"].astype(str), cases["status"].astype(str)
    for name, figures in block["by_group"].items():
        mine = group == name
        assert figures["cases"] == int(mine.sum())
        assert figures["closed"] == int((mine & (status == "closed")).sum())
        assert figures["open_at_end"] == int((mine & (status == "open")).sum())
        assert figures["callbacks"] == int((mine & cases["satisfied"].notna()).sum())
    population = int(build_city(result.scenario).grid_population().sum())
    assert sum(f["residents"] for f in block["by_group"].values()) == population


def check_volunteers_block(result: govsim.RunResult) -> None:
    """With volunteers on, the summary block adds up the volunteers table."""
    block = result.summary["volunteers"]
    if block is None:
        assert "volunteers" not in result.tables
        return
    table = result.tables["volunteers"]
    assert block["cases"] == int(table["cases"].sum())
    assert block["member_hours"] == pytest.approx(table["member_hours"].sum(), abs=1e-5)
    assert block["case_hours"] == pytest.approx(table["case_hours"].sum(), abs=1e-5)
    assert (table["member_hours"] >= 0).all() and (table["case_hours"] >= 0).all()


scenarios = scenario_dicts().map(lambda data: validate(data, source="<hypothesis>"))


@st.composite
def pressured_dicts(draw) -> dict:
    """Random scenarios pushed towards the awkward corner of the hotline: calls queue, callers
    are patient enough to be answered, and work orders then queue at thin grids."""
    data = draw(scenario_dicts())
    data["arrivals"]["channels"] = {"hotline": 1.0, "online": 0.0, "patrol": 0.0}
    data["hotline"]["operators"] = draw(st.integers(1, 2))
    data["hotline"]["talk_time"] = {
        "kind": draw(st.sampled_from(KINDS)),
        "mean": draw(st.floats(0.05, 0.3)),
    }
    data["hotline"]["patience"] = draw(distributions(min_mean=0.2, max_mean=4.0))
    data["hotline"]["dispatch_delay"] = draw(distributions(max_mean=0.2))
    data["staffing"]["grid_workers"] = draw(st.integers(0, 1))
    for category in data["categories"]:
        category["consultation_share"] = draw(st.floats(0.0, 0.3))
        category["rate"] = max(category["rate"], 1.0)
    if "synthetic" in data["city"]:
        data["city"]["synthetic"]["population"] = draw(st.integers(500, 3000))
    return data


pressured = pressured_dicts().map(lambda data: validate(data, source="<hypothesis>"))


# -- checks -------------------------------------------------------------------------------------


def check_cases_table(cases: pd.DataFrame, summary: dict, horizon: float) -> None:
    n = len(cases)
    # created = closed + abandoned + open, from the summary and from the table.
    assert summary["created"] == summary["closed"] + summary["abandoned"] + summary["open_at_end"]
    assert n == summary["created"]
    status = cases["status"].astype(str)
    assert (status == "closed").sum() == summary["closed"]
    assert (status == "abandoned").sum() == summary["abandoned"]
    assert (status == "open").sum() == summary["open_at_end"]
    assert set(status.unique()) <= {"closed", "abandoned", "open"}

    # Case ids unique and consecutive, from 0.
    assert cases["case_id"].tolist() == list(range(n))

    # Status consistent with timestamps.
    closed, abandoned, still_open = status == "closed", status == "abandoned", status == "open"
    assert cases.loc[closed, "closed"].notna().all()
    assert cases.loc[closed, "first_response"].notna().all()
    assert cases.loc[closed, "final_tier"].notna().all()
    assert cases.loc[closed, "abandoned_at"].isna().all()
    assert cases.loc[~closed, "closed"].isna().all()
    assert cases.loc[~closed, "final_tier"].isna().all()
    assert cases.loc[~closed, "callback"].isna().all()
    assert cases.loc[abandoned, "abandoned_at"].notna().all()
    assert (cases.loc[abandoned, "channel"].astype(str) == "hotline").all()
    assert cases.loc[abandoned, ["dispatched", "first_response"]].isna().all().all()
    assert cases.loc[still_open, "abandoned_at"].isna().all()
    has_callback = cases["callback"].notna()
    assert cases.loc[has_callback, "resolved"].notna().all()
    assert cases.loc[has_callback, "satisfaction"].notna().all()
    assert cases.loc[~has_callback, "resolved"].isna().all()
    assert cases.loc[~has_callback, "satisfaction"].isna().all()
    hotline_closed = closed & (cases["final_tier"].astype(object) == "hotline")
    assert (cases.loc[hotline_closed, ["escalations", "whistles", "returns"]] == 0).all().all()
    assert cases.loc[hotline_closed, "dispatched"].isna().all()
    assert (cases["escalations"] <= 2).all() and (
        cases[["escalations", "whistles", "returns"]] >= 0
    ).all().all()

    # Timestamps never decrease along the life cycle (NaN steps skipped), all within the run.
    times = cases[list(TIME_ORDER)].to_numpy(dtype=float)
    for row in times:
        reached = row[~np.isnan(row)]
        assert (np.diff(reached) >= 0).all(), row
    assert (cases["created"] >= 0).all() and (cases["created"] < horizon + 1e-9).all()
    stamped = cases[[*TIME_ORDER, "abandoned_at"]].to_numpy(dtype=float)
    assert (np.nan_to_num(stamped, nan=0.0) <= horizon + 1e-9).all()
    assert (cases.loc[abandoned, "abandoned_at"] >= cases.loc[abandoned, "created"]).all()
    check_timestamps(cases)  # the model's own check agrees

    # repeat_of points to an earlier case of the same resident (same problem, same place).
    repeats = cases[cases["repeat_of"].notna()]
    assert summary["repeat_cases"] == len(repeats)
    by_id = cases.set_index("case_id")
    for _, row in repeats.iterrows():
        original_id = int(row["repeat_of"])
        assert 0 <= original_id < row["case_id"]
        original = by_id.loc[original_id]
        assert original["resident_id"] == row["resident_id"]
        assert original["category"] == row["category"] and original["grid"] == row["grid"]
        if original["status"] == "abandoned":  # a redial after hanging up
            assert row["created"] >= original["abandoned_at"]
        else:  # an unsatisfied resident appealing again after the callback
            assert original["status"] == "closed"
            assert original["satisfaction"] == "unsatisfied"
            assert row["created"] >= original["callback"]


def check_statistics(result: govsim.RunResult, horizon: float) -> None:
    """The run's streaming tallies agree with the pandas reference computed from its cases table."""
    cases, stats = result.cases, result.statistics
    reference_kpis = kpi_frame(cases, result.scenario, horizon)
    pd.testing.assert_frame_equal(result.kpis, reference_kpis, check_dtype=False)
    for warmup_days in (0, 1):
        after = cases[cases["created"] >= warmup_days * 24.0]
        expected = three_rates(assess(after, result.scenario, horizon))
        got = stats.rates(warmup_days * 24.0)
        for rate in expected:
            assert got[rate] == pytest.approx(expected[rate], rel=1e-12, nan_ok=True), rate
        closed = after[after["status"] == "closed"]
        assert sorted(stats.time_to_close(warmup_days * 24.0)) == pytest.approx(
            sorted(closed["closed"] - closed["created"]), rel=1e-12
        )
        assert stats.day_total("created", warmup_days * 24.0) == len(after)
        by_tier = stats.closed_by_tier(warmup_days * 24.0)
        assert (
            by_tier
            == closed["final_tier"]
            .astype(str)
            .value_counts()
            .reindex(list(by_tier), fill_value=0)
            .to_dict()
        )
        calls = after[after["channel"] == "hotline"]
        assert stats.day_total("calls", warmup_days * 24.0) == len(calls)
        assert stats.day_total("abandoned_calls", warmup_days * 24.0) == int(
            (calls["status"] == "abandoned").sum()
        )
    assert result.summary["rates"]["valid_callbacks"] == int(cases["callback"].notna().sum())


def check_flow_balance(model: Run, cases: pd.DataFrame) -> None:
    pools = model.pools
    # Party members' pools, one per grid (volunteers on), else none: they visit grids too.
    members = model.handlers.extra_pools or [None] * len(model.handlers.grids)
    for pool in [*pools, *model.handlers.extra_pools]:
        assert pool.arrived == pool.departed + pool.queued + pool.busy + pool.withdrawn, pool
        assert pool.queued == len(pool.waiting()) and pool.busy == len(pool.in_service()), pool
        if pool is not model.hotline.pool and pool not in model.handlers.grids:
            assert pool.withdrawn == 0, pool  # only callers hang up
    for grid, member in zip(model.handlers.grids, members, strict=True):
        # members take waiting orders from their grid's queue, and nobody else does
        assert grid.withdrawn <= (0 if member is None else member.arrived), grid
    status = cases["status"].astype(str)
    channel = cases["channel"].astype(str)
    # Every hotline-channel case called exactly once; every abandoned case hung up once.
    hotline = model.hotline.pool
    assert hotline.arrived == int((channel == "hotline").sum())
    assert hotline.withdrawn == int((status == "abandoned").sum())

    # Grid visits implied by the table: every case that reached the territorial ladder
    # visited its grid exactly once.
    final = cases["final_tier"].astype(object)
    open_stage = {c.id: c.stage for c in model.ledger.open.values()}
    stage = cases["case_id"].map(open_stage)
    territorial_stages = {STAGE[t] for t in TERRITORIAL}
    visited_grid = (
        (status == "closed") & final.isin(TERRITORIAL)
        | (status == "open") & stage.isin(territorial_stages)
        | (cases["whistles"] > 0)
        | (cases["escalations"] > 0)
    )

    def visits(grid: ServerPool, member: ServerPool | None) -> int:
        return grid.arrived - grid.withdrawn + (0 if member is None else member.arrived)

    grid_arrivals = sum(map(visits, model.handlers.grids, members))
    assert grid_arrivals == int(visited_grid.sum())
    # Per grid, too.
    per_grid = cases.loc[visited_grid, "grid"].astype(str).value_counts()
    for pool, member in zip(model.handlers.grids, members, strict=True):
        assert visits(pool, member) == per_grid.get(pool.name, 0), pool
    # Street, district and department visits: every escalation or whistle is one visit,
    # except the hand-overs still in transit at the end.
    in_transit = cases["case_id"].isin({c.id for c in model.ledger.transit})
    at = {tier: stage == STAGE[tier] for tier in ("street", "district", "department")}
    street_arrivals = sum(p.arrived for p in model.handlers.streets)
    assert street_arrivals == int(
        (cases["escalations"] >= 1).sum() - (at["street"] & in_transit).sum()
    )
    district_arrivals = sum(p.arrived for p in model.handlers.districts)
    assert district_arrivals == int(
        (cases["escalations"] >= 2).sum() - (at["district"] & in_transit).sum()
    )
    department_arrivals = sum(p.arrived for p in model.handlers.departments)
    routed = (status == "closed") & (final == "department") | (status == "open") & at[
        "department"
    ] & ~in_transit & (cases["whistles"] == 0)
    whistle_visits = (
        cases["whistles"].sum() - (at["department"] & in_transit & (cases["whistles"] > 0)).sum()
    )
    assert department_arrivals == int(routed.sum() + whistle_visits)


@pytest.mark.slow
@settings(max_examples=120)
@given(scenario=scenarios)
def test_ledger_balances_on_random_scenarios(scenario) -> None:
    result = govsim.simulate(scenario)
    check_cases_table(result.cases, result.summary, scenario.days * 24.0)
    check_statistics(result, scenario.days * 24.0)
    check_groups_block(result)
    check_workload_table(result)
    check_volunteers_block(result)

    # Run the same scenario through Run directly to inspect its pools.
    model = new_run(scenario)
    state = model.run()
    direct = collect(state)
    pd.testing.assert_frame_equal(direct.cases, result.cases)  # same seed, same run
    check_flow_balance(model, direct.cases)


@pytest.mark.slow
@settings(max_examples=60)
@given(scenario=pressured)
def test_ledger_balances_under_hotline_pressure(scenario) -> None:
    model = new_run(scenario)
    state = model.run()
    result = collect(state)
    check_cases_table(result.cases, result.summary, scenario.days * 24.0)
    check_flow_balance(model, result.cases)


# -- the checks must bite ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy_model() -> Run:
    """A congested run: cases left in queues, in service and in transit at the end."""
    data = {
        "name": "busy",
        "seed": 3,
        "days": 1.5,
        "city": {"synthetic": {"districts": 1, "streets": 2, "grids": 3, "population": 3000}},
        "staffing": {"grid_workers": 1, "street_staff": 1, "district_staff": 1},
        "departments": [{"name": "water", "staff": 1}],
        "categories": [
            {
                "name": "leak",
                "rate": 20,
                "department": "water",
                "department_route_share": 0.3,
                "consultation_share": 0.2,
            }
        ],
        "hotline": {
            "operators": 2,
            "patience": None,
            "dispatch_delay": {"kind": "deterministic", "mean": 3.0},
        },
    }
    model = new_run(validate(data, source="<test>"))
    model.run()
    return model


def _served_pool(model: Run):
    return next(p for p in model.pools if p.in_service())


def _fresh(model: Run) -> Run:
    fresh = new_run(model.scenario)
    fresh.run()
    return fresh


def test_busy_model_has_cases_everywhere(busy_model: Run) -> None:
    assert any(p.in_service() for p in busy_model.pools)
    assert any(p.queued for p in busy_model.pools)
    assert busy_model.ledger.transit
    busy_model.ledger.check(busy_model.pools)  # balanced as run


def test_check_catches_a_case_removed_from_service(busy_model: Run) -> None:
    model = _fresh(busy_model)
    pool = _served_pool(model)
    pool._serving.popitem()  # a case dropped from service: its service never ends
    with pytest.raises(LedgerError, match="open but nowhere|in service"):
        model.ledger.check(model.pools)


def test_check_catches_a_duplicate_in_transit(busy_model: Run) -> None:
    model = _fresh(busy_model)
    served = _served_pool(model).in_service()[0]
    model.ledger.transit.add(served)  # now both in service and in transit
    with pytest.raises(LedgerError, match="in two places"):
        model.ledger.check(model.pools)


def test_check_catches_a_finished_case_still_placed(busy_model: Run) -> None:
    model = _fresh(busy_model)
    finished = Case(0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0)
    finished.id = next(cid for cid in range(model.ledger.created) if cid not in model.ledger.open)
    model.ledger.transit.add(finished)
    with pytest.raises(LedgerError, match="finished but still placed"):
        model.ledger.check(model.pools)


def test_check_catches_a_lost_queued_case(busy_model: Run) -> None:
    model = _fresh(busy_model)
    pool = next(p for p in model.pools if p.queued)
    victim = pool.waiting()[0]
    victim.ticket = -5  # its heap entry no longer matches: silently dropped from the queue
    with pytest.raises(LedgerError):
        model.ledger.check(model.pools)


def test_check_catches_a_miscounted_ledger(busy_model: Run) -> None:
    model = _fresh(busy_model)
    model.ledger.created += 1
    with pytest.raises(LedgerError, match="created"):
        model.ledger.check(model.pools)


def test_finishing_twice_raises(busy_model: Run) -> None:
    model = _fresh(busy_model)
    case = next(iter(model.ledger.open.values()))
    model.ledger.finish(case, CLOSED)
    with pytest.raises(LedgerError):
        model.ledger.finish(case, CLOSED)


def _table(rows: list[dict]) -> pd.DataFrame:
    base = {
        "case_id": 0,
        "status": "closed",
        "created": 0.0,
        "dispatched": 1.0,
        "first_response": 2.0,
        "closed": 3.0,
        "abandoned_at": math.nan,
        "callback": 4.0,
    }
    return pd.DataFrame([{**base, "case_id": i, **row} for i, row in enumerate(rows)])


def test_check_timestamps_accepts_ordered_and_nan_steps() -> None:
    check_timestamps(
        _table(
            [
                {},
                {"dispatched": math.nan},
                {"callback": math.nan},
                {"status": "open", "closed": math.nan, "callback": math.nan},
            ]
        )
    )


@pytest.mark.parametrize(
    "row",
    [
        {"dispatched": -1.0},  # dispatched before created
        {"first_response": 0.5},  # responded before dispatch
        {"closed": 1.5},  # closed before the first response
        {"callback": 2.5},  # callback before closing
        {"dispatched": math.nan, "first_response": 5.0},  # decrease across a NaN step
    ],
)
def test_check_timestamps_raises_on_decreasing_time(row: dict) -> None:
    with pytest.raises(LedgerError, match="decreasing"):
        check_timestamps(_table([{}, row]))


@pytest.mark.parametrize(
    "row",
    [
        {"status": "closed", "closed": math.nan, "callback": math.nan},
        {"status": "open"},
        {"status": "abandoned", "closed": math.nan, "callback": math.nan},
    ],
)
def test_check_timestamps_raises_on_status_contradiction(row: dict) -> None:
    with pytest.raises(LedgerError, match="contradict"):
        check_timestamps(_table([{}, row]))


# -- regressions found by the property test -------------------------------------------------------


def test_answered_caller_is_not_withdrawn_from_another_queue() -> None:
    """A caller's patience timer must not fire once the call was answered.

    The timer recognises the waiting call by its ticket only. Tickets are per-pool
    sequence numbers, so once the answered case queues at a grid and happens to draw the
    same number there, the hotline 'withdraws' it: the case is marked abandoned while it
    sits in the grid queue, and both pools' counters go wrong (IndexError in
    ServerPool._pull, or a LedgerError at the end).
    """
    data = {
        "name": "ticket_clash",
        "seed": 0,
        "days": 1,
        "city": {"synthetic": {"districts": 1, "streets": 1, "grids": 2, "population": 1000}},
        "staffing": {"grid_workers": 0},
        "categories": [{"name": "a", "rate": 50, "consultation_share": 0}],
        "arrivals": {"channels": {"hotline": 1.0, "online": 0.0, "patrol": 0.0}},
        "hotline": {
            "operators": 1,
            "talk_time": {"kind": "deterministic", "mean": 0.1},
            "patience": {"kind": "deterministic", "mean": 0.5},
            "dispatch_delay": {"kind": "deterministic", "mean": 0},
            "dispatch_accuracy": 1,
        },
    }
    scenario = validate(data, source="<test>")
    model = new_run(scenario)
    state = model.run()
    cases = collect(state).cases
    check_cases_table(cases, collect(state).summary, scenario.days * 24.0)
    check_flow_balance(model, cases)
    # No grid is staffed, so no call can have been abandoned after it was dispatched.
    abandoned = cases[cases["status"].astype(str) == "abandoned"]
    assert abandoned["dispatched"].isna().all()
