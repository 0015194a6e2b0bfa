"""Verification callback (回访) and repeat appeals: steps 6 and the feedback loop.

After a case closes, the hotline calls the resident back after a delay. A callback
reaches the resident with probability ``callback_reach`` (a *valid* callback) and
only counts if it happens within the run. The resident says the appeal was resolved
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

from typing import TYPE_CHECKING

from govsim.core.case import Case
from govsim.core.codes import (
    BASIC,
    FIXED,
    HOTLINE_CHANNEL,
    NO_OUTCOME,
    SATISFIED,
    TIERS,
    UNSATISFIED,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from govsim.core.controls import UnitQuality
    from govsim.core.randomness import RandomStreams
    from govsim.engine.agents.flow import CaseFlow
    from govsim.scenario.schema import Feedback


class VerificationCall:
    """Draws each closed case's callback: reached or not, resolved or not, how satisfied.

    ``limits`` are the categories' response time limits (hours, by category code); callbacks
    after ``horizon`` (hours) fall outside the run and are not made. ``quality`` holds the
    units' own shifts of the resolution probability and the satisfaction score.
    """

    def __init__(
        self,
        spec: Feedback,
        streams: RandomStreams,
        flow: CaseFlow,
        quality: UnitQuality,
        limits: list[float],
        horizon: float,
    ) -> None:
        self.flow = flow
        self.quality = quality
        self.delay = streams.duration("feedback/callback_delay", spec.callback_delay)
        self.reach_draw = streams.uniform("feedback/reach")
        self.resolve_draw = streams.uniform("feedback/resolved")
        self.satisfy_draw = streams.logit_uniform("feedback/satisfaction")
        self.repeat_draw = streams.uniform("feedback/repeat")
        self.repeat_delay = streams.duration("feedback/repeat_delay", spec.repeat_delay)
        self.reach = spec.callback_reach
        probability = {str(tier): p for tier, p in spec.resolution_probability.items()}
        self.resolution = [probability[tier] for tier in TIERS]
        rating = spec.satisfaction
        self.coefficients = (
            rating.intercept,
            rating.resolved_effect,
            rating.lateness_effect,
            rating.handoff_effect,
            rating.basic_gap,
        )
        self.repeat_probability = spec.repeat_probability
        self.limits = limits
        self.horizon = horizon
        self.judged_resolution: tuple[list[float], float] | None = None
        """Set by a mechanism that judges what closing a case did (its ``outcome``, set as it
        closes: govsim/engine/mechanism.py): P(the resident says 'resolved' | fixed) per
        closing tier, and P(resolved | not fixed). The resident of such a case knows whether
        it was fixed (the unit's quality went into the fix), and a repeat appeal comes from the
        mechanism, not from the callback. None: no mechanism judges outcomes."""
        self.pressing: Callable[[Case, float, float, float], tuple[float, float]] | None = None
        """Set by a mechanism of units that press residents (govsim/engine/mechanism.py): for
        a judged case reached at its callback, given P(resolved), the resolved draw and the
        satisfaction draw (logit), the P(resolved) and draw the resident answers with. None:
        nobody is pressed."""
        self.by_resident: Callable[[Case], tuple[float, float]] | None = None
        """Set by a mechanism of unequal residents (govsim/engine/mechanism.py): for a closed
        case, the probability its callback reaches the resident, and what the resident adds
        to the satisfaction score (log-odds). None: ``callback_reach`` and nothing."""

    def assess(self, case: Case) -> None:
        """Draw the callback outcome of a case that has just closed."""
        # Samplers called through local names: cheaper than self.x() (docs/performance.md).
        delay, reach_draw, resolve_draw = self.delay, self.reach_draw, self.resolve_draw
        satisfy_draw, repeat_draw = self.satisfy_draw, self.repeat_draw
        at = case.closed + delay()
        by_resident = self.by_resident
        if by_resident is None:
            reach, shift = self.reach, 0.0
        else:
            reach, shift = by_resident(case)
        reached = reach_draw() < reach
        u_resolved, z_satisfied, u_repeat = (
            resolve_draw(),
            satisfy_draw() - shift,  # z < score + shift: the shifted rating
            repeat_draw(),
        )
        if not reached or at > self.horizon:
            return
        case.callback = at
        judged = self.judged_resolution
        if judged is not None and case.outcome != NO_OUTCOME:  # judged as it closed
            if_fixed, if_not_fixed = judged
            resolution = if_fixed[case.final_tier] if case.outcome == FIXED else if_not_fixed
            pressing = self.pressing
            if pressing is not None:
                resolution, z_satisfied = pressing(case, resolution, u_resolved, z_satisfied)
            resolved = u_resolved < resolution
            case.resolved = int(resolved)
            case.satisfaction = self.rate(case, resolved, z_satisfied)
            return
        resolution = self.resolution[case.final_tier]
        quality = self.quality
        if quality.resolution_on:
            resolution += quality.resolution_shift(case.final_tier, case.street, case.department)
        resolved = u_resolved < resolution
        case.resolved = int(resolved)
        case.satisfaction = self.rate(case, resolved, z_satisfied)
        if case.satisfaction == UNSATISFIED and u_repeat < self.repeat_probability:
            self.flow.appeal_again(
                at - self.flow.env.now + self.repeat_delay(), case, HOTLINE_CHANNEL
            )

    def rate(self, case: Case, resolved: bool, z: float) -> int:
        """The satisfaction code (SATISFIED, BASIC or UNSATISFIED) the resident gives.

        ``z`` is logit(u) for a uniform u: u < logistic(score) exactly when z < score,
        so the ordinal-logistic draw needs no exponential per case.
        """
        intercept, resolved_effect, lateness_effect, handoff_effect, basic_gap = self.coefficients
        lateness = (case.closed - case.created) / self.limits[case.category] - 1.0
        handoffs = case.escalations + case.returns + case.whistles
        score = intercept + resolved_effect * resolved
        if lateness > 0.0:
            score -= lateness_effect * lateness
        score -= handoff_effect * handoffs
        quality = self.quality
        if quality.service_on:
            score += quality.service_shift(case.final_tier, case.street, case.department)
        if z < score:
            return SATISFIED
        if z < score + basic_gap:
            return BASIC
        return UNSATISFIED
