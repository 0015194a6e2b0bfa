"""The residents section of a scenario: groups of residents with their own rates and behaviour.

With ``residents.enabled`` each grid's residents are split into ``groups`` (for example those
aged 60 and over, 19.6% of Beijing in 2020, seed 004; the floating population, 1.45 of
Haidian's 3.402 million, seed 001: ../shared/DOMAIN.md). A group is a slice of every grid's
residents, the same share in each grid; the shares listed may sum to less than 1, and the
rest are ``others``, with every factor 1. A group has its own event rates by category, its
own propensity to report, its own delay to a problem's first report and its own answers at
the callback (the mechanism: :mod:`govsim.mechanisms.groups`; docs/model.md).

Called ``residents`` (not ``groups``): the section says how the residents are split, and
reads as ``residents.groups``; the mechanism that applies it, and its summary block, are
``groups``.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from govsim.core.bounds import MAX_MULTIPLIER, NAME_PATTERN
from govsim.core.parameters import SHARE_TOLERANCE, Strict

OTHERS = "others"
"""The implicit group of the residents that no listed group holds (every factor 1)."""
MAX_SHIFT = 20.0
"""Largest satisfaction shift (log-odds): a probability from 2e-9 to 1 - 2e-9."""


class ResidentGroup(Strict):
    """One group of residents: its share of every grid's residents and how it differs."""

    name: str = Field(..., pattern=NAME_PATTERN, max_length=100, description="Group name.")
    share: float = Field(
        ...,
        ge=0,
        le=1,
        description="Share of every grid's residents in the group (fraction). Sources: aged "
        "60 and over 0.196 of Beijing in 2020 (seed 004); floating population 1.45 / 3.402 = "
        "0.426 of Haidian (seed 001).",
    )
    rates: dict[str, float] = Field(
        default_factory=dict,
        description="Multipliers of a category's `rate` for the group's residents, by category "
        "name (factor, default 1 for a category not listed; at most 1,000). With problems on "
        "they multiply the rate at which the group's problems (and consultations) arise. "
        "Assumed.",
    )
    reporting: float = Field(
        1.0,
        ge=0,
        le=MAX_MULTIPLIER,
        description="Propensity to report (factor, default 1). Problems on: multiplies a "
        "problem's `reporting_rate` after its first report (a one-resident scope's by its "
        "resident's group; a wider scope's by the mean over the groups, and later reports of "
        "it come from the groups in proportion to share x reporting). Problems off: multiplies "
        "the group's appeal rates. Assumed.",
    )
    first_report_delay: float = Field(
        1.0,
        ge=0,
        le=MAX_MULTIPLIER,
        description="Multiplies `problems.first_report_delay` for problems whose first "
        "resident is of the group (factor, default 1; problems on). Assumed.",
    )
    callback_reach: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of the group's callbacks that reach the resident (probability); "
        "null: `feedback.callback_reach`. Assumed.",
    )
    satisfaction_shift: float = Field(
        0.0,
        ge=-MAX_SHIFT,
        le=MAX_SHIFT,
        description="Added to the group's satisfaction score at the callback (log-odds, "
        "default 0: the feedback's ordinal-logistic model as is). Assumed.",
    )

    @field_validator("rates")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        if any(not 0 <= x <= MAX_MULTIPLIER for x in v.values()):
            raise ValueError(f"rate multipliers must be between 0 and {MAX_MULTIPLIER:g}")
        return v


class ResidentGroups(Strict):
    """Groups of residents (off: every resident alike, as before)."""

    enabled: bool = Field(False, description="Split the residents into groups (see docs/model.md).")
    groups: list[ResidentGroup] = Field(
        default_factory=list,
        max_length=100,
        description=f"The groups, in order within each grid; the residents no group holds "
        f"are `{OTHERS}` (factors 1), unless a group of that name is listed (shares then sum "
        "to 1).",
    )

    @model_validator(mode="after")
    def _shares(self) -> ResidentGroups:
        names = [g.name for g in self.groups]
        if len(set(names)) != len(names):
            raise ValueError("group names must be unique")
        total = sum(g.share for g in self.groups)
        if total > 1 + SHARE_TOLERANCE:
            raise ValueError(f"group shares must sum to at most 1, they sum to {total:.6g}")
        if OTHERS in names and abs(total - 1) > SHARE_TOLERANCE:
            raise ValueError(f"with a group '{OTHERS}' listed, shares must sum to 1")
        return self

    def all_groups(self) -> list[ResidentGroup]:
        """The groups with the implicit ``others`` last (if shares leave any residents)."""
        rest = 1.0 - sum(g.share for g in self.groups)
        if any(g.name == OTHERS for g in self.groups) or rest <= SHARE_TOLERANCE:
            return list(self.groups)
        return [*self.groups, ResidentGroup(name=OTHERS, share=rest)]
