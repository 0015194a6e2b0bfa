"""One simulation run: build the city and its agents, wire them, run, check the ledger.

``Model`` is where everything is wired. It implements the two narrow interfaces the rest
of the engine talks through: :class:`~govsim.agents.flow.CaseFlow`, what the agents may
do with a case (create it, move it, hold it in transit, close it, let it be abandoned,
schedule a repeat appeal), and :class:`~govsim.policies.levers.Levers`, what a policy's
controller may pull (unit capacities, arrival prevention and detection, unit quality,
routing; listeners, the log, the league tables). Everything random comes from named
streams (:mod:`govsim.randomness`), so a seed fixes the run.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import simpy
from simpy.events import Timeout

from govsim.agents import Handlers, Hotline, Residents, VerificationCall
from govsim.agents.flow import Step
from govsim.agents.intake import CategoryRules, Intake
from govsim.calendar import Calendar
from govsim.case import Case
from govsim.codes import ABANDONED, CLOSED, TIERS
from govsim.controls import ArrivalControls, UnitQuality
from govsim.ledger import CaseLedger
from govsim.monitor import Monitor
from govsim.network.city import CityLayout, build_city
from govsim.policies import apply_policies, install_policies
from govsim.randomness import RandomStreams
from govsim.recorder import CaseCodec, CaseRecorder, MemoryCaseTable, ParquetCaseTable
from govsim.scenario.schema import Scenario
from govsim.servers import ServerPool
from govsim.tallies import AssessedUnits, RunStatistics

RankingRow = tuple[str, str, str, int, "float | None", str]
"""month, unit type, unit, rank (0 for the governance class), composite, group."""


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
    rankings: list[RankingRow]
    prevented: dict[str, int]
    """Appeals that proactive governance prevented, per category."""


class Model:
    """One run of ``scenario``: the city, its agents and the policies' controllers.

    ``seed`` overrides the scenario's own root seed; ``cases_file`` streams the case table
    to that parquet file instead of keeping it in memory.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int | np.random.SeedSequence | None = None,
        cases_file: str | Path | None = None,
    ) -> None:
        self.spec = scenario
        """The scenario as given (with its policies list): what the run's outputs record."""
        scenario = apply_policies(scenario)
        self.scenario = scenario
        """The scenario after the static policy changes: what the agents read."""
        self.horizon = scenario.days * 24.0
        self.env = simpy.Environment()
        self.streams = streams = RandomStreams(scenario.seed if seed is None else seed)
        self.layout = layout = build_city(scenario)
        self.calendar = Calendar(scenario.start_date, self.horizon)
        self.closed_by_tier = [0] * len(TIERS)
        urgency_names = list(scenario.urgency_classes)
        self.urgency_limits = [scenario.urgency_classes[u].limit_hours for u in urgency_names]
        departments = [d.name for d in scenario.departments]
        rules = [
            CategoryRules.of(c, urgency_names, scenario, departments) for c in scenario.categories
        ]
        grid_street = layout.grid_street().tolist()
        street_district = layout.street_district().tolist()
        self.recorder = self._recorder(cases_file, rules)
        self.ledger = ledger = CaseLedger(self.recorder.record)
        self.move = ledger.move  # CaseFlow.move, without a call in between

        # What policies move and agents read (govsim/controls.py), and the policies' records.
        self.arrivals = ArrivalControls(len(scenario.categories), len(layout.streets))
        self.quality = UnitQuality(len(layout.streets), len(layout.departments))
        self._on_create: list[Callable[[Case], None]] = []
        self._on_close: list[Callable[[Case], None]] = []
        self.policy_log: list[tuple[float, str]] = []
        self.rankings: list[RankingRow] = []

        # The agents, each with its own parameters, streams and this model as its CaseFlow.
        self.verification = VerificationCall(
            scenario.feedback, streams, self, self.quality, self.urgency_limits, self.horizon
        )
        self.handlers = Handlers(scenario, layout, streams, self, self.calendar)
        self.hotline = Hotline(scenario.hotline, streams, self, self.handlers.receive)
        self.intake = Intake(
            rules,
            grid_street,
            street_district,
            streams,
            self.env,
            self.arrivals,
            ledger,
            self._on_create,
            self.hotline,
            self.handlers,
        )
        self.new_case = self.intake.create  # CaseFlow.new_case
        self.residents = Residents(scenario, layout, streams, self, self.arrivals, self.horizon)
        tallies = {"hotline": self.hotline.pool.tally, **self.handlers.tallies}
        with_units = {pool.tier for pool in self.pools}
        self.monitor = Monitor(
            self.env,
            scenario.output.timeseries_interval_hours,
            ledger,
            self.closed_by_tier,
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
            self.urgency_limits,
            AssessedUnits(codec.departments, codec.streets),
        )
        table: MemoryCaseTable | ParquetCaseTable | None = None
        if scenario.output.cases_table:
            table = (
                MemoryCaseTable(codec)
                if cases_file is None
                else ParquetCaseTable(codec, cases_file)
            )
        return CaseRecorder(codec, statistics, table)

    @property
    def pools(self) -> list[ServerPool]:
        """Every unit's server pool: the hotline, then the handling units."""
        return [self.hotline.pool, *self.handlers.pools]

    # -- CaseFlow: what the agents may do with a case ----------------------------------------
    # new_case and move are bound in __init__ (the intake's create, the ledger's move).

    def close(self, case: Case, tier: int) -> None:
        """Steps 5 and 6: report back, close at ``tier`` (a TIERS code), and draw the
        verification call."""
        case.closed = self.env._now  # noqa: SLF001 - env.now, without the property call
        case.final_tier = tier
        self.closed_by_tier[tier] += 1
        self.verification.assess(case)
        for listener in self._on_close:
            listener(case)
        self.ledger.finish(case, CLOSED)

    def abandon(self, case: Case) -> None:
        """A caller hung up before an operator answered."""
        self.ledger.finish(case, ABANDONED)

    def hold(self, delay: float, step: Step, case: Case) -> None:
        """Hold ``case`` in transit for ``delay`` hours, then hand it to ``step``."""
        self.ledger.transit.add(case)
        Timeout(self.env, delay, (step, case)).callbacks.append(self._arrive)

    def _arrive(self, event: simpy.Event) -> None:
        step, case = event._value  # noqa: SLF001 - the pair we scheduled ourselves
        self.ledger.transit.discard(case)
        step(case)

    def appeal_again(self, delay: float, original: Case, channel: int) -> None:
        """The resident of ``original`` appeals again after ``delay`` hours (a repeat case)."""
        args = (original.category, original.grid, original.resident, channel, original.id)
        event = Timeout(self.env, delay)
        event.callbacks.append(lambda _event: self.new_case(*args))

    # -- Levers: what a policy's controller may pull ------------------------------------------
    def pools_of(self, tier: str) -> list[ServerPool]:
        return self.handlers.tier_pools()[tier]

    def unit_names(self, tier: str) -> list[str]:
        units = {
            "grid": self.layout.grids,
            "street": self.layout.streets,
            "district": self.layout.districts,
            "department": self.layout.departments,
        }
        return [u.name for u in units[tier]]

    def move_powers_down(self, category: int, powers: float) -> None:
        rules = self.intake.rules
        rules[category] = rules[category].with_powers_moved_down(powers)

    def on_create(self, listener: Callable[[Case], None]) -> None:
        self._on_create.append(listener)

    def on_close(self, listener: Callable[[Case], None]) -> None:
        self._on_close.append(listener)

    def log(self, text: str) -> None:
        self.policy_log.append((round(self.env.now, 6), text))

    def record_ranking(
        self, month: str, unit_type: str, unit: str, rank: int, composite: float | None, group: str
    ) -> None:
        self.rankings.append((month, unit_type, unit, rank, composite, group))

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
            self.ledger.close_book()
            self.recorder.finish()
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
    simulated days."""
    if not progress:
        env.run(until=horizon)
        return
    from tqdm.auto import tqdm

    days = int(np.ceil(horizon / 24))
    with tqdm(total=days, unit="day", desc=label, leave=False, disable=None) as bar:
        for day in range(1, days + 1):
            env.run(until=min(day * 24.0, horizon))
            bar.update(1)
