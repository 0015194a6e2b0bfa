"""Per tier and day, where the staff's hours went: what the summary and outcomes read.

Every figure is per person and per week (hours, or services ended) over the days from the
first whole day after warm-up: a tier's total over its person-hours, times 168. Shares are of
hours: on cases over on cases and other duties; overtime over hours on duty and overtime.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from govsim.core.json_numbers import round_number
from govsim.mechanisms.workload.book import (
    CASE_HOURS,
    CASES,
    DUTY,
    OTHER,
    OVERTIME,
    PEOPLE,
)

WEEK = 168.0
FIGURES = (
    "people",
    "duty_hours_per_person",
    "case_hours_per_person",
    "other_hours_per_person",
    "overtime_hours_per_person",
    "cases_per_person",
    "case_share",
    "overtime_share",
)
"""A tier's figures (per person and week, and two shares)."""


def figures(totals: np.ndarray, hours: float) -> dict[str, float]:
    """The figures of ``totals`` (one row of FIELDS) over ``hours`` of the run."""
    nan = float("nan")
    person_hours = totals[PEOPLE]

    def per_person_week(x: float) -> float:
        return float(x / person_hours * WEEK) if person_hours > 0 else nan

    def share(part: float, whole: float) -> float:
        return float(part / whole) if whole > 0 else nan

    return {
        "people": float(person_hours / hours) if hours > 0 else nan,
        "duty_hours_per_person": per_person_week(totals[DUTY]),
        "case_hours_per_person": per_person_week(totals[CASE_HOURS]),
        "other_hours_per_person": per_person_week(totals[OTHER]),
        "overtime_hours_per_person": per_person_week(totals[OVERTIME]),
        "cases_per_person": per_person_week(totals[CASES]),
        "case_share": share(totals[CASE_HOURS], totals[CASE_HOURS] + totals[OTHER]),
        "overtime_share": share(totals[OVERTIME], totals[DUTY] + totals[OVERTIME]),
    }


class WorkloadTallies:
    """Per tier, a (days x FIELDS) array of its units' hours and services ended."""

    def __init__(self, days: dict[str, list[list[float]]], horizon: float) -> None:
        self.days = {tier: np.asarray(rows, dtype=float) for tier, rows in days.items()}
        self.horizon = horizon

    def tier(self, tier: str, warmup: float = 0.0) -> dict[str, float]:
        """``tier``'s figures over the days from the first whole day after ``warmup`` hours."""
        first = math.ceil(warmup / 24.0 - 1e-9)
        rows = self.days[tier][first:]
        return figures(rows.sum(axis=0), max(0.0, self.horizon - 24.0 * first))

    def block(self) -> dict[str, Any]:
        """The summary's ``tiers``: each tier's figures over the whole run."""
        return {
            tier: {k: round_number(v) for k, v in self.tier(tier).items()} for tier in self.days
        }
