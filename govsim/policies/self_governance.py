"""Residents' self-governance (居民自治): problems solved by residents without an appeal.

Where an owners' committee, a property committee or a deliberation mechanism covers the
residents, they solve a share of their problems themselves: from ``start_day``, a problem
arising in a grid with coverage c, of a category residents can solve, is solved by them
with probability ``c x solve_share``, ``delay`` hours after it arose, and never becomes an
appeal (``problems.parquet``: ``fixed_by`` ``self_governance``). Coverage may grow
linearly by ``coverage_end - coverage`` over ``ramp_days`` (every grid alike). In Huitian
(Huilongguan and Tiantongyuan, 800,000 residents) owners' or property committees went from 14.9% to
94.8% of 134 compounds in three years (004). Needs ``problems.enabled``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, field_validator

from govsim.core.parameters import Distribution, expo
from govsim.policies.base import PolicySpec, at_day
from govsim.policies.levers import problem_levers

if TYPE_CHECKING:
    from collections.abc import Generator

    from govsim.policies.levers import Levers

RAMP_STEP_DAYS = 7.0
"""How often a coverage ramp is updated (days)."""


class SelfGovernance(PolicySpec):
    """Residents solve a share of their problems themselves, without an appeal."""

    type: Literal["self_governance"]
    needs_problems: ClassVar[bool] = True
    """The policy acts on problems: the scenario must enable them."""
    start_day: float = Field(0.0, ge=0, le=3660, description="When it starts (days).")
    coverage: float = Field(
        0.149,
        ge=0,
        le=1,
        description="Share of residents covered by an owners' committee or deliberation "
        "mechanism (Huitian before: 14.9% of compounds, 004).",
    )
    coverage_end: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Coverage reached after `ramp_days` (Huitian after three years: 94.8%, "
        "004); null: coverage stays.",
    )
    ramp_days: float = Field(
        365.0, gt=0, le=3660, description="Days over which coverage grows to `coverage_end`."
    )
    grid_coverage: dict[str, float] | None = Field(
        None,
        description="Coverage of named grids, overriding `coverage` for them (a ramp scales "
        "them alike); names of the city's grids (synthetic: D01-S001-G0001, ...).",
    )
    solve_share: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share of covered residents' problems they solve themselves (assumed).",
    )
    categories: list[str] | None = Field(
        None, description="Categories residents can solve; null: all."
    )
    delay: Distribution = Field(
        default_factory=lambda: expo(48.0),
        description="Hours from a problem arising to the residents solving it (assumed).",
    )

    @field_validator("grid_coverage")
    @classmethod
    def _shares(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is not None and any(not 0 <= x <= 1 for x in v.values()):
            raise ValueError("coverage must be between 0 and 1")
        return v

    def install(self, levers: Levers) -> None:
        levers.env.process(self._run(levers))

    def _run(self, levers: Levers) -> Generator:
        yield from at_day(levers, self.start_day)
        grids = levers.unit_names("grid")
        own = self.grid_coverage or {}
        base = [own.get(name, self.coverage) for name in grids]
        shares = [
            self.solve_share if self.categories is None or c.name in self.categories else 0.0
            for c in levers.scenario.categories
        ]
        start = levers.env.now
        problems = problem_levers(levers)
        if problems is None:
            raise RuntimeError("self-governance needs a run with problems.enabled")
        problems.set_self_governance(base, shares, self.delay)
        levers.log(
            f"self-governance: coverage {self.coverage:.1%}, solve share {self.solve_share:.0%}"
        )
        if self.coverage_end is None:
            return
        rise = self.coverage_end - self.coverage
        end = start + self.ramp_days * 24
        while True:
            # Weekly steps, the last one shortened so that the ramp ends on its day exactly.
            yield levers.env.timeout(min(RAMP_STEP_DAYS * 24, end - levers.env.now))
            done = min(1.0, (levers.env.now - start) / (self.ramp_days * 24))
            now = [min(1.0, max(0.0, c + rise * done)) for c in base]
            problems.set_self_governance(now, shares, self.delay)
            if done >= 1.0:
                levers.log(f"self-governance: coverage reached {self.coverage_end:.1%}")
                return
