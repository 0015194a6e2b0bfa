"""The assessment's terms: its period, its fault tolerance (容错) and its bonuses.

Three options of the ranking policy, each off by default (docs/policies.md, "The period,
fault tolerance and bonuses"):

- *period* (``period``): ``month`` ranks at every month's end on that month's tallies;
  ``quarter`` at the end of March, June, September and December only, on the tallies since
  the last ranking (a run's first quarter from its start), labelled with the quarter's last
  month. The units' responses follow each ranking, so they move once a quarter;
- *fault tolerance* (``fault_tolerance``): a unit's first ``fault_tolerance`` failed orders
  of each period (closed late, or with a valid callback unresolved or not fully satisfied)
  are not counted in its rates at all (seed 003 asks for a 容错纠错 mechanism without a
  form: the allowance and its form are assumed);
- *bonuses* (``bonus_yuan``): each period, every person of a ranked grid's or street's staff
  gets the amount of its unit's group (seed 001: Haidian's quarterly bonus for community
  workers, 900 / 1,050 / 1,200 yuan a person for staff, deputies and heads, paid by the
  quarter's assessment; which amount goes with which group is assumed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from govsim.core.codes import NOT_ASKED, SATISFIED

if TYPE_CHECKING:
    from govsim.core.calendar import Calendar
    from govsim.core.case import Case

Period = Literal["month", "quarter"]
GroupName = Literal["advanced", "improving", "ordinary", "rectification", "governance"]
FORGIVEN_COLUMN, BONUS_COLUMN = "forgiven", "bonus_yuan"
"""rankings.parquet's columns with ``fault_tolerance`` (failed orders not counted) and with
``bonus_yuan`` (the bonuses paid to the unit's staff, yuan)."""


def ends_period(period: Period, calendar: Calendar, month_end: float) -> bool:
    """Whether the month ending at ``month_end`` closes an assessment period."""
    if period == "month":
        return True
    label = calendar.labels[calendar.month(month_end) - 1]
    return int(label[5:]) % 3 == 0


def fails(case: Case, limit: float) -> bool:
    """Whether a closed order counts against its unit: late (first response after
    ``limit``), or with a valid callback unresolved or not fully satisfied."""
    if case.first_response - case.created > limit:
        return True
    return case.satisfaction != NOT_ASKED and (not case.resolved or case.satisfaction != SATISFIED)
