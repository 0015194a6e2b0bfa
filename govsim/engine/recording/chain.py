"""The recording chain every kind of record shares: ledger buffer -> recorder -> tallies, table.

A ledger packs each record it is done with into bytes and keeps them in a
:class:`RecordBuffer`, which hands them to its sink in chunks (packing nothing when there
is no sink). The sink is a :class:`Recorder`: it reads a chunk with numpy, turns it into
columns with its :class:`~govsim.engine.recording.tables.Codec`, checks them, adds them to
its :class:`Tallies` and, if one is kept, to its table
(:mod:`govsim.engine.recording.tables`). Cases (:mod:`govsim.engine.recording.cases`) and a
mechanism's own records (problems: :mod:`govsim.mechanisms.problems.recording`) differ only
in what they pack, their codec, their tallies and their check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, Protocol, TypeVar

import numpy as np

from govsim.engine.recording.tables import Codec, Columns, Table

CHUNK_SIZE = 32_768
"""Records per chunk handed on: large enough for numpy to pay off, small enough to keep memory
flat."""
Sink = Callable[[bytearray], None]
"""Takes one chunk of packed records."""

Item = TypeVar("Item")


class RecordBuffer(Generic[Item]):
    """Packs items with ``pack`` into rows of ``record``; hands them to ``sink`` in chunks of
    ``chunk_size`` rows."""

    def __init__(
        self,
        pack: Callable[[Item], bytes],
        record: np.dtype,
        sink: Sink | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.pack = pack
        self.record = record
        self.sink = sink
        self.buffer = bytearray()
        """Packed rows not yet handed on."""
        self.chunk_size = chunk_size

    @property
    def chunk_size(self) -> int:
        """Rows per chunk handed to the sink."""
        return self.chunk_bytes // self.record.itemsize

    @chunk_size.setter
    def chunk_size(self, rows: int) -> None:
        self.chunk_bytes = rows * self.record.itemsize

    def add(self, item: Item) -> None:
        """Pack ``item`` for the sink (nothing to do without one).

        Written out in ``CaseLedger.finish`` and ``ProblemLedger.record`` (a call less per
        record): keep them alike."""
        if self.sink is not None:
            self.buffer += self.pack(item)
            if len(self.buffer) >= self.chunk_bytes:
                self.hand_over()

    def hand_over(self) -> None:
        """Pass the buffered rows to the sink as one chunk."""
        if self.buffer and self.sink is not None:
            chunk, self.buffer = self.buffer, bytearray()
            self.sink(chunk)

    def close(self, rest: Iterable[Item]) -> None:
        """At the end of the run: hand over what is buffered, then ``rest`` (the items still
        open) as one more chunk."""
        self.hand_over()
        if self.sink is not None:
            for item in rest:
                self.buffer += self.pack(item)
        self.hand_over()


class Tallies(Protocol):
    """Streaming counters a recorder adds each chunk of columns to."""

    def add(self, c: Columns) -> None: ...


T = TypeVar("T", bound=Tallies)


class Recorder(Generic[T]):
    """A ledger's sink: each chunk of packed records into columns, checked, tallied, tabled."""

    def __init__(self, codec: Codec, tallies: T, table: Table | None) -> None:
        self.codec = codec
        self.tallies = tallies
        self.table = table
        self.recorded = 0

    def record(self, chunk: bytearray) -> None:
        """Check one chunk of packed records, tally it, and add it to the table."""
        columns = self.codec.columns(np.frombuffer(chunk, dtype=self.codec.record))
        self.check(columns)
        self.recorded += len(columns["id"])
        self.tallies.add(columns)
        if self.table is not None:
            self.table.add(columns)

    def check(self, columns: Columns) -> None:
        """Raise :class:`~govsim.core.errors.LedgerError` if a chunk contradicts itself (nothing
        is checked unless a kind of record says what to check)."""

    def finish(self) -> None:
        """The run is over (the ledger handed over its last chunk): close the table."""
        if self.table is not None:
            self.table.close()

    def abort(self) -> None:
        """The run failed: drop what the table holds (a partial file is deleted)."""
        if self.table is not None:
            self.table.abort()
