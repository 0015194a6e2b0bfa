"""Who reports a problem when residents are unequal: the problems stock's ``reporters`` seam.

A problem belongs to the group of its first resident (the resident its arising event fell
on). Its reporting rate after the first report is its scope's ``reporting_rate`` times:

- the group's ``reporting`` when its scope touches one resident (a household's problem: the
  household reports it);
- the mean over the groups, sum_j share_j x reporting_j, when it touches more (the same in
  every grid: each group is the same share of every grid), and each later report then comes
  from group j with probability share_j x reporting_j / that sum.

Its first report comes after the problem's first-report delay times the group's
``first_report_delay`` (a patrol's find is not the residents' and keeps its delay).
(:class:`govsim.mechanisms.problems.stock.Reporters` is the protocol.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govsim.mechanisms.groups.slices import Positions

if TYPE_CHECKING:
    import numpy as np

    from govsim.mechanisms.groups.slices import GroupSlices


class GroupReporters:
    """The problems stock's ``reporters`` for groups of residents (see the module docstring)."""

    def __init__(
        self,
        slices: GroupSlices,
        reporting: np.ndarray,
        first_delay: np.ndarray,
        scope_residents: list[int],
    ) -> None:
        self.group_of = slices.group_of
        mean = float(slices.shares @ reporting)
        self.one = [(float(r), float(d)) for r, d in zip(reporting, first_delay, strict=True)]
        """Per group: (rate factor, delay factor) of a problem of a one-resident scope."""
        self.wide = [(mean, float(d)) for d in first_delay]
        """Per group: (rate factor, delay factor) of a problem of a wider scope."""
        self.single = [residents == 1 for residents in scope_residents]
        breakpoints = slices.breakpoints(slices.shares * reporting)
        self.positions = None if breakpoints is None else Positions(breakpoints)
        """None: later reporters by share alone (the draw as it is)."""

    def arising(self, grid: int, resident: int, scope: int) -> tuple[float, float]:
        group = self.group_of(grid, resident)
        return self.one[group] if self.single[scope] else self.wide[group]

    def position(self, u: float, touched: int) -> float:
        positions = self.positions
        if positions is None:
            return u
        return positions((u * touched - 1.0) / (touched - 1))  # u rescaled to [0, 1)
