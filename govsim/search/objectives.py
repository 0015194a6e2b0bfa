"""From run values to what the search compares: robust per-replication scores, estimates, fronts.

A candidate's runs form, per outcome, an array ``(samples, replications)``: one row per
sampled scenario of the uncertainties, one column per replication seed (common to every
candidate). Each replication is first reduced across the samples (the mean, or the 90th
percentile of the loss), so replication r of two candidates stays a matched pair; the
estimate is then the mean over replications with its t-interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from govsim.core.intervals import Interval, mean_ci

LEVEL = 0.95
TAIL = 0.9  # "p90": the 90th percentile of the loss across sampled scenarios


def robust(values: np.ndarray, sign: float, robustness: str = "mean") -> np.ndarray:
    """One score per replication from ``values`` (samples x replications).

    ``sign`` is +1 for an outcome to minimise and -1 for one to maximise, so that
    ``p90`` takes the bad tail of either: the 90th percentile of a time, the 10th of a rate.
    """
    values = np.asarray(values, dtype=float)
    if values.shape[0] == 1 or robustness == "mean":
        return values.mean(axis=0)
    return sign * np.quantile(sign * values, TAIL, axis=0)


def estimate(scores: Sequence[float] | np.ndarray, level: float = LEVEL) -> Interval:
    """Mean of per-replication scores with its t confidence interval."""
    return mean_ci(scores, level)


def across_samples(values: np.ndarray, sign: float) -> tuple[float, float]:
    """Mean and 90th percentile of the loss across samples, of the per-sample means."""
    means = np.asarray(values, dtype=float).mean(axis=1)
    return float(means.mean()), float(sign * np.quantile(sign * means, TAIL))


def max_regret(values: dict[int, np.ndarray], sign: float) -> dict[int, float]:
    """Largest shortfall, over samples, of each candidate against the best candidate there.

    ``values`` maps a candidate to its (samples x replications) array; all candidates must
    share samples and seeds. Regret is in the outcome's unit and never negative.
    """
    if not values:
        return {}
    means = {k: np.asarray(v, dtype=float).mean(axis=1) for k, v in values.items()}
    best = np.min(np.vstack([sign * m for m in means.values()]), axis=0)
    return {k: float(np.max(sign * m - best)) for k, m in means.items()}


def pareto_mask(losses: np.ndarray) -> np.ndarray:
    """Rows of ``losses`` (candidates x objectives, smaller better) that no other row dominates."""
    losses = np.asarray(losses, dtype=float)
    n = len(losses)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        others = np.delete(losses, i, axis=0)
        if len(others):
            dominated = np.all(others <= losses[i], axis=1) & np.any(others < losses[i], axis=1)
            keep[i] = not dominated.any()
    return keep
