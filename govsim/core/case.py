"""One appeal's state while it is open: a slotted record, no behaviour.

Unit fields (``category``, ``grid``, ``street``...) and outcome fields (``status``,
``final_tier``, ``satisfaction``, ``resolved``) are small integer codes, so a case stays
small and a finished case turns into a row of numbers (:mod:`govsim.engine.recording.cases`); names
are attached when the table is built. Times are hours since the start of the run, NaN
where a step was not reached.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from govsim.core.codes import NO_OUTCOME, NOT_ASKED, OPEN, STAGES, STATUSES

NAN = float("nan")


class Case:
    __slots__ = (
        "id",
        "resident",
        "category",
        "urgency",
        "priority",
        "channel",
        "grid",
        "street",
        "district",
        "department",
        "created",
        "dispatched",
        "first_response",
        "closed",
        "abandoned_at",
        "callback",
        "status",
        "stage",
        "needed_tier",
        "route_department",
        "consultation",
        "escalations",
        "whistles",
        "returns",
        "final_tier",
        "repeat_of",
        "resolved",
        "satisfaction",
        "ticket",
        "summoned",
        "problem",
        "problem_id",
        "outcome",
        "disputes",
        "joint_departments",
        "parts_open",
        "settled",
        "attached",
    )

    def __init__(
        self,
        case_id: int,
        resident: int,
        category: int,
        urgency: int,
        priority: int,
        channel: int,
        grid: int,
        street: int,
        district: int,
        created: float,
        repeat_of: int = -1,
        department: int = -1,
        needed_tier: int = 0,
        route_department: bool = False,
        consultation: bool = False,
    ) -> None:
        self.id = case_id
        self.resident = resident
        self.category = category
        self.urgency = urgency
        self.priority = priority
        self.channel = channel
        self.grid = grid
        self.street = street
        self.district = district
        self.department = department
        self.created = created
        self.dispatched = NAN
        self.first_response = NAN
        self.closed = NAN
        self.abandoned_at = NAN
        self.callback = NAN
        self.status = OPEN
        self.stage = 0
        self.needed_tier = needed_tier
        self.route_department = route_department
        self.consultation = consultation
        self.escalations = 0
        self.whistles = 0
        self.returns = 0
        self.final_tier = -1
        self.repeat_of = repeat_of
        self.resolved = NOT_ASKED
        self.satisfaction = NOT_ASKED
        self.ticket = 0
        self.summoned = -1
        self.problem: Any = None
        """The problem behind the case (the problems mechanism's record,
        :class:`govsim.mechanisms.problems.record.Problem`), else None. Typed ``Any`` so that
        the foundations import no mechanism."""
        self.problem_id = -1
        self.outcome = NO_OUTCOME
        """What closing it did to its problem: a ``govsim.core.codes.OUTCOMES`` code once known."""
        self.disputes = 0
        """Times units disputed whose case it is (unclear jurisdiction)."""
        self.joint_departments = 0
        """Departments summoned to handle it jointly (0: not a joint case)."""
        self.parts_open = 0
        """Joint handling: departments' contributions not yet done."""
        self.attached = False
        """Created with a mechanism's record of what it stands for (``Intake.create_decided``):
        the mechanism judges what closing it does (``LifeCycle``'s ``judging`` hook)."""
        self.settled = False
        """What the case is about was settled elsewhere while it was open (a mechanism's:
        its problem was fixed by another case): the unit working on it closes it when its
        visit ends, the operator when the call is answered (merged handling, 并案)."""

    def __repr__(self) -> str:
        return f"Case({self.id}, status={STATUSES[self.status]}, stage={STAGES[self.stage]})"


RECORD_FIELDS = (
    "id",
    "resident",
    "category",
    "channel",
    "grid",
    "status",
    "created",
    "dispatched",
    "first_response",
    "closed",
    "abandoned_at",
    "callback",
    "resolved",
    "satisfaction",
    "escalations",
    "whistles",
    "returns",
    "final_tier",
    "repeat_of",
    "problem_id",
    "outcome",
    "needed_tier",
    "disputes",
    "joint_departments",
)
"""What a finished case leaves: numbers only (codes and hours). Street, district, urgency and
department follow from grid and category, so they are looked up per chunk, not stored."""
TIME_FIELDS = ("created", "dispatched", "first_response", "closed", "abandoned_at", "callback")
RECORD = np.dtype([(f, "<f8" if f in TIME_FIELDS else "<i8") for f in RECORD_FIELDS])
"""A finished case as packed bytes: RECORD_FIELDS in order, hours as float64, codes as int64."""
_pack_record = struct.Struct(
    "<" + "".join("d" if f in TIME_FIELDS else "q" for f in RECORD_FIELDS)
).pack


def pack_case(case: Case) -> bytes:
    """The RECORD bytes of ``case`` (the ledger appends them to the recorder's buffer).

    The fields are spelled out, in RECORD_FIELDS order (``tests/test_recording.py`` checks
    that they match): Python reads a slot in a few nanoseconds, where
    ``operator.attrgetter(*RECORD_FIELDS)`` took 20 per field.
    """
    return _pack_record(
        case.id,
        case.resident,
        case.category,
        case.channel,
        case.grid,
        case.status,
        case.created,
        case.dispatched,
        case.first_response,
        case.closed,
        case.abandoned_at,
        case.callback,
        case.resolved,
        case.satisfaction,
        case.escalations,
        case.whistles,
        case.returns,
        case.final_tier,
        case.repeat_of,
        case.problem_id,
        case.outcome,
        case.needed_tier,
        case.disputes,
        case.joint_departments,
    )


class Contribution:
    """One department's part of a case handled jointly (a whistled case needing several
    departments): an item in that department's queue, whose case closes when all its parts are
    done. ``summoned`` is the department that came, ``department`` the one the part needs (they
    differ when the wrong one was summoned)."""

    __slots__ = ("case", "department", "summoned", "category", "first_response", "ticket")

    status = OPEN
    """Always open: a case under joint handling closes only once every part is done."""

    def __init__(self, case: Case, department: int) -> None:
        self.case = case
        self.department = department
        self.summoned = department
        self.category = case.category
        self.first_response = case.first_response
        self.ticket = 0

    def __repr__(self) -> str:
        return f"Contribution(case {self.case.id}, department {self.department})"
