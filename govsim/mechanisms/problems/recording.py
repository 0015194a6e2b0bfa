"""Recorded problems, in chunks: turned into columns, tallied, and tabled (``problems.parquet``).

The problem ledger (:mod:`govsim.mechanisms.problems.ledger`) packs a problem into bytes
(:data:`govsim.mechanisms.problems.record.PROBLEM_RECORD`) when it is settled (fixed, its last
case closed) or when the run ends, and hands them over in chunks; :class:`ProblemRecorder` is
its sink, a :class:`~govsim.engine.recording.chain.Recorder` as the case ledger's is: every
chunk goes to :class:`~govsim.mechanisms.problems.tallies.ProblemTallies` and, when the case
table is kept, to a problems table (in memory, or streamed to parquet). :class:`ProblemCodec`
names the columns (docs/outputs.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from govsim.core.codes import DISCOVERED_BY, FIXED_BY
from govsim.engine.recording.chain import Recorder
from govsim.engine.recording.tables import Columns, Places, named
from govsim.mechanisms.problems.record import PROBLEM_FIELDS, PROBLEM_RECORD, PROBLEM_TIME_FIELDS
from govsim.mechanisms.problems.tallies import ProblemTallies


@dataclass(frozen=True)
class ProblemCodec(Places):
    """The names and lookups that turn a chunk of problem codes into table columns."""

    record: ClassVar[np.dtype] = PROBLEM_RECORD

    categories: list[str]
    scopes: list[str]

    def columns(self, records: np.ndarray) -> Columns:
        """PROBLEM_RECORD rows -> one contiguous array per field, plus street and district."""
        c = {f: np.ascontiguousarray(records[f]) for f in PROBLEM_FIELDS}
        self.locate(c)
        return c

    def frame(self, c: Columns) -> pd.DataFrame:
        """The problems table (docs/outputs.md) of a chunk of columns."""
        return pd.DataFrame(
            copy=False,
            data={
                "problem_id": c["id"],
                "category": named(c["category"], self.categories),
                "grid": named(c["grid"], self.grids),
                "street": named(c["street"], self.streets),
                "district": named(c["district"], self.districts),
                "scope": named(c["scope"], self.scopes),
                **{f: c[f] for f in PROBLEM_TIME_FIELDS},
                "fixed_by": named(c["fixed_by"], FIXED_BY),
                "appeals": c["appeals"].astype(np.int32),
                "discovered_by": named(c["discovered_by"], DISCOVERED_BY),
                "open_cases": c["open_cases"].astype(np.int32),
            },
        )


class ProblemRecorder(Recorder[ProblemTallies]):
    """The problem ledger's sink: chunks of packed problems to tallies and table. A problem's
    record has nothing to check on its own
    (:meth:`~govsim.mechanisms.problems.ledger.ProblemLedger.check` balances the book)."""
