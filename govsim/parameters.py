"""Typed building blocks of every parameter file: strict sections, durations, shares.

Shared by the scenario schema, the policy specs and the experiment schema. Kept outside
``govsim.scenario`` so that policy modules can define their parameters without importing
the scenario schema (which imports them).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SHARE_TOLERANCE = 1e-6
"""How far shares may sum from 1 (floating-point sums of decimal shares)."""


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
