"""The area's units' tallies: their acts per street, month and day, and what their resources cost.

A unit's resource costs ``cost_yuan_per_month`` per 30 days from the day it joins to the end of
the run (assumed, govsim/scenario/area_units.py), so the cost of any window is exact without
an event per day: :meth:`AreaUnitsTallies.cost` of a window, :meth:`AreaUnitsTallies.frame`
per street and month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govsim.core.calendar import Calendar
from govsim.mechanisms.area_units.book import StreetMonthBook

COUNTERS = ("joined", "effective", "fixed", "averted")
"""Units that joined, units whose resource took effect, open problems their resources fixed,
new problems that did not arise."""
HOURS_PER_MONTH = 30 * 24.0
"""The cost's month: 30 days."""


class AreaUnitsTallies(StreetMonthBook):
    """The area's units' acts (:data:`COUNTERS`) and their spending, per street and month."""

    def __init__(self, streets: list[str], calendar: Calendar, days: int) -> None:
        super().__init__(COUNTERS, streets, calendar, days)
        self.spending: list[tuple[int, float, float]] = []
        """Per group of units that joined a street together: (street, yuan per hour, since)."""

    def spend(self, street: int, units: int, yuan_per_month: float, since: float) -> None:
        """``units`` units joined ``street`` at ``since`` hours, each costing ``yuan_per_month``."""
        if units and yuan_per_month:
            self.spending.append((street, units * yuan_per_month / HOURS_PER_MONTH, since))

    def cost(self, start: float = 0.0, end: float | None = None) -> float:
        """Yuan spent from ``start`` to ``end`` hours (default: the run's end)."""
        stop = self.calendar.horizon if end is None else end
        return sum(rate * max(0.0, stop - max(start, since)) for _, rate, since in self.spending)

    def frame(self) -> pd.DataFrame:
        """One row per street and month: the counters and ``cost_yuan`` spent in the month."""
        frame = super().frame()
        starts = [*self.calendar.month_starts, self.calendar.horizon]
        months = len(self.calendar.labels)
        cost = np.zeros((len(self.streets), months))
        for street, rate, since in self.spending:
            for m in range(months):
                cost[street, m] += rate * max(0.0, starts[m + 1] - max(starts[m], since))
        frame["cost_yuan"] = cost.reshape(-1)
        return frame
