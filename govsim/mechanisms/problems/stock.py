"""The stock of real problems: they arise, are reported, and get fixed or not (problems on).

The residents' arrival process (:mod:`govsim.engine.agents.residents`) draws events per grid and
category as before; here each event is either a consultation (a case at once, no problem
behind it) or a new problem. A problem

1. may not arise where a mechanism averts it (:attr:`ProblemStock.averting`: the area's
   units' resources), may be solved by its residents without an appeal (self-governance), or
   found by a grid patrol before anyone reports it (its first case then comes from the
   patrol);
2. is otherwise first reported ``first_report_delay`` after it arose;
3. while unfixed, is reported again at its scope's ``reporting_rate`` (a Poisson process):
   duplicates while a case is open, repeat appeals after a case closed without fixing it,
   until its residents give up (after each such closure they go on with ``keep_reporting``).
   With groups of residents (:attr:`ProblemStock.reporters`), the first resident's group
   scales the first delay and the reporting rate (a wider scope's by the groups' mean), and
   later reporters are drawn by group.
   Delays and gaps of 2 and 3 (and a patrol's find) are counted on the reports' clock:
   calling hours by default (:mod:`govsim.core.calling_hours`), so reports fall when residents
   call;
4. is fixed when a case closes with a real fix (the closing tier's ``fix_probability`` x the
   category's ``fixability`` + the unit's quality shift, x its effort), by a monthly-topic
   programme, or by the residents; its other open cases then close with it (merged handling).

Decisions are drawn per problem, not per case: the lowest tier that can close it and whether
its orders go to the department are properties of the problem. With a zero first-report
delay, no reporting after the first report and a sure fix, every problem yields exactly one
appeal at the moment it arises, drawn from the same random numbers as before: the model
reduces to the one without problems (``tests/test_problems.py``).
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from simpy.events import Timeout

from govsim.core.agenda import Agenda
from govsim.core.calling_hours import CallingClock
from govsim.core.codes import (
    DEPARTMENT_TIER,
    DISCOVERED_PATROL,
    DISCOVERED_RESIDENT,
    FIXED,
    FIXED_BY_PATROL,
    FIXED_BY_SELF,
    FIXED_BY_TOPIC,
    GRID_TIER,
    HOTLINE_CHANNEL,
    NOT_FIXABLE,
    NOT_FIXED,
    ONLINE_CHANNEL,
    PATROL_CHANNEL,
    STREET_TIER,
)
from govsim.core.errors import LedgerError
from govsim.core.event_queue import at
from govsim.core.parameters import expo
from govsim.mechanisms.problems.record import Problem

if TYPE_CHECKING:
    import simpy

    from govsim.core.case import Case
    from govsim.core.controls import ArrivalControls, SelfGovernance, UnitQuality
    from govsim.core.parameters import Distribution
    from govsim.core.randomness import RandomStreams
    from govsim.engine.agents.handlers import Handlers
    from govsim.engine.agents.intake import Intake
    from govsim.mechanisms.problems.ledger import ProblemLedger
    from govsim.network.city import CityLayout
    from govsim.scenario.schema import Scenario

Merge = Callable[["Case", int], None]


class Reporters(Protocol):
    """Who reports a problem, when its residents are unequal (a mechanism of resident groups
    sets :attr:`ProblemStock.reporters`: govsim/mechanisms/groups/)."""

    def arising(self, grid: int, resident: int, scope: int) -> tuple[float, float]:
        """For a new problem of ``grid`` first met by ``resident``, of scope kind ``scope``:
        the factors of its reporting rate and of its first report's delay."""
        ...

    def position(self, u: float, touched: int) -> float:
        """Where a later report's draw ``u`` (uniform on [1 / touched, 1): not the first
        resident) puts its reporter among a grid's residents, from 0 to 1."""
        ...


class ProblemStock:
    """Every problem of the run, open or fixed, and what happens to it (see the module docstring).

    ``merge(case, tier)`` is the run's life cycle's (govsim/engine/life_cycle.py): it takes
    an open case of a fixed problem out of wherever it waits and closes it at ``tier`` (or
    lets a case in service close when its visit ends).
    """

    # Slots, not an instance dict: with more than 30 attributes CPython 3.11 keeps an object's
    # attributes in a dict of its own, and every attribute read and method call of the stock,
    # on every problem and report, takes the slow path (docs/performance.md).
    __slots__ = (
        "env",
        "intake",
        "handlers",
        "controls",
        "quality",
        "self_governance",
        "ledger",
        "merge",
        "streams",
        "grid_street",
        "grid_population",
        "resident_offset",
        "scope_rates",
        "scope_residents",
        "scope_cuts",
        "unfixable_share",
        "fix_probability",
        "keep_reporting",
        "effort_elasticity",
        "hotline_share",
        "first_delay",
        "instant_first_report",
        "_after",
        "gap_draw",
        "scope_draw",
        "unfixable_draw",
        "fix_draw",
        "keep_draw",
        "reporter_draw",
        "channel_draw",
        "found_draw",
        "self_draw",
        "topic_draw",
        "prevent_draw",
        "self_delay",
        "_first_report_call",
        "_report_due_call",
        "soon",
        "agenda",
        "reporters",
        "fix_factor",
        "averting",
        "_hook_owners",
    )

    def __init__(
        self,
        scenario: Scenario,
        layout: CityLayout,
        streams: RandomStreams,
        env: simpy.Environment,
        intake: Intake,
        handlers: Handlers,
        controls: ArrivalControls,
        quality: UnitQuality,
        self_governance: SelfGovernance,
        ledger: ProblemLedger,
        merge: Merge,
    ) -> None:
        spec = scenario.problems
        self.env = env
        self.intake = intake
        self.handlers = handlers
        self.controls = controls
        self.quality = quality
        self.self_governance = self_governance
        self.ledger = ledger
        self.merge = merge
        self.streams = streams
        self.grid_street = layout.grid_street().tolist()
        population = layout.grid_population()
        self.grid_population = population.tolist()
        self.resident_offset = [0, *population.cumsum().tolist()[:-1]]
        categories = scenario.categories
        kinds = list(spec.scopes)
        self.scope_rates = [spec.scopes[k].reporting_rate / 24.0 for k in kinds]
        """Appeals per hour of an unfixed problem, per scope kind."""
        self.scope_residents = [spec.scopes[k].residents for k in kinds]
        self.scope_cuts: list[list[float]] = []
        """Per category, the cumulative shares of its scope kinds but the last: a problem's
        scope is the number of them at or below its uniform draw (none: one kind, no draw)."""
        for c in categories:
            total, cdf = 0.0, []
            for k in kinds:
                total += c.problem.scope.get(k, 0.0)
                cdf.append(total)
            self.scope_cuts.append(cdf[:-1])
        self.unfixable_share = [c.problem.unfixable_share for c in categories]
        fix = spec.fix_probability
        tier_fix = [0.0, fix["grid"], fix["street"], fix["district"], fix["department"]]
        self.fix_probability = [[p * c.problem.fixability for p in tier_fix] for c in categories]
        """Per category and TIERS code: P(a case closed there fixes its problem)."""
        self.keep_reporting = spec.keep_reporting
        self.effort_elasticity = spec.effort_elasticity
        shares = {str(ch): s for ch, s in scenario.arrivals.channels.items()}
        calls = shares.get("hotline", 0.0) + shares.get("online", 0.0)
        self.hotline_share = shares.get("hotline", 0.0) / calls if calls > 0 else 1.0
        """Of later reports (a resident's, never a patrol's), the share that are calls."""

        self.first_delay = streams.duration("problems/first_report", spec.first_report_delay)
        self.instant_first_report = spec.first_report_delay.mean == 0
        self._after: Callable[[float, float], float] = operator.add
        """``_after(t, delay)``: the time ``delay`` hours of the residents' reports' clock
        after ``t`` (``problems.report_clock``): calling hours (paced by the intraday and
        weekday shapes), or clock hours (t + delay)."""
        if spec.report_clock == "calling_hours":
            arrivals = scenario.arrivals
            clock = CallingClock(arrivals.intraday, arrivals.weekday, scenario.start_date.weekday())
            self._after = clock.after
        self.gap_draw = streams.duration("problems/report_gap", expo(1.0))
        self.scope_draw = streams.uniform("problems/scope")
        self.unfixable_draw = streams.uniform("problems/unfixable")
        self.fix_draw = streams.uniform("problems/fix")
        self.keep_draw = streams.uniform("problems/keep_reporting")
        self.reporter_draw = streams.uniform("problems/reporter")
        self.channel_draw = streams.uniform("problems/channel")
        self.found_draw = streams.uniform("problems/patrol_time")
        self.self_draw = streams.uniform("problems/self_governance")
        self.topic_draw = streams.uniform("problems/topic")
        self.prevent_draw = streams.uniform("problems/prevention")
        self.self_delay: Callable[[], float] | None = None
        self._first_report_call = self._first_report  # bound once, not per problem
        self._report_due_call = self._report_due  # (as above)
        self.soon = at(env)
        """Calls what is due within hours of a problem's arising, at its time: its first report
        (or a patrol's find, or the residents' own fix), each an entry of the run's calendar
        queue (govsim/core/event_queue.py), whose current window holds only the next minutes'
        events."""
        self.agenda = Agenda(env)
        """The problems' pending reports after the first: most go stale (the problem is fixed
        first), and the agenda drops them without a SimPy event each."""
        self.reporters: Reporters | None = None
        """Set by a mechanism of unequal residents (with ``set_hook``: one owner): a new
        problem's reporting rate and first-report delay by its first resident's group, and the
        groups of its later reporters. None: every resident alike, the draws as without it."""
        self.fix_factor: Callable[[Case, int], float] | None = None
        """Set by a mechanism whose own people may make a closing visit (with ``set_hook``: one
        owner): the factor on the fix probability of closing ``case`` at ``tier`` (the same
        draw). None: the units' own probabilities."""
        self.averting: Callable[[int, int], bool] | None = None
        """Set by a mechanism that lowers the rate of new problems where it acts (the area's
        units, govsim/mechanisms/area_units/; ``set_hook``: one owner): ``averting(category,
        grid)`` is True if a problem about to arise does not (drawn after prevention, before
        its scope). None: every problem arises as without it."""

    # -- arising -------------------------------------------------------------------------
    def arise(self, category: int, grid: int, resident: int, channel: int) -> None:
        """An event of the residents' arrival process: a consultation or a new problem."""
        intake = self.intake
        # The decisions Intake.create draws, from its public decision streams in its order
        # (the rules unpacked at once: a named field read costs a type lookup each).
        local = intake.local
        _, _, _, grid_cut, street_cut, route_share, consult_share = (
            intake.rules if local is None else local[grid]
        )[category]
        # Streams called through local names: cheaper than intake.x() (docs/performance.md).
        tier_draw, route_draw = intake.tier_draw, intake.route_draw
        consult_draw = intake.consult_draw
        u_tier = tier_draw()
        needed_tier = 0 if u_tier < grid_cut else 1 if u_tier < street_cut else 2
        route = route_draw() < route_share
        consultation = consult_draw() < consult_share
        controls = self.controls
        found = False
        if controls.on:
            patrol_draw = intake.patrol_draw
            found = patrol_draw() < controls.patrol_detection[category]
        if consultation and channel != PATROL_CHANNEL:  # a patrol find is a problem
            intake.create_decided(category, grid, resident, channel, -1, needed_tier, route, True)
            return
        if controls.on and self._prevented(category, grid):
            return
        averting = self.averting
        if averting is not None and averting(category, grid):
            return
        cuts = self.scope_cuts[category]  # (the shares are non-negative: the cuts are sorted)
        scope_draw = self.scope_draw
        scope = bisect_right(cuts, scope_draw()) if cuts else 0
        unfixable_share = self.unfixable_share[category]
        # (0.0 here and below: a float compared with a float is cheaper than with an int; the
        # draw through self, not a local: it is made only for a positive share, while a local
        # would be read for every problem, which measured dearer in Beijing)
        unfixable = unfixable_share > 0.0 and self.unfixable_draw() < unfixable_share
        rate, delay_factor = self.scope_rates[scope], 1.0
        reporters = self.reporters
        if reporters is not None:
            rate_factor, delay_factor = reporters.arising(grid, resident, scope)
            rate *= rate_factor
        ledger = self.ledger
        problem = Problem(
            ledger.arisen,
            category,
            grid,
            scope,
            self.env._now,  # noqa: SLF001 - env.now, without the property call
            needed_tier,
            route,
            unfixable,
            rate,
            resident,
        )
        ledger.open[problem.id] = problem  # ledger.arise, inline (the id is the count)
        ledger.arisen += 1
        sg = self.self_governance  # (the draw through self, as the unfixable draw above)
        if sg.on and self.self_draw() < sg.coverage[grid] * sg.solve_share[category]:
            self.soon(problem.arose + self._self_fix_delay(), self._self_fixed, problem)
            return  # solved by the residents: no appeal
        problem.first_channel = channel
        if found or channel == PATROL_CHANNEL:
            # A grid patrol finds it before anyone would have reported it.
            if self.instant_first_report:
                self._patrol_found(problem)
            else:
                after, first_delay, found_draw = self._after, self.first_delay, self.found_draw
                delay = first_delay() * found_draw()  # (locals: cheaper than self.x())
                self.soon(after(problem.arose, delay), self._patrol_found, problem)
        elif self.instant_first_report:
            self._first_report(problem)
        else:
            after, first_delay = self._after, self.first_delay  # (locals, as above)
            when = after(problem.arose, first_delay() * delay_factor)
            self.soon(when, self._first_report_call, problem)

    def _prevented(self, category: int, grid: int) -> bool:
        """Proactive governance removed the problem's cause before it arose (counted)."""
        controls = self.controls
        still_arise = (
            controls.prevention[category] * controls.street_prevention[self.grid_street[grid]]
        )
        prevent_draw = self.prevent_draw  # a local name: cheaper than self.x() (performance.md)
        if prevent_draw() >= still_arise:
            controls.prevented[category] += 1
            return True
        return False

    # -- reports ---------------------------------------------------------------------------
    def _first_report(self, problem: Problem) -> None:
        if problem.fixed == problem.fixed or problem.appeals:
            return  # fixed before anyone called, or a patrol found it first
        problem.discovered_by = DISCOVERED_RESIDENT
        self.intake.create_decided(
            problem.category,
            problem.grid,
            problem.resident,
            problem.first_channel,
            -1,
            problem.needed_tier,
            problem.route_department,
            False,
            problem,
        )
        if problem.rate > 0.0:
            self._schedule_report(problem)

    def _patrol_found(self, problem: Problem) -> None:
        if problem.fixed == problem.fixed:  # not NaN: fixed (is_fixed without a property call)
            return
        problem.discovered_by = DISCOVERED_PATROL
        self._open_case(problem, problem.resident, PATROL_CHANNEL, -1)
        self._schedule_report(problem)

    def _open_case(self, problem: Problem, resident: int, channel: int, repeat_of: int) -> None:
        """A case of ``problem``, reported by ``resident`` on ``channel``, into the intake."""
        self.intake.create_decided(
            problem.category,
            problem.grid,
            resident,
            channel,
            repeat_of,
            problem.needed_tier,
            problem.route_department,
            False,
            problem,
        )

    @staticmethod
    def attach(case: Case, problem: Problem) -> None:
        """The intake's ``attach`` hook: ``case`` is a new report of ``problem``."""
        if problem.fixed == problem.fixed:  # not NaN: fixed
            raise LedgerError(f"problem {problem.id}: a case opened after its fix")
        case.problem = problem
        case.problem_id = problem.id
        problem.cases.append(case)
        problem.appeals += 1
        if problem.first_reported != problem.first_reported:  # NaN: its first case
            problem.first_reported = case.created

    def _schedule_report(self, problem: Problem) -> None:
        """The problem's next report, at its reporting rate (one pending at a time)."""
        if problem.rate > 0.0:
            after, gap_draw = self._after, self.gap_draw  # (locals: cheaper than self.x())
            when = after(self.env._now, gap_draw() / problem.rate)  # noqa: SLF001
            self.agenda.at(when, self._report_due_call, problem, _quiet)

    def _report_due(self, problem: Problem) -> None:
        self._open_case(problem, self._reporter(problem), self._channel(), self._repeat_of(problem))
        self._schedule_report(problem)

    def report_later(self, problem: Problem, delay: float, channel: int, repeat_of: int) -> None:
        """A resident of ``problem`` appeals again after ``delay`` hours (a caller's redial)."""

        def redial(_event: object) -> None:
            if not problem.is_fixed:
                self._open_case(problem, problem.resident, channel, repeat_of)

        Timeout(self.env, delay).callbacks.append(redial)

    def _reporter(self, problem: Problem) -> int:
        """Who appeals: any resident of the problem's grid, the first reporter as likely as any
        other of the residents it touches."""
        reporter_draw = self.reporter_draw  # a local name: cheaper than self.x() (performance.md)
        u = reporter_draw()
        touched = self.scope_residents[problem.scope]
        population = self.grid_population[problem.grid]
        if u * touched < 1.0 or population <= 1:
            return problem.resident
        reporters = self.reporters
        if reporters is not None:
            u = reporters.position(u, touched)
        return self.resident_offset[problem.grid] + int(u * population) % population

    def _channel(self) -> int:
        channel_draw = self.channel_draw  # a local name: cheaper than self.x() (performance.md)
        return HOTLINE_CHANNEL if channel_draw() < self.hotline_share else ONLINE_CHANNEL

    @staticmethod
    def _repeat_of(problem: Problem) -> int:
        """A report while a case is open is a duplicate (-1); after, it repeats the last case."""
        return -1 if problem.cases else problem.last_closed

    # -- handling outcomes -------------------------------------------------------------------
    def closed(self, case: Case, tier: int) -> None:
        """Decide what closing ``case`` at ``tier`` did to its problem (``case.outcome``);
        nothing for a case without a problem (a consultation)."""
        problem = case.problem
        if problem is None:
            return
        fix_draw, keep_draw = self.fix_draw, self.keep_draw  # (locals: cheaper than self.x())
        u_fix, u_keep = fix_draw(), keep_draw()
        problem.cases.remove(case)
        problem.last_closed = case.id
        if problem.fixed == problem.fixed:  # fixed: it closes with the case that fixed it
            case.outcome = FIXED
            self.ledger.settle(problem)
            return
        if case.outcome == NOT_FIXED:  # closed on paper beyond the unit's powers
            fixed = False
        elif problem.unfixable:
            case.outcome = NOT_FIXABLE
            fixed = False
        else:
            p = self.fix_probability[case.category][tier]
            quality = self.quality
            if quality.resolution_on or quality.effort_on:
                p = self._adjusted(p, case, tier)
            fix_factor = self.fix_factor
            if fix_factor is not None:
                p *= fix_factor(case, tier)
            fixed = u_fix < p
            case.outcome = FIXED if fixed else NOT_FIXED
        if fixed:
            by = FIXED_BY_PATROL if case.channel == PATROL_CHANNEL else tier - GRID_TIER
            self.fix(problem, by, tier)
        elif u_keep >= self.keep_reporting:
            problem.reporting = False  # the residents give up; it stays open, quietly
            problem.quiet = True

    def _adjusted(self, p: float, case: Case, tier: int) -> float:
        """The fix probability ``p`` with the closing unit's quality shift and its effort."""
        quality = self.quality
        if quality.resolution_on:
            p += quality.resolution_shift(tier, case.street, case.department)
        if quality.effort_on and self.effort_elasticity:
            factor = self._pool_time_factor(case, tier)
            if factor != 1.0:
                p *= factor**self.effort_elasticity
        return p

    def _pool_time_factor(self, case: Case, tier: int) -> float:
        handlers = self.handlers
        if tier == DEPARTMENT_TIER:
            return handlers.departments[case.summoned].time_factor
        if tier == STREET_TIER:
            return handlers.streets[case.street].time_factor
        if tier == GRID_TIER:
            return handlers.grids[case.grid].time_factor
        return handlers.districts[case.district].time_factor

    def fix(self, problem: Problem, fixed_by: int, tier: int) -> None:
        """``problem`` is fixed now: its other open cases close with it, at ``tier``."""
        problem.fixed = self.env._now  # noqa: SLF001 - env.now, without the property call
        problem.fixed_by = fixed_by
        problem.quiet = True
        if problem.cases:
            for other in problem.cases:
                other.settled = True  # a unit or an operator on it closes it when done
            for other in list(problem.cases):
                self.merge(other, tier)
            self.ledger.settle(problem)  # (its last merged case may have settled it already)
        else:  # the usual case, inline: settle it now
            ledger = self.ledger
            del ledger.open[problem.id]
            ledger.fixed += 1
            ledger.record(problem)

    # -- proactive governance ----------------------------------------------------------------
    def fix_share(self, category: int, share: float) -> int:
        """A topic programme fixes a share of ``category``'s open problems now; returns how many."""
        fixed = 0
        open_now = [p for p in self.ledger.open.values() if p.category == category]
        for problem in open_now:
            if problem.fixed != problem.fixed and self.topic_draw() < share:
                self.fix(problem, FIXED_BY_TOPIC, STREET_TIER)
                fixed += 1
        return fixed

    def set_self_fix_delay(self, delay: Distribution) -> None:
        """The residents' time to solve a problem (set once, by the self-governance policy)."""
        if self.self_delay is None:
            self.self_delay = self.streams.duration("problems/self_fix_delay", delay)

    def _self_fix_delay(self) -> float:
        draw = self.self_delay
        return 0.0 if draw is None else draw()

    def _self_fixed(self, problem: Problem) -> None:
        if not problem.is_fixed:
            self.fix(problem, FIXED_BY_SELF, STREET_TIER)


_quiet: Callable[[Problem], bool] = operator.attrgetter("quiet")
"""A pending report is not due any more: the problem was fixed or its residents gave up
(``problem.fixed == problem.fixed or not problem.reporting``, kept in ``problem.quiet``; a C
callable, as the agenda calls it on every entry it heaps)."""
