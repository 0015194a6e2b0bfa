"""A month's book of each assessed unit: what it closed, what it really fixed, how its residents
would have answered unpressed, and what gaming it did and was caught at.

A unit is a street (index s) or a department (index ``streets + d``), as the ranking scores
them: a case closed at a grid, street or district counts for its street, one closed at a
department for the department; the hotline's consultations for none. The month is the
ranking's: cases are counted in the month they closed.
"""

from __future__ import annotations

from govsim.mechanisms.assessment.decision import OPTIONS, Slowness

COUNTS = (
    "closed",
    "problem_closed",
    "fixed",
    "on_time_true",
    "valid",
    "resolved_true",
    "satisfaction_true",
    "escalated",
    "escalated_overrun",
    "late",
    "late_overrun",
    *OPTIONS,
    *(f"caught_{option}" for option in OPTIONS),
)
"""Per unit and month: closed cases; closed cases of problems and those that fixed theirs;
closed answered on time for real (a case rushed out of a queue was not); valid callbacks
and their answers unpressed ('resolved' 1/0, satisfaction points); escalated cases closed
and their summed overrun of the limit (multiples), late cases and theirs; gaming actions by
option, and those caught by an audit."""
INDEX = {name: i for i, name in enumerate(COUNTS)}
(
    CLOSED,
    PROBLEM_CLOSED,
    FIXED_CASES,
    ON_TIME_TRUE,
    VALID,
    RESOLVED_TRUE,
    SATISFACTION_TRUE,
    ESCALATED,
    ESCALATED_OVERRUN,
    LATE,
    LATE_OVERRUN,
) = range(11)
"""The first counts' rows in ``MonthBook.counts``, by name (the per-case path indexes them)."""
assert COUNTS[LATE_OVERRUN] == "late_overrun"


class MonthBook:
    """One month's counts, ``counts[name][unit]``."""

    def __init__(self, units: int) -> None:
        self.counts = [[0.0] * units for _ in COUNTS]

    def __getitem__(self, name: str) -> list[float]:
        return self.counts[INDEX[name]]

    def slowness(self, unit: int) -> Slowness:
        """The unit's mean overrun of its escalated and of its late cases (0 without any)."""
        escalated, late = self["escalated"][unit], self["late"][unit]
        return Slowness(
            self["escalated_overrun"][unit] / escalated if escalated else 0.0,
            self["late_overrun"][unit] / late if late else 0.0,
        )
