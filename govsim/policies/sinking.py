"""Resource sinking (力量下沉): move staff, and the powers they carry, down to streets and grids.

From ``start_day``, a share of every department's and/or every district's staff moves
down: ``to_grids`` of them spread evenly over the grids, the rest over the streets.
Capacities change during the run; staff busy with a case finish it before they leave,
and cases queued at a shrinking unit stay in its queue. The movers bring powers: for the
affected categories, a share ``powers`` of the cases that needed the district can now be
closed at the street, the same share of those that needed the street can be closed at
the grid, and the share routed straight to a department falls by the same factor.
Cases already open keep the powers they were created with.

With ``powers_with_people`` the movers are whole people and the powers go with them: the
number to move is the share of each tier's staff in all (``round(share x staff)``: 25% of
24 department staff is 6), taken from the units by largest remainder; each mover goes to
one grid or street (department staff anywhere in the city, district staff in their own
district, spread evenly in layout order) and carries the powers of the categories their
department owns (district staff: every category), or of ``categories`` only. A case of such
a category arising where a holder works (the grid, or the grid's street) closes one tier
lower with probability ``powers``, its order routed straight to the department less often
by the same factor; elsewhere nothing changes, and with nobody moved sinking changes
nothing. Each mover is recorded (``summary.json``: ``movers``) and the log says in one line
how many were asked for and how many moved.

Haidian sank 13,922 people by origin: 1,467 from departments, 2,325 from street and town
offices, 5,947 auxiliary staff and 4,183 community staff (001).
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
        0.2, ge=0, le=1, description="Share of each department's staff that moves down; assumed."
    )
    district_share: float = Field(
        0.0, ge=0, le=1, description="Share of each district's staff that moves down; assumed."
    )
    to_grids: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of the movers who go to grids; the rest go to streets. Assumed.",
    )
    powers: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of cases beyond a tier's powers that the movers let it close (per tier "
        "step); assumed.",
    )
    categories: list[str] | None = Field(
        None, description="Categories whose powers move down; null: all."
    )
    powers_with_people: bool = Field(
        False,
        description="Move whole people (round(share x the tier's staff), by largest "
        "remainder), each to one grid or street with the powers of their department's "
        "categories (district staff: all); the powers act only where a holder works. False: "
        "pools shrink by int(staff x share) each and the powers move city-wide (assumed "
        "rules; 001 for the practice).",
    )

    def install(self, levers: Levers) -> None:
        levers.env.process(self._move(levers))

    def _move(self, levers: Levers) -> Generator:
        yield from at_day(levers, self.start_day)
        if self.powers_with_people:
            self._move_people(levers)
            return
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

    def _move_people(self, levers: Levers) -> None:
        scenario = levers.scenario
        names = self.categories
        carried = [
            c
            for c, category in enumerate(scenario.categories)
            if names is None or category.name in names
        ]
        owned = [
            [c for c in carried if scenario.categories[c].department == d.name]
            for d in scenario.departments
        ]
        steps = ("grid", "street")
        destinations = [levers.pools_of(tier) for tier in steps]
        n_units = [len(pools) for pools in destinations]
        in_district = [levers.units_by_district(tier) for tier in steps]
        lines, to_tier = [], [0, 0]
        for origin, share in (
            ("department", self.department_share),
            ("district", self.district_share),
        ):
            pools = levers.pools_of(origin)
            staff = [pool.capacity for pool in pools]
            counts = whole_people(staff, share)
            lines.append(_stated(origin, staff, share, sum(counts)))
            # Department staff go anywhere in the city (key -1), district staff to their district.
            groups: dict[int, list[ServerPool]] = {}
            for pool, k in zip(pools, counts, strict=True):
                if k:
                    pool.set_capacity(pool.capacity - k)
                    key = -1 if origin == "department" else pool.index
                    groups.setdefault(key, []).extend([pool] * k)
            for key, group in groups.items():
                goes_to = _to_grids(len(group), self.to_grids)
                for step in (0, 1):
                    # Anywhere in the city: department staff, or a district without such units.
                    units = in_district[step].get(key) or list(range(n_units[step]))
                    members = [pool for pool, s in zip(group, goes_to, strict=True) if s == step]
                    for j, pool in enumerate(members):
                        unit = units[j * len(units) // len(members)]
                        cats = owned[pool.index] if key < 0 else carried
                        self._place(levers, pool, destinations[step][unit], unit, cats)
                    to_tier[step] += len(members)
        levers.log(
            "resource sinking with people: "
            + "; ".join(lines)
            + f"; {to_tier[0]} to grids, {to_tier[1]} to streets; powers {self.powers:.0%} "
            "where they work"
        )

    def _place(
        self, levers: Levers, origin: ServerPool, pool: ServerPool, unit: int, categories: list[int]
    ) -> None:
        """One person from ``origin`` starts work at ``pool``, the ``unit``-th of its tier, with
        the powers of ``categories``."""
        tier = pool.tier
        pool.set_capacity(pool.capacity + 1)
        for c in categories:
            levers.move_powers_down_at(c, tier, unit, self.powers)
        levers.record_mover(
            {
                "day": self.start_day,
                "origin": origin.name,
                "origin_tier": origin.tier,
                "destination": pool.name,
                "destination_tier": tier,
                "categories": [levers.scenario.categories[c].name for c in categories],
            }
        )


def whole_people(staff: list[int], share: float) -> list[int]:
    """How many of each unit's ``staff`` move: ``round(share x total)`` people dealt by largest
    remainder of ``share x staff`` (each its floor, then one more to the largest fractional
    parts, ties to the first unit), so that no unit gives more than it has."""
    quotas = [n * share for n in staff]
    counts = [int(q) for q in quotas]
    left = round(sum(staff) * share) - sum(counts)
    order = sorted(range(len(staff)), key=lambda i: counts[i] - quotas[i])
    for i in order[: max(left, 0)]:
        counts[i] += 1
    return counts


def _stated(tier: str, staff: list[int], share: float, moved: int) -> str:
    """One line on how many of ``tier``'s staff moved against those asked for."""
    asked = share * sum(staff)
    line = f"{moved} of {asked:g} {tier} staff moved ({share:.0%} of {sum(staff)})"
    if moved < asked - 1e-9:
        line += f": whole people, {asked:g} rounds down to {moved}"
    return line


def _to_grids(n: int, share: float) -> list[int]:
    """For each of ``n`` movers, 0 if they go to a grid, 1 to a street: ``round(n x share)``
    grid movers interleaved over the origins (mover k goes to a grid if round((k + 1) x
    share) passes round(k x share))."""
    return [0 if round((k + 1) * share) > round(k * share) else 1 for k in range(n)]


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
