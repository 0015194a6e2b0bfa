"""Many timed calls behind one SimPy wake-up: an agenda with its own heap.

Every open problem has a report pending, many of them weeks ahead (a household's problem is
reported about every three weeks while unfixed), and most are never due: the problem is
fixed first. As SimPy events they would fill SimPy's event queue with thousands of
entries, each a full event object, and every other event of the run would pay for the
larger heap (see :mod:`govsim.core.servers`, which keeps one wake-up per unit for the same
reason). An agenda keeps ``(time, order, call, subject)`` entries in its own heap and only
its earliest time in SimPy's queue. An entry may come with a ``stale(subject)`` test: once
it is true (a problem fixed before its next report), the entry is dropped when it reaches
the head of the heap, without a wake-up of its own.

Stale entries are also swept out in bulk: most pending reports go stale weeks before they
are due, so without a sweep the heap holds every report of every problem fixed in the last
weeks (in Beijing, 140,000 entries after a week, nine in ten of them stale), and each pop
walks a deeper heap through memory the CPU cache has lost. When the heap has doubled since
its last sweep, the entries whose test is true are removed and the rest re-heaped. A test
must therefore stay true once true (a problem stays fixed); then what is called, and when,
is the same with or without the sweep (the keys are unique, so any heap pops the same
order).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import Timeout

Call = Callable[[Any], None]
Stale = Callable[[Any], bool]

SWEEP_MIN = 4096
"""Entries below which the heap is never swept (a sweep costs a test per entry)."""


class Agenda:
    """Calls ``call(subject)`` at the times given to :meth:`at`, in time order."""

    __slots__ = ("env", "_entries", "_order", "_wake_at", "_wake_callback", "_sweep_at")

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._entries: list[tuple[float, int, Call, Any, Stale | None]] = []
        self._order = 0
        self._wake_at = math.inf
        self._wake_callback = self._wake
        self._sweep_at = SWEEP_MIN
        """Sweep the stale entries out when the heap grows beyond this many."""

    def __len__(self) -> int:
        return len(self._entries)

    def at(self, when: float, call: Call, subject: Any, stale: Stale | None = None) -> None:
        """Call ``call(subject)`` at simulated time ``when`` (hours, not before now), unless
        ``stale(subject)`` is true by then (once true, it must stay true)."""
        self._order += 1
        entries = self._entries
        heapq.heappush(entries, (when, self._order, call, subject, stale))
        if stale is not None and len(entries) > self._sweep_at:
            self._sweep()
        if (
            when < self._wake_at
        ):  # the new earliest entry: wake up then (the old wake-up goes stale)
            self._wake_at = when
            env = self.env
            delay = when - env._now  # noqa: SLF001 - env.now, without the property call
            Timeout(env, delay, when).callbacks.append(self._wake_callback)

    def _wake(self, event: simpy.Event) -> None:
        if event._value != self._wake_at:  # noqa: SLF001 - the time we scheduled
            return  # stale: an earlier entry took over, and its wake-up came first
        entries, env = self._entries, self.env
        now = env._now  # noqa: SLF001
        while entries and entries[0][0] <= now:
            _, _, call, subject, stale = heapq.heappop(entries)
            if stale is None or not stale(subject):
                call(subject)  # may add entries, even for now
        while entries:  # drop what has gone stale at the head, so it needs no wake-up
            stale = entries[0][4]
            if stale is None or not stale(entries[0][3]):
                break
            heapq.heappop(entries)
        if entries:
            when = entries[0][0]
            self._wake_at = when
            Timeout(env, when - now, when).callbacks.append(self._wake_callback)
        else:
            self._wake_at = math.inf

    def _sweep(self) -> None:
        """Remove the entries gone stale (in place: :meth:`_wake` may hold the list) and
        re-heap the rest; the next sweep when the heap has doubled again."""
        entries = self._entries
        entries[:] = [e for e in entries if e[4] is None or not e[4](e[3])]
        heapq.heapify(entries)
        self._sweep_at = max(SWEEP_MIN, 2 * len(entries))
