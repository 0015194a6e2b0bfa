"""Groups of residents, unequal (issue 27): their own rates, reporting, delays and callbacks.

With ``residents.enabled`` (govsim/scenario/groups.py), every grid's residents are split into
groups, a slice of each grid's residents per group (:mod:`~govsim.mechanisms.groups.slices`).
Installed into a run, the mechanism

- tells the run's placement (govsim/engine/agents/placement.py) how much each category's
  events rise or fall city-wide (``category_factors``: sum_j share_j x rates_jc, x reporting_j
  with problems off, where events are appeals) and where they fall within a grid
  (``positions``: in group j with probability share_j x its multiplier over the sum,
  uniformly inside the slice); with every factor 1 it sets neither, and the draws are
  today's;
- with problems on, sets the problems stock's ``reporters``
  (:mod:`~govsim.mechanisms.groups.reporters`): a problem's reporting rate and first-report
  delay by its first resident's group, its later reporters' groups;
- sets the callback's ``by_resident`` hook: each group's ``callback_reach`` and
  ``satisfaction_shift``;
- adds a ``group`` column to the cases table (from each case's resident and grid, as the
  table is written) and keeps its tallies (:mod:`~govsim.mechanisms.groups.tallies`) from
  the ``closing`` and ``abandoning`` notifications: the ``groups`` block of ``summary.json``
  and the outcomes of :mod:`~govsim.mechanisms.groups.outcomes`.

Switched off, :meth:`GroupsMechanism.from_scenario` returns None: no hook is set.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, Any

import numpy as np

from govsim.core.errors import LedgerError
from govsim.core.json_numbers import round_number
from govsim.engine.mechanism import FinishedRun, Mechanism, RunParts, set_hook
from govsim.engine.recording.tables import named
from govsim.mechanisms.groups.outcomes import OUTCOMES
from govsim.mechanisms.groups.reporters import GroupReporters
from govsim.mechanisms.groups.slices import GroupSlices
from govsim.mechanisms.groups.tallies import GroupTallies, worst_over_best

if TYPE_CHECKING:
    import pandas as pd

    from govsim.core.case import Case
    from govsim.engine.agents.placement import Placement
    from govsim.engine.recording.tables import Columns
    from govsim.scenario.schema import Scenario

IDENTITY = (np.array([0.0, 1.0]), np.array([0.0, 1.0]))
"""Breakpoints that leave a position where the draw put it."""


class GroupsMechanism(Mechanism):
    """Groups of residents, installed into a run (see the module docstring)."""

    name = "groups"
    outcomes = OUTCOMES

    def __init__(self, scenario: Scenario) -> None:
        self.groups = scenario.residents.all_groups()
        self.names = [g.name for g in self.groups]
        reach = scenario.feedback.callback_reach
        self.callback_terms = [
            (reach if g.callback_reach is None else g.callback_reach, g.satisfaction_shift)
            for g in self.groups
        ]
        """Per group: the callback's reach and the satisfaction shift (log-odds)."""

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> GroupsMechanism | None:
        return cls(scenario) if scenario.residents.enabled else None

    # -- assembly --------------------------------------------------------------------------
    def install(self, run: RunParts) -> None:
        scenario = run.scenario
        groups = self.groups
        self.slices = slices = GroupSlices([g.share for g in groups], run.layout.grid_population())
        self.group_of = slices.group_of
        self.book = GroupTallies(self.names, slices.shares.tolist(), slices.residents().tolist())
        names = [c.name for c in scenario.categories]
        multipliers = np.array([[g.rates.get(n, 1.0) for n in names] for g in groups])
        reporting = np.array([g.reporting for g in groups])
        problems = run.mechanism("problems")
        stock = getattr(problems, "stock", None)
        if stock is None:  # the residents' events are appeals: reporting is their rate too
            multipliers = multipliers * reporting[:, None]
        else:
            delays = np.array([g.first_report_delay for g in groups])
            if np.any(reporting != 1.0) or np.any(delays != 1.0):  # (else: nothing to change)
                reporters = GroupReporters(slices, reporting, delays, stock.scope_residents)
                set_hook(stock, "reporters", reporters, self)
        self._place(run.placement, multipliers)
        set_hook(run.flow, "closing", self._closing, self)
        set_hook(run.flow, "abandoning", self._abandoning, self)
        if len(set(self.callback_terms)) > 1 or self.callback_terms[0] != (
            scenario.feedback.callback_reach,
            0.0,
        ):  # (else every resident answers as the feedback section says)
            set_hook(run.verification, "by_resident", self._callback, self)
        if scenario.output.cases_table:
            run.case_column("group", self._group_column)
        self._cuts, self._offset = slices.cuts.tolist(), slices.offset.tolist()
        """``slices.group_of`` inlined in ``_closing`` (once per case)."""
        book = self.book
        self._add_times, self._add_codes = book.times.extend, book.codes.extend
        self._add_answers = book.answers.extend
        self._pending: Case | None = None
        """The case closed last: its callback was drawn after ``closing``, and is tallied at
        the next closing (or at the end)."""
        self._pending_group = 0

    def _place(self, placement: Placement, multipliers: np.ndarray) -> None:
        """Set the placement's category factors and positions for ``multipliers`` (groups x
        categories): nothing for a category whose groups all have the same multiplier but
        that multiplier as its factor."""
        shares = self.slices.shares
        factors, positions = [], []
        for column in multipliers.T:
            same = bool(np.all(column == column[0]))
            factors.append(float(column[0]) if same else float(shares @ column))
            positions.append(None if same else self.slices.breakpoints(shares * column))
        factor = np.array(factors)
        if np.any(factor != 1.0):
            own = placement.category_factors
            placement.category_factors = factor if own is None else own * factor
        if any(p is not None for p in positions):
            if placement.positions is not None:
                raise ValueError(
                    "mechanism 'groups' sets the positions within a grid, which another "
                    "mechanism set already: one may"
                )
            placement.positions = [IDENTITY if p is None else p for p in positions]

    # -- hooks (govsim/engine/mechanism.py) ------------------------------------------------
    def _closing(self, case: Case, tier: int) -> None:
        pending = self._pending
        if pending is not None:  # its callback is drawn by now
            self._add_answers((pending.resolved, pending.satisfaction))
        grid = case.grid
        group = bisect_right(self._cuts[grid], case.resident - self._offset[grid])
        self._pending, self._pending_group = case, group
        self._add_codes((group, case.outcome))
        self._add_times((case.created, case.closed))

    def _callback(self, case: Case) -> tuple[float, float]:
        """The verification call's ``by_resident``: the case's group's reach and shift."""
        if case is self._pending:  # (always: the callback follows the closing)
            return self.callback_terms[self._pending_group]
        return self.callback_terms[self.group_of(case.grid, case.resident)]

    def _abandoning(self, case: Case) -> None:
        self.book.abandoned[self.group_of(case.grid, case.resident)] += 1

    def _group_column(self, c: Columns) -> pd.Categorical[str]:
        return named(self.slices.groups_of(c["grid"], c["resident"]), self.names)

    # -- end of the run --------------------------------------------------------------------
    def check(self, run: RunParts) -> None:
        """The closed and abandoned cases counted by group are the case ledger's, and with
        those still open they are all the cases created."""
        self._flush()
        tallies = self.book
        for case in run.ledger.open.values():
            tallies.open_at_end[self.group_of(case.grid, case.resident)] += 1
        ledger = run.ledger
        closed, abandoned, still_open = (
            sum(tallies.closed),
            sum(tallies.abandoned),
            sum(tallies.open_at_end),
        )
        rows = {len(tallies.times) // 2, tallies.rows, len(tallies.answers) // 2}
        if (
            closed != ledger.closed
            or abandoned != ledger.abandoned
            or closed + abandoned + still_open != ledger.created
            or len(rows) != 1
        ):
            raise LedgerError(
                f"groups: {closed} closed, {abandoned} abandoned, {still_open} open cases "
                f"counted by group (rows {sorted(rows)}); the case ledger has {ledger.closed} "
                f"closed, {ledger.abandoned} abandoned of {ledger.created} created"
            )

    def _flush(self) -> None:
        pending = self._pending
        if pending is not None:
            self._add_answers((pending.resolved, pending.satisfaction))
            self._pending = None

    def tallies(self) -> GroupTallies:
        return self.book

    def summary(self, state: FinishedRun) -> dict[str, Any]:
        """The ``groups`` block: each group's residents, cases, time to close, true fixes and
        callbacks (``by_group``), and the worst group's mean time to close over the best's."""
        tallies = self.book
        means = tallies.mean_time_to_close()
        known = np.isfinite(means)
        return {
            "by_group": tallies.by_group(),
            "time_to_close_worst_group": self.names[int(np.nanargmax(means))]
            if known.any()
            else None,
            "time_to_close_best_group": self.names[int(np.nanargmin(means))]
            if known.any()
            else None,
            "time_to_close_worst_over_best": round_number(worst_over_best(means)),
        }
