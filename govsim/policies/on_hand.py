"""Orders on hand at the month's end in the monthly assessment (在办工单): a completion rate.

The three rates see only the cases a unit closed in the month (backlog blindness, issue 28).
A street falling behind mostly holds orders still *within* their limits (a week, 15 days),
which neither a count of overdue orders (:mod:`govsim.policies.overdue`) nor one a week
after the month (:mod:`govsim.policies.backlog`) sees. This design rates each unit over the
orders it *handled* in the month, closed or not, as a completion rate (办结率: orders
finished over orders handled) does:

- at each month's end every order open and held by a unit (the street for an order at the
  street, its grids or its district; the department for one at a department; none at the
  hotline or dispatch) counts in that unit's month as one order not finished: with a valid
  callback, unresolved and unsatisfied; on time in the response rate if it had its first
  response within its limit or its limit has not passed, else late;
- it counts so at every month's end it is still open, and is scored by its callback, as
  today, in the month it closes.

The month is ranked at its end. An order received an hour before the month's end counts
as not finished: the design rewards clearing the desk by the month's end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from govsim.core.codes import OPEN
from govsim.core.parameters import Strict

if TYPE_CHECKING:
    from govsim.policies.backlog import BacklogBook, Unit


class OnHandOrders(Strict):
    """Whether the orders open at a month's end count as not finished in that month's rates
    (docs/policies.md, "Orders on hand")."""

    counted: bool = Field(
        False,
        description="Count every order open and held by a unit at a month's end as one order "
        "not finished (unresolved, unsatisfied) in that unit's month, each month it is open; "
        "scored by its callback when it closes (false: closed cases only, the public formula).",
    )


def on_hand(book: BacklogBook, limits: list[float], end: float) -> dict[Unit, tuple[int, int]]:
    """The orders open at ``end``, by the unit holding them: (orders, on time so far)."""
    counts: dict[Unit, tuple[int, int]] = {}
    for case in book.open.values():
        if case.status != OPEN:
            continue
        unit = book.holder(case)
        if unit is None:
            continue
        limit = limits[case.category]
        responded = case.first_response - case.created <= limit  # False while NaN
        n, on_time = counts.get(unit, (0, 0))
        counts[unit] = (n + 1, on_time + (responded or end - case.created <= limit))
    return counts
