"""Whistle-blowing (街乡吹哨、部门报到): the scenario's ``whistle`` section, and the policy
that replaces it whole.

``Whistle`` is the section's parameters (the mechanism is :mod:`govsim.agents.whistle`):
on/off, eligible categories, whistle types with their report deadlines and the share of
departments meeting them, precision, and a monthly cap per street. ``WhistleBlowing`` is
the static policy with the same parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from govsim.bounds import MAX_HOURS, MAX_UNIT_STAFF
from govsim.parameters import Distribution, Strict, check_shares, expo
from govsim.policies.base import PolicySpec

if TYPE_CHECKING:
    from govsim.scenario.schema import Scenario


class WhistleType(Strict):
    """One kind of whistle and how departments answer it."""

    share: float = Field(..., ge=0, le=1, description="Share of whistles of this type.")
    deadline_hours: float = Field(
        ..., gt=0, le=MAX_HOURS, description="Time the department has to report (hours)."
    )
    on_time_share: float = Field(
        1.0, ge=0, le=1, description="Share of departments that report within the deadline."
    )
    late_delay: Distribution = Field(
        default_factory=lambda: expo(4.0),
        description="How much later than the deadline a late department reports (hours).",
    )


def default_whistle_types() -> dict[str, WhistleType]:
    # Pinggu origin (2017): departments arrive within 30 minutes (Beijing government);
    # the routine and hard-case deadlines and the on-time shares are assumed.
    return {
        "routine": WhistleType(share=0.6, deadline_hours=24.0, on_time_share=0.9),
        "hard_case": WhistleType(share=0.3, deadline_hours=72.0, on_time_share=0.8),
        "emergency": WhistleType(share=0.1, deadline_hours=0.5, on_time_share=0.95),
    }


class Whistle(Strict):
    """Streets blow the whistle, departments report (街乡吹哨、部门报到).

    At the street, a case beyond the street's powers whose category has an owning
    department is whistled with ``probability`` instead of escalating to the district.
    The whistle's type is drawn by share; a department on time reports at a uniform
    time within the deadline, a late one at the deadline plus ``late_delay``. With
    probability ``1 - precision`` the wrong department is summoned: it spends its
    handling time, and the street whistles again.
    """

    enabled: bool = Field(True, description="Streets may whistle at all.")
    probability: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Share of eligible cases (beyond the street's powers, category with a "
        "department) whistled.",
    )
    categories: list[str] | None = Field(
        None, description="Categories a street may whistle for; null: all with `whistle: true`."
    )
    types: dict[str, WhistleType] = Field(
        default_factory=default_whistle_types,
        description="Whistle types by name (shares sum to 1).",
    )
    precision: float = Field(
        1.0, gt=0, le=1, description="Probability the right department is summoned."
    )
    monthly_cap: int | None = Field(
        None,
        ge=0,
        le=MAX_UNIT_STAFF,
        description="Most whistles per street per calendar month; null: no cap.",
    )

    def expected_report_hours(self) -> float:
        """Mean time from a whistle to the department reporting (hours)."""
        return sum(
            t.share
            * (
                t.on_time_share * t.deadline_hours / 2
                + (1 - t.on_time_share) * (t.deadline_hours + t.late_delay.mean)
            )
            for t in self.types.values()
        )

    @field_validator("types")
    @classmethod
    def _types(cls, v: dict[str, WhistleType]) -> dict[str, WhistleType]:
        if not v:
            raise ValueError("at least one whistle type is needed")
        check_shares({k: t.share for k, t in v.items()}, "whistle type")
        return v


class WhistleBlowing(PolicySpec, Whistle):
    """Streets whistle, departments report: replaces the scenario's ``whistle`` section."""

    type: Literal["whistle_blowing"]

    def apply(self, scenario: Scenario) -> Scenario:
        whistle = Whistle(**self.model_dump(exclude={"type"}))
        return scenario.model_copy(update={"whistle": whistle})
