"""One unit's roster and hours: who of its staff serve now, and where their hours went.

A :class:`UnitBook` is its pool's ``roster`` (govsim/core/servers.py): at each segment of its
tier's week (:mod:`~govsim.mechanisms.workload.plan`) it sets the servers on case work, and a
policy's staff change goes through it too. Between two changes the servers are fixed, so the
hours of the interval are exact sums taken when it closes:

- people x hours, and people on duty x hours (the skeleton off duty);
- other duties: the people on duty not on case work, less the time they spent finishing a case
  in hand as the block or rotation began (an overrun);
- overtime: off duty, the busy servers beyond the skeleton. When the servers drop, no new
  service starts while the busy ones are as many, so the busy servers beyond them at time t
  are those whose services have not ended of the first (busy - servers) to end: the overtime
  up to t is the sum over those of min(end, t) - start, from the pool's heap of end times
  read once, at the change (nothing is done per case).

Hours on cases and services ended are the pool's own areas and counts, read at each day's
start. Each interval is added to the unit's month (its rows of the workload table) and to its
tier's day (the tallies the summary and outcomes are computed from, after any warm-up).
"""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

from govsim.mechanisms.workload.plan import BLOCK, OFF, ON

if TYPE_CHECKING:
    from govsim.core.servers import ServerPool

FIELDS = ("people", "duty", "other", "overtime", "cases_hours", "cases")
"""Per day and month: person-hours of staff, of people on duty, on other duties, overtime;
busy server-hours (hours on cases) and services ended."""
PEOPLE, DUTY, OTHER, OVERTIME, CASE_HOURS, CASES = range(len(FIELDS))
GOLDEN = 0.6180339887498949  # staggers the units' rotations (a low-discrepancy sequence)


class UnitBook:
    """One pool's roster and hours (see the module docstring)."""

    def __init__(
        self,
        pool: ServerPool,
        number: int,
        skeleton: float,
        spread_share: float,
        months: int,
        tier_days: list[list[float]],
    ) -> None:
        self.pool = pool
        self.skeleton = skeleton
        self.spread_share = spread_share
        self.carry = (number * GOLDEN % 1.0 - 0.5) * 12.0
        """Person-hours of spread duties owed (+) or done ahead (-): the rotation's rounding."""
        self.months = [[0.0] * len(FIELDS) for _ in range(months)]
        self.tier_days = tier_days
        self.rows = (self.months[0], tier_days[0])
        """The rows the hours go to now: the unit's month and the tier's day."""
        self.kind = ON
        self.end = math.inf
        self.since = 0.0
        self.people = 0
        self.duty = 0
        self.other = 0
        self.excess: list[float] = []
        """End times of the services beyond the servers at the interval's start."""
        self.busy_area = 0.0
        self.departed = 0

    # -- changes ---------------------------------------------------------------------------
    def begin(self, kind: int, end: float) -> None:
        """A segment of ``kind`` starts now and lasts to ``end``."""
        self.close()
        self.kind, self.end = kind, end
        self._open(rotate=True)

    def restaff(self, pool: ServerPool, capacity: int) -> None:
        """The pool's ``roster``: a policy changes the staff to ``capacity`` now. Those added
        serve in the current segment's way; on duty, people on spread duties stay on them."""
        self.close()
        pool.capacity = capacity
        self._open(rotate=False)

    def next_day(self, day: int, month: int) -> None:
        """Close the day: its hours, hours on cases and services ended; the next hours go to
        ``day`` and ``month`` (the same at the end of the run)."""
        self.close()
        pool = self.pool
        area = pool.busy_area
        hours, ended = area - self.busy_area, pool.departed - self.departed
        for row in self.rows:
            row[CASE_HOURS] += hours
            row[CASES] += ended
        self.busy_area, self.departed = area, pool.departed
        self.rows = (self.months[month], self.tier_days[day])

    def _open(self, rotate: bool) -> None:
        pool = self.pool
        people = pool.capacity
        kind = self.kind
        if kind == OFF:
            duty = min(people, math.floor(self.skeleton * people + 0.5))
            other = 0
        elif kind == BLOCK:
            duty = other = people
        elif rotate:
            duty, other = people, self._rotate(people)
        else:
            duty, other = people, min(self.other, people)
        self.people, self.duty, self.other = people, duty, other
        servers = duty - other
        pool.set_on_duty(servers)
        beyond = pool.busy - servers
        self.excess = (
            heapq.nsmallest(beyond, pool._serving.values()) if beyond > 0 else []  # noqa: SLF001
        )

    def _rotate(self, people: int) -> int:
        """People on spread duties for the on-duty segment now starting: the share of the
        segment's person-hours owed, rounded to whole people, the rounding carried over."""
        share = self.spread_share
        if not share or not people:
            return 0
        length = self.end - self.pool.env.now
        if not math.isfinite(length) or length <= 0:
            return min(people, math.floor(share * people + 0.5))
        owed = share * people * length + self.carry
        n = min(people, max(0, math.floor(owed / length + 0.5)))
        self.carry = owed - n * length
        return n

    def close(self) -> None:
        """Add the hours since the last change to the current day."""
        now = self.pool.env.now
        span = now - self.since
        if span <= 0:
            self.since = now
            return
        excess = self.excess
        beyond = 0.0
        if excess:
            since = self.since
            beyond = sum(min(end, now) - since for end in excess)
            self.excess = [end for end in excess if end > now]
        other = self.other * span
        # On duty, finishing a case in hand as other duties began is time taken from them;
        # off duty (or beyond the people on other duties), it is overtime.
        overrun = 0.0 if self.kind == OFF else min(beyond, other)
        for row in self.rows:
            row[PEOPLE] += self.people * span
            row[DUTY] += self.duty * span
            row[OTHER] += other - overrun
            row[OVERTIME] += beyond - overrun
        self.since = now
