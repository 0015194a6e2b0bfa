"""A capacity-limited server pool with a priority queue, for every unit of the model.

Why not ``simpy.Resource``: its capacity is fixed once created (resource sinking
moves staff during a run) and ``simpy.PriorityResource`` re-sorts its whole queue on
every request. Here the queue is one first-come-first-served line (a deque) per
priority level, and a server is a counter rather than a process. Joining or leaving
the queue costs the same whatever the backlog; taking the next item looks at the lines
in priority order, and a scenario has a handful of levels (its urgency classes). A
binary heap of (priority, ticket, item) tuples did the same in O(log n) with tuple
comparisons, which took about 2% of all instructions in M/M/10.

Each service schedules its own end with the run's ``call_later`` as it starts, and the pool
keeps its items in service in a dict (item -> end time). The run's event queue is a
calendar queue (:mod:`govsim.core.event_queue`) whose current window holds only the next
minutes' events, so the thousands of ends pending in a city cost it nothing per event.
(Until the calendar queue, each pool kept its own heap of end times with only its earliest
in SimPy's heap; popping those heaps, up to 500 entries for the hotline, took 5.8% of the
py-spy samples of 20 days of Beijing, and 3.8% of its instructions per case went with them.)

Pools of one tier share a :class:`TierTally`, which sums the tier's counts over its pools
when the monitor asks (a few times a simulated day), rather than keeping running totals
updated on every arrival, start and end.
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Callable
from typing import Any

import simpy

from govsim.core.event_queue import later

StartService = Callable[[Any], float]
Done = Callable[[Any, "ServerPool"], None]


_ARRIVED, _QUEUED, _BUSY, _ON_DUTY = map(
    operator.attrgetter, ("arrived", "queued", "busy", "on_duty")
)


class TierTally:
    """Totals over the pools of one tier: arrivals, queued, in service, servers on duty.

    Summed over the pools when read (the monitor's samples), not kept as running totals:
    those cost up to four counter updates per service, while a sample sums a few thousand
    pools a few times a simulated day (docs/performance.md)."""

    __slots__ = ("pools",)

    def __init__(self) -> None:
        self.pools: list[ServerPool] = []
        """The pools counted (each pool joins its tally as it is built)."""

    @property
    def arrived(self) -> int:
        return sum(map(_ARRIVED, self.pools))

    @property
    def queued(self) -> int:
        return sum(map(_QUEUED, self.pools))

    @property
    def busy(self) -> int:
        return sum(map(_BUSY, self.pools))

    @property
    def capacity(self) -> int:
        """Servers on duty (a pool's ``on_duty``) over the tier."""
        return sum(map(_ON_DUTY, self.pools))


class ServerPool:
    """``capacity`` identical servers sharing one priority queue.

    Items entering are any objects with a writable ``ticket`` attribute (the model's
    cases). ``start_service(item)`` is called as service starts and returns its duration;
    ``done(item, pool)`` is called when it ends, after the freed server has taken the
    next item. A queued item can be withdrawn (:meth:`withdraw`), for example a caller
    who hangs up; its entry in the line is dropped lazily.
    """

    __slots__ = (
        "env",
        "name",
        "tier",
        "index",
        "capacity",
        "on_duty",
        "roster",
        "busy",
        "start_service",
        "done",
        "time_factor",
        "_lines",
        "_line_of",
        "_seq",
        "queued",
        "arrived",
        "departed",
        "withdrawn",
        "tally",
        "_serving",
        "_end_callback",
        "_later",
        "_service_hours",
        "_staff_hours",
        "_staffed_since",
    )

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        tier: str,
        capacity: int,
        start_service: StartService,
        done: Done,
        index: int = 0,
        tally: TierTally | None = None,
    ) -> None:
        if capacity < 0:
            raise ValueError(f"{name}: capacity must be non-negative, got {capacity}")
        self.env = env
        self.name = name
        self.tier = tier
        self.index = index
        self.capacity = capacity
        """The unit's staff (people on strength)."""
        self.on_duty = capacity
        """Servers that may take an item now: the staff, or those of them on case work by a
        duty roster (govsim/mechanisms/workload)."""
        self.roster: Callable[[ServerPool, int], None] | None = None
        """Takes over :meth:`set_capacity` (the roster sets the staff and who of them is on
        duty, with :meth:`set_on_duty`); None: every person serves around the clock."""
        self.busy = 0
        self.start_service = start_service
        self.done = done
        self.time_factor = 1.0
        """Multiplies every service time (a unit that rushes its cases has < 1)."""
        self._lines: list[deque[tuple[int, Any]]] = []
        """The queue: one first-come-first-served line of (ticket, item) per priority, most urgent
        first."""
        self._line_of: dict[int, deque[tuple[int, Any]]] = {}
        """The line of each priority seen so far."""
        self._seq = 0
        self.queued = 0
        self._serving: dict[Any, float] = {}
        """The items in service, in the order their services started, and when each ends."""
        self._end_callback = self._end  # bound once, not per service
        self._later = later(env)
        self.arrived = 0
        self.departed = 0
        self.withdrawn = 0
        self.tally = TierTally() if tally is None else tally
        self.tally.pools.append(self)
        # Utilisation without bookkeeping per event: service hours are added as each
        # service starts (the part beyond "now" is taken off when asked), staffed hours
        # as the capacity changes.
        self._service_hours = 0.0
        self._staff_hours = 0.0
        self._staffed_since = env.now

    # -- flow ------------------------------------------------------------------------------
    def arrive(self, item: Any, priority: int = 0) -> bool:
        """Take ``item``: start serving it if a server is free, else queue it. True if queued."""
        self.arrived += 1
        if self.busy < self.on_duty and not self.queued:
            self._start(item)
            return False
        self._seq += 1
        item.ticket = self._seq
        line = self._line_of.get(priority)
        if line is None:
            line = self._open_line(priority)
        line.append((self._seq, item))
        self.queued += 1
        return True

    def withdraw(self, item: Any) -> bool:
        """Remove a queued ``item``; False if it is no longer waiting here."""
        if item.ticket <= 0:
            return False
        item.ticket = 0
        self.queued -= 1
        self.withdrawn += 1
        if self.queue_entries() > 64 + 2 * self.queued:  # drop the withdrawn entries
            for line in self._lines:
                live = [entry for entry in line if entry[0] == entry[1].ticket]
                line.clear()
                line.extend(live)
        return True

    def take(self, wanted: Callable[[Any], bool]) -> Any | None:
        """Withdraw and return the first queued item, in service order, for which ``wanted`` is
        true, or None: another server takes it over (off the hot path: it scans the queue).

        Its entry leaves the line at once, not lazily as a withdrawn caller's does: the item
        may queue in another pool, with a ticket that could match its stale entry here."""
        for line in self._lines:
            for index, (seq, item) in enumerate(line):
                if item.ticket == seq and wanted(item):
                    del line[index]  # (we leave the loop at once)
                    item.ticket = 0
                    self.queued -= 1
                    self.withdrawn += 1
                    return item
        return None

    def queue_entries(self) -> int:
        """Entries in the queue's lines, withdrawn ones not yet dropped included."""
        return sum(map(len, self._lines))

    def set_capacity(self, capacity: int) -> None:
        """Change the number of staff now. Servers removed finish the item in hand first."""
        if capacity < 0:
            raise ValueError(f"{self.name}: capacity must be non-negative, got {capacity}")
        if self.roster is not None:
            self.roster(self, capacity)
            return
        self.capacity = capacity
        self.set_on_duty(capacity)

    def set_on_duty(self, servers: int) -> None:
        """Change the number of servers that may take an item now (at most the staff, but for
        a roster's own bookkeeping). Servers removed finish the item in hand first."""
        now = self.env.now
        self._staff_hours += self.on_duty * (now - self._staffed_since)
        self._staffed_since = now
        self.on_duty = servers
        self._pull()

    # -- internals -------------------------------------------------------------------------
    def _start(self, item: Any) -> None:
        self.busy += 1
        item.ticket = 0
        start_service = self.start_service  # a local name: cheaper than self.x() (performance.md)
        duration = start_service(item) * self.time_factor
        self._service_hours += duration
        self._serving[item] = self.env._now + duration  # noqa: SLF001 - env.now
        call_later = self._later
        call_later(duration, self._end_callback, item)

    def _end(self, item: Any) -> None:
        """The service of ``item`` ends: free the server, let it take the next in line, report."""
        del self._serving[item]
        self.busy -= 1
        self.departed += 1
        if self.queued:
            self._pull()
        done = self.done
        done(item, self)

    def _pull(self) -> None:
        while self.busy < self.on_duty and self.queued:
            for line in self._lines:  # the most urgent line with entries
                if line:
                    seq, item = line.popleft()
                    break
            else:
                raise RuntimeError(f"{self.name}: {self.queued} queued, but every line is empty")
            if item.ticket == seq:  # else withdrawn: skip it
                self.queued -= 1
                self._start(item)

    def _open_line(self, priority: int) -> deque[tuple[int, Any]]:
        line: deque[tuple[int, Any]] = deque()
        self._line_of[priority] = line
        self._lines = [self._line_of[p] for p in sorted(self._line_of)]
        return line

    # -- inspection ------------------------------------------------------------------------
    def in_service(self) -> list[Any]:
        """Items in service now, in the order their services end (for checks, not for the hot
        path)."""
        serving = self._serving
        return sorted(serving, key=serving.__getitem__)  # (stable: ties in start order)

    def waiting(self) -> list[Any]:
        """Items queued now, in service order (for checks, not for the hot path)."""
        return [item for line in self._lines for seq, item in line if item.ticket == seq]

    @property
    def busy_area(self) -> float:
        """Busy server-hours since the start."""
        now = self.env.now
        return self._service_hours - sum(end - now for end in self._serving.values())

    @property
    def staff_area(self) -> float:
        """Staffed server-hours (servers on duty) since the start."""
        return self._staff_hours + self.on_duty * (self.env.now - self._staffed_since)

    def utilisation(self) -> float:
        """Busy server-hours over staffed server-hours since the start."""
        staffed = self.staff_area
        return self.busy_area / staffed if staffed else float("nan")

    def __repr__(self) -> str:
        return (
            f"ServerPool({self.name!r}, tier={self.tier!r}, capacity={self.capacity}, "
            f"on_duty={self.on_duty}, "
            f"busy={self.busy}, queued={self.queued})"
        )
