"""What a run will cost before it starts: cases, memory and time, and a refusal if too much.

The estimate reads the scenario only (it builds no city): expected appeals from the
arrival rates (with unequal places, over the residents and the grids' exposure), seasons
and surges over the horizon (plus one round of repeat appeals),
the units of the city, and the time-series samples. Memory and time per item were
measured on the development machine (``govsim run`` with ``/usr/bin/time``):

- about 150 MB for the interpreter and libraries;
- about 1 KB and 20 us per unit (grid, street, district, department) to build and hold;
- 112 bytes per assessed unit (street or department) and day, for the streaming tallies;
- about 1.4 KB and 6 us per time-series sample (every tier at once);
- about 300 bytes per appeal of the busiest day (a day's arrivals are drawn at once);
- 32 bytes per case for the time-to-close tallies behind the quantiles;
- about 500 bytes per open case, with a backlog assumed of 5 busiest days (assumed: the
  default time limit of a general case is 7 days);
- about 400 bytes per case when the case table is kept in memory (``govsim.simulate``
  without a file; ``govsim run`` streams it to disk);
- about 30 us per case (Beijing's year, 24 million contacts: under ten minutes).

A run is refused when its memory would exceed the memory available now, or its time a
week; an experiment when its runs in flight would exceed the memory, or all its runs a
month. ``GOVSIM_IGNORE_ESTIMATE=1`` runs anyway.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from govsim.core.errors import UserInputError
from govsim.scenario.schema import Scenario

IGNORE_VARIABLE = "GOVSIM_IGNORE_ESTIMATE"
BASE_BYTES = 150e6
UNIT_BYTES, UNIT_SECONDS = 1_000.0, 20e-6
UNIT_DAY_BYTES = 112.0
SAMPLE_BYTES, SAMPLE_SECONDS = 1_400.0, 6e-6
ARRIVAL_BYTES = 300.0
STATS_CASE_BYTES = 32.0
OPEN_CASE_BYTES, BACKLOG_DAYS = 500.0, 5
TABLE_CASE_BYTES = 400.0
CASE_SECONDS = 30e-6
MAX_RUN_SECONDS = 7 * 86_400
MAX_EXPERIMENT_SECONDS = 30 * 86_400


@dataclass(frozen=True)
class Estimate:
    """The expected size of one run."""

    cases: float
    busiest_day: float
    units: int
    samples: int
    memory_bytes: float
    seconds: float

    def describe(self) -> str:
        return (
            f"about {_count(self.cases)} cases ({_count(self.busiest_day)} on the busiest day), "
            f"{_count(self.units)} units, {_bytes(self.memory_bytes)} of memory and "
            f"{_duration(self.seconds)}"
        )


def estimate(scenario: Scenario, *, cases_in_memory: bool = False) -> Estimate:
    """The cases, memory and time of one run of ``scenario``.

    ``cases_in_memory``: the case table is kept in memory (``govsim.simulate`` without a
    file) rather than streamed to disk.
    """
    daily = expected_daily_appeals(scenario) * (1 + scenario.feedback.repeat_probability)
    cases = float(daily.sum())
    busiest = float(daily.max()) if len(daily) else 0.0
    streets, units = _units(scenario)
    assessed = streets + len(scenario.departments) + 1
    days = math.ceil(scenario.days)
    samples = math.ceil(scenario.days * 24 / scenario.output.timeseries_interval_hours) + 1
    memory = (
        BASE_BYTES
        + UNIT_BYTES * units
        + UNIT_DAY_BYTES * assessed * days
        + SAMPLE_BYTES * samples
        + ARRIVAL_BYTES * busiest
        + STATS_CASE_BYTES * cases
        + OPEN_CASE_BYTES * busiest * BACKLOG_DAYS
    )
    if cases_in_memory and scenario.output.cases_table:
        memory += TABLE_CASE_BYTES * cases
    seconds = 1.0 + CASE_SECONDS * cases + UNIT_SECONDS * units + SAMPLE_SECONDS * samples
    return Estimate(cases, busiest, units, samples, memory, seconds)


def expected_daily_appeals(scenario: Scenario) -> np.ndarray:
    """Expected appeals per simulated day (first appeals, before repeats)."""
    from govsim.engine.agents.residents import SeasonCalendar

    residents = _resident_equivalents(scenario)
    daily_mean = np.array([c.rate for c in scenario.categories]) * residents / 1000
    weekday = np.asarray(scenario.arrivals.weekday, dtype=float)
    weekday = weekday / weekday.mean()
    seasons = SeasonCalendar(scenario)
    names = [c.name for c in scenario.categories]
    surges = [
        (s, np.array([s.categories is None or n in s.categories for n in names]))
        for s in scenario.arrivals.surges
    ]
    days = math.ceil(scenario.days)
    out = np.empty(days)
    for day in range(days):
        date = scenario.start_date + dt.timedelta(days=day)
        rates = daily_mean * weekday[date.weekday()] * seasons.multipliers(date)
        for surge, mask in surges:
            inside = max(0.0, min(day + 1, surge.end_day) - max(day, surge.start_day))
            rates = np.where(mask, rates * (1 + (surge.multiplier - 1) * inside), rates)
        share = min(1.0, scenario.days - day)  # the last day may be part of a day
        out[day] = float(rates.sum()) * share
    return out


def _population(scenario: Scenario) -> int:
    city = scenario.city
    if city.synthetic is not None:
        return city.synthetic.population
    return sum(g.population for d in city.districts or [] for s in d.streets for g in s.grids)


def _resident_equivalents(scenario: Scenario) -> np.ndarray:
    """Per category, the residents its events are drawn for: the population, and with unequal
    places (``places``) each grid kind's exposure, times the largest multipliers that can apply
    (an upper bound: old compounds' as if every residential grid were old)."""
    population = float(_population(scenario))
    places = scenario.places
    if not places.enabled:
        return np.full(len(scenario.categories), population)
    grids = _grids_by_kind(scenario)
    residential = [kind for kind in ("community", "village") if grids.get(kind)]
    out = []
    for category in scenario.categories:
        name = category.name
        old = max(1.0, places.old_compounds.rates.get(name, 1.0))
        kinds: dict[str, float] = {k: spec.rates.get(name, 1.0) for k, spec in places.kinds.items()}
        total = population * old * max((kinds.get(k, 1.0) for k in residential), default=1.0)
        for kind, spec in places.kinds.items():
            boost = old if kind in residential else 1.0
            total += spec.exposure * grids.get(kind, 0) * kinds[kind] * boost
        out.append(total)
    return np.array(out)


def _grids_by_kind(scenario: Scenario) -> dict[str, int]:
    city = scenario.city
    if city.synthetic is not None:
        kinds = city.synthetic.grid_kinds or {"community": city.synthetic.grids}
        return {str(kind): n for kind, n in kinds.items()}
    counts: dict[str, int] = {}
    for grid in (g for d in city.districts or [] for s in d.streets for g in s.grids):
        counts[grid.kind] = counts.get(grid.kind, 0) + 1
    return counts


def _units(scenario: Scenario) -> tuple[int, int]:
    """Streets, and all units (grids, streets, districts, departments) of the city."""
    city = scenario.city
    if city.synthetic is not None:
        s = city.synthetic
        return s.streets, s.grids + s.streets + s.districts + len(scenario.departments)
    districts = city.districts or []
    streets = sum(len(d.streets) for d in districts)
    grids = sum(len(s.grids) for d in districts for s in d.streets)
    return streets, grids + streets + len(districts) + len(scenario.departments)


def available_memory() -> float | None:
    """Memory available to a new process now (bytes), None if the system does not say: the
    system's available memory, or less if a container's memory limit (cgroup) leaves less."""
    found = [m for m in (_system_available(), _cgroup_available()) if m is not None]
    return min(found) if found else None


def _system_available() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


CGROUP_FILES = (
    ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # cgroup v2
    (
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
        "/sys/fs/cgroup/memory/memory.usage_in_bytes",
    ),  # cgroup v1
)


def _cgroup_available() -> float | None:
    for limit_file, usage_file in CGROUP_FILES:
        try:
            limit = Path(limit_file).read_text().strip()
            usage = float(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit == "max" or float(limit) >= 2**60:  # no limit
            return None
        return max(float(limit) - usage, 0.0)
    return None


def ignored() -> bool:
    return os.environ.get(IGNORE_VARIABLE, "").strip() not in ("", "0")


def check_run(scenario: Scenario, source: str, *, cases_in_memory: bool = False) -> Estimate:
    """Refuse a run that would not fit the machine (a :class:`UserInputError` with the
    estimate); return the estimate otherwise."""
    found = estimate(scenario, cases_in_memory=cases_in_memory)
    if ignored():
        return found
    memory = available_memory()
    too_much = None
    if memory is not None and found.memory_bytes > memory:
        too_much = f"more memory than the {_bytes(memory)} available"
    elif found.seconds > MAX_RUN_SECONDS:
        too_much = "more than a week"
    if too_much:
        raise UserInputError(
            f"this run would take {too_much}: {found.describe()} (check the rates, population, "
            f"days and city size; set {IGNORE_VARIABLE}=1 to run anyway)",
            source=source,
        )
    return found


def check_experiment(
    estimates: list[Estimate], runs: int, workers: int, source: str
) -> tuple[float, float]:
    """Refuse an experiment whose runs in flight would not fit in memory, or whose runs
    would take more than a month; return (peak memory, wall seconds)."""
    if not estimates:
        return 0.0, 0.0
    per_run = max(e.memory_bytes for e in estimates)
    in_flight = per_run + (per_run - BASE_BYTES) * (max(workers, 1) - 1)
    seconds = runs * float(np.mean([e.seconds for e in estimates])) / max(workers, 1)
    if ignored():
        return in_flight, seconds
    memory = available_memory()
    too_much = None
    if memory is not None and in_flight > memory:
        too_much = (
            f"{_bytes(in_flight)} of memory with {workers} runs at once, more than the "
            f"{_bytes(memory)} available (use fewer --workers)"
        )
    elif seconds > MAX_EXPERIMENT_SECONDS:
        too_much = f"{_duration(seconds)} for {runs:,} runs on {workers} workers, over a month"
    if too_much:
        biggest = max(estimates, key=lambda e: e.memory_bytes)
        raise UserInputError(
            f"this experiment would take {too_much}; its biggest run: {biggest.describe()} "
            f"(set {IGNORE_VARIABLE}=1 to run anyway)",
            source=source,
        )
    return in_flight, seconds


def _count(n: float) -> str:
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if n >= size:
            return f"{n / size:,.1f} {word}"
    return f"{n:,.0f}"


def _bytes(n: float) -> str:
    for size, unit in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB")):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n / 1024:,.0f} KiB"


def _duration(seconds: float) -> str:
    for size, unit in ((86_400 * 365, "years"), (86_400, "days"), (3_600, "hours"), (60, "min")):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:,.0f} s"
