"""Handling units: community grids, streets/townships, districts and departments.

Step 4 of the life cycle. A territorial work order starts at the grid where the
problem is. Each visit costs the unit one handling time; a case whose lowest closing
tier (drawn at creation from its category's ``closable_at``) is this tier or lower
closes here, otherwise it escalates grid -> street -> district (micro, small and big
cycle). At the street, a case beyond the street's powers whose category has an owning
department may instead be whistled (街乡吹哨, see :mod:`govsim.engine.agents.whistle`). Orders
routed straight to a department are handled and closed there.

A work order of unclear jurisdiction (its category's ``unclear_jurisdiction`` share, drawn
per order unless a mechanism's ``jurisdiction`` hook decides) is disputed when it reaches
its first unit: the units spend the scenario's ``jurisdiction.dispute_time`` on it (the order
counts at the dispatch stage meanwhile), and then either the district takes it over (兜底)
and closes it, or the first receiving unit keeps it (首接负责) and handles it as any other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from govsim.core.case import Case, Contribution
from govsim.core.codes import (
    DEPARTMENT_TIER,
    GRID_TIER,
    STAGE,
    STREET_TIER,
    TERRITORIAL_TIERS,
)
from govsim.core.servers import ServerPool, TierTally
from govsim.engine.agents.whistle import WhistleDesk
from govsim.network.city import largest_remainders

if TYPE_CHECKING:
    from collections.abc import Callable

    import simpy

    from govsim.core.calendar import Calendar
    from govsim.core.controls import WhistleEffort
    from govsim.core.randomness import RandomStreams
    from govsim.engine.agents.flow import CaseFlow
    from govsim.network.city import CityLayout, Unit
    from govsim.scenario.schema import Scenario

GRID, STREET, DISTRICT = range(3)
TIER_STAGE = [STAGE[t] for t in TERRITORIAL_TIERS]
TIER_INDEX = {tier: i for i, tier in enumerate(TERRITORIAL_TIERS)}
STAGE_TIER = {stage: i for i, stage in enumerate(TIER_STAGE)}
DEPARTMENT_STAGE = STAGE["department"]


class VisitTime:
    """Starts a visit at one tier: stamps the first response, returns the handling time."""

    __slots__ = ("env", "samplers")

    def __init__(self, env: simpy.Environment, samplers: list[Callable[[], float]]) -> None:
        self.env = env
        self.samplers = samplers

    def __call__(self, case: Case) -> float:
        if case.first_response != case.first_response:  # NaN: no handler has taken it up yet
            case.first_response = self.env._now  # noqa: SLF001 - env.now, without the property call
        return self.samplers[case.category]()


class Handlers:
    """Every handling unit's server pool, and the routing between them."""

    def __init__(
        self,
        scenario: Scenario,
        layout: CityLayout,
        streams: RandomStreams,
        flow: CaseFlow,
        calendar: Calendar,
        effort: WhistleEffort,
    ) -> None:
        self.flow = flow
        env = flow.env
        self.visit: dict[str, VisitTime] = {}
        for tier in (*TERRITORIAL_TIERS, "department"):
            samplers = [
                streams.duration(f"handling/{tier}/{c.name}", scenario.handling_for(c, tier))
                for c in scenario.categories
            ]
            self.visit[tier] = VisitTime(env, samplers)
        department_visits = [
            self.visit["department"]
            if d.handling is None
            else VisitTime(
                env,
                [
                    streams.duration(
                        f"handling/department/{d.name}/{c.name}",
                        c.handling.department or d.handling,
                    )
                    for c in scenario.categories
                ],
            )
            for d in scenario.departments
        ]
        self.tallies = {tier: TierTally() for tier in (*TERRITORIAL_TIERS, "department")}
        """Totals over each tier's units, for the monitor."""

        # The pools start a visit through the bound method ``__call__``, not the instance: the
        # interpreter calls a bound method of a Python function directly, an instance through
        # its type's call slot (a C detour per visit).
        def pools(
            tier: str, units: list[Unit], done: Callable[[Case, ServerPool], None]
        ) -> list[ServerPool]:
            visit = self.visit[tier].__call__
            return [
                ServerPool(env, u.name, tier, u.staff, visit, done, i, self.tallies[tier])
                for i, u in enumerate(units)
            ]

        self.grids = pools("grid", layout.grids, self._done)
        self.streets = pools("street", layout.streets, self._done)
        self.districts = pools("district", layout.districts, self._done)
        branch_staff = branch_staffing(scenario, layout)
        branch_units = layout.streets if scenario.whistle.branches_by_street else layout.districts
        self.departments = [
            ServerPool(
                env,
                u.name,
                "department",
                u.staff - sum(branch_staff[i]),
                department_visits[i].__call__,
                self._department_done,
                i,
                self.tallies["department"],
            )
            for i, u in enumerate(layout.departments)
        ]
        self.branches: list[list[ServerPool | None]] = (
            [
                [
                    ServerPool(
                        env,
                        f"{u.name}@{branch_units[k].name}",
                        "department",
                        staff,
                        department_visits[i].__call__,
                        self._department_done,
                        i,
                        self.tallies["department"],
                    )
                    if staff > 0
                    else None
                    for k, staff in enumerate(branch_staff[i])
                ]
                for i, u in enumerate(layout.departments)
            ]
            if scenario.whistle.branches is not None
            else []
        )
        """Departments' local branches by department, then district or street
        (``whistle.branches.level``; None: no branch there)."""
        self.escalation_delay = streams.duration(
            "handling/escalation_delay", scenario.escalation.escalation_delay
        )
        self.whistle = WhistleDesk(
            scenario, streams, flow, calendar, self.departments, self.branches, effort
        )
        self.unclear = [c.unclear_jurisdiction for c in scenario.categories]
        """Share of each category's work orders with unclear jurisdiction."""
        self.disputed = any(self.unclear)
        jurisdiction = scenario.jurisdiction
        self.fallback = jurisdiction.district_fallback
        self.unclear_draw = streams.uniform("jurisdiction/unclear")
        self.dispute_time = streams.duration("jurisdiction/dispute_time", jurisdiction.dispute_time)
        self.fallback_draw = streams.uniform("jurisdiction/fallback")
        # Hooks a mechanism may set (govsim/engine/mechanism.py); None: the plain life cycle.
        self.after_visit: Callable[[Case, int], bool] | None = None
        """Called after each visit at a territorial tier (GRID, STREET, DISTRICT): True if the
        mechanism closed the case."""
        self.jurisdiction: Callable[[Case, float, Callable[[], float]], bool] | None = None
        """Whether an order is of unclear jurisdiction, given its category's share and the
        draw: for orders that share one decision (the reports of one problem)."""
        self.extra_pools: list[ServerPool] = []
        """Pools a mechanism serves cases in (no unit's: not in :attr:`pools` nor its tier's
        utilisation); the case ledger looks for cases in them too."""
        self.at_grid: Callable[[Case], bool] | None = None
        """Called as a work order reaches its grid: True if the mechanism took it on (in a pool
        of its own, whose ``done`` is :meth:`visited`), instead of the grid's staff."""

    @property
    def pools(self) -> list[ServerPool]:
        return self.grids + self.streets + self.districts + self.tier_pools()["department"]

    def tier_pools(self) -> dict[str, list[ServerPool]]:
        return {
            "grid": self.grids,
            "street": self.streets,
            "district": self.districts,
            "department": self.departments
            + [b for row in self.branches for b in row if b is not None],
        }

    # -- entry points ----------------------------------------------------------------------
    def receive(self, case: Case) -> None:
        """A work order reaches the right unit (after any returns)."""
        if self.disputed and self._unclear(case):
            case.disputes += 1
            self.flow.hold(self.dispute_time(), self._settled, case)
        elif case.route_department:
            self._to_department(case)
        else:
            self._enter(case, GRID)

    def _unclear(self, case: Case) -> bool:
        share = self.unclear[case.category]
        if not share:
            return False
        decide = self.jurisdiction
        if decide is not None:
            return decide(case, share, self.unclear_draw)
        unclear_draw = self.unclear_draw  # a local name: cheaper than self.x() (performance.md)
        return unclear_draw() < share

    def _settled(self, case: Case) -> None:
        """The dispute is over: the district takes the case (兜底), or the first receiving unit
        keeps it (首接负责)."""
        if self.fallback_draw() < self.fallback:
            self._enter(case, DISTRICT)
        elif case.route_department:
            self._to_department(case)
        else:
            self._enter(case, GRID)

    def found_on_patrol(self, case: Case) -> None:
        """A grid worker found the problem: the case starts at the grid, no hotline, no dispatch."""
        case.dispatched = case.created
        self._enter(case, GRID)

    # -- flow ------------------------------------------------------------------------------
    def _enter(self, case: Case, tier: int) -> None:
        move = self.flow.move  # a local name: cheaper than self.flow.x() (docs/performance.md)
        move(case, TIER_STAGE[tier])
        if tier == GRID:
            at_grid = self.at_grid
            if at_grid is not None and at_grid(case):
                return
            pool = self.grids[case.grid]
        elif tier == STREET:
            pool = self.streets[case.street]
        else:
            pool = self.districts[case.district]
        pool.arrive(case, case.priority)

    def _to_department(self, case: Case) -> None:
        self.flow.move(case, DEPARTMENT_STAGE)
        case.summoned = case.department
        self.departments[case.department].arrive(case, case.priority)

    def _done(self, case: Case, pool: ServerPool) -> None:
        tier = TIER_INDEX[pool.tier]
        flow = self.flow
        if case.settled:  # settled elsewhere while the unit was on it (merged handling)
            flow.close(case, GRID_TIER + tier)
            return
        after_visit = self.after_visit
        if after_visit is not None and after_visit(case, tier):
            return
        if tier >= case.needed_tier:
            flow.close(case, GRID_TIER + tier)
            return
        if tier == STREET and self.whistle.blow(case):
            return  # the summoned department takes it over
        case.escalations += 1
        flow.move(case, TIER_STAGE[tier + 1])
        escalation_delay = self.escalation_delay  # (a local: cheaper than self.x())
        flow.hold(escalation_delay(), self._escalated, case)

    def visited(self, case: Case, pool: ServerPool) -> None:
        """A visit in a mechanism's pool of a territorial ``pool.tier`` is over: the case goes on
        as after the visit of that tier's unit (closed here, or escalated)."""
        self._done(case, pool)

    def _escalated(self, case: Case) -> None:
        self._enter(case, STAGE_TIER[case.stage])

    def _department_done(self, case: Case, pool: ServerPool) -> None:
        if type(case) is Contribution:
            self.whistle.part_done(case)
            return
        if case.settled:  # settled elsewhere while the department was on it (merged)
            self.flow.close(case, DEPARTMENT_TIER if case.route_department else STREET_TIER)
            return
        if case.route_department:
            self.flow.close(case, DEPARTMENT_TIER)
        else:
            self.whistle.handled(case)


def branch_staffing(scenario: Scenario, layout: CityLayout) -> list[list[int]]:
    """Staff of each department's branch in each district, or street (all zero without
    branches).

    A department with branches moves ``round(staff x staff_share)`` of its staff into them:
    dealt as evenly as possible over the districts (the first districts get the remainder),
    or over the streets in proportion to their residents (largest remainders, ties to the
    first street), so that a department too small for every street staffs the largest.
    """
    spec = scenario.whistle.branches
    by_street = scenario.whistle.branches_by_street
    if by_street:
        n_units = len(layout.streets)
        residents = np.bincount(
            layout.grid_street(), weights=layout.grid_population(), minlength=n_units
        )
        total = residents.sum()
        share = residents / total if total > 0 else np.full(n_units, 1 / n_units)
    else:
        n_units = len(layout.districts)
    staffing = []
    for d in scenario.departments:
        moved = 0
        if spec is not None and (spec.departments is None or d.name in spec.departments):
            moved = round(d.staff * spec.staff_share)
        if by_street:
            staffing.append(largest_remainders(moved, share))
        else:
            base, rest = divmod(moved, n_units)
            staffing.append([base + (1 if k < rest else 0) for k in range(n_units)])
    return staffing
