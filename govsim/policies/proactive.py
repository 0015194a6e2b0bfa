"""Proactive governance (主动治理, 未诉先办): the monthly topic and grid patrols.

**Monthly topic (每月一题).** At each month's end the city picks the ``top_k``
categories with the most appeals that month (or the next ones of a fixed list), never a
category twice. For ``lag_days`` the streets work on it (``staff_per_street`` street
staff each are taken off cases); then the category's arrival rate falls by
``efficacy``, which may decay with a half-life. Beijing took 12 topics in 2021 (004);
heating orders fell 13% in 2020/21 after proactive work (press).

**Grid patrol.** From ``start_day`` grid workers spend ``time_share`` of their time on
patrol (grid capacity falls by that share, rounded to whole workers city-wide), and find
a share ``detection`` of the issues of the chosen categories before anyone reports
them: such an issue becomes a case at the grid (channel ``patrol``) instead of a call.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from govsim.bounds import MAX_DAYS, MAX_UNIT_STAFF
from govsim.case import Case
from govsim.policies.base import PolicySpec, at_day, spread

if TYPE_CHECKING:
    from collections.abc import Generator

    from govsim.model import Model


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
        30.0, ge=0, le=MAX_DAYS, description="Days of work before the arrival rate falls."
    )
    efficacy: float = Field(0.3, ge=0, le=1, description="Share of the topic's appeals prevented.")
    half_life_days: float | None = Field(
        None, gt=0, le=MAX_DAYS, description="Half-life of the efficacy (days); null: it lasts."
    )
    staff_per_street: int = Field(
        0,
        ge=0,
        le=MAX_UNIT_STAFF,
        description="Street staff per street taken off cases during the lag (people).",
    )

    def install(self, model: Model) -> None:
        model.arrival_filters_on = True
        topic = _TopicController(self, model)
        model.on_create.append(topic.count)
        model.env.process(topic.run())
        model.env.process(topic.decay())


class _TopicController:
    def __init__(self, spec: MonthlyTopic, model: Model) -> None:
        self.spec = spec
        self.model = model
        self.names = [c.name for c in model.scenario.categories]
        self.volume: Counter[int] = Counter()
        self.picked: list[int] = []
        self.effects: list[tuple[int, float]] = []  # (category, hour the effect starts)

    def count(self, case: Case) -> None:
        if case.repeat_of < 0:
            self.volume[case.category] += 1

    def run(self) -> Generator:
        model, spec = self.model, self.spec
        for month_end in model.calendar.month_ends():
            yield model.env.timeout(month_end - model.env.now)
            volume, self.volume = self.volume, Counter()
            if month_end < spec.start_day * 24:
                continue
            for category in self._pick(volume):
                self.picked.append(category)
                model.env.process(self._work(category))

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
        model, spec = self.model, self.spec
        model.log_policy(f"monthly topic: {self.names[category]} picked")
        taken = [min(spec.staff_per_street, pool.capacity) for pool in model.handlers.streets]
        for pool, n in zip(model.handlers.streets, taken, strict=True):
            pool.set_capacity(pool.capacity - n)
        yield model.env.timeout(spec.lag_days * 24)
        for pool, n in zip(model.handlers.streets, taken, strict=True):
            pool.set_capacity(pool.capacity + n)
        self.effects.append((category, model.env.now))
        self._update()

    def decay(self) -> Generator:
        """Recompute the decaying efficacy once a day."""
        if self.spec.half_life_days is None:
            return
        while True:
            yield self.model.env.timeout(24.0)
            self._update()

    def _update(self) -> None:
        spec, now = self.spec, self.model.env.now
        factors = [1.0] * len(self.names)
        for category, since in self.effects:
            efficacy = spec.efficacy
            if spec.half_life_days is not None:
                efficacy *= 0.5 ** ((now - since) / (spec.half_life_days * 24))
            factors[category] *= 1 - efficacy
        self.model.set_prevention(self, factors)


class GridPatrol(PolicySpec):
    """Grid workers patrol and find issues before anyone reports them."""

    type: Literal["grid_patrol"]
    start_day: float = Field(
        0.0, ge=0, le=MAX_DAYS, description="When patrols start (days from the start)."
    )
    time_share: float = Field(
        0.2, ge=0, lt=1, description="Share of grid workers' time spent on patrol."
    )
    detection: float = Field(
        0.3, ge=0, le=1, description="Share of issues found on patrol before anyone reports them."
    )
    categories: list[str] | None = Field(
        None, description="Categories patrols can find; null: all."
    )

    def install(self, model: Model) -> None:
        model.env.process(self._start(model))

    def _start(self, model: Model) -> Generator:
        yield from at_day(model, self.start_day)
        grids = model.handlers.grids
        workers = sum(pool.capacity for pool in grids)
        on_patrol = round(workers * self.time_share)
        # Take whole workers, most from the best-staffed grids, so the total is exact.
        order = sorted(range(len(grids)), key=lambda g: (-grids[g].capacity, g))
        for g, n in zip(order, spread(on_patrol, len(grids)), strict=True):
            grids[g].set_capacity(max(0, grids[g].capacity - n))
        model.arrival_filters_on = True
        for c, category in enumerate(model.scenario.categories):
            if self.categories is None or category.name in self.categories:
                model.patrol_detection[c] = self.detection
        model.log_policy(f"grid patrol: {on_patrol} of {workers} grid workers on patrol")
