"""Handling times per tier, from the timestamps that measure exactly one visit (scipy MLE, AIC).

What a log's timestamps measure (``govsim/engine/agents/handlers.py``): ``first_response`` is
stamped when the first handler starts its visit, ``closed`` when the closing visit ends. So

- a case closed at the **grid** (never escalated): ``closed - first_response`` is one grid visit;
- a case routed to a **department** and closed there: one department visit;
- a case closed at the **street** or **district** also spent a lower tier's visit, the
  hand-over and the queue of the closing unit in that interval: its handling time is not
  identifiable from these two stamps. With the optional ``closing_started`` column (the
  closing unit's sign-for time) ``closed - closing_started`` is one visit of the closing
  tier, so street (not whistled) and district visits are fitted too.

Each sample is fitted as exponential, gamma and lognormal by maximum likelihood (scipy,
location 0) and the family with the lowest AIC is kept. The mean and the coefficient of
variation get 95% CIs from the family's Fisher information (exact chi-square for the
exponential mean). The callback delay and the redial delay are fitted the same way.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from govsim.fitting.data import FitData
from govsim.fitting.estimation import LEVEL, Estimate, NotFitted, Z

HOTLINE, GRID, STREET, DISTRICT, DEPARTMENT = range(5)
MIN_SAMPLE = 20
MIN_CV = 1e-3
"""A sample varying less than this (sd / mean) is a fixed duration: not fitted."""


@dataclass
class FamilyFit:
    kind: str
    aic: float
    mean: tuple[float, float, float]
    """Value, low, high."""
    cv: tuple[float, float, float]


@dataclass
class DurationFit:
    """A fitted duration: the chosen family, all candidates (for the report) and the sample."""

    key: tuple[str | int, ...]
    label: str
    sample: np.ndarray
    chosen: FamilyFit
    candidates: list[FamilyFit]

    def estimates(self) -> list[Estimate]:
        kind = self.chosen.kind
        n = len(self.sample)
        method = f"{kind} MLE (lowest AIC), {self.label}"
        out = [Estimate((*self.key, "mean"), *self.chosen.mean, method, n, {"kind": kind})]
        if kind != "exponential":
            out.append(Estimate((*self.key, "cv"), *self.chosen.cv, method, n, {"kind": kind}))
        return out


def fit_duration(key: tuple[str | int, ...], label: str, hours: np.ndarray) -> DurationFit | None:
    """Fit the three families to the positive, finite ``hours``; None (:func:`why_not`) if
    fewer than 20, if they barely vary, or if no family's fit succeeds."""
    x = _sample(hours)
    if len(x) < MIN_SAMPLE or x.std() < MIN_CV * x.mean():
        return None
    fits = [f for f in (_tried(family, x) for family in (_exponential, _gamma, _lognormal)) if f]
    if not fits:
        return None
    return DurationFit(key, label, x, min(fits, key=lambda f: f.aic), fits)


def why_not(hours: np.ndarray) -> str:
    """Why :func:`fit_duration` fitted nothing to ``hours``."""
    x = _sample(hours)
    if len(x) < MIN_SAMPLE:
        return f"fewer than {MIN_SAMPLE} visits in the log"
    if x.std() < MIN_CV * x.mean():
        return (
            f"its {len(x):,} durations all last {x.mean():.4g} h (cv under {MIN_CV:g}): "
            "a fixed duration, which the families fitted here cannot be (`kind: deterministic`)"
        )
    return "no family could be fitted by maximum likelihood"


def _sample(hours: np.ndarray) -> np.ndarray:
    return hours[np.isfinite(hours) & (hours > 0)]


def _tried(family: Callable[[np.ndarray], FamilyFit], x: np.ndarray) -> FamilyFit | None:
    """``family``'s fit, or None where its maximum likelihood fails or is not finite (a sample
    of nearly equal durations: the gamma's shape has no finite root)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = family(x)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError):
        return None
    values = (fitted.aic, *fitted.mean[:1], *fitted.cv[:1])
    return fitted if all(math.isfinite(v) for v in values) else None


def _exponential(x: np.ndarray) -> FamilyFit:
    n, mean = len(x), float(x.mean())
    loglik = -n * math.log(mean) - n
    alpha = 1 - LEVEL
    low = 2 * n * mean / stats.chi2.ppf(1 - alpha / 2, 2 * n)
    high = 2 * n * mean / stats.chi2.ppf(alpha / 2, 2 * n)
    return FamilyFit("exponential", 2 - 2 * loglik, (mean, low, high), (1.0, 1.0, 1.0))


def _gamma(x: np.ndarray) -> FamilyFit:
    n = len(x)
    shape, _, scale = stats.gamma.fit(x, floc=0)
    loglik = float(stats.gamma.logpdf(x, shape, scale=scale).sum())
    mean = shape * scale  # the MLE of the mean is the sample mean
    # Fisher information in (mean, shape) is diagonal: var(mean) = mean**2 / (n shape),
    # var(shape) = 1 / (n (trigamma(shape) - 1 / shape)).
    se_mean = mean / math.sqrt(n * shape)
    se_shape = 1 / math.sqrt(n * (special.polygamma(1, shape) - 1 / shape))
    se_log_mean = se_mean / mean
    cv = 1 / math.sqrt(shape)
    se_cv = 0.5 * shape**-1.5 * se_shape
    se_log_cv = se_cv / cv
    return FamilyFit(
        "gamma",
        4 - 2 * loglik,
        _log_ci(mean, se_log_mean),
        _log_ci(cv, se_log_cv),
    )


def _lognormal(x: np.ndarray) -> FamilyFit:
    n = len(x)
    logs = np.log(x)
    mu, s2 = float(logs.mean()), float(logs.var())
    loglik = float(stats.norm.logpdf(logs, mu, math.sqrt(s2)).sum() - logs.sum())
    # mu and s2 are independent, var(mu) = s2 / n, var(s2) = 2 s2**2 / n.
    log_mean = mu + s2 / 2
    se_log_mean = math.sqrt(s2 / n + s2**2 / (2 * n))
    mean = math.exp(log_mean)
    half = Z * s2 * math.sqrt(2 / n)
    cv_at = [math.sqrt(math.expm1(max(v, 0.0))) for v in (s2, s2 - half, s2 + half)]
    return FamilyFit(
        "lognormal",
        4 - 2 * loglik,
        (mean, math.exp(log_mean - Z * se_log_mean), math.exp(log_mean + Z * se_log_mean)),
        (cv_at[0], cv_at[1], cv_at[2]),
    )


def _log_ci(value: float, se_log: float) -> tuple[float, float, float]:
    return value, value * math.exp(-Z * se_log), value * math.exp(Z * se_log)


def fit_handling(data: FitData) -> tuple[list[DurationFit], list[NotFitted]]:
    """Handling times per tier (and per category where the base scenario sets its own)."""
    missing: list[NotFitted] = []
    if not data.has("closing_tier", "closed"):
        return [], [NotFitted("handling", "the log has no closing_tier or closed")]
    closed = data.times["closed"]
    settled = data.settled
    tier = data.tier
    escalations = data.counts.get("escalations")
    whistles = data.counts.get("whistles")
    single: dict[str, tuple[np.ndarray, np.ndarray, str]] = {}
    if "first_response" in data.times:
        visit = closed - data.times["first_response"]
        direct = escalations == 0 if escalations is not None else np.ones(data.n, dtype=bool)
        single["grid"] = (
            visit,
            settled & (tier == GRID) & direct,
            "closed - first_response of grid closures",
        )
        single["department"] = (
            visit,
            settled & (tier == DEPARTMENT),
            "closed - first_response of department closures",
        )
    else:
        missing.append(
            NotFitted("handling.grid, handling.department", "the log has no first_response")
        )
    if "closing_started" in data.times:
        visit = closed - data.times["closing_started"]
        not_whistled = (
            whistles == 0
            if whistles is not None
            else np.full(data.n, not data.scenario.whistle.enabled)
        )
        single["street"] = (
            visit,
            settled & (tier == STREET) & not_whistled,
            "closed - closing_started of street closures",
        )
        single["district"] = (
            visit,
            settled & (tier == DISTRICT),
            "closed - closing_started of district closures",
        )
    else:
        missing.append(
            NotFitted(
                "handling.street, handling.district",
                "a street or district closure's closed - first_response also holds a lower tier's "
                "visit, the "
                "hand-over and the queue; give closing_started to identify them",
            )
        )
    fits: list[DurationFit] = []
    categories = data.scenario.categories
    for tier_name, (visit, rows, label) in single.items():
        own = [
            c for c, spec in enumerate(categories) if getattr(spec.handling, tier_name) is not None
        ]
        pooled = rows & ~np.isin(data.codes.category, own)
        fitted = fit_duration(("handling", tier_name), label, visit[pooled])
        if fitted is not None:
            fits.append(fitted)
        elif pooled.any() or not own:
            missing.append(NotFitted(f"handling.{tier_name}", why_not(visit[pooled])))
        for c in own:
            name = categories[c].name
            sample = visit[rows & (data.codes.category == c)]
            fitted = fit_duration(
                ("categories", name, "handling", tier_name), f"{label} ({name})", sample
            )
            if fitted is not None:
                fits.append(fitted)
            else:
                missing.append(
                    NotFitted(f"categories.{name}.handling.{tier_name}", why_not(sample))
                )
    fits += _delays(data, missing)
    return fits, missing


def _delays(data: FitData, missing: list[NotFitted]) -> list[DurationFit]:
    out = []
    if "callback" in data.times and "closed" in data.times:
        closed = data.times["closed"]
        rows = closed <= data.end - data.settle_hours
        sample = (data.times["callback"] - closed)[rows]
        fitted = fit_duration(("feedback", "callback_delay"), "callback - closed", sample)
        if fitted is not None:
            out.append(fitted)
        elif len(_sample(sample)) >= MIN_SAMPLE:
            missing.append(NotFitted("feedback.callback_delay", why_not(sample)))
    if data.has("repeat_of", "abandoned_at", "case_id"):
        frame = data.log.frame
        abandoned = data.times["abandoned_at"]
        idx = pd.Index(frame["case_id"]).get_indexer(frame["repeat_of"])
        has = idx >= 0
        of_abandoned = np.zeros(data.n, dtype=bool)
        of_abandoned[has] = np.isfinite(abandoned[idx[has]])
        delay = np.full(data.n, np.nan)
        delay[of_abandoned] = data.times["created"][of_abandoned] - abandoned[idx[of_abandoned]]
        settled = np.zeros(data.n, dtype=bool)
        settled[of_abandoned] = abandoned[idx[of_abandoned]] <= data.end - data.settle_hours
        fitted = fit_duration(
            ("hotline", "redial_delay"), "redial created - abandoned_at", delay[settled]
        )
        if fitted is not None:
            out.append(fitted)
        elif len(_sample(delay[settled])) >= MIN_SAMPLE:
            missing.append(NotFitted("hotline.redial_delay", why_not(delay[settled])))
    return out
