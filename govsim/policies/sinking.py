"""Resource sinking (力量下沉): move staff, and the powers they carry, down to streets and grids.

From ``start_day``, a share of every department's and/or every district's staff moves
down: ``to_grids`` of them spread evenly over the grids, the rest over the streets.
Capacities change during the run; staff busy with a case finish it before they leave,
and cases queued at a shrinking unit stay in its queue. The movers bring powers: for the
affected categories, a share ``powers`` of the cases that needed the district can now be
closed at the street, the same share of those that needed the street can be closed at
the grid, and the share routed straight to a department falls by the same factor.
Cases already open keep the powers they were created with.

Haidian sank 13,922 staff into 643 grids, 1,467 of them from 13 departments (001).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from govsim.core.bounds import MAX_DAYS
from govsim.policies.base import PolicySpec, at_day, spread

if TYPE_CHECKING:
    from collections.abc import Generator

    from govsim.core.servers import ServerPool
    from govsim.policies.levers import Levers


class ResourceSinking(PolicySpec):
    """Move a share of department and district staff, with their powers, to streets and grids."""

    type: Literal["resource_sinking"]
    start_day: float = Field(
        0.0, ge=0, le=MAX_DAYS, description="When the staff move (days from the start)."
    )
    department_share: float = Field(
        0.2, ge=0, le=1, description="Share of each department's staff that moves down."
    )
    district_share: float = Field(
        0.0, ge=0, le=1, description="Share of each district's staff that moves down."
    )
    to_grids: float = Field(
        0.5, ge=0, le=1, description="Share of the movers who go to grids; the rest go to streets."
    )
    powers: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of cases beyond a tier's powers that the movers let it close (per tier "
        "step).",
    )
    categories: list[str] | None = Field(
        None, description="Categories whose powers move down; null: all."
    )

    def install(self, levers: Levers) -> None:
        levers.env.process(self._move(levers))

    def _move(self, levers: Levers) -> Generator:
        yield from at_day(levers, self.start_day)
        moved = _shrink(levers.pools_of("department"), self.department_share) + _shrink(
            levers.pools_of("district"), self.district_share
        )
        to_grids = round(moved * self.to_grids)
        _grow(levers.pools_of("grid"), to_grids)
        _grow(levers.pools_of("street"), moved - to_grids)
        names = self.categories
        for c, category in enumerate(levers.scenario.categories):
            if names is None or category.name in names:
                levers.move_powers_down(c, self.powers)
        levers.log(
            f"resource sinking: {moved} staff moved down ({to_grids} to grids, "
            f"{moved - to_grids} to streets); powers {self.powers:.0%}"
        )


def _shrink(pools: list[ServerPool], share: float) -> int:
    moved = 0
    for pool in pools:
        n = int(pool.capacity * share)
        pool.set_capacity(pool.capacity - n)
        moved += n
    return moved


def _grow(pools: list[ServerPool], extra: int) -> None:
    if not pools:
        return
    for pool, n in zip(pools, spread(extra, len(pools)), strict=True):
        if n:
            pool.set_capacity(pool.capacity + n)
