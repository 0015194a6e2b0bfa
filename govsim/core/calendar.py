"""Calendar months of a run, for monthly evaluation, rankings and monthly policies."""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class Calendar:
    """Maps simulated hours to calendar months from ``start_date``."""

    def __init__(self, start_date: dt.date, horizon_hours: float) -> None:
        self.start_date = start_date
        self.horizon = horizon_hours
        self.month_starts: list[float] = [0.0]
        self.labels: list[str] = [f"{start_date:%Y-%m}"]
        year, month = start_date.year, start_date.month
        start = dt.datetime(start_date.year, start_date.month, start_date.day)
        while True:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            first = dt.datetime(year, month, 1)
            hours = (first - start).total_seconds() / 3600
            if hours > horizon_hours:
                break
            self.month_starts.append(hours)
            self.labels.append(f"{year:04d}-{month:02d}")

    def month(self, hours: float) -> int:
        """Index of the month that contains ``hours``."""
        return bisect.bisect_right(self.month_starts, hours) - 1

    def month_ends(self) -> list[float]:
        """Times (hours) at which a month ends within the run."""
        return self.month_starts[1:]

    def coverage(self, counted_from: float = 0.0) -> dict[str, tuple[float, bool]]:
        """Per month label: the days of it inside the run (from ``counted_from`` hours, the
        end of a warm-up), and whether that is all of it.

        A run that starts on the 4th, or ends on the 2nd, covers those months only in part:
        their rates rest on a few days and are not comparable with a whole month's.
        """
        first_day_offset = (self.start_date.day - 1) * 24.0  # hours of the first month before 0
        out = {}
        for i, label in enumerate(self.labels):
            year, month = int(label[:4]), int(label[5:])
            length = calendar.monthrange(year, month)[1] * 24.0
            begins = self.month_starts[i] - (first_day_offset if i == 0 else 0.0)
            ends = begins + length
            inside = max(0.0, min(ends, self.horizon) - max(begins, counted_from))
            whole = begins >= counted_from and ends <= self.horizon + 1e-9
            out[label] = (round(inside / 24.0, 6), whole)
        return out


def add_month_coverage(
    kpis: pd.DataFrame, calendar: Calendar, counted_from: float = 0.0
) -> pd.DataFrame:
    """Add ``month_days`` (days of the month inside the run, after ``counted_from`` hours)
    and ``complete_month`` to a table with a ``month`` column (``YYYY-MM``), in place."""
    coverage = calendar.coverage(counted_from)
    months = kpis["month"].astype(str)
    kpis["month_days"] = months.map(lambda m: coverage.get(m, (0.0, False))[0]).astype(float)
    kpis["complete_month"] = months.map(lambda m: coverage.get(m, (0.0, False))[1]).astype(bool)
    return kpis
