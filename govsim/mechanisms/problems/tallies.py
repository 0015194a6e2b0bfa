"""Streaming tallies of a run's problems: what the summary's problems block and the outcomes need.

Recorded problems arrive in chunks of numpy columns (:mod:`govsim.mechanisms.problems.recording`,
a :class:`~govsim.engine.recording.chain.Recorder` as the cases' is) and are counted by the day
they arose, as :class:`~govsim.engine.statistics.RunStatistics` counts cases by the day they
were created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from govsim.core.codes import DISCOVERED_BY, FIXED_BY
from govsim.engine.statistics import HOURS_PER_DAY, day_index

if TYPE_CHECKING:
    from govsim.engine.recording.tables import Columns

PROBLEM_COUNTERS = (
    "arisen",
    "reported",
    "fixed",
    "fixed_reported",
    "closed_out",
    "appeals",
    "open_at_end",
    *(f"fixed_by_{name}" for name in FIXED_BY),
    *(f"discovered_by_{name}" for name in DISCOVERED_BY),
)
"""Per arising day: counts over the problems that arose that day."""


class ProblemTallies:
    """Counters of a run's problems by the day they arose, filled chunk by chunk; one float
    (hours from arising to fix) is kept per fixed problem, for exact quantiles."""

    def __init__(self, days: int) -> None:
        self.days = max(days, 1)
        self.counts = np.zeros((len(PROBLEM_COUNTERS), self.days), dtype=np.int64)
        self._fix_days: list[np.ndarray] = []
        self._fix_hours: list[np.ndarray] = []

    def add(self, c: Columns) -> None:
        """Tally one chunk of problem columns."""
        if not len(c["id"]):
            return
        day = day_index(c["arose"], self.days)
        fixed = ~np.isnan(c["fixed"])
        reported = c["appeals"] > 0
        flags: dict[str, np.ndarray | None] = {
            "arisen": None,
            "reported": reported,
            "fixed": fixed,
            "fixed_reported": fixed & reported,
            # A reported problem whose last case closed: the denominator of the true fix rate.
            "closed_out": reported & (fixed | (c["open_cases"] == 0)),
            "open_at_end": ~fixed,
        }
        for code, name in enumerate(FIXED_BY):
            flags[f"fixed_by_{name}"] = fixed & (c["fixed_by"] == code)
        for code, name in enumerate(DISCOVERED_BY):
            flags[f"discovered_by_{name}"] = c["discovered_by"] == code
        for row, name in enumerate(PROBLEM_COUNTERS):
            if name == "appeals":
                self.counts[row] += np.bincount(
                    day, weights=c["appeals"], minlength=self.days
                ).astype(np.int64)
                continue
            mask = flags[name]
            picked = day if mask is None else day[mask]
            self.counts[row] += np.bincount(picked, minlength=self.days)
        self._fix_days.append(day[fixed])
        self._fix_hours.append(c["fixed"][fixed] - c["arose"][fixed])

    def total(self, name: str, warmup_hours: float = 0.0) -> int:
        first = int(warmup_hours // HOURS_PER_DAY)
        return int(self.counts[PROBLEM_COUNTERS.index(name), first:].sum())

    def fix_hours(self, warmup_hours: float = 0.0) -> np.ndarray:
        """Hours from arising to fix of the fixed problems that arose after warm-up."""
        if not self._fix_days:
            return np.empty(0)
        days, hours = np.concatenate(self._fix_days), np.concatenate(self._fix_hours)
        self._fix_days, self._fix_hours = [days], [hours]
        return hours[days >= int(warmup_hours // HOURS_PER_DAY)]

    def true_fix_rate(self, warmup_hours: float = 0.0) -> float:
        """Fixed over reported problems whose last case closed."""
        closed_out = self.total("closed_out", warmup_hours)
        return (
            self.total("fixed_reported", warmup_hours) / closed_out if closed_out else float("nan")
        )

    def appeals_per_reported_problem(self, warmup_hours: float = 0.0) -> float:
        reported = self.total("reported", warmup_hours)
        return self.total("appeals", warmup_hours) / reported if reported else float("nan")
