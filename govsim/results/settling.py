"""Does a run's backlog settle? A trend test on each tier's open cases after the warm-up.

A run starts empty and fills up; in a stable city its backlog then varies around a level,
in an overloaded one it keeps growing, and a time to close averaged over the closed cases
then grows with the horizon: it is no property of the policy. The test, per tier: the
window after the warm-up is cut into BATCHES equal batches, the mean backlog (open cases
at the tier, from the time series) of each batch is taken, and the least-squares slope of
the batch means over the batch index is tested one-sided (t with BATCHES - 2 degrees of
freedom) for growth. The batches are days long, far longer than a stable backlog's memory,
so their means are close to independent and the test holds its level without a model of
the autocorrelation. (A regression on the hourly or daily series with a Newey-West
standard error, tried first, flagged 15% of stable 30-day runs at a stated 5%.) The tiers
are tested together at LEVEL (Bonferroni), so a stable run is flagged with a chance of at
most LEVEL.

Its power is that of one run: a tier far beyond its capacity is flagged every time, one on
the edge of it (utilisation 1, a random walk that grows like the square root of time) in
only some runs. Over replications, :func:`by_variant` counts the flagged runs against the
LEVEL that false alarms explain (``govsim.experiments.analysis.settling`` is the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

BATCHES = 5
"""Batches the window after the warm-up is cut into (a count; assumed: few enough that a
batch of a 30-day run lasts days, far longer than a stable backlog's memory, enough for a
slope with 3 degrees of freedom). Its false alarms are measured in docs/outputs.md."""
LEVEL = 0.05
"""Chance that a stable run is flagged (a probability; the conventional 5%, assumed), split
over the tested tiers (Bonferroni)."""
HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class Trend:
    """The backlog trend of one tier after the warm-up."""

    slope_per_day: float
    """Growth of the batch-mean backlog (open cases per day)."""
    p_value: float
    """One-sided p-value of growth (t-test on the batch means' slope)."""


@dataclass(frozen=True)
class Settling:
    """The verdict of a run: ``settled`` False if some tier's backlog grows (at ``level``,
    Bonferroni over the tested tiers); None when the window is too short to test."""

    settled: bool | None
    warmup_hours: float
    level: float = LEVEL
    tiers: dict[str, Trend] = field(default_factory=dict)

    @property
    def growing(self) -> list[str]:
        """The tiers whose backlog grows (the reason a run is not settled)."""
        cut = self.level / max(len(self.tiers), 1)
        return [tier for tier, trend in self.tiers.items() if trend.p_value < cut]

    @property
    def largest_slope(self) -> float:
        """The steepest tier's growth (open cases per day; NaN without a tested tier)."""
        return max((t.slope_per_day for t in self.tiers.values()), default=float("nan"))

    def as_dict(self) -> dict[str, object]:
        """For ``summary.json``."""
        return {
            "settled": self.settled,
            "warmup_hours": self.warmup_hours,
            "level": self.level,
            "batches": BATCHES,
            "growing": self.growing,
            "tiers": {
                tier: {"slope_per_day": _round(t.slope_per_day), "p_value": _round(t.p_value)}
                for tier, t in self.tiers.items()
            },
        }


def settling(timeseries: pd.DataFrame, warmup_hours: float, level: float = LEVEL) -> Settling:
    """Test each tier's backlog in ``timeseries`` (``govsim`` time series: time, tier, open)
    after ``warmup_hours`` for growth; see the module docstring."""
    rows = timeseries[(timeseries["tier"] != "city") & (timeseries["time"] >= warmup_hours)]
    if rows.empty:
        return Settling(None, warmup_hours, level)
    start, end = warmup_hours, float(rows["time"].max())
    if rows["time"].nunique() < 2 * BATCHES or end <= start:
        return Settling(None, warmup_hours, level)
    trends: dict[str, Trend] = {}
    for tier, group in rows.groupby("tier", observed=True, sort=False):
        backlog = group["open"].to_numpy(dtype=float)
        if np.ptp(backlog) == 0:
            continue  # a tier that never holds a case, or never changes, has no trend
        batch = np.minimum(
            ((group["time"].to_numpy(dtype=float) - start) / (end - start) * BATCHES).astype(int),
            BATCHES - 1,
        )
        counts = np.bincount(batch, minlength=BATCHES)
        means = np.bincount(batch, backlog, minlength=BATCHES) / np.maximum(counts, 1)
        fit = stats.linregress(np.arange(BATCHES), means)
        days_per_batch = (end - start) / BATCHES / HOURS_PER_DAY
        if fit.stderr > 0:
            p = float(stats.t.sf(fit.slope / fit.stderr, BATCHES - 2))
        else:  # batch means on a line: growth is certain if it rises
            p = 0.0 if fit.slope > 0 else 1.0
        trends[str(tier)] = Trend(float(fit.slope / days_per_batch), p)
    if not trends:
        return Settling(True, warmup_hours, level)
    cut = level / len(trends)
    return Settling(all(t.p_value >= cut for t in trends.values()), warmup_hours, level, trends)


def verdict(runs: int, growing: int, level: float = LEVEL) -> tuple[float, bool]:
    """Do ``runs`` replications, ``growing`` of them flagged, settle? (p-value, settled).

    Each run is flagged with a chance of at most ``level`` when its backlog is stable, so
    the replications are called not settled when the binomial chance of ``growing`` or more
    flags is at most ``level``.
    """
    p = float(stats.binom.sf(growing - 1, runs, level)) if growing else 1.0
    return p, p > level


def by_variant(summary: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Per variant and sample, whether its backlog settles, from the ``settled`` outcome of
    its runs (the summary table: mean = share of settled runs, n = runs tested).

    Each run is flagged at ``level`` when its backlog grows
    (:func:`govsim.results.settling.settling`),
    so a stable variant's runs are flagged with a chance of at most ``level`` each; the
    variant is *not settled* when more of its runs are flagged than that explains: the
    binomial chance of so many flags is at most ``level``. Columns: variant, sample, runs,
    growing (runs flagged), p_value, settled (True/False). Empty without a ``settled``
    outcome.
    """
    rows = summary[summary["metric"].astype(str) == "settled"] if len(summary) else summary
    out = []
    for _, row in rows.iterrows():
        runs = int(row["n"])
        if runs == 0 or not np.isfinite(row["mean"]):
            continue
        growing = round((1 - float(row["mean"])) * runs)
        p, settled = verdict(runs, growing, level)
        out.append(
            {
                "variant": str(row["variant"]),
                "sample": row["sample"],
                "runs": runs,
                "growing": growing,
                "p_value": p,
                "settled": settled,
            }
        )
    return pd.DataFrame(out, columns=["variant", "sample", "runs", "growing", "p_value", "settled"])


def summary_warmup_hours(days: float) -> float:
    """The warm-up of a run's own settling check: its first third (hours)."""
    return days * HOURS_PER_DAY / 3


def after(warmup_hours: float) -> str:
    """``after day 10``, or ``after hour 16`` for a warm-up that is not whole days."""
    days = warmup_hours / HOURS_PER_DAY
    return f"after day {days:g}" if days == int(days) else f"after hour {warmup_hours:.0f}"


def _round(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 6)
