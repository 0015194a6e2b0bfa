"""Streets blow the whistle, departments report (街乡吹哨、部门报到).

A street facing a case beyond its powers, in a category the scenario lets it whistle
for, summons the owning department instead of escalating to the district. The
whistle's type sets the department's deadline; a department meeting it reports at a
uniform time within the deadline, a late one at the deadline plus a late delay. Its
staff then handle the case at the street, which closes it. With probability
``1 - precision`` the wrong department is summoned: it spends its handling time and
the street whistles again. A monthly cap per street, when set, sends the excess up to
the district as before.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from govsim.case import Case
from govsim.codes import STAGE, STREET_TIER

if TYPE_CHECKING:
    from govsim.agents.flow import CaseFlow, Step
    from govsim.calendar import Calendar
    from govsim.randomness import RandomStreams
    from govsim.scenario.schema import Scenario

DEPARTMENT_STAGE = STAGE["department"]


class WhistleDesk:
    """Decides which cases a street whistles for, summons departments, and closes the case.

    ``to_department`` hands a summoned case to the department's queue when its staff report.
    """

    def __init__(
        self,
        scenario: Scenario,
        streams: RandomStreams,
        flow: CaseFlow,
        calendar: Calendar,
        to_department: Step,
        n_departments: int,
    ) -> None:
        self.flow = flow
        self.calendar = calendar
        self.to_department = to_department
        spec = scenario.whistle
        allowed = spec.categories
        self.eligible = [
            spec.enabled
            and c.whistle
            and c.department is not None
            and (allowed is None or c.name in allowed)
            for c in scenario.categories
        ]
        self.probability = spec.probability
        self.precision = spec.precision
        self.cap = spec.monthly_cap
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
        self.decide_draw = streams.uniform("decide/whistle")
        self.type_draw = streams.uniform("whistle/type")
        self.timing_draw = streams.uniform("whistle/timing")
        self.precision_draw = streams.uniform("whistle/precision")
        self.wrong_draw = streams.uniform("whistle/wrong_department")
        self.blown: dict[tuple[int, int], int] = {}
        self.n_departments = n_departments

    def blow(self, case: Case) -> bool:
        """Whistle for ``case`` at its street if the rules allow; True if whistled."""
        draw = self.decide_draw()
        if not self.eligible[case.category] or draw >= self.probability:
            return False
        if self.cap is not None:
            key = (case.street, self.calendar.month(self.flow.env.now))
            if self.blown.get(key, 0) >= self.cap:
                return False
            self.blown[key] = self.blown.get(key, 0) + 1
        self._summon(case)
        return True

    def _summon(self, case: Case) -> None:
        flow = self.flow
        case.whistles += 1
        target = case.department
        if self.precision_draw() >= self.precision and self.n_departments > 1:
            # The wrong department: any other, uniformly.
            other = int(self.wrong_draw() * (self.n_departments - 1))
            target = other if other < case.department else other + 1
        case.summoned = target
        flow.move(case, DEPARTMENT_STAGE)
        flow.hold(self._report_delay(), self.to_department, case)

    def _report_delay(self) -> float:
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

    def handled(self, case: Case) -> None:
        """The summoned department has finished its visit at the street."""
        if case.summoned != case.department:
            self._summon(case)  # wrong department: whistle again
        else:
            self.flow.close(case, STREET_TIER)
