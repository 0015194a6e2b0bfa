"""A case log's appeals as the arrivals of a run (``arrivals.replay``), instead of drawn ones.

:class:`ReplayDays` is the residents' source of events in a replayed run: where they
would draw a day's appeals, they take the log's (:mod:`govsim.engine.agents.residents`). Only first
contacts are replayed (rows without ``repeat_of``): the model makes its own redials and
repeat appeals.

- ``exact``: every first contact at its logged time (hours since ``start_date``),
  category, street, grid and channel.
- ``bootstrap``: day ``d`` of the run takes all first contacts of a log day drawn at
  random with replacement (among log days of the same weekday, by default), at their
  times of day. Draws come from the named stream ``replay/bootstrap``, so the run's
  seed fixes them and replications differ.

Rows without a grid get one of their street drawn by population (``replay/grid``);
residents are drawn uniformly within the grid (``replay/resident``). Proactive
governance filters replayed appeals as it filters drawn ones (``arrivals/prevention``).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from govsim.core.codes import CHANNELS
from govsim.core.errors import UserInputError
from govsim.data.caselog import CaseLog, read_log
from govsim.data.places import place_codes
from govsim.network.city import CityLayout, build_city
from govsim.scenario.schema import Scenario

if TYPE_CHECKING:
    from govsim.core.randomness import RandomStreams

HOURS_PER_DAY = 24
NS_PER_HOUR = 3.6e12
SAME_TIME_GAP_HOURS = 1e-9
"""Between appeals logged at the same time (3.6 microseconds), so that times never tie."""
BATCH_APPEALS = 4096
MAX_BATCH_DAYS = 28
Batch = tuple[list[float], list[int], list[int], list[int], list[int]]
"""Times (hours), categories, grids, residents and channels of the appeals of some days."""


@functools.lru_cache(maxsize=2)
def _cached_log(path: str, mtime_ns: int, size: int) -> CaseLog:
    return read_log(path)


def load_replay_log(path: str | Path) -> CaseLog:
    """The validated log at ``path``, read once per process while the file is unchanged."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError("the case log to replay does not exist", source=str(path))
    stat = path.stat()
    return _cached_log(str(path), stat.st_mtime_ns, stat.st_size)


@dataclass(frozen=True)
class ReplayPlan:
    """A log's first contacts as the codes and hours of a scenario's run."""

    hours: np.ndarray
    """Hours since the scenario's start_date (sorted)."""
    since_log_start: np.ndarray
    """Hours since the midnight of the log's first day."""
    category: np.ndarray
    street: np.ndarray
    grid: np.ndarray
    """-1 where the log gives none."""
    channel: np.ndarray
    log_first_day: dt.date
    log_days: int


def plan_replay(scenario: Scenario, layout: CityLayout | None = None) -> ReplayPlan:
    """Read and check the log of ``scenario.arrivals.replay`` (raises UserInputError)."""
    spec = scenario.arrivals.replay
    assert spec is not None
    log = load_replay_log(spec.log)
    codes = place_codes(log, scenario, layout or build_city(scenario))
    frame = log.frame
    first = (
        frame["repeat_of"].isna().to_numpy() if "repeat_of" in frame else np.ones(len(frame), bool)
    )
    created = frame["created"].to_numpy()[first]
    start = np.datetime64(dt.datetime.combine(scenario.start_date, dt.time()), "ns")
    log_start, log_days = log.window()
    hours = (created - start).astype(np.int64) / NS_PER_HOUR
    horizon = scenario.days * HOURS_PER_DAY
    if spec.mode == "exact" and not ((hours >= 0) & (hours < horizon)).any():
        raise UserInputError(
            f"no appeal of the log falls within the run ({scenario.start_date} for "
            f"{scenario.days:g} days; the log starts {log_start.date()}): set start_date and "
            "days to the log's window",
            source=spec.log,
        )
    channel = pd.Categorical(frame["channel"].to_numpy()[first], categories=CHANNELS).codes
    return ReplayPlan(
        hours=hours,
        since_log_start=(created - log_start.to_datetime64().astype("datetime64[ns]")).astype(
            np.int64
        )
        / NS_PER_HOUR,
        category=codes.category[first],
        street=codes.street[first],
        grid=codes.grid[first],
        channel=channel.astype(np.int64),
        log_first_day=log_start.date(),
        log_days=log_days,
    )


_CHECKED: dict[tuple, bool] = {}


def check_replay(scenario: Scenario) -> None:
    """Refuse a scenario whose replayed log is bad or misses the run (``plan_replay``'s checks).

    Remembered per log file (path, size, modification time) and what the checks read of
    the scenario, so an experiment that loads the scenario once per run checks it once.
    """
    spec = scenario.arrivals.replay
    assert spec is not None
    stat = Path(spec.log).stat()
    key = (
        spec.log, stat.st_mtime_ns, stat.st_size, spec.mode, scenario.start_date, scenario.days,
        scenario.city.model_dump_json(), tuple(c.name for c in scenario.categories),
    )  # fmt: skip
    if key not in _CHECKED:
        plan_replay(scenario)
        _CHECKED[key] = True


class ReplayDays:
    """A log's first contacts, day by day, as the residents' events (see the module docstring).

    The source of :class:`govsim.engine.agents.residents.Residents` in a replayed run: the residents
    raise these events by their callback chain, as they raise drawn ones.
    """

    def __init__(
        self, scenario: Scenario, layout: CityLayout, streams: RandomStreams, horizon: float
    ) -> None:
        spec = scenario.arrivals.replay
        assert spec is not None
        self.spec = spec
        self.start_date = scenario.start_date
        self.layout = layout
        plan = plan_replay(scenario, layout)
        self.hours, self.category, self.street = plan.hours, plan.category, plan.street
        self.grid, self.channel, self.log_days = plan.grid, plan.channel, plan.log_days
        self.log_first_weekday = plan.log_first_day.weekday()
        self.rng_grid = streams.generator("replay/grid")
        self.rng_resident = streams.generator("replay/resident")
        self._street_grids = self._grids_by_street()
        self.days = math.ceil(horizon / HOURS_PER_DAY)
        if spec.mode == "exact":
            self.day_bounds = np.searchsorted(
                self.hours, np.arange(self.days + 1) * float(HOURS_PER_DAY)
            )
        else:
            self.day_of_log = self._draw_log_days(streams.generator("replay/bootstrap"))
            log_day = np.floor(plan.since_log_start / HOURS_PER_DAY).astype(np.int64)
            self.log_day_bounds = np.searchsorted(log_day, np.arange(self.log_days + 1))
            self.time_of_day = plan.since_log_start - log_day * HOURS_PER_DAY
        per_day = max(len(self.hours) / max(self.log_days, 1), 1.0)
        self.days_per_batch = int(np.clip(BATCH_APPEALS / per_day, 1, MAX_BATCH_DAYS))

    # -- what each day holds --------------------------------------------------------------
    def _draw_log_days(self, rng: np.random.Generator) -> np.ndarray:
        """For each day of the run, the log day (0-based) whose appeals it replays."""
        start = self.start_date
        log_weekday = (np.arange(self.log_days) + self.log_first_weekday) % 7
        chosen = np.empty(self.days, dtype=np.int64)
        u = rng.random(self.days)
        for day in range(self.days):
            if self.spec.match_weekday:
                pool = np.flatnonzero(log_weekday == (start + dt.timedelta(days=day)).weekday())
                if len(pool) == 0:  # a log shorter than a week: any day
                    pool = np.arange(self.log_days)
            else:
                pool = np.arange(self.log_days)
            chosen[day] = pool[min(int(u[day] * len(pool)), len(pool) - 1)]
        return chosen

    def rows_of_day(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the first contacts raised on ``day`` of the run, and their times (hours)."""
        if self.spec.mode == "exact":
            rows = np.arange(self.day_bounds[day], self.day_bounds[day + 1])
            return rows, self.hours[rows]
        source = self.day_of_log[day]
        rows = np.arange(self.log_day_bounds[source], self.log_day_bounds[source + 1])
        return rows, day * HOURS_PER_DAY + self.time_of_day[rows]

    def draw_days(self, first: int, count: int) -> Batch:
        """The appeals of days ``first`` .. ``first + count - 1`` of the run, in time order."""
        parts = [self.rows_of_day(day) for day in range(first, first + count)]
        rows = np.concatenate([p[0] for p in parts])
        times = np.concatenate([p[1] for p in parts])
        grids = self.grid[rows].copy()
        missing = np.flatnonzero(grids < 0)
        if len(missing):
            grids[missing] = self._draw_grids(self.street[rows[missing]])
        population = self.layout.grid_population()
        offset = np.concatenate([[0], np.cumsum(population)[:-1]])
        residents = offset[grids] + (
            self.rng_resident.random(len(rows)) * population[grids]
        ).astype(np.int64)
        # Appeals logged at the same time follow each other a few microseconds apart, so the
        # residents' chain never computes a negative delay from rounding.
        position = np.arange(len(times))
        tied = np.concatenate([[False], np.diff(times) <= 0])
        run_start = np.maximum.accumulate(np.where(tied, 0, position))
        times = times + (position - run_start) * SAME_TIME_GAP_HOURS
        return (
            times.tolist(),
            self.category[rows].tolist(),
            grids.tolist(),
            residents.tolist(),
            self.channel[rows].tolist(),
        )

    def _grids_by_street(self) -> list[tuple[np.ndarray, np.ndarray]]:
        layout = self.layout
        grid_street = layout.grid_street()
        population = layout.grid_population().astype(float)
        out = []
        for street in range(len(layout.streets)):
            grids = np.flatnonzero(grid_street == street)
            weights = population[grids] if population[grids].sum() > 0 else np.ones(len(grids))
            out.append((grids, np.cumsum(weights) / weights.sum()))
        return out

    def _draw_grids(self, streets: np.ndarray) -> np.ndarray:
        u = self.rng_grid.random(len(streets))
        out = np.empty(len(streets), dtype=np.int64)
        for street in np.unique(streets).tolist():
            rows = np.flatnonzero(streets == street)
            grids, cdf = self._street_grids[street]
            out[rows] = grids[
                np.minimum(np.searchsorted(cdf, u[rows], side="right"), len(grids) - 1)
            ]
        return out
