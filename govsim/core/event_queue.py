"""A SimPy environment whose event queue is a short sorted list of the next minutes, not a
heap of the run.

SimPy keeps every scheduled event in one binary heap of ``(time, priority, order, event)``
tuples. In Beijing about 9,000 events were pending at any moment even when each unit kept
one wake-up (now each service's end and each first report is an entry: far more), so each
of the run's events popped through some 13 levels of tuples that the CPU cache had lost
since they were pushed: 1.6 us a pop, a tenth of the run. Here only the events due before
:attr:`BucketedEnvironment.limit` (a window of ``width`` hours) are in the queue proper;
later events wait unsorted in a bucket per window of their time (a calendar queue). When
its window comes, a bucket is sorted, latest first, and becomes the queue: the next event
is its last entry, taken off in constant time without a comparison, and an event scheduled
into the current window is inserted at its place by bisection. The queue holds a few dozen
entries, hot in the cache. (It was a heap of the window until the service ends joined it:
Beijing with every reform counted 89,203 instructions per case with the heap, 87,420 with
the sorted list.)

The order is SimPy's: the same ``(time, priority, order)`` keys (``order`` is SimPy's own
event counter, drawn as SimPy draws it), and every event due before the limit is in the
queue, every later one in a bucket, so the queue's last entry is always the earliest event
of all.

One stream of calls skips the queue: a process with at most one call pending at a time (the
residents' appeals, a third of the run's events) keeps it in a slot beside the queue
(:meth:`BucketedEnvironment.call_next`), with the key it would have had in the queue; the
run takes it when that key is below the queue's earliest.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any, TypeVar

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, Event, EventPriority, Timeout

T = TypeVar("T")
Callback = Callable[[Any], None]
Item = tuple[float, EventPriority, int, "Callback | None", Any]
"""A queue entry: SimPy's key ``(time, priority, order)``, then ``(None, event)`` for a SimPy
event or ``(callback, value)`` for a call of :meth:`BucketedEnvironment.call_later` (no event
object at all; the key is unique, so the comparisons never reach these two fields)."""
Later = Callable[[float, Callback, Any], None]
At = Callable[[float, Callback, Any], None]

Call = tuple[float, EventPriority, int, Callback, Any]
"""The entry of a call (:meth:`BucketedEnvironment.call_next`'s slot)."""


def _no_call(_value: Any) -> None:
    raise AssertionError("the empty slot of call_next was taken")  # pragma: no cover


NO_CALL: Call = (math.inf, EventPriority(2), 0, _no_call, None)
"""The empty slot of :meth:`BucketedEnvironment.call_next`: above every entry (an event at an
infinite time included: its priority is at most NORMAL, 1)."""

WINDOW_EVENTS = 64
"""Events a window should hold about: the window's queue stays in the cache, and a
bucket's set-up (a dict entry, its window number in a small heap) is spread over many
events (assumed: chosen by measurement, docs/performance.md: Beijing with every reform
counted 105,783 instructions per case at 256, 105,054 at 128, 103,003 at 64, 102,683 at
32)."""


def window_width(events_per_hour: float) -> float:
    """The power of two of hours (1/1024 to 64) whose window holds about
    :data:`WINDOW_EVENTS` events at ``events_per_hour``."""
    if not events_per_hour > 0:
        return 64.0
    return 2.0 ** min(6, max(-10, math.floor(math.log2(WINDOW_EVENTS / events_per_hour))))


def bucket_of(buckets: dict[float, list[T]], keys: list[float], key: float) -> list[T]:
    """The bucket of window number ``key`` in a calendar queue's ``buckets`` (made, and its
    number pushed on the heap ``keys``, if new); NaN (an infinite time's ``inf // width``)
    is the window ``inf``."""
    if key != key:
        key = math.inf
    found = buckets.get(key)
    if found is None:
        buckets[key] = found = []
        heappush(keys, key)
    return found


def insort_descending(queue: list[Item], entry: Item) -> None:
    """Insert ``entry`` into ``queue``, kept in descending order of key (the earliest last);
    the keys are unique. (Not :func:`bisect.insort`, which keeps a list ascending: the run
    takes the earliest entry off the list's end, in constant time.)"""
    lo, hi = 0, len(queue)
    while lo < hi:
        mid = (lo + hi) // 2
        if entry < queue[mid]:
            lo = mid + 1
        else:
            hi = mid
    queue.insert(lo, entry)


def later(env: simpy.Environment) -> Later:
    """``env``'s way to call ``callback(value)`` ``delay`` hours from now: a Timeout whose
    callback hands its value on, on SimPy's own environment; the lighter
    :meth:`BucketedEnvironment.call_later` on the run's (the same key, the same order)."""
    if isinstance(env, BucketedEnvironment):
        return env.call_later

    def call_later(delay: float, callback: Callback, value: Any = None) -> None:
        Timeout(env, delay, value).callbacks.append(lambda event: callback(event._value))  # noqa: SLF001

    return call_later


def at(env: simpy.Environment) -> At:
    """``env``'s way to call ``callback(value)`` at simulated time ``when`` (not before now):
    :meth:`BucketedEnvironment.call_at` on the run's environment (at ``when`` exactly, the
    key drawn now), a Timeout of ``when - now`` on SimPy's."""
    if isinstance(env, BucketedEnvironment):
        return env.call_at
    call_later = later(env)

    def call_at(when: float, callback: Callback, value: Any = None) -> None:
        call_later(when - env.now, callback, value)

    return call_at


def next_later(env: simpy.Environment) -> Later:
    """As :func:`later`, for a stream of calls with at most one pending at a time:
    :meth:`BucketedEnvironment.call_next` on the run's environment (the same key, the same
    order, no heap), a Timeout on SimPy's."""
    if isinstance(env, BucketedEnvironment):
        return env.call_next
    return later(env)


class BucketedEnvironment(simpy.Environment):
    """:class:`simpy.Environment` with its queue split into a sorted list of the current window
    and buckets of later windows (see the module docstring). ``width`` (hours, a power of two so
    that a window's bounds are exact) may be set with :meth:`set_width` before the run."""

    _queue: list[Item]  # type: ignore[assignment]  # SimPy's entries, with a call's fields

    def __init__(self, initial_time: float = 0, width: float = 1.0) -> None:
        super().__init__(initial_time)
        self.width = width
        self.limit = -math.inf
        """Events due before this time are in ``_queue`` (latest first), later ones in buckets."""
        self._buckets: dict[float, list[Item]] = {}
        self._keys: list[float] = []  # heap of the buckets' window numbers
        self._next: Call = NO_CALL
        """The pending call of :meth:`call_next` (NO_CALL if none), beside the queue."""

    def set_width(self, width: float) -> None:
        """Windows of ``width`` hours from now on (events in buckets are sorted anew)."""
        if not (width > 0 and math.frexp(width)[0] == 0.5):
            raise ValueError(f"the window width must be a positive power of two, got {width}")
        pending = [item for bucket in self._buckets.values() for item in bucket]
        self._buckets.clear()
        self._keys.clear()
        self.width = width
        for item in pending:
            self._bucket(item[0]).append(item)

    def schedule(
        self, event: simpy.Event, priority: EventPriority = NORMAL, delay: float = 0
    ) -> None:
        """Schedule ``event`` (as :meth:`simpy.Environment.schedule`: the same key)."""
        self._insert((self._now + delay, priority, next(self._eid), None, event))

    def call_later(self, delay: float, callback: Callback, value: Any = None) -> None:
        """``callback(value)`` ``delay`` hours from now: what a Timeout of ``value`` whose callback
        hands its value on does, the same key drawn at the same moment, with no event at all:
        the queue's entry holds the callback and the value, and the run calls it directly."""
        if delay < 0.0:  # (0.0: a float against a float is a specialised comparison)
            raise ValueError(f"negative delay {delay}")
        when = self._now + delay
        entry = (when, NORMAL, next(self._eid), callback, value)
        # _insert, written out: the run's most frequent scheduling (service ends, transit
        # holds: about 1.8 a case in Beijing), where a method call more costs 0.5% of a run.
        if when < self.limit:
            insort_descending(self._queue, entry)
        else:
            bucket = self._buckets.get(when // self.width)
            if bucket is None:
                bucket = self._bucket(when)
            bucket.append(entry)

    def call_at(self, when: float, callback: Callback, value: Any = None) -> None:
        """``callback(value)`` at simulated time ``when``, exactly (no ``now + (when - now)``
        rounding): as :meth:`call_later`, the key drawn now."""
        if when < self._now:
            raise ValueError(f"{when} is in the past (now {self._now})")
        entry = (when, NORMAL, next(self._eid), callback, value)
        # _insert, written out as in call_later: 0.4 a case in Beijing (the problems' first
        # reports); through the method, 87,420 -> 87,681 instructions a case.
        if when < self.limit:
            insort_descending(self._queue, entry)
        else:
            bucket = self._buckets.get(when // self.width)
            if bucket is None:
                bucket = self._bucket(when)
            bucket.append(entry)

    def _insert(self, entry: Item) -> None:
        """Put ``entry`` into the current window's queue at its place, or into its window's
        bucket (:meth:`call_later` and :meth:`call_at` have it written out)."""
        when = entry[0]
        if when < self.limit:
            insort_descending(self._queue, entry)
        else:
            bucket = self._buckets.get(when // self.width)
            if bucket is None:
                bucket = self._bucket(when)
            bucket.append(entry)

    def call_next(self, delay: float, callback: Callback, value: Any = None) -> None:
        """As :meth:`call_later`, for a stream of calls with at most one pending at a time: the
        entry, the same key drawn at the same moment, waits in a slot beside the queue and the
        run takes it when its key is below the queue's earliest (no insertion). Should a call be
        pending in the slot already, this one goes to the queue (the order is the same)."""
        if self._next is not NO_CALL:
            self.call_later(delay, callback, value)
            return
        if delay < 0.0:  # (0.0: as in call_later)
            raise ValueError(f"negative delay {delay}")
        self._next = (self._now + delay, NORMAL, next(self._eid), callback, value)

    def _take_next(self) -> Call:
        """The slot's call, which is the earliest of all (the slot emptied)."""
        item = self._next
        self._next = NO_CALL
        self._now = item[0]
        return item

    def _bucket(self, when: float) -> list[Item]:
        return bucket_of(self._buckets, self._keys, when // self.width)

    def _advance(self) -> bool:
        """The queue is empty: the next bucket's events, sorted latest first, become it; False
        if there are none. The queue stays the same list (the run holds it)."""
        if not self._keys:
            return False
        key = heappop(self._keys)
        bucket = self._buckets.pop(key)
        bucket.sort(reverse=True)
        self._queue.extend(bucket)
        self.limit = (key + 1) * self.width
        return True

    def peek(self) -> float:
        """The time of the next scheduled event (infinity if none)."""
        if not self._queue and not self._advance():
            return self._next[0]
        return min(self._queue[-1][0], self._next[0])

    def step(self) -> None:
        """Process the next event (as :meth:`simpy.Environment.step`)."""
        queue = self._queue
        if not queue and not self._advance():
            if self._next is NO_CALL:
                raise EmptySchedule from None
            _, _, _, stream, value = self._take_next()
            stream(value)
            return
        if self._next < queue[-1]:  # the stream's call comes first
            _, _, _, stream, value = self._take_next()
            stream(value)
            return
        self._now, _, _, call, event = queue.pop()
        if call is not None:  # a call_later: no event
            call(event)
            return
        # What follows is SimPy 4's step, unchanged.
        callbacks, event.callbacks = event.callbacks, None
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            event.callbacks = callbacks[callbacks.index(callback) + 1 :]
            self.schedule(event, EventPriority(-1))
            raise
        if not event._ok and not hasattr(event, "_defused"):  # noqa: SLF001 - SimPy's own check
            exc = type(event._value)(*event._value.args)  # noqa: SLF001
            exc.__cause__ = event._value  # noqa: SLF001
            raise exc

    def run(self, until: float | Event | None = None) -> Any:
        """As :meth:`simpy.Environment.run`, with :meth:`step` written into its loop (a call
        fewer per event, a tenth of the loop's own cost)."""
        if until is not None:
            if not isinstance(until, Event):  # a time: an event at it, before every other
                at = until if isinstance(until, int) else float(until)
                if at <= self.now:
                    raise ValueError(
                        f"until ({at}) must be greater than the current simulation time"
                    )
                until = Event(self)
                until._ok = True  # noqa: SLF001 - as SimPy's run
                until._value = None  # noqa: SLF001
                self.schedule(until, URGENT, at - self.now)
            elif until.callbacks is None:
                return until.value  # processed already
            until.callbacks.append(StopSimulation.callback)
        queue = self._queue  # the same list all along (_advance refills it)
        pop = queue.pop
        try:
            while True:  # step, inline
                if queue:
                    # The stream's call comes first (not in the queue)? The times compared as floats
                    # (a specialised comparison), the whole keys only if they tie.
                    slot, head = self._next, queue[-1]
                    if slot[0] < head[0] or (slot[0] == head[0] and slot < head):
                        self._now, _, _, stream, value = slot
                        self._next = NO_CALL
                        stream(value)
                        continue
                elif not self._advance():
                    if self._next is NO_CALL:
                        raise EmptySchedule
                    _, _, _, stream, value = self._take_next()
                    stream(value)
                    continue
                else:
                    continue  # the next window is loaded: compare again
                self._now, _, _, call, event = pop()
                if call is not None:  # a call_later: its callback, no event
                    call(event)
                    continue
                callbacks, event.callbacks = event.callbacks, None
                try:
                    for callback in callbacks:
                        callback(event)
                except StopSimulation:
                    event.callbacks = callbacks[callbacks.index(callback) + 1 :]
                    self.schedule(event, EventPriority(-1))
                    raise
                if not event._ok and not hasattr(event, "_defused"):  # noqa: SLF001
                    exc = type(event._value)(*event._value.args)  # noqa: SLF001
                    exc.__cause__ = event._value  # noqa: SLF001
                    raise exc
        except StopSimulation as stop:
            return stop.args[0]
        except EmptySchedule:
            if until is not None:
                raise RuntimeError(
                    f'No scheduled events left but "until" event was not triggered: {until}'
                ) from None
        return None
