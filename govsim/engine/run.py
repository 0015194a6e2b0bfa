"""One simulation run: build the city and its agents, wire them, run, check the ledger.

``Model`` is where everything is wired. It implements the two narrow interfaces the rest
of the engine talks through: :class:`~govsim.engine.agents.flow.CaseFlow`, what the agents may
do with a case (create it, move it, hold it in transit, close it, let it be abandoned,
schedule a repeat appeal), and :class:`~govsim.policies.levers.Levers`, what a policy's
controller may pull (unit capacities, arrival prevention and detection, unit quality,
routing; listeners, the log, the league tables). Everything random comes from named
streams (:mod:`govsim.core.randomness`), so a seed fixes the run.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy
from simpy.events import Timeout

from govsim.core.calendar import Calendar
from govsim.core.case import Case
from govsim.core.codes import ABANDONED, CLOSED, OPEN, STAGE, TIERS
from govsim.core.controls import ArrivalControls, SelfGovernance, UnitQuality, WhistleEffort
from govsim.core.parameters import Distribution
from govsim.core.randomness import RandomStreams
from govsim.core.servers import ServerPool
from govsim.engine.agents import Handlers, Hotline, Residents, VerificationCall
from govsim.engine.agents.flow import Step
from govsim.engine.agents.intake import CategoryRules, Intake
from govsim.engine.agents.residents import DaySource
from govsim.engine.ledger import CaseLedger
from govsim.engine.monitor import Monitor
from govsim.engine.recording.cases import CaseCodec, CaseRecorder
from govsim.engine.recording.tables import open_table
from govsim.engine.statistics import AssessedUnits, RunStatistics
from govsim.mechanisms.problems.ledger import ProblemLedger
from govsim.mechanisms.problems.recording import ProblemCodec, ProblemRecorder
from govsim.mechanisms.problems.stock import ProblemStock
from govsim.mechanisms.problems.tallies import ProblemTallies
from govsim.network.city import CityLayout, build_city
from govsim.policies import apply_policies, install_policies
from govsim.scenario.schema import Scenario

STAGE_HOTLINE, STAGE_GRID, STAGE_STREET, STAGE_DISTRICT = (
    STAGE[s] for s in ("hotline", "grid", "street", "district")
)
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
    """Appeals (problems, in a run with problems) that proactive governance prevented, per
    category."""
    problem_recorder: ProblemRecorder | None = None
    """The problems' tallies and table (runs with ``problems.enabled``), else None."""
    policy_costs: dict[str, dict[str, float]] | None = None
    """Staff-hours and yuan each policy spent."""


class Model:
    """One run of ``scenario``: the city, its agents and the policies' controllers.

    ``seed`` overrides the scenario's own root seed; ``cases_file`` (and ``problems_file``)
    stream the case (and problem) table to that parquet file instead of keeping it in memory.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int | np.random.SeedSequence | None = None,
        cases_file: str | Path | None = None,
        problems_file: str | Path | None = None,
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
        self.category_limits = scenario.category_limits()
        departments = [d.name for d in scenario.departments]
        rules = [
            CategoryRules.of(c, urgency_names, scenario, departments) for c in scenario.categories
        ]
        event_rates = [c.rate for c in scenario.categories]
        if scenario.problems.enabled:
            event_rates, rules = problem_event_rates(scenario, rules)
        grid_street = layout.grid_street().tolist()
        street_district = layout.street_district().tolist()
        self.recorder = self._recorder(cases_file, rules)
        self.ledger = ledger = CaseLedger(self.recorder.record)
        self.move = ledger.move  # CaseFlow.move, without a call in between

        # What policies move and agents read (govsim/core/controls.py), and the policies' records.
        self.arrivals = ArrivalControls(len(scenario.categories), len(layout.streets))
        self.quality = UnitQuality(len(layout.streets), len(layout.departments))
        self.whistle_effort = WhistleEffort(len(layout.streets), len(layout.departments))
        self._on_create: list[Callable[[Case], None]] = []
        self._on_close: list[Callable[[Case], None]] = []
        self.policy_log: list[tuple[float, str]] = []
        self.rankings: list[RankingRow] = []
        self.policy_costs: dict[str, dict[str, float]] = {}

        # The agents, each with its own parameters, streams and this model as its CaseFlow.
        self.verification = VerificationCall(
            scenario.feedback,
            streams,
            self,
            self.quality,
            self.category_limits,
            self.horizon,
            scenario.problems.resolved_if_not_fixed,
            _str_keys(scenario.problems.resolved_if_fixed),
        )
        self.handlers = Handlers(
            scenario, layout, streams, self, self.calendar, self.whistle_effort
        )
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
        self.self_governance = SelfGovernance(len(layout.grids), len(scenario.categories))
        self.problem_recorder: ProblemRecorder | None = None
        self.problems: ProblemStock | None = None
        self.problem_ledger = ProblemLedger()
        raise_event: Callable[[int, int, int, int], None] = self.new_case
        if scenario.problems.enabled:
            self.problem_recorder = self._problem_recorder(problems_file)
            self.problem_ledger = ProblemLedger(self.problem_recorder.record)
            self.problems = ProblemStock(
                scenario,
                layout,
                streams,
                self.env,
                self.intake,
                self.handlers,
                self.arrivals,
                self.quality,
                self.self_governance,
                self.problem_ledger,
                self.merge,
            )
            raise_event = self.problems.arise
        self.residents = Residents(
            scenario,
            layout,
            streams,
            self.env,
            self.arrivals,
            self.horizon,
            raise_event,
            event_rates,
            prevent=self.problems is None,
            source=None
            if scenario.arrivals.replay is None
            else _replay(scenario, layout, streams, self.horizon),
        )
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
            self.category_limits,
            AssessedUnits(codec.departments, codec.streets),
            [bool(c.joint_departments) for c in scenario.categories],
        )
        table = open_table(codec, "case", cases_file) if scenario.output.cases_table else None
        return CaseRecorder(codec, statistics, table)

    def _problem_recorder(self, problems_file: str | Path | None) -> ProblemRecorder:
        scenario, layout = self.scenario, self.layout
        codec = ProblemCodec(
            categories=[c.name for c in scenario.categories],
            grids=[u.name for u in layout.grids],
            streets=[u.name for u in layout.streets],
            districts=[u.name for u in layout.districts],
            scopes=list(scenario.problems.scopes),
            grid_street=layout.grid_street(),
            street_district=layout.street_district(),
        )
        table = open_table(codec, "problem", problems_file) if scenario.output.cases_table else None
        return ProblemRecorder(codec, ProblemTallies(math.ceil(scenario.days)), table)

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
        if case.problem is not None:
            assert self.problems is not None
            self.problems.closed(case, tier)  # did the handling really fix it?
        self.verification.assess(case)
        for listener in self._on_close:
            listener(case)
        self.ledger.finish(case, CLOSED)

    def abandon(self, case: Case) -> None:
        """A caller hung up before an operator answered."""
        self.ledger.finish(case, ABANDONED)
        problem = case.problem
        if problem is not None:
            problem.cases.remove(case)
            self.problem_ledger.settle(problem)

    def hold(self, delay: float, step: Step, case: Case) -> None:
        """Hold ``case`` in transit for ``delay`` hours, then hand it to ``step``."""
        self.ledger.transit.add(case)
        Timeout(self.env, delay, (step, case)).callbacks.append(self._arrive)

    def _arrive(self, event: simpy.Event) -> None:
        step, case = event._value  # noqa: SLF001 - the pair we scheduled ourselves
        if case.status != OPEN:
            return  # closed in transit: its problem was fixed meanwhile (merged handling)
        self.ledger.transit.discard(case)
        step(case)

    def start_joint(self, case: Case) -> None:
        """``case`` is now handled jointly by several departments (see CaseFlow)."""
        self.ledger.joint.add(case)

    def end_joint(self, case: Case) -> None:
        self.ledger.joint.discard(case)

    def merge(self, case: Case, tier: int) -> None:
        """Close ``case`` because its problem was fixed (merged handling, 并案): at once if it
        waits in a queue or is in transit, at the end of its visit if a unit is on it now."""
        ledger = self.ledger
        if case.parts_open:
            return  # handled jointly: it closes when its departments' last part is done
        if case in ledger.transit:
            ledger.transit.discard(case)
        elif case.ticket > 0:
            self._pool_holding(case).withdraw(case)
        else:
            return  # in service: the unit closes it when the visit ends (it sees the fix)
        if case.first_response != case.first_response:  # NaN: nobody had taken it up yet
            # Its resident is answered by the fix (merged handling answers every report of
            # the problem at once): without this, a duplicate closed in a queue would count
            # as a late response, and the response rate would fall by a case merged.
            case.first_response = self.env.now
        self.close(case, tier)

    def _pool_holding(self, case: Case) -> ServerPool:
        """The unit whose queue ``case`` waits in (by its stage)."""
        handlers, stage = self.handlers, case.stage
        if stage == STAGE_HOTLINE:
            return self.hotline.pool
        if stage == STAGE_GRID:
            return handlers.grids[case.grid]
        if stage == STAGE_STREET:
            return handlers.streets[case.street]
        if stage == STAGE_DISTRICT:
            return handlers.districts[case.district]
        if case.route_department:
            return handlers.departments[case.department]
        return handlers.whistle.pool_for(case.summoned, case)

    def appeal_again(self, delay: float, original: Case, channel: int) -> None:
        """The resident of ``original`` appeals again after ``delay`` hours (a repeat case)."""
        if original.problem is not None:
            assert self.problems is not None
            self.problems.report_later(original.problem, delay, channel, original.id)
            return
        if self.problems is not None:  # a consultation asked again: a consultation again
            repeat = (original.category, original.grid, original.resident, channel, original.id)
            Timeout(self.env, delay).callbacks.append(lambda _e: self._consult_again(*repeat))
            return
        args = (original.category, original.grid, original.resident, channel, original.id)
        event = Timeout(self.env, delay)
        event.callbacks.append(lambda _event: self.new_case(*args))

    def _consult_again(
        self, category: int, grid: int, resident: int, channel: int, repeat_of: int
    ) -> None:
        self.intake.create_decided(
            category, grid, resident, channel, repeat_of, 0, False, True, None
        )

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

    @property
    def problems_on(self) -> bool:
        return self.problems is not None

    def fix_open_problems(self, category: int, share: float) -> int:
        if self.problems is None:
            raise RuntimeError("fix_open_problems needs a run with problems.enabled")
        return self.problems.fix_share(category, share)

    def set_self_governance(
        self, coverage: list[float], solve_share: list[float], delay: Distribution
    ) -> None:
        if self.problems is None:
            raise RuntimeError("self-governance needs a run with problems.enabled")
        sg = self.self_governance
        sg.coverage[:] = coverage
        sg.solve_share[:] = solve_share
        sg.on = True
        self.problems.set_self_fix_delay(delay)

    def record_cost(self, policy: str, staff_hours: float, yuan: float) -> None:
        spent = self.policy_costs.setdefault(policy, {"staff_hours": 0.0, "yuan": 0.0})
        spent["staff_hours"] += staff_hours
        spent["yuan"] += yuan

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
            self.problem_ledger.check(self.ledger)
            self.ledger.close_book()
            self.problem_ledger.close_book()
            self.recorder.finish()
            if self.problem_recorder is not None:
                self.problem_recorder.finish()
        except BaseException:
            self.recorder.abort()  # no partial table is left behind
            if self.problem_recorder is not None:
                self.problem_recorder.abort()
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
            self.problem_recorder,
            self.policy_costs,
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
    state is restored afterwards, and the model's own cycles (agents point back to it) are
    collected as usual once the run is dropped.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            # What the run left alive (open cases and problems, pending events) would all be
            # "young" to the collector: its first pass after gc.enable() would scan every one
            # of them, for nothing, at a cost that grows with the backlog. Move them to the
            # oldest generation first, as if they had survived the passes that were skipped.
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


def problem_event_rates(
    scenario: Scenario, rules: list[CategoryRules]
) -> tuple[list[float], list[CategoryRules]]:
    """With problems, the residents' events per category: consultations at their own rate, and
    problems at ``rate x (1 - consultation_share) / E[appeals]`` (govsim/scenario/problems.py);
    returns the event rates (per 1,000 residents per day) and the rules with each event's
    consultation share."""
    problems = scenario.problems
    rates, new_rules = [], []
    for category, rule in zip(scenario.categories, rules, strict=True):
        consultations = category.rate * category.consultation_share
        arising = category.rate * (1 - category.consultation_share)
        arising /= problems.expected_appeals(category.problem)
        total = consultations + arising
        share = consultations / total if total > 0 else category.consultation_share
        rates.append(total)
        new_rules.append(rule._replace(consultation_share=share))
    return rates, new_rules


def _str_keys(mapping: Mapping[Any, float] | None) -> dict[str, float] | None:
    return None if mapping is None else {str(k): v for k, v in mapping.items()}
