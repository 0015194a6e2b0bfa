"""Headline figures of case logs side by side: a log against the export of a run fitted to it.

Each figure is computed the same way from any log, from the columns it has (a figure
whose columns are missing is left empty, NaN), always in the same logical order
(:func:`figure_names`): volumes (first contacts per day, in total and per category;
appeals per day, repeats, abandoned calls), then where cases close (consultations, work
orders closed at each tier), how long work orders take (mean and p90 hours from created
to closed, per tier and for all), and the callbacks' resolution and satisfaction rates
(satisfaction as the public formula has it: satisfied + 0.9 x basically satisfied, over
rated callbacks).

Censoring: a log ends while its last cases are still open, and the slow ones are the
open ones, so figures about closing and callbacks count **settled** cases only, created
at least ``settle_days`` before the window's end (as :attr:`govsim.fitting.data.FitData.settled`),
and closed by the window's end (a run stops there). A log and a simulated log of the same
window are so measured alike. Volumes count every row of the window.

Each figure comes with its standard error as a sample (:func:`headline`): Poisson for
counts per day, the standard error of the mean for shares, rates and mean hours, and for
a p90 the distribution-free interval between order statistics (its width / 3.92).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from govsim.core.codes import SATISFACTION_LEVELS, SATISFACTION_WEIGHT, TIERS
from govsim.data.caselog import CaseLog

SETTLE_DAYS = 7.0
"""Default: closing figures count cases created at least this long before the end (as fit)."""
WORK_ORDER_TIERS = TIERS[1:]
"""grid, street, district, department."""
Z95 = float(stats.norm.ppf(0.975))


def figure_names(categories: Sequence[str]) -> list[str]:
    """The headline figures, in their fixed order, for a log of ``categories``."""
    return [name for name, _ in figure_kinds(categories)]


def figure_kinds(categories: Sequence[str]) -> list[tuple[str, str]]:
    """Each figure's name and kind (``volume``, ``share``, ``hours``, ``rate``), in order."""
    return [
        ("first contacts per day", "volume"),
        *[(f"volume: {name} (per day)", "volume") for name in categories],
        ("appeals per day", "volume"),
        ("repeat share", "share"),
        ("abandoned share", "share"),
        ("consultation share (of closed)", "share"),
        *[(f"work orders closed at {tier}", "share") for tier in WORK_ORDER_TIERS],
        *[
            (f"hours to close at {tier} ({stat})", "hours")
            for tier in WORK_ORDER_TIERS
            for stat in ("mean", "p90")
        ],
        ("hours to close, work orders (mean)", "hours"),
        ("hours to close, work orders (p90)", "hours"),
        ("resolution rate", "rate"),
        ("satisfaction rate", "rate"),
    ]


def headline(
    log: CaseLog,
    settle_days: float = SETTLE_DAYS,
    categories: Sequence[str] | None = None,
    window: tuple[pd.Timestamp, int] | None = None,
) -> pd.DataFrame:
    """The headline figures of ``log``: one row per figure in order, columns value, se, kind.

    ``categories`` names the volume rows (default: the log's, sorted); ``window`` (first
    midnight, days) is the log's own by default: give a run's log the window of the log it
    is compared with (rows created outside it are left out).
    """
    start, days = window if window is not None else log.window()
    end = start + pd.Timedelta(days=days)
    frame = log.frame
    if window is not None:
        frame = frame[(frame["created"] >= start) & (frame["created"] < end)]
        log = CaseLog(log.source, frame)
    names = sorted(_categories(frame)) if categories is None else list(categories)
    out: dict[str, tuple[float, float]] = {}
    first = log.first_contacts()
    out["first contacts per day"] = _per_day(len(first), days)
    counts = first["category"].astype(object).value_counts()
    for name in names:
        out[f"volume: {name} (per day)"] = _per_day(int(counts.get(name, 0)), days)
    out["appeals per day"] = _per_day(len(frame), days)
    if "repeat_of" in frame:
        out["repeat share"] = _mean(frame["repeat_of"].notna().to_numpy(dtype=float))
    if "abandoned_at" in frame:
        out["abandoned share"] = _mean(frame["abandoned_at"].notna().to_numpy(dtype=float))
    settled = (frame["created"] <= end - pd.Timedelta(days=settle_days)).to_numpy()
    if "closing_tier" in frame and "closed" in frame:
        tier = frame["closing_tier"].astype(object).to_numpy()
        closed = settled & (frame["closed"] <= end).to_numpy() & pd.notna(tier)
        out["consultation share (of closed)"] = _mean((tier[closed] == "hotline").astype(float))
        orders = closed & (tier != "hotline")
        hours = (frame["closed"] - frame["created"]).dt.total_seconds().to_numpy(
            dtype=float, na_value=np.nan
        ) / 3600
        for name in WORK_ORDER_TIERS:
            out[f"work orders closed at {name}"] = _mean((tier[orders] == name).astype(float))
        for name in WORK_ORDER_TIERS:
            at = hours[orders & (tier == name)]
            out[f"hours to close at {name} (mean)"] = _mean(at)
            out[f"hours to close at {name} (p90)"] = _p90(at)
        out["hours to close, work orders (mean)"] = _mean(hours[orders])
        out["hours to close, work orders (p90)"] = _p90(hours[orders])
    if "resolved" in frame:
        resolved = frame["resolved"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        out["resolution rate"] = _mean(resolved[settled & np.isfinite(resolved)])
    if "satisfaction" in frame:
        level = pd.Categorical(frame["satisfaction"].astype(object), list(SATISFACTION_LEVELS))
        codes = np.asarray(level.codes)
        points = np.asarray(SATISFACTION_WEIGHT)[codes[settled & (codes >= 0)]]
        out["satisfaction rate"] = _mean(points)
    kinds = figure_kinds(names)
    rows = [out.get(name, (np.nan, np.nan)) for name, _ in kinds]
    return pd.DataFrame(
        {
            "value": [r[0] for r in rows],
            "se": [r[1] for r in rows],
            "kind": [kind for _, kind in kinds],
        },
        index=pd.Index([name for name, _ in kinds], name="figure"),
    )


def log_summary(
    log: CaseLog, settle_days: float = SETTLE_DAYS, categories: Sequence[str] | None = None
) -> pd.Series:
    """The headline figures of one log, by name, in the fixed order (:func:`headline`)."""
    return headline(log, settle_days, categories)["value"]


def compare(logs: dict[str, CaseLog], settle_days: float = SETTLE_DAYS) -> pd.DataFrame:
    """One column per log (by label), one row per headline figure in the fixed order; the
    volume rows are the categories of any log, sorted."""
    names = sorted(set().union(*(_categories(log.frame) for log in logs.values())))
    return pd.DataFrame(
        {label: log_summary(log, settle_days, names) for label, log in logs.items()}
    )


def _categories(frame: pd.DataFrame) -> set[str]:
    return {str(c) for c in frame["category"].dropna().unique()}


def _per_day(count: int, days: int) -> tuple[float, float]:
    return count / days, float(np.sqrt(count)) / days


def _mean(x: np.ndarray) -> tuple[float, float]:
    if len(x) == 0:
        return np.nan, np.nan
    se = float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else np.nan
    return float(x.mean()), se


def _p90(x: np.ndarray, q: float = 0.9) -> tuple[float, float]:
    n = len(x)
    if n == 0:
        return np.nan, np.nan
    ordered = np.sort(x)
    half = Z95 * np.sqrt(n * q * (1 - q))
    low = int(np.clip(np.floor(n * q - half), 0, n - 1))
    high = int(np.clip(np.ceil(n * q + half), 0, n - 1))
    return float(np.quantile(ordered, q)), float(ordered[high] - ordered[low]) / (2 * Z95)
