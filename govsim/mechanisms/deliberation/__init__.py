"""Community deliberation (议事协商) and small projects chosen by residents' opinion (民意立项),
issue 29.

With ``deliberation.enabled`` (govsim/scenario/deliberation.py), installed into a run, the
mechanism

- draws once which communities (grids with residents) have a deliberation hall
  (``hall.coverage``, its own stream);
- listens to new cases (the intake's listeners) while a hall may settle anything: at a
  problem's first case, if its community has a hall and its scope is one of
  ``hall.scopes``, the hall takes it up, and with ``hall.settle_probability`` settles it
  ``hall.delay_days`` later unless something fixed it first (``problems.parquet``:
  ``fixed_by`` ``deliberation``; its open cases close at the grid: merged handling);
- at each calendar month's start, takes each community's open problems of
  ``projects.scopes`` with at least ``projects.min_reports`` reports in the month that ended
  (cases created for them: the problem's ``appeals`` since the last month's start), and makes
  the most reported ones its small projects, up to ``projects.per_community`` (ties: the
  earlier first report, then the lower id); a project fixes its problem with
  ``projects.fix_probability`` at a uniform time before ``projects.deadline_days``
  (``fixed_by`` ``project``), else fails at its deadline;
- counts what it did per street and month (the ``deliberation`` table and block of
  ``summary.json``, the outcomes of :mod:`~govsim.mechanisms.deliberation.outcomes`) and
  keeps one row per project (``deliberation_projects``).

A problem is the community's once reported: deliberation works on what residents raised,
after the fact, which is what tells it from the self-governance policy (residents solving a
problem before anyone appeals: govsim/policies/self_governance.py). Switched off,
:meth:`DeliberationMechanism.from_scenario` returns None; with ``settle_probability`` 0 it
listens to nothing, with ``per_community`` 0 it chooses nothing, and the run's cases are
today's.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from simpy.events import Timeout

from govsim.core.agenda import Agenda
from govsim.core.calendar import Calendar
from govsim.core.codes import FIXED_BY_DELIBERATION, FIXED_BY_PROJECT, GRID_TIER
from govsim.core.errors import LedgerError
from govsim.core.json_numbers import round_number
from govsim.engine.mechanism import FinishedRun, Mechanism, RunParts
from govsim.engine.recording.tables import named
from govsim.mechanisms.area_units.book import StreetMonthBook
from govsim.mechanisms.deliberation.outcomes import OUTCOMES

if TYPE_CHECKING:
    from govsim.core.case import Case
    from govsim.mechanisms.problems.record import Problem
    from govsim.mechanisms.problems.stock import ProblemStock
    from govsim.scenario.schema import Scenario

COUNTERS = (
    "taken_up",
    "settling",
    "settled",
    "moot",
    "projects_chosen",
    "projects_fixed",
    "projects_failed",
    "projects_moot",
)
"""Per street and month: shared problems a hall took up, those it will settle, settled, and
fixed otherwise first (moot); projects chosen, that fixed their problem, that failed by their
deadline, and whose problem was fixed otherwise first."""
PROJECT_OUTCOMES = ("fixed", "failed", "moot", "open")


class DeliberationMechanism(Mechanism):
    """Community deliberation and small projects, installed into a run (see the module
    docstring)."""

    name = "deliberation"
    outcomes = OUTCOMES

    def __init__(self, scenario: Scenario) -> None:
        self.spec = scenario.deliberation

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> DeliberationMechanism | None:
        return cls(scenario) if scenario.deliberation.enabled else None

    # -- assembly --------------------------------------------------------------------------
    def install(self, run: RunParts) -> None:
        scenario = run.scenario
        stock: ProblemStock | None = getattr(run.mechanism("problems"), "stock", None)
        if stock is None:
            raise ValueError("mechanism 'deliberation' acts on problems: enable the problems")
        self.stock = stock
        self.env = run.env
        layout = run.layout
        self.grid_street = layout.grid_street().tolist()
        self.grid_names = [g.name for g in layout.grids]
        self.category_names = [c.name for c in scenario.categories]
        communities = [g for g, unit in enumerate(layout.grids) if unit.population > 0]
        self.horizon = horizon = scenario.days * 24.0
        self.calendar = calendar = Calendar(scenario.start_date, horizon)
        streets = [s.name for s in layout.streets]
        self.book = StreetMonthBook(COUNTERS, streets, calendar, math.ceil(scenario.days))
        self.agenda = Agenda(run.env)
        self.pending = {"settling": 0, "projects": 0}
        """Settlements and projects still under way (the book's check)."""
        scopes = list(scenario.problems.scopes)
        hall, projects = self.spec.hall, self.spec.projects
        streams = run.streams
        # Which communities have a hall: the ``coverage`` share of them, drawn once.
        draw = streams.uniform("deliberation/halls")
        order = sorted(communities, key=lambda _g: draw())
        self.halls = sorted(order[: round(hall.coverage * len(communities))])
        shared = [scope in hall.scopes for scope in scopes]
        self.takes_up = [[False] * len(scopes) for _ in layout.grids]
        """Per grid and scope kind: whether the grid's hall takes up such a problem."""
        for g in self.halls:
            self.takes_up[g] = list(shared)
        self.settle_probability = hall.settle_probability
        self.delay = hall.delay_days * 24.0
        self.settle_draw = streams.uniform("deliberation/settle")
        if hall.settle_probability > 0 and self.halls and any(shared):
            run.intake.listeners.append(self._created)
        self.projects = projects
        self.eligible = [scope in projects.scopes for scope in scopes]
        self.communities = set(communities)
        self.project_draw = streams.uniform("deliberation/project")
        self.project_time = streams.uniform("deliberation/project_time")
        self.seen: dict[int, int] = {}
        """Per open problem: its reports (``appeals``) at the last month's start."""
        self.in_project: set[int] = set()
        self.rows: list[list[Any]] = []
        """One per project: month, grid, street, problem, category, reports, chosen, deadline,
        outcome code (PROJECT_OUTCOMES), when it was fixed."""
        if projects.per_community > 0 and any(self.eligible) and communities:
            for start in calendar.month_starts[1:]:
                Timeout(run.env, start).callbacks.append(self._month_started)

    # -- the deliberation hall -------------------------------------------------------------
    def _created(self, case: Case) -> None:
        """A new case: at a problem's first one, the community's hall may take it up."""
        problem = case.problem
        if problem is None or problem.appeals != 1 or not self.takes_up[case.grid][problem.scope]:
            return
        now = case.created
        street = case.street
        self.book.add("taken_up", street, now)
        if self.settle_draw() < self.settle_probability:
            self.book.add("settling", street, now)
            self.pending["settling"] += 1
            self.agenda.at(now + self.delay, self._settle, problem)

    def _settle(self, problem: Problem) -> None:
        self.pending["settling"] -= 1
        street = self.grid_street[problem.grid]
        now = self.env.now
        if problem.is_fixed:
            self.book.add("moot", street, now)
            return
        self.stock.fix(problem, FIXED_BY_DELIBERATION, GRID_TIER)
        self.book.add("settled", street, now)

    # -- small projects chosen by residents' opinion ---------------------------------------
    def _month_started(self, _event: object) -> None:
        """Each community's most reported open problems of the month that ended become its
        projects for the month that starts."""
        now = self.env.now
        seen, counted = self.seen, {}
        projects = self.projects
        eligible, communities, in_project = self.eligible, self.communities, self.in_project
        candidates: dict[int, list[tuple[int, float, int, Problem]]] = {}
        for problem in self.stock.ledger.open.values():
            if problem.is_fixed:
                continue
            counted[problem.id] = problem.appeals
            reports = problem.appeals - seen.get(problem.id, 0)
            if (
                reports >= projects.min_reports
                and eligible[problem.scope]
                and problem.grid in communities
                and problem.id not in in_project
            ):
                candidates.setdefault(problem.grid, []).append(
                    (-reports, problem.first_reported, problem.id, problem)
                )
        self.seen = counted
        month = self.calendar.labels[self.calendar.month(now)]
        deadline = now + projects.deadline_days * 24.0
        for grid in sorted(candidates):
            for minus_reports, _, _, problem in sorted(candidates[grid])[: projects.per_community]:
                self._choose(problem, -minus_reports, month, now, deadline)

    def _choose(
        self, problem: Problem, reports: int, month: str, now: float, deadline: float
    ) -> None:
        street = self.grid_street[problem.grid]
        self.book.add("projects_chosen", street, now)
        self.in_project.add(problem.id)
        self.pending["projects"] += 1
        row = [month, problem.grid, street, problem.id, problem.category, reports, now, deadline]
        row += [PROJECT_OUTCOMES.index("open"), float("nan")]
        self.rows.append(row)
        if self.project_draw() < self.projects.fix_probability:
            when = now + self.project_time() * (deadline - now)
            self.agenda.at(when, self._project_done, (problem, row))
        else:
            self.agenda.at(deadline, self._project_failed, (problem, row))

    def _project_done(self, subject: tuple[Problem, list[Any]]) -> None:
        problem, row = subject
        now = self.env.now
        street = row[2]
        self._resolved(problem)
        if problem.is_fixed:
            row[8] = PROJECT_OUTCOMES.index("moot")
            self.book.add("projects_moot", street, now)
            return
        self.stock.fix(problem, FIXED_BY_PROJECT, GRID_TIER)
        row[8], row[9] = PROJECT_OUTCOMES.index("fixed"), now
        self.book.add("projects_fixed", street, now)

    def _project_failed(self, subject: tuple[Problem, list[Any]]) -> None:
        problem, row = subject
        self._resolved(problem)
        outcome = "moot" if problem.is_fixed else "failed"
        row[8] = PROJECT_OUTCOMES.index(outcome)
        self.book.add(f"projects_{outcome}", row[2], self.env.now)

    def _resolved(self, problem: Problem) -> None:
        self.pending["projects"] -= 1
        self.in_project.discard(problem.id)

    # -- end of the run --------------------------------------------------------------------
    def check(self, run: RunParts) -> None:
        """Every settlement begun is settled, moot or still pending; every project chosen is
        fixed, failed, moot or still under way, and has its row."""
        book = self.book
        faults = []
        settling = book.total("settling")
        ended = book.total("settled") + book.total("moot")
        if settling != ended + self.pending["settling"]:
            faults.append(
                f"{settling} settlements begun, {ended} ended, {self.pending['settling']} pending"
            )
        chosen = book.total("projects_chosen")
        ended = sum(book.total(f"projects_{o}") for o in ("fixed", "failed", "moot"))
        if chosen != ended + self.pending["projects"] or chosen != len(self.rows):
            faults.append(
                f"{chosen} projects chosen, {ended} ended, {self.pending['projects']} under "
                f"way, {len(self.rows)} rows"
            )
        if not book.balanced():
            faults.append("the street-month counts differ from the daily counts")
        if faults:
            raise LedgerError("deliberation's book does not balance: " + "; ".join(faults))

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"deliberation": self.book.frame(), "deliberation_projects": self._projects()}

    def _projects(self) -> pd.DataFrame:
        """One row per project (docs/outputs.md)."""
        columns = ["month", "grid", "street", "problem_id", "category", "reports", "chosen"]
        columns += ["deadline", "outcome", "fixed"]
        frame = pd.DataFrame(self.rows, columns=columns)
        for column, names in (
            ("grid", self.grid_names),
            ("street", self.book.streets),
            ("category", self.category_names),
            ("outcome", PROJECT_OUTCOMES),
        ):
            frame[column] = named(frame[column].to_numpy(dtype=np.int64), names)
        return frame.astype(
            {"problem_id": "int64", "reports": "int64", "chosen": float, "deadline": float}
        )

    def tallies(self) -> StreetMonthBook:
        return self.book

    def summary(self, state: FinishedRun) -> dict[str, Any]:
        """The ``deliberation`` block: halls, shared problems taken up and settled, projects
        chosen and what became of them, and what the projects cost."""
        book = self.book
        chosen, fixed = book.total("projects_chosen"), book.total("projects_fixed")
        return {
            "communities_with_hall": len(self.halls),
            "taken_up": book.total("taken_up"),
            "settled": book.total("settled"),
            "settled_otherwise_first": book.total("moot"),
            "settlements_pending": self.pending["settling"],
            "projects_chosen": chosen,
            "projects_fixed": fixed,
            "projects_failed": book.total("projects_failed"),
            "projects_fixed_otherwise_first": book.total("projects_moot"),
            "projects_under_way": self.pending["projects"],
            "projects_cost_yuan": round_number(chosen * self.projects.cost_yuan),
        }
