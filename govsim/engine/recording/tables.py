"""Where a run's records go as chunks of columns: kept in memory, or streamed to parquet.

A recorder (:class:`govsim.engine.recording.chain.Recorder`: the cases', a mechanism's) hands
each chunk of records, turned into columns, to a table:
:class:`MemoryTable` keeps the chunks and builds one DataFrame ordered by id at the end
(``govsim.simulate``); :class:`ParquetTable` appends each chunk to a parquet file as a row
group, through a temporary file renamed at the end (``govsim run``), so memory does not hold
every record of a city-wide year. A :class:`Codec` turns packed records into columns and
columns into the table's DataFrame; codecs share :class:`Places` (a record's grid, street and
district) and :func:`named` (codes as a categorical column).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from govsim.core.errors import LedgerError
from govsim.core.io import temporary_path

Columns = dict[str, np.ndarray]
PENDING_WRITES = 2
"""Chunks a :class:`ParquetTable` lets wait for its writer thread before the caller waits too."""


class Codec(Protocol):
    """Packed records -> columns -> the table's DataFrame."""

    @property
    def record(self) -> np.dtype:
        """The packed record's dtype."""
        ...

    def columns(self, records: np.ndarray) -> Columns: ...

    def frame(self, c: Columns) -> pd.DataFrame: ...


@dataclass(frozen=True)
class Places:
    """The names of grids, streets and districts, and the lookups from a grid up: a record
    stores only its grid."""

    grids: list[str]
    streets: list[str]
    districts: list[str]
    grid_street: np.ndarray
    street_district: np.ndarray

    def locate(self, c: Columns) -> None:
        """Add the ``street`` and ``district`` columns of a chunk's ``grid`` codes."""
        c["street"] = self.grid_street[c["grid"]]
        c["district"] = self.street_district[c["street"]]


def named(codes: np.ndarray, names: Iterable[str]) -> pd.Categorical[str]:
    """Codes as a categorical column with categories ``names``."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(names)))


class MemoryTable:
    """Keeps the chunks; :meth:`frame` builds one DataFrame, ordered by id.

    Ids are 0 .. n-1, each recorded once (the ledgers' checks): every chunk's values go
    straight to their rows, with no merged copy and no sort. ``what`` names the records in
    the error raised if they are not.
    """

    def __init__(self, codec: Codec, what: str) -> None:
        self.codec = codec
        self.what = what
        self.chunks: list[Columns] = []

    def add(self, c: Columns) -> None:
        self.chunks.append(c)

    def close(self) -> None:
        pass

    def abort(self) -> None:
        self.chunks.clear()

    def frame(self) -> pd.DataFrame:
        if not self.chunks:
            return self.codec.frame(self.codec.columns(np.empty(0, dtype=self.codec.record)))
        n = sum(len(c["id"]) for c in self.chunks)
        ordered = {k: np.empty(n, dtype=v.dtype) for k, v in self.chunks[0].items()}
        ordered["id"][:] = -1
        for chunk in self.chunks:
            rows = chunk["id"]
            for k, v in chunk.items():
                ordered[k][rows] = v
        if not np.array_equal(ordered["id"], np.arange(n)):
            raise LedgerError(
                f"{self.what} table: the {n} recorded {self.what} ids are not 0 .. {n - 1}, "
                "each once"
            )
        return self.codec.frame(ordered)


class ParquetTable:
    """Appends each chunk to ``path`` as a parquet row group, via a temporary file renamed at the
    end (never a half-written table). Rows are in the order records were handed over (for
    cases: the order they ended, those open at the end last): sort by id for creation order.

    The chunk's arrow table is built on the caller's thread; encoding and compressing it into
    the file happen on one writer thread of the table's own, in the order handed over (the file
    is byte for byte what writing on the caller's thread gives). Arrow releases the GIL while
    it writes, so on a machine with a free core the output overlaps the simulation (in
    Beijing the writing is about 4.5% of the event loop; docs/performance.md says what a
    2-vCPU machine showed). At most :data:`PENDING_WRITES` chunks wait; an error in a write
    surfaces at the next :meth:`add` or at :meth:`close`.
    """

    def __init__(self, codec: Codec, path: str | Path) -> None:
        self.codec = codec
        self.path = Path(path)
        self.tmp = temporary_path(self.path)
        self.writer: pq.ParquetWriter | None = None
        # (the executor starts its thread at the first write)
        self._writing = ThreadPoolExecutor(1, thread_name_prefix="govsim-parquet")
        self._pending: deque[Future[None]] = deque()

    def add(self, c: Columns) -> None:
        table = pa.Table.from_pandas(self.codec.frame(c), preserve_index=False)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.tmp, table.schema)
        while len(self._pending) >= PENDING_WRITES:
            self._pending.popleft().result()  # bounds memory; re-raises a failed write
        self._pending.append(self._writing.submit(self.writer.write_table, table))

    def close(self) -> None:
        """Finish the file and move it into place (re-raises a failed write)."""
        if self.writer is None:  # nothing recorded: still write a valid, empty table
            self.add(self.codec.columns(np.empty(0, dtype=self.codec.record)))
        assert self.writer is not None
        while self._pending:
            self._pending.popleft().result()
        self._writing.shutdown()
        self.writer.close()
        self.tmp.replace(self.path)

    def abort(self) -> None:
        """The run failed: delete the partial file."""
        # Drops the chunks not yet started and waits for one under way before the file closes.
        self._writing.shutdown(cancel_futures=True)
        self._pending.clear()
        if self.writer is not None:
            self.writer.close()
        self.tmp.unlink(missing_ok=True)

    def frame(self) -> None:
        return None


Table = MemoryTable | ParquetTable


def open_table(codec: Codec, what: str, path: str | Path | None) -> Table:
    """Where a run's ``what`` records go: to the parquet file ``path`` as they finish, or
    (``path`` None) kept in memory for one DataFrame at the end."""
    return MemoryTable(codec, what) if path is None else ParquetTable(codec, path)
