"""Calibration library: published targets, expected values, scaled copies, measurements, fits.

Used by ``calibrate.py`` (the script that fits, verifies and writes docs/calibration.md) and
by ``tests/test_calibration.py`` (the fast CI guard). Nothing here is hard-coded output:
every simulated figure comes from a run, every expected figure from the scenario files.

Method in short (docs/calibration.md says it in full):

- annual volumes: the arrival model integrated day by day over the scenario's year
  (population x rate x weekday x season), times the ratio of contacts to first contacts
  (repeat appeals and redials) measured in simulation; and, separately, counted in
  simulated years of a population-scaled copy of the city;
- shares and rates: measured in replications of a population-scaled copy (streets, grids,
  residents and every staff pool scaled by the same factor, unit-level staffing unchanged),
  checked against the full-scale city on a shortened horizon;
- fitted parameters: solved in closed form or with scipy (brentq, least squares) against
  expected values computed from a pilot run, then verified by independent replications.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCENARIO_FILES = {
    "beijing": REPO / "scenarios" / "beijing.yaml",
    "beijing-2019": REPO / "scenarios" / "beijing-2019.yaml",
    "haidian": REPO / "scenarios" / "haidian.yaml",
}
SCALED_DIR = HERE / "scenarios"
SCALED_STREETS = 21
"""Streets in the scaled copy of Beijing: 21 of 343 (1 : 16.3), one district of 21 streets,
as a Beijing district has 343 / 16 = 21.4 streets."""

# ---------------------------------------------------------------------------------------
# Published figures (docs/sources.md)
# ---------------------------------------------------------------------------------------
TOP_TEN_2020 = {  # 10,000s of contacts in 2020, Beijing Daily 2021-01-08
    "epidemic": 107.7,
    "market_regulation": 98.0,
    "public_services": 64.8,
    "housing": 61.2,
    "health": 59.8,
    "urban_construction": 54.8,
    "traffic": 47.2,
    "social_order": 46.5,
    "labour_social_security": 35.7,
    "education": 35.1,
}
CONTACTS_2020 = 1104.0  # 10,000s (11.04 million, press)
CATEGORY_GROUP = {"heating": "public_services"}
"""Model categories that belong to a published category (heating is a public utility)."""
HEATING_SHARE_OF_UTILITIES = 0.3
"""Assumed: in the heating season, heating appeals are 30% of the other utilities' appeals."""
HEATING_SEASON_MULTIPLIER = 10.0
"""Assumed: heating appeals in the season are ten times those outside it."""

CONSULTATION_BASE = {  # assumed spread of consultation shares; the level is fitted
    "epidemic": 0.75,
    "market_regulation": 0.55,
    "public_services": 0.5,
    "heating": 0.3,
    "housing": 0.5,
    "health": 0.65,
    "urban_construction": 0.4,
    "traffic": 0.5,
    "social_order": 0.4,
    "labour_social_security": 0.7,
    "education": 0.65,
    "other": 0.6,
}
RESOLUTION_PROFILE = {"grid": 0.0, "street": 0.0, "district": -0.01, "department": -0.01}
"""Assumed: districts and departments resolve a point less often (they get the hard cases);
the common level is fitted."""
HOTLINE_RESOLUTION = 0.98  # assumed: consultations answered on the spot
WORK_TIERS = ("grid", "street", "district", "department")
OPERATOR_WEEKLY_HOURS = 40.0  # assumed: a 40-hour week
PEAK_ON_DUTY = 650.0  # the middle of the published 600-700

VOLUME = {"beijing": 24.0e6, "beijing-2019": 6.96e6}
WORK_ORDERS_2019 = 2.52e6
CONSULTATION_TARGET = {
    "beijing": 0.585,
    "beijing-2019": 1 - WORK_ORDERS_2019 / VOLUME["beijing-2019"],
}
RATES = {
    "beijing": {"response": 1.0, "resolution": 0.97, "satisfaction": 0.973},
    "beijing-2019": {"resolution": 0.75, "satisfaction": 0.87},
}
JAN_2019 = {"resolution": 0.5309, "satisfaction": 0.6461}
OCT_2019 = {"resolution": 0.7436, "satisfaction": 0.8539}
GOVERNANCE_STREET = {"2019-05": 852, "2019-10": 276}
GOVERNANCE_SERIES = [852, 757, 372, 276]  # May ... Oct 2019 (the months between are not dated)
HEATING_CUT = 0.13
CORE_DEPARTMENTS = {
    "urban_management",
    "market_regulation",
    "housing",
    "transport",
    "public_security",
    "health",
    "education",
    "human_resources_social_security",
    "ecology_environment",
    "water",
}
HAIDIAN = {
    "streets": 22,
    "townships": 7,
    "communities": 570,
    "grids": 643,
    "community_village": 620,
    "key_unit": 19,
    "road": 4,
    "sunk_total": 13922,
    "sunk_departments": 1467,
    "sunk_street_offices": 2325,
    "sunk_auxiliaries": 5947,
    "sunk_community": 4183,
    "population": 3_402_000,
}


def mix_targets(name: str) -> dict[str, float]:
    """Target share of contacts per published category group ("other": the rest)."""
    top = dict(TOP_TEN_2020)
    total = CONTACTS_2020
    if name == "beijing-2019":  # no COVID in 2019: the other categories in their 2020 proportions
        total -= top.pop("epidemic")
    shares = {k: v / total for k, v in top.items()}
    shares["other"] = 1.0 - sum(shares.values())
    return shares


def group_of(category: str) -> str:
    return CATEGORY_GROUP.get(category, category)


# ---------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------
def load(name_or_path: str | Path, overrides: Sequence[str] = ()):
    from govsim.scenario import load_scenario

    path = SCENARIO_FILES.get(str(name_or_path), name_or_path)
    return load_scenario(path, list(overrides))


def validate_data(data: dict, source: str):
    from govsim.scenario.loader import validate

    return validate(data, source=source)


def layout_of(scenario):
    from govsim.network.city import build_city

    return build_city(scenario)


def scaled_changes(scenario, streets: int) -> dict[str, Any]:
    """The keys that turn a synthetic city into a copy with ``streets`` streets.

    Streets, grids, residents, townships, grid kinds, departments' staff and sunk staff are
    multiplied by f = streets / streets of the city; districts become max(1, round(districts
    x f)) with their staff scaled to the streets they serve; the hotline keeps each hour's
    Halfin-Whitt staffing parameter (below). Per-unit staffing (grid workers, street staff)
    is unchanged, so each grid, street and district carries the load it carries in the full city.
    """
    syn = scenario.city.synthetic
    if syn is None:
        raise ValueError("only synthetic cities can be scaled")
    f = streets / syn.streets
    districts = max(1, round(syn.districts * f))
    grids = max(streets, round(syn.grids * f))
    city = {
        "districts": districts,
        "streets": streets,
        "townships": round(syn.townships * f),
        "grids": grids,
        "population": round(syn.population * f),
        "district_names": syn.district_names[:districts] if syn.district_names else None,
        "street_names": None,
        "grid_kinds": None,
    }
    if syn.grid_kinds:
        kinds = {k: round(n * f) for k, n in syn.grid_kinds.items()}
        biggest = max(kinds, key=kinds.get)
        kinds[biggest] += grids - sum(kinds.values())
        city["grid_kinds"] = {k: n for k, n in kinds.items() if n > 0}
    per_district = (streets / districts) / (syn.streets / syn.districts)
    staffing = {"district_staff": round(scenario.staffing.district_staff * per_district)}
    if scenario.staffing.grid_sunk is not None:
        sunk = scenario.staffing.grid_sunk.model_dump(mode="json")
        for key in ("departments", "street_offices", "auxiliaries", "community"):
            sunk[key] = round(sunk[key] * f)
        staffing["grid_sunk"] = sunk
    departments = [
        {"name": d.name, "staff": max(1, round(d.staff * f)) if d.staff else 0}
        for d in scenario.departments
    ]
    # The hotline is one pool: in proportion, a small copy would make callers wait (and hang
    # up) far more than the full city's. Keep instead each hour's Halfin-Whitt parameter
    # beta = (operators - load) / sqrt(load), i.e. the full city's chance that a caller waits.
    ops = scenario.hotline.operators
    plan = ops if isinstance(ops, list) else [ops] * 24
    load = hourly_offered_load(scenario)
    operators = []
    for n, a in zip(plan, load, strict=True):
        if a <= 0 or n <= a:
            operators.append(max(1, round(n * f)) if n else 0)
        else:
            beta = (n - a) / math.sqrt(a)
            operators.append(max(1, math.ceil(f * a + beta * math.sqrt(f * a))))
    if not isinstance(ops, list):
        operators = max(operators)
    return {
        "name": f"{scenario.name}-s{streets}",
        "description": f"{scenario.name} scaled to {streets} of {syn.streets} streets (1 : {1 / f:.1f}): "
        "residents, units and staff pools in proportion (the hotline at the city's "
        "Halfin-Whitt staffing), unit staffing unchanged.",
        "city": {"synthetic": city},
        "staffing": staffing,
        "departments": departments,
        "hotline": {"operators": operators},
    }


def _merge(base: dict, child: dict) -> dict:
    out = dict(base)
    for k, v in child.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def scaled_copy(scenario, streets: int = SCALED_STREETS):
    data = _merge(scenario.model_dump(mode="json"), scaled_changes(scenario, streets))
    return validate_data(data, source=f"<{scenario.name} scaled to {streets} streets>")


def scale_factor(full, copy) -> float:
    """Residents of the copy over residents of the full city (arrivals scale with them)."""
    return layout_of(copy).population / layout_of(full).population


def scaled_file_text(name: str, streets: int = SCALED_STREETS) -> str:
    """The generated scenario file of a scaled copy (for ``govsim experiment run``)."""
    scenario = load(name)
    changes = scaled_changes(scenario, streets)
    rel = Path("../../../scenarios") / SCENARIO_FILES[name].name
    header = (
        f"# Generated by experiments/calibration/calibrate.py from scenarios/{SCENARIO_FILES[name].name}:\n"
        f"# do not edit; rerun the script. {changes['description']}\n"
    )
    body = yaml.safe_dump(
        {"base": str(rel), **changes},
        sort_keys=False,
        allow_unicode=True,
        width=110,
        default_flow_style=None,
    )
    return header + body


def scaled_file(name: str, streets: int = SCALED_STREETS) -> Path:
    return SCALED_DIR / f"{name}-s{streets}.yaml"


# ---------------------------------------------------------------------------------------
# Expected values from the arrival model
# ---------------------------------------------------------------------------------------
def _in_window(month_day: tuple[int, int], start: str, end: str) -> bool:
    a = (int(start[:2]), int(start[3:]))
    b = (int(end[:2]), int(end[3:]))
    return a <= month_day <= b if a <= b else (month_day >= a or month_day <= b)


def daily_expected(scenario, population: float | None = None) -> pd.DataFrame:
    """Expected first contacts per day (rows: day index) and category (columns).

    Integrates the arrival model of docs/model.md exactly: population x rate / 1000 x
    weekday (shape / mean) x season and surge multipliers, the last partial day weighted by
    the share of the intraday shape it covers. Repeat appeals and redials are not in it.
    """
    if population is None:
        population = layout_of(scenario).population
    names = [c.name for c in scenario.categories]
    base = np.array([population * c.rate / 1000 for c in scenario.categories])
    weekday = np.array(scenario.arrivals.weekday, float)
    weekday = weekday / weekday.mean()
    intraday = np.array(scenario.arrivals.intraday, float)
    intraday = intraday / intraday.sum()
    n_days = math.ceil(scenario.days)
    rows = []
    for d in range(n_days):
        date = scenario.start_date + dt.timedelta(days=d)
        mult = np.ones(len(names))
        for season in scenario.arrivals.seasons:
            if _in_window((date.month, date.day), season.start, season.end):
                mask = np.array(
                    [season.categories is None or n in season.categories for n in names]
                )
                mult[mask] *= season.multiplier
        hours = np.arange(24) + d * 24 + 0.5
        inside = hours < scenario.days * 24
        hour_weight = np.tile(intraday[:, None], (1, len(names))) * inside[:, None]
        for surge in scenario.arrivals.surges:
            mask = np.array([surge.categories is None or n in surge.categories for n in names])
            window = (hours >= surge.start_day * 24) & (hours < surge.end_day * 24)
            hour_weight[np.ix_(window, mask)] *= surge.multiplier
        rows.append(base * weekday[date.weekday()] * mult * hour_weight.sum(axis=0))
    frame = pd.DataFrame(rows, columns=names)
    frame.index = pd.Index(
        [scenario.start_date + dt.timedelta(days=d) for d in range(n_days)], name="date"
    )
    return frame


def expected_first_contacts(scenario) -> pd.Series:
    return daily_expected(scenario).sum()


def expected_mix(scenario, inflation: dict[str, float] | None = None) -> dict[str, float]:
    """Expected share of contacts per published group (with per-category inflation if given)."""
    first = expected_first_contacts(scenario)
    contacts = first * pd.Series(inflation or {}).reindex(first.index).fillna(1.0)
    groups = contacts.groupby(lambda c: group_of(c)).sum()
    return (groups / groups.sum()).to_dict()


def expected_consultation_share(scenario, inflation: dict[str, float] | None = None) -> float:
    first = expected_first_contacts(scenario)
    contacts = first * pd.Series(inflation or {}).reindex(first.index).fillna(1.0)
    shares = pd.Series({c.name: c.consultation_share for c in scenario.categories})
    return float((contacts * shares).sum() / contacts.sum())


def hourly_offered_load(scenario, inflation: float = 1.0) -> np.ndarray:
    """Mean offered load at the hotline (erlangs) per hour of an average day."""
    first = expected_first_contacts(scenario).sum() / scenario.days
    calls = first * inflation * scenario.arrivals.channels.get("hotline", 0.0)
    intraday = np.array(scenario.arrivals.intraday, float)
    return calls * intraday / intraday.sum() * scenario.hotline.talk_time.mean


def operator_headcount(plan: Sequence[int]) -> float:
    """Operators on the payroll a shift plan needs: on-duty hours a week over a 40-hour week."""
    return sum(plan) * 7 / OPERATOR_WEEKLY_HOURS


# ---------------------------------------------------------------------------------------
# Running and measuring
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SimTask:
    label: str
    scenario: Any
    seed: int
    scale: float = 1.0
    """Residents of this run over residents of the city it stands for."""
    pilot: bool = False
    """Also return per-case arrays of valid work orders (for the fits)."""


def seeds(root: int, n: int) -> list[int]:
    from govsim.experiments.design import replication_seeds

    return replication_seeds(root, n)


def run_task(task: SimTask) -> dict[str, Any]:
    """Simulate one task and measure it (runs in a worker process)."""
    import govsim

    started = time.perf_counter()
    scenario = task.scenario
    if not scenario.output.cases_table:  # experiments switch the case table off; we measure from it
        scenario = scenario.model_copy(
            update={"output": scenario.output.model_copy(update={"cases_table": True})}
        )
    result = govsim.simulate(scenario, seed=task.seed)
    out = measure(result.cases, task.scenario, result.summary)
    out.update(
        label=task.label,
        seed=task.seed,
        scale=task.scale,
        wall=time.perf_counter() - started,
        rankings=_plain_rankings(result),
        sim_wall=float(
            (result.summary.get("performance") or {}).get("wall_seconds") or float("nan")
        ),
    )
    if task.pilot:
        out["pilot"] = pilot_arrays(result.cases, task.scenario)
    return out


def _plain_rankings(result) -> list[tuple]:
    table = getattr(result, "rankings", None)
    if table is None or not len(table):
        return []
    return [tuple(r) for r in table.astype(object).itertuples(index=False)]


def _work_rates(frame: pd.DataFrame, limits: pd.Series, horizon: float) -> dict[str, float]:
    waited = frame["first_response"] - frame["created"]
    due = frame["first_response"].notna() | (frame["created"] + limits <= horizon)
    on_time = due & (waited <= limits)
    valid = frame["callback"].notna()
    resolved = frame["resolved"].fillna(False).astype(bool) & valid
    points = (
        frame["satisfaction"].astype(object).map({"satisfied": 1.0, "basic": 0.9}).fillna(0.0)
        * valid
    )
    return {
        "due": int(due.sum()),
        "on_time": int(on_time.sum()),
        "valid": int(valid.sum()),
        "resolved": int(resolved.sum()),
        "points": float(points.sum()),
        "n": len(frame),
    }


def measure(cases: pd.DataFrame, scenario, summary: dict) -> dict[str, Any]:
    """Counts and rate numerators/denominators of one run, small enough to send between processes."""
    horizon = scenario.days * 24
    status = cases["status"].astype(str)
    category = cases["category"].astype(str)
    contact = status != "abandoned"
    first = cases["repeat_of"].isna()
    consult = cases["final_tier"].astype(str).eq("hotline")
    work = cases["dispatched"].notna()
    channel = cases["channel"].astype(str)
    names = [c.name for c in scenario.categories]
    by_cat = (
        pd.DataFrame(
            {
                "created": category.value_counts(),
                "contacts": category[contact].value_counts(),
                "first": category[first].value_counts(),
                "consultations": category[consult].value_counts(),
                "work_orders": category[work].value_counts(),
            }
        )
        .reindex(names)
        .fillna(0)
        .astype(int)
    )
    day = np.floor(cases["created"] / 24).astype(int)
    n_days = math.ceil(scenario.days)
    daily = pd.crosstab(day[contact], category[contact]).reindex(
        index=range(n_days), columns=names, fill_value=0
    )
    hour = np.floor(cases["created"] % 24).astype(int)
    hourly = np.bincount(hour[contact], minlength=24)
    limits = (
        cases["urgency"]
        .astype(str)
        .map({k: v.limit_hours for k, v in scenario.urgency_classes.items()})
    )
    limits = limits.astype(float)
    wo = cases[work]
    start = pd.Timestamp(scenario.start_date)
    month = (start + pd.to_timedelta(cases["created"], unit="h")).dt.strftime("%Y-%m")
    monthly = {}
    for m, idx in wo.groupby(month[work]).groups.items():
        monthly[m] = _work_rates(wo.loc[idx], limits.loc[idx], horizon)
        monthly[m]["contacts"] = int((contact & month.eq(m)).sum())
    street = cases["street"].astype(str)
    street_month = pd.DataFrame({"m": month[work], "s": street[work]}).value_counts()
    street_contacts = pd.DataFrame({"m": month[contact], "s": street[contact]}).value_counts()
    calls = channel.eq("hotline")
    ops = scenario.hotline.operators
    plan = ops if isinstance(ops, list) else [ops] * 24
    staffed = sum(plan) * scenario.days  # operator-hours (whole days; the plan repeats daily)
    return {
        "days": float(scenario.days),
        "by_category": by_cat.to_dict(orient="index"),
        "daily": daily.to_numpy().tolist(),
        "daily_columns": names,
        "start_date": str(scenario.start_date),
        "hourly": hourly.tolist(),
        "abandoned": int((~contact).sum()),
        "calls": int(calls.sum()),
        "calls_answered": int((calls & contact).sum()),
        "work": _work_rates(wo, limits[work], horizon),
        "all": _work_rates(cases[contact], limits[contact], horizon),
        "monthly": monthly,
        "street_month": {f"{m}|{s}": int(v) for (m, s), v in street_month.items()},
        "street_contacts": {f"{m}|{s}": int(v) for (m, s), v in street_contacts.items()},
        "hotline_utilisation": float(summary["utilisation"].get("hotline") or float("nan")),
        "operator_hours": float(staffed),
        "closed_by_tier": {k: v for k, v in summary["share_closed_by_tier"].items()},
        "prevented": dict(summary.get("prevented_appeals") or {}),
        "created": len(cases),
    }


def pilot_arrays(cases: pd.DataFrame, scenario) -> dict[str, list]:
    """Per valid work order: closing tier, lateness (limit overruns) and hand-offs."""
    wo = cases[cases["dispatched"].notna() & cases["callback"].notna()]
    limits = (
        wo["urgency"]
        .astype(str)
        .map({k: v.limit_hours for k, v in scenario.urgency_classes.items()})
    )
    lateness = np.maximum(0.0, (wo["closed"] - wo["created"]) / limits.astype(float) - 1.0)
    handoffs = wo["escalations"] + wo["returns"] + wo["whistles"]
    return {
        "tier": wo["final_tier"].astype(str).tolist(),
        "lateness": lateness.round(4).tolist(),
        "handoffs": handoffs.astype(int).tolist(),
    }


def execute(tasks: list[SimTask], workers: int) -> list[dict[str, Any]]:
    """Run tasks on a local process pool (fork: the workers see this module), in task order."""
    if workers <= 1 or len(tasks) <= 1:
        return [run_task(t) for t in tasks]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(run_task, tasks))


# ---------------------------------------------------------------------------------------
# Summaries with confidence intervals
# ---------------------------------------------------------------------------------------
@dataclass
class Estimate:
    mean: float
    low: float
    high: float
    n: int
    note: str = ""

    @classmethod
    def exact(cls, value: float, note: str = "") -> Estimate:
        return cls(float(value), float(value), float(value), 0, note)


def over_replications(values: Sequence[float], note: str = "") -> Estimate:
    from govsim.stats import mean_ci

    ci = mean_ci(list(values))
    return Estimate(ci.mean, ci.low, ci.high, ci.n, note)


def ratio(num: str, den: str, block: str = "work"):
    def f(run: dict) -> float:
        b = run[block]
        return b[num] / b[den] if b[den] else float("nan")

    return f


def rate_of(run: dict, rate: str, block: str = "work") -> float:
    b = run[block]
    if rate == "response":
        return b["on_time"] / b["due"] if b["due"] else float("nan")
    if rate == "resolution":
        return b["resolved"] / b["valid"] if b["valid"] else float("nan")
    return b["points"] / b["valid"] if b["valid"] else float("nan")


def group_counts(run: dict, column: str = "contacts") -> dict[str, float]:
    out: dict[str, float] = {}
    for cat, row in run["by_category"].items():
        out[group_of(cat)] = out.get(group_of(cat), 0) + row[column]
    return out


def inflation(runs: list[dict]) -> dict[str, float]:
    """Contacts (answered calls and online appeals, repeats and redials included) per first contact."""
    totals: dict[str, list[float]] = {}
    for run in runs:
        for cat, row in run["by_category"].items():
            t = totals.setdefault(cat, [0.0, 0.0])
            t[0] += row["contacts"]
            t[1] += row["first"]
    return {c: (a / b if b else 1.0) for c, (a, b) in totals.items()}


# ---------------------------------------------------------------------------------------
# Fits (closed form and scipy) against expected values
# ---------------------------------------------------------------------------------------
def logit(p: float) -> float:
    return math.log(p / (1 - p))


def logistic(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def fit_rates(scenario, name: str, infl: dict[str, float]) -> dict[str, float]:
    """Category rates whose expected contacts of the year hit the volume in the target mix.

    Closed form: the expected contacts of category c are rate_c x E_c x inflation_c, where
    E_c is the arrival model integrated over the year at rate 1. Heating and the other
    utilities share the public-services target in the assumed in-season ratio.
    """
    unit = daily_expected(
        scenario.model_copy(
            update={"categories": [c.model_copy(update={"rate": 1.0}) for c in scenario.categories]}
        )
    ).sum()
    e = {c: unit[c] * infl.get(c, 1.0) for c in unit.index}
    volume = VOLUME[name] * scenario.days / (366 if name == "beijing" else 365)
    rates = {}
    for group, share in mix_targets(name).items():
        members = [c for c in unit.index if group_of(c) == group]
        if group == "public_services" and "heating" in members:
            h = (
                HEATING_SHARE_OF_UTILITIES / HEATING_SEASON_MULTIPLIER
            )  # heating rate per utilities rate
            ps = share * volume / (e["public_services"] + h * e["heating"])
            rates["public_services"], rates["heating"] = ps, h * ps
        else:
            (c,) = members
            rates[c] = share * volume / e[c]
    return rates


def fit_consultation(scenario, name: str, infl: dict[str, float]) -> tuple[float, dict[str, float]]:
    """Common logit shift of the assumed consultation spread that hits the target share (brentq)."""
    from scipy.optimize import brentq

    first = expected_first_contacts(scenario)
    contacts = np.array([first[c] * infl.get(c, 1.0) for c in first.index])
    base = np.array([logit(CONSULTATION_BASE[c]) for c in first.index])
    target = CONSULTATION_TARGET[name]

    def share(theta: float) -> float:
        return float((contacts * logistic(base + theta)).sum() / contacts.sum())

    theta = brentq(lambda t: share(t) - target, -5, 5, xtol=1e-10)
    return theta, {c: float(logistic(b + theta)) for c, b in zip(first.index, base, strict=True)}


def fit_shift_plan(scenario, call_inflation: float) -> tuple[list[int], dict[str, float]]:
    """Operators per hour = c0 + c1 x offered load; c0, c1 solve peak = 650 and headcount = 1,700."""
    load = hourly_offered_load(scenario, call_inflation)
    on_duty_hours = 1700 * OPERATOR_WEEKLY_HOURS / 7  # operator-hours on duty per day
    # peak: c0 + c1 max(load) = 650; total: 24 c0 + c1 sum(load) = on_duty_hours
    a = np.array([[1.0, load.max()], [24.0, load.sum()]])
    c0, c1 = np.linalg.solve(a, [PEAK_ON_DUTY, on_duty_hours])
    plan = [int(round(c0 + c1 * x)) for x in load]
    return plan, {"night_crew": float(c0), "per_erlang": float(c1), "peak_load": float(load.max())}


def expected_resolution(level: float, pilot: dict[str, list]) -> float:
    tiers = pd.Series(pilot["tier"])
    p = tiers.map({t: level + RESOLUTION_PROFILE[t] for t in WORK_TIERS})
    return float(p.mean())


def fit_resolution_level(target: float, pilot: dict[str, list]) -> float:
    """Common level of the assumed tier profile: expected resolution is linear in it (closed form)."""
    tiers = pd.Series(pilot["tier"])
    offset = tiers.map(RESOLUTION_PROFILE).mean()
    return float(target - offset)


def resolution_dict(level: float) -> dict[str, float]:
    return {
        "hotline": HOTLINE_RESOLUTION,
        **{t: round(level + RESOLUTION_PROFILE[t], 4) for t in WORK_TIERS},
    }


def expected_satisfaction(
    intercept: float,
    resolved_effect: float,
    pilot: dict[str, list],
    resolution: dict[str, float],
    spec,
    shift: float = 0.0,
) -> float:
    """Expected satisfaction rate of valid work orders under the ordinal-logistic model."""
    p = pd.Series(pilot["tier"]).map(resolution).to_numpy(float)
    base = (
        intercept
        + shift
        - spec.lateness_effect * np.asarray(pilot["lateness"])
        - spec.handoff_effect * np.asarray(pilot["handoffs"])
    )

    def points(score: np.ndarray) -> np.ndarray:  # satisfied 1, basically satisfied 0.9
        sat, basic = logistic(score), logistic(score + spec.basic_gap)
        return sat + 0.9 * (basic - sat)

    return float((p * points(base + resolved_effect) + (1 - p) * points(base)).mean())


def fit_satisfaction(
    pilots: dict[str, dict], resolutions: dict[str, dict], spec
) -> tuple[float, float, float]:
    """Intercept and resolved effect shared by 2019 and 2024 (scipy least squares, 2 equations)."""
    from scipy.optimize import least_squares

    def residuals(x: np.ndarray) -> list[float]:
        return [
            expected_satisfaction(x[0], x[1], pilots[n], resolutions[n], spec)
            - RATES[n]["satisfaction"]
            for n in ("beijing", "beijing-2019")
        ]

    fit = least_squares(
        residuals, x0=[-1.0, 3.0], bounds=([-10, 0], [10, 15]), xtol=1e-12, ftol=1e-12
    )
    return float(fit.x[0]), float(fit.x[1]), float(np.abs(fit.fun).max())


# ---------------------------------------------------------------------------------------
# Writing fitted values into the YAML files (targeted line edits, comments kept)
# ---------------------------------------------------------------------------------------
def _fmt(x: float, digits: int = 4) -> str:
    return f"{x:.{digits}g}" if abs(x) >= 1e-3 else f"{x:.3e}"


def patch_category(text: str, name: str, **values: float) -> str:
    pattern = re.compile(r"^(\s*- \{name: " + re.escape(name) + r",.*\brate: .*)$", re.MULTILINE)
    lines = pattern.findall(text)
    if len(lines) != 1:
        raise ValueError(f"category {name}: {len(lines)} lines")
    line = new = lines[0]
    for key, value in values.items():
        new, n = re.subn(rf"\b{key}: [-0-9.e]+", f"{key}: {value}", new)
        if n != 1:
            raise ValueError(f"category {name}: key {key} found {n} times")
    return text.replace(line, new)


def patch_line(text: str, key: str, value: str, occurrence_pattern: str | None = None) -> str:
    """Replace the value of ``key:`` on the one line that starts with it (after indentation)."""
    pattern = re.compile(r"^(\s*" + re.escape(key) + r": )(.*?)(\s*(#.*)?)$", re.MULTILINE)
    matches = [
        m
        for m in pattern.finditer(text)
        if occurrence_pattern is None or re.search(occurrence_pattern, m.group(0))
    ]
    if len(matches) != 1:
        raise ValueError(f"key {key}: {len(matches)} lines")
    m = matches[0]
    return text[: m.start()] + m.group(1) + value + (m.group(3) or "") + text[m.end() :]


def patch_flow_key(text: str, key: str, value: str) -> str:
    """Replace ``key: number`` wherever it occurs once in the file (flow or block style)."""
    new, n = re.subn(rf"(\b{re.escape(key)}: )[-0-9.e]+", rf"\g<1>{value}", text)
    if n != 1:
        raise ValueError(f"key {key} found {n} times")
    return new


def flow(d: dict) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"


def flow_list(xs: Sequence) -> str:
    return "[" + ", ".join(str(x) for x in xs) + "]"


@dataclass
class FitRecord:
    scenario: str
    parameter: str
    value: Any
    method: str
    residual: str = ""
    extra: dict = field(default_factory=dict)
