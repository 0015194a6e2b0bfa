"""One real problem behind the appeals (a broken heating riser, a noisy site): a slotted record.

A problem arises in a grid, touches the residents of its scope, and is reported while it is
unfixed: its first report is the original case, later reports are duplicates (or, after a
case closed without fixing it, repeat appeals), all linked by ``problem_id``. It is *open*
until something fixes it: a case whose handling really fixed it (the other open cases then
close with it, merged handling 并案), a monthly-topic programme, or the residents themselves
(self-governance). The mechanism is :mod:`govsim.mechanisms.problems.stock`; like a case, a finished
problem becomes a row of numbers (:data:`PROBLEM_RECORD`) for ``problems.parquet``.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

import numpy as np

from govsim.core.codes import DISCOVERED_NONE, NOT_FIXED_YET

if TYPE_CHECKING:
    from govsim.core.case import Case

NAN = float("nan")


class Problem:
    """A problem's state while the run goes on (times in hours since the start)."""

    __slots__ = (
        "id",
        "category",
        "grid",
        "scope",
        "arose",
        "first_reported",
        "fixed",
        "fixed_by",
        "appeals",
        "discovered_by",
        "needed_tier",
        "route_department",
        "unfixable",
        "rate",
        "reporting",
        "quiet",
        "resident",
        "cases",
        "last_closed",
        "first_channel",
        "unclear",
    )

    def __init__(
        self,
        problem_id: int,
        category: int,
        grid: int,
        scope: int,
        arose: float,
        needed_tier: int,
        route_department: bool,
        unfixable: bool,
        rate: float,
        resident: int,
    ) -> None:
        self.id = problem_id
        self.category = category
        self.grid = grid
        self.scope = scope
        """Index of its scope kind (household, building...) in ``problems.scopes``."""
        self.arose = arose
        self.first_reported = NAN
        """When the first case of the problem was created (a resident's appeal or a patrol)."""
        self.fixed = NAN
        self.fixed_by = NOT_FIXED_YET
        """A ``govsim.core.codes.FIXED_BY`` code once fixed."""
        self.appeals = 0
        """Cases opened for the problem (appeals, and a patrol's case)."""
        self.discovered_by = DISCOVERED_NONE
        self.needed_tier = needed_tier
        """The lowest territorial tier that can close its cases (0 grid, 1 street, 2 district)."""
        self.unclear = -1
        """Its jurisdiction is unclear (1) or clear (0), drawn when its first work order reaches a
        unit; -1 before."""
        self.route_department = route_department
        """Its work orders go straight to the owning department."""
        self.unfixable = unfixable
        """No unit can fix it (outside what government can do): its cases close not fixable."""
        self.rate = rate
        """Appeals per hour while it is unfixed and its residents still report it."""
        self.reporting = True
        """False once the residents gave up reporting it (it stays open, but quiet)."""
        self.quiet = False
        """Fixed, or not reported any more: its pending reports are stale (set with ``fixed`` and
        ``reporting``, so that the agenda's stale test is an attribute read, not a Python call)."""
        self.resident = resident
        """The resident who reports it first (an integer id, as for cases)."""
        self.cases: list[Case] = []
        """Its cases that are open now."""
        self.first_channel = 0
        """The channel of its first report (a call, an online form, a patrol)."""
        self.last_closed = -1
        """Id of its case closed last (a later appeal repeats it), -1 before any closed."""

    @property
    def is_fixed(self) -> bool:
        return self.fixed == self.fixed  # not NaN

    def __repr__(self) -> str:
        state = "fixed" if self.is_fixed else "open"
        return f"Problem({self.id}, {state}, appeals={self.appeals}, open cases={len(self.cases)})"


PROBLEM_FIELDS = (
    "id",
    "category",
    "grid",
    "scope",
    "arose",
    "first_reported",
    "fixed",
    "fixed_by",
    "appeals",
    "discovered_by",
    "open_cases",
)
"""What a problem leaves when it is fixed or the run ends: codes and hours only."""
PROBLEM_TIME_FIELDS = ("arose", "first_reported", "fixed")
PROBLEM_RECORD = np.dtype(
    [(f, "<f8" if f in PROBLEM_TIME_FIELDS else "<i8") for f in PROBLEM_FIELDS]
)
_pack_problem = struct.Struct(
    "<" + "".join("d" if f in PROBLEM_TIME_FIELDS else "q" for f in PROBLEM_FIELDS)
).pack


def pack_problem(problem: Problem) -> bytes:
    """The PROBLEM_RECORD bytes of ``problem`` (fields in PROBLEM_FIELDS order)."""
    return _pack_problem(
        problem.id,
        problem.category,
        problem.grid,
        problem.scope,
        problem.arose,
        problem.first_reported,
        problem.fixed,
        problem.fixed_by,
        problem.appeals,
        problem.discovered_by,
        len(problem.cases),
    )
