"""govsim reads two of SimPy's private fields on its hot path; this fails loudly if they change.

(:class:`govsim.core.event_queue.BucketedEnvironment` also keeps SimPy's queue entries and
its step: the tests at the end pin the fields it relies on, ``Environment._queue``,
``Environment._eid`` and ``Event._ok``.)

``Environment._now`` is read instead of the ``now`` property (a property call per read, on
every arrival, service start and close), and ``Event._value`` instead of ``value`` inside
callbacks of events govsim scheduled itself (the property raises until the event is
triggered, and costs a call). Both are SimPy 4 internals, so pyproject.toml pins SimPy's
major version; a new major version must pass these tests before the pin moves.
"""

from __future__ import annotations

import re
import tomllib

import simpy
from conftest import REPO_ROOT
from simpy.events import Timeout

import govsim

READS = ("env._now", "._value")


def test_simpy_major_version_is_the_one_pinned() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [d for d in pyproject["project"]["dependencies"] if d.lower().startswith("simpy")]
    assert pins == ["simpy>=4.1,<5"], f"SimPy must stay pinned to major version 4, got {pins}"
    major = int(simpy.__version__.split(".")[0])
    assert major == 4, (
        f"SimPy {simpy.__version__} is installed; govsim reads SimPy 4's private "
        "Environment._now and Event._value (see this file) and is only verified on SimPy 4"
    )


def test_environment_now_field_is_the_clock() -> None:
    env = simpy.Environment()
    assert env._now == env.now == 0
    seen = []
    Timeout(env, 2.5).callbacks.append(lambda _e: seen.append((env._now, env.now)))
    env.run(until=10)
    assert seen == [(2.5, 2.5)]
    assert env._now == env.now == 10


def test_timeout_value_field_holds_what_was_scheduled() -> None:
    env = simpy.Environment()
    payload = ("step", object())
    seen = []
    Timeout(env, 1.0, payload).callbacks.append(lambda event: seen.append(event._value))
    env.run()
    assert seen == [payload] and seen[0] is payload


def test_every_private_read_is_one_of_the_two_checked_here() -> None:
    """A new private SimPy read elsewhere must be added to this file's checks."""
    pattern = re.compile(r"\b(?:env|self\.env|event)\._(\w+)")
    found = set()
    for path in (REPO_ROOT / "govsim").rglob("*.py"):
        found.update(pattern.findall(path.read_text(encoding="utf-8")))
    assert found == {"now", "value", "ok"}, f"private SimPy fields read: {sorted(found)}"


def test_a_run_uses_them_correctly() -> None:
    """End to end: a short run's timestamps are the clock's (the private reads agree)."""
    scenario = govsim.load_scenario(REPO_ROOT / "scenarios/validation/mmc.yaml", ["days=2"])
    cases = govsim.simulate(scenario, seed=3).cases
    assert cases is not None and len(cases) > 100
    closed = cases[cases["status"] == "closed"]
    assert (closed["closed"] >= closed["created"]).all()
    assert cases["created"].max() < 48.0


def test_queue_entries_and_event_counter_are_what_the_bucketed_queue_copies() -> None:
    """SimPy's schedule pushes (now + delay, priority, next(_eid), event) onto ``_queue``, and
    its step pops the least and calls back; BucketedEnvironment draws the same keys."""
    env = simpy.Environment()
    first = Timeout(env, 1.5)
    second = Timeout(env, 0.5)
    entries = sorted(env._queue)
    assert [e[3] for e in entries] == [second, first]
    assert [(e[0], e[1]) for e in entries] == [(0.5, 1), (1.5, 1)]
    assert entries[0][2] == entries[1][2] + 1  # the counter: the later event, the higher
    assert next(env._eid) == entries[0][2] + 1
    assert first._ok is True


def test_a_failed_event_crashes_the_run_in_simpy_as_in_the_copy() -> None:
    from govsim.core.event_queue import BucketedEnvironment

    for env in (simpy.Environment(), BucketedEnvironment()):
        env.event().fail(KeyError("k"))
        try:
            env.run()
        except KeyError as error:
            assert isinstance(error.__cause__, KeyError)
        else:
            raise AssertionError(f"{type(env).__name__}: a failed event did not crash the run")
