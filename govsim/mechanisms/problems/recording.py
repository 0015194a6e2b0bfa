"""Recorded problems, in chunks: turned into columns, tallied, and tabled (``problems.parquet``).

The problem ledger packs a problem into bytes (:data:`govsim.mechanisms.problems.record.PROBLEM_RECORD`) when
it is settled (fixed, its last case closed) or when the run ends, and hands them over in
chunks; :class:`ProblemRecorder` is its sink, as :class:`govsim.engine.recording.cases.CaseRecorder` is
the case ledger's: every chunk goes to :class:`~govsim.engine.statistics.ProblemTallies` and, when the
case table is kept, to a problems table (in memory, or streamed to parquet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from govsim.core.codes import DISCOVERED_BY, FIXED_BY
from govsim.engine.recording.tables import Table
from govsim.engine.statistics import ProblemTallies
from govsim.mechanisms.problems.record import PROBLEM_FIELDS, PROBLEM_RECORD, PROBLEM_TIME_FIELDS

COLUMNS = (
    "problem_id",
    "category",
    "grid",
    "street",
    "district",
    "scope",
    "arose",
    "first_reported",
    "fixed",
    "fixed_by",
    "appeals",
    "discovered_by",
    "open_cases",
)
"""The columns of problems.parquet, in order (docs/outputs.md)."""


@dataclass(frozen=True)
class ProblemCodec:
    """The names and lookups that turn a chunk of problem codes into table columns."""

    record: ClassVar[np.dtype] = PROBLEM_RECORD

    categories: list[str]
    grids: list[str]
    streets: list[str]
    districts: list[str]
    scopes: list[str]
    grid_street: np.ndarray
    street_district: np.ndarray

    def columns(self, records: np.ndarray) -> dict[str, np.ndarray]:
        c = {f: np.ascontiguousarray(records[f]) for f in PROBLEM_FIELDS}
        c["street"] = self.grid_street[c["grid"]]
        c["district"] = self.street_district[c["street"]]
        return c

    def frame(self, c: dict[str, np.ndarray]) -> pd.DataFrame:
        def named(codes: np.ndarray, names: list[str] | tuple[str, ...]) -> pd.Categorical[str]:
            return pd.Categorical.from_codes(codes, categories=pd.Index(list(names)))

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


class ProblemRecorder:
    """The problem ledger's sink: chunks of packed problems to tallies and table."""

    def __init__(
        self,
        codec: ProblemCodec,
        tallies: ProblemTallies,
        table: Table | None,
    ) -> None:
        self.codec = codec
        self.tallies = tallies
        self.table = table

    def record(self, chunk: bytearray) -> None:
        columns = self.codec.columns(np.frombuffer(chunk, dtype=PROBLEM_RECORD))
        self.tallies.add(columns)
        if self.table is not None:
            self.table.add(columns)

    def finish(self) -> None:
        if self.table is not None:
            self.table.close()

    def abort(self) -> None:
        if self.table is not None:
            self.table.abort()
