"""The assessment mechanism's experiment outcomes: one number per run, after warm-up.

Each takes the run's assessment tallies (None in a run without the mechanism: NaN), the case
statistics and the warm-up (hours); the months that end after the warm-up count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govsim.engine.statistics import RunStatistics
    from govsim.mechanisms.assessment.tallies import AssessmentTallies

NAN = float("nan")


def goodhart_resolution_gap(
    tallies: AssessmentTallies | None, _: RunStatistics, warmup: float
) -> float:
    """City-wide measured resolution rate minus the true fix rate of the units' closed cases."""
    return tallies.gaps(warmup)["resolution"]["city"] if tallies else NAN


def goodhart_satisfaction_gap(
    tallies: AssessmentTallies | None, _: RunStatistics, warmup: float
) -> float:
    """City-wide measured satisfaction rate minus the rate the residents would give unpressed."""
    return tallies.gaps(warmup)["satisfaction"]["city"] if tallies else NAN


def goodhart_response_gap(
    tallies: AssessmentTallies | None, _: RunStatistics, warmup: float
) -> float:
    """City-wide measured response rate minus the share answered on time without a rush."""
    return tallies.gaps(warmup)["response"]["city"] if tallies else NAN


def gaming_actions_per_1000_orders(
    tallies: AssessmentTallies | None, _: RunStatistics, warmup: float
) -> float:
    """Gaming actions (every option) per 1,000 orders the units closed."""
    if tallies is None:
        return NAN
    closed, gaming, _taken, _caught = tallies.actions(warmup)
    return 1000 * gaming / closed if closed else NAN


OUTCOMES = {
    "goodhart_resolution_gap": goodhart_resolution_gap,
    "goodhart_satisfaction_gap": goodhart_satisfaction_gap,
    "goodhart_response_gap": goodhart_response_gap,
    "gaming_actions_per_1000_orders": gaming_actions_per_1000_orders,
}
