"""Verification callback (回访) and repeat appeals: steps 6 and the feedback loop.

After a case closes, the hotline calls the resident back after a delay. A callback
reaches the resident with probability ``callback_reach`` (a *valid* callback) and
only counts if it happens within the run. The resident says the problem was resolved
with the closing tier's ``resolution_probability``, and rates the handling on an
ordinal-logistic model (see :class:`govsim.scenario.schema.Satisfaction`):

    score = intercept + resolved_effect * resolved
            - lateness_effect * max(0, time_to_close / limit - 1)
            - handoff_effect * (escalations + returns + whistles)
    P(satisfied) = logistic(score); P(at least basically satisfied) = logistic(score + basic_gap)

An unsatisfied resident appeals again with ``repeat_probability`` after
``repeat_delay``: a new case linked to the original by ``repeat_of``.
All draws are made for every closed case, so variants stay in step (common random numbers).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from govsim.case import BASIC, SATISFIED, UNSATISFIED, Case

if TYPE_CHECKING:
    from govsim.model import Model

def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0


class Callback:
    def __init__(self, model: Model) -> None:
        self.model = model
        spec = model.scenario.feedback
        streams = model.streams
        self.delay = streams.duration("feedback/callback_delay", spec.callback_delay)
        self.reach_draw = streams.uniform("feedback/reach")
        self.resolve_draw = streams.uniform("feedback/resolved")
        self.satisfy_draw = streams.uniform("feedback/satisfaction")
        self.repeat_draw = streams.uniform("feedback/repeat")
        self.repeat_delay = streams.duration("feedback/repeat_delay", spec.repeat_delay)
        self.reach = spec.callback_reach
        self.resolution = spec.resolution_probability
        self.model_spec = spec.satisfaction
        self.repeat_probability = spec.repeat_probability
        self.limits = model.urgency_limits

    def assess(self, case: Case) -> None:
        """Draw the callback outcome of a case that has just closed."""
        at = case.closed + self.delay()
        reached = self.reach_draw() < self.reach
        u_resolved, u_satisfied, u_repeat = self.resolve_draw(), self.satisfy_draw(), self.repeat_draw()
        if not reached or at > self.model.horizon:
            return
        case.callback = at
        resolved = u_resolved < self.resolution[case.final_tier] + self.quality_shift(case)
        case.resolved = resolved
        case.satisfaction = self.rate(case, resolved, u_satisfied)
        if case.satisfaction == UNSATISFIED and u_repeat < self.repeat_probability:
            self.model.appeal_later(at - self.model.env.now + self.repeat_delay(), case, "hotline")

    def quality_shift(self, case: Case) -> float:
        """A unit's own shift of its resolution probability (rankings move it)."""
        tier = case.final_tier
        if tier == "department":
            return self.model.department_quality[case.department]
        if tier == "hotline":
            return 0.0
        return self.model.street_quality[case.street]

    def rate(self, case: Case, resolved: bool, u: float) -> str:
        spec = self.model_spec
        lateness = max(0.0, (case.closed - case.created) / self.limits[case.urgency] - 1.0)
        handoffs = case.escalations + case.returns + case.whistles
        score = (spec.intercept + spec.resolved_effect * resolved
                 - spec.lateness_effect * lateness - spec.handoff_effect * handoffs)
        if u < logistic(score):
            return SATISFIED
        if u < logistic(score + spec.basic_gap):
            return BASIC
        return UNSATISFIED
