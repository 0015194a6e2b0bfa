"""The case ledger: every case created is closed, abandoned or open, and in exactly one place.

The model tells the ledger when a case is created, moves into or out of transit, and
ends; :meth:`CaseLedger.check` then walks the real data structures (every queue,
every server, the transit set) at the end of a run and raises :class:`LedgerError`
on any case lost, duplicated, or stamped out of order.

A finished case leaves the ledger as packed bytes (:func:`govsim.core.case.pack_case`), into
the ledger's :class:`~govsim.engine.recording.chain.RecordBuffer`; every ``chunk_size`` cases
the buffer is handed to the ledger's ``sink`` (the run's recorder,
:mod:`govsim.engine.recording.cases`), which the ledger knows only as a function of one chunk.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

from govsim.core.case import RECORD, Case, Contribution, pack_case
from govsim.core.codes import ABANDONED, CLOSED, OPEN, STAGE, STATUSES
from govsim.core.errors import LedgerError
from govsim.core.servers import ServerPool
from govsim.engine.recording.chain import CHUNK_SIZE, RecordBuffer, Sink

TIME_ORDER = ("created", "dispatched", "first_response", "closed", "callback")
"""Timestamps of a case that must never decrease (NaN steps are skipped)."""


def not_next(what: str, expected: int, got: int) -> LedgerError:
    """The error for a record whose id is not the next: ids are 0, 1, 2... as records enter
    their ledger."""
    return LedgerError(f"{what} ids must be consecutive: expected {expected}, got {got}")


class CaseLedger:
    """Counts open cases by stage; hands finished ones to ``sink`` in chunks of packed rows."""

    def __init__(self, sink: Sink | None = None, chunk_size: int = CHUNK_SIZE) -> None:
        self.open: dict[int, Case] = {}
        self.transit: set[Case | Contribution] = set()
        """Cases (and departments' contributions to joint cases) held between two steps."""
        self.joint: set[Case] = set()
        """Cases under joint handling: placed here while their departments' contributions are
        in transit or in the departments' queues."""
        self.created = 0
        self.closed = 0
        self.abandoned = 0
        self.open_by_stage = [0] * len(STAGE)
        self.records = RecordBuffer(pack_case, RECORD, sink, chunk_size)
        """Finished cases not yet handed on, as packed RECORD rows."""

    def create(self, case: Case) -> None:
        if case.id != self.created:
            raise not_next("case", self.created, case.id)
        self.created += 1
        self.open[case.id] = case
        self.open_by_stage[case.stage] += 1

    def move(self, case: Case, stage: int) -> None:
        counts = self.open_by_stage
        counts[case.stage] -= 1
        counts[stage] += 1
        case.stage = stage

    def finish(self, case: Case, status: int) -> None:
        """Take ``case`` off the open book as CLOSED or ABANDONED."""
        if self.open.pop(case.id, None) is not case:
            raise LedgerError(f"case {case.id} finished twice or was never created")
        self.open_by_stage[case.stage] -= 1
        case.status = status
        if status == CLOSED:
            self.closed += 1
        elif status == ABANDONED:
            self.abandoned += 1
        else:
            raise LedgerError(f"case {case.id}: cannot finish with status {status!r}")
        records = self.records  # RecordBuffer.add, inline: a call less for every case
        if records.sink is not None:
            records.buffer += pack_case(case)
            if len(records.buffer) >= records.chunk_bytes:
                records.hand_over()

    def close_book(self) -> None:
        """At the end of the run: hand over what is buffered, then the open cases as one more
        chunk (in case-id order)."""
        self.records.close(sorted(self.open.values(), key=operator.attrgetter("id")))

    # -- checks ----------------------------------------------------------------------------
    def check(self, pools: Iterable[ServerPool]) -> None:
        """Raise :class:`LedgerError` unless every case is accounted for exactly once."""
        faults: list[str] = []
        if self.created != self.closed + self.abandoned + len(self.open):
            faults.append(
                f"created {self.created} != closed {self.closed} + abandoned {self.abandoned}"
                f" + open {len(self.open)}"
            )
        places: Counter[int] = Counter()
        parts: Counter[int] = Counter()  # a joint case's contributions still under way

        def place(items: Iterable[Case | Contribution]) -> None:
            for item in items:
                if isinstance(item, Contribution):
                    parts[item.case.id] += 1
                else:
                    places[item.id] += 1

        for pool in pools:
            waiting, in_service = pool.waiting(), pool.in_service()
            place(waiting)
            place(in_service)
            balance = pool.departed + pool.queued + pool.busy + pool.withdrawn
            if (
                pool.arrived != balance
                or pool.queued != len(waiting)
                or pool.busy != len(in_service)
            ):
                faults.append(
                    f"unit {pool.name}: arrived {pool.arrived} != departed {pool.departed} + "
                    f"queued {pool.queued} + in service {pool.busy} + withdrawn {pool.withdrawn}"
                )
        place(self.transit)
        places.update(c.id for c in self.joint)
        if any(parts[c.id] != c.parts_open for c in self.joint) or set(parts) - {
            c.id for c in self.joint
        }:
            faults.append(
                "joint cases' contributions under way do not match their open parts: "
                f"{sum(parts.values())} placed, {sum(c.parts_open for c in self.joint)} open"
            )
        duplicated = [cid for cid, n in places.items() if n > 1]
        stray = [cid for cid in places if cid not in self.open]
        lost = [cid for cid in self.open if cid not in places]
        for label, ids in (
            ("in two places", duplicated),
            ("finished but still placed", stray),
            ("open but nowhere", lost),
        ):
            if ids:
                faults.append(f"{len(ids)} case(s) {label}, e.g. {sorted(ids)[:5]}")
        if sum(self.open_by_stage) != len(self.open) or min(self.open_by_stage) < 0:
            faults.append(
                f"stage counts {self.open_by_stage} do not add up to {len(self.open)} open"
            )
        if faults:
            raise LedgerError("case ledger does not balance: " + "; ".join(faults))


def check_timestamps(cases: pd.DataFrame) -> None:
    """Raise :class:`LedgerError` if any case's timestamps decrease or contradict its status."""
    status = cases["status"].astype(object).map({name: code for code, name in enumerate(STATUSES)})
    faults = timestamp_faults(
        cases["case_id"].to_numpy(),
        cases[list(TIME_ORDER)].to_numpy(dtype=float),
        status.to_numpy(dtype=float),
        cases["abandoned_at"].to_numpy(dtype=float),
    )
    if faults:
        raise LedgerError("case ledger: " + "; ".join(faults))


def timestamp_faults(
    ids: np.ndarray, times: np.ndarray, status: np.ndarray, abandoned_at: np.ndarray
) -> list[str]:
    """What is wrong with cases' times: ``times`` has the TIME_ORDER columns, ``status`` codes."""
    faults = []
    # No step may come before the latest step reached before it (NaN steps are skipped:
    # fmax ignores them, and a comparison with NaN is false).
    latest = np.fmax.accumulate(times, axis=1)
    decreasing = (times[:, 1:] < latest[:, :-1]).any(axis=1)
    if decreasing.any():
        faults.append(
            f"{int(decreasing.sum())} case(s) with decreasing timestamps, e.g. "
            f"{ids[decreasing][:5].tolist()}"
        )
    closed_nan = np.isnan(times[:, TIME_ORDER.index("closed")])
    abandoned_nan = np.isnan(abandoned_at)
    bad = ((status == CLOSED) & closed_nan) | ((status != CLOSED) & ~closed_nan)
    bad |= (status == ABANDONED) & abandoned_nan
    bad |= (status == OPEN) & ~abandoned_nan
    if bad.any():
        faults.append(
            f"{int(bad.sum())} case(s) whose times contradict their status, e.g. "
            f"{ids[bad][:5].tolist()}"
        )
    return faults
