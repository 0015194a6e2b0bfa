"""The KPI table (``kpis.parquet``) of a run, assembled from its streaming tallies.

The engine counts per creation day and assessed unit
(:class:`~govsim.engine.statistics.RunStatistics`, its ``UNIT_COUNTERS``); this module adds the
days into months, adds the city-wide row, names the counters as the table's columns and
computes the rates, then the rows of inequality across streets
(:func:`govsim.results.equity.with_equity_rows`). :func:`govsim.results.kpis_from_cases.kpi_frame`
computes the same table from a cases table, as the reference it is tested against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govsim.core.calendar import Calendar, add_month_coverage
from govsim.core.rates import add_rates, add_true_fix_rate, satisfaction_points
from govsim.engine.statistics import HOURS_PER_DAY, UNIT_COUNTERS, RunStatistics
from govsim.results.equity import with_equity_rows

COUNTER_COLUMNS = {
    "valid": "valid_callbacks",
    "judged": "problem_cases",
    "judged_fixed": "fixed_cases",
}
"""The KPI columns of the engine's counters whose names differ: a closed case with a judged
outcome is a closed case of a problem (docs/outputs.md)."""


def kpi_table(
    statistics: RunStatistics, calendar: Calendar, weights: dict[str, float]
) -> pd.DataFrame:
    """The three rates and the composite per month of creation, assessed unit and city-wide."""
    table = statistics.unit_table()
    units = statistics.units
    day_month = np.array([calendar.month(d * HOURS_PER_DAY) for d in range(statistics.days)])
    n_months = len(calendar.labels)
    monthly = np.zeros((len(UNIT_COUNTERS), n_months, units.size), dtype=np.int64)
    # Add each day's counters into its month (views with the day/month axis first).
    np.add.at(monthly.transpose(1, 0, 2), day_month, table.transpose(1, 0, 2))
    monthly = np.concatenate([monthly, monthly.sum(axis=2, keepdims=True)], axis=2)  # + city-wide
    names = pd.concat(
        [units.frame(), pd.DataFrame({"unit_type": ["city"], "unit": ["city"]})],
        ignore_index=True,
    )
    months, unit = np.nonzero(monthly[0] > 0)  # (month, unit) pairs with cases
    kpis = names.iloc[unit].reset_index(drop=True)
    kpis.insert(0, "month", np.asarray(calendar.labels, dtype=object)[months])
    for i, name in enumerate(UNIT_COUNTERS):
        kpis[name] = monthly[i, months, unit]
    kpis = kpis.sort_values(["month", "unit_type", "unit"], ignore_index=True)
    kpis = kpis.rename(columns=COUNTER_COLUMNS)
    kpis["satisfaction_points"] = satisfaction_points(kpis.pop("satisfied"), kpis.pop("basic"))
    add_rates(kpis, weights)
    add_true_fix_rate(kpis)
    add_month_coverage(kpis, calendar)
    return with_equity_rows(kpis.astype({"month": str, "unit_type": str, "unit": str}))
