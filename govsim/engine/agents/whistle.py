"""Streets blow the whistle, departments report (街乡吹哨、部门报到).

A street facing a case beyond its powers, in a category the scenario lets it whistle
for, summons the owning department instead of escalating to the district. By default
every whistle has one arrival deadline (30 minutes, as in Pinggu): the department's staff
arrive after a time drawn from the whistle's ``arrival`` distribution, scaled by the
department's effort for that street (:class:`govsim.core.controls.WhistleEffort`), and stay to
handle the case at the street, which closes it. A department's local branch in the case's
district, where there is one, answers instead of the city-wide pool, from its own arrival
distribution. The optional whistle types replace the single deadline (each type's
on-time departments report at a uniform time within its deadline, late ones after it).

A category needing several departments is handled jointly: each department is summoned
and contributes a part (a :class:`~govsim.core.case.Contribution` in its queue, its staff's
time counted against its capacity), and the case closes when the last part is done, so
its time to close follows the slowest department. With probability ``1 - precision`` a
wrong department is summoned: it spends its handling time and the street whistles again
for the right one. A monthly cap per street, when set, sends the excess up to the district
as before.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from govsim.core.case import Case, Contribution
from govsim.core.codes import STAGE, STREET_TIER

if TYPE_CHECKING:
    from collections.abc import Callable

    from govsim.core.calendar import Calendar
    from govsim.core.controls import WhistleEffort
    from govsim.core.randomness import RandomStreams
    from govsim.core.servers import ServerPool
    from govsim.engine.agents.flow import CaseFlow
    from govsim.policies.whistle import Whistle
    from govsim.scenario.schema import Scenario

DEPARTMENT_STAGE = STAGE["department"]


class WhistleDesk:
    """Decides which cases a street whistles for, summons departments, and closes the case.

    ``departments`` are the city-wide pools by department code; ``branches[d][k]`` is
    department ``d``'s branch in district (or, with ``whistle.branches.level: street``,
    street) ``k`` (None where it has none).
    """

    def __init__(
        self,
        scenario: Scenario,
        streams: RandomStreams,
        flow: CaseFlow,
        calendar: Calendar,
        departments: list[ServerPool],
        branches: list[list[ServerPool | None]],
        effort: WhistleEffort,
    ) -> None:
        self.flow = flow
        self.calendar = calendar
        self.departments = departments
        self.branches = branches
        self.effort = effort
        spec = scenario.whistle
        allowed = spec.categories
        self.eligible = [
            spec.enabled
            and c.whistle
            and c.department is not None
            and (allowed is None or c.name in allowed)
            for c in scenario.categories
        ]
        names = [d.name for d in scenario.departments]
        self.joint = [[names.index(d) for d in c.joint_departments] for c in scenario.categories]
        """Departments besides the owner that each category's whistled cases need."""
        self.probability = spec.probability
        self.precision = spec.precision
        self.cap = spec.monthly_cap
        self.decide_draw = streams.uniform("decide/whistle")
        self.precision_draw = streams.uniform("whistle/precision")
        self.wrong_draw = streams.uniform("whistle/wrong_department")
        self.blown: dict[tuple[int, int], int] = {}
        self.listeners: list[Callable[[Case, int, float], None]] = []
        """Told of every summons: the case, the department summoned and the hours its staff
        will take to arrive (a policy's ``Levers.on_whistle``)."""
        self.n_departments = len(departments)
        self.report_delay: Callable[[], float]
        """Draws a city-wide department's time from whistle to arrival (hours)."""
        if spec.types is None:
            self.report_delay = streams.duration("whistle/arrival", spec.arrival)
        else:
            self.report_delay = TypedWhistles(spec, streams)
        branches_spec = spec.branches
        self.by_street = spec.branches_by_street
        """Branches are found by the case's street (else by its district)."""
        self.branch_delay = (
            streams.duration("whistle/branch_arrival", branches_spec.arrival)
            if branches_spec is not None
            else None
        )

    def blow(self, case: Case) -> bool:
        """Whistle for ``case`` at its street if the rules allow; True if whistled."""
        decide_draw = self.decide_draw  # a local name: cheaper than self.x() (performance.md)
        draw = decide_draw()
        if not self.eligible[case.category] or draw >= self.probability:
            return False
        if self.cap is not None:
            key = (case.street, self.calendar.month(self.flow.env.now))
            if self.blown.get(key, 0) >= self.cap:
                return False
            self.blown[key] = self.blown.get(key, 0) + 1
        joint = self.joint[case.category]
        flow = self.flow
        flow.move(case, DEPARTMENT_STAGE)
        if not joint:
            self._summon(case)
            return True
        # Joint handling: every department needed contributes its part.
        needed = (case.department, *joint)
        case.joint_departments = case.parts_open = len(needed)
        flow.start_joint(case)
        case.whistles += 1
        for department in needed:
            part = Contribution(case, department)
            part.summoned = self._aim(department)
            flow.hold(self._delay(case, part.summoned), self._part_arrives, part)  # type: ignore[arg-type]
        return True

    def _summon(self, case: Case) -> None:
        case.whistles += 1
        case.summoned = self._aim(case.department)
        self.flow.hold(self._delay(case, case.summoned), self._arrives, case)

    def _aim(self, department: int) -> int:
        """The department the street summons for ``department``: itself, or (imprecise
        whistles) any other, uniformly."""
        if self.precision_draw() >= self.precision and self.n_departments > 1:
            other = int(self.wrong_draw() * (self.n_departments - 1))
            return other if other < department else other + 1
        return department

    def pool_for(self, department: int, case: Case) -> ServerPool:
        """Where ``department``'s staff answering a whistle for ``case`` queue: its branch in
        the case's district (or street), else the city-wide pool."""
        branch = self._branch(department, case)
        return branch if branch is not None else self.departments[department]

    def _branch(self, department: int, case: Case) -> ServerPool | None:
        if not self.branches:
            return None
        return self.branches[department][case.street if self.by_street else case.district]

    def _delay(self, case: Case, department: int) -> float:
        """Hours from the whistle to ``department``'s staff arriving at ``case``'s street."""
        if self.branch_delay is not None and self._branch(department, case) is not None:
            delay = self.branch_delay()
        else:
            delay = self.report_delay()
        effort = self.effort
        if effort.on:
            delay *= effort.arrival_factor(case.street, department)
        if self.listeners:
            for listener in self.listeners:
                listener(case, department, delay)
        return delay

    def _arrives(self, case: Case) -> None:
        self.pool_for(case.summoned, case).arrive(case, case.priority)

    def _part_arrives(self, part: Contribution) -> None:
        case = part.case
        self.pool_for(part.summoned, case).arrive(part, case.priority)

    # -- the departments' visits end (called by the handlers) ----------------------------------
    def handled(self, case: Case) -> None:
        """The summoned department has finished its visit at the street."""
        if case.summoned != case.department:
            self._summon(case)  # wrong department: whistle again
        else:
            self.flow.close(case, STREET_TIER)

    def part_done(self, part: Contribution) -> None:
        """One department finished its part of a joint case; the last one closes it."""
        case = part.case
        if part.summoned != part.department:  # the wrong one came: whistle again for this part
            case.whistles += 1
            part.summoned = self._aim(part.department)
            self.flow.hold(self._delay(case, part.summoned), self._part_arrives, part)  # type: ignore[arg-type]
            return
        case.parts_open -= 1
        if case.parts_open == 0:
            self.flow.end_joint(case)
            self.flow.close(case, STREET_TIER)


class TypedWhistles:
    """Whistle types with deadlines of their own: draws a type by share; an on-time department
    reports at a uniform time within the type's deadline, a late one after it."""

    def __init__(self, spec: Whistle, streams: RandomStreams) -> None:
        assert spec.types is not None
        self.types = list(spec.types.values())
        cumulative, total = [], 0.0
        for kind in self.types:
            total += kind.share
            cumulative.append(total)
        self.type_cdf = cumulative
        self.late_delay = [
            streams.duration(f"whistle/late_delay/{name}", kind.late_delay)
            for name, kind in spec.types.items()
        ]
        self.type_draw = streams.uniform("whistle/type")
        self.timing_draw = streams.uniform("whistle/timing")

    def __call__(self) -> float:
        u = self.type_draw()
        index = min(
            bisect.bisect_right(self.type_cdf, u), len(self.types) - 1
        )  # first edge above u
        kind = self.types[index]
        timing = self.timing_draw()
        if timing < kind.on_time_share:
            # On time: uniform within the deadline (reuse the draw, rescaled to [0, 1)).
            return kind.deadline_hours * timing / kind.on_time_share
        return kind.deadline_hours + self.late_delay[index]()
