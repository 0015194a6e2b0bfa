"""The decision rule of a unit that answers to its assessment: pure functions, no run.

Each month a street or department u in rank group g has the pressure
``pi = sensitivity x stakes[g]`` and chooses, for the next month (docs/policies.md):

- its honest **effort** e >= 0 (handling time x (1 + e)), maximising
  ``pi w_res g(e) - cost e`` with ``g(e) = gain_max (1 - exp(-e / scale))``, in closed form:
  ``e = scale ln(pi w_res gain_max / (scale cost))`` when positive, capped;
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
  against handled late and fixed with share f (only when the response rate weighs);
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

    @classmethod
    def of(
        cls, weights: dict[str, float], audit_share: float = 0.0, penalty: float = 0.0
    ) -> Design:
        total = sum(weights.values())
        return cls(
            weights.get("response", 0.0) / total,
            weights.get("resolution", 0.0) / total,
            weights.get("satisfaction", 0.0) / total,
            audit_share,
            penalty,
        )


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
    """A unit's choice for next month: its effort and each option's share (OPTIONS order)."""

    effort: float
    shares: tuple[float, float, float, float, float]

    @property
    def gaming(self) -> bool:
        return any(q > 0 for q in self.shares)


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


def effort(pressure: float, design: Design, rule: Rule) -> float:
    """The effort that maximises ``pressure w_res g(e) - cost e`` (0 without a gain)."""
    marginal = pressure * design.resolution * rule.gain_max
    if marginal <= 0 or rule.effort_cap <= 0:
        return 0.0
    if rule.effort_cost <= 0:
        return rule.effort_cap
    # (in logs: a cost near the smallest float must not underflow the product to 0)
    e = rule.scale * (math.log(marginal) - math.log(rule.scale) - math.log(rule.effort_cost))
    return min(max(e, 0.0), rule.effort_cap)


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
    return {
        "paper": not_fixed(0.0) - escalated,
        "rush": design.response + not_fixed(0.0) - honest(-late * slow.late) if rule.rush else 0.0,
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
    pressure: float, design: Design, answers: Answers, rule: Rule, slow: Slowness = PROMPT
) -> Choice:
    """A unit's effort and gaming shares for next month under ``pressure`` (the rule of the
    module docstring). Pressing is chosen first: a closure on paper is worth more to a unit
    that presses the residents of its cases not fixed."""
    if pressure <= 0:
        return NO_CHOICE
    press_gain = gains(design, answers, rule, 0.0, slow)["press"]
    q_press = share(press_gain, pressure, rule.press, design, rule)
    g = gains(design, answers, rule, q_press, slow)
    return Choice(
        effort(pressure, design, rule),
        (
            share(g["paper"], pressure, rule.paper, design, rule),
            share(g["rush"], pressure, rule.paper, design, rule),
            q_press,
            share(g["label"], pressure, rule.label, design, rule),
            share(g["dispute"], pressure, rule.dispute, design, rule),
        ),
    )
