"""Monthly 100-point scores and the bottom units named (ceiling compression, issue 28).

One county scored its townships monthly on 100 points from the three rates and named the
bottom three; about 80% of them had full marks, so one unsatisfied case decided who was
named (Xinhua, 2024-09-26; ../shared/DOMAIN.md, "scoring pressure"). Two options of the
ranking policy (``scoring``), each off by default:

- *points*: each unit's month scored on 100 points, ``100 x composite`` (the composite of
  the three rates with the ranking's weights: full marks when every order counted was on
  time, resolved and satisfied; no deduction schedule, which the press report does not
  give), as the column ``score`` of ``rankings.parquet``; and in ``summary.json``
  (``ranking_points``) the share of units at or within ``WITHIN`` points of full marks, per
  unit type, month and on average;
- *bottom_named*: the bottom N ranked units of each type are named to rectify, instead of
  the bottom ``rectification_share`` (units tied on score are ordered by index, as ranks are).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from govsim.core.bounds import MAX_STREETS
from govsim.core.parameters import Strict

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from govsim.policies.base import PolicySpec

FULL_MARKS = 100.0
"""Points for a month with every order on time, resolved and satisfied."""
WITHIN = 1.0
"""Points below full marks still counted as "at the ceiling" (issue 28: within a point)."""


class Scoring(Strict):
    """How the monthly league table is scored and who is named to rectify (docs/policies.md,
    "Ceiling compression")."""

    points: bool = Field(
        False,
        description="Score each unit's month on 100 points (100 x composite) in rankings.parquet "
        "(`score`), and report in summary.json the share of units at or within a point of full "
        "marks (a county's monthly 100-point score, Xinhua 2024).",
    )
    bottom_named: int | None = Field(
        None,
        ge=0,
        le=MAX_STREETS,
        description="Name the bottom N ranked units of each type to rectify instead of the "
        "bottom `rectification_share` (units; the county named 3, Xinhua 2024; null: the share).",
    )


def rectified(scored: int, share: float, bottom_named: int | None) -> int:
    """How many of ``scored`` ranked units are to rectify."""
    if bottom_named is not None:
        return min(bottom_named, scored)
    return int(round(scored * share))


def scoring_of(policies: Sequence[PolicySpec]) -> Scoring | None:
    """The ranking policy's scoring among ``policies``, if it scores on 100 points."""
    for policy in policies:
        scoring = getattr(policy, "scoring", None)
        if getattr(policy, "type", None) == "ranking" and isinstance(scoring, Scoring):
            return scoring if scoring.points else None
    return None


def with_points(rankings: pd.DataFrame, policies: Sequence[PolicySpec]) -> pd.DataFrame:
    """``rankings`` with each unit's 100-point ``score`` when the ranking scores on points."""
    if scoring_of(policies) is None or rankings.empty:
        return rankings
    return rankings.assign(score=FULL_MARKS * rankings["composite"].astype(float))


def points_block(policies: Sequence[PolicySpec], rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """summary.json's ``ranking_points`` (nothing unless the ranking scores on points), from the
    rankings' rows (month, unit type, unit, rank, composite, ...): per unit type, the share of
    units with a composite at or within ``WITHIN`` points of full marks, by month and the
    mean over months."""
    if scoring_of(policies) is None:
        return {}
    from govsim.core.json_numbers import round_number  # (numpy: not when a scenario is read)

    near: dict[str, dict[str, list[int]]] = {}
    for month, unit_type, _, _, composite, *_ in rows:
        if composite is None:
            continue
        counts = near.setdefault(unit_type, {}).setdefault(month, [0, 0])
        counts[0] += FULL_MARKS * composite >= FULL_MARKS - WITHIN - 1e-9
        counts[1] += 1
    block = {}
    for unit_type, months in near.items():
        shares = {m: n / total for m, (n, total) in months.items()}
        block[unit_type] = {
            "by_month": {m: round_number(s) for m, s in shares.items()},
            "mean": round_number(sum(shares.values()) / len(shares)),
        }
    return {"ranking_points": {"within_points": WITHIN, "share_near_full_marks": block}}
