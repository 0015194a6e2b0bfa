"""What a time to close over closed cases leaves out: the cases still open at the end.

Time to close is measured on the cases closed before the run ends (:mod:`govsim.tallies`).
A case still open then has a time to close of at least its age: it is right-censored. In a
stable city few cases are open at the end and the figure holds; in one whose backlog grows,
the open cases are many and old, and the mean over the closed ones grows with the horizon.
Two figures say how much is left out (the open share and the open cases' ages) and one
takes it in: the restricted mean time to close, the area under the Kaplan-Meier survival
curve of time to close (closed cases as events, open cases censored at their age) up to a
stated restriction time. It counts an open case for the time it has been open (the curve
gives its weight to the cases that took longer than its age), so when no case takes longer
than the restriction it is at least the closed-only mean; restricted, it needs no guess of
the curve beyond the longest time a case could be followed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import CensoredData, ecdf

RESTRICTION_HOURS = 720.0
"""The restriction time of the restricted mean (30 days), shortened to the longest follow-up
of the counted cases (the run's length after the warm-up) when that is shorter."""


@dataclass(frozen=True)
class Censoring:
    """The censoring-aware figures of one run's time to close (hours; NaN when undefined)."""

    open_share: float
    """Cases still open at the end over cases created (both counted from the same day)."""
    open_age_mean: float
    open_age_p90: float
    open_age_max: float
    """Ages of the cases still open at the end (hours since their appeal)."""
    restricted_mean: float
    """Kaplan-Meier restricted mean time to close, up to ``restricted_to`` hours."""
    restricted_to: float


def restricted_mean(closed_hours: np.ndarray, open_ages: np.ndarray, restriction: float) -> float:
    """Area under the Kaplan-Meier survival curve of time to close from 0 to ``restriction``
    (closed cases are events, open ones censored at their age; NaN without closed cases)."""
    if not len(closed_hours) or restriction <= 0:
        return float("nan")
    data = CensoredData(uncensored=closed_hours, right=open_ages) if len(open_ages) else None
    curve = ecdf(data if data is not None else closed_hours).sf
    times, survival = curve.quantiles, curve.probabilities
    inside = times < restriction
    knots = np.concatenate([[0.0], times[inside], [restriction]])
    levels = np.concatenate([[1.0], survival[inside]])  # S is 1 before the first time
    return float(np.sum(levels * np.diff(knots)))


def censoring(
    closed_hours: np.ndarray,
    open_ages: np.ndarray,
    created: int,
    follow_up: float,
    restriction: float = RESTRICTION_HOURS,
) -> Censoring:
    """The figures of :class:`Censoring` for ``created`` cases, of which ``closed_hours`` were
    closed and ``open_ages`` still open; ``follow_up``: the longest time one of them could be
    followed (hours from the first counted day to the end of the run)."""
    limit = min(restriction, follow_up)
    ages = np.asarray(open_ages, dtype=float)
    has_open = len(ages) > 0
    return Censoring(
        open_share=len(ages) / created if created else float("nan"),
        open_age_mean=float(ages.mean()) if has_open else float("nan"),
        open_age_p90=float(np.quantile(ages, 0.9)) if has_open else float("nan"),
        open_age_max=float(ages.max()) if has_open else float("nan"),
        restricted_mean=restricted_mean(np.asarray(closed_hours, dtype=float), ages, limit),
        restricted_to=limit,
    )
