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

from govsim.metrics import assess, kpi_frame
from govsim.scenario.schema import Scenario

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


# Case-level views: from a run's cases table (or a replayed experiment run).

CLOSED_COLUMNS = ("urgency", "final_tier", "created", "hours")


def case_views(
    cases: pd.DataFrame, scenario: Scenario, horizon: float, warmup: float = 0.0, **keys: object
) -> dict[str, pd.DataFrame]:
    """The small tables the case-level figures need, computed from one run's cases.

    - ``kpis``: the three rates and composite per unit and month (cases created after warm-up);
    - ``closed``: urgency, closing tier, creation time and hours to close of each closed case;
    - ``loads``: cases closed per day at each unit (the unit of the tier that closed them).

    ``keys`` (variant, sample, replication) are added as columns.
    """
    after = cases[cases["created"] >= warmup]
    kpis = kpi_frame(after, scenario, horizon, assess(after, scenario, horizon))
    done = after[after["status"] == "closed"]
    closed = pd.DataFrame(
        {
            "urgency": done["urgency"].astype(str).to_numpy(),
            "final_tier": done["final_tier"].astype(str).to_numpy(),
            "created": done["created"].to_numpy(dtype=np.float32),
            "hours": (done["closed"] - done["created"]).to_numpy(dtype=np.float32),
        }
    )
    loads = unit_loads(done, max(horizon - warmup, 1e-9) / 24.0)
    return {
        name: _stamp(frame, keys)
        for name, frame in {"kpis": kpis, "closed": closed, "loads": loads}.items()
    }


def unit_loads(closed_cases: pd.DataFrame, days: float) -> pd.DataFrame:
    """Cases closed per day at each unit: grids, streets, districts, departments and the hotline."""
    from govsim.network.graph import HOTLINE_NAME

    frames = []
    tiers = closed_cases["final_tier"].astype(str)
    for tier in ("grid", "street", "district", "department"):
        units = closed_cases.loc[tiers == tier, tier].astype(str)
        counts = units.value_counts()
        frames.append(
            pd.DataFrame(
                {
                    "unit": counts.index.astype(str),
                    "tier": tier,
                    "per_day": counts.to_numpy(dtype=float) / days,
                }
            )
        )
    hotline = float((tiers == "hotline").sum()) / days
    frames.append(pd.DataFrame({"unit": [HOTLINE_NAME], "tier": ["hotline"], "per_day": [hotline]}))
    return pd.concat(frames, ignore_index=True)


def _stamp(frame: pd.DataFrame, keys: dict[str, object]) -> pd.DataFrame:
    frame = frame.copy()
    for i, (key, value) in enumerate(keys.items()):
        frame.insert(i, key, value)
    return frame


def run_case_views(
    cases: pd.DataFrame, scenario: Scenario, variant: str | None = None
) -> dict[str, pd.DataFrame]:
    """:func:`case_views` of a whole run (no warm-up), keyed as variant ``scenario.name``."""
    return case_views(
        cases,
        scenario,
        scenario.days * 24.0,
        0.0,
        variant=variant or scenario.name,
        sample=0,
        replication=0,
    )
