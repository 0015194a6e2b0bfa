"""Many timed calls behind one SimPy wake-up: an agenda with its own heap.

Every open problem has a report pending, many of them weeks ahead (a household's problem is
reported about every three weeks while unfixed), and most are never due: the problem is
fixed first. As SimPy events they would fill SimPy's event queue with thousands of
entries, each a full event object, and the run would pop each stale one. An agenda keeps
``(time, order, call, subject)`` entries in its own heap and only its earliest time in
SimPy's queue. An entry may come with a ``stale(subject)`` test: once
it is true (a problem fixed before its next report), the entry is dropped when it reaches
the head of the heap, without a wake-up of its own.

Two things keep the heap small, for each pop walks it through memory the CPU cache has lost
(in Beijing a week in, 140,000 entries, nine in ten of them stale, cost 5.5 us a pop):

- the heap holds only the entries due within the current window of :data:`WINDOW` hours;
  later ones wait unsorted in a bucket per window and are heaped when their window comes,
  their stale entries left out (a calendar queue, as :mod:`govsim.core.event_queue`);
- when the entries pushed since the last sweep outnumber those then kept, the stale entries
  are swept out of the heap and every bucket (most reports go stale weeks before they are
  due: this bounds the memory they hold).

A test must therefore stay true once true (a problem stays fixed); then what is called, and
when, is the same as with one heap and no sweep (the keys are unique, so any heap pops the
same order, and the head after the stale are dropped is the same entry).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heapify, heappop, heappush
from typing import Any

import simpy

from govsim.core.event_queue import bucket_of, later

Call = Callable[[Any], None]
Stale = Callable[[Any], bool]

Entry = tuple[float, int, Call, Any, "Stale | None"]

WINDOW = 1.0
"""Hours of entries in the heap at once (assumed: in Beijing about 1,000 entries come due in
an hour, and a bucket's set-up is spread over them; docs/performance.md)."""
SWEEP_MIN = 4096
"""Pushes below which the entries are never swept (a sweep costs a test per entry)."""


class Agenda:
    """Calls ``call(subject)`` at the times given to :meth:`at`, in time order."""

    __slots__ = (
        "env",
        "_entries",
        "_limit",
        "_buckets",
        "_keys",
        "_order",
        "_wake_at",
        "_wake_callback",
        "_later",
        "_pushed",
        "_sweep_at",
    )

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._entries: list[Entry] = []
        """The heap of the entries due before ``_limit``."""
        self._limit = -math.inf
        self._buckets: dict[float, list[Entry]] = {}
        """The later entries, by window number (time // WINDOW)."""
        self._keys: list[float] = []  # heap of the buckets' window numbers
        self._order = 0
        self._wake_at = math.inf
        self._wake_callback = self._wake
        self._later = later(env)
        self._pushed = 0
        """Entries with a stale test pushed since the last sweep."""
        self._sweep_at = SWEEP_MIN

    def __len__(self) -> int:
        return len(self._entries) + sum(map(len, self._buckets.values()))

    def at(self, when: float, call: Call, subject: Any, stale: Stale | None = None) -> None:
        """Call ``call(subject)`` at simulated time ``when`` (hours, not before now), unless
        ``stale(subject)`` is true by then (once true, it must stay true)."""
        self._order += 1
        entry = (when, self._order, call, subject, stale)
        if when < self._limit:
            heappush(self._entries, entry)
        else:
            bucket = self._buckets.get(when // WINDOW)
            if bucket is None:
                bucket = self._bucket(when // WINDOW)
            bucket.append(entry)
        if stale is not None:
            self._pushed += 1
            if self._pushed > self._sweep_at:
                self._sweep()
        if when < self._wake_at:  # the new earliest entry: wake up then (the old one goes stale)
            self._wake_at = when
            delay = when - self.env._now  # noqa: SLF001 - env.now, without the property call
            call_later = self._later  # a local name: cheaper than self.x() (performance.md)
            call_later(delay, self._wake_callback, when)

    def _wake(self, when: float) -> None:
        if when != self._wake_at:  # the time we scheduled
            return  # stale: an earlier entry took over, and its wake-up came first
        env = self.env
        now = env._now  # noqa: SLF001
        entries = self._entries
        while entries or self._advance():
            entries = self._entries
            if entries[0][0] > now:
                break
            _, _, call, subject, stale = heappop(entries)
            if stale is None or not stale(subject):
                call(subject)  # may add entries, even for now
        while entries or self._advance():  # drop what has gone stale at the head
            entries = self._entries
            stale = entries[0][4]
            if stale is None or not stale(entries[0][3]):
                break
            heappop(entries)
        if entries:
            when = entries[0][0]
            self._wake_at = when
            call_later = self._later  # a local name: cheaper than self.x() (performance.md)
            call_later(when - now, self._wake_callback, when)
        else:
            self._wake_at = math.inf

    def _bucket(self, key: float) -> list[Entry]:
        return bucket_of(self._buckets, self._keys, key)

    def _advance(self) -> bool:
        """The heap is empty: heap the next bucket's live entries; False if none is left."""
        while self._keys:
            key = heappop(self._keys)
            entries = [e for e in self._buckets.pop(key) if e[4] is None or not e[4](e[3])]
            self._limit = (key + 1) * WINDOW
            if entries:
                heapify(entries)
                self._entries = entries
                return True
        return False

    def _sweep(self) -> None:
        """Remove the entries gone stale from the heap (in place: :meth:`_wake` may hold it) and
        from every bucket; the next sweep when as many entries again have been pushed."""
        entries = self._entries
        entries[:] = [e for e in entries if e[4] is None or not e[4](e[3])]
        heapify(entries)
        kept = len(entries)
        for bucket in self._buckets.values():
            bucket[:] = [e for e in bucket if e[4] is None or not e[4](e[3])]
            kept += len(bucket)
        self._pushed = 0
        self._sweep_at = max(SWEEP_MIN, kept)
