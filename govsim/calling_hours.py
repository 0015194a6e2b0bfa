"""Calling hours: a clock that runs at the pace residents call (the intraday call shape).

The intraday shape of the arrivals (``arrivals.intraday``, the hourly profile of 12345
volumes) says when residents *call*. Problems arise with it too, but a problem's reports
come hours or days later: timed in clock hours, a report is as likely at 3 a.m. as at
10 a.m. (the baseline with problems had 12.6% of its cases created between midnight and
6 a.m. against 4.2% without problems, and half the hang-ups). Timed in *calling hours*, a
report falls when residents call: each clock hour of the day counts as many calling hours
as the shape's weight for that hour (the shape rescaled to a mean of 1, so a day holds 24
calling hours). A delay of ``d`` calling hours from time ``t`` ends where that weighted area from
``t`` reaches ``d``.

A Poisson process on this clock is a non-homogeneous Poisson process at ``rate x weight``
in clock time (the time-change theorem), so a problem reported at rate r still yields
Poisson(r x T) appeals over T whole days, and its reports' hours follow the call shape.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

HOURS_PER_DAY = 24


class CallingClock:
    """Converts between clock hours (since the run's first midnight) and calling hours."""

    __slots__ = ("weight", "cumulative", "_offset", "_back", "_inverse")

    def __init__(self, intraday: Sequence[float]) -> None:
        if len(intraday) != HOURS_PER_DAY:
            raise ValueError(f"the intraday shape needs 24 values, got {len(intraday)}")
        total = float(sum(intraday))
        if not total > 0 or any(w < 0 for w in intraday):
            raise ValueError("the intraday shape needs non-negative values, not all zero")
        self.weight = [HOURS_PER_DAY * w / total for w in intraday]
        """Calling hours per clock hour, by hour of day (mean 1)."""
        cumulative = [0.0]
        for w in self.weight:
            cumulative.append(cumulative[-1] + w)
        cumulative[-1] = float(HOURS_PER_DAY)  # exact, whatever the rounding of the sum
        self.cumulative = cumulative
        """Calling hours from midnight to the start of each hour of the day (25 values)."""
        # Per hour h, the two straight lines of :meth:`after`: calling hours since midnight at
        # clock hour x of hour h = offset[h] + weight[h] x, and back = back[h] + inverse[h] c
        # (silent hours are never chosen on the way back: 0).
        self._offset = [cumulative[h] - w * h for h, w in enumerate(self.weight)]
        self._inverse = [1.0 / w if w > 0 else 0.0 for w in self.weight]
        self._back = [h - cumulative[h] * inv for h, inv in enumerate(self._inverse)]

    def calling(self, t: float) -> float:
        """Calling hours from the run's first midnight to clock time ``t`` (hours, >= 0)."""
        day, within = divmod(t, HOURS_PER_DAY)
        hour = min(int(within), HOURS_PER_DAY - 1)  # (min: rounding)
        return day * HOURS_PER_DAY + self.cumulative[hour] + self.weight[hour] * (within - hour)

    def after(self, t: float, delay: float) -> float:
        """The clock time ``delay`` calling hours after clock time ``t``.

        On every problem's reports: written out rather than through :meth:`calling`, and
        counted from ``t``'s midnight, which keeps the sums small.
        """
        # divmod of non-negative floats is exact (fmod): 0 <= within, rest < 24.
        day, within = divmod(t, 24.0)
        hour = int(within)
        days, rest = divmod(self._offset[hour] + self.weight[hour] * within + delay, 24.0)
        # The hour whose calling hours hold ``rest``: cumulative[hour] <= rest < cumulative[hour
        # + 1], so its weight is positive (an hour without calls is passed over).
        hour = bisect_right(self.cumulative, rest) - 1
        return (day + days) * 24.0 + self._back[hour] + rest * self._inverse[hour]
