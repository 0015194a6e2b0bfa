"""Calendar months of a run, for monthly evaluation, rankings and monthly policies."""

from __future__ import annotations

import bisect
import datetime as dt


class Calendar:
    """Maps simulated hours to calendar months from ``start_date``."""

    def __init__(self, start_date: dt.date, horizon_hours: float) -> None:
        self.start_date = start_date
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
