"""The problems' book: every problem that arose is fixed or open, and none is recorded twice."""

from __future__ import annotations

import operator
from collections import Counter

from govsim.core.errors import LedgerError
from govsim.engine.ledger import CHUNK_SIZE, CaseLedger, Sink
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
        self.sink = sink
        self.buffer = bytearray()
        self.chunk_bytes = chunk_size * PROBLEM_RECORD.itemsize

    def arise(self, problem: Problem) -> None:
        if problem.id != self.arisen:
            raise LedgerError(
                f"problem ids must be consecutive: expected {self.arisen}, got {problem.id}"
            )
        self.arisen += 1
        self.open[problem.id] = problem

    def settle(self, problem: Problem) -> None:
        """Record ``problem`` once it is fixed and its last case has closed."""
        if not problem.is_fixed or problem.cases:
            return
        if self.open.pop(problem.id, None) is None:
            return  # settled already: its last merged case closed within the fix
        self.fixed += 1
        self.record(problem)

    def record(self, problem: Problem) -> None:
        """Pack ``problem`` for the sink (it was settled, or the run ended)."""
        self.recorded += 1
        if self.sink is not None:
            self.buffer += pack_problem(problem)
            if len(self.buffer) >= self.chunk_bytes:
                self.hand_over()

    def hand_over(self) -> None:
        if self.buffer and self.sink is not None:
            chunk, self.buffer = self.buffer, bytearray()
            self.sink(chunk)

    def close_book(self) -> None:
        """At the end of the run: record the problems still open (fixed ones whose last case
        is still in service among them), in id order."""
        self.hand_over()
        for problem in sorted(self.open.values(), key=operator.attrgetter("id")):
            self.record(problem)
        self.hand_over()

    def check(self, cases: CaseLedger) -> None:
        """Raise :class:`LedgerError` unless every problem is accounted for once and every open
        case of a problem is one of its open cases."""
        problems: list[str] = []
        if self.arisen != self.fixed + len(self.open):
            problems.append(f"arisen {self.arisen} != fixed {self.fixed} + open {len(self.open)}")
        of_problems = {c.id for c in cases.open.values() if c.problem is not None}
        listed: Counter[int] = Counter()
        for problem in self.open.values():
            listed.update(c.id for c in problem.cases)
        twice = [cid for cid, n in listed.items() if n > 1]
        if twice or set(listed) != of_problems:
            problems.append(
                f"open cases of problems: {len(of_problems)} in the case ledger, "
                f"{len(listed)} listed by their problems ({len(twice)} twice)"
            )
        stray = [
            c.id
            for c in cases.open.values()
            if c.problem is not None and c.problem.id >= self.arisen
        ]
        if stray:
            problems.append(f"{len(stray)} case(s) of problems that never arose, e.g. {stray[:5]}")
        if problems:
            raise LedgerError("problem ledger does not balance: " + "; ".join(problems))
