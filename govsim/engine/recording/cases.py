"""Finished cases, in chunks: turned into columns once, then tallied and tabled.

The ledger packs every finished case into bytes (the ``RECORD_FIELDS`` as float64 hours
and int64 codes, :data:`govsim.core.case.RECORD`) and hands them over in chunks
(:meth:`CaseRecorder.record` is its sink, a :class:`~govsim.engine.recording.chain.Recorder`):
no Python object outlives the case, and numpy reads a chunk without conversion (a view of
the bytes), then :class:`CaseCodec` transposes it into columns a cache-sized block at a
time. The recorder checks each chunk's timestamps and hands it on:

- to :class:`~govsim.engine.statistics.RunStatistics` (always), the streaming tallies behind
  the summary, the KPI table and the experiment outcomes;
- to a case table, if ``output.cases_table`` is on (:mod:`govsim.engine.recording.tables`):
  kept in memory for one DataFrame at the end (``govsim.simulate``), or appended chunk by
  chunk to a parquet file (``govsim run``), so memory does not hold every case of a
  city-wide year.

Cases still open at the end of the run come last, as one more chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from govsim.core.case import RECORD, RECORD_FIELDS, TIME_FIELDS
from govsim.core.codes import (
    ABANDONED,
    ABANDONED_OUTCOME,
    CHANNELS,
    CLOSED,
    CONSULTATION,
    HOTLINE_TIER,
    NO_OUTCOME,
    NOT_ASKED,
    OPEN,
    OPEN_OUTCOME,
    OUTCOMES,
    SATISFACTION_LEVELS,
    STATUSES,
    TERRITORIAL_TIERS,
    TIERS,
    UNSATISFIED,
)
from govsim.core.errors import LedgerError
from govsim.engine.ledger import TIME_ORDER, timestamp_faults
from govsim.engine.recording.chain import Recorder
from govsim.engine.recording.tables import Columns, Places, named
from govsim.engine.statistics import RunStatistics

TRANSPOSE_ROWS = 4_096
"""Records turned into columns per step: their 600 KB stay in the CPU cache while each field is
read out. Read field by field, a whole chunk's records (5 MB) came from memory once per field."""
LINK_FIELDS = tuple(f for f in RECORD_FIELDS if f.endswith(("_of", "_id")))
"""Fields that name another record (``repeat_of`` an earlier case, a mechanism's
``<record>_id``), -1 for none: nullable integer columns of the cases table."""


@dataclass(frozen=True)
class CaseCodec(Places):
    """The names and lookups that turn a chunk of codes into the columns of the cases table."""

    record: ClassVar[np.dtype] = RECORD

    categories: list[str]
    urgencies: list[str]
    departments: list[str]
    category_urgency: np.ndarray
    category_department: np.ndarray
    extra: dict[str, Callable[[Columns], Any]] = field(default_factory=dict)
    """Columns a mechanism adds to the cases table, by name: each made from a chunk's columns
    when the table is written (vectorised, no cost per case); empty unless one adds some."""

    def columns(self, records: np.ndarray) -> Columns:
        """RECORD rows -> one contiguous array per field, plus the looked-up unit fields."""
        words = records.view(np.int64).reshape(
            len(records), len(RECORD_FIELDS)
        )  # each field's 8 bytes
        by_field = np.empty((len(RECORD_FIELDS), len(records)), dtype=np.int64)
        for start in range(0, len(records), TRANSPOSE_ROWS):
            by_field[:, start : start + TRANSPOSE_ROWS] = words[start : start + TRANSPOSE_ROWS].T
        c = {
            f: by_field[i].view(np.float64) if f in TIME_FIELDS else by_field[i]
            for i, f in enumerate(RECORD_FIELDS)
        }
        c["urgency"] = self.category_urgency[c["category"]]
        c["department"] = self.category_department[c["category"]]
        self.locate(c)
        # A case's outcome is stored only once its handling decided it; the rest follow from
        # its status and closing tier.
        status, outcome = c["status"], c["outcome"]
        outcome[status == ABANDONED] = ABANDONED_OUTCOME
        outcome[status == OPEN] = OPEN_OUTCOME
        consultation = (status == CLOSED) & (c["final_tier"] == HOTLINE_TIER)
        outcome[consultation & (outcome == NO_OUTCOME)] = CONSULTATION
        return c

    def frame(self, c: Columns) -> pd.DataFrame:
        """The cases table (docs/outputs.md) of a chunk of columns."""
        satisfaction = c["satisfaction"]
        return pd.DataFrame(
            copy=False,
            data={
                "case_id": c["id"],
                "resident_id": c["resident"],
                "category": named(c["category"], self.categories),
                "urgency": named(c["urgency"], self.urgencies),
                "channel": named(c["channel"], CHANNELS),
                "grid": named(c["grid"], self.grids),
                "street": named(c["street"], self.streets),
                "district": named(c["district"], self.districts),
                "department": named(c["department"], self.departments),
                "status": named(c["status"], STATUSES),
                **{f: c[f] for f in TIME_FIELDS},
                "resolved": pd.arrays.BooleanArray(c["resolved"] == 1, c["resolved"] == NOT_ASKED),
                "satisfied": pd.arrays.BooleanArray(
                    satisfaction != UNSATISFIED, satisfaction == NOT_ASKED
                ),
                "satisfaction": named(satisfaction, SATISFACTION_LEVELS),
                "escalations": c["escalations"].astype(np.int32),
                "whistles": c["whistles"].astype(np.int32),
                "returns": c["returns"].astype(np.int32),
                "final_tier": named(c["final_tier"], TIERS),
                **{f: pd.arrays.IntegerArray(c[f], c[f] < 0) for f in LINK_FIELDS},
                "outcome": named(c["outcome"], OUTCOMES),
                "needed_tier": named(c["needed_tier"], TERRITORIAL_TIERS),
                "disputes": c["disputes"].astype(np.int32),
                "joint_departments": c["joint_departments"].astype(np.int32),
                **{name: make(c) for name, make in self.extra.items()},
            },
        )


class CaseRecorder(Recorder[RunStatistics]):
    """Turns chunks of finished cases into columns and passes them on (see the module
    docstring); the case ledger's sink."""

    def check(self, columns: Columns) -> None:
        """Raise :class:`LedgerError` if any case's timestamps decrease or contradict its
        status."""
        faults = timestamp_faults(
            columns["id"],
            np.column_stack([columns[f] for f in TIME_ORDER]),
            columns["status"],
            columns["abandoned_at"],
        )
        if faults:
            raise LedgerError("case ledger: " + "; ".join(faults))
