"""The three rates per assessed unit and month, computed from a cases table.

A run computes its figures from streaming tallies (:mod:`govsim.engine.statistics`); the
functions here (:func:`assess`, :func:`three_rates`, :func:`kpi_frame`) compute the same
from a cases table with pandas, for custom analysis in a notebook and as the reference
the tallies are tested against. The formulas are those of :mod:`govsim.core.rates`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govsim.core.calendar import Calendar, add_month_coverage
from govsim.core.codes import SATISFACTION_LEVELS, SATISFACTION_WEIGHT
from govsim.core.rates import add_rates, add_true_fix_rate
from govsim.policies.ranking import composite_weights
from govsim.results.equity import with_equity_rows
from govsim.scenario.schema import Scenario


def _month_labels(created: pd.Series, scenario: Scenario) -> pd.Series:
    start = pd.Timestamp(scenario.start_date)
    return (start + pd.to_timedelta(created, unit="h")).dt.strftime("%Y-%m")


def assess(cases: pd.DataFrame, scenario: Scenario, horizon: float) -> pd.DataFrame:
    """Per-case assessment columns: is the response due and on time, the callback outcome, the unit.

    - response: on time if the first response came within the urgency limit; due if it
      came at all or the limit had passed by the end of the run;
    - resolution and satisfaction count valid callbacks only, "basically satisfied" as 0.9;
    - the true fix rate: closed cases of problems that really fixed the problem (runs with
      problems), over closed cases of problems.

    The assessed unit of a work order is the department it was routed to, else its
    street; consultations are assessed to the hotline. Abandoned calls are not assessed.
    """
    work = cases[cases["status"] != "abandoned"].copy()
    by_category = dict(
        zip((c.name for c in scenario.categories), scenario.category_limits(), strict=True)
    )
    limits = work["category"].astype(str).map(by_category).astype(float)
    waited = work["first_response"] - work["created"]
    due = work["first_response"].notna() | (work["created"] + limits <= horizon)
    work["due"] = due
    work["on_time"] = due & (waited <= limits)
    work["valid"] = work["callback"].notna()
    work["resolved_n"] = work["resolved"].fillna(False).astype(int)
    closed_problem = work["status"].astype(object).eq("closed") & work["problem_id"].notna()
    work["problem_case"] = closed_problem
    work["fixed_case"] = closed_problem & work["outcome"].astype(object).eq("fixed")
    work["satisfaction_score"] = (
        work["satisfaction"]
        .astype(object)
        .map(dict(zip(SATISFACTION_LEVELS, SATISFACTION_WEIGHT, strict=True)))
        .astype(float)
    )
    work["month"] = _month_labels(work["created"], scenario)
    is_department = work["final_tier"].astype(object).eq("department")
    is_hotline = work["final_tier"].astype(object).eq("hotline")
    work["unit_type"] = np.where(
        is_hotline, "hotline", np.where(is_department, "department", "street")
    )
    work["unit"] = np.where(
        is_hotline,
        "12345 hotline",
        np.where(is_department, work["department"].astype(object), work["street"].astype(object)),
    )
    return work


def three_rates(assessed: pd.DataFrame) -> dict[str, float]:
    """Response, resolution and satisfaction rates of assessed cases (NaN without a denominator)."""
    due, valid = assessed["due"].sum(), assessed["valid"].sum()
    return {
        "response": float(assessed["on_time"].sum() / due) if due else float("nan"),
        "resolution": float(assessed["resolved_n"].sum() / valid) if valid else float("nan"),
        "satisfaction": float(assessed["satisfaction_score"].sum() / valid)
        if valid
        else float("nan"),
    }


def kpi_frame(
    cases: pd.DataFrame,
    scenario: Scenario,
    horizon: float,
    assessed: pd.DataFrame | None = None,
    counted_from: float = 0.0,
) -> pd.DataFrame:
    """The three rates and the composite score per assessed unit and month of creation.

    ``counted_from``: hours before which cases were left out (a warm-up), so a month
    that starts inside it is marked partial (``complete_month``)."""
    work = assess(cases, scenario, horizon) if assessed is None else assessed
    city = work.assign(unit_type="city", unit="city")
    both = pd.concat([work, city], ignore_index=True)
    grouped = both.groupby(["month", "unit_type", "unit"], observed=True, sort=True)
    kpis = grouped.agg(
        cases=("case_id", "size"),
        due=("due", "sum"),
        on_time=("on_time", "sum"),
        valid_callbacks=("valid", "sum"),
        resolved=("resolved_n", "sum"),
        problem_cases=("problem_case", "sum"),
        fixed_cases=("fixed_case", "sum"),
        satisfaction_points=("satisfaction_score", "sum"),
    ).reset_index()
    add_rates(kpis, composite_weights(scenario.policies))
    add_true_fix_rate(kpis)
    return with_equity_rows(
        add_month_coverage(kpis, Calendar(scenario.start_date, horizon), counted_from)
    )
