"""Reshape run and experiment tables into the tidy frames the plot functions draw.

A run is treated as an experiment with one variant (the scenario's name) and one
replication, so every plot function takes either. Bands are Student-t 95% confidence
intervals of the mean across replications (as in ``govsim.experiments.analysis``); with
one replication there is no band (NaN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

LEVEL = 0.95
SERIES_METRICS = ("open", "queued", "in_service", "staff", "arrived", "closed", "abandoned")
KEYS = ("variant", "sample", "replication")


def tidy_timeseries(series: pd.DataFrame, variant: str = "run") -> pd.DataFrame:
    """Long time series (variant, sample, replication, time, tier, metric, value).

    Accepts a run's wide ``timeseries.parquet`` (one column per metric) or an experiment's
    long one (``metric`` and ``value`` columns).
    """
    if "metric" in series.columns:
        frame = series.copy()
    else:
        present = [m for m in SERIES_METRICS if m in series.columns]
        ids = [k for k in KEYS if k in series.columns]
        frame = series.melt(id_vars=[*ids, "time", "tier"], value_vars=present, var_name="metric")
    frame = with_keys(frame, variant)
    frame["tier"] = frame["tier"].astype(str)
    frame["metric"] = frame["metric"].astype(str)
    frame["value"] = frame["value"].astype(float)
    return frame[[*KEYS, "time", "tier", "metric", "value"]]


def with_keys(frame: pd.DataFrame, variant: str) -> pd.DataFrame:
    """A copy with variant, sample and replication columns (a run gets ``variant``, 0, 0)."""
    frame = frame.copy()
    if "variant" not in frame.columns:
        frame["variant"] = variant
    frame["variant"] = frame["variant"].astype(str)
    for key in ("sample", "replication"):
        if key not in frame.columns:
            frame[key] = 0
    return frame


def variant_order(frame: pd.DataFrame, preferred: list[str] | None = None) -> list[str]:
    """Variants present in ``frame``, in the preferred order first, then as they appear."""
    present = list(dict.fromkeys(frame["variant"].astype(str)))
    ordered = [v for v in (preferred or []) if v in present]
    return ordered + [v for v in present if v not in ordered]


def band(
    frame: pd.DataFrame, by: list[str], value: str = "value", level: float = LEVEL
) -> pd.DataFrame:
    """Mean and t confidence interval of ``value`` per group of ``by`` (across replications).

    Columns: ``by``..., ``mean``, ``low``, ``high``, ``n``; ``low``/``high`` are NaN when a
    group has fewer than two finite values.
    """
    grouped = frame.groupby(by, observed=True, sort=False)[value]
    out = grouped.agg(mean="mean", sd="std", n="count").reset_index()
    n = out["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 1, stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)), np.nan)
        half = t * out["sd"].to_numpy(dtype=float) / np.sqrt(n)
    out["low"] = out["mean"] - half
    out["high"] = out["mean"] + half
    return out.drop(columns="sd")


def daily_flows(tidy: pd.DataFrame, tier: str = "city") -> pd.DataFrame:
    """Cases arrived and closed per simulated day (sums of the interval counts), per run.

    Columns: variant, sample, replication, day (1 = the first day), metric, value.
    """
    rows = tidy[
        (tidy["tier"] == tier) & tidy["metric"].isin(["arrived", "closed"]) & (tidy["time"] > 0)
    ]
    rows = rows.assign(day=np.ceil(rows["time"] / 24.0 - 1e-9).astype(int))
    return (
        rows.groupby([*KEYS, "day", "metric"], observed=True, sort=True)["value"]
        .sum()
        .reset_index()
    )


def whole_months(kpis: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """The KPI rows the monthly figures draw, and the partial months among them.

    A month the run covers only in part (``complete_month`` false) is left out when some
    month is complete: a two-day June's rates are not comparable with a whole month's.
    When no month is complete (a run of a few weeks), every month is kept and returned
    with its days in the run, for the figure to mark. Tables from before the column
    existed are taken as they are.
    """
    if "complete_month" not in kpis.columns or kpis.empty:
        return kpis, {}
    complete = kpis["complete_month"].astype(bool)
    if complete.any():
        return kpis[complete], {}
    days = kpis.groupby(kpis["month"].astype(str))["month_days"].max()
    return kpis, {str(m): float(d) for m, d in days.items()}


def month_label(month: str, partial: dict[str, float]) -> str:
    """``2024-03``, or ``2024-03 (28 d)`` for a month the run covers only in part."""
    return f"{month} ({partial[month]:g} d)" if month in partial else month
