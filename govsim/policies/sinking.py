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

from govsim.bounds import MAX_DAYS
from govsim.policies.base import PolicySpec, at_day, spread

if TYPE_CHECKING:
    from collections.abc import Generator

    from govsim.model import Model
    from govsim.servers import ServerPool


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

    def install(self, model: Model) -> None:
        model.env.process(self._move(model))

    def _move(self, model: Model) -> Generator:
        yield from at_day(model, self.start_day)
        handlers = model.handlers
        moved = _shrink(handlers.departments, self.department_share) + _shrink(
            handlers.districts, self.district_share
        )
        to_grids = round(moved * self.to_grids)
        _grow(handlers.grids, to_grids)
        _grow(handlers.streets, moved - to_grids)
        names = self.categories
        for c, category in enumerate(model.scenario.categories):
            if names is None or category.name in names:
                _lower_powers(model, c, self.powers)
        model.log_policy(
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


def _lower_powers(model: Model, category: int, powers: float) -> None:
    rules = model.category_rules[category]
    grid_cut, street_cut = rules.grid_cut, rules.street_cut
    grid, street, district = grid_cut, street_cut - grid_cut, 1.0 - street_cut
    grid, street, district = (
        grid + powers * street,
        street * (1 - powers) + powers * district,
        district * (1 - powers),
    )
    model.category_rules[category] = rules._replace(
        grid_cut=grid,
        street_cut=grid + street,
        department_share=rules.department_share * (1 - powers),
    )
