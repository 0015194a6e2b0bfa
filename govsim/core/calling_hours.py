"""Calling hours: a clock that runs at the pace residents call (the intraday and weekday shapes).

The intraday and weekday shapes of the arrivals (``arrivals.intraday``, ``arrivals.weekday``,
the hourly and daily profiles of 12345 volumes) say when residents *call*. Problems arise
with them too, but a problem's reports come hours or days later: timed in clock hours, a
report is as likely at 3 a.m. as at 10 a.m., on Sunday as on Monday (the baseline with
problems had 12.6% of its cases created between midnight and 6 a.m. against 4.2% without
problems, and half the hang-ups). Timed in *calling hours*, a report falls when residents
call: each clock hour of the week counts as many calling hours as the shapes' weight for
that hour (intraday x weekday, rescaled to a mean of 1, so a week holds 168 calling hours).
A delay of ``d`` calling hours from time ``t`` ends where that weighted area from ``t``
reaches ``d``. Without a weekday shape the period is a day (24 calling hours a day).

A Poisson process on this clock is a non-homogeneous Poisson process at ``rate x weight``
in clock time (the time-change theorem), so a problem reported at rate r still yields
Poisson(r x T) appeals over T whole weeks (whole days without a weekday shape), and its
reports' hours and days follow the call shapes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

HOURS_PER_DAY = 24
DAYS_PER_WEEK = 7


class CallingClock:
    """Converts between clock hours (since the run's first midnight) and calling hours.

    ``intraday`` has 24 weights; ``weekday`` (optional) 7, Monday first, and ``first_weekday``
    is the weekday of the run's first day (0 Monday), so the clock's week lines up with the
    calendar's."""

    __slots__ = ("period", "weight", "cumulative", "_offset", "_back", "_inverse")

    def __init__(
        self,
        intraday: Sequence[float],
        weekday: Sequence[float] | None = None,
        first_weekday: int = 0,
    ) -> None:
        shape = _checked(intraday, HOURS_PER_DAY, "intraday")
        if weekday is not None:
            days = _checked(weekday, DAYS_PER_WEEK, "weekday")
            shape = [
                w * days[(first_weekday + d) % DAYS_PER_WEEK]
                for d in range(DAYS_PER_WEEK)
                for w in shape
            ]
        period = len(shape)
        self.period = float(period)
        """Hours after which the clock repeats: a week, or a day without a weekday shape."""
        total = sum(shape)
        self.weight = [period * w / total for w in shape]
        """Calling hours per clock hour, by hour of the period (mean 1)."""
        cumulative = [0.0]
        for w in self.weight:
            cumulative.append(cumulative[-1] + w)
        cumulative[-1] = float(period)  # exact, whatever the rounding of the sum
        self.cumulative = cumulative
        """Calling hours from the period's start to the start of each of its hours."""
        # Per hour h, the two straight lines of :meth:`after`: calling hours since the period's
        # start at clock hour x of hour h = offset[h] + weight[h] x, and back = back[h] +
        # inverse[h] c (silent hours are never chosen on the way back: 0).
        self._offset = [cumulative[h] - w * h for h, w in enumerate(self.weight)]
        self._inverse = [1.0 / w if w > 0 else 0.0 for w in self.weight]
        self._back = [h - cumulative[h] * inv for h, inv in enumerate(self._inverse)]

    def calling(self, t: float) -> float:
        """Calling hours from the run's first midnight to clock time ``t`` (hours, >= 0)."""
        periods, within = divmod(t, self.period)
        hour = min(int(within), len(self.weight) - 1)  # (min: rounding)
        return periods * self.period + self.cumulative[hour] + self.weight[hour] * (within - hour)

    def after(self, t: float, delay: float) -> float:
        """The clock time ``delay`` calling hours after clock time ``t``.

        On every problem's reports: written out rather than through :meth:`calling`, and
        counted from the start of ``t``'s period, which keeps the sums small.
        """
        period = self.period
        # divmod of non-negative floats is exact (fmod): 0 <= within, rest < period.
        periods, within = divmod(t, period)
        hour = int(within)
        more, rest = divmod(self._offset[hour] + self.weight[hour] * within + delay, period)
        # The hour whose calling hours hold ``rest``: cumulative[hour] <= rest < cumulative[hour
        # + 1], so its weight is positive (an hour without calls is passed over).
        hour = bisect_right(self.cumulative, rest) - 1
        when = (periods + more) * period + self._back[hour] + rest * self._inverse[hour]
        # Going back and forth between clock and calling hours rounds: a delay of (nearly) 0
        # may come back a hair before ``t`` (t - 4e-15), and nothing may happen before now.
        return when if when >= t else t


def _checked(shape: Sequence[float], size: int, name: str) -> list[float]:
    if len(shape) != size:
        raise ValueError(f"the {name} shape needs {size} values, got {len(shape)}")
    if not sum(shape) > 0 or any(w < 0 for w in shape):
        raise ValueError(f"the {name} shape needs non-negative values, not all zero")
    return [float(w) for w in shape]
