"""People at work (issue 29): duty hours, non-case duties and overtime, per tier and unit.

With ``workload.enabled`` (govsim/scenario/workload.py) every handling unit's pool gets a
roster, its :class:`~govsim.mechanisms.workload.book.UnitBook`:

- each tier's week (:mod:`~govsim.mechanisms.workload.plan`) sets, segment by segment, how
  many of a unit's staff serve cases: all of them on duty, less those on spread duties (who,
  rotating daily); the skeleton crew off duty; nobody in a block of other duties. A case in
  hand as the servers drop is finished (overtime off duty). A policy's staff change goes
  through the roster;
- the book keeps each interval's hours, exact, with no work per case: staff, on duty, other
  duties, overtime (from the pool's end times, read at each change), and each day's hours on
  cases and services ended (the pool's areas);
- the ``workload`` table (per tier, unit and month), the ``workload`` block of
  ``summary.json`` (per tier: hours per person and week, shares) and the outcomes of
  :mod:`~govsim.mechanisms.workload.outcomes`.

A tier not listed in ``workload.tiers`` is on duty around the clock with no other duties: its
servers never change, and its hours are still counted. Switched off,
:meth:`WorkloadMechanism.from_scenario` returns None: no roster is set.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from govsim.core.calendar import Calendar
from govsim.core.errors import LedgerError
from govsim.engine.mechanism import FinishedRun, Mechanism, RunParts
from govsim.mechanisms.workload.book import (
    CASE_HOURS,
    CASES,
    DUTY,
    FIELDS,
    OTHER,
    OVERTIME,
    PEOPLE,
    UnitBook,
)
from govsim.mechanisms.workload.outcomes import OUTCOMES, WORK_TIERS
from govsim.mechanisms.workload.plan import WeekPlan
from govsim.mechanisms.workload.tallies import FIGURES, WorkloadTallies, figures

if TYPE_CHECKING:
    import pandas as pd
    import simpy

    from govsim.scenario.schema import Scenario


class WorkloadMechanism(Mechanism):
    """People at work, installed into a run (see the module docstring)."""

    name = "workload"
    outcomes = OUTCOMES

    def __init__(self, scenario: Scenario) -> None:
        workload = scenario.workload
        self.plans = {
            tier: WeekPlan(workload.tiers.get(tier), workload.burden_cut) for tier in WORK_TIERS
        }
        self.horizon = scenario.days * 24.0
        self.calendar = Calendar(scenario.start_date, self.horizon)
        self.offset = 24.0 * scenario.start_date.weekday()
        """Hours into the week (from Monday 00:00) at the run's start."""
        self.settled = False

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> WorkloadMechanism | None:
        return cls(scenario) if scenario.workload.enabled else None

    # -- assembly --------------------------------------------------------------------------
    def install(self, run: RunParts) -> None:
        days = max(1, math.ceil(self.horizon / 24.0))
        months = len(self.calendar.labels)
        self.tier_days: dict[str, list[list[float]]] = {
            tier: [[0.0] * len(FIELDS) for _ in range(days)] for tier in WORK_TIERS
        }
        self.books: dict[str, list[UnitBook]] = {}
        pools = run.handlers.tier_pools()
        changes: list[tuple[float, int, int, float]] = []  # (start, tier, kind, end)
        self.segments = []
        for t, tier in enumerate(WORK_TIERS):
            plan = self.plans[tier]
            segments = plan.segments(self.offset)
            _, kind, end = next(segments)
            books = []
            for number, pool in enumerate(pools[tier]):
                book = UnitBook(
                    pool, number, plan.skeleton, plan.spread_share, months, self.tier_days[tier]
                )
                pool.roster = book.restaff
                book.begin(kind, end)
                books.append(book)
            self.books[tier] = books
            self.segments.append(segments)
            if end < self.horizon:
                start, kind, end = next(segments)
                changes.append((start, t, kind, end))
        heapq.heapify(changes)
        run.env.process(self._changes(run.env, changes))

    def _changes(
        self, env: simpy.Environment, changes: list[tuple[float, int, int, float]]
    ) -> Generator:
        """SimPy process: each day's start, and each tier's segments as they start."""
        calendar, horizon, books = self.calendar, self.horizon, self.books
        every = [b for tier in WORK_TIERS for b in books[tier]]
        day = 1
        while True:
            at = min(24.0 * day, changes[0][0] if changes else math.inf)
            if at >= horizon:
                return
            yield env.timeout(at - env.now)
            if at == 24.0 * day:
                month = calendar.month(at)
                for book in every:
                    book.next_day(day, month)
                day += 1
            while changes and changes[0][0] == at:
                _, t, kind, end = heapq.heappop(changes)
                for book in books[WORK_TIERS[t]]:
                    book.begin(kind, end)
                if end < horizon:
                    start, kind, end = next(self.segments[t])
                    heapq.heappush(changes, (start, t, kind, end))

    # -- the end ---------------------------------------------------------------------------
    def _settle(self) -> None:
        """Close every book at the end of the run (once)."""
        if self.settled:
            return
        self.settled = True
        last_day = len(next(iter(self.tier_days.values()))) - 1
        last_month = len(self.calendar.labels) - 1
        for books in self.books.values():
            for book in books:
                book.next_day(last_day, last_month)

    def check(self, run: RunParts) -> None:
        """Each unit's hours balance: on cases, as the pool counted them; on duty and overtime
        cover the hours on cases and on other duties (the rest idle, never negative); services
        ended, as the pool counted them."""
        self._settle()
        for tier, books in self.books.items():
            for book in books:
                pool = book.pool
                totals = [sum(row[i] for row in book.months) for i in range(len(FIELDS))]
                scale = 1e-6 * max(1.0, totals[PEOPLE])
                idle = totals[DUTY] + totals[OVERTIME] - totals[CASE_HOURS] - totals[OTHER]
                if (
                    abs(totals[CASE_HOURS] - pool.busy_area) > scale
                    or idle < -scale
                    or totals[CASES] != pool.departed
                    or min(totals) < -scale
                ):
                    raise LedgerError(
                        f"workload: {tier} {pool.name}: hours on cases {totals[CASE_HOURS]:.6f} "
                        f"(pool: {pool.busy_area:.6f}), on duty {totals[DUTY]:.6f}, overtime "
                        f"{totals[OVERTIME]:.6f}, other duties {totals[OTHER]:.6f}, services "
                        f"ended {totals[CASES]:g} (pool: {pool.departed})"
                    )
        days: dict[str, float] = {
            tier: sum(row[CASE_HOURS] for row in rows) for tier, rows in self.tier_days.items()
        }
        for tier, books in self.books.items():
            units = sum(sum(row[CASE_HOURS] for row in b.months) for b in books)
            if abs(units - days[tier]) > 1e-6 * max(1.0, units):
                raise LedgerError(
                    f"workload: {tier} hours on cases by day {days[tier]:.6f}, by unit {units:.6f}"
                )

    def close_book(self) -> None:
        self._settle()

    # -- results ---------------------------------------------------------------------------
    def tallies(self) -> WorkloadTallies:
        return WorkloadTallies(self.tier_days, self.horizon)

    def summary(self, state: FinishedRun) -> dict[str, Any]:
        """The ``workload`` block: per tier, hours per person and week on duty, on cases, on
        other duties and overtime, services ended per person and week, and two shares."""
        return {"per": "person and week", "tiers": self.tallies().block()}

    def tables(self) -> dict[str, pd.DataFrame]:
        import pandas as pd

        labels = self.calendar.labels
        edges = [*self.calendar.month_starts, self.horizon]
        spans = [max(0.0, edges[m + 1] - edges[m]) for m in range(len(labels))]
        rows = []
        for tier, books in self.books.items():
            for book in books:
                for m, totals in enumerate(book.months):
                    rows.append(
                        {
                            "tier": tier,
                            "unit": book.pool.name,
                            "month": labels[m],
                            "hours": spans[m],
                            **dict(zip(TOTALS, totals, strict=True)),
                            **figures(_row(totals), spans[m]),
                        }
                    )
        frame = pd.DataFrame(rows, columns=COLUMNS)
        for name in ("tier", "unit", "month"):
            frame[name] = frame[name].astype("category")
        return {"workload": frame}


TOTALS = (
    "person_hours",
    "duty_hours",
    "other_hours",
    "overtime_hours",
    "case_hours",
    "cases",
)
"""The table's totals, one per field of the book (hours, and services ended)."""
COLUMNS = ["tier", "unit", "month", "hours", *TOTALS, *FIGURES]


def _row(totals: list[float]) -> Any:
    import numpy as np

    return np.asarray(totals, dtype=float)
