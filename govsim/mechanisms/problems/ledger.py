"""The problem ledger: every problem that arose is fixed or open, and recorded once.

The problems' counterpart of the case ledger (:mod:`govsim.engine.ledger`): the stock tells
it when a problem arises and when it may be settled; a recorded problem leaves as packed
bytes (:func:`govsim.mechanisms.problems.record.pack_problem`) through the same
:class:`~govsim.engine.recording.chain.RecordBuffer` to its sink (the problem recorder,
:mod:`govsim.mechanisms.problems.recording`). :meth:`ProblemLedger.check` balances the book
against the case ledger at the end of a run; :func:`problem_timeline_faults` checks a run's
tables against each other.
"""

from __future__ import annotations

import operator
from collections import Counter

import numpy as np

from govsim.core.errors import LedgerError
from govsim.engine.ledger import CaseLedger, not_next
from govsim.engine.recording.chain import CHUNK_SIZE, RecordBuffer, Sink
from govsim.mechanisms.problems.record import PROBLEM_RECORD, Problem, pack_problem


class ProblemLedger:
    """The problems' book: every problem that arose is fixed or open, and none is recorded twice.

    A problem is recorded (packed into the buffer for its sink) when it is *settled*: fixed,
    with its other cases closed (or, for a case in service at the fix, once that visit ends).
    Problems still open at the end are recorded by :meth:`close_book`.
    """

    def __init__(self, sink: Sink | None = None, chunk_size: int = CHUNK_SIZE) -> None:
        self.open: dict[int, Problem] = {}
        self.arisen = 0
        self.fixed = 0
        self.recorded = 0
        self.records = RecordBuffer(pack_problem, PROBLEM_RECORD, sink, chunk_size)
        """Recorded problems not yet handed on, as packed PROBLEM_RECORD rows."""

    def arise(self, problem: Problem) -> None:
        if problem.id != self.arisen:
            raise not_next("problem", self.arisen, problem.id)
        self.arisen += 1
        self.open[problem.id] = problem

    def settle(self, problem: Problem) -> None:
        """Record ``problem`` once it is fixed and its last case has closed."""
        if problem.fixed != problem.fixed or problem.cases:  # NaN: not fixed (not is_fixed's call)
            return
        if self.open.pop(problem.id, None) is None:
            return  # settled already: its last merged case closed within the fix
        self.fixed += 1
        self.record(problem)

    def record(self, problem: Problem) -> None:
        """Pack ``problem`` for the sink (it was settled)."""
        self.recorded += 1
        records = self.records  # RecordBuffer.add, inline as in CaseLedger.finish: a call less
        if records.sink is not None:
            records.buffer += pack_problem(problem)
            if len(records.buffer) >= records.chunk_bytes:
                records.hand_over()

    def close_book(self) -> None:
        """At the end of the run: record the problems still open (fixed ones whose last case
        is still in service among them), in id order, as one more chunk."""
        self.recorded += len(self.open)
        self.records.close(sorted(self.open.values(), key=operator.attrgetter("id")))

    def check(self, cases: CaseLedger) -> None:
        """Raise :class:`LedgerError` unless every problem is accounted for once and every open
        case of a problem is one of its open cases."""
        faults: list[str] = []
        if self.arisen != self.fixed + len(self.open):
            faults.append(f"arisen {self.arisen} != fixed {self.fixed} + open {len(self.open)}")
        of_problems = {c.id for c in cases.open.values() if c.problem is not None}
        listed: Counter[int] = Counter()
        for problem in self.open.values():
            listed.update(c.id for c in problem.cases)
        twice = [cid for cid, n in listed.items() if n > 1]
        if twice or set(listed) != of_problems:
            faults.append(
                f"open cases of problems: {len(of_problems)} in the case ledger, "
                f"{len(listed)} listed by their problems ({len(twice)} twice)"
            )
        stray = [
            c.id
            for c in cases.open.values()
            if c.problem is not None and c.problem.id >= self.arisen
        ]
        if stray:
            faults.append(f"{len(stray)} case(s) of problems that never arose, e.g. {stray[:5]}")
        # ``quiet`` is kept beside ``fixed`` and ``reporting`` for the agenda's stale test: a
        # problem is quiet exactly when it is fixed or its residents gave up reporting it.
        wrong = [
            p.id
            for p in self.open.values()
            if p.quiet != (p.fixed == p.fixed or not p.reporting)  # fixed: not NaN
        ]
        if wrong:
            faults.append(f"{len(wrong)} problem(s) whose quiet flag is wrong, e.g. {wrong[:5]}")
        if faults:
            raise LedgerError("problem ledger does not balance: " + "; ".join(faults))


def problem_timeline_faults(
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
