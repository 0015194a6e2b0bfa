"""Audits of the units' closures, a design lever of the ranking policy (issue 28).

A third party samples a share of each unit's closures and checks whether the problem was
really fixed and how the resident was treated (Haidian's half-yearly third-party survey,
seed 001). A gamed case that is audited is caught with its option's ``detect``
(``assessment`` section); a unit caught at least once in a month drops ``penalty_groups``
rank groups in that month's ranking (advanced and improving -> ordinary -> rectification).
Audits act on the units that answer to their assessment (``assessment.enabled``); without
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
