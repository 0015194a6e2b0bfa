"""One simulation run: build the city and its agents, install the mechanisms, run, check.

:class:`Run` assembles a run and runs it. It names no mechanism: it is given them
(:mod:`govsim.engine.mechanism`, built by :func:`govsim.mechanisms.build`), and each installs
its hooks once, when the run is assembled. The rest of the engine talks through two narrow
interfaces, each implemented in its own module: the agents through
:class:`~govsim.engine.agents.flow.CaseFlow` (:class:`~govsim.engine.life_cycle.LifeCycle`:
create a case, move it, hold it in transit, close it, let it be abandoned, a repeat
appeal), the policies' controllers through :class:`~govsim.policies.levers.Levers`
(:class:`~govsim.engine.run_levers.RunLevers`: unit capacities, arrival prevention and
detection, unit quality, routing; listeners, the log, the league tables). Everything random
comes from named streams (:mod:`govsim.core.randomness`), so a seed fixes the run.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from govsim.core.calendar import Calendar
from govsim.core.controls import ArrivalControls, SelfGovernance, UnitQuality, WhistleEffort
from govsim.core.event_queue import BucketedEnvironment, window_width
from govsim.core.randomness import RandomStreams
from govsim.core.servers import ServerPool
from govsim.engine.agents import Handlers, Hotline, Residents, VerificationCall
from govsim.engine.agents.intake import CategoryRules, Intake
from govsim.engine.agents.placement import Placement
from govsim.engine.agents.residents import DaySource
from govsim.engine.ledger import CaseLedger
from govsim.engine.life_cycle import LifeCycle
from govsim.engine.mechanism import Mechanism, named
from govsim.engine.monitor import Monitor
from govsim.engine.place_tallies import PlaceTallies, place_names
from govsim.engine.recording.cases import CaseCodec, CaseRecorder
from govsim.engine.recording.tables import Columns, open_table
from govsim.engine.run_levers import RankingRow, RunLevers
from govsim.engine.statistics import AssessedUnits, RunStatistics
from govsim.network.city import CityLayout, build_city
from govsim.policies import apply_policies, install_policies
from govsim.scenario.schema import Scenario


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
    """Of :meth:`Run.run`: the policies' set-up, the event loop, the ledger check and the last
    chunk."""
    utilisation: dict[str, float]
    """Busy over staffed server-hours per tier."""
    policy_log: list[tuple[float, str]]
    rankings: list[RankingRow]
    prevented: dict[str, int]
    """Appeals (or, where a mechanism raises the residents' events, those events) that
    proactive governance prevented, per category."""
    mechanisms: tuple[Mechanism, ...] = ()
    """The run's mechanisms, in their order of installation: their summary blocks and tables."""
    policy_costs: dict[str, dict[str, float]] | None = None
    """Staff-hours and yuan each policy spent."""
    ranking_extra: tuple[str, ...] = ()
    """The names of the rankings' extra columns (after the backlog's, if any)."""
    movers: list[dict[str, object]] | None = None
    """The people policies moved (resource sinking with its people), one record each."""


RaiseEvent = Callable[[int, int, int, int], None]
"""An event of the residents' arrival process: (category, grid, resident, channel)."""


class Run:
    """One run of ``scenario``: the city, its agents, its mechanisms and the policies' controllers.

    ``seed`` overrides the scenario's own root seed; ``cases_file`` streams the case table to
    that parquet file instead of keeping it in memory, and ``table_files`` a mechanism's
    table likewise (by the table's name). ``mechanisms`` are installed in their order (see
    :mod:`govsim.engine.mechanism`; :func:`govsim.mechanisms.build` gives a scenario's).

    The agents reach the ledger through :attr:`flow` (:class:`LifeCycle`), the policies the
    run through :attr:`levers` (:class:`RunLevers`); the other attributes are the assembled
    parts a mechanism may wire itself to while it installs.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int | np.random.SeedSequence | None = None,
        cases_file: str | Path | None = None,
        table_files: Mapping[str, str | Path] | None = None,
        mechanisms: Sequence[Mechanism] = (),
    ) -> None:
        self.spec = scenario
        """The scenario as given (with its policies list): what the run's outputs record."""
        scenario = apply_policies(scenario)
        self.scenario = scenario
        """The scenario after the static policy changes: what the agents read."""
        self.horizon = scenario.days * 24.0
        env = BucketedEnvironment()
        self.env: simpy.Environment = env
        self.streams = streams = RandomStreams(scenario.seed if seed is None else seed)
        self.layout = layout = build_city(scenario)
        self.calendar = Calendar(scenario.start_date, self.horizon)
        self.table_files = dict(table_files or {})
        self.category_limits = scenario.category_limits()
        urgency_names = list(scenario.urgency_classes)
        departments = [d.name for d in scenario.departments]
        rules = [
            CategoryRules.of(c, urgency_names, scenario, departments) for c in scenario.categories
        ]
        self.recorder = self._recorder(cases_file, rules)
        self.ledger = ledger = CaseLedger(self.recorder.record)
        self.flow = flow = LifeCycle(env, ledger)

        # What policies move and agents read (govsim/core/controls.py).
        self.arrivals = ArrivalControls(len(scenario.categories), len(layout.streets))
        self.quality = UnitQuality(len(layout.streets), len(layout.departments))
        self.whistle_effort = WhistleEffort(len(layout.streets), len(layout.departments))
        self.self_governance = SelfGovernance(len(layout.grids), len(scenario.categories))

        # The agents, each with its own parameters, streams and the run's life cycle.
        self.verification = VerificationCall(
            scenario.feedback, streams, flow, self.quality, self.category_limits, self.horizon
        )
        self.handlers = Handlers(
            scenario, layout, streams, flow, self.calendar, self.whistle_effort
        )
        self.hotline = Hotline(scenario.hotline, streams, flow, self.handlers.receive)
        self.intake = Intake(
            rules,
            layout.grid_street().tolist(),
            layout.street_district().tolist(),
            streams,
            env,
            self.arrivals,
            ledger,
            [],
            self.hotline,
            self.handlers,
        )
        flow.new_case = self.intake.create
        flow.verification = self.verification
        flow.hotline_pool = self.hotline.pool
        flow.handlers = self.handlers

        # The mechanisms install their hooks (govsim/engine/mechanism.py), once.
        self._raise_event: RaiseEvent = self.intake.create
        self._event_rates = [c.rate for c in scenario.categories]
        self._residents_prevent = True
        self.placement = Placement(len(scenario.categories), layout.grid_population())
        self.mechanisms = tuple(mechanisms)
        for mechanism in self.mechanisms:
            mechanism.install(self)

        self.levers = RunLevers(
            env,
            scenario,
            self.calendar,
            self.category_limits,
            layout,
            self.arrivals,
            self.quality,
            self.whistle_effort,
            self.handlers,
            self.intake,
            flow.on_close,
            self.mechanisms,
        )
        self.residents = Residents(
            scenario,
            layout,
            streams,
            env,
            self.arrivals,
            self.horizon,
            self._raise_event,
            self._event_rates,
            prevent=self._residents_prevent,
            placement=self.placement,
            source=None
            if scenario.arrivals.replay is None
            else _replay(scenario, layout, streams, self.horizon),
        )
        # The event queue's windows, from the expected appeals (about 3.5 events a case).
        env.set_width(window_width(3.5 * float(self.residents.daily_mean.sum()) / 24.0))
        tallies = {"hotline": self.hotline.pool.tally, **self.handlers.tallies}
        with_units = {pool.tier for pool in self.pools}
        self.monitor = Monitor(
            env,
            scenario.output.timeseries_interval_hours,
            ledger,
            flow.closed_by_tier,
            {tier: tally for tier, tally in tallies.items() if tier in with_units},
        )

    def _recorder(self, cases_file: str | Path | None, rules: list[CategoryRules]) -> CaseRecorder:
        scenario, layout = self.scenario, self.layout
        codec = CaseCodec(
            categories=[c.name for c in scenario.categories],
            urgencies=list(scenario.urgency_classes),
            grids=[u.name for u in layout.grids],
            streets=[u.name for u in layout.streets],
            districts=[u.name for u in layout.districts],
            departments=[u.name for u in layout.departments],
            category_urgency=np.array([r.urgency for r in rules], dtype=np.int64),
            category_department=np.array([r.department for r in rules], dtype=np.int64),
            grid_street=layout.grid_street(),
            street_district=layout.street_district(),
        )
        statistics = RunStatistics(
            math.ceil(scenario.days),
            self.horizon,
            self.category_limits,
            AssessedUnits(codec.departments, codec.streets),
            [bool(c.joint_departments) for c in scenario.categories],
            PlaceTallies(math.ceil(scenario.days), place_names(layout)),
        )
        table = open_table(codec, "case", cases_file) if scenario.output.cases_table else None
        self.case_codec = codec
        return CaseRecorder(codec, statistics, table)

    @property
    def pools(self) -> list[ServerPool]:
        """Every unit's server pool: the hotline, then the handling units."""
        return [self.hotline.pool, *self.handlers.pools]

    # -- what a mechanism may call while it installs itself -----------------------------------
    def route_arrivals(self, raise_event: RaiseEvent, rates: list[float], filtered: bool) -> None:
        """The residents' events go to ``raise_event`` at ``rates`` (per 1,000 residents per
        day, by category) instead of becoming cases at the categories' own rates; with
        ``filtered``, ``raise_event`` applies proactive prevention itself. One mechanism per
        run may take the arrivals."""
        if self._raise_event != self.intake.create:
            raise ValueError("two mechanisms take the residents' events: one may")
        self._raise_event = raise_event
        self._event_rates = rates
        self._residents_prevent = not filtered

    def table_file(self, name: str) -> Path | None:
        """Where the table ``name`` is streamed (None: kept in memory)."""
        path = self.table_files.get(name)
        return None if path is None else Path(path)

    def case_column(self, name: str, make: Callable[[Columns], Any]) -> None:
        """Add the column ``name`` to the cases table, made by ``make`` from each chunk's
        columns (the record's fields, ``street`` and ``district``) as the table is written."""
        self.case_codec.extra[name] = make

    def mechanism(self, name: str) -> Mechanism | None:
        """The run's mechanism called ``name``, or None."""
        return named(self.mechanisms, name)

    # -- running ---------------------------------------------------------------------------
    def run(self, progress: bool = False) -> RunState:
        """Run to the horizon, check the ledgers (raises :class:`LedgerError`), return the state."""
        env = self.env
        started = time.perf_counter()
        try:
            with cyclic_gc_paused():
                install_policies(self.levers)
                self.residents.start()
                env.process(self.monitor.process())
                if self.hotline.shifts:
                    env.process(self.hotline.shift_plan())
                _run_with_progress(env, self.horizon, progress, self.scenario.name)
            if self.monitor.last_sample < self.horizon:
                self.monitor.sample()
            self.ledger.check([*self.pools, *self.handlers.extra_pools])
            for mechanism in self.mechanisms:
                mechanism.check(self)
            self.ledger.close_book()
            for mechanism in self.mechanisms:
                mechanism.close_book()
            self.recorder.finish()
            for mechanism in self.mechanisms:
                mechanism.finish()
        except BaseException:
            self.recorder.abort()  # no partial table is left behind
            for mechanism in self.mechanisms:
                mechanism.abort()
            raise
        wall = time.perf_counter() - started
        levers = self.levers
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
            levers.policy_log,
            levers.rankings,
            self.prevention_counts(),
            self.mechanisms,
            levers.policy_costs,
            levers.ranking_extra,
            levers.movers,
        )

    def prevention_counts(self) -> dict[str, int]:
        return {
            c.name: n
            for c, n in zip(self.scenario.categories, self.arrivals.prevented, strict=True)
            if n
        }

    def utilisation(self) -> dict[str, float]:
        busy: dict[str, float] = {}
        staffed: dict[str, float] = {}
        for pool in self.pools:
            pool.utilisation()  # brings the areas up to now
            busy[pool.tier] = busy.get(pool.tier, 0.0) + pool.busy_area
            staffed[pool.tier] = staffed.get(pool.tier, 0.0) + pool.staff_area
        return {
            tier: busy[tier] / staffed[tier] if staffed[tier] else float("nan") for tier in staffed
        }


def _replay(
    scenario: Scenario, layout: CityLayout, streams: RandomStreams, horizon: float
) -> DaySource:
    """The events of ``arrivals.replay``: a case log's appeals instead of drawn ones."""
    from govsim.data.replay import ReplayDays  # reads the log: only when one is replayed

    return ReplayDays(scenario, layout, streams, horizon)


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Switch Python's cyclic garbage collector off while the simulation runs.

    A run allocates millions of short-lived objects (cases, events, rows), and reference
    counting frees each as soon as it is done with: the model makes no reference cycles
    while it runs (``tests/test_memory.py`` checks this with every policy on),
    so the collector's passes over the young objects find nothing to free. They still cost
    a fifth of a big city's run at Python's default threshold. The collector's previous
    state is restored afterwards, and the run's own cycles (agents point back to it) are
    collected as usual once the run is dropped.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            # What the run left alive (open cases, a mechanism's open records, pending events)
            # would all be "young" to the collector: its first pass after gc.enable() would
            # scan every one of them, for nothing, at a cost that grows with the backlog. Move
            # them to the oldest generation first, as if they had survived the skipped passes.
            if gc.get_freeze_count() == 0:  # (unless the caller froze objects of their own)
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def _run_with_progress(env: simpy.Environment, horizon: float, progress: bool, label: str) -> None:
    """Run ``env`` to ``horizon``; with ``progress``, a day at a time under a progress bar in
    simulated days (a log line every 10% when stderr is not a terminal)."""
    if not progress:
        env.run(until=horizon)
        return
    from govsim.core.progress import Progress

    days = int(np.ceil(horizon / 24))
    with Progress(days, unit="day", desc=label, leave=False) as bar:
        for day in range(1, days + 1):
            env.run(until=min(day * 24.0, horizon))
            bar.update(1)
