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
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from govsim.core.bounds import MAX_DAYS, MAX_SCORE, MAX_STREETS, MAX_UNIT_STAFF
from govsim.core.codes import DEPARTMENT_TIER, HOTLINE_TIER, NOT_ASKED, SATISFACTION_WEIGHT
from govsim.core.rates import DEFAULT_WEIGHTS, RATES, RateName
from govsim.policies.audit import Audit
from govsim.policies.backlog import BacklogBook, OpenOrders
from govsim.policies.base import PolicySpec
from govsim.policies.levers import assessment_levers

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence

    from govsim.core.case import Case
    from govsim.policies.backlog import Unit
    from govsim.policies.levers import AssessmentLevers, Levers

    Tally = defaultdict[Unit, list[float]]
    """(unit type, index) -> [closed, on time, valid callbacks, resolved, satisfaction points]."""
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
            assessment.assessed_by(
                composite_weights([self]), self.audit.share, self.audit.penalty_groups
            )
            levers.on_close(controller.count_assessed)
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
            if orders.counted or orders.recorded
            else None
        )
        self.assessment: AssessmentLevers | None = assessment_levers(levers)
        """Units that answer to their assessment (govsim/mechanisms/assessment/), or None."""

    def _reset(self) -> None:
        self.appeals: defaultdict[int, int] = defaultdict(int)
        # (unit type, index) -> [closed, on time, valid callbacks, resolved, satisfaction points]
        self.tally: Tally = defaultdict(lambda: [0, 0, 0, 0, 0.0])

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
            tally, appeals = self.tally, self.appeals
            self._reset()
            backlog = book.month_end() if book is not None else None
            if month_end < self.spec.start_day * 24:
                continue
            month = calendar.labels[calendar.month(month_end) - 1]
            if book is not None and orders.counted:
                levers.env.process(
                    self._rank_later(book, month, month_end, tally, appeals, backlog)
                )
            else:
                self._rank(month, tally, appeals, backlog, {})

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

        def record(key: Unit, rank: int, composite: float | None, group: str) -> None:
            row = (month, key[0], self._name(*key), rank, composite, group)
            if backlog is None:
                levers.record_ranking(*row)
                return
            means, late = backlog
            mean = means[key[1]] if key[0] == "street" else float("nan")
            levers.record_ranking(*row, backlog=(mean, late.get(key, 0), counted.get(key, 0)))

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
            composites = [(u, self._composite(tally[(unit_type, u)])) for u in range(count)]
            scored = [
                (u, c) for u, c in composites if c is not None and (unit_type, u) not in groups
            ]
            scored.sort(key=lambda uc: (-uc[1], uc[0]))
            n_adv = int(round(len(scored) * spec.advanced_share))
            n_rect = int(round(len(scored) * spec.rectification_share))
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
            record(("street", s), 0, self._composite(tally[("street", s)]), GOVERNANCE)
        self._respond(groups)
        if self.assessment is not None:  # the units choose next month's effort and gaming
            self.assessment.ranked(month, groups, tally, backlog)

    def _name(self, unit_type: str, index: int) -> str:
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
