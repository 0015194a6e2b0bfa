"""The assessment section of a scenario: units that answer to their assessment (issue 28).

With ``assessment.enabled`` every street and department chooses, each month once the ranking
policy has ranked it, its handling effort and how much it games the three rates for the next
month, from the pressure of its rank group and the assessment's design (the mechanism:
:mod:`govsim.mechanisms.assessment`; the rule: docs/policies.md, "Units that answer to their
assessment"). It needs problems (a real fix against a closure on paper) and a ranking
policy (rank groups, weights and audits). Every parameter is assumed unless its description
names a source: no published figure measures how units trade score against effort.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from govsim.core.parameters import Strict

RankGroupName = Literal["advanced", "improving", "ordinary", "rectification", "governance"]
MAX_UTILITY = 100.0
"""Largest cost, penalty or temperature (composite points per case)."""


def _default_stakes() -> dict[RankGroupName, float]:
    # assumed: the shame list raises pressure, the honour list lowers it (Wei et al. 2022,
    # JPART; the lists: seeds 001, 003)
    return {
        "advanced": 0.2,
        "improving": 0.3,
        "ordinary": 0.4,
        "rectification": 1.0,
        "governance": 1.0,
    }


class Effort(Strict):
    """Honest effort: handling time x (1 + e) on the unit's pools, for more real fixes."""

    gain_max: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Most that effort adds, in the unit's belief, to the share of its cases "
        "reported resolved (probability; g(e) = gain_max (1 - exp(-e / scale))). Assumed.",
    )
    scale: float = Field(
        0.5,
        gt=0,
        le=10,
        description="Effort at which the believed gain reaches 63% of `gain_max` (share of "
        "handling time added). Assumed.",
    )
    cost: float = Field(
        0.05,
        ge=0,
        le=MAX_UTILITY,
        description="Cost of effort to the unit per case and per unit of e (composite points "
        "per case). Assumed.",
    )
    cap: float = Field(
        1.0, ge=0, le=10, description="Largest effort (share of handling time added). Assumed."
    )
    max_utilisation: float = Field(
        0.85,
        gt=0,
        le=10,
        description="Effort comes out of the unit's idle staff time: it keeps the utilisation "
        "of each of its pools, as measured since its last choice and scaled by the effort, at "
        "most this (busy share of staffed time; above it a queue, and its overdue orders, "
        "grow steeply). The 85% occupancy rule of Bagust, Place and Posnett (1999, BMJ); its "
        "use here assumed. At 10 (its bound) it limits only an effort above 9, at a pool busy "
        "all its staffed time.",
    )


class GamingOption(Strict):
    """One way of gaming the three rates: how much of it a unit may use, what it costs the
    unit, and how likely an audit of a gamed case catches it."""

    share_max: float = Field(
        ..., ge=0, le=1, description="Largest share of the cases it applies to (probability)."
    )
    cost: float = Field(
        ...,
        ge=0,
        le=MAX_UTILITY,
        description="The unit's honesty cost per gamed case (composite points per case). Assumed.",
    )
    detect: float = Field(
        ...,
        ge=0,
        le=1,
        description="Probability that an audited gamed case is caught (probability). Assumed.",
    )


def _paper() -> GamingOption:
    # An audit samples true fixes (Haidian's third-party survey, seed 001): a closure on paper
    # is a case not fixed, and an audit sees it.
    return GamingOption(share_max=0.5, cost=0.05, detect=1.0)


def _press() -> GamingOption:
    # A third-party survey re-asks the resident, who may not say they were pressed: assumed
    # half are caught.
    return GamingOption(share_max=0.8, cost=0.02, detect=0.5)


def _label() -> GamingOption:
    return GamingOption(share_max=0.2, cost=0.1, detect=1.0)


def _dispute() -> GamingOption:
    # Off by default (share_max 0): not part of the settings measured in docs/policies.md. A
    # returned order is handled by its department, so an audit of true fixes does not see
    # it; a review of the return finds it was the street's half the time (assumed).
    return GamingOption(share_max=0.0, cost=0.03, detect=0.5)


class Assessment(Strict):
    """Units that choose effort and gaming under their assessment (off: today's model)."""

    enabled: bool = Field(
        False,
        description="Streets and departments choose their effort and gaming each month from "
        "their rank group (needs problems and a ranking policy; docs/policies.md).",
    )
    sensitivity: float = Field(
        1.0,
        ge=0,
        le=100,
        description="Pressure per unit of stake: pressure = sensitivity x stakes[group] "
        "(dimensionless). Assumed.",
    )
    stakes: dict[RankGroupName, float] = Field(
        default_factory=_default_stakes,
        description="What a unit's composite is worth to it in each rank group it was given "
        "(dimensionless, each 0 to 100; a group not listed: 0). The shame list raises "
        "pressure, the honour list lowers it (Wei et al. 2022, JPART; seeds 001, 003); the "
        "values are assumed.",
    )
    temperature: float = Field(
        0.05,
        gt=0,
        le=MAX_UTILITY,
        description="How sharply a gaming share follows its net utility: share = share_max x "
        "max(0, tanh(U / temperature)) (composite points per case). Assumed.",
    )
    effort: Effort = Field(default_factory=Effort, description="Honest effort.")
    paper: GamingOption = Field(
        default_factory=_paper,
        description="Close on paper without fixing: a case beyond the unit's powers after its "
        "visit (instead of escalating it), and the deadline rush (`rush_margin`). Defaults: "
        "share_max 0.5, cost 0.05, detect 1 (an audit of true fixes sees it). Assumed.",
    )
    press: GamingOption = Field(
        default_factory=_press,
        description="Press the resident of a case not fixed at the callback (press reports of "
        "pre-marked answer sheets and payments for 'very satisfied'). Defaults: share_max 0.8, "
        "cost 0.02, detect 0.5. Assumed; in Beijing 2019 with residents who answer from the "
        "real fix, share_max 0.079 fits the 2021 survey's 0.69-point satisfaction gap "
        "(experiments/assessment/fit_press.py, used by beijing_2019_ranked.yaml).",
    )
    label: GamingOption = Field(
        default_factory=_label,
        description="Label an appeal beyond the unit's powers unreasonable after its visit: it "
        "closes not fixed and leaves the unit's rates. Defaults: share_max 0.2, cost 0.1, "
        "detect 1. Assumed.",
    )
    dispute: GamingOption = Field(
        default_factory=_dispute,
        description="Return (退单) an order beyond a street's powers whose category has a "
        "department, after its visit: the department handles it (after "
        "`jurisdiction.dispute_time`) and is scored for it. Defaults: share_max 0 (off), cost "
        "0.03, detect 0.5. Assumed.",
    )
    press_resolved: float = Field(
        0.95,
        ge=0,
        le=1,
        description="Probability a pressed resident of a case not fixed says 'resolved' "
        "(probability; unpressed: `problems.resolved_if_not_fixed`). Assumed.",
    )
    press_shift: float = Field(
        1.0,
        ge=0,
        le=20,
        description="Added to a pressed resident's satisfaction score (log-odds). Assumed.",
    )
    rush_margin: float = Field(
        0.1,
        ge=0,
        lt=1,
        description="Deadline rush: a case still waiting in a unit's queue at (1 - margin) of "
        "its category's limit is closed on paper with the unit's rush share, when lateness "
        "is assessed (share of the limit; 0: no rush). The four-hour target's bunching: "
        "Locker & Mason 2005. Assumed.",
    )
    penalty_per_group: float = Field(
        1.0,
        ge=0,
        le=MAX_UTILITY,
        description="What a caught case costs the unit per rank group it drops "
        "(`ranking.audit.penalty_groups`; composite points per case). Assumed.",
    )

    @field_validator("stakes")
    @classmethod
    def _stakes(cls, v: dict[str, float]) -> dict[str, float]:
        if any(not 0 <= x <= 100 for x in v.values()):
            raise ValueError("stakes must be between 0 and 100")
        return v
