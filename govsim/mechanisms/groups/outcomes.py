"""The groups mechanism's experiment outcomes: one number per run, computed after warm-up.

Each takes the run's group tallies (None in a run without groups: the outcome is then NaN),
the case statistics and the warm-up (hours). Per-group figures are in the ``groups`` block
of ``summary.json``; an outcome is one number whatever the groups are called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from govsim.mechanisms.groups.tallies import worst_over_best

if TYPE_CHECKING:
    from govsim.engine.statistics import RunStatistics
    from govsim.mechanisms.groups.tallies import GroupTallies

NAN = float("nan")


def _extreme(tallies: GroupTallies | None, warmup: float, pick: Callable[..., Any]) -> float:
    """``pick`` (np.nanmax or np.nanmin) of the groups' mean hours to close after warm-up."""
    if tallies is None:
        return NAN
    means = tallies.mean_time_to_close(warmup)
    return float(pick(means)) if np.isfinite(means).any() else NAN


def group_time_to_close_worst(
    tallies: GroupTallies | None, _: RunStatistics, warmup: float
) -> float:
    """The largest mean hours to close of a group (cases created after warm-up)."""
    return _extreme(tallies, warmup, np.nanmax)


def group_time_to_close_best(
    tallies: GroupTallies | None, _: RunStatistics, warmup: float
) -> float:
    """The smallest mean hours to close of a group (cases created after warm-up)."""
    return _extreme(tallies, warmup, np.nanmin)


def group_time_to_close_ratio(
    tallies: GroupTallies | None, _: RunStatistics, warmup: float
) -> float:
    """The worst group's mean hours to close over the best group's (1: no gap)."""
    return worst_over_best(tallies.mean_time_to_close(warmup)) if tallies else NAN


OUTCOMES = {
    "group_time_to_close_worst_hours": group_time_to_close_worst,
    "group_time_to_close_best_hours": group_time_to_close_best,
    "group_time_to_close_worst_over_best": group_time_to_close_ratio,
}
