"""Racing: stop spending replications on a candidate once it is clearly beaten.

After each round a candidate is compared with every member of the current front, paired
by replication (common random numbers make the differences far less noisy than the
outcomes). It is *dominated with confidence* by a member when, on every objective, the
paired confidence interval of (candidate - member) loss lies above ``-indifference``,
and on at least one lies above zero. Such a candidate keeps the replications it has;
the others get ``step`` more, up to ``max``: the replications go to candidates near the
front.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from govsim.core.intervals import mean_ci
from govsim.search.study import Objective


def dominated_by(
    candidate: Mapping[str, np.ndarray],
    member: Mapping[str, np.ndarray],
    objectives: Sequence[Objective],
    confidence: float,
) -> bool:
    """Whether ``member`` dominates ``candidate`` with confidence (per-replication scores)."""
    strictly = False
    for objective in objectives:
        a = np.asarray(candidate[objective.outcome], dtype=float)
        b = np.asarray(member[objective.outcome], dtype=float)
        n = min(len(a), len(b))
        if n < 2:
            return False
        ci = mean_ci(objective.sign * (a[:n] - b[:n]), confidence)
        if not ci.low > -objective.indifference:
            return False
        strictly = strictly or ci.low > 0
    return strictly


def beaten(
    candidate: Mapping[str, np.ndarray],
    front: Sequence[Mapping[str, np.ndarray]],
    objectives: Sequence[Objective],
    confidence: float,
) -> bool:
    """Whether any member of ``front`` dominates ``candidate`` with confidence."""
    return any(dominated_by(candidate, m, objectives, confidence) for m in front)


def next_target(have: int, initial: int, step: int, most: int) -> int:
    """Replications to reach in the next round."""
    return min(most, initial if have < initial else have + step)
