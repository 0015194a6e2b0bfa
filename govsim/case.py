"""One appeal's state while it is open: a slotted record, no behaviour.

Unit fields (``category``, ``grid``, ``street``...) are integer indices into the
model's lists, so a case stays small; names are attached when the table is written.
Times are hours since the start of the run, NaN where a step was not reached.
"""

from __future__ import annotations

NAN = float("nan")

# Stages of an open case, for the "open cases per tier" time series.
STAGES = ("hotline", "dispatch", "grid", "street", "district", "department")
STAGE = {name: i for i, name in enumerate(STAGES)}

OPEN, CLOSED, ABANDONED = "open", "closed", "abandoned"

SATISFIED, BASIC, UNSATISFIED = "satisfied", "basic", "unsatisfied"
SATISFACTION_WEIGHT = {SATISFIED: 1.0, BASIC: 0.9, UNSATISFIED: 0.0}
"""'Basically satisfied' counts 0.9 in the satisfaction rate (one public formula, DOMAIN.md)."""


class Case:
    __slots__ = (
        "id", "resident", "category", "urgency", "priority", "channel",
        "grid", "street", "district", "department",
        "created", "dispatched", "first_response", "closed", "abandoned_at", "callback",
        "status", "stage", "needed_tier", "route_department", "consultation",
        "escalations", "whistles", "returns", "final_tier", "repeat_of",
        "resolved", "satisfaction", "ticket", "summoned",
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
        self.department = -1
        self.created = created
        self.dispatched = NAN
        self.first_response = NAN
        self.closed = NAN
        self.abandoned_at = NAN
        self.callback = NAN
        self.status = OPEN
        self.stage = 0
        self.needed_tier = 0
        self.route_department = False
        self.consultation = False
        self.escalations = 0
        self.whistles = 0
        self.returns = 0
        self.final_tier = ""
        self.repeat_of = repeat_of
        self.resolved: bool | None = None
        self.satisfaction = ""
        self.ticket = 0
        self.summoned = -1

    def __repr__(self) -> str:
        return f"Case({self.id}, status={self.status}, stage={STAGES[self.stage]})"
