"""Residents raising appeals: a non-homogeneous Poisson process per category and grid.

The rate of category c at hour h of day d is

    population x rate_c / 1000 x intraday[h] / 24 x weekday[d] x season_c(d)

(appeals per hour), constant within each hour. Days are drawn in numpy batches (one
day in a big city, several in a small one): Poisson counts per (hour, category),
uniform times within the hour, grids by population share, residents uniformly within
their grid, channels by share. A resident is an integer id (grid offset + index within
the grid), so an unhappy resident can appeal again without one Python object per
inhabitant.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np

from govsim.core.codes import CHANNELS
from govsim.core.event_queue import next_later
from govsim.scenario.schema import Scenario, Season

if TYPE_CHECKING:
    import simpy

    from govsim.core.controls import ArrivalControls
    from govsim.core.randomness import RandomStreams
    from govsim.engine.agents.placement import Placement
    from govsim.network.city import CityLayout

Batch = tuple[list[float], list[int], list[int], list[int], list[int]]
"""Times (hours since the start, in order), categories, grids, residents, channels."""
RaiseEvent = Callable[[int, int, int, int], None]
"""Takes one drawn event: category, grid, resident, channel codes."""
HOURS_PER_DAY = 24
BATCH_APPEALS = 4096
"""Appeals to draw per batch, roughly: numpy's fixed cost per call is spread over as many."""
MAX_BATCH_DAYS = 28


class DaySource(Protocol):
    """Events day by day: the residents' own draws, or another source (a replayed log)."""

    days_per_batch: int

    def draw_days(self, first: int, count: int) -> Batch:
        """The events of days ``first`` .. ``first + count - 1``, in time order."""
        ...


class Residents:
    """Draws the day's appeals and feeds them to the model at their times."""

    def __init__(
        self,
        scenario: Scenario,
        layout: CityLayout,
        streams: RandomStreams,
        env: simpy.Environment,
        controls: ArrivalControls,
        horizon: float,
        raise_event: RaiseEvent,
        rates: list[float],
        prevent: bool = True,
        source: DaySource | None = None,
        placement: Placement | None = None,
    ) -> None:
        """``raise_event(category, grid, resident, channel)`` takes each drawn event (the
        run's ``new_case``, or a mechanism's: govsim/engine/mechanism.py); ``rates`` are the
        events per 1,000 residents per day of each category; with ``prevent``, proactive
        governance's prevention filters the events here (else the mechanism does);
        ``source`` replaces the drawn events by another day-by-day source (a replayed log);
        ``placement`` says where each category's events fall (mechanisms of unequal places
        and residents set it: govsim/engine/agents/placement.py; None or plain: by
        population, uniformly within a grid)."""
        self.env = env
        self.raise_event = raise_event
        self.filter_prevention = prevent
        self.controls = controls
        self.horizon = horizon
        self.start_date = scenario.start_date
        self.grid_street = layout.grid_street().tolist()
        self.rng = streams.generator("arrivals")
        population = layout.grid_population().astype(float)
        total = population.sum()
        self.grid_cdf = np.cumsum(population) / total if total > 0 else None
        self.grid_population = layout.grid_population()
        self.resident_offset = np.concatenate([[0], np.cumsum(self.grid_population)[:-1]])
        self.daily_mean = np.array([total * rate / 1000 for rate in rates])
        self.grid_cdfs: np.ndarray | None = None
        """Per category, the grids' cumulative shares (unequal places); None: ``grid_cdf``."""
        self.positions: list[tuple[np.ndarray, np.ndarray]] | None = None
        """Per category, where a uniform draw puts the resident in its grid; None: uniform."""
        if placement is not None and not placement.plain:
            self.daily_mean = placement.expected_residents() * np.array(rates) / 1000
            self.grid_cdfs = placement.grid_cdfs()
            self.positions = placement.positions
        intraday = np.array(scenario.arrivals.intraday, dtype=float)
        weekday = np.array(scenario.arrivals.weekday, dtype=float)
        self.intraday = intraday / intraday.mean() / HOURS_PER_DAY  # shapes rescaled to mean 1
        self.weekday = weekday / weekday.mean()
        shares = {str(channel): s for channel, s in scenario.arrivals.channels.items()}
        self.channel_cdf = np.cumsum([shares.get(ch, 0.0) for ch in CHANNELS])
        self.season = SeasonCalendar(scenario)
        names = [c.name for c in scenario.categories]
        self.surges = [
            (surge, np.array([surge.categories is None or n in surge.categories for n in names]))
            for surge in scenario.arrivals.surges
        ]
        self.prevent_draw = streams.uniform("arrivals/prevention")
        expected_per_day = float(self.daily_mean.sum())
        self.source: DaySource = self if source is None else source
        """Where each batch of days' events comes from: the drawn process, or a replayed log."""
        self.days_per_batch = int(
            np.clip(BATCH_APPEALS / max(expected_per_day, 1.0), 1, MAX_BATCH_DAYS)
        )
        """Days drawn in one batch: a small city draws several, to spread numpy's per-call cost."""

    def hourly_rates(self, day: int) -> np.ndarray:
        """Expected appeals per hour for ``day``: an array (24 hours, categories)."""
        date = self.start_date + dt.timedelta(days=day)
        daily = self.daily_mean * self.weekday[date.weekday()] * self.season.multipliers(date)
        rates = np.outer(self.intraday, daily)
        for surge, mask in self.surges:
            hours = day * HOURS_PER_DAY + np.arange(HOURS_PER_DAY) + 0.5
            inside = (hours >= surge.start_day * HOURS_PER_DAY) & (
                hours < surge.end_day * HOURS_PER_DAY
            )
            rates[np.ix_(inside, mask)] *= surge.multiplier
        return rates

    def draw_days(
        self, first: int, count: int
    ) -> tuple[list[float], list[int], list[int], list[int], list[int]]:
        """Times (hours since start), categories, grids, residents and channels of ``count``
        days."""
        rng = self.rng
        rates = np.concatenate([self.hourly_rates(day) for day in range(first, first + count)])
        counts = rng.poisson(rates)
        n = int(counts.sum())
        cells = counts.ravel()  # (hour, category) cells, hour-major
        hour_of_cell, category_of_cell = np.divmod(np.arange(cells.size), rates.shape[1])
        hours = np.repeat(hour_of_cell, cells)
        categories = np.repeat(category_of_cell, cells)
        times = first * HOURS_PER_DAY + hours + rng.random(n)
        order = np.argsort(times, kind="stable")
        times, categories = times[order], categories[order]
        assert self.grid_cdf is not None, "a city without residents draws no appeals"
        u_grid = rng.random(n)
        if self.grid_cdfs is None:
            grids = np.searchsorted(self.grid_cdf, u_grid, side="right")
        else:
            grids = _by_category(categories, u_grid, self.grid_cdfs)
        grids = np.minimum(grids, len(self.grid_population) - 1)
        u_resident = rng.random(n)
        if self.positions is not None:
            u_resident = _positions(categories, u_resident, self.positions)
        residents = self.resident_offset[grids] + (u_resident * self.grid_population[grids]).astype(
            np.int64
        )
        channels = np.searchsorted(self.channel_cdf, rng.random(n), side="right")
        channels = np.minimum(channels, len(CHANNELS) - 1)
        return (
            times.tolist(),
            categories.tolist(),
            grids.tolist(),
            residents.tolist(),
            channels.tolist(),
        )

    def start(self) -> None:
        """Schedule the first appeal; each appeal then schedules the next.

        A callback chain rather than a SimPy process: one event per appeal and no
        generator to resume, which is most of the cost of an arrival.
        """
        self._day = -1
        self._batch: tuple[list[float], list[int], list[int], list[int], list[int]] = (
            [],
            [],
            [],
            [],
            [],
        )
        """The drawn appeals not yet raised: times, categories, grids, residents, channels."""
        self._next = 0
        self._arrive_callback = self._arrive  # bound once, not per appeal
        self._later = next_later(self.env)  # one appeal pending at a time: beside the heap
        if self.grid_cdf is not None:
            self._schedule_next()

    def _arrive(self, _value: object) -> None:
        i = self._next
        self._next = following = i + 1  # (once: an int above 256 is a new object per addition)
        times, categories, grids, residents, channels = self._batch
        category, grid = categories[i], grids[i]
        # filter_prevention first: fixed for the run, and False when a mechanism filters
        if not (self.filter_prevention and self.controls.on and self._prevented(category, grid)):
            raise_event = self.raise_event  # a local name: cheaper than self.x() (performance.md)
            raise_event(category, grid, residents[i], channels[i])
        if following < len(times):  # the usual case, inlined: the batch's next appeal
            t = times[following]
            if t < self.horizon:
                call_next = self._later
                call_next(t - self.env._now, self._arrive_callback, None)  # noqa: SLF001
        else:
            self._schedule_next()

    def _schedule_next(self) -> None:
        """Schedule the next appeal, drawing the following days' appeals once a day's are used
        up."""
        times = self._batch[0]
        horizon = self.horizon
        while self._next >= len(times):
            first = self._day + 1
            if first * HOURS_PER_DAY >= horizon:
                return
            source = self.source
            count = min(source.days_per_batch, math.ceil(horizon / HOURS_PER_DAY) - first)
            self._batch = source.draw_days(first, count)
            self._day = first + count - 1
            self._next = 0
            times = self._batch[0]
        t = times[self._next]
        if t < horizon:
            self._later(t - self.env._now, self._arrive_callback, None)  # noqa: SLF001

    def _prevented(self, category: int, grid: int) -> bool:
        """Proactive governance removed this appeal before it arose (counted, not a case)."""
        controls = self.controls
        street = self.grid_street[grid]
        prevent_draw = self.prevent_draw  # a local name: cheaper than self.x() (performance.md)
        if prevent_draw() >= controls.prevention[category] * controls.street_prevention[street]:
            controls.prevented[category] += 1
            return True
        return False


def _by_category(categories: np.ndarray, u: np.ndarray, cdfs: np.ndarray) -> np.ndarray:
    """The grid of each event: its uniform draw ``u`` on its category's row of ``cdfs``."""
    grids = np.empty(len(u), dtype=np.int64)
    for c in np.unique(categories):
        mask = categories == c
        grids[mask] = np.searchsorted(cdfs[c], u[mask], side="right")
    return grids


def _positions(
    categories: np.ndarray, u: np.ndarray, positions: list[tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    """Each event's resident position in its grid: its uniform draw through its category's
    breakpoints (Placement.positions), kept below 1."""
    out = np.empty(len(u))
    for c in np.unique(categories):
        mask = categories == c
        cdf, position = positions[c]
        out[mask] = np.interp(u[mask], cdf, position)
    return np.minimum(out, np.nextafter(1.0, 0.0))


class SeasonCalendar:
    """Per-category multipliers of the recurring seasonal windows, by date."""

    def __init__(self, scenario: Scenario) -> None:
        self.names = [c.name for c in scenario.categories]
        self.seasons = scenario.arrivals.seasons
        self._cache: dict[tuple[int, int], np.ndarray] = {}

    def multipliers(self, date: dt.date) -> np.ndarray:
        key = (date.month, date.day)
        if key not in self._cache:
            mult = np.ones(len(self.names))
            for season in self.seasons:
                if in_window(key, season):
                    mask = [season.categories is None or n in season.categories for n in self.names]
                    mult[np.array(mask)] *= season.multiplier
            self._cache[key] = mult
        return self._cache[key]


def in_window(month_day: tuple[int, int], season: Season) -> bool:
    start = (int(season.start[:2]), int(season.start[3:]))
    end = (int(season.end[:2]), int(season.end[3:]))
    if start <= end:
        return start <= month_day <= end
    return month_day >= start or month_day <= end
