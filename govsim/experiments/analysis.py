"""Summaries of replications: means with confidence intervals, paired differences, run length.

All functions take the tidy results table (variant, sample, replication, seed, metric,
value) and return tidy DataFrames.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from govsim.core.intervals import mean_ci
from govsim.results.settling import by_variant

LEVEL = 0.95


def summarise(results: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Mean, standard deviation and t confidence interval per variant, sample and metric."""
    rows = []
    for (variant, sample, metric), group in results.groupby(
        ["variant", "sample", "metric"], sort=False, observed=True
    ):
        values = group["value"].to_numpy(dtype=float)
        ci = mean_ci(values, level)
        rows.append(
            {
                "variant": variant,
                "sample": sample,
                "metric": metric,
                "n": ci.n,
                "mean": ci.mean,
                "sd": float(np.nanstd(values, ddof=1)) if ci.n > 1 else np.nan,
                "ci_low": ci.low,
                "ci_high": ci.high,
                "half_width": ci.half_width,
            }
        )
    return pd.DataFrame(rows)


def paired_differences(results: pd.DataFrame, baseline: str, level: float = LEVEL) -> pd.DataFrame:
    """Variant minus baseline, paired by sample and replication (common random numbers).

    ``sd_unpaired`` is the standard deviation the difference would have if the two
    variants had independent random numbers (sqrt(var_variant + var_baseline)), so a
    reader sees what the pairing bought.
    """
    keys = ["sample", "replication", "metric"]
    base = results[results["variant"] == baseline].set_index(keys)["value"]
    rows = []
    for variant, group in results.groupby("variant", sort=False, observed=True):
        if variant == baseline:
            continue
        joined = (
            group.set_index(keys)["value"].to_frame("value").join(base.rename("base"), how="inner")
        )
        for (sample, metric), pair in joined.groupby(level=["sample", "metric"], sort=False):
            diff = (pair["value"] - pair["base"]).to_numpy(dtype=float)
            ci = mean_ci(diff, level)
            unpaired = math.sqrt(_variance(pair["value"]) + _variance(pair["base"]))
            rows.append(
                {
                    "variant": variant,
                    "baseline": baseline,
                    "sample": sample,
                    "metric": metric,
                    "n": ci.n,
                    "mean_diff": ci.mean,
                    "sd_diff": float(np.nanstd(diff, ddof=1)) if ci.n > 1 else np.nan,
                    "sd_unpaired": unpaired,
                    "ci_low": ci.low,
                    "ci_high": ci.high,
                }
            )
    return pd.DataFrame(rows)


def replications_needed(
    values: np.ndarray | list[float], half_width: float, level: float = LEVEL
) -> int:
    """Smallest n whose t-interval half-width t(n-1) * s / sqrt(n) is at most ``half_width``.

    ``s`` is the standard deviation of a pilot set of replications (at least two).
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        raise ValueError("need at least two pilot replications")
    if half_width <= 0:
        raise ValueError("half_width must be positive")
    s = float(x.std(ddof=1))
    q = 0.5 + level / 2
    n = max(2, math.ceil((stats.norm.ppf(q) * s / half_width) ** 2))  # t > z: a lower bound
    while stats.t.ppf(q, n - 1) * s / math.sqrt(n) > half_width:
        n += 1
    return n


def backlog_curves(series: pd.DataFrame, tier: str = "city", metric: str = "open") -> pd.DataFrame:
    """One column per (variant, replication), indexed by time: the curves used to choose a
    warm-up."""
    sel = series[(series["tier"].astype(str) == tier) & (series["metric"].astype(str) == metric)]
    return sel.pivot_table(
        index="time", columns=["variant", "replication"], values="value", observed=True
    )


def _variance(values: pd.Series) -> float:
    """Sample variance of the finite values (NaN with fewer than two, without a warning)."""
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(np.var(finite, ddof=1)) if len(finite) > 1 else float("nan")


settling = by_variant
"""Per variant and sample, whether its backlog settles:
:func:`govsim.results.settling.by_variant`."""
