"""The case ledger: every case created is closed, abandoned or open, and in exactly one place.

The model tells the ledger when a case is created, moves into or out of transit, and
ends; :meth:`CaseLedger.check` then walks the real data structures (every queue,
every server, the transit set) at the end of a run and raises :class:`LedgerError`
on any case lost, duplicated, or stamped out of order.

A finished case leaves the ledger as packed bytes (:func:`govsim.core.case.pack_case`), into
the ledger's own buffer; every ``chunk_size`` cases the buffer is handed to the ledger's
``sink`` (the run's recorder, :mod:`govsim.engine.recording.cases`), which the ledger knows only as a
function of one chunk.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from govsim.core.case import RECORD, Case, Contribution, pack_case
from govsim.core.codes import ABANDONED, CLOSED, OPEN, STAGE, STATUSES
from govsim.core.errors import LedgerError
from govsim.core.servers import ServerPool

CHUNK_SIZE = 32_768
"""Cases per chunk handed on: large enough for numpy to pay off, small enough to keep memory
flat."""
Sink = Callable[[bytearray], None]
"""Takes one chunk of finished cases as packed RECORD rows."""

TIME_ORDER = ("created", "dispatched", "first_response", "closed", "callback")
"""Timestamps of a case that must never decrease (NaN steps are skipped)."""


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
        self.sink = sink
        self.buffer = bytearray()
        """Finished cases not yet handed on, as packed RECORD rows."""
        self.chunk_size = chunk_size

    @property
    def chunk_size(self) -> int:
        """Cases per chunk handed to the sink."""
        return self.chunk_bytes // RECORD.itemsize

    @chunk_size.setter
    def chunk_size(self, cases: int) -> None:
        self.chunk_bytes = cases * RECORD.itemsize

    def create(self, case: Case) -> None:
        if case.id != self.created:
            raise LedgerError(
                f"case ids must be consecutive: expected {self.created}, got {case.id}"
            )
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
        if self.sink is not None:
            self.buffer += pack_case(case)
            if len(self.buffer) >= self.chunk_bytes:
                self.hand_over()

    def hand_over(self) -> None:
        """Pass the buffered rows to the sink as one chunk."""
        if self.buffer and self.sink is not None:
            chunk, self.buffer = self.buffer, bytearray()
            self.sink(chunk)

    def close_book(self) -> None:
        """At the end of the run: hand over what is buffered, then the open cases as one more
        chunk (in case-id order)."""
        self.hand_over()
        for case in sorted(self.open.values(), key=operator.attrgetter("id")):
            self.buffer += pack_case(case)
        self.hand_over()

    # -- checks ----------------------------------------------------------------------------
    def check(self, pools: Iterable[ServerPool]) -> None:
        """Raise :class:`LedgerError` unless every case is accounted for exactly once."""
        problems: list[str] = []
        if self.created != self.closed + self.abandoned + len(self.open):
            problems.append(
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
                problems.append(
                    f"unit {pool.name}: arrived {pool.arrived} != departed {pool.departed} + "
                    f"queued {pool.queued} + in service {pool.busy} + withdrawn {pool.withdrawn}"
                )
        place(self.transit)
        places.update(c.id for c in self.joint)
        if any(parts[c.id] != c.parts_open for c in self.joint) or set(parts) - {
            c.id for c in self.joint
        }:
            problems.append(
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
                problems.append(f"{len(ids)} case(s) {label}, e.g. {sorted(ids)[:5]}")
        if sum(self.open_by_stage) != len(self.open) or min(self.open_by_stage) < 0:
            problems.append(
                f"stage counts {self.open_by_stage} do not add up to {len(self.open)} open"
            )
        if problems:
            raise LedgerError("case ledger does not balance: " + "; ".join(problems))


def check_timestamps(cases: pd.DataFrame) -> None:
    """Raise :class:`LedgerError` if any case's timestamps decrease or contradict its status."""
    status = cases["status"].astype(object).map({name: code for code, name in enumerate(STATUSES)})
    problems = timestamp_problems(
        cases["case_id"].to_numpy(),
        cases[list(TIME_ORDER)].to_numpy(dtype=float),
        status.to_numpy(dtype=float),
        cases["abandoned_at"].to_numpy(dtype=float),
    )
    if problems:
        raise LedgerError("case ledger: " + "; ".join(problems))


def timestamp_problems(
    ids: np.ndarray, times: np.ndarray, status: np.ndarray, abandoned_at: np.ndarray
) -> list[str]:
    """What is wrong with cases' times: ``times`` has the TIME_ORDER columns, ``status`` codes."""
    problems = []
    # No step may come before the latest step reached before it (NaN steps are skipped:
    # fmax ignores them, and a comparison with NaN is false).
    latest = np.fmax.accumulate(times, axis=1)
    decreasing = (times[:, 1:] < latest[:, :-1]).any(axis=1)
    if decreasing.any():
        problems.append(
            f"{int(decreasing.sum())} case(s) with decreasing timestamps, e.g. "
            f"{ids[decreasing][:5].tolist()}"
        )
    closed_nan = np.isnan(times[:, TIME_ORDER.index("closed")])
    abandoned_nan = np.isnan(abandoned_at)
    bad = ((status == CLOSED) & closed_nan) | ((status != CLOSED) & ~closed_nan)
    bad |= (status == ABANDONED) & abandoned_nan
    bad |= (status == OPEN) & ~abandoned_nan
    if bad.any():
        problems.append(
            f"{int(bad.sum())} case(s) whose times contradict their status, e.g. "
            f"{ids[bad][:5].tolist()}"
        )
    return problems


def problem_timeline_problems(
    case_problem: np.ndarray, case_created: np.ndarray, problem_fixed: np.ndarray
) -> list[str]:
    """What is wrong between a run's cases and problems: ``case_problem`` ids (-1: none) must
    name a problem, and no case may be created after its problem's fix."""
    found = []
    linked = case_problem >= 0
    ids = case_problem[linked]
    if len(ids) and (ids.max() >= len(problem_fixed)):
        found.append(f"{int((ids >= len(problem_fixed)).sum())} case(s) name no problem")
        return found
    late = case_created[linked] > problem_fixed[ids]  # NaN fix (open): never late
    if late.any():
        found.append(f"{int(late.sum())} case(s) opened after their problem was fixed")
    return found
