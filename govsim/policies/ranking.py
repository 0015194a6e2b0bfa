"""Assessment and ranking (三率考核, 排名): monthly league tables and how units respond.

At each month's end (from ``start_day``) every street and department gets the three
rates of the cases it closed that month (response on time, resolved, satisfied with
"basically satisfied" counting 0.9; outcomes are those of the callback the case will
get) and a composite score with ``weights`` (one public formula: 0.1 response +
0.5 resolution + 0.4 satisfaction). Groups: the ``governance_count`` streets with the
most appeals form the governance class (a listed street stays in it for
``governance_months`` months); of the others the top ``advanced_share`` are
advanced, the bottom ``rectification_share`` are to rectify, and the
``advanced_share`` with the largest rise since last month are improving.

Responses, each off at 0:

- *pressure*: each month a ranked unit closes ``improvement_rate`` of the gap between its
  resolution probability and ``quality_ceiling``; units to rectify and the governance
  class ``shame_factor`` times as fast, advanced ones ``honour_factor`` times (the shame
  list raises improvement, the honour list lowers it: Wei et al. 2022); with
  ``service_gain`` the unit's satisfaction score also rises by that many points per unit of
  resolution probability gained (better contact with residents: satisfaction rose faster
  than resolution alone explains in 2019, see docs/calibration.md);
- *extra staff*: governance-class streets get ``extra_staff`` street staff for the next month;
- *prevention*: a governance-class street's appeal rate falls by ``governance_prevention``
  for each month it spends in the class (852 -> 276 monthly appeals, May to October 2019);
- *speed for quality*: a street to rectify handles next month's cases ``speedup`` faster
  at ``resolution_penalty`` lower resolution.

What counts (``open_orders``, :mod:`govsim.policies.backlog`): by default closed cases with a
valid callback only; counted, the orders still open ``grace_days`` after the month's end
count as closed late, unresolved and unsatisfied, and the month is ranked then.

Two-way assessment (``two_way``, :mod:`govsim.policies.two_way`), off by default: residents
rate grids, grids rate streets, streets rate the departments' whistle answers, and those
ratings count in the streets' and departments' composites.

The terms (:mod:`govsim.policies.terms`), each off by default: a quarterly ``period``, a
fault-tolerance allowance (容错) and bonuses by group.

Two more designs of what counts, each off by default and monthly: overdue orders
(``overdue``, :mod:`govsim.policies.overdue`): an order closed after its limit or open past it
at a month's end counts as failed, in each month it is overdue; orders on hand (``on_hand``,
:mod:`govsim.policies.on_hand`): each order open at a month's end counts as not finished that
month. Scoring (``scoring``, :mod:`govsim.policies.points`): 100-point scores, the bottom N
named.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from govsim.core.bounds import MAX_DAYS, MAX_SCORE, MAX_STREETS, MAX_UNIT_STAFF
from govsim.core.codes import DEPARTMENT_TIER, HOTLINE_TIER, NOT_ASKED, SATISFACTION_WEIGHT
from govsim.core.rates import DEFAULT_WEIGHTS, RATES, RateName
from govsim.policies.audit import Audit
from govsim.policies.backlog import BacklogBook, OpenOrders
from govsim.policies.base import PolicySpec
from govsim.policies.levers import assessment_levers
from govsim.policies.on_hand import OnHandOrders, on_hand
from govsim.policies.overdue import OverdueCount, OverdueOrders
from govsim.policies.points import Scoring, rectified
from govsim.policies.terms import (
    BONUS_COLUMN,
    FORGIVEN_COLUMN,
    GroupName,
    Period,
    ends_period,
    fails,
)
from govsim.policies.two_way import TwoWay, TwoWayBook, TwoWayScores

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence

    from govsim.core.case import Case
    from govsim.policies.backlog import Unit
    from govsim.policies.levers import AssessmentLevers, Levers

    Tally = defaultdict[Unit, list[float]]
    """(unit type, index) -> [closed, on time, valid callbacks, resolved, satisfaction points,
    failed orders forgiven (``fault_tolerance``)]."""
    Backlog = tuple[list[float], dict[Unit, int]]
    """The streets' mean open cases over a month, the units' open orders past their limit."""

ADVANCED, IMPROVING, RECTIFICATION, GOVERNANCE, ORDINARY = (
    "advanced",
    "improving",
    "rectification",
    "governance",
    "ordinary",
)


class Ranking(PolicySpec):
    """Monthly three rates, composite score, ranking groups and the units' responses."""

    type: Literal["ranking"]
    start_day: float = Field(
        0.0, ge=0, le=MAX_DAYS, description="Rankings start at the first month end after this day."
    )
    weights: dict[RateName, float] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS),
        description="Composite score weights, relative, each 0 to 1,000 (public analytics "
        "formula: 0.1 / 0.5 / 0.4).",
    )
    advanced_share: float = Field(0.1, ge=0, le=1, description="Share of streets ranked advanced.")
    rectification_share: float = Field(0.1, ge=0, le=1, description="Share of streets to rectify.")
    governance_count: int = Field(
        10, ge=0, le=MAX_STREETS, description="Streets with most appeals in the governance class."
    )
    governance_months: int = Field(
        1,
        ge=1,
        le=MAX_DAYS // 28,
        description="Months a street stays in the governance class once listed (1: listed anew "
        "each month).",
    )
    improvement_rate: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Monthly share of the gap to `quality_ceiling` a ranked unit closes.",
    )
    quality_ceiling: float = Field(
        0.97, ge=0, le=1, description="Best reachable resolution probability."
    )
    shame_factor: float = Field(
        1.5, ge=0, le=100, description="Improvement multiplier, rectification and governance."
    )
    honour_factor: float = Field(
        0.5, ge=0, le=100, description="Improvement multiplier, advanced units."
    )
    extra_staff: int = Field(
        0,
        ge=0,
        le=MAX_UNIT_STAFF,
        description="Extra street staff for governance-class streets next month (people).",
    )
    governance_prevention: float = Field(
        0.0, ge=0, le=1, description="Monthly fall of a governance-class street's appeal rate."
    )
    service_gain: float = Field(
        0.0,
        ge=0,
        le=MAX_SCORE,
        description="Satisfaction score a unit gains per unit of resolution probability gained "
        "under pressure.",
    )
    speedup: float = Field(
        0.0, ge=0, lt=1, description="Faster handling at streets to rectify (share)."
    )
    resolution_penalty: float = Field(
        0.0, ge=0, le=1, description="Lower resolution probability that buys the speed-up."
    )
    open_orders: OpenOrders = Field(
        default_factory=OpenOrders,
        description="What the rates count of the orders still open, and whether each unit's "
        "backlog is recorded (default: neither; closed cases with a valid callback only).",
    )
    overdue: OverdueOrders = Field(
        default_factory=OverdueOrders,
        description="Whether orders not closed within their limit count as failed, in each "
        "month they are overdue (default: no; closed cases with a valid callback only).",
    )
    on_hand: OnHandOrders = Field(
        default_factory=OnHandOrders,
        description="Whether the orders open at a month's end count as not finished in its "
        "rates, each month (default: no; closed cases with a valid callback only).",
    )
    scoring: Scoring = Field(
        default_factory=Scoring,
        description="100-point scores and the bottom units named to rectify (default: "
        "composites only, the bottom `rectification_share` to rectify).",
    )
    two_way: TwoWay = Field(
        default_factory=TwoWay,
        description="Two-way assessment: grids rated by residents, streets by grids, "
        "departments by the streets whose whistles they answer (default: off).",
    )
    period: Period = Field(
        "month",
        description="How often units are ranked: each month, or at each quarter's end (March, "
        "June, September, December) on the tallies since the last ranking.",
    )
    fault_tolerance: int = Field(
        0,
        ge=0,
        le=MAX_UNIT_STAFF,
        description="A unit's first failed orders each period not counted (容错; orders: late, "
        "or unresolved or not fully satisfied at the callback; assumed, seed 003 names the "
        "mechanism without a number).",
    )
    bonus_yuan: dict[GroupName, float] = Field(
        default_factory=dict,
        description="Bonus per person of a ranked grid's or street's staff each period, by "
        "group (yuan, each 0 to 100,000; seed 001: 900 / 1,050 / 1,200 a quarter for Haidian's "
        "community workers; which group gets which is assumed); empty: none.",
    )
    audit: Audit = Field(
        default_factory=Audit,
        description="Third-party audits of the units' closures (govsim/policies/audit.py): "
        "they catch the gaming of units that answer to their assessment (`assessment`).",
    )

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        if any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
            raise ValueError("weights must be non-negative and not all zero")
        if any(w > 1_000 for w in v.values()):
            raise ValueError("weights must be at most 1,000 (they are relative)")
        return v

    @field_validator("bonus_yuan")
    @classmethod
    def _bonus(cls, v: dict[str, float]) -> dict[str, float]:
        if any(not 0 <= a <= 100_000 for a in v.values()):
            raise ValueError("bonus_yuan amounts must be 0 to 100,000 yuan")
        return v

    @model_validator(mode="after")
    def _quarterly_backlog(self) -> Ranking:
        orders = self.open_orders
        if self.period != "month" and (orders.counted or orders.recorded):
            raise ValueError("open_orders are monthly: use them with period: month")
        if self.period != "month" and (self.overdue.counted or self.on_hand.counted):
            raise ValueError("overdue and on_hand are monthly: use them with period: month")
        return self

    @model_validator(mode="after")
    def _one_design(self) -> Ranking:
        if self.open_orders.counted + self.overdue.counted + self.on_hand.counted > 1:
            raise ValueError("count one of open_orders, overdue and on_hand, not more")
        return self

    def install(self, levers: Levers) -> None:
        controller = _RankingController(self, levers)
        book = controller.book
        if book is not None:
            levers.on_create(book.created)
        levers.on_create(controller.count_appeal)
        assessment = controller.assessment
        if assessment is None:
            levers.on_close(controller.count_closed)
        else:  # units that answer to their assessment: labelled cases leave the rates
            audit = self.audit
            assessment.assessed_by(
                composite_weights([self]),
                audit.share,
                audit.penalty_groups,
                self.overdue.counted,
                (audit.follow_up_share, audit.follow_up_months),
            )
            levers.on_close(controller.count_assessed)
        two_way = controller.two_way
        if two_way is not None:
            levers.on_close(two_way.closed)
            levers.on_whistle(two_way.whistled)
        levers.env.process(controller.run())


def composite_weights(policies: Sequence[PolicySpec]) -> dict[str, float]:
    """The composite weights of a scenario whose policies are ``policies``: the ranking
    policy's, else the public formula 0.1 / 0.5 / 0.4."""
    for policy in policies:
        if isinstance(policy, Ranking):
            return {r: policy.weights.get(r, 0.0) for r in RATES}
    weights: dict[str, float] = {r: w for r, w in DEFAULT_WEIGHTS.items()}
    return weights


class _RankingController:
    def __init__(self, spec: Ranking, levers: Levers) -> None:
        self.spec = spec
        self.levers = levers
        self.street_names = levers.unit_names("street")
        self.department_names = levers.unit_names("department")
        self.limits = levers.category_limits
        self.reference = levers.scenario.feedback.resolution_probability
        self._reset()
        self.previous: dict[tuple[str, int], float] = {}
        self.extra: dict[int, int] = {}
        self.rushed: list[int] = []
        self.listed: dict[int, int] = {}
        """Governance-class streets and the months they have left in the class."""
        orders = spec.open_orders
        self.book = (
            BacklogBook(levers, len(self.street_names))
            if orders.counted or orders.recorded or spec.overdue.counted or spec.on_hand.counted
            else None
        )
        self.overdue = (
            OverdueCount(self.book, self.limits, spec.overdue.each_month)
            if self.book is not None and spec.overdue.counted
            else None
        )
        self.two_way = TwoWayBook(spec.two_way, levers) if spec.two_way.enabled else None
        self.two_way_scores: dict[str, TwoWayScores] = {}
        """The two-way scores of each period taken and not ranked yet, by its label."""
        self.bonuses = 0.0
        """Bonuses of the period being recorded (yuan)."""
        self.assessment: AssessmentLevers | None = assessment_levers(levers)
        """Units that answer to their assessment (govsim/mechanisms/assessment/), or None."""

    def _reset(self) -> None:
        self.appeals: defaultdict[int, int] = defaultdict(int)
        # (unit type, index) -> [closed, on time, valid callbacks, resolved, satisfaction points,
        # failed orders forgiven]
        self.tally: Tally = defaultdict(lambda: [0, 0, 0, 0, 0.0, 0])

    def count_appeal(self, case: Case) -> None:
        self.appeals[case.street] += 1

    def count_closed(self, case: Case) -> None:
        book = self.book
        if book is not None:
            book.closed(case)
            if not book.scored(case):
                return  # counted open in an earlier month
        tier = case.final_tier
        if tier == HOTLINE_TIER:
            return
        unit = (
            ("department", case.department) if tier == DEPARTMENT_TIER else ("street", case.street)
        )
        row = self.tally[unit]
        allowance = self.spec.fault_tolerance
        if allowance and row[5] < allowance and fails(case, self.limits[case.category]):
            row[5] += 1  # forgiven (容错): not counted
            return
        if self.overdue is not None and self.overdue.closing(case, unit):
            return  # counted at the month's end
        row[0] += 1
        row[1] += case.first_response - case.created <= self.limits[case.category]
        if case.satisfaction != NOT_ASKED:
            row[2] += 1
            row[3] += case.resolved
            row[4] += SATISFACTION_WEIGHT[case.satisfaction]

    def count_assessed(self, case: Case) -> None:
        """:meth:`count_closed`, but a case its unit labelled unreasonable leaves the rates
        (and the open orders)."""
        labelled = self.assessment.labelled  # type: ignore[union-attr]
        if case.id in labelled:
            labelled.discard(case.id)
            if self.book is not None:
                self.book.closed(case)
            return
        self.count_closed(case)

    def run(self) -> Generator:
        levers = self.levers
        calendar = levers.calendar
        book, orders = self.book, self.spec.open_orders
        for month_end in calendar.month_ends():
            yield levers.env.timeout(month_end - levers.env.now)
            if not ends_period(self.spec.period, calendar, month_end):
                continue  # the quarter's tallies run on
            tally, appeals = self.tally, self.appeals
            self._reset()
            backlog = book.month_end() if book is not None else None
            counted = self._count_failed(month_end, tally)
            scores = self.two_way.take(month_end) if self.two_way is not None else None
            if month_end < self.spec.start_day * 24:
                continue
            month = calendar.labels[calendar.month(month_end) - 1]
            if scores is not None:
                self.two_way_scores[month] = scores
            if book is not None and orders.counted:
                levers.env.process(
                    self._rank_later(book, month, month_end, tally, appeals, backlog)
                )
            else:
                self._rank(month, tally, appeals, backlog, counted)

    def _count_failed(self, end: float, tally: Tally) -> dict[Unit, int]:
        """Add the month's overdue orders (closed late, unresolved, unsatisfied) or its orders
        on hand (unresolved, unsatisfied) to ``tally``; return how many each unit has."""
        counted: dict[Unit, int] = {}
        if self.overdue is not None:
            for unit, n in self.overdue.month_end(end).items():
                tally[unit][0] += n  # closed late (row 1 unchanged), a valid callback,
                tally[unit][2] += n  # unresolved and unsatisfied (rows 3 and 4 unchanged)
                counted[unit] = n
        if self.book is not None and self.spec.on_hand.counted:
            for unit, (n, on_time) in on_hand(self.book, self.limits, end).items():
                row = tally[unit]
                row[0], row[1], row[2] = row[0] + n, row[1] + on_time, row[2] + n
                counted[unit] = n
        return counted

    def _rank_later(
        self,
        book: BacklogBook,
        month: str,
        month_end: float,
        tally: Tally,
        appeals: dict[int, int],
        backlog: Backlog | None,
    ) -> Generator:
        """Rank ``month`` when its grace period ends, its open orders counted."""
        yield self.levers.env.timeout(self.spec.open_orders.grace_days * 24)
        counted = book.count_open(month_end)
        for unit, n in counted.items():
            row = tally[unit]
            row[0] += n  # closed late (row[1] unchanged), a valid callback,
            row[2] += n  # unresolved and unsatisfied (rows 3 and 4 unchanged)
        self._rank(month, tally, appeals, backlog, counted)

    def _composite(self, row: list[float]) -> float | None:
        if row[0] == 0 or row[2] == 0:
            return None
        rates = {
            "response": row[1] / row[0],
            "resolution": row[3] / row[2],
            "satisfaction": row[4] / row[2],
        }
        weights = self.spec.weights
        return sum(weights.get(r, 0.0) * rates[r] for r in RATES) / sum(weights.values())

    def _rank(
        self,
        month: str,
        tally: Tally,
        appeals: dict[int, int],
        backlog: Backlog | None,
        counted: dict[Unit, int],
    ) -> None:
        spec, levers = self.spec, self.levers
        two_way, scores = self.two_way, self.two_way_scores.pop(month, None)

        def score(key: Unit) -> float | None:
            composite = self._composite(tally[key])
            if two_way is None or scores is None:
                return composite
            return two_way.combine(scores, key, composite)

        def record(key: Unit, rank: int, composite: float | None, group: str) -> None:
            row = (month, key[0], self._name(*key), rank, composite, group)
            kept = None
            if backlog is not None:
                means, late = backlog
                mean = means[key[1]] if key[0] == "street" else float("nan")
                kept = (mean, late.get(key, 0), counted.get(key, 0))
            extra = self._extra(key, group, tally[key], scores)
            if extra is None:
                levers.record_ranking(*row, backlog=kept)
            else:
                levers.record_ranking(*row, backlog=kept, extra=extra)

        top = sorted(appeals, key=lambda s: (-appeals[s], s))[: spec.governance_count]
        for s in top:
            self.listed[s] = spec.governance_months
        governance = top + sorted(
            s for s in self.listed if s not in top
        )  # still listed from earlier months
        self.listed = {s: n - 1 for s, n in self.listed.items() if n > 1}
        groups: dict[tuple[str, int], str] = {("street", s): GOVERNANCE for s in governance}
        for unit_type, count in (
            ("street", len(self.street_names)),
            ("department", len(self.department_names)),
        ):
            composites = [(u, score((unit_type, u))) for u in range(count)]
            scored = [
                (u, c) for u, c in composites if c is not None and (unit_type, u) not in groups
            ]
            scored.sort(key=lambda uc: (-uc[1], uc[0]))
            n_adv = int(round(len(scored) * spec.advanced_share))
            n_rect = rectified(len(scored), spec.rectification_share, spec.scoring.bottom_named)
            for rank, (u, _) in enumerate(scored):
                key = (unit_type, u)
                if rank < n_adv:
                    groups[key] = ADVANCED
                elif rank >= len(scored) - n_rect:
                    groups[key] = RECTIFICATION
                else:
                    groups[key] = ORDINARY
            rises = sorted(
                (
                    (c - self.previous[(unit_type, u)], u)
                    for u, c in scored
                    if (unit_type, u) in self.previous and groups[(unit_type, u)] == ORDINARY
                ),
                reverse=True,
            )
            for _, u in rises[:n_adv]:
                groups[(unit_type, u)] = IMPROVING
            if self.assessment is not None:  # units caught by an audit drop
                self.assessment.penalise(groups, unit_type)
            for rank, (u, composite) in enumerate(scored):
                self.previous[(unit_type, u)] = composite
                record((unit_type, u), rank + 1, composite, groups[(unit_type, u)])
        for s in governance:
            record(("street", s), 0, score(("street", s)), GOVERNANCE)
        if two_way is not None and scores is not None:
            shares = (spec.advanced_share, spec.rectification_share)
            for g, rank, composite, group in two_way.rank_grids(scores, self._composite, shares):
                tally[("grid", g)] = scores.grids[g]
                record(("grid", g), rank, composite, group)
        if spec.bonus_yuan:
            levers.record_cost("ranking", 0.0, self.bonuses)
            self.bonuses = 0.0
        self._respond(groups)
        if self.assessment is not None:  # the units choose next month's effort and gaming
            self.assessment.ranked(month, groups, tally, backlog)

    def _extra(
        self, key: Unit, group: str, row: list[float], scores: TwoWayScores | None
    ) -> dict[str, float] | None:
        """The unit's columns after the backlog's: two-way, forgiven orders, bonus (None:
        none of those levers is on)."""
        spec, two_way = self.spec, self.two_way
        columns: dict[str, float] = {}
        if two_way is not None and scores is not None:
            columns.update(two_way.columns(scores, key, row))
        if spec.fault_tolerance:
            columns[FORGIVEN_COLUMN] = row[5]
        if spec.bonus_yuan:
            staff = 0
            if key[0] in ("grid", "street"):
                staff = self.levers.pools_of(key[0])[key[1]].capacity
                staff -= self.extra.get(key[1], 0) if key[0] == "street" else 0
            bonus = spec.bonus_yuan.get(group, 0.0) * staff  # type: ignore[call-overload]
            columns[BONUS_COLUMN] = bonus
            self.bonuses += bonus
        return columns or None

    def _name(self, unit_type: str, index: int) -> str:
        if unit_type == "grid" and self.two_way is not None:
            return self.two_way.grid_names[index]
        return (self.street_names if unit_type == "street" else self.department_names)[index]

    def _respond(self, groups: dict[tuple[str, int], str]) -> None:
        spec, levers = self.spec, self.levers
        quality = levers.quality
        # The responses below move units' resolution quality.
        street_quality = quality.resolution("street")
        department_quality = quality.resolution("department")
        streets = levers.pools_of("street")
        for s, n in self.extra.items():  # last month's extra staff go back
            streets[s].set_capacity(max(0, streets[s].capacity - n))
        self.extra = {}
        for s in self.rushed:
            streets[s].time_factor /= 1 - spec.speedup  # (a unit's own effort stays)
            street_quality[s] += spec.resolution_penalty
        self.rushed = []
        for (unit_type, u), group in groups.items():
            shifts = street_quality if unit_type == "street" else department_quality
            reference = self.reference["street" if unit_type == "street" else "department"]
            factor = {
                RECTIFICATION: spec.shame_factor,
                GOVERNANCE: spec.shame_factor,
                ADVANCED: spec.honour_factor,
            }.get(group, 1.0)
            gap = max(0.0, spec.quality_ceiling - (reference + shifts[u]))
            gain = min(1.0, spec.improvement_rate * factor) * gap
            shifts[u] += gain
            if spec.service_gain and gain:
                quality.service(unit_type)[u] += spec.service_gain * gain
            if unit_type != "street":
                continue
            if group == GOVERNANCE:
                if spec.extra_staff:
                    streets[u].set_capacity(streets[u].capacity + spec.extra_staff)
                    self.extra[u] = spec.extra_staff
                if spec.governance_prevention:
                    levers.arrivals.prevent_street(u, 1 - spec.governance_prevention)
            elif group == RECTIFICATION and (spec.speedup or spec.resolution_penalty):
                streets[u].time_factor *= 1 - spec.speedup
                quality.effort_on = True  # the fix probability reads the unit's effort
                street_quality[u] -= spec.resolution_penalty
                self.rushed.append(u)
