"""Staff rebalancing: move staff toward the most backlogged units of a tier (an equity policy).

From ``start_day`` and then every ``every_days``, the district (or city) looks at each unit
of ``tier`` (streets by default, or grids) and its *load per person*: the cases waiting in
its queue or in hand, divided by its staff. It then moves up to ``moves`` people, one at a
time, from the unit with the lowest load per person (keeping at least ``min_staff``) to the
unit with the highest, recomputing both after each move; it stops early when the gap is
below one case per person (nothing to gain). Staff busy with a case finish it before they
leave, and queued cases stay where they are: the mover adds capacity where the queue is.

Moves stay within a district unless ``across_districts`` (a street's staff are the
district's to deploy: 编制 do not cross districts; assumed). No new staff: the total is kept.
This is the kind of equity-minded rule Liu & Garg (2024) optimise for New York's 311 tree
requests; its sizes here are assumed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from govsim.core.bounds import MAX_DAYS, MAX_UNIT_STAFF
from govsim.policies.base import PolicySpec, at_day

if TYPE_CHECKING:
    from collections.abc import Generator

    from govsim.core.servers import ServerPool
    from govsim.policies.levers import Levers


class StaffRebalancing(PolicySpec):
    """Every few days, move staff from the least to the most loaded units of a tier."""

    type: Literal["staff_rebalancing"]
    start_day: float = Field(
        7.0, ge=0, le=MAX_DAYS, description="First review (days from the start)."
    )
    every_days: float = Field(
        7.0, gt=0, le=MAX_DAYS, description="Days between reviews (assumed: weekly)."
    )
    tier: Literal["street", "grid"] = Field(
        "street", description="Which units' staff are moved: streets' or grids'."
    )
    moves: int = Field(
        2,
        ge=0,
        le=MAX_UNIT_STAFF,
        description="People moved at most per review, one at a time (assumed).",
    )
    min_staff: int = Field(
        1, ge=0, le=MAX_UNIT_STAFF, description="Staff a unit keeps at least (people)."
    )
    across_districts: bool = Field(
        False,
        description="Move staff between units of different districts too (default: within a "
        "district only; assumed).",
    )

    def install(self, levers: Levers) -> None:
        levers.env.process(self._run(levers))

    def _run(self, levers: Levers) -> Generator:
        yield from at_day(levers, self.start_day)
        pools = levers.pools_of(self.tier)
        groups = (
            [list(range(len(pools)))]
            if self.across_districts
            else list(levers.units_by_district(self.tier).values())
        )
        while True:
            moved = sum(self._review([pools[i] for i in group]) for group in groups)
            if moved:
                levers.log(f"staff rebalancing: {moved} {self.tier} staff moved")
            yield levers.env.timeout(self.every_days * 24.0)

    def _review(self, pools: list[ServerPool]) -> int:
        """Move up to ``moves`` people within ``pools``; returns how many moved."""
        moved = 0
        if len(pools) < 2:
            return moved
        for _ in range(self.moves):
            givers = [p for p in pools if p.capacity > self.min_staff]
            if not givers:
                break
            low = min(givers, key=lambda p: (load(p), p.index))
            high = max(pools, key=lambda p: (load(p), -p.index))
            if high is low or load(high) - load(low) < 1.0:
                break
            low.set_capacity(low.capacity - 1)
            high.set_capacity(high.capacity + 1)
            moved += 1
        return moved


def load(pool: ServerPool) -> float:
    """Cases waiting or in hand per person (a unit without staff: its cases, as if one)."""
    return (pool.queued + pool.busy) / max(pool.capacity, 1)
