"""Audits of the units' closures, a design lever of the ranking policy (issue 28).

A third party samples a share of each unit's closures and checks whether the problem was
really fixed and how the resident was treated (Haidian's half-yearly third-party survey,
seed 001). A gamed case that is audited is caught with its option's ``detect``
(``assessment`` section); a unit caught at least once in a month drops ``penalty_groups``
rank groups in that month's ranking (advanced and improving -> ordinary -> rectification)
and is put under follow-up inspection (督查, and 问责 for what it did: seed 003): for the
next ``follow_up_months`` months ``follow_up_share`` of its closures is audited, and it
knows it. Audits act on the units that answer to their assessment (``assessment.enabled``); without
them nobody games, and there is nothing to catch.
"""

from __future__ import annotations

from pydantic import Field

from govsim.core.parameters import Strict


class Audit(Strict):
    """Third-party audits of the units' closures."""

    share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of each unit's closures that a third party audits for a real fix "
        "(probability; 0: no audits). Haidian audits by third-party survey (seed 001); the "
        "share is assumed.",
    )
    penalty_groups: int = Field(
        1,
        ge=0,
        le=3,
        description="Rank groups a unit caught at least once in a month drops in that month's "
        "ranking (groups). Assumed.",
    )
    follow_up_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of a caught unit's closures audited in the months after it was "
        "caught (probability; the follow-up inspection, 督查, and accountability, 问责, of "
        "seed 003; a share at or below `share`: no follow-up). Assumed: as strong as the "
        "strong audits of docs/policies.md's 'no dysfunction' setting.",
    )
    follow_up_months: int = Field(
        3,
        ge=0,
        le=24,
        description="Months a caught unit stays under follow-up inspection after the month it "
        "was caught; caught again, the count starts over (months, or quarters when the "
        "ranking's `period` is a quarter; 0: none). Assumed: a quarter, the assessment's "
        "other period (seed 001's quarterly bonus).",
    )
