"""Confidence intervals for replication results (Student t, as in simulation output analysis)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


def mean_ci(values: Sequence[float] | np.ndarray, level: float = 0.95) -> Interval:
    """Mean of independent replications with its two-sided ``level`` t-interval."""
    return _t_interval(values, level, one_more=False)


def paired_ci(
    treatment: Sequence[float], control: Sequence[float], level: float = 0.95
) -> Interval:
    """CI of the mean difference treatment - control, paired by replication (common random
    numbers)."""
    t = np.asarray(treatment, dtype=float)
    c = np.asarray(control, dtype=float)
    if t.shape != c.shape:
        raise ValueError("paired samples must have the same length")
    return mean_ci(t - c, level)


def prediction_interval(values: Sequence[float] | np.ndarray, level: float = 0.95) -> Interval:
    """Where one more independent replication falls with probability ``level``:
    ``mean +- t(n-1) s sqrt(1 + 1/n)`` (normal replications). Infinite with fewer than two."""
    return _t_interval(values, level, one_more=True)


def _t_interval(values: Sequence[float] | np.ndarray, level: float, one_more: bool) -> Interval:
    """The mean of the finite ``values`` and its t-interval: of the mean (half-width
    ``t s / sqrt(n)``) or, ``one_more``, of one more replication (``t s sqrt(1 + 1/n)``)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, float("-inf"), float("inf"), 1)
    scale = np.sqrt(1 + 1 / n) if one_more else 1 / np.sqrt(n)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) * scale)
    return Interval(mean, mean - half, mean + half, n)
