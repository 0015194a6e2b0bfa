"""Two-way assessment (双向考评, seed 001): residents rate grids, grids rate streets, streets rate
the departments that answer their whistles.

Haidian assesses "upward" along residents -> community grids -> streets -> departments
(seed 001: 实施条块"双向"考核评价 ... 加强街镇对委办局的考核), so a unit is also rated by the
units it serves. One option of the ranking policy (``two_way``), off by default. On, each
assessment period:

- *residents rate grids*: every grid gets the three rates and composite of the cases closed
  at the grid (the callbacks of its residents), ranked among the grids with the ranking's
  shares (advanced, ordinary, rectification; grids are neither improving nor governance and
  do not respond to their group). Rows of ``unit_type`` ``grid`` in ``rankings.parquet``;
- *grids rate streets*: a grid rates its street on the cases it escalated to it (closed at
  the street, by a whistled department, or at the district after the street): the share
  closed within their category's time limit, counted from the appeal. A street's rating is
  the mean over its grids that escalated a closed case in the period (each grid one vote);
  it counts in the street's composite with ``grid_weight`` (0 by default: recorded only);
- *streets rate departments*: each time a summoned department's staff arrive at a whistle,
  the street rates the answer ``min(1, deadline / hours)``: 1 within the whistle's deadline
  (30 minutes in Pinggu, DOMAIN.md), half at twice it, and so on; a department's rating is
  the mean over the answers that arrived in the period, and counts in its composite with
  ``whistle_weight``.

A unit's composite is ``(1 - weight) x its three-rate composite + weight x its rating``;
without a rating that period, the three-rate composite; without closed cases scored, the
rating alone (a department that only answers whistles is ranked on them).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import Field

from govsim.core.bounds import MAX_HOURS
from govsim.core.codes import (
    DISTRICT_TIER,
    GRID_TIER,
    NOT_ASKED,
    SATISFACTION_WEIGHT,
    STREET_TIER,
)
from govsim.core.parameters import Strict

if TYPE_CHECKING:
    from collections.abc import Callable

    from govsim.core.case import Case
    from govsim.policies.backlog import Unit
    from govsim.policies.levers import Levers

NAN = float("nan")
ADVANCED, ORDINARY, RECTIFICATION = "advanced", "ordinary", "rectification"
"""The grids' groups (the ranking's names, :mod:`govsim.policies.ranking`)."""
RATES_COLUMNS = ("response_rate", "resolution_rate", "satisfaction_rate")
RATING_COLUMNS = ("two_way_rating", "two_way_ratings")
"""rankings.parquet's columns with ``two_way`` on: the unit's three rates, then the rating it
gets from the units it serves and how many ratings that mean rests on."""


class TwoWay(Strict):
    """Two-way assessment: residents rate grids, grids rate streets, streets rate the
    departments' whistle answers (docs/policies.md, "Two-way assessment")."""

    enabled: bool = Field(
        False,
        description="Rate grids, streets and departments two ways (false: the units are "
        "scored on their three rates only).",
    )
    whistle_weight: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Weight of the streets' rating of a department's whistle answers in its "
        "composite (share; assumed: seed 001 gives the practice, not the weight).",
    )
    grid_weight: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Weight of the grids' rating of a street in its composite (share; "
        "assumed; 0: recorded only).",
    )
    deadline_hours: float | None = Field(
        None,
        gt=0,
        le=MAX_HOURS,
        description="Deadline a whistle answer is rated against (hours); null: the scenario's "
        "`whistle.deadline_hours` (30 minutes, Pinggu 2017).",
    )


@dataclass
class TwoWayScores:
    """One period's two-way scores: the grids' tallies and each street's and department's
    rating (mean, count)."""

    grids: dict[int, list[float]] = field(default_factory=dict)
    """Grid -> [closed, on time, valid callbacks, resolved, satisfaction points, 0 (a grid's
    failed orders are all counted)]."""
    ratings: dict[Unit, tuple[float, int]] = field(default_factory=dict)


class TwoWayBook:
    """Tallies the period's ratings as cases close and whistles are answered."""

    def __init__(self, spec: TwoWay, levers: Levers) -> None:
        self.spec = spec
        self.env = levers.env
        self.limits = levers.category_limits
        self.deadline = (
            spec.deadline_hours
            if spec.deadline_hours is not None
            else levers.scenario.whistle.deadline_hours
        )
        self.grid_names = levers.unit_names("grid")
        self.pending: list[tuple[float, int, float]] = []
        """Whistle answers not arrived yet: (arrival time, department, hours)."""
        self._reset()

    def _reset(self) -> None:
        self.grids: defaultdict[int, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0, 0])
        self.escalated: defaultdict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
        """(street, grid) -> [escalated cases closed, closed within the limit]."""
        self.answers: defaultdict[int, list[float]] = defaultdict(lambda: [0, 0.0])
        """Department -> [whistle answers arrived, sum of their ratings]."""

    def closed(self, case: Case) -> None:
        tier = case.final_tier
        if tier == GRID_TIER:
            row = self.grids[case.grid]
            row[0] += 1
            row[1] += case.first_response - case.created <= self.limits[case.category]
            if case.satisfaction != NOT_ASKED:
                row[2] += 1
                row[3] += case.resolved
                row[4] += SATISFACTION_WEIGHT[case.satisfaction]
        elif tier in (STREET_TIER, DISTRICT_TIER) and case.escalations:
            pair = self.escalated[(case.street, case.grid)]
            pair[0] += 1
            pair[1] += case.closed - case.created <= self.limits[case.category]

    def whistled(self, case: Case, department: int, hours: float) -> None:
        self.pending.append((self.env.now + hours, department, hours))

    def take(self, now: float) -> TwoWayScores:
        """The period's scores up to ``now`` (whistle answers arrived by then); start anew."""
        later = []
        deadline = self.deadline
        for arrival, department, hours in self.pending:
            if arrival > now:
                later.append((arrival, department, hours))
                continue
            row = self.answers[department]
            row[0] += 1
            row[1] += rate_answer(hours, deadline)
        self.pending = later
        votes: defaultdict[int, list[float]] = defaultdict(list)
        for (street, _), (n, on_time) in self.escalated.items():
            votes[street].append(on_time / n)
        ratings: dict[Unit, tuple[float, int]] = {
            ("street", s): (sum(v) / len(v), len(v)) for s, v in votes.items()
        }
        for d, (answered, total) in self.answers.items():
            ratings[("department", d)] = (total / answered, int(answered))
        scores = TwoWayScores(dict(self.grids), ratings)
        self._reset()
        return scores

    def combine(self, scores: TwoWayScores, unit: Unit, composite: float | None) -> float | None:
        """``unit``'s composite with its rating counted (module docstring)."""
        weight = {"street": self.spec.grid_weight, "department": self.spec.whistle_weight}.get(
            unit[0], 0.0
        )
        rating = scores.ratings.get(unit)
        if rating is None or weight == 0:
            return composite
        if composite is None:
            return rating[0]
        return (1 - weight) * composite + weight * rating[0]

    @staticmethod
    def rank_grids(
        scores: TwoWayScores,
        composite: Callable[[list[float]], float | None],
        shares: tuple[float, float],
    ) -> list[tuple[int, int, float, str]]:
        """The grids with a ``composite`` this period, best first: (grid, rank from 1,
        composite, group), the top ``shares[0]`` advanced, the bottom ``shares[1]`` to
        rectify (as the ranking's streets; grids have no improving or governance group)."""
        scored = [(g, c) for g, row in scores.grids.items() if (c := composite(row)) is not None]
        scored.sort(key=lambda gc: (-gc[1], gc[0]))
        n = len(scored)
        n_adv, n_rect = int(round(n * shares[0])), int(round(n * shares[1]))
        return [
            (
                g,
                rank + 1,
                c,
                ADVANCED if rank < n_adv else RECTIFICATION if rank >= n - n_rect else ORDINARY,
            )
            for rank, (g, c) in enumerate(scored)
        ]

    @staticmethod
    def columns(scores: TwoWayScores, unit: Unit, row: list[float]) -> dict[str, float]:
        """The extra rankings columns of ``unit`` whose tally is ``row``."""
        closed, on_time, valid, resolved, points = row[:5]
        rating, count = scores.ratings.get(unit, (NAN, 0))
        return {
            "response_rate": on_time / closed if closed else NAN,
            "resolution_rate": resolved / valid if valid else NAN,
            "satisfaction_rate": points / valid if valid else NAN,
            "two_way_rating": rating,
            "two_way_ratings": count,
        }


def rate_answer(hours: float, deadline: float) -> float:
    """A street's rating of a whistle answer that took ``hours``: 1 within ``deadline``,
    ``deadline / hours`` after it."""
    return min(1.0, deadline / hours) if hours > 0 else 1.0
