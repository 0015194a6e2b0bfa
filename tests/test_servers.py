"""Unit tests of :class:`govsim.core.servers.ServerPool` on a bare SimPy environment."""

from __future__ import annotations

import math
import time

import pytest
import simpy

from govsim.core.event_queue import BucketedEnvironment
from govsim.core.servers import ServerPool


class Item:
    """A dummy case: a name, a service time and the writable ``ticket`` the pool needs."""

    __slots__ = ("name", "service", "ticket", "started", "finished")

    def __init__(self, name: str, service: float = 1.0) -> None:
        self.name = name
        self.service = service
        self.ticket = 0
        self.started = math.nan
        self.finished = math.nan

    def __repr__(self) -> str:
        return f"Item({self.name})"


class Recorder:
    """start_service / done callbacks that record what happened and when."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.started: list[str] = []
        self.done: list[str] = []
        self.busy_at_done: list[int] = []

    def start(self, item: Item) -> float:
        item.started = self.env.now
        self.started.append(item.name)
        return item.service

    def finish(self, item: Item, pool: ServerPool) -> None:
        item.finished = self.env.now
        self.done.append(item.name)
        self.busy_at_done.append(pool.busy)


def make_pool(capacity: int) -> tuple[simpy.Environment, ServerPool, Recorder]:
    env = simpy.Environment()
    rec = Recorder(env)
    return env, ServerPool(env, "unit", "grid", capacity, rec.start, rec.finish), rec


def balanced(pool: ServerPool) -> bool:
    return (
        pool.arrived == pool.departed + pool.queued + pool.busy + pool.withdrawn
        and pool.queued == len(pool.waiting())
        and pool.busy == len(pool.in_service())
    )


def test_negative_capacity_refused() -> None:
    env = simpy.Environment()
    with pytest.raises(ValueError):
        ServerPool(env, "u", "grid", -1, lambda i: 1.0, lambda i, p: None)
    _, pool, _ = make_pool(1)
    with pytest.raises(ValueError):
        pool.set_capacity(-1)


def test_priority_order_and_fifo_within_priority() -> None:
    env, pool, rec = make_pool(1)
    first = Item("first")
    assert pool.arrive(first, priority=5) is False  # a free server: starts at once
    priorities = {"a2": 2, "b0": 0, "c1": 1, "d0": 0, "e2": 2, "f1": 1, "g0": 0}
    for name, prio in priorities.items():
        assert pool.arrive(Item(name), priority=prio) is True
    assert [i.name for i in pool.waiting()] == ["b0", "d0", "g0", "c1", "f1", "a2", "e2"]
    env.run()
    assert rec.started == ["first", "b0", "d0", "g0", "c1", "f1", "a2", "e2"]
    assert rec.done == rec.started
    assert env.now == pytest.approx(8.0)
    assert balanced(pool) and pool.departed == 8


def test_next_item_starts_before_done_callback() -> None:
    env, pool, rec = make_pool(1)
    for name in "abc":
        pool.arrive(Item(name))
    env.run()
    # When 'a' and 'b' finish, the freed server has already taken the next item.
    assert rec.busy_at_done == [1, 1, 0]


def test_capacity_increase_starts_queued_items_at_once() -> None:
    env, pool, rec = make_pool(0)
    items = [Item(f"i{k}", service=10.0) for k in range(5)]
    for item in items:
        assert pool.arrive(item) is True  # no server: everything queues
    env.run(until=3.0)
    assert rec.started == [] and pool.queued == 5
    pool.set_capacity(3)
    assert pool.busy == 3 and pool.queued == 2
    assert rec.started == ["i0", "i1", "i2"]
    assert all(items[k].started == 3.0 for k in range(3))
    env.run()
    assert [items[k].started for k in range(5)] == [3.0, 3.0, 3.0, 13.0, 13.0]
    assert balanced(pool)


def test_capacity_decrease_lets_service_finish_and_starts_nothing_new() -> None:
    env, pool, rec = make_pool(3)
    busy = [Item(f"s{k}", service=5.0 + k) for k in range(3)]  # finish at 5, 6, 7
    waiting = [Item(f"w{k}", service=1.0) for k in range(3)]
    for item in busy + waiting:
        pool.arrive(item)
    assert pool.busy == 3 and pool.queued == 3
    env.run(until=1.0)
    pool.set_capacity(1)
    assert pool.busy == 3 and pool.queued == 3  # nobody is thrown out of service
    env.run(until=5.5)
    assert rec.done == ["s0"] and pool.busy == 2 and pool.queued == 3  # busy 2 > capacity 1
    env.run(until=6.5)
    assert rec.done == ["s0", "s1"] and pool.busy == 1 and pool.queued == 3  # busy == capacity
    env.run(until=7.5)
    # s2 finishes at 7: busy drops to 0 < 1, the first waiting item starts.
    assert rec.done == ["s0", "s1", "s2"] and pool.busy == 1 and pool.queued == 2
    assert waiting[0].started == 7.0
    env.run()
    assert [w.started for w in waiting] == [7.0, 8.0, 9.0]
    assert balanced(pool)


def test_withdraw_waiting_item_and_not_a_served_one() -> None:
    env, pool, rec = make_pool(1)
    served, w1, w2, w3 = Item("served"), Item("w1"), Item("w2"), Item("w3")
    for item in (served, w1, w2, w3):
        pool.arrive(item)
    assert pool.withdraw(served) is False  # in service: cannot be withdrawn
    assert pool.withdraw(w2) is True
    assert pool.withdraw(w2) is False  # not twice
    assert pool.withdrawn == 1 and pool.queued == 2
    assert [i.name for i in pool.waiting()] == ["w1", "w3"]
    assert balanced(pool)
    env.run()
    assert rec.started == ["served", "w1", "w3"]
    assert pool.withdraw(w1) is False  # already served
    assert balanced(pool) and pool.departed == 3 and pool.withdrawn == 1


def test_withdrawn_item_can_arrive_again() -> None:
    env, pool, rec = make_pool(1)
    pool.arrive(Item("head"))
    x, y = Item("x"), Item("y")
    pool.arrive(x)
    pool.arrive(y)
    pool.withdraw(x)
    pool.arrive(x)  # back at the end of the queue with a fresh ticket
    assert [i.name for i in pool.waiting()] == ["y", "x"]
    env.run()
    assert rec.started == ["head", "y", "x"]
    assert balanced(pool) and pool.arrived == 4 and pool.departed == 3 and pool.withdrawn == 1


def test_lazy_deletion_compaction_keeps_order() -> None:
    env, pool, rec = make_pool(0)
    items = [Item(f"i{k:03d}") for k in range(300)]
    for k, item in enumerate(items):
        pool.arrive(item, priority=k % 3)
    withdrawn = {k for k in range(300) if k % 5 != 0}  # withdraw 80%: forces compactions
    entry_counts = []
    for k in sorted(withdrawn):
        assert pool.withdraw(items[k]) is True
        entry_counts.append(pool.queue_entries())
    assert min(entry_counts) < 300  # the queue was compacted at least once
    assert pool.queue_entries() <= 2 * pool.queued + 64  # stale entries bounded
    kept = [k for k in range(300) if k not in withdrawn]
    expected = [items[k].name for k in sorted(kept, key=lambda k: (k % 3, k))]
    assert [i.name for i in pool.waiting()] == expected
    pool.set_capacity(1)
    env.run()
    assert rec.started == expected
    assert balanced(pool) and pool.withdrawn == len(withdrawn)


def test_utilisation_hand_computed() -> None:
    env, pool, rec = make_pool(2)
    pool.arrive(Item("a", service=3.0))  # busy 1 over [0, 3)
    env.run(until=4.0)
    # busy 3 server-hours over 2 x 4 staffed server-hours
    assert pool.utilisation() == pytest.approx(3.0 / 8.0)
    pool.set_capacity(4)  # at t = 4
    pool.arrive(Item("b", service=2.0))  # busy 1 over [4, 6)
    pool.arrive(Item("c", service=1.0))  # busy 1 over [4, 5)
    env.run(until=8.0)
    # busy 3 + 2 + 1 = 6; staffed 8 + 4 x 4 = 24
    assert pool.busy_area == pytest.approx(6.0)
    assert pool.utilisation() == pytest.approx(6.0 / 24.0)
    assert pool.staff_area == pytest.approx(24.0)


def test_utilisation_without_staff_is_nan() -> None:
    env, pool, _ = make_pool(0)
    env.run(until=5.0)
    assert math.isnan(pool.utilisation())


class CountingPriority(int):
    """An int priority that counts the comparisons the heap makes on it."""

    comparisons = 0

    def __lt__(self, other):
        CountingPriority.comparisons += 1
        return int.__lt__(self, other)

    def __eq__(self, other):
        CountingPriority.comparisons += 1
        return int.__eq__(self, other)

    __hash__ = int.__hash__


def test_priority_comparison_count_is_at_most_n_log_n() -> None:
    """Push n items and serve them all: at most O(n log n) priority comparisons, never O(n^2)."""
    n = 20_000
    env, pool, rec = make_pool(0)
    CountingPriority.comparisons = 0
    items = [Item(str(k), service=0.0) for k in range(n)]
    for k, item in enumerate(items):
        pool.arrive(item, priority=CountingPriority((k * 7919) % 97))
    for item in items[::4]:
        pool.withdraw(item)
    pool.set_capacity(n)
    env.run()
    bound = (
        6 * n * math.log2(n)
    )  # what a binary heap would need: push + pop, about 2 log2 n each, x2 for ==/<
    assert CountingPriority.comparisons < bound, CountingPriority.comparisons
    assert len(rec.started) == n - n // 4
    assert balanced(pool)


def test_100k_queued_push_pop_is_fast(monkeypatch) -> None:
    n = 100_000
    end_calls = 0
    env, pool, rec = make_pool(0)
    real_later = pool._later

    def later(delay, callback, value):
        nonlocal end_calls
        end_calls += 1  # the pool schedules nothing but its services' ends
        real_later(delay, callback, value)

    monkeypatch.setattr(pool, "_later", later)
    items = [Item(str(k), service=1.0) for k in range(n)]
    started = time.perf_counter()
    for k, item in enumerate(items):
        pool.arrive(item, priority=k % 4)
    assert pool.queue_entries() == n  # one entry per queued arrival
    for item in items[1::2]:
        pool.withdraw(item)
    assert (
        pool.queue_entries() <= 2 * pool.queued + 64
    )  # withdrawn entries are dropped as they pile up
    pool.set_capacity(1000)
    env.run()
    elapsed = time.perf_counter() - started
    assert (
        pool.waiting() == [] and pool.queue_entries() <= n // 2
    )  # only withdrawn entries are left
    assert end_calls == n // 2  # one end per service
    assert len(rec.started) == n // 2
    assert balanced(pool)
    assert elapsed < 30.0, f"{n} queued items took {elapsed:.1f} s"


def test_each_service_schedules_its_own_end() -> None:
    """One event per service, scheduled as it starts: no wake-up goes stale."""
    env, pool, rec = make_pool(5)
    items = [Item(f"s{d}", service=float(d)) for d in (5, 4, 3, 2, 1)]  # each ends before the last
    for item in items:
        pool.arrive(item)
    assert len(env._queue) == 5  # one end per service
    assert pool.in_service() == items[::-1]  # in the order their services end
    env.run()
    assert rec.done == ["s1", "s2", "s3", "s4", "s5"]
    assert [item.finished for item in items] == [5.0, 4.0, 3.0, 2.0, 1.0]
    assert balanced(pool) and pool.departed == 5


def test_many_busy_servers_leave_the_run_queue_window_small() -> None:
    """A thousand services in progress: their ends wait in the calendar queue's buckets, and
    its queue proper holds only the current window's (govsim/core/event_queue.py)."""
    env = BucketedEnvironment(width=1 / 64)
    rec = Recorder(env)
    pool = ServerPool(env, "unit", "grid", 1000, rec.start, rec.finish)
    for k in range(1000):
        pool.arrive(Item(str(k), service=1.0 + k / 1000))  # later starts end later
    assert len(env._queue) == 0 and sum(map(len, env._buckets.values())) == 1000
    env.run(until=1.5)
    assert len(env._queue) <= 1000 / 64 + 2  # one window's ends, sorted
    env.run()
    assert len(rec.done) == 1000 and rec.done == sorted(rec.done, key=int)
    assert balanced(pool)


def test_equal_end_times_finish_in_start_order() -> None:
    env, pool, rec = make_pool(3)
    for name in ("a", "b", "c"):
        pool.arrive(Item(name, service=2.0))
    pool.arrive(Item("d", service=1.0))  # queued: starts when "a" ends at 2, ends at 3
    env.run()
    assert rec.done == ["a", "b", "c", "d"]
    assert rec.busy_at_done == [3, 2, 1, 0]  # "d" took a's server before a's done ran
