"""The problems mechanism's experiment outcomes: one number per run, computed after warm-up.

Each takes the run's problem tallies (None in a run without problems: the outcome is then
NaN), the case statistics and the warm-up (hours, whole days). The experiments' table of
outcomes (:data:`govsim.experiments.outcomes.OUTCOMES`) lists them after the case outcomes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from govsim.engine.statistics import RunStatistics
    from govsim.mechanisms.problems.tallies import ProblemTallies

NAN = float("nan")


def problems_arisen(tallies: ProblemTallies | None, _: RunStatistics, warmup: float) -> float:
    """Problems that arose after warm-up (reported or not)."""
    return float(tallies.total("arisen", warmup)) if tallies else NAN


def true_fix_rate(tallies: ProblemTallies | None, _: RunStatistics, warmup: float) -> float:
    """Problems really fixed over reported problems whose last case closed (arisen after
    warm-up)."""
    return tallies.true_fix_rate(warmup) if tallies else NAN


def reported_resolved_share(
    tallies: ProblemTallies | None, statistics: RunStatistics, warmup: float
) -> float:
    """Closed cases of problems with a valid callback (created after warm-up) reported
    resolved, over all such cases."""
    return statistics.resolution_gap(warmup)["reported_resolved"] if tallies else NAN


def truly_fixed_share(
    tallies: ProblemTallies | None, statistics: RunStatistics, warmup: float
) -> float:
    """Closed cases of problems with a valid callback (created after warm-up) that truly fixed
    the problem, over all such cases."""
    return statistics.resolution_gap(warmup)["truly_fixed"] if tallies else NAN


def resolution_gap(
    tallies: ProblemTallies | None, statistics: RunStatistics, warmup: float
) -> float:
    """Over closed cases of problems with a valid callback (created after warm-up): the share
    reported resolved minus the share that truly fixed the problem."""
    return statistics.resolution_gap(warmup)["gap"] if tallies else NAN


def appeals_per_problem(tallies: ProblemTallies | None, _: RunStatistics, warmup: float) -> float:
    """Appeals (cases) per reported problem arisen after warm-up."""
    return tallies.appeals_per_reported_problem(warmup) if tallies else NAN


def fix_time_mean(tallies: ProblemTallies | None, _: RunStatistics, warmup: float) -> float:
    """Mean hours from a problem arising to its fix (fixed problems arisen after warm-up)."""
    values = tallies.fix_hours(warmup) if tallies else np.empty(0)
    return float(values.mean()) if len(values) else NAN


def fix_time_p90(tallies: ProblemTallies | None, _: RunStatistics, warmup: float) -> float:
    """90th percentile of hours from a problem arising to its fix."""
    values = tallies.fix_hours(warmup) if tallies else np.empty(0)
    return float(np.quantile(values, 0.9)) if len(values) else NAN


def problems_open_end(tallies: ProblemTallies | None, _: RunStatistics, warmup: float) -> float:
    """Problems open at the end of the run (arisen after warm-up)."""
    return float(tallies.total("open_at_end", warmup)) if tallies else NAN


OUTCOMES = {
    fn.__name__: fn
    for fn in (
        problems_arisen,
        true_fix_rate,
        reported_resolved_share,
        truly_fixed_share,
        resolution_gap,
        appeals_per_problem,
        fix_time_mean,
        fix_time_p90,
        problems_open_end,
    )
}
"""The problems' outcomes by name, in the order the experiments list them."""
