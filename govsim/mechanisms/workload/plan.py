"""A tier's week of duty: when its people are off duty, on duty, or in a block of other duties.

A week (168 hours from Monday 00:00) is cut into segments of one kind each: ``OFF`` (off duty:
the skeleton crew serves), ``ON`` (on duty: the people not on spread duties serve) and
``BLOCK`` (a duty at set hours: nobody serves). :meth:`WeekPlan.segments` lays the week over a
run from its first weekday on; a run's unit changes its servers only where the kind changes,
and where a day starts within on-duty hours with spread duties (who is on them rotates daily).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govsim.scenario.workload import TierDuty

OFF, ON, BLOCK = 0, 1, 2
KINDS = ("off", "on", "block")
WEEK = 168.0


class WeekPlan:
    """One tier's week (None: on duty around the clock, no other duties)."""

    def __init__(self, duty: TierDuty | None, cut: float) -> None:
        points: set[float] = {0.0, WEEK}
        on: list[tuple[float, float]] = []
        blocks: list[tuple[float, float]] = []
        self.skeleton = 0.0
        spread = 0.0
        if duty is not None:
            start, end = duty.hours
            on = [(24.0 * d + start, 24.0 * d + end) for d in duty.weekdays]
            for item in duty.duties:
                length = item.hours_per_week * (1 - cut * item.cuttable)
                if item.at is None:
                    spread += length
                elif length > 0:
                    each = length / len(item.at.weekdays)
                    for d in item.at.weekdays:
                        blocks.append((24.0 * d + item.at.start, 24.0 * d + item.at.start + each))
            self.skeleton = duty.skeleton
        else:
            on = [(0.0, WEEK)]
        for a, b in on + blocks:
            points.update((a, b))
        if spread > 0:  # who is on the spread duties is decided afresh each day
            points.update(24.0 * d for d in range(7))
        starts = sorted(points - {WEEK})
        kinds = []
        for a in starts:
            if any(x <= a < y for x, y in blocks):
                kinds.append(BLOCK)
            elif any(x <= a < y for x, y in on):
                kinds.append(ON)
            else:
                kinds.append(OFF)
        self.starts = starts
        self.kinds = kinds
        on_hours = sum(
            (starts[i + 1] if i + 1 < len(starts) else WEEK) - a
            for i, a in enumerate(starts)
            if kinds[i] == ON
        )
        self.spread_share = spread / on_hours if on_hours > 0 else 0.0
        """Share of the on-duty hours outside blocks each person spends on spread duties."""
        self.daily = spread > 0
        self.constant = len(set(kinds)) == 1 and not self.daily
        """One kind all week, never re-decided: the tier's servers never change."""

    def kind_at(self, hour_of_week: float) -> int:
        return self.kinds[bisect_right(self.starts, hour_of_week % WEEK) - 1]

    def segments(self, offset: float) -> Iterator[tuple[float, int, float]]:
        """(start, kind, end) of each segment from time 0 on, a run whose time 0 is ``offset``
        hours into the week: a segment starts where the kind changes (or a day starts within
        on-duty hours when spread duties rotate daily). The last one ends at infinity."""
        if self.constant:
            yield 0.0, self.kinds[0], math.inf
            return
        starts, kinds, n = self.starts, self.kinds, len(self.starts)
        i = bisect_right(starts, offset) - 1
        week = -offset
        start, kind = 0.0, kinds[i]
        while True:
            i += 1
            if i == n:
                i, week = 0, week + WEEK
            at = week + starts[i]
            if kinds[i] != kind or (self.daily and kind == ON and starts[i] % 24.0 == 0.0):
                yield start, kind, at
                start, kind = at, kinds[i]
