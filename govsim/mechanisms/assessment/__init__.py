"""Units that answer to their assessment (issue 28): effort and gaming chosen each month.

With ``assessment.enabled`` (govsim/scenario/assessment.py) every street and department,
each time the ranking policy has ranked a month, chooses from its rank group's pressure and
the assessment's design (weights, audits) its honest effort and the shares of its cases it
games next month (:mod:`~govsim.mechanisms.assessment.decision`; docs/policies.md). Installed
into a run, the mechanism

- makes effort real: handling time x (1 + e) on the unit's pools (a street's and its grids',
  a department's), which raises the chance of a real fix through the problems'
  ``effort_elasticity``; the unit sees each pool's utilisation since its last choice, and
  its effort keeps them at most ``effort.max_utilisation``;
- closes on paper (``after_visit``): a case beyond the unit's powers, after its visit at the
  street's grid or the street, closes not fixed instead of escalating (*paper*), or closes
  not fixed labelled unreasonable and leaves the unit's rates (*label*), or is returned to
  its category's department, which handles it and is scored for it (*dispute*, 退单);
- rushes (a listener on created cases, with an agenda of deadlines): a case still waiting
  in its unit's queue at (1 - ``rush_margin``) of its limit is closed on paper, answered
  before the limit, when the response rate weighs. A case is checked if its unit rushed when
  the case came in, and the checks of a category are batched in steps of half the margin
  (a case is checked between (1 - margin) and (1 - margin / 2) of its limit: one wake-up
  per batch, not per case);
- rushes in service (a wrapper of the visit's start on the pools of units that do, in the
  months they do): a visit that would end past its case's limit is cut short, with the
  unit's share, to end at (1 - ``rush_margin`` / 2) of the limit (or at once), and the case
  closes on paper; decided as the visit starts, so that no service is interrupted;
- presses the resident of a case not fixed at the callback (the verification's ``pressing``
  hook): 'resolved' with ``press_resolved``, the satisfaction score ``press_shift`` higher;
  the answer the resident would have given unpressed (same draws) is kept as the true one;
- audits: a gamed case is audited with the ranking's ``audit.share`` and caught with its
  option's ``detect`` (its own stream); a unit caught drops ``penalty_groups`` rank groups in
  the month's ranking and is audited with ``audit.follow_up_share`` for the next
  ``audit.follow_up_months`` months (follow-up inspection), which its choices weigh;
- keeps a month's book per unit (:mod:`~govsim.mechanisms.assessment.book`) and, at each
  ranking, a row per unit of the measured rates (what the ranking saw) beside the true ones:
  ``assessment.parquet``, the ``assessment`` block of ``summary.json`` and the outcomes.

The ranking policy finds it with ``levers.mechanism("assessment")``
(:class:`govsim.policies.levers.AssessmentLevers`). Switched off, :meth:`from_scenario`
returns None: no hook is set, no stream drawn.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from govsim.core.agenda import Agenda
from govsim.core.calendar import Calendar
from govsim.core.case import Contribution
from govsim.core.codes import (
    DEPARTMENT_TIER,
    FIXED,
    GRID_TIER,
    HOTLINE_TIER,
    NO_OUTCOME,
    NOT_ASKED,
    NOT_FIXED,
    OPEN,
    SATISFACTION_WEIGHT,
    STAGE,
    STREET_TIER,
)
from govsim.core.errors import LedgerError
from govsim.engine.mechanism import FinishedRun, Mechanism, RunParts, set_hook
from govsim.mechanisms.assessment.book import (
    CLOSED,
    ESCALATED,
    ESCALATED_OVERRUN,
    FIXED_CASES,
    INDEX,
    LATE,
    LATE_OVERRUN,
    ON_TIME_TRUE,
    PROBLEM_CLOSED,
    RESOLVED_TRUE,
    SATISFACTION_TRUE,
    VALID,
    MonthBook,
)
from govsim.mechanisms.assessment.decision import (
    NO_CHOICE,
    OPTIONS,
    Answers,
    Choice,
    Design,
    Option,
    Rule,
    choose,
    headroom,
)
from govsim.mechanisms.assessment.outcomes import OUTCOMES
from govsim.mechanisms.assessment.tallies import AssessmentTallies

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from govsim.core.case import Case
    from govsim.core.servers import ServerPool
    from govsim.scenario.schema import Scenario

PAPER, RUSH, PRESS, LABEL, DISPUTE = (
    OPTIONS.index(name) for name in ("paper", "rush", "press", "label", "dispute")
)
TAKEN, CAUGHT = INDEX["paper"], INDEX["caught_paper"]
"""Where the book's counts of actions and of catches start (in OPTIONS order)."""
NONE = -1
STAGE_GRID, STAGE_STREET, STAGE_DEPARTMENT = STAGE["grid"], STAGE["street"], STAGE["department"]
ORDER = ("advanced", "improving", "ordinary", "rectification")
"""Rank groups from best to worst, as a caught unit drops through them (advanced and
improving drop to ordinary first); the governance class is not dropped from."""


class AssessmentMechanism(Mechanism):
    """Units that answer to their assessment, installed into a run (see the module docstring)."""

    name = "assessment"
    outcomes = OUTCOMES

    def __init__(self, scenario: Scenario) -> None:
        spec = self.spec = scenario.assessment
        self.stakes: dict[str, float] = {str(g): v for g, v in spec.stakes.items()}
        """What a unit's composite is worth to it, by the rank group it was given."""
        feedback, problems = scenario.feedback, scenario.problems
        rating = feedback.satisfaction
        fixable = [
            c.problem.fixability * (1 - c.problem.unfixable_share) for c in scenario.categories
        ]
        own = problems.resolved_if_fixed
        self.answers = Answers(
            resolved_if_fixed=(own or feedback.resolution_probability)["street"],
            resolved_if_not_fixed=problems.resolved_if_not_fixed,
            intercept=rating.intercept,
            resolved_effect=rating.resolved_effect,
            lateness_effect=rating.lateness_effect,
            handoff_effect=rating.handoff_effect,
            basic_gap=rating.basic_gap,
            fix_share=problems.fix_probability["street"] * sum(fixable) / len(fixable),
        )
        """How residents answer (the reference fix share: the street's fix probability x the
        categories' mean fixability, the unfixable left out)."""

        def option(o: Any) -> Option:
            return Option(o.share_max, o.cost, o.detect)

        effort = spec.effort
        self.rule = Rule(
            temperature=spec.temperature,
            gain_max=effort.gain_max,
            scale=effort.scale,
            effort_cost=effort.cost,
            effort_cap=effort.cap,
            paper=option(spec.paper),
            press=option(spec.press),
            label=option(spec.label),
            dispute=option(spec.dispute),
            press_resolved=spec.press_resolved,
            press_shift=spec.press_shift,
            rush=spec.rush_margin > 0,
        )
        self.design = Design(0.0, 1.0, 0.0)
        """Set by the ranking policy as it installs (:meth:`assessed_by`)."""

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> AssessmentMechanism | None:
        return cls(scenario) if scenario.assessment.enabled else None

    # -- assembly --------------------------------------------------------------------------
    def install(self, run: RunParts) -> None:
        self.run = run
        self.flow = run.flow
        layout = run.layout
        self.n_streets = n_streets = len(layout.streets)
        self.units = units = n_streets + len(layout.departments)
        self.names = [u.name for u in layout.streets] + [d.name for d in layout.departments]
        self.limits = run.scenario.category_limits()
        calendar = Calendar(run.scenario.start_date, run.scenario.days * 24.0)
        self.calendar = calendar
        self.next_end = calendar.month_starts[1] if len(calendar.month_starts) > 1 else 1e300
        self.book = MonthBook(units)
        self.months: dict[str, MonthBook] = {}
        """Books of months that ended and are not ranked yet, by month label."""
        handlers = run.handlers
        grid_street = layout.grid_street().tolist()
        self.pools: list[list[ServerPool]] = [[handlers.streets[s]] for s in range(n_streets)]
        for g, s in enumerate(grid_street):
            self.pools[s].append(handlers.grids[g])
        self.pools += [[handlers.departments[d]] for d in range(len(layout.departments))]
        """Each unit's pools, whose handling time its effort lengthens."""
        self.choices: list[Choice] = [NO_CHOICE] * units
        self.acting = [""] * units
        """The rank group each unit's behaviour this month answers to ('' before any)."""
        self.areas = [[(p.busy_area, p.staff_area) for p in pools] for pools in self.pools]
        """Each unit's pools' busy and staffed server-hours at its last choice."""
        self.audit_share, self.follow_up, self.drop = 0.0, (0.0, 0), 0
        """The design's audits (set by :meth:`assessed_by`): the share, the follow-up's share
        and months, the rank groups a caught unit drops."""
        self.audit_shares = [0.0] * units
        """The share of each unit's gamed cases audited this month (the follow-up's after a
        catch)."""
        self.follow_up_left = [0] * units
        """Months of follow-up inspection each unit has left."""
        self.caught_units: set[int] = set()
        """Units caught since the last ranking (for the follow-up)."""
        self.pressures = [0.0] * units
        """The pressure each unit's behaviour this month answers to."""
        self.shares = [[0.0] * units for _ in OPTIONS]
        """Per option, each unit's share for this month (read per case)."""
        self.labelled: set[int] = set()
        """Ids of cases labelled unreasonable: the ranking leaves them out of the rates."""
        self.caught: set[tuple[str, int]] = set()
        """Units caught by an audit since the last ranking."""
        self.rows: list[dict[str, Any]] = []
        self._gamed = NONE
        """The option of the case being closed by the mechanism now (NONE: not gamed)."""
        self.seen = 0
        """Closed cases the mechanism saw close, for its check; ``answered`` of them the
        hotline's (no unit's)."""
        self.answered = 0
        self._pending: Case | None = None
        """The case closed last: its callback was drawn after ``closing``, and is tallied at
        the next closing (or when its month is ranked)."""
        self._pending_unit = 0
        self._pending_true: tuple[int, float] | None = None
        """The pending case's unpressed answers ('resolved', satisfaction points), if pressed."""
        streams = run.streams
        self.option_draw = streams.uniform("assessment/option")
        self.rush_draw = streams.uniform("assessment/rush")
        self.service_draw = streams.uniform("assessment/rush_service")
        self.press_draw = streams.uniform("assessment/press")
        self.audit_draw = streams.uniform("assessment/audit")
        self.agenda = Agenda(run.env)
        rule = self.rule
        self.detect = [o.detect for o in (rule.paper, rule.paper, rule.press, rule.label)]
        self.detect.append(rule.dispute.detect)
        self.dispute_time = streams.duration(
            "assessment/dispute_time", run.scenario.jurisdiction.dispute_time
        )
        self.departments = handlers.departments
        margin = self.spec.rush_margin
        self.rush_at = [limit * (1.0 - margin) for limit in self.limits]
        self.rush_step = [limit * margin / 2 for limit in self.limits]
        self.batches: dict[tuple[int, int], list[Case]] = {}
        """Cases waiting for their rush check, by category and step."""
        self.rushing = False
        """Whether any unit rushes this month (:meth:`_created` then listens to new cases)."""
        self.rush_service = [0.0] * units
        """Each unit's share of its visits past their limit that it cuts short this month."""
        self.service_rushed: set[int] = set()
        """Ids of cases whose visit was cut short (a rush in service), until they close."""
        self.visits: dict[int, _Deadline] = {}
        """The wrapped visit start of each pool (by id) of a unit that rushes in service."""
        self.service_end = 1.0 - margin / 2
        """Where a rush in service ends its visit (share of the limit)."""
        self.may_rush = False
        """Whether the design lets units rush (set by :meth:`assessed_by`)."""
        self._rate = run.verification.rate
        set_hook(run.flow, "closing", self._closing, self)
        set_hook(run.handlers, "after_visit", self._after_visit, self)
        set_hook(run.verification, "pressing", self._pressing, self)
        self._intake = run.intake

    # -- the ranking policy's seam (govsim.policies.levers.AssessmentLevers) ---------------
    def assessed_by(
        self,
        weights: Mapping[str, float],
        audit_share: float,
        groups: int,
        overdue: bool = False,
        follow_up: tuple[float, int] = (0.0, 0),
    ) -> None:
        """The ranking policy's design: composite weights, the share of gamed cases audited,
        the rank groups a caught unit drops, whether overdue orders count as failed, and the
        follow-up inspection of a caught unit (its audit share, months). With lateness weighed
        (the response rate, or overdue orders) and a rush margin, units may rush
        (:meth:`_created` listens to new cases in months some unit does)."""
        penalty = groups * self.spec.penalty_per_group
        self.design = Design.of(dict(weights), audit_share, penalty, overdue)
        self.audit_share = audit_share
        self.audit_shares = [audit_share] * self.units
        self.follow_up = (max(follow_up[0], audit_share), follow_up[1])
        self.drop = groups
        self.may_rush = self.rule.rush and self.rule.paper.share_max > 0 and self.design.lateness

    def penalise(self, groups: dict[tuple[str, int], str], unit_type: str) -> None:
        """Drop each caught unit of ``unit_type`` by ``penalty_groups`` rank groups in
        ``groups`` (the month's ranking, before it is recorded)."""
        for key in [k for k in self.caught if k[0] == unit_type]:
            group = groups.get(key)
            if group in ORDER:
                start = max(ORDER.index(group), 1 if self.drop else 0)  # advanced -> ordinary
                groups[key] = ORDER[min(start + self.drop, len(ORDER) - 1)]
            self.caught.discard(key)

    def ranked(
        self,
        month: str,
        groups: Mapping[tuple[str, int], str],
        tally: Mapping[Any, list[float]],
        backlog: tuple[list[float], Mapping[tuple[str, int], int]] | None = None,
    ) -> None:
        """The ranking ranked ``month``: record each unit's measured and true rates (and its
        backlog, when the ranking records it: ``open_orders.recorded``), then let each unit
        choose for the next month from its new group."""
        now = self.run.env.now
        self._flush()
        while now >= self.next_end:
            self._roll()
        book = self.months.pop(month, None) or MonthBook(self.units)
        spec, rule, design, answers = self.spec, self.rule, self.design, self.answers
        for u in range(self.units):
            key = self._key(u)
            group = groups.get(key, "")
            record = self._row(month, u, key, group, tally.get(key), book)
            if backlog is not None:
                means, late = backlog
                record["open_cases_mean"] = means[u] if u < self.n_streets else float("nan")
                record["open_past_limit"] = late.get(key, 0)
            self.rows.append(record)
            pressure = spec.sensitivity * self.stakes.get(group or "ordinary", 0.0)
            audit = self._follow_up(u)
            unit_design = (
                design if audit == design.audit_share else replace(design, audit_share=audit)
            )
            room = headroom(
                self._utilisations(u), self.choices[u].effort, spec.effort.max_utilisation
            )
            choice = choose(pressure, unit_design, answers, rule, book.slowness(u), room)
            self._apply(u, choice)
            self.acting[u], self.pressures[u] = group, pressure
        self.caught_units.clear()
        rushing = self.may_rush and any(self.shares[RUSH])
        if rushing != self.rushing:  # listen to new cases only in months some unit rushes
            listeners = self._intake.listeners
            if rushing:
                listeners.append(self._created)
            else:
                listeners.remove(self._created)
            self.rushing = rushing

    # -- hooks (govsim/engine/mechanism.py) ------------------------------------------------
    def _closing(self, case: Case, tier: int) -> None:
        self.seen += 1
        if self._pending is not None:  # its callback is drawn by now: tally it
            self._flush()
        closed = case.closed
        while closed >= self.next_end:
            self._roll()
        c = self.book.counts
        gamed, self._gamed = self._gamed, NONE
        if tier == HOTLINE_TIER:
            self.answered += 1
            return
        answered = gamed != RUSH  # a rushed case waited: it was not answered in time for real
        rushed = self.service_rushed
        if rushed and case.id in rushed:  # its visit was cut short: closed on paper
            rushed.discard(case.id)
            if case.outcome != FIXED:  # (unless another report's fix settled it meanwhile)
                gamed, answered = RUSH, True
        u = self.n_streets + case.department if tier == DEPARTMENT_TIER else case.street
        c[CLOSED][u] += 1
        outcome = case.outcome
        if outcome != NO_OUTCOME:
            c[PROBLEM_CLOSED][u] += 1
            c[FIXED_CASES][u] += outcome == FIXED
        created, limit = case.created, self.limits[case.category]
        c[ON_TIME_TRUE][u] += answered and case.first_response - created <= limit
        overrun = (closed - created) / limit - 1.0
        if overrun > 0:
            c[LATE][u] += 1
            c[LATE_OVERRUN][u] += overrun
        if case.escalations:
            c[ESCALATED][u] += 1
            c[ESCALATED_OVERRUN][u] += max(0.0, overrun)
        if gamed != NONE:
            self._gamed_case(case, u, gamed)
        self._pending, self._pending_unit, self._pending_true = case, u, None

    def _gamed_case(self, case: Case, u: int, option: int) -> None:
        """Count a gamed case, audit it, and leave a labelled one out of the rates."""
        c = self.book.counts
        c[TAKEN + option][u] += 1
        if option == LABEL:
            self.labelled.add(case.id)
        detect = self.detect[option]
        audit = self.audit_shares[u]
        if audit and self.audit_draw() < audit * detect:
            c[CAUGHT + option][u] += 1
            self.caught.add(self._key(u))
            self.caught_units.add(u)

    def _flush(self) -> None:
        """Tally the pending case's callback: its unpressed answers."""
        case, u = self._pending, self._pending_unit
        self._pending = None
        if case is None or case.satisfaction == NOT_ASKED:
            return
        c = self.book.counts
        c[VALID][u] += 1
        true = self._pending_true
        if true is None:
            c[RESOLVED_TRUE][u] += case.resolved
            c[SATISFACTION_TRUE][u] += SATISFACTION_WEIGHT[case.satisfaction]
        else:
            c[RESOLVED_TRUE][u] += true[0]
            c[SATISFACTION_TRUE][u] += true[1]

    def _after_visit(self, case: Case, tier: int) -> bool:
        """Close a case beyond the unit's powers on paper, label it, or return it to its
        department, after its visit at the street's grid (0) or the street (1); close a case
        whose visit was cut short (a rush in service)."""
        if self.service_rushed and case.id in self.service_rushed:
            self.flow.close(case, GRID_TIER + tier)  # (its outcome: not fixed, set as it began)
            return True
        if tier >= case.needed_tier or tier > 1 or case.problem is None:
            return False
        u = case.street
        shares = self.shares
        paper, label, dispute = shares[PAPER][u], shares[LABEL][u], shares[DISPUTE][u]
        if not paper and not label and not dispute:
            return False
        x = self.option_draw()
        if x < paper:
            self._gamed = PAPER
        elif x < paper + label:
            self._gamed = LABEL
        elif x < paper + label + dispute and case.department >= 0 and not case.parts_open:
            self._dispute(case, u)
            return True
        else:
            return False
        case.outcome = NOT_FIXED
        self.flow.close(case, GRID_TIER + tier)
        return True

    def _dispute(self, case: Case, u: int) -> None:
        """The street returns the order (退单): after ``jurisdiction.dispute_time`` it goes to
        its category's department, which handles it and is scored for it."""
        case.returns += 1
        case.route_department = True
        self._gamed_case(case, u, DISPUTE)
        self.flow.hold(self.dispute_time(), self._to_department, case)

    def _to_department(self, case: Case) -> None:
        self.flow.move(case, STAGE_DEPARTMENT)
        case.summoned = case.department
        self.departments[case.department].arrive(case, case.priority)

    def _created(self, case: Case) -> None:
        """A new case's deadline rush check, if its unit rushes now: in the batch of its
        category that is due first at or after (1 - margin) of its limit."""
        u = self.n_streets + case.department if case.route_department else case.street
        if not self.shares[RUSH][u]:
            return
        category = case.category
        step = self.rush_step[category]
        key = (category, math.ceil((case.created + self.rush_at[category]) / step))
        batch = self.batches.get(key)
        if batch is None:
            batch = self.batches[key] = []
            self.agenda.at(key[1] * step, self._rush_batch, key)
        batch.append(case)

    def _rush_batch(self, key: tuple[int, int]) -> None:
        for case in self.batches.pop(key):
            if case.status == OPEN:
                self._rush(case)

    def _rush(self, case: Case) -> None:
        """Close ``case`` on paper if it still waits in its unit's queue and the unit rushes."""
        stage = case.stage
        if stage in (STAGE_GRID, STAGE_STREET):
            u, tier = case.street, GRID_TIER if stage == STAGE_GRID else STREET_TIER
        elif stage == STAGE_DEPARTMENT and case.route_department:
            u, tier = self.n_streets + case.department, DEPARTMENT_TIER
        else:
            return
        q = self.shares[RUSH][u]
        if not q or case.ticket <= 0 or case.parts_open or case.settled or case.problem is None:
            return
        if self.rush_draw() >= q:
            return
        case.outcome = NOT_FIXED
        self._gamed = RUSH
        self.flow.merge(case, tier)

    def _visit(self, case: Case | Contribution, duration: float, visit: _Deadline) -> float:
        """The duration of a visit starting now at a unit that rushes in service: cut short,
        with the unit's share, to end at ``service_end`` of the case's limit (or now) if it
        would end past the limit and began before it; the case then closes on paper."""
        pool = visit.pool
        factor = pool.time_factor
        if isinstance(case, Contribution) or factor <= 0:
            return duration
        now = self.run.env.now
        limit = self.limits[case.category]
        deadline = case.created + limit
        if now >= deadline or now + duration * factor <= deadline:
            return duration
        if visit.department and not case.route_department:
            return duration  # (a whistled case: the street's, not the department's to rush)
        if case.problem is None or case.parts_open or case.settled:
            return duration
        if self.service_draw() >= self.rush_service[visit.unit]:
            return duration
        case.outcome = NOT_FIXED
        self.service_rushed.add(case.id)
        end = max(now, case.created + limit * self.service_end)
        return (end - now) / factor

    def _pressing(
        self, case: Case, resolution: float, u_resolved: float, z: float
    ) -> tuple[float, float]:
        """The verification's ``pressing`` hook, for a case judged as it closed and reached at
        its callback: a unit that presses the resident of a case not fixed raises the chance
        of 'resolved' to ``press_resolved`` and the satisfaction score by ``press_shift``; the
        unpressed answers (same draws) are kept as the true ones."""
        if case.outcome == FIXED or case is not self._pending:
            return resolution, z
        u = self._pending_unit
        q = self.shares[PRESS][u]
        if not q or self.press_draw() >= q:
            return resolution, z
        resolved = u_resolved < resolution
        self._pending_true = (int(resolved), SATISFACTION_WEIGHT[self._rate(case, resolved, z)])
        self._gamed_case(case, u, PRESS)
        return self.spec.press_resolved, z - self.spec.press_shift

    # -- the months ---------------------------------------------------------------------------
    def _roll(self) -> None:
        """A month ended: keep its book until the ranking ranks it, start the next."""
        calendar = self.calendar
        month = calendar.month(self.next_end) - 1
        self.months[calendar.labels[month]] = self.book
        self.book = MonthBook(self.units)
        starts = calendar.month_starts
        self.next_end = starts[month + 2] if month + 2 < len(starts) else 1e300

    def _follow_up(self, u: int) -> float:
        """The share of unit ``u``'s gamed cases audited next month: the follow-up's for
        ``follow_up_months`` months after a month it was caught in, else the base share."""
        share, months = self.follow_up
        if u in self.caught_units:
            self.follow_up_left[u] = months
        elif self.follow_up_left[u]:
            self.follow_up_left[u] -= 1
        audit = share if self.follow_up_left[u] else self.audit_share
        self.audit_shares[u] = audit
        return audit

    def _utilisations(self, u: int) -> list[float]:
        """Each of unit ``u``'s pools' utilisation since its last choice (busy server-hours over
        staffed ones; NaN for a pool never staffed then), and the areas kept for the next."""
        rhos, areas = [], []
        for pool, (busy0, staff0) in zip(self.pools[u], self.areas[u], strict=True):
            busy, staff = pool.busy_area, pool.staff_area
            areas.append((busy, staff))
            rhos.append((busy - busy0) / (staff - staff0) if staff > staff0 else float("nan"))
        self.areas[u] = areas
        return rhos

    def _key(self, u: int) -> tuple[str, int]:
        return ("street", u) if u < self.n_streets else ("department", u - self.n_streets)

    def _apply(self, u: int, choice: Choice) -> None:
        """Put ``choice`` in force for unit ``u``: its pools' time and its shares."""
        old = self.choices[u].effort
        if choice.effort != old:
            factor = (1.0 + choice.effort) / (1.0 + old)
            for pool in self.pools[u]:
                pool.time_factor *= factor
            if choice.effort:
                self.run.quality.effort_on = True
        for k, q in enumerate(choice.shares):
            self.shares[k][u] = q
        q = choice.rush_service if self.may_rush else 0.0
        if q and not self.rush_service[u]:
            for pool in self.pools[u]:
                visit = _Deadline(pool.start_service, pool, self, u, u >= self.n_streets)
                self.visits[id(pool)] = visit
                pool.start_service = visit
        elif self.rush_service[u] and not q:
            for pool in self.pools[u]:
                pool.start_service = self.visits.pop(id(pool)).visit
        self.rush_service[u] = q
        self.choices[u] = choice

    def _row(
        self,
        month: str,
        u: int,
        key: tuple[str, int],
        group: str,
        measured: list[float] | None,
        book: MonthBook,
    ) -> dict[str, Any]:
        """One row of ``assessment.parquet``: the month's measured and true figures of unit
        ``u`` and the behaviour in force during the month."""
        nan = float("nan")
        # (the tally row: closed, on time, valid, resolved, satisfaction points[, forgiven])
        closed, on_time, valid, resolved, points = (measured or (0, 0, 0, 0, 0.0))[:5]
        design = self.design
        rates = (
            on_time / closed if closed else nan,
            resolved / valid if valid else nan,
            points / valid if valid else nan,
        )
        composite = (
            design.response * rates[0]
            + design.resolution * rates[1]
            + design.satisfaction * rates[2]
            if closed and valid
            else nan
        )
        c = {name: book[name][u] for name in ("closed", "problem_closed", "fixed", "valid")}
        true_valid = c["valid"]
        choice = self.choices[u]
        acting = self.acting[u]
        row: dict[str, Any] = {
            "month": month,
            "unit_type": key[0],
            "unit": self.names[u],
            "group": group or None,
            "acting_group": acting or None,
            "pressure": self.pressures[u],
            "effort": choice.effort,
            **{f"{name}_share": choice.shares[k] for k, name in enumerate(OPTIONS)},
            "rush_service_share": self.rush_service[u],
            "audit_share": self.audit_shares[u],
            "closed": int(c["closed"]),
            "response_measured": rates[0],
            "resolution_measured": rates[1],
            "satisfaction_measured": rates[2],
            "composite_measured": composite,
            "response_true": book["on_time_true"][u] / c["closed"] if c["closed"] else nan,
            "true_fix_rate": c["fixed"] / c["problem_closed"] if c["problem_closed"] else nan,
            "resolution_true": book["resolved_true"][u] / true_valid if true_valid else nan,
            "satisfaction_true": book["satisfaction_true"][u] / true_valid if true_valid else nan,
            "problem_closed": int(c["problem_closed"]),
            "fixed": int(c["fixed"]),
            "valid_callbacks": int(true_valid),
            "measured_closed": int(closed),
            "measured_valid": int(valid),
        }
        for name in OPTIONS:
            row[name] = int(book[name][u])
            row[f"caught_{name}"] = int(book[f"caught_{name}"][u])
        return row

    # -- end of the run --------------------------------------------------------------------
    def check(self, run: RunParts) -> None:
        """Every closed case passed the mechanism once, and every case it labelled was left
        out of the ranking's rates."""
        self._flush()
        books = [self.book, *self.months.values()]
        counted = sum(sum(book["closed"]) for book in books)
        counted += sum(row["closed"] for row in self.rows)
        seen = self.seen
        if seen != run.ledger.closed or counted + self.answered != seen or self.labelled:
            raise LedgerError(
                f"assessment: {seen} closed cases seen, {counted} counted for units and "
                f"{self.answered} by the hotline; the case ledger has {run.ledger.closed} "
                f"closed; {len(self.labelled)} labelled cases not left out of the rates"
            )

    def tallies(self) -> AssessmentTallies:
        return AssessmentTallies(self.rows, list(self.calendar.labels), self.calendar.month_starts)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``assessment.parquet``; none before the first month is ranked."""
        frame = self.tallies().frame()
        return {"assessment": frame} if len(frame) else {}

    def summary(self, state: FinishedRun) -> dict[str, Any]:
        """The ``assessment`` block: gaming actions and catches by option, and the Goodhart
        gaps (measured minus true, city-wide and over the worst decile of units)."""
        return self.tallies().summary()


class _Deadline:
    """The start of a visit at a pool of a unit that rushes in service: the visit's own
    start (``visit``: it stamps the first response and draws the handling time), then the
    mechanism's cut (:meth:`AssessmentMechanism._visit`)."""

    __slots__ = ("visit", "pool", "mechanism", "unit", "department")

    def __init__(
        self,
        visit: Callable[[Any], float],
        pool: ServerPool,
        mechanism: AssessmentMechanism,
        unit: int,
        department: bool,
    ) -> None:
        self.visit = visit
        self.pool = pool
        self.mechanism = mechanism
        self.unit = unit
        self.department = department

    def __call__(self, case: Any) -> float:
        return self.mechanism._visit(case, self.visit(case), self)  # noqa: SLF001
