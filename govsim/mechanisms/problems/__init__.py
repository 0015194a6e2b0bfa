"""Problems behind the appeals, the first mechanism: a problem persists until fixed, is reported
by the residents it touches, and a case can close without fixing it (docs/model.md).

The modules, one job each:

- :mod:`~govsim.mechanisms.problems.record`: ``Problem``, one problem's state, and its packed row;
- :mod:`~govsim.mechanisms.problems.stock`: ``ProblemStock``, how problems arise, are reported
  and are fixed;
- :mod:`~govsim.mechanisms.problems.ledger`: the problems' book, checked at the end of a run;
- :mod:`~govsim.mechanisms.problems.recording` and :mod:`~govsim.mechanisms.problems.tallies`:
  settled problems into the problems table and the streaming tallies;
- this module: :class:`ProblemsMechanism`, which wires them into a run through the hooks
  of :mod:`govsim.engine.mechanism`, and the ``problems`` block of ``summary.json``.

Switched off (``problems.enabled: false``), :meth:`ProblemsMechanism.from_scenario` returns
None and the run is the one without problems.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from simpy.events import Timeout

from govsim.core.codes import DISCOVERED_BY, FIXED_BY, GRID_TIER, NOT_FIXED, TIERS
from govsim.core.json_numbers import quantile_summary, round_number
from govsim.engine.mechanism import FinishedRun, Mechanism, RunParts, set_hook
from govsim.engine.recording.tables import open_table
from govsim.mechanisms.problems.ledger import ProblemLedger
from govsim.mechanisms.problems.outcomes import OUTCOMES
from govsim.mechanisms.problems.recording import ProblemCodec, ProblemRecorder
from govsim.mechanisms.problems.stock import ProblemStock
from govsim.mechanisms.problems.tallies import ProblemTallies

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pandas as pd

    from govsim.core.case import Case
    from govsim.core.parameters import Distribution
    from govsim.engine.agents.intake import CategoryRules
    from govsim.network.city import CityLayout
    from govsim.scenario.problems import CategoryProblems, Problems
    from govsim.scenario.schema import Scenario


class ProblemsMechanism(Mechanism):
    """Problems behind the appeals, installed into a run (see the module docstring).

    It is also the problems' levers (:class:`govsim.policies.levers.ProblemLevers`): what the
    monthly-topic and self-governance policies pull.
    """

    name = "problems"
    outcomes = OUTCOMES

    def __init__(self, scenario: Scenario) -> None:
        self.spec = scenario.problems
        self.paper_closure = self.spec.paper_closure
        """Share of cases of problems beyond a unit's powers that the unit closes on paper."""
        feedback = {str(tier): p for tier, p in scenario.feedback.resolution_probability.items()}
        own = self.spec.resolved_if_fixed
        fixed = feedback if own is None else {str(tier): p for tier, p in own.items()}
        self.resolved_if_fixed = fixed
        """Per closing tier: P(the resident says 'resolved' | the case fixed its problem)."""
        self.resolved_if_not_fixed = self.spec.resolved_if_not_fixed
        """P(the resident says 'resolved' | the case closed without fixing its problem)."""

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> ProblemsMechanism | None:
        return cls(scenario) if scenario.problems.enabled else None

    # -- assembly --------------------------------------------------------------------------
    def install(self, run: RunParts) -> None:
        scenario = run.scenario
        self.run = run
        self.recorder = _recorder(scenario, run.layout, run.table_file("problems"))
        self.ledger = ProblemLedger(self.recorder.record)
        self.stock = stock = ProblemStock(
            scenario,
            run.layout,
            run.streams,
            run.env,
            run.intake,
            run.handlers,
            run.arrivals,
            run.quality,
            run.self_governance,
            self.ledger,
            run.flow.merge,
        )
        rates, rules = problem_event_rates(scenario, run.intake.rules)
        run.intake.rules[:] = rules
        run.route_arrivals(stock.arise, rates, filtered=True)
        self.paper_draw: Callable[[], float] | None = (
            run.streams.uniform("problems/paper_closure") if self.paper_closure else None
        )
        set_hook(run.intake, "attach", stock.attach, self)
        set_hook(run.flow, "judging", stock.closed, self)  # did the handling fix the problem?
        set_hook(run.flow, "abandoning", self._abandoning, self)
        set_hook(run.flow, "repeat_appeal", self._appeal_again, self)
        if self.paper_draw is not None:  # (nothing to decide after a visit without it)
            set_hook(run.handlers, "after_visit", self._after_visit, self)
        set_hook(run.handlers, "jurisdiction", _jurisdiction, self)
        run.verification.judged_resolution = (
            [self.resolved_if_fixed[tier] for tier in TIERS],
            self.resolved_if_not_fixed,
        )

    # -- hooks (govsim/engine/mechanism.py) ------------------------------------------------
    def _abandoning(self, case: Case) -> None:
        problem = case.problem
        if problem is not None:
            problem.cases.remove(case)
            self.ledger.settle(problem)

    def _appeal_again(self, delay: float, original: Case, channel: int) -> None:
        """A resident appeals again: a report of the case's problem, or (a consultation asked
        again) a consultation again."""
        if original.problem is not None:
            self.stock.report_later(original.problem, delay, channel, original.id)
            return
        repeat = (original.category, original.grid, original.resident, channel, original.id)
        Timeout(self.run.env, delay).callbacks.append(lambda _e: self._consult_again(*repeat))

    def _consult_again(
        self, category: int, grid: int, resident: int, channel: int, repeat_of: int
    ) -> None:
        self.run.intake.create_decided(category, grid, resident, channel, repeat_of, 0, False, True)

    def _after_visit(self, case: Case, tier: int) -> bool:
        """Close ``case`` on paper after its visit at territorial ``tier`` if it is beyond the
        unit's powers (a fixed problem's case is closed by the engine: ``case.settled``)."""
        if case.problem is None:
            return False
        draw = self.paper_draw
        if draw is not None and tier < case.needed_tier and draw() < self.paper_closure:
            case.outcome = NOT_FIXED
            self.run.flow.close(case, GRID_TIER + tier)
            return True
        return False

    # -- end of the run --------------------------------------------------------------------
    def check(self, run: RunParts) -> None:
        self.ledger.check(run.ledger)

    def close_book(self) -> None:
        self.ledger.close_book()

    def finish(self) -> None:
        self.recorder.finish()

    def abort(self) -> None:
        self.recorder.abort()

    def tables(self) -> dict[str, pd.DataFrame]:
        table = self.recorder.table
        frame = None if table is None else table.frame()  # None: streamed to a file
        return {} if frame is None else {"problems": frame}

    def tallies(self) -> ProblemTallies:
        return self.recorder.tallies

    def summary(self, state: FinishedRun) -> dict[str, Any] | None:
        """The ``problems`` block: how many problems arose, were reported and really fixed,
        and the resolution gap: over closed cases of problems with a valid callback, the share
        reported resolved minus the share that truly fixed the problem."""
        tallies = self.recorder.tallies
        statistics = state.recorder.tallies
        shares = statistics.resolution_gap()
        return {
            "arisen": tallies.total("arisen"),
            "reported": tallies.total("reported"),
            "fixed": tallies.total("fixed"),
            "open_at_end": tallies.total("open_at_end"),
            "prevented": sum(state.prevented.values()),
            "appeals": tallies.total("appeals"),
            "appeals_per_reported_problem": round_number(tallies.appeals_per_reported_problem()),
            "true_fix_rate": round_number(tallies.true_fix_rate()),
            "problem_callbacks": statistics.day_total("judged_callbacks"),
            "reported_resolved_share": round_number(shares["reported_resolved"]),
            "truly_fixed_share": round_number(shares["truly_fixed"]),
            "resolution_gap": round_number(shares["gap"]),
            "time_from_arising_to_fix_hours": quantile_summary(tallies.fix_hours()),
            "fixed_by": {name: tallies.total(f"fixed_by_{name}") for name in FIXED_BY},
            "discovered_by": {
                name: tallies.total(f"discovered_by_{name}") for name in DISCOVERED_BY
            },
        }

    # -- levers (govsim.policies.levers.ProblemLevers) -------------------------------------
    def fix_open_problems(self, category: int, share: float) -> int:
        return self.stock.fix_share(category, share)

    def set_self_governance(
        self, coverage: list[float], solve_share: list[float], delay: Distribution
    ) -> None:
        sg = self.run.self_governance
        sg.coverage[:] = coverage
        sg.solve_share[:] = solve_share
        sg.on = True
        self.stock.set_self_fix_delay(delay)


def _recorder(scenario: Scenario, layout: CityLayout, file: Path | None) -> ProblemRecorder:
    """The problems' sink: their tallies and, with ``output.cases_table``, their table (kept in
    memory, or streamed to ``file``)."""
    codec = ProblemCodec(
        categories=[c.name for c in scenario.categories],
        grids=[u.name for u in layout.grids],
        streets=[u.name for u in layout.streets],
        districts=[u.name for u in layout.districts],
        scopes=list(scenario.problems.scopes),
        grid_street=layout.grid_street(),
        street_district=layout.street_district(),
    )
    table = open_table(codec, "problem", file) if scenario.output.cases_table else None
    return ProblemRecorder(codec, ProblemTallies(math.ceil(scenario.days)), table)


def _jurisdiction(case: Case, share: float, draw: Callable[[], float]) -> bool:
    """Unclear jurisdiction is drawn once per problem, at its first work order."""
    problem = case.problem
    if problem is None:
        return draw() < share
    if problem.unclear < 0:
        problem.unclear = int(draw() < share)
    return problem.unclear == 1


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
        arising /= expected_appeals(problems, category.problem)
        total = consultations + arising
        share = consultations / total if total > 0 else category.consultation_share
        rates.append(total)
        new_rules.append(rule._replace(consultation_share=share))
    return rates, new_rules


def expected_appeals(problems: Problems, category: CategoryProblems) -> float:
    """E[appeals per problem] of a category: the first report, plus the reports its scopes'
    reporting rates make while it stays open ``reference_open_hours`` (the volume derivation
    of govsim/scenario/problems.py), or the category's own ``appeals_per_problem``."""
    if category.appeals_per_problem is not None:
        return category.appeals_per_problem
    rate = sum(share * problems.scopes[s].reporting_rate for s, share in category.scope.items())
    return 1.0 + problems.reference_open_hours / 24.0 * rate
