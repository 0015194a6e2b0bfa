"""What a mechanism did, counted per street and calendar month and per day: its table and tallies.

The area's units and community deliberation act on few problems compared with the cases
(a unit's resource taking effect, a problem settled, a project chosen), so each act is
counted as it happens: per street and month for the table (one row per street and month),
per day for the experiment outcomes after a warm-up. The book holds plain arrays and the
calendar, no reference to the run (it outlives it as the mechanism's tallies).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govsim.core.calendar import Calendar
from govsim.engine.statistics import HOURS_PER_DAY


class StreetMonthBook:
    """Counters by street and month, and by day (``add`` once per act)."""

    def __init__(
        self, counters: tuple[str, ...], streets: list[str], calendar: Calendar, days: int
    ) -> None:
        self.counters = counters
        self.index = {name: i for i, name in enumerate(counters)}
        self.streets = streets
        self.calendar = calendar
        self.days = max(days, 1)
        self.cells = np.zeros((len(counters), len(streets), len(calendar.labels)), dtype=np.int64)
        """Counts per counter, street and month (of the act)."""
        self.daily = np.zeros((len(counters), self.days), dtype=np.int64)
        """Counts per counter and day (of the act)."""

    def add(self, name: str, street: int, time: float, n: int = 1) -> None:
        """Count ``n`` acts ``name`` in ``street`` at ``time`` (hours)."""
        i = self.index[name]
        self.cells[i, street, self.calendar.month(time)] += n
        self.daily[i, min(int(time // HOURS_PER_DAY), self.days - 1)] += n

    def total(self, name: str, warmup_hours: float = 0.0) -> int:
        """Acts ``name`` from the day the warm-up ends."""
        return int(self.daily[self.index[name], int(warmup_hours // HOURS_PER_DAY) :].sum())

    def balanced(self) -> bool:
        """Whether the street-month counts and the daily counts agree, counter by counter."""
        return bool(np.array_equal(self.cells.sum(axis=(1, 2)), self.daily.sum(axis=1)))

    def frame(self) -> pd.DataFrame:
        """One row per street and month: ``street``, ``month`` and each counter."""
        n_streets, n_months = len(self.streets), len(self.calendar.labels)
        data: dict[str, object] = {
            "street": np.repeat(np.array(self.streets, dtype=object), n_months),
            "month": np.tile(np.array(self.calendar.labels, dtype=object), n_streets),
        }
        for name, i in self.index.items():
            data[name] = self.cells[i].reshape(-1)
        return pd.DataFrame(data)
