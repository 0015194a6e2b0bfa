"""When registered members serve: the scenario's sessions as windows of run time."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from govsim.scenario.volunteers import Session


def session_windows(
    sessions: Sequence[Session], start_date: dt.date, horizon: float
) -> list[tuple[float, float]]:
    """The (start, end) hours of every session inside [0, ``horizon``), in time order.

    Time 0 is midnight at the start of ``start_date``; the windows of one day that overlap or
    touch are merged into one (a member serves once in it)."""
    windows: list[tuple[float, float]] = []
    first_weekday = start_date.weekday()
    for day in range(math.ceil(horizon / 24.0)):
        weekday = (first_weekday + day) % 7
        midnight = 24.0 * day
        today = sorted(
            (midnight + s.start, midnight + s.end) for s in sessions if weekday in s.weekdays
        )
        merged: list[tuple[float, float]] = []
        for start, end in today:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        windows.extend((start, min(end, horizon)) for start, end in merged if start < horizon)
    return windows
