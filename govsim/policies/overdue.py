"""Overdue work orders in the monthly assessment (超期工单): a backlog-aware design.

The three rates see only cases closed in the month with a valid callback (backlog
blindness, issue 28), and counting the orders still open a week after the month
(:mod:`govsim.policies.backlog`) misses a backlog that builds up and clears within the
month. This design judges every order by its time limit, closed or not, as many local
12345 rules do when they count an order not closed within its limit as an overdue order
(超期工单) and score it as unsatisfied:

- an order closed within its category's limit is scored by its callback, as today;
- an order closed after its limit, or open past it at a month's end, is *overdue*: it
  counts as one order closed late, with a valid callback, unresolved and unsatisfied, in
  the rates of the unit that closed it or holds it at the month's end (the street for an
  order at the street, its grids or its district; the department for one at a
  department; none at the hotline or dispatch). Its callback is never scored.

``each_month`` (the default): an overdue order counts in every month it is open past its
limit, once a month: an order left open carries its failure into each month's table until
it closes (the orders a monthly report lists as overdue, 挂账). Off: it counts once, in the
first month it is overdue. The month is ranked at its end: no grace period.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from govsim.core.codes import OPEN
from govsim.core.parameters import Strict

if TYPE_CHECKING:
    from govsim.core.case import Case
    from govsim.policies.backlog import BacklogBook, Unit


class OverdueOrders(Strict):
    """Whether orders not closed within their limit count as failed in the monthly rates
    (docs/policies.md, "Overdue orders")."""

    counted: bool = Field(
        False,
        description="Count each order closed after its category's limit, or open past it at a "
        "month's end, as closed late, unresolved and unsatisfied in its unit's rates; its "
        "callback is not scored (false: closed cases with a valid callback only, the public "
        "formula).",
    )
    each_month: bool = Field(
        True,
        description="An overdue order counts in every month it is open past its limit (false: "
        "once, in the first month it is overdue).",
    )


class OverdueCount:
    """The overdue orders of each month, by unit; ``book`` keeps the open orders."""

    def __init__(self, book: BacklogBook, limits: list[float], each_month: bool) -> None:
        self.book = book
        self.limits = limits
        self.each_month = each_month
        self.carried: set[int] = set()
        """Orders counted overdue at a month's end and still open."""
        self.month: dict[Unit, int] = {}
        """Overdue orders counted so far this month, by unit."""

    def closing(self, case: Case, unit: Unit) -> bool:
        """Whether a case closing at ``unit`` is overdue (then counted, not scored)."""
        carried = case.id in self.carried
        self.carried.discard(case.id)
        if case.closed - case.created <= self.limits[case.category]:
            return False
        if self.each_month or not carried:
            self.month[unit] = self.month.get(unit, 0) + 1
        return True

    def month_end(self, end: float) -> dict[Unit, int]:
        """At a month's end: add the orders open past their limit (each held by a unit) to
        the month's count; return the month's overdue orders by unit and start the next."""
        month, limits = self.month, self.limits
        for case in self.book.open.values():
            if case.status != OPEN or end - case.created <= limits[case.category]:
                continue
            unit = self.book.holder(case)
            if unit is None:
                continue
            if self.each_month or case.id not in self.carried:
                month[unit] = month.get(unit, 0) + 1
            self.carried.add(case.id)
        self.month = {}
        return month
