"""govsim reads two of SimPy's private fields on its hot path; this fails loudly if they change.

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
    assert found == {"now", "value"}, f"private SimPy fields read: {sorted(found)}"


def test_a_run_uses_them_correctly() -> None:
    """End to end: a short run's timestamps are the clock's (the private reads agree)."""
    scenario = govsim.load_scenario(REPO_ROOT / "scenarios/validation/mmc.yaml", ["days=2"])
    cases = govsim.simulate(scenario, seed=3).cases
    assert cases is not None and len(cases) > 100
    closed = cases[cases["status"] == "closed"]
    assert (closed["closed"] >= closed["created"]).all()
    assert cases["created"].max() < 48.0
