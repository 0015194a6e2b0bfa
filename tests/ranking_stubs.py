"""The levers the ranking policy reads, stubbed for hand-made months of cases.

The ranking tests (``test_assessment_*.py``) install a :class:`govsim.policies.ranking.Ranking`
on these levers, drive cases through its listeners by hand and read the league tables it
records: a city of one street (its grids optional) and one department, no engine.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import simpy

from govsim.core.calendar import Calendar
from govsim.core.controls import UnitQuality


class StubLevers:
    """:class:`govsim.policies.levers.Levers` as far as the ranking uses them.

    ``limits`` are the categories' limits (hours); ``staff`` the capacity of each tier's units
    (a tier not named has one unit of capacity 1); ``deadline`` the whistles' (hours). Rows
    recorded go to ``rankings`` (the backlog's values, then the extra columns' appended; the
    extra columns' names in ``extra``), listeners to ``created``, ``closed``, ``whistles``,
    costs to ``yuan``.
    """

    def __init__(
        self,
        env: simpy.Environment,
        limits: list[float],
        horizon: float,
        *,
        start: dt.date = dt.date(2024, 2, 1),
        staff: dict[str, list[int]] | None = None,
        deadline: float | None = None,
    ) -> None:
        self.env = env
        self.calendar = Calendar(start, horizon)
        self.category_limits = limits
        self.scenario = SimpleNamespace(
            feedback=SimpleNamespace(resolution_probability={"street": 0.8, "department": 0.8}),
            whistle=SimpleNamespace(deadline_hours=deadline),
        )
        self.quality = UnitQuality(1, 1)
        self.pools = {
            tier: [
                SimpleNamespace(capacity=n, time_factor=1.0) for n in (staff or {}).get(tier, [1])
            ]
            for tier in ("street", "grid", "department")
        }
        self.created: list = []
        self.closed: list = []
        self.whistles: list = []
        self.rankings: list[tuple] = []
        self.extra: tuple[str, ...] = ()
        self.yuan = 0.0

    def unit_names(self, tier: str) -> list[str]:
        prefix = {"street": "S", "department": "D", "grid": "G"}[tier]
        return [f"{prefix}{i + 1}" for i in range(len(self.pools[tier]))]

    def pools_of(self, tier: str) -> list:
        return self.pools[tier]

    def on_create(self, listener) -> None:
        self.created.append(listener)

    def on_close(self, listener) -> None:
        self.closed.append(listener)

    def on_whistle(self, listener) -> None:
        self.whistles.append(listener)

    def record_cost(self, policy: str, staff_hours: float, yuan: float) -> None:
        assert policy == "ranking" and staff_hours == 0
        self.yuan += yuan

    def mechanism(self, name: str) -> None:
        return None  # no mechanism: the ranking's own rates

    def record_ranking(self, *row, backlog=None, extra=None) -> None:
        if backlog is not None:
            row = (*row, *backlog)
        if extra is not None:
            self.extra = tuple(extra)
            row = (*row, *extra.values())
        self.rankings.append(row)
