"""Community deliberation's experiment outcomes: one number per run, counted after warm-up.

Each takes the run's tallies (None in a run without deliberation: the outcome is then NaN),
the case statistics and the warm-up (hours, whole days). What they do to appeals and open
problems by scope is measured from the problems table (experiments/party/deliberation.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govsim.engine.statistics import RunStatistics
    from govsim.mechanisms.area_units.book import StreetMonthBook

NAN = float("nan")


def deliberation_settled(tallies: StreetMonthBook | None, _: RunStatistics, warmup: float) -> float:
    """Problems settled by a community's deliberation (after warm-up)."""
    return float(tallies.total("settled", warmup)) if tallies else NAN


def projects_chosen(tallies: StreetMonthBook | None, _: RunStatistics, warmup: float) -> float:
    """Small projects chosen from the month's most reported problems (after warm-up)."""
    return float(tallies.total("projects_chosen", warmup)) if tallies else NAN


def projects_fixed(tallies: StreetMonthBook | None, _: RunStatistics, warmup: float) -> float:
    """Small projects that fixed their problem (after warm-up)."""
    return float(tallies.total("projects_fixed", warmup)) if tallies else NAN


OUTCOMES = {fn.__name__: fn for fn in (deliberation_settled, projects_chosen, projects_fixed)}
"""Deliberation's outcomes by name, in the order the experiments list them."""
