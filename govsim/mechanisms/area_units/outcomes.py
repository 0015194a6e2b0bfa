"""The area's units' experiment outcomes: one number per run, counted after warm-up.

Each takes the run's tallies (None in a run without the area's units: the outcome is then NaN),
the case statistics and the warm-up (hours, whole days). What they do to appeals and open
problems by category is measured from the problems table (experiments/party/area_units.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govsim.engine.statistics import RunStatistics
    from govsim.mechanisms.area_units.tallies import AreaUnitsTallies

NAN = float("nan")


def area_units_fixed(tallies: AreaUnitsTallies | None, _: RunStatistics, warmup: float) -> float:
    """Open problems the units' resources fixed as they took effect (after warm-up)."""
    return float(tallies.total("fixed", warmup)) if tallies else NAN


def area_units_averted(tallies: AreaUnitsTallies | None, _: RunStatistics, warmup: float) -> float:
    """New problems that did not arise where a unit's resource acts (after warm-up)."""
    return float(tallies.total("averted", warmup)) if tallies else NAN


def area_units_cost_yuan(
    tallies: AreaUnitsTallies | None, _: RunStatistics, warmup: float
) -> float:
    """Yuan the units' resources cost after warm-up."""
    return tallies.cost(warmup) if tallies else NAN


OUTCOMES = {fn.__name__: fn for fn in (area_units_fixed, area_units_averted, area_units_cost_yuan)}
"""The area's units' outcomes by name, in the order the experiments list them."""
