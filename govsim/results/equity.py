"""Who waits longest and where: work orders by street and grid kind, and inequality across
streets.

From the run's place tallies (:mod:`govsim.engine.place_tallies`: work orders counted in the
street of the problem's grid and in the grid's kind), so no case table is needed. A street
enters the indices of time to close and satisfaction only with at least
:data:`MIN_CLOSED` closed work orders (for satisfaction: valid callbacks) and of backlog
only with residents; the streets left out are counted beside each index. The indices, on a
vector x of n per-street values (docs/outputs.md):

- :func:`gini`: sum_i sum_j |x_i - x_j| / (2 n^2 mean(x)), 0 when all are equal;
- :func:`theil`: Theil's T, (1/n) sum_i (x_i / mean) ln(x_i / mean), 0 ln 0 = 0; at most ln n;
- :func:`worst_decile_ratio`: the mean of the worst tenth of streets (the ceil(n / 10)
  largest values, at least one; for satisfaction and the rates the smallest) over the median
  street's value;
- :func:`share_over`: the share of streets whose value exceeds 1, applied to each street's
  median ratio of time to close to the case's urgency limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import xlogy

from govsim.core.json_numbers import round_number
from govsim.core.rates import satisfaction_points

if TYPE_CHECKING:
    from govsim.engine.statistics import RunStatistics

MIN_CLOSED = 20
"""Closed work orders (for satisfaction: valid callbacks) a street needs to enter the indices
(assumed: a median of fewer moves by a large share of itself between seeds)."""
PER_RESIDENTS = 10_000
"""Backlog is counted per this many residents."""
TOP_SHARE = 0.1
"""The worst decile: the largest tenth of streets (at least one)."""


def _values(x: np.ndarray | list[float]) -> np.ndarray:
    values = np.asarray(x, dtype=float)
    if (values < 0).any():
        raise ValueError("inequality indices take non-negative values")
    return values


def gini(x: np.ndarray | list[float]) -> float:
    """Gini coefficient: mean absolute difference over twice the mean (the population form:
    Gini(1, 2, 3, 4) = 0.25); 0 when all values are equal (also all zero), NaN when empty."""
    values = np.sort(_values(x))
    n, total = len(values), values.sum()
    if not n:
        return float("nan")
    if total == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float(((2 * ranks - n - 1) * values).sum() / (n * total))


def theil(x: np.ndarray | list[float]) -> float:
    """Theil's T index: mean of (x / mean) ln(x / mean), with 0 ln 0 = 0; 0 when all values
    are equal, ln n when one of n holds everything; NaN when empty."""
    values = _values(x)
    if not len(values):
        return float("nan")
    mean = values.mean()
    if mean == 0:
        return 0.0
    share = values / mean
    return float(xlogy(share, share).mean())


def worst_decile_ratio(x: np.ndarray | list[float], higher_is_worse: bool = True) -> float:
    """Mean of the worst ceil(n / 10) values (at least one) over the median: the largest (a
    time, a backlog), or with ``higher_is_worse`` False the smallest (a rate, so the ratio is
    at most 1); NaN when empty or the median is 0."""
    values = np.sort(_values(x))
    if not len(values):
        return float("nan")
    median = float(np.median(values))
    k = max(math.ceil(TOP_SHARE * len(values)), 1)
    worst = values[-k:] if higher_is_worse else values[:k]
    return float(worst.mean() / median) if median > 0 else float("nan")


def share_over(x: np.ndarray | list[float], limit: float = 1.0) -> float:
    """Share of values above ``limit`` (NaN when empty): with each street's median ratio of
    time to close to its urgency limit, the share of streets whose median closes late."""
    values = np.asarray(x, dtype=float)
    return float((values > limit).mean()) if len(values) else float("nan")


def indices(x: np.ndarray | list[float], higher_is_worse: bool = True) -> dict[str, float]:
    """Gini, Theil and the worst decile over the median of ``x``."""
    return {
        "gini": gini(x),
        "theil": theil(x),
        "worst_decile_over_median": worst_decile_ratio(x, higher_is_worse),
    }


INDEX_NAMES = ("gini", "theil", "worst_decile_over_median")


def place_table(statistics: RunStatistics, warmup_hours: float = 0.0) -> pd.DataFrame:
    """One row per street, then per grid kind: work orders created after warm-up, closed,
    open at the end, the time to close of the closed ones (mean, median, p90, and the median
    of its ratio to the urgency limit), the three rates and the true fix rate."""
    places = statistics.places
    if places is None:
        raise ValueError("the run counted no work orders by place")
    names = places.names
    first = statistics.first_day(warmup_hours)
    counts = dict(zip(_counter_names(), places.table(first), strict=True))
    grid, category, hours = statistics.closed_orders(warmup_hours)
    n_streets = len(names.streets)
    closed = pd.DataFrame(
        {
            "street": names.grid_street[grid],
            "kind": n_streets + names.grid_kind[grid],
            "hours": hours,
            "ratio": hours / statistics.limits[category],
        }
    )
    times = pd.concat([_times(closed, "street"), _times(closed, "kind")], axis=0).reindex(
        range(names.size)
    )
    population = names.population
    table = pd.DataFrame(
        {
            "unit_type": ["street"] * n_streets + ["grid_kind"] * len(names.kinds),
            "unit": [*names.streets, *names.kinds],
            "population": population,
            "work_orders": counts["work_orders"],
            "closed": counts["closed"],
            "open_at_end": counts["open_at_end"],
            "open_per_10k": np.where(
                population > 0,
                counts["open_at_end"] * PER_RESIDENTS / np.maximum(population, 1),
                np.nan,
            ),
            **{column: times[column].to_numpy() for column in TIME_COLUMNS},
            "response_rate": _ratio(counts["on_time"], counts["due"]),
            "resolution_rate": _ratio(counts["resolved"], counts["valid"]),
            "satisfaction_rate": _ratio(
                satisfaction_points(counts["satisfied"], counts["basic"]), counts["valid"]
            ),
            "valid_callbacks": counts["valid"],
            "true_fix_rate": _ratio(counts["judged_fixed"], counts["judged"]),
        }
    )
    return table


TIME_COLUMNS = (
    "time_to_close_mean",
    "time_to_close_median",
    "time_to_close_p90",
    "time_over_limit_median",
)
"""Hours from appeal to closing of a place's closed work orders, and the median of each one's
time to close over its urgency limit."""


def _counter_names() -> tuple[str, ...]:
    from govsim.engine.place_tallies import PLACE_COUNTERS

    return PLACE_COUNTERS


def _times(closed: pd.DataFrame, by: str) -> pd.DataFrame:
    grouped = closed.groupby(by)
    return pd.DataFrame(
        {
            "time_to_close_mean": grouped["hours"].mean(),
            "time_to_close_median": grouped["hours"].median(),
            "time_to_close_p90": grouped["hours"].quantile(0.9),
            "time_over_limit_median": grouped["ratio"].median(),
        }
    )


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)


@dataclass(frozen=True)
class StreetSpread:
    """The per-street values an index is taken on, and the streets left out."""

    values: np.ndarray
    excluded: int
    higher_is_worse: bool = True

    def indices(self) -> dict[str, float]:
        return indices(self.values, self.higher_is_worse)


def street_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The street rows of a :func:`place_table`."""
    return table[table["unit_type"] == "street"]


def spreads(streets: pd.DataFrame) -> dict[str, StreetSpread]:
    """The per-street vectors of the indices: median time to close (streets with at least
    MIN_CLOSED closed work orders), its median ratio to the limit (same streets), backlog per
    10,000 residents (streets with residents), satisfaction rate (streets with at least
    MIN_CLOSED valid callbacks)."""
    timed = streets["closed"] >= MIN_CLOSED
    rated = streets["valid_callbacks"] >= MIN_CLOSED
    peopled = streets["population"] > 0
    picked = {
        "time_to_close": (timed, "time_to_close_median"),
        "time_over_limit": (timed, "time_over_limit_median"),
        "backlog_per_10k": (peopled, "open_per_10k"),
        "satisfaction": (rated, "satisfaction_rate"),
    }
    return {
        name: StreetSpread(
            streets.loc[mask, column].to_numpy(float), int((~mask).sum()), name != "satisfaction"
        )
        for name, (mask, column) in picked.items()
    }


def most_backlogged(streets: pd.DataFrame) -> dict[str, Any]:
    """The street with the most open work orders at the end (the first of a tie), and its
    open work orders and median time to close over the median street's (the median over all
    streets, for time to close over streets with at least MIN_CLOSED closed work orders)."""
    if streets.empty:
        return {"street": None, "open_at_end": None, "closed": None}
    worst = streets.iloc[int(np.argmax(streets["open_at_end"].to_numpy()))]
    median_open = float(streets["open_at_end"].median())
    timed = streets.loc[streets["closed"] >= MIN_CLOSED, "time_to_close_median"]
    median_time = float(timed.median()) if len(timed) else float("nan")
    return {
        "street": str(worst["unit"]),
        "open_at_end": int(worst["open_at_end"]),
        "closed": int(worst["closed"]),
        "time_to_close_median_hours": float(worst["time_to_close_median"]),
        "median_street_open_at_end": median_open,
        "median_street_time_to_close_hours": median_time,
        "open_over_median": worst["open_at_end"] / median_open if median_open > 0 else math.nan,
        "time_to_close_over_median": worst["time_to_close_median"] / median_time
        if median_time > 0
        else math.nan,
    }


def equity_block(
    statistics: RunStatistics, table: pd.DataFrame | None = None
) -> dict[str, Any] | None:
    """The ``equity`` block of summary.json (whole run): the most backlogged street against
    the median street, the indices across streets, and the figures per grid kind; None when
    the run counted no work orders by place. ``table``: its :func:`place_table`, if made."""
    if statistics.places is None:
        return None
    table = place_table(statistics) if table is None else table
    streets = street_rows(table)
    spread = spreads(streets)
    indices: dict[str, Any] = {}
    for name in ("time_to_close", "backlog_per_10k", "satisfaction"):
        values = spread[name]
        indices[name] = {
            **{k: round_number(v) for k, v in values.indices().items()},
            "streets": len(values.values),
            "excluded": values.excluded,
        }
    indices["time_to_close"]["share_over_limit"] = round_number(
        share_over(spread["time_over_limit"].values)
    )
    kinds = table[table["unit_type"] == "grid_kind"]
    return {
        "streets": len(streets),
        "min_closed": MIN_CLOSED,
        "most_backlogged": {
            k: round_number(v) if isinstance(v, float) else v
            for k, v in most_backlogged(streets).items()
        },
        **indices,
        "grid_kinds": {
            str(row["unit"]): {
                column: round_number(row[column])
                if isinstance(row[column], float)
                else int(row[column])
                for column in KIND_COLUMNS
            }
            for _, row in kinds.iterrows()
        },
    }


KIND_COLUMNS = (
    "work_orders",
    "closed",
    "open_at_end",
    "time_to_close_median",
    "time_to_close_p90",
    "satisfaction_rate",
    "true_fix_rate",
)
"""The figures of each grid kind in the summary's equity block."""


KPI_COUNTS = (
    "cases",
    "due",
    "on_time",
    "valid_callbacks",
    "resolved",
    "problem_cases",
    "fixed_cases",
    "satisfaction_points",
)
KPI_RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "composite", "true_fix_rate")


def with_equity_rows(kpis: pd.DataFrame) -> pd.DataFrame:
    """``kpis`` (kpis.parquet) with, per month, a row of ``unit_type`` ``equity`` for each index
    (``unit``: ``gini``, ``theil``, ``worst_decile_over_median``): the rate columns hold the
    index across the month's street rows with at least MIN_CLOSED valid callbacks (the worst
    decile of a rate is its lowest), the count columns those streets' sums. The same rows
    whether ``kpis`` came from the tallies or from a cases table."""
    streets = kpis[kpis["unit_type"].astype(str) == "street"]
    rows = []
    for month, group in streets.groupby(streets["month"].astype(str), sort=True):
        counted = group[group["valid_callbacks"] >= MIN_CLOSED]
        sums = {c: counted[c].sum() for c in KPI_COUNTS}
        by_rate = {
            rate: indices(counted[rate].dropna().to_numpy(float), higher_is_worse=False)
            for rate in KPI_RATES
        }
        coverage = {c: group[c].iloc[0] for c in ("month_days", "complete_month")}
        for name in INDEX_NAMES:
            row: dict[str, Any] = {"month": month, "unit_type": "equity", "unit": name}
            rows.append(row | sums | {r: by_rate[r][name] for r in KPI_RATES} | coverage)
    if not rows:
        return kpis
    added = pd.DataFrame(rows).astype(kpis.dtypes.to_dict())[list(kpis.columns)]
    both = pd.concat([kpis, added], ignore_index=True)
    return both.sort_values(["month", "unit_type", "unit"], ignore_index=True, kind="stable")
