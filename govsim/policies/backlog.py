"""Open work orders in the monthly assessment: a backlog-aware design, and each unit's backlog.

The three rates see only cases closed in the month with a valid callback, so a unit that
leaves orders open is never scored on them (backlog blindness, issue 28). Two options of
the ranking policy (``open_orders``), each off by default:

- *counted*: every work order created before the month's end and still open
  ``grace_days`` after it counts in the rates of the unit holding it then as one order
  closed late, with a valid callback, unresolved and unsatisfied; the month is ranked when
  the grace period ends. Each order is counted once: it leaves the assessment, and is not
  scored again when it closes or in a later month;
- *recorded*: three columns per unit and month in ``rankings.parquet`` (on whenever
  *counted* is): ``open_cases_mean``, the street's open cases averaged over the month's
  hours (every case raised in its territory, created and not yet closed or abandoned,
  wherever it is handled; NaN for a department); ``open_past_limit``, the unit's open
  orders at the month's end older than their category's limit; ``open_counted``, the
  unit's orders counted open in its rates (0 unless counted).

A unit holds an open order at the street, its grids or its district (the street, as a
closed case's unit is the street of the tier that closed it) or at a department (the
department); the hotline and dispatch hold none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from govsim.core.codes import OPEN, STAGE
from govsim.core.parameters import Strict

if TYPE_CHECKING:
    from govsim.core.case import Case
    from govsim.policies.levers import Levers

Unit = tuple[str, int]
"""(unit type, index): ``("street", s)`` or ``("department", d)``."""

_STREET_STAGES = frozenset((STAGE["grid"], STAGE["street"], STAGE["district"]))
_DEPARTMENT_STAGE = STAGE["department"]


class OpenOrders(Strict):
    """What the monthly rates count of the work orders still open, and whether each unit's
    backlog goes to rankings.parquet (docs/policies.md, "What counts")."""

    counted: bool = Field(
        False,
        description="Count each work order still open `grace_days` after the month's end as "
        "closed late, unresolved and unsatisfied in its unit's three rates, once; the month is "
        "ranked when the grace period ends (false: closed cases with a valid callback only, "
        "the public formula).",
    )
    grace_days: float = Field(
        7.0,
        ge=0,
        le=28,
        description="Days after the month's end before an open order counts (days; a week: "
        "the design issue 28 measured, assumed).",
    )
    recorded: bool = Field(
        False,
        description="Add each unit's backlog to rankings.parquet: open_cases_mean, "
        "open_past_limit, open_counted (always when `counted`).",
    )


class BacklogBook:
    """Open cases by street integrated over each month's hours, and open orders by unit.

    The integral is kept without a clock tick: a case created at ``t`` adds the hours to the
    month's end, one closed at ``t`` takes them back (an abandoned one, when the month ends).
    """

    def __init__(self, levers: Levers, streets: int) -> None:
        self.levers = levers
        self.limits = levers.category_limits
        calendar = levers.calendar
        self.ends = [*calendar.month_ends(), calendar.horizon]
        self.start = 0.0
        self.end = self.ends[0]
        self.open: dict[int, Case] = {}
        """Cases created and not yet closed, by id (abandoned ones until the month's end)."""
        self.counted: set[int] = set()
        """Orders counted open in a month and still open: their closing is not scored."""
        self.hours = [0.0] * streets
        """Per street: open cases x hours from the month's start to its end, as known now."""

    def created(self, case: Case) -> None:
        self.open[case.id] = case
        self.hours[case.street] += self.end - case.created

    def closed(self, case: Case) -> None:
        del self.open[case.id]
        if case.closed < self.end:
            self.hours[case.street] -= self.end - case.closed

    def month_end(self) -> tuple[list[float], dict[Unit, int]]:
        """At a month's end: the streets' mean open cases over the month and the units' open
        orders past their limit; then start the next month."""
        end, length = self.end, self.end - self.start
        for case in [c for c in self.open.values() if c.status != OPEN]:  # abandoned
            del self.open[case.id]
            self.hours[case.street] -= end - max(case.abandoned_at, self.start)
        means = [h / length if length > 0 else 0.0 for h in self.hours]
        late: dict[Unit, int] = {}
        for case in self.open.values():
            if end - case.created > self.limits[case.category]:
                unit = self.holder(case)
                if unit is not None:
                    late[unit] = late.get(unit, 0) + 1
        following = [e for e in self.ends if e > end]
        self.start, self.end = end, following[0] if following else end
        self.hours = [0.0] * len(self.hours)
        for case in self.open.values():
            self.hours[case.street] += self.end - self.start
        return means, late

    def count_open(self, before: float) -> dict[Unit, int]:
        """Mark the open orders created before ``before`` and not counted yet as counted now;
        return how many each unit holds."""
        counts: dict[Unit, int] = {}
        for case in self.open.values():
            if case.status != OPEN or case.created >= before or case.id in self.counted:
                continue
            unit = self.holder(case)
            if unit is not None:
                self.counted.add(case.id)
                counts[unit] = counts.get(unit, 0) + 1
        return counts

    def scored(self, case: Case) -> bool:
        """Whether a closing case is scored (False, once, for an order counted open)."""
        if case.id in self.counted:
            self.counted.discard(case.id)
            return False
        return True

    @staticmethod
    def holder(case: Case) -> Unit | None:
        """The unit that holds an open order now (None at the hotline or dispatch)."""
        if case.stage in _STREET_STAGES:
            return ("street", case.street)
        if case.stage == _DEPARTMENT_STAGE:
            return ("department", case.department)
        return None
