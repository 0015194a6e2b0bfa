"""The workload mechanism's experiment outcomes: one number per run, computed after warm-up.

Each takes the run's workload tallies (None in a run without the mechanism: the outcome is
then NaN), the case statistics and the warm-up (hours). Per tier: the share of hours on cases
(against other duties), hours on cases per person and week, and the overtime share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govsim.engine.mechanism import MechanismOutcome
from govsim.scenario.workload import WorkTierName

if TYPE_CHECKING:
    from govsim.engine.statistics import RunStatistics
    from govsim.mechanisms.workload.tallies import WorkloadTallies

NAN = float("nan")
WORK_TIERS: tuple[WorkTierName, ...] = ("grid", "street", "district", "department")


def _outcome(tier: str, figure: str, doc: str) -> MechanismOutcome:
    def outcome(tallies: WorkloadTallies | None, _: RunStatistics, warmup: float) -> float:
        return tallies.tier(tier, warmup)[figure] if tallies is not None else NAN

    outcome.__name__ = f"workload_{tier}_{figure}"
    outcome.__doc__ = doc.format(tier=tier)
    return outcome


OUTCOMES: dict[str, MechanismOutcome] = {}
for _tier in WORK_TIERS:
    for _figure, _doc in (
        ("case_share", "Share of the {tier} staff's hours on cases, against other duties."),
        ("case_hours_per_person", "Hours on cases per {tier} person and week."),
        ("overtime_share", "Overtime over hours on duty and overtime, {tier} staff."),
    ):
        _made = _outcome(_tier, _figure, _doc)
        OUTCOMES[_made.__name__] = _made
