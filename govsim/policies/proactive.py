"""Proactive governance (主动治理, 未诉先办): the monthly topic and grid patrols.

**Monthly topic (每月一题).** At each month's end the city picks the ``top_k``
categories with the most appeals that month (or the next ones of a fixed list, which can
anticipate a season: a list starting with heating, picked at the end of October), never a
category twice, while the budget lasts. For ``lag_days`` the streets work on it
(``staff_per_street`` street staff each are taken off cases); then its root-cause
programme takes effect: the category's arrival rate falls by ``efficacy`` (of problems, in
a run with problems, where the programme also fixes that share of the category's open
problems), possibly decaying with a half-life. Each topic costs ``cost_yuan`` and the
staff-hours taken (``summary.json``: ``policy_costs``). Beijing took 12 topics covering 27
problems in 2021, e.g. 638 EV chargers, 1,015 elderly meal points (004); heating orders
fell 61% in winter 2024, attributed to proactive work (press).

**Grid patrol.** From ``start_day`` grid workers spend ``time_share`` of their time on
patrol (grid capacity falls by that share, rounded to whole workers city-wide), and find
a share ``detection`` of the issues of the chosen categories before anyone reports
them: such an issue becomes a case at the grid (channel ``patrol``) instead of a call.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from govsim.core.bounds import MAX_DAYS, MAX_UNIT_STAFF
from govsim.policies.base import PolicySpec, at_day, spread
from govsim.policies.levers import problem_levers

if TYPE_CHECKING:
    from collections.abc import Generator

    from govsim.core.case import Case
    from govsim.policies.levers import Levers


class MonthlyTopic(PolicySpec):
    """Each month, treat the root causes of the top categories and cut their arrival rate."""

    type: Literal["monthly_topic"]
    start_day: float = Field(
        0.0,
        ge=0,
        le=MAX_DAYS,
        description="First topic picked at the first month end after this day.",
    )
    top_k: int = Field(1, ge=1, le=1_000, description="Topics picked each month.")
    categories: list[str] | None = Field(
        None, description="Fixed topic list, taken in order; null: pick by last month's volume."
    )
    lag_days: float = Field(
        30.0, ge=0, le=MAX_DAYS, description="Days of work before the arrival rate falls; assumed."
    )
    efficacy: float = Field(
        0.3, ge=0, le=1, description="Share of the topic's appeals prevented; assumed."
    )
    half_life_days: float | None = Field(
        None, gt=0, le=MAX_DAYS, description="Half-life of the efficacy (days); null: it lasts."
    )
    staff_per_street: int = Field(
        0,
        ge=0,
        le=MAX_UNIT_STAFF,
        description="Street staff per street taken off cases during the lag (people); assumed.",
    )
    cost_yuan: float = Field(
        0.0,
        ge=0,
        le=1e12,
        description="Money a topic's root-cause programme costs (yuan; assumed, none published).",
    )
    budget_yuan: float | None = Field(
        None,
        ge=0,
        le=1e13,
        description="Money for all topics of the run (yuan); a topic beyond it is not taken up. "
        "Null: no limit.",
    )

    def install(self, levers: Levers) -> None:
        levers.arrivals.on = True
        topic = _TopicController(self, levers)
        levers.on_create(topic.count)
        levers.env.process(topic.run())
        levers.env.process(topic.decay())


class _TopicController:
    def __init__(self, spec: MonthlyTopic, levers: Levers) -> None:
        self.spec = spec
        self.levers = levers
        self.names = [c.name for c in levers.scenario.categories]
        self.volume = [0] * len(self.names)
        """New cases (not repeats) per category this month: a list, counted on every new case."""
        self.picked: list[int] = []
        self.effects: list[tuple[int, float]] = []  # (category, hour the effect starts)
        self.spent = 0.0

    def count(self, case: Case) -> None:
        if case.repeat_of < 0:
            self.volume[case.category] += 1

    def run(self) -> Generator:
        levers, spec = self.levers, self.spec
        for month_end in levers.calendar.month_ends():
            yield levers.env.timeout(month_end - levers.env.now)
            counts, self.volume = self.volume, [0] * len(self.names)
            volume = Counter({c: n for c, n in enumerate(counts) if n})
            if month_end < spec.start_day * 24:
                continue
            for category in self._pick(volume):
                self.picked.append(category)
                budget = spec.budget_yuan
                if budget is not None and self.spent + spec.cost_yuan > budget:
                    levers.log(f"monthly topic: {self.names[category]} not funded (budget spent)")
                    continue
                self.spent += spec.cost_yuan
                levers.env.process(self._work(category))

    def _pick(self, volume: Counter[int]) -> list[int]:
        spec = self.spec
        if spec.categories is not None:
            pending = [
                self.names.index(n)
                for n in spec.categories
                if self.names.index(n) not in self.picked
            ]
            return pending[: spec.top_k]
        ranked = sorted((c for c in volume if c not in self.picked), key=lambda c: (-volume[c], c))
        return ranked[: spec.top_k]

    def _work(self, category: int) -> Generator:
        levers, spec = self.levers, self.spec
        levers.log(f"monthly topic: {self.names[category]} picked")
        streets = levers.pools_of("street")
        taken = [min(spec.staff_per_street, pool.capacity) for pool in streets]
        for pool, n in zip(streets, taken, strict=True):
            pool.set_capacity(pool.capacity - n)
        yield levers.env.timeout(spec.lag_days * 24)
        for pool, n in zip(streets, taken, strict=True):
            pool.set_capacity(pool.capacity + n)
        levers.record_cost("monthly_topic", sum(taken) * spec.lag_days * 24, spec.cost_yuan)
        self.effects.append((category, levers.env.now))
        self._update()
        problems = problem_levers(levers)
        if problems is not None:
            fixed = problems.fix_open_problems(category, spec.efficacy)
            levers.log(f"monthly topic: {self.names[category]} programme fixed {fixed} problems")

    def decay(self) -> Generator:
        """Recompute the decaying efficacy once a day."""
        if self.spec.half_life_days is None:
            return
        while True:
            yield self.levers.env.timeout(24.0)
            self._update()

    def _update(self) -> None:
        spec, now = self.spec, self.levers.env.now
        factors = [1.0] * len(self.names)
        for category, since in self.effects:
            efficacy = spec.efficacy
            if spec.half_life_days is not None:
                efficacy *= 0.5 ** ((now - since) / (spec.half_life_days * 24))
            factors[category] *= 1 - efficacy
        self.levers.arrivals.set_prevention(self, factors)


class GridPatrol(PolicySpec):
    """Grid workers patrol and find issues before anyone reports them."""

    type: Literal["grid_patrol"]
    start_day: float = Field(
        0.0, ge=0, le=MAX_DAYS, description="When patrols start (days from the start)."
    )
    time_share: float = Field(
        0.2, ge=0, lt=1, description="Share of grid workers' time spent on patrol; assumed."
    )
    detection: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share of issues found on patrol before anyone reports them; assumed.",
    )
    categories: list[str] | None = Field(
        None, description="Categories patrols can find; null: all."
    )

    def install(self, levers: Levers) -> None:
        levers.env.process(self._start(levers))

    def _start(self, levers: Levers) -> Generator:
        yield from at_day(levers, self.start_day)
        grids = levers.pools_of("grid")
        workers = sum(pool.capacity for pool in grids)
        on_patrol = round(workers * self.time_share)
        # Take whole workers, most from the best-staffed grids, so the total is exact.
        order = sorted(range(len(grids)), key=lambda g: (-grids[g].capacity, g))
        for g, n in zip(order, spread(on_patrol, len(grids)), strict=True):
            grids[g].set_capacity(max(0, grids[g].capacity - n))
        levers.arrivals.on = True
        for c, category in enumerate(levers.scenario.categories):
            if self.categories is None or category.name in self.categories:
                levers.arrivals.set_patrol_detection(c, self.detection)
        levers.log(f"grid patrol: {on_patrol} of {workers} grid workers on patrol")
