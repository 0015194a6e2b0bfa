"""The decision rule of a unit that answers to its assessment: pure functions, no run.

Each month a street or department u in rank group g has the pressure
``pi = sensitivity x stakes[g]`` and chooses, for the next month (docs/policies.md):

- its honest **effort** e >= 0 (handling time x (1 + e)), maximising
  ``pi w_res g(e) - cost e`` with ``g(e) = gain_max (1 - exp(-e / scale))``, in closed form:
  ``e = scale ln(pi w_res gain_max / (scale cost))`` when positive, capped, and within the
  unit's headroom: the time it adds per case comes out of its idle staff time;
- the share ``q_k`` of the cases each **gaming option** applies to, with the net utility per
  case ``U_k = pi G_k - cost_k - audit_share detect_k penalty`` and
  ``q_k = share_max_k max(0, tanh(U_k / temperature))``: a unit games only when gaming pays.

``G_k`` is what option k adds to a case's own composite score (0 to 1), computed from the
assessment's weights and the residents' answer model (the callback's ordinal logit,
:mod:`govsim.engine.agents.verification`, and the problems' P(resolved | fixed, not fixed)):

- *press* (a case not fixed; the unit knows which): the resident says 'resolved' with
  ``press_resolved`` instead of ``resolved_if_not_fixed``, and rates ``press_shift`` higher;
- *paper* (a case beyond the unit's powers, after its visit): closed now, not fixed, against
  escalated with one more hand-off and fixed with the reference fix share f; its resident is
  pressed with the unit's press share (chosen first);
- *rush* (a case still waiting near its limit): closed on paper now and so answered on time,
  against handled late and fixed with share f (only when lateness weighs: the response rate,
  or overdue orders counted as failed);
- *rush in service* (a case whose visit would end past its limit): closed on paper before
  the limit, against closed late and fixed with share f; it was answered when its visit
  began, so under the public formula the rush gains no response, only what lateness costs
  at the callback; where overdue orders are counted (``Design.overdue``) a late close fails
  the order on all three rates, in service or queued;
- *label* (a case beyond the unit's powers): it leaves the unit's rates, which gain the
  unit's mean case score minus the escalated case's;
- *dispute* (退单; a case beyond a street's powers whose category has a department): the
  street returns the order, which the department handles and is scored for: the street's
  rates gain as from a label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from govsim.core.codes import SATISFACTION_WEIGHT

BASIC_WEIGHT = SATISFACTION_WEIGHT[1]
OPTIONS = ("paper", "rush", "press", "label", "dispute")
"""The gaming options, in the order of :attr:`Choice.shares`."""


@dataclass(frozen=True)
class Design:
    """What a unit knows of its assessment: the composite's weights (normalised to sum 1) and
    the expected penalty of a caught case (audit share, and the penalty per caught case)."""

    response: float
    resolution: float
    satisfaction: float
    audit_share: float = 0.0
    penalty: float = 0.0
    """What a caught case costs (composite points per case: groups dropped x their worth)."""
    overdue: bool = False
    """Whether an order closed past its limit counts as failed (closed late, unresolved,
    unsatisfied: the ``overdue`` design) rather than by its callback."""

    @classmethod
    def of(
        cls,
        weights: dict[str, float],
        audit_share: float = 0.0,
        penalty: float = 0.0,
        overdue: bool = False,
    ) -> Design:
        total = sum(weights.values())
        return cls(
            weights.get("response", 0.0) / total,
            weights.get("resolution", 0.0) / total,
            weights.get("satisfaction", 0.0) / total,
            audit_share,
            penalty,
            overdue,
        )

    @property
    def lateness(self) -> bool:
        """Whether lateness weighs: the response rate, or overdue orders counted."""
        return self.response > 0 or self.overdue


@dataclass(frozen=True)
class Answers:
    """How residents answer the callback: P(resolved | fixed), P(resolved | not fixed), the
    satisfaction score's intercept, resolved, lateness and hand-off effects and basic gap
    (log-odds), and the reference share of cases a unit's handling fixes."""

    resolved_if_fixed: float
    resolved_if_not_fixed: float
    intercept: float
    resolved_effect: float
    lateness_effect: float
    handoff_effect: float
    basic_gap: float
    fix_share: float


@dataclass(frozen=True)
class Option:
    """One gaming option's limits: largest share, honesty cost, detection if audited."""

    share_max: float
    cost: float
    detect: float


@dataclass(frozen=True)
class Rule:
    """The unit's side of the rule: sensitivity, effort's terms, options, pressing's size."""

    temperature: float
    gain_max: float
    scale: float
    effort_cost: float
    effort_cap: float
    paper: Option
    press: Option
    label: Option
    dispute: Option
    press_resolved: float
    press_shift: float
    rush: bool = True
    """Whether a deadline rush is possible (a margin before the limit)."""


@dataclass(frozen=True)
class Choice:
    """A unit's choice for next month: its effort, each option's share (OPTIONS order) and
    the share of its visits that would end past their limit that it cuts short (the rush in
    service, counted with *rush*)."""

    effort: float
    shares: tuple[float, float, float, float, float]
    rush_service: float = 0.0

    @property
    def gaming(self) -> bool:
        return self.rush_service > 0 or any(q > 0 for q in self.shares)


NO_CHOICE = Choice(0.0, (0.0, 0.0, 0.0, 0.0, 0.0))


@dataclass(frozen=True)
class Slowness:
    """What a unit saw of its own speed last month: the mean overrun of its escalated cases'
    limits, and of its late cases' (multiples of the limit, max(0, time to close / limit -
    1)); the lateness a closure on paper saves."""

    escalated: float = 0.0
    late: float = 0.0


PROMPT = Slowness()


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0


def satisfaction_points(score: float, basic_gap: float) -> float:
    """E[satisfaction weight] of an answer with log-odds ``score``: P(satisfied) + 0.9
    P(basically satisfied)."""
    satisfied = _logistic(score)
    return satisfied + BASIC_WEIGHT * (_logistic(score + basic_gap) - satisfied)


def case_score(design: Design, answers: Answers, resolved: float, shift: float) -> float:
    """The expected resolution and satisfaction part of a case's composite score when its
    resident says 'resolved' with probability ``resolved`` and the satisfaction score is
    shifted by ``shift`` (log-odds)."""
    base = answers.intercept + shift
    points = resolved * satisfaction_points(base + answers.resolved_effect, answers.basic_gap)
    points += (1 - resolved) * satisfaction_points(base, answers.basic_gap)
    return design.resolution * resolved + design.satisfaction * points


def effort(pressure: float, design: Design, rule: Rule, headroom: float = math.inf) -> float:
    """The effort that maximises ``pressure w_res g(e) - cost e`` (0 without a gain), at most
    ``effort_cap`` and ``headroom`` (the most the unit's idle staff time allows)."""
    marginal = pressure * design.resolution * rule.gain_max
    cap = min(rule.effort_cap, headroom)
    if marginal <= 0 or cap <= 0:
        return 0.0
    if rule.effort_cost <= 0:
        return cap
    # (in logs: a cost near the smallest float must not underflow the product to 0)
    e = rule.scale * (math.log(marginal) - math.log(rule.scale) - math.log(rule.effort_cost))
    return min(max(e, 0.0), cap)


def headroom(utilisations: list[float], effort_now: float, max_utilisation: float) -> float:
    """The largest effort that keeps each of a unit's pools at or under ``max_utilisation``,
    given their ``utilisations`` (busy share of staffed time) under ``effort_now``: a pool's
    busy time grows with its handling time, as (1 + e) / (1 + effort_now). A pool never
    busy sets no limit; a pool at or over the limit leaves no room (0)."""
    room = math.inf
    for rho in utilisations:
        if rho > 0:
            room = min(room, max_utilisation * (1.0 + effort_now) / rho - 1.0)
    return max(room, 0.0)


def gains(
    design: Design, answers: Answers, rule: Rule, press_share: float, slow: Slowness
) -> dict[str, float]:
    """``G_k`` of each option (composite points per case), for a unit that presses the
    residents of ``press_share`` of its cases not fixed and whose escalated and late cases
    overran their limits as ``slow`` says."""
    r1, r0, f = answers.resolved_if_fixed, answers.resolved_if_not_fixed, answers.fix_share
    rp, sp = rule.press_resolved, rule.press_shift

    def not_fixed(shift: float) -> float:  # a case not fixed, pressed with press_share
        pressed = case_score(design, answers, rp, sp + shift)
        return press_share * pressed + (1 - press_share) * case_score(design, answers, r0, shift)

    def honest(shift: float) -> float:  # fixed with share f, else not fixed
        return f * case_score(design, answers, r1, shift) + (1 - f) * not_fixed(shift)

    late = answers.lateness_effect
    escalated = honest(-answers.handoff_effect - late * slow.escalated)
    press = case_score(design, answers, rp, sp) - case_score(design, answers, r0, 0.0)
    rushed = design.response + not_fixed(0.0)  # on time, closed on paper
    # A case handled late: an overdue order fails on all three rates; else it is scored by
    # its callback (its lateness lowers the rating), answered late if it waited in a queue
    # and on time if its visit began before the limit.
    late_honest = 0.0 if design.overdue else honest(-late * slow.late)
    in_service = 0.0 if design.overdue else design.response + late_honest
    return {
        "paper": not_fixed(0.0) - escalated,
        "rush": rushed - late_honest if rule.rush else 0.0,
        "rush_service": rushed - in_service if rule.rush else 0.0,
        "press": press,
        "label": honest(0.0) - escalated,
        "dispute": honest(0.0) - escalated,
    }


def share(gain: float, pressure: float, option: Option, design: Design, rule: Rule) -> float:
    """``share_max max(0, tanh(U / temperature))`` with
    ``U = pressure gain - cost - audit_share detect penalty``."""
    utility = pressure * gain - option.cost - design.audit_share * option.detect * design.penalty
    if utility <= 0 or option.share_max <= 0:
        return 0.0
    return option.share_max * math.tanh(utility / rule.temperature)


def choose(
    pressure: float,
    design: Design,
    answers: Answers,
    rule: Rule,
    slow: Slowness = PROMPT,
    room: float = math.inf,
) -> Choice:
    """A unit's effort and gaming shares for next month under ``pressure`` (the rule of the
    module docstring), its effort within ``room`` (:func:`headroom`). Pressing is chosen
    first: a closure on paper is worth more to a unit that presses the residents of its cases
    not fixed."""
    if pressure <= 0:
        return NO_CHOICE
    press_gain = gains(design, answers, rule, 0.0, slow)["press"]
    q_press = share(press_gain, pressure, rule.press, design, rule)
    g = gains(design, answers, rule, q_press, slow)
    return Choice(
        effort(pressure, design, rule, room),
        (
            share(g["paper"], pressure, rule.paper, design, rule),
            share(g["rush"], pressure, rule.paper, design, rule),
            q_press,
            share(g["label"], pressure, rule.label, design, rule),
            share(g["dispute"], pressure, rule.dispute, design, rule),
        ),
        share(g["rush_service"], pressure, rule.paper, design, rule),
    )
