"""The bucketed event queue runs every event when and in the order SimPy's own queue would."""

from __future__ import annotations

import math
import random

import pytest
import simpy
from simpy.events import URGENT, Timeout

from govsim.core.event_queue import BucketedEnvironment, at, later, next_later, window_width


def _workload(
    env: simpy.Environment, seed: int, calls: bool = False, stream: bool = False
) -> list[tuple[float, str]]:
    """Timeouts of random delays (many exact ties: whole and half hours, zero), chains that
    schedule more, urgent events, a process, runs to several ``until``s; what ran, when.
    With ``calls``, half the chained ones are scheduled by ``later(env)`` (a Timeout on SimPy's
    environment, a queue entry without an event on the bucketed one), with a value. With
    ``stream``, a chain of calls by ``next_later(env)`` too (the bucketed one's slot beside the
    heap), its delays tied with the others' times, now and then two pending at once."""
    rng = random.Random(seed)
    seen: list[tuple[float, str]] = []
    call_later = later(env)
    call_next = next_later(env)

    def streamed(value: int) -> None:
        seen.append((env.now, f"s{value}"))
        if value < 0:
            return  # a second call: no follow-up
        for follow in (value + 1, -value - 1)[: 2 if rng.random() < 0.1 else 1]:
            delay = rng.choice([0.0, 0.25, 0.5, 1.0])  # on the grid of the others' ties
            call_next(delay, streamed, follow)  # the second finds the slot taken: the heap
        if rng.random() < 0.3:  # events on the stream's grid: ties
            note(f"s{value}>")(None)

    def called(value: str) -> None:
        seen.append((env.now, value))
        note(value + "/")(None)

    def note(name: str):
        def callback(_event: object) -> None:
            seen.append((env.now, name))
            if rng.random() < 0.5:
                delay = rng.choice([0.0, 0.5, 1.0, rng.random() * 3, rng.expovariate(0.1)])
                if calls and rng.random() < 0.5:
                    call_later(delay, called, name + "c")
                else:
                    Timeout(env, delay).callbacks.append(note(name + "+"))
            if rng.random() < 0.05:
                event = env.event()
                event.callbacks.append(lambda _e: seen.append((env.now, name + "!")))
                env.schedule(event, URGENT, rng.choice([0.0, 1.0]))
                event._ok, event._value = True, None

        return callback

    def process():
        for i in range(40):
            yield env.timeout(rng.choice([0.25, 1.0, rng.random()]))
            seen.append((env.now, f"p{i}"))

    for i in range(300):
        Timeout(env, rng.choice([0.0, 1.0, 2.0, rng.random() * 50])).callbacks.append(note(str(i)))
    env.process(process())
    Timeout(env, math.inf).callbacks.append(note("never"))
    if stream:
        call_next(0.0, streamed, 0)
    for until in (0.5, 3.0, 3.25, 20.0, 80.0):
        env.run(until=until)
        seen.append((env.now, f"until {env.peek()}"))
    return seen


@pytest.mark.parametrize("width", [2.0**-6, 0.25, 1.0, 64.0])
@pytest.mark.parametrize("seed", [1, 2])
def test_the_same_events_in_the_same_order_as_simpy(width: float, seed: int) -> None:
    expected = _workload(simpy.Environment(), seed)
    env = BucketedEnvironment()
    env.set_width(width)
    assert _workload(env, seed) == expected
    assert len(expected) > 500
    assert len({when for when, _ in expected}) < len(expected) - 50  # many share their time


@pytest.mark.parametrize("width", [2.0**-6, 1.0, 64.0])
@pytest.mark.parametrize("seed", [1, 2])
def test_calls_later_keep_the_order_of_simpys_timeouts(width: float, seed: int) -> None:
    expected = _workload(simpy.Environment(), seed, calls=True)
    env = BucketedEnvironment()
    env.set_width(width)
    assert _workload(env, seed, calls=True) == expected
    assert sum(name.endswith("c") for _, name in expected) > 100  # many calls, ties among them


@pytest.mark.parametrize("width", [2.0**-6, 0.25, 1.0, 64.0])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_stream_beside_the_heap_keeps_simpys_order(width: float, seed: int) -> None:
    expected = _workload(simpy.Environment(), seed, calls=True, stream=True)
    env = BucketedEnvironment()
    env.set_width(width)
    assert _workload(env, seed, calls=True, stream=True) == expected
    streamed = [when for when, name in expected if name.startswith("s") and ">" not in name]
    assert len(streamed) > 150  # a long stream...
    others = {when for when, name in expected if not name.startswith("s") or ">" in name}
    assert sum(when in others for when in streamed) > 20
    # ...whose calls tie with other events' times (and with each other)


def test_the_stream_slot_step_by_step_and_peek() -> None:
    env = BucketedEnvironment()
    env.set_width(1.0)
    got: list[tuple[float, str]] = []
    env.call_next(2.0, lambda v: got.append((env.now, v)), "next")
    assert env.peek() == 2.0  # the slot alone
    env.call_next(1.0, lambda v: got.append((env.now, v)), "taken")  # the slot is full: heap
    Timeout(env, 2.0).callbacks.append(lambda _e: got.append((env.now, "timeout")))
    assert env.peek() == 1.0
    env.step()
    assert got == [(1.0, "taken")] and env.peek() == 2.0
    env.step()
    env.step()  # the slot's call was drawn before the timeout's: it comes first
    assert got == [(1.0, "taken"), (2.0, "next"), (2.0, "timeout")]
    assert env.peek() == math.inf
    with pytest.raises(simpy.core.EmptySchedule):
        env.step()
    with pytest.raises(ValueError, match="negative delay"):
        env.call_next(-1.0, got.append)


def test_a_call_later_is_a_queue_entry_without_an_event() -> None:
    env = BucketedEnvironment()
    env.set_width(1.0)
    got: list[tuple[float, object]] = []

    def record(value: object) -> None:
        got.append((env.now, value))

    env.call_later(0.5, record, "v")
    env.run(until=0.25)  # the window [0, 1) is in the heap now
    env.call_later(0.0, record, None)
    entries = sorted(env._queue)
    assert [e[3:] for e in entries if e[3] is not None] == [(record, None), (record, "v")]
    events = [e[4] for e in entries if e[3] is None]  # the until's event, rescheduled as SimPy does
    assert len(events) == 1 and isinstance(events[0], simpy.Event)
    env.run()
    assert got == [(0.25, None), (0.5, "v")]
    with pytest.raises(ValueError, match="negative delay"):
        env.call_later(-1.0, record)


@pytest.mark.parametrize("width", [2.0**-6, 1.0])
def test_a_call_at_a_time_comes_exactly_then_in_simpys_order(width: float) -> None:
    """``call_at(when)`` runs at ``when`` itself, not at ``now + (when - now)``, which rounds
    (14.739951313022717 + (31.35622285899878 - 14.739951313022717) is 31.356222858998777),
    and among ties where a Timeout of ``when - now`` made now would."""
    when = 31.35622285899878
    runs = []
    for env in (simpy.Environment(), BucketedEnvironment(width=width)):
        call_at, call_later = at(env), later(env)
        seen: list[tuple[float, str]] = []

        def record(value: str, env: simpy.Environment = env, seen: list = seen) -> None:
            seen.append((env.now, value))

        def schedule(_event: object, call_at=call_at, call_later=call_later, record=record) -> None:
            call_later(2.0, record, "later, before")
            call_at(when, record, "at when")
            call_at(16.0, record, "at 16")
            call_later(2.0, record, "later, after")

        call_at(16.0, record, "at 16, first")
        Timeout(env, 14.739951313022717).callbacks.append(schedule)
        env.run()
        runs.append(seen)
    simpy_run, bucketed_run = runs
    assert bucketed_run[-1] == (when, "at when")  # exactly when
    assert simpy_run[-1] == (31.356222858998777, "at when")  # SimPy's Timeout rounds
    assert [v for _, v in bucketed_run] == [v for _, v in simpy_run]
    assert [v for _, v in bucketed_run] == [
        "at 16, first",
        "at 16",
        "later, before",
        "later, after",
        "at when",
    ]
    with pytest.raises(ValueError, match="in the past"):
        BucketedEnvironment().call_at(-1.0, print)


def test_the_width_may_change_with_events_pending() -> None:
    expected = _workload(simpy.Environment(), 3)
    env = BucketedEnvironment()
    env.set_width(4.0)
    # At 0, with the workload's events in buckets and a window loaded: narrower windows.
    Timeout(env, 0.0).callbacks.append(lambda _e: env.set_width(2.0**-3))
    assert _workload(env, 3) == expected
    assert env.width == 2.0**-3


def test_an_empty_queue_and_its_peek() -> None:
    env = BucketedEnvironment()
    assert env.peek() == math.inf
    env.run()
    Timeout(env, 5.0)
    assert env.peek() == 5.0
    env.run()
    assert env.now == 5.0 and env.peek() == math.inf


def test_the_width_is_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        BucketedEnvironment().set_width(0.3)
    assert window_width(9 * 3.5) == 2.0  # M/M/10: about 9 customers an hour
    assert window_width(2700 * 3.5) == 2.0**-8  # Beijing: about 2,700 cases an hour
    assert window_width(0.0) == 64.0 and window_width(1e12) == 2.0**-10


def test_run_until_an_event_and_until_an_event_never_triggered() -> None:
    for env in (simpy.Environment(), BucketedEnvironment()):

        def answer(env: simpy.Environment = env):
            yield env.timeout(2.0)
            return 42

        assert env.run(until=env.process(answer())) == 42 and env.now == 2.0
        with pytest.raises(RuntimeError, match="not triggered"):
            env.run(until=env.event())
        with pytest.raises(ValueError, match="greater than"):
            env.run(until=1.0)


def test_step_by_step_as_simpy() -> None:
    def steps(env: simpy.Environment) -> list[tuple[float, int]]:
        seen: list[tuple[float, int]] = []
        for i, delay in enumerate([3.0, 0.0, 1.0, 1.0, 200.0, 0.5, 3.0]):
            Timeout(env, delay, i).callbacks.append(lambda e: seen.append((env.now, e.value)))
        while True:
            try:
                env.step()
            except simpy.core.EmptySchedule:
                return seen

    bucketed = BucketedEnvironment()
    bucketed.set_width(0.5)
    expected = steps(simpy.Environment())
    assert steps(bucketed) == expected
    assert [i for _, i in expected] == [1, 5, 2, 3, 0, 6, 4]
