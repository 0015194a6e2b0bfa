"""The levers a policy may pull (:class:`govsim.policies.levers.Levers`), over one run.

A policy's controller is given a :class:`RunLevers`: capacities of the units' pools, the
arrival, quality and effort controls, the intake's routing (city-wide or per unit),
listeners on cases, the run's records (log, league tables, costs, movers) and the
mechanisms' own levers by name. It holds the policies' records, which the run hands on to
its results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from govsim.engine.mechanism import named

if TYPE_CHECKING:
    import simpy

    from govsim.core.calendar import Calendar
    from govsim.core.case import Case
    from govsim.core.controls import ArrivalControls, UnitQuality, WhistleEffort
    from govsim.core.servers import ServerPool
    from govsim.engine.agents import Handlers
    from govsim.engine.agents.intake import Intake
    from govsim.engine.mechanism import Mechanism
    from govsim.network.city import CityLayout
    from govsim.scenario.schema import Scenario

RankingRow = tuple[object, ...]
"""month, unit type, unit, rank (0 for the governance class), composite, group; then, with
the ranking's ``open_orders`` recorded, the unit's backlog (``BACKLOG_COLUMNS``); then the
values of the ``extra`` columns (``RunLevers.ranking_extra``), if any."""


class RunLevers:
    """What a policy's controller may read and move in one run (see the module docstring)."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        calendar: Calendar,
        category_limits: list[float],
        layout: CityLayout,
        arrivals: ArrivalControls,
        quality: UnitQuality,
        whistle_effort: WhistleEffort,
        handlers: Handlers,
        intake: Intake,
        on_close: list[Callable[[Case], None]],
        mechanisms: tuple[Mechanism, ...],
    ) -> None:
        self.env = env
        self.scenario = scenario
        self.calendar = calendar
        self.category_limits = category_limits
        self.arrivals = arrivals
        self.quality = quality
        self.whistle_effort = whistle_effort
        self._layout = layout
        self._handlers = handlers
        self._intake = intake
        self._on_close = on_close
        self._mechanisms = mechanisms
        self.policy_log: list[tuple[float, str]] = []
        self.rankings: list[RankingRow] = []
        self.ranking_extra: tuple[str, ...] = ()
        """The names of the rankings' extra columns (``record_ranking``'s ``extra``)."""
        self.policy_costs: dict[str, dict[str, float]] = {}
        self.movers: list[dict[str, object]] = []
        """The people policies moved (``record_mover``), in order."""
        self._local_powers: dict[tuple[int, int], list[float]] = {}
        """Powers moved to units (``move_powers_down_at``) by grid and category: the shares
        closable at the grid and at its street."""
        self._street_grids: dict[int, list[int]] = {}
        """Each street's grids, made on the first move to a street."""

    def pools_of(self, tier: str) -> list[ServerPool]:
        return self._handlers.tier_pools()[tier]

    def unit_names(self, tier: str) -> list[str]:
        units = {
            "grid": self._layout.grids,
            "street": self._layout.streets,
            "district": self._layout.districts,
            "department": self._layout.departments,
        }
        return [u.name for u in units[tier]]

    def units_by_district(self, tier: str) -> dict[int, list[int]]:
        layout = self._layout
        street_district = [s.parent for s in layout.streets]
        if tier == "district":
            districts = list(range(len(layout.districts)))
        elif tier == "street":
            districts = street_district
        elif tier == "grid":
            districts = [street_district[g.parent] for g in layout.grids]
        else:
            raise ValueError(f"not a territorial tier: {tier!r}")
        by_district: dict[int, list[int]] = {}
        for unit, district in enumerate(districts):
            by_district.setdefault(district, []).append(unit)
        return by_district

    def move_powers_down(self, category: int, powers: float) -> None:
        rules = self._intake.rules
        rules[category] = rules[category].with_powers_moved_down(powers)
        for (grid, c), held in self._local_powers.items():  # units with powers of their own
            if c == category:
                self._set_local(grid, c, held)

    def move_powers_down_at(self, category: int, tier: str, unit: int, powers: float) -> None:
        intake = self._intake
        if tier == "grid":
            grids = [unit]
        elif tier == "street":
            if not self._street_grids:
                for g, s in enumerate(intake.grid_street):
                    self._street_grids.setdefault(s, []).append(g)
            grids = self._street_grids.get(unit, [])
        else:
            raise ValueError(f"powers move down to a grid or a street, not {tier!r}")
        local = intake.local
        if local is None:
            local = intake.local = [intake.rules] * len(intake.grid_street)
        step = 0 if tier == "grid" else 1
        for grid in grids:
            held = self._local_powers.setdefault((grid, category), [0.0, 0.0])
            held[step] = max(held[step], powers)  # one holder suffices: powers do not stack
            self._set_local(grid, category, held)

    def _set_local(self, grid: int, category: int, held: list[float]) -> None:
        """``grid``'s rules for ``category``: the city-wide ones with the unit's powers."""
        intake = self._intake
        local = intake.local
        assert local is not None
        if local[grid] is intake.rules:
            local[grid] = list(intake.rules)
        local[grid][category] = intake.rules[category].with_powers_moved_down(*held)

    def on_create(self, listener: Callable[[Case], None]) -> None:
        self._intake.listeners.append(listener)

    def on_close(self, listener: Callable[[Case], None]) -> None:
        self._on_close.append(listener)

    def on_whistle(self, listener: Callable[[Case, int, float], None]) -> None:
        self._handlers.whistle.listeners.append(listener)

    def log(self, text: str) -> None:
        self.policy_log.append((round(self.env.now, 6), text))

    def record_ranking(
        self,
        month: str,
        unit_type: str,
        unit: str,
        rank: int,
        composite: float | None,
        group: str,
        backlog: tuple[float, int, int] | None = None,
        extra: Mapping[str, float] | None = None,
    ) -> None:
        row: RankingRow = (month, unit_type, unit, rank, composite, group)
        if backlog is not None:
            row = (*row, *backlog)
        if extra is not None:
            self.ranking_extra = tuple(extra)
            row = (*row, *extra.values())
        self.rankings.append(row)

    def mechanism(self, name: str) -> Mechanism | None:
        return named(self._mechanisms, name)

    def record_mover(self, mover: Mapping[str, object]) -> None:
        self.movers.append(dict(mover))

    def record_cost(self, policy: str, staff_hours: float, yuan: float) -> None:
        spent = self.policy_costs.setdefault(policy, {"staff_hours": 0.0, "yuan": 0.0})
        spent["staff_hours"] += staff_hours
        spent["yuan"] += yuan
