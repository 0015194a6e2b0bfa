"""Building blocks shared by the scenario schema and the policy specs.

Kept outside ``govsim.scenario`` so that policy modules can define their parameters
without importing the scenario schema (which imports them).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

TIERS = ("hotline", "grid", "street", "district", "department")
"""Where a case can be handled and closed, lowest first (the hotline answers consultations)."""

TERRITORIAL_TIERS = ("grid", "street", "district")
"""The escalation ladder: micro cycle (grid), small cycle (street), big cycle (district)."""

CHANNELS = ("hotline", "online", "patrol")

SHARE_TOLERANCE = 1e-6


class FieldError(ValueError):
    """A validation error that knows which key, below the validated model, is at fault."""

    def __init__(self, message: str, *path: str | int) -> None:
        super().__init__(message)
        self.path = path


class Strict(BaseModel):
    """Base for every section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


def check_shares(shares: dict[str, float], what: str) -> dict[str, float]:
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"{what} shares must sum to 1, they sum to {total:.6g}")
    return shares


class Distribution(Strict):
    """A non-negative random duration, in hours.

    ``exponential`` uses ``mean`` only; ``lognormal`` and ``gamma`` take ``mean``
    and coefficient of variation ``cv``; ``deterministic`` is always ``mean``.
    """

    kind: Literal["exponential", "lognormal", "gamma", "deterministic"] = Field(
        "exponential", description="Family of the distribution."
    )
    mean: float = Field(..., ge=0, description="Mean duration (hours).")
    cv: float = Field(
        1.0, gt=0, description="Coefficient of variation (sd / mean); lognormal and gamma only."
    )


def fixed(hours: float) -> Distribution:
    return Distribution(kind="deterministic", mean=hours)


def expo(hours: float) -> Distribution:
    return Distribution(kind="exponential", mean=hours)


class WhistleType(Strict):
    """One kind of whistle and how departments answer it."""

    share: float = Field(..., ge=0, le=1, description="Share of whistles of this type.")
    deadline_hours: float = Field(
        ..., gt=0, description="Time the department has to report (hours)."
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
        None, ge=0, description="Most whistles per street per calendar month; null: no cap."
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
