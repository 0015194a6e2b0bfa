"""One simulation run: build the city and its agents, run, check the ledger, collect results.

``Model`` is the shared context the agents talk through: it creates cases, moves them
through delays, and closes them. Everything random
comes from named streams (:mod:`govsim.randomness`), so a seed fixes the run.
"""

from __future__ import annotations

import gc
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import simpy
from simpy.events import Timeout

from govsim.agents import Handlers, Hotline, Residents, VerificationCall
from govsim.calendar import Calendar
from govsim.case import Case
from govsim.codes import CHANNELS, CLOSED, HOTLINE_CHANNEL, ONLINE_CHANNEL, PATROL_CHANNEL, TIERS
from govsim.ledger import CaseLedger
from govsim.monitor import Monitor
from govsim.network.city import CityLayout, build_city
from govsim.policies import apply_policies, install_policies
from govsim.randomness import RandomStreams
from govsim.recorder import CaseCodec, CaseRecorder, MemoryCaseTable, ParquetCaseTable
from govsim.scenario.schema import Category, Scenario
from govsim.servers import ServerPool
from govsim.tallies import AssessedUnits, RunStatistics


class CategoryRules(NamedTuple):
    """What a new case of one category is born with: codes, and the shares its decisions use."""

    urgency: int
    priority: int
    department: int
    """Owning department's index, -1 for none."""
    grid_cut: float
    """P(closable at the grid)."""
    street_cut: float
    """P(closable at the grid or the street)."""
    department_share: float
    """P(the order is routed to the department rather than the street)."""
    consultation_share: float

    @classmethod
    def of(
        cls, category: Category, urgencies: list[str], scenario: Scenario, departments: list[str]
    ) -> CategoryRules:
        closable = category.closable_at
        grid = closable.get("grid", 0.0)
        return cls(
            urgencies.index(category.urgency),
            scenario.urgency_classes[category.urgency].priority,
            departments.index(category.department) if category.department else -1,
            grid,
            grid + closable.get("street", 0.0),
            category.department_route_share,
            category.consultation_share,
        )


@dataclass
class RunState:
    """What a finished run leaves behind, before it is turned into tables."""

    scenario: Scenario
    layout: CityLayout
    ledger: CaseLedger
    recorder: CaseRecorder
    """Holds the run's statistics and, if kept in memory, its case table."""
    calendar: Calendar
    monitor: Monitor
    horizon: float
    wall_seconds: float
    """Of :meth:`Model.run`: the policies' set-up, the event loop, the ledger check and the last
    chunk."""
    utilisation: dict[str, float]
    """Busy over staffed server-hours per tier."""
    policy_log: list[tuple[float, str]]
    rankings: list[tuple]
    prevented: dict[str, int]
    """Appeals that proactive governance prevented, per category."""


class Model:
    def __init__(
        self,
        scenario: Scenario,
        seed: int | np.random.SeedSequence | None = None,
        cases_file: str | Path | None = None,
    ) -> None:
        """``cases_file``: stream the case table to this parquet file instead of keeping it in
        memory."""
        self.spec = scenario
        """The scenario as given (with its policies list): what the run's outputs record."""
        scenario = apply_policies(scenario)
        self.scenario = scenario
        """The scenario after the static policy changes: what the agents read."""
        self.horizon = scenario.days * 24.0
        self.env = simpy.Environment()
        self.streams = RandomStreams(scenario.seed if seed is None else seed)
        self.layout = build_city(scenario)
        self.closed_by_tier = [0] * len(TIERS)
        urgency_names = list(scenario.urgency_classes)
        self.urgency_limits = [scenario.urgency_classes[u].limit_hours for u in urgency_names]
        categories = scenario.categories
        departments = [d.name for d in scenario.departments]
        self.category_rules = [
            CategoryRules.of(c, urgency_names, scenario, departments) for c in categories
        ]
        """Per category: the codes and shares a new case reads (policies may replace an entry)."""
        self.grid_street = self.layout.grid_street().tolist()
        self.street_district = self.layout.street_district().tolist()
        self.calendar = Calendar(scenario.start_date, self.horizon)
        self.recorder = self._recorder(cases_file)
        self.ledger = CaseLedger(self.recorder)
        self.consult_draw = self.streams.uniform("decide/consultation")
        self.route_draw = self.streams.uniform("decide/route")
        self.tier_draw = self.streams.uniform("decide/needed_tier")
        self.patrol_draw = self.streams.uniform("arrivals/patrol_detection")

        n_categories, n_streets = len(categories), len(self.layout.streets)
        # Levers that policies pull during a run (see govsim/policies/).
        self.arrival_filters_on = False
        self.prevention = [1.0] * n_categories
        """Share of each category's appeals that still arise (proactive work lowers it)."""
        self.street_prevention = [1.0] * n_streets
        """Share of each street's appeals that still arise."""
        self.patrol_detection = [0.0] * n_categories
        """Probability that a grid patrol finds an issue before anyone reports it."""
        self.prevented = [0] * n_categories
        self.street_quality = [0.0] * n_streets
        """Added to the resolution probability of cases closed at the grid/street/district of a
        street.
        The callback reads it (and ``department_quality``) only once ``callback.quality_on`` is
        set: a policy that moves either sets the flag, as ``arrival_filters_on`` for prevention."""
        self.department_quality = [0.0] * len(scenario.departments)
        """Added to the resolution probability of cases closed by a department (see
        ``street_quality``)."""
        self.on_create: list[Callable[[Case], None]] = []
        self.on_close: list[Callable[[Case], None]] = []
        self._prevention_sources: dict[int, list[float]] = {}
        self.policy_log: list[tuple[float, str]] = []
        self.rankings: list[tuple] = []

        self.verification = VerificationCall(self)
        self.handlers = Handlers(self)
        self.hotline = Hotline(self)
        self.residents = Residents(self)
        self.monitor = Monitor(self)

    def _recorder(self, cases_file: str | Path | None) -> CaseRecorder:
        scenario, layout = self.scenario, self.layout
        codec = CaseCodec(
            categories=[c.name for c in scenario.categories],
            urgencies=list(scenario.urgency_classes),
            grids=[u.name for u in layout.grids],
            streets=[u.name for u in layout.streets],
            districts=[u.name for u in layout.districts],
            departments=[u.name for u in layout.departments],
            category_urgency=np.array([r.urgency for r in self.category_rules], dtype=np.int64),
            category_department=np.array(
                [r.department for r in self.category_rules], dtype=np.int64
            ),
            grid_street=np.array(self.grid_street, dtype=np.int64),
            street_district=np.array(self.street_district, dtype=np.int64),
        )
        statistics = RunStatistics(
            math.ceil(scenario.days),
            self.horizon,
            self.urgency_limits,
            AssessedUnits(codec.departments, codec.streets),
        )
        table = None
        if scenario.output.cases_table:
            table = (
                MemoryCaseTable(codec)
                if cases_file is None
                else ParquetCaseTable(codec, cases_file)
            )
        return CaseRecorder(codec, statistics, table)

    # -- levers for policies ----------------------------------------------------------------
    def set_prevention(self, source: object, factors: list[float]) -> None:
        """Set one source's per-category arrival factors; the model uses their product."""
        self._prevention_sources[id(source)] = factors
        self.arrival_filters_on = True
        product = [1.0] * len(self.prevention)
        for source_factors in self._prevention_sources.values():
            product = [a * b for a, b in zip(product, source_factors, strict=True)]
        self.prevention[:] = product

    def log_policy(self, text: str) -> None:
        self.policy_log.append((round(self.env.now, 6), text))

    @property
    def pools(self) -> list[ServerPool]:
        return [self.hotline.pool, *self.handlers.pools]

    # -- the life cycle --------------------------------------------------------------------
    def new_case(
        self, category: int, grid: int, resident: int, channel: int, repeat_of: int = -1
    ) -> None:
        """Step 1: an appeal is raised (or an issue found on patrol)."""
        urgency, priority, department, grid_cut, street_cut, route_share, consult_share = (
            self.category_rules[category]
        )
        street = self.grid_street[grid]
        ledger = self.ledger
        # Decisions are drawn for every case, whatever its path, so variants stay in step.
        u_tier = self.tier_draw()
        case = Case(
            ledger.created,
            resident,
            category,
            urgency,
            priority,
            channel,
            grid,
            street,
            self.street_district[street],
            self.env._now,  # noqa: SLF001 - env.now, without the property call
            repeat_of,
            department,
            0
            if u_tier < grid_cut
            else 1
            if u_tier < street_cut
            else 2,  # the tier that can close it
            self.route_draw() < route_share,  # routed to the department rather than the street
            self.consult_draw() < consult_share,
        )
        if self.arrival_filters_on:
            u_patrol = self.patrol_draw()
            if (
                channel != PATROL_CHANNEL
                and not case.consultation
                and u_patrol < self.patrol_detection[category]
            ):
                case.channel = channel = (
                    PATROL_CHANNEL  # a grid patrol found it before anyone called
                )
        ledger.create(case)
        for listener in self.on_create:
            listener(case)
        if channel == HOTLINE_CHANNEL:
            self.hotline.call(case)
        elif channel == ONLINE_CHANNEL:
            self.hotline.online(case)
        else:
            case.consultation = case.route_department = (
                False  # a patrol find is a problem, not a question
            )
            self.handlers.found_on_patrol(case)

    def close(self, case: Case, tier: int) -> None:
        """Steps 5 and 6: report back, close at ``tier`` (a TIERS code), and assess at the
        callback."""
        case.closed = self.env._now  # noqa: SLF001 - env.now, without the property call
        case.final_tier = tier
        self.closed_by_tier[tier] += 1
        self.verification.assess(case)
        for listener in self.on_close:
            listener(case)
        self.ledger.finish(case, CLOSED)

    # -- plumbing --------------------------------------------------------------------------
    def after(self, delay: float, step: Callable[[Case], None], case: Case) -> None:
        """Hold ``case`` in transit for ``delay`` hours, then hand it to ``step``."""
        self.ledger.transit.add(case)
        Timeout(self.env, delay, (step, case)).callbacks.append(self._arrive)

    def _arrive(self, event: Timeout) -> None:
        step, case = event._value  # noqa: SLF001 - the pair we scheduled ourselves
        self.ledger.transit.discard(case)
        step(case)

    def appeal_later(self, delay: float, original: Case, channel: str) -> None:
        """The resident of ``original`` appeals again after ``delay`` hours (a repeat case)."""
        args = (
            original.category,
            original.grid,
            original.resident,
            CHANNELS.index(channel),
            original.id,
        )
        event = Timeout(self.env, delay)
        event.callbacks.append(lambda _event: self.new_case(*args))

    # -- running ---------------------------------------------------------------------------
    def run(self, progress: bool = False) -> RunState:
        """Run to the horizon, check the ledger (raises :class:`LedgerError`), return the state."""
        env = self.env
        started = time.perf_counter()
        try:
            with cyclic_gc_paused():
                install_policies(self)
                self.residents.start()
                env.process(self.monitor.process())
                if self.hotline.shifts:
                    env.process(self.hotline.shift_plan())
                _run_with_progress(env, self.horizon, progress, self.scenario.name)
            if self.monitor.last_sample < self.horizon:
                self.monitor.sample()
            self.ledger.check(self.pools)
            self.recorder.finish(self.ledger.open.values())
        except BaseException:
            self.recorder.abort()  # no partial case table is left behind
            raise
        wall = time.perf_counter() - started
        return RunState(
            self.spec,
            self.layout,
            self.ledger,
            self.recorder,
            self.calendar,
            self.monitor,
            self.horizon,
            wall,
            self.utilisation(),
            self.policy_log,
            self.rankings,
            self.prevention_counts(),
        )

    def prevention_counts(self) -> dict[str, int]:
        return {
            c.name: n for c, n in zip(self.scenario.categories, self.prevented, strict=True) if n
        }

    def utilisation(self) -> dict[str, float]:
        busy: Counter[str] = Counter()
        staffed: Counter[str] = Counter()
        for pool in self.pools:
            pool.utilisation()  # brings the areas up to now
            busy[pool.tier] += pool.busy_area
            staffed[pool.tier] += pool.staff_area
        return {
            tier: busy[tier] / staffed[tier] if staffed[tier] else float("nan") for tier in staffed
        }


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Switch Python's cyclic garbage collector off while the simulation runs.

    A run allocates millions of short-lived objects (cases, events, rows), and reference
    counting frees each as soon as it is done with: the model makes no reference cycles
    while it runs (``tests/test_memory.py`` checks this with every policy on),
    so the collector's passes over the young objects find nothing to free. They still cost
    a fifth of a big city's run at Python's default threshold. The collector's previous
    state is restored afterwards, and the model's own cycles (agents point back to it) are
    collected as usual once the run is dropped.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run_with_progress(env: simpy.Environment, horizon: float, progress: bool, label: str) -> None:
    """Run ``env`` to ``horizon``; with ``progress``, a day at a time under a progress bar in
    simulated days (a log line every 10% when stderr is not a terminal)."""
    if not progress:
        env.run(until=horizon)
        return
    from govsim.progress import Progress

    days = int(np.ceil(horizon / 24))
    with Progress(days, unit="day", desc=label, leave=False) as bar:
        for day in range(1, days + 1):
            env.run(until=min(day * 24.0, horizon))
            bar.update(1)
