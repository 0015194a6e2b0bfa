"""Party members registered in their home community who serve at its grid (党员"双报到").

With ``volunteers.enabled``, each grid has a pool of its registered members (a
:class:`~govsim.core.servers.ServerPool` of its own, tier "grid", in ``handlers.extra_pools``).
As each session starts (:mod:`govsim.mechanisms.volunteers.schedule`), the number who came is
drawn per grid (binomial: ``registered`` members, each turning up with ``turnout``) and
becomes the pool's capacity; as it ends, the capacity returns to 0 (a member on a case
finishes it). A work order of a named category that reaches its grid while a member there
is free is taken by that member (the handlers' ``at_grid`` hook), else it joins the grid's
staff as before; with ``take_queued`` a member who is free also takes the first waiting
order of a named category from the grid's queue. A member's visit lasts the grid's handling
time of the category (a stream of its own) times ``handling_factor``, then the case goes
on as after the grid's visit (``handlers.visited``): closed at the grid, or escalated. With
problems, a case a member's visit closes is fixed with the grid's fix probability times
``fix_factor`` (the problems stock's ``fix_factor`` seam, set only when it is not 1).

Reductions: ``enabled: false`` builds nothing; ``registered: 0`` or ``turnout: 0`` leaves
every pool at capacity 0, so every order goes to the grid's staff and the run's cases are
the run without it (tests/test_volunteers.py).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from govsim.core.calendar import Calendar
from govsim.core.errors import LedgerError
from govsim.core.servers import ServerPool, TierTally
from govsim.engine.agents.handlers import VisitTime
from govsim.engine.mechanism import FinishedRun, Mechanism, RunParts, set_hook
from govsim.mechanisms.volunteers.book import VolunteerBook
from govsim.mechanisms.volunteers.outcomes import OUTCOMES
from govsim.mechanisms.volunteers.schedule import session_windows

if TYPE_CHECKING:
    import pandas as pd
    import simpy

    from govsim.core.case import Case
    from govsim.scenario.schema import Scenario


class VolunteersMechanism(Mechanism):
    """Registered members who take some categories' work orders at their grid in sessions."""

    name = "volunteers"
    outcomes = OUTCOMES

    def __init__(self, scenario: Scenario) -> None:
        self.spec = scenario.volunteers
        named = set(self.spec.categories)
        self.eligible = [c.name in named for c in scenario.categories]
        """Whether members may take each category's orders, by category code."""
        self.book: VolunteerBook | None = None

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> VolunteersMechanism | None:
        return cls(scenario) if scenario.volunteers.enabled else None

    def install(self, run: RunParts) -> None:
        scenario, env, spec = run.scenario, run.env, self.spec
        horizon = scenario.days * 24.0
        calendar = Calendar(scenario.start_date, horizon)
        self.env = env
        self.handlers = run.handlers
        self.grids = run.handlers.grids
        self.windows = session_windows(spec.sessions, scenario.start_date, horizon)
        self.book = VolunteerBook(
            [g.name for g in self.grids],
            spec.registered,
            calendar.labels,
            calendar.month_starts,
            math.ceil(scenario.days),
        )
        self.visit_time = VisitTime(
            env,
            [
                run.streams.duration(
                    f"volunteers/handling/{c.name}", scenario.handling_for(c, "grid")
                )
                for c in scenario.categories
            ],
        )
        self.factor = spec.handling_factor
        self.turnout = run.streams.generator("volunteers/turnout")
        tally = TierTally()  # the members' own: not the grid staff's
        self.pools = [
            ServerPool(env, f"members@{g.name}", "grid", 0, self._visit, self._done, i, tally)
            for i, g in enumerate(self.grids)
        ]
        run.handlers.extra_pools.extend(self.pools)
        set_hook(run.handlers, "at_grid", self._at_grid, self)
        self.visiting: Case | None = None
        """The case whose member's visit is ending (while it may close)."""
        stock = getattr(run.mechanism("problems"), "stock", None)
        if stock is not None and spec.fix_factor != 1.0:
            set_hook(stock, "fix_factor", self._fix_factor, self)
        env.process(self._sessions())

    # -- the members' day ------------------------------------------------------------------
    def _sessions(self) -> Generator[simpy.Event, Any, None]:
        env, spec, book = self.env, self.spec, self.book
        assert book is not None
        n = len(self.pools)
        for start, end in self.windows:
            yield env.timeout(start - env.now)
            came = self.turnout.binomial(spec.registered, spec.turnout, size=n)
            book.session(start, end, came)
            serving = [(pool, int(k)) for pool, k in zip(self.pools, came, strict=True) if k]
            for pool, k in serving:
                pool.set_capacity(k)
                if spec.take_queued:
                    self._take_waiting(pool)
            yield env.timeout(end - env.now)
            for pool, _ in serving:
                pool.set_capacity(0)  # a member on a case finishes it

    def _at_grid(self, case: Case) -> bool:
        """A member who is free at the case's grid takes an order of a named category."""
        if not self.eligible[case.category]:
            return False
        pool = self.pools[case.grid]
        if pool.busy >= pool.capacity:
            return False
        pool.arrive(case, case.priority)
        return True

    def _waiting_eligible(self, case: Case) -> bool:
        return self.eligible[case.category]

    def _take_waiting(self, pool: ServerPool) -> None:
        """Free members take waiting orders of named categories from their grid's queue."""
        grid = self.grids[pool.index]
        while pool.busy < pool.capacity and grid.queued:
            case = grid.take(self._waiting_eligible)
            if case is None:
                return
            pool.arrive(case, case.priority)

    def _visit(self, case: Case) -> float:
        hours = self.visit_time(case) * self.factor
        assert self.book is not None
        self.book.visit(case.grid, self.env.now, hours)
        return hours

    def _done(self, case: Case, pool: ServerPool) -> None:
        if self.spec.take_queued and pool.busy < pool.capacity:
            self._take_waiting(pool)
        self.visiting = case
        self.handlers.visited(case, pool)  # closes it here (judged now) or escalates it
        self.visiting = None

    def _fix_factor(self, case: Case, tier: int) -> float:
        """The members' factor on the fix probability, for a case a member's visit closes."""
        return self.spec.fix_factor if case is self.visiting else 1.0

    # -- the end of the run ----------------------------------------------------------------
    def check(self, run: RunParts) -> None:
        book = self.book
        assert book is not None
        started = sum(p.arrived for p in self.pools)
        ended = sum(p.departed + p.busy for p in self.pools)
        queued = sum(p.queued + p.withdrawn for p in self.pools)
        if started != int(book.cases.sum()) or started != ended or queued:
            raise LedgerError(
                f"volunteers: {started} orders taken, {int(book.cases.sum())} visits booked, "
                f"{ended} ended or in hand, {queued} queued or withdrawn (members never queue)"
            )

    def summary(self, state: FinishedRun) -> dict[str, Any]:
        assert self.book is not None
        return self.book.summary()

    def tables(self) -> dict[str, pd.DataFrame]:
        assert self.book is not None
        return {"volunteers": self.book.frame()}

    def tallies(self) -> VolunteerBook | None:
        return self.book
