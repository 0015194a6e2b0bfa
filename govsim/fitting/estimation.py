"""A fitted parameter with its 95% confidence interval, and the interval helpers all fits share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

LEVEL = 0.95
Z = float(stats.norm.ppf(0.5 + LEVEL / 2))
Key = tuple[str | int, ...]
"""A scenario key path; list items by name (``("categories", "housing", "rate")``)."""


@dataclass
class Estimate:
    """One fitted value: its key in the scenario, its 95% CI, how and on what it was fitted."""

    key: Key
    value: float
    low: float
    high: float
    method: str
    n: int
    """Observations it rests on (first contacts, cases, visits, callbacks)."""
    extra: dict[str, float | str] = field(default_factory=dict)
    """What else the writer needs (a distribution's kind, ``integer``) or the report shows
    (``interval``: what low and high are, when not a 95% CI)."""

    @property
    def path(self) -> str:
        return ".".join(str(k) for k in self.key)

    def covers(self, truth: float) -> bool:
        return self.low <= truth <= self.high

    def comment(self) -> str:
        interval = str(self.extra.get("interval", "95% CI"))
        return f"fit: {interval} [{fmt(self.low)}, {fmt(self.high)}], {self.method}, n={self.n:,}"


@dataclass
class NotFitted:
    """A parameter the log cannot identify: kept from the base scenario, with the reason."""

    key: str
    reason: str


def fmt(x: float) -> str:
    """A value for a comment or a table: 4 significant digits."""
    if not np.isfinite(x):
        return "inf" if x > 0 else "-inf" if x < 0 else "nan"
    return f"{x:.4g}"


def share(key: Key, hits: int, n: int, method: str) -> Estimate:
    """A proportion with its Wilson score interval (good coverage near 0 and 1 too)."""
    low, high = proportion_confint(hits, n, alpha=1 - LEVEL, method="wilson")
    low = 0.0 if hits == 0 else float(low)  # exact at the boundary, not 1e-19
    high = 1.0 if hits == n else float(high)
    return Estimate(key, hits / n, low, high, method, n)


def log_normal_interval(log_value: float, se: float) -> tuple[float, float, float]:
    """Value and CI of exp(x) for x normal with standard error ``se`` (delta on the log scale).

    A bound beyond the float range is inf, without a warning: a tiny log's coefficient can
    have a standard error so large that its interval is unbounded, which is what it says.
    """
    with np.errstate(over="ignore"):
        return (
            float(np.exp(log_value)),
            float(np.exp(log_value - Z * se)),
            float(np.exp(log_value + Z * se)),
        )


def poisson_interval(count: int) -> tuple[float, float]:
    """Exact (Garwood) 95% interval of a Poisson mean from one count."""
    alpha = 1 - LEVEL
    low = stats.chi2.ppf(alpha / 2, 2 * count) / 2 if count > 0 else 0.0
    high = stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return float(low), float(high)
