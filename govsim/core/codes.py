"""The small integer codes a case carries, and the names they stand for (defined once).

An open case holds codes, not strings (:mod:`govsim.core.case`), so a finished case packs
into a row of numbers; each tuple of names below is the code -> name lookup that the
case table (:mod:`govsim.engine.recording.cases`) attaches, and each constant the code itself.
"""

from __future__ import annotations

from typing import Literal

TIERS = ("hotline", "grid", "street", "district", "department")
"""Where a case can be handled and closed, lowest first (the hotline answers consultations)."""
TierName = Literal["hotline", "grid", "street", "district", "department"]
"""A name of TIERS, as a type (the scenario's keys by tier)."""
HOTLINE_TIER, GRID_TIER, STREET_TIER, DISTRICT_TIER, DEPARTMENT_TIER = range(len(TIERS))
"""``Case.final_tier`` codes, indices into TIERS (-1 while not closed)."""

TERRITORIAL_TIERS = ("grid", "street", "district")
"""The escalation ladder: micro cycle (grid), small cycle (street), big cycle (district)."""

CHANNELS = ("hotline", "online", "patrol")
"""How an appeal comes in: a call, an online form, found by a grid patrol."""
HOTLINE_CHANNEL, ONLINE_CHANNEL, PATROL_CHANNEL = range(len(CHANNELS))
"""``Case.channel`` codes, indices into CHANNELS."""

STAGES = ("hotline", "dispatch", "grid", "street", "district", "department")
"""Where an open case is (for the "open cases per tier" time series)."""
STAGE = {name: i for i, name in enumerate(STAGES)}
"""``Case.stage`` code of each stage name."""

STATUSES = ("closed", "abandoned", "open")
CLOSED, ABANDONED, OPEN = range(len(STATUSES))
"""``Case.status`` codes, indices into STATUSES."""

SATISFACTION_LEVELS = ("satisfied", "basic", "unsatisfied")
SATISFIED, BASIC, UNSATISFIED = range(len(SATISFACTION_LEVELS))
"""``Case.satisfaction`` codes, indices into SATISFACTION_LEVELS (-1 without a valid callback)."""
SATISFACTION_WEIGHT = (1.0, 0.9, 0.0)
"""Per satisfaction code: 'basically satisfied' counts 0.9 in the satisfaction rate
(docs/sources.md)."""

NOT_ASKED = -1
"""``Case.resolved`` and ``Case.satisfaction`` before a valid callback (``resolved`` is 0 or
1 after)."""

OUTCOMES = ("fixed", "not_fixed", "not_fixable", "consultation", "abandoned", "open")
"""What a case's handling did to the problem behind it (``cases.parquet``: ``outcome``)."""
FIXED, NOT_FIXED, NOT_FIXABLE, CONSULTATION, ABANDONED_OUTCOME, OPEN_OUTCOME = range(len(OUTCOMES))
"""``Case.outcome`` codes, indices into OUTCOMES (-1: a closed work order of a run without
problems, where the model does not know whether the problem was fixed)."""
NO_OUTCOME = -1

FIXED_BY = (
    "grid",
    "street",
    "district",
    "department",
    "patrol",
    "topic",
    "self_governance",
    "area_units",
    "deliberation",
    "project",
)
"""Who fixed a problem: the tier of the case that fixed it, a case a grid patrol opened
(whatever tier closed it), a monthly-topic programme, the residents themselves, the area's
units (驻区单位), a community's deliberation (议事协商) or its small project (民意立项)."""
FIXED_BY_GRID, FIXED_BY_PATROL, FIXED_BY_TOPIC, FIXED_BY_SELF = 0, 4, 5, 6
FIXED_BY_AREA_UNITS, FIXED_BY_DELIBERATION, FIXED_BY_PROJECT = 7, 8, 9
NOT_FIXED_YET = -1
"""``Problem.fixed_by`` while the problem is open."""

DISCOVERED_BY = ("resident", "patrol", "none")
"""How a problem first came to the government's notice."""
DISCOVERED_RESIDENT, DISCOVERED_PATROL, DISCOVERED_NONE = range(len(DISCOVERED_BY))
