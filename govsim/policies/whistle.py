"""Whistle-blowing (街乡吹哨、部门报到): the scenario's ``whistle`` section, and the policy
that replaces it whole.

``Whistle`` is the section's parameters (the mechanism is :mod:`govsim.engine.agents.whistle`):
on/off, eligible categories, the arrival deadline and how departments' arrival times are
spread around it (or, as an option, whistle types with deadlines of their own), precision,
departments' local branches, and a monthly cap per street. ``WhistleBlowing`` is the static
policy with the same parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from govsim.core.bounds import MAX_HOURS, MAX_UNIT_STAFF
from govsim.core.parameters import Distribution, Strict, check_shares, expo
from govsim.policies.base import PolicySpec

if TYPE_CHECKING:
    from govsim.policies.levers import ScenarioT


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


def pinggu_arrival() -> Distribution:
    # Assumed: gamma with mean 18 minutes and cv 0.5, so that about 10% of departments
    # arrive after a 30-minute deadline (the sources give the rule, not the compliance).
    return Distribution(kind="gamma", mean=0.3, cv=0.5)


class Branches(Strict):
    """Departments' local branches (dual management, 双重管理): part of a department's staff
    sits in a branch per district or per street, under the department and the territory
    together (seed 001: the offices departments station in streets and towns, police
    stations, market supervision, traffic brigades, housing offices and health inspection,
    moved to dual management with the street). A branch answers its district's (or street's)
    whistles, arriving sooner than staff sent from the city-wide pool; where a branch has no
    staff, the pool answers."""

    departments: list[str] | None = Field(
        None, description="Departments with branches (names in `departments`); null: all."
    )
    staff_share: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share of each such department's staff moved into its branches: split "
        "evenly over the districts (the first get the remainder), or over the streets by "
        "population (largest remainders); assumed.",
    )
    level: Literal["district", "street"] = Field(
        "district",
        description="Where the branches sit: one per district, or one per street (as the "
        "stationed offices of seed 001; a street without staff of its own is answered by "
        "the city-wide pool).",
    )
    arrival: Distribution = Field(
        default_factory=lambda: Distribution(kind="gamma", mean=0.15, cv=0.5),
        description="Time from a whistle to the branch's staff arriving (hours); assumed: half "
        "the city-wide pool's.",
    )


class Whistle(Strict):
    """Streets blow the whistle, departments report (街乡吹哨、部门报到).

    At the street, a case beyond the street's powers whose category has an owning
    department is whistled with ``probability`` instead of escalating to the district.
    As in Pinggu (2017), every whistle has the same arrival deadline, and the department
    stays until the case is handled: its staff arrive after a time drawn from ``arrival``
    (those drawing more than ``deadline_hours`` are the late ones) and then handle the case
    at the street. A category with joint departments summons them all. With probability
    ``1 - precision`` the wrong department is summoned: it spends its handling time, and the
    street whistles again for the right one. Setting ``types`` replaces the single deadline
    with whistle types (the model before the Pinggu rule was made the default): the type is
    drawn by share, a department on time reports at a uniform time within the type's
    deadline, a late one at the deadline plus the type's ``late_delay``.
    """

    enabled: bool = Field(True, description="Streets may whistle at all.")
    probability: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Share of eligible cases (beyond the street's powers, category with a "
        "department) whistled; assumed.",
    )
    categories: list[str] | None = Field(
        None, description="Categories a street may whistle for; null: all with `whistle: true`."
    )
    deadline_hours: float = Field(
        0.5,
        gt=0,
        le=MAX_HOURS,
        description="Time a summoned department has to arrive (hours): 30 minutes for every "
        "whistle (Pinggu 2017, Beijing government). Arrivals later than this count as late.",
    )
    arrival: Distribution = Field(
        default_factory=pinggu_arrival,
        description="Time from a whistle to the department's staff arriving at the street "
        "(hours); assumed: gamma, mean 0.3 h, cv 0.5 (about 10% after a 30-minute deadline).",
    )
    types: dict[str, WhistleType] | None = Field(
        None,
        description="Whistle types by name (shares sum to 1), replacing `deadline_hours` and "
        "`arrival`; null: one deadline for every whistle.",
    )
    branches: Branches | None = Field(
        None, description="Departments' local branches per district; null: none."
    )
    precision: float = Field(
        1.0, gt=0, le=1, description="Probability the right department is summoned; assumed."
    )
    monthly_cap: int | None = Field(
        None,
        ge=0,
        le=MAX_UNIT_STAFF,
        description="Most whistles per street per calendar month; null: no cap.",
    )

    @property
    def branches_by_street(self) -> bool:
        """The departments' branches sit in the streets (else in the districts, or nowhere)."""
        return self.branches is not None and self.branches.level == "street"

    def expected_report_hours(self) -> float:
        """Mean time from a whistle to the city-wide department reporting (hours)."""
        if self.types is None:
            return self.arrival.mean
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
    def _types(cls, v: dict[str, WhistleType] | None) -> dict[str, WhistleType] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("at least one whistle type is needed")
        check_shares({k: t.share for k, t in v.items()}, "whistle type")
        return v


class WhistleBlowing(PolicySpec, Whistle):
    """Streets whistle, departments report: replaces the scenario's ``whistle`` section."""

    type: Literal["whistle_blowing"]

    def apply(self, scenario: ScenarioT) -> ScenarioT:
        whistle = Whistle(**self.model_dump(exclude={"type"}))
        return scenario.model_copy(update={"whistle": whistle})
