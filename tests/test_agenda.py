"""The agenda calls what one heap with no sweep would, at the same times, in the same order."""

from __future__ import annotations

import heapq
import math
import random

import simpy

from govsim.core import agenda as agenda_module
from govsim.core.agenda import Agenda
from govsim.core.event_queue import BucketedEnvironment


class _OneHeap:
    """The agenda as it was: one heap, stale entries dropped at its head only."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env, self.entries, self.order = env, [], 0
        self.wake_at = math.inf

    def at(self, when, call, subject, stale=None) -> None:
        self.order += 1
        heapq.heappush(self.entries, (when, self.order, call, subject, stale))
        if when < self.wake_at:
            self.wake_at = when
            simpy.events.Timeout(self.env, when - self.env.now, when).callbacks.append(self.wake)

    def wake(self, event) -> None:
        if event.value != self.wake_at:
            return
        entries, now = self.entries, self.env.now
        while entries and entries[0][0] <= now:
            _, _, call, subject, stale = heapq.heappop(entries)
            if stale is None or not stale(subject):
                call(subject)
        while entries and entries[0][4] is not None and entries[0][4](entries[0][3]):
            heapq.heappop(entries)
        self.wake_at = math.inf
        if entries:
            self.wake_at = entries[0][0]
            simpy.events.Timeout(self.env, self.wake_at - now, self.wake_at).callbacks.append(
                self.wake
            )


def _workload(env: simpy.Environment, make, seed: int) -> list[tuple[float, int, str]]:
    """Problems reported again and again at random gaps (ties on whole hours), fixed at random
    (their entries go stale), and other events interleaved; what ran, when, in which order."""
    rng = random.Random(seed)
    agenda = make(env)
    fixed: set[int] = set()
    seen: list[tuple[float, int, str]] = []

    def report(problem: int) -> None:
        seen.append((env.now, problem, "report"))
        if rng.random() < 0.3:
            fixed.add(problem)
        gap = rng.choice([0.0, 1.0, 2.0, rng.expovariate(1 / 3), rng.expovariate(1 / 200)])
        agenda.at(env.now + gap, report, problem, lambda p: p in fixed)

    def other(name: int) -> None:
        seen.append((env.now, name, "other"))

    for problem in range(3000):
        agenda.at(rng.random() * 100, report, problem, lambda p: p in fixed)
        if problem % 7 == 0:
            agenda.at(rng.choice([5.0, rng.random() * 300]), other, problem)
    for t in range(0, 400, 3):
        simpy.events.Timeout(env, float(t)).callbacks.append(lambda _e, t=t: other(-t))
    env.run(until=400)
    return seen


def test_the_same_calls_as_one_heap_without_sweeps(monkeypatch) -> None:
    monkeypatch.setattr(agenda_module, "SWEEP_MIN", 64)  # sweeps within the test's size
    for seed in (1, 2):
        expected = _workload(simpy.Environment(), _OneHeap, seed)
        assert len(expected) > 5000
        assert _workload(simpy.Environment(), Agenda, seed) == expected
        env = BucketedEnvironment()
        env.set_width(0.25)
        assert _workload(env, Agenda, seed) == expected


def test_stale_entries_are_swept_and_an_infinite_time_waits() -> None:
    env = simpy.Environment()
    agenda = Agenda(env)
    gone: set[int] = set(range(0, 10_000, 2))
    for i in range(10_000):
        agenda.at(10.0 + i, print, i, gone.__contains__)
    assert len(agenda) < 10_000  # a sweep took out stale entries before the heap doubled
    called: list[int] = []
    agenda.at(math.inf, called.append, -1)
    agenda.at(5.0, called.append, 5)
    env.run(until=8.0)
    assert called == [5] and len(agenda) >= 5_001
