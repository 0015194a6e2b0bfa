"""Staff rebalancing (govsim/policies/rebalancing.py): staff move toward the most loaded unit."""

from __future__ import annotations

from dataclasses import dataclass

import govsim
from govsim.policies.rebalancing import StaffRebalancing, load


@dataclass
class Pool:
    """The parts of a server pool the policy reads and moves."""

    index: int
    capacity: int
    queued: int
    busy: int = 0

    def set_capacity(self, capacity: int) -> None:
        self.capacity = capacity


def policy(**changes: object) -> StaffRebalancing:
    return StaffRebalancing.model_validate({"type": "staff_rebalancing", **changes})


def test_staff_move_from_the_least_to_the_most_loaded_unit_one_at_a_time() -> None:
    pools = [Pool(0, 4, 0), Pool(1, 2, 20), Pool(2, 4, 4)]
    moved = policy(moves=3)._review(pools)  # type: ignore[arg-type]
    assert moved == 3
    # Loads before: 0, 10, 1. Each move takes one person from the lowest load to the highest.
    assert [p.capacity for p in pools] == [1, 5, 4]
    assert sum(p.capacity for p in pools) == 10


def test_no_move_below_the_minimum_or_when_loads_are_close() -> None:
    pools = [Pool(0, 1, 0), Pool(1, 1, 9)]
    assert policy(moves=5, min_staff=1)._review(pools) == 0  # type: ignore[arg-type]
    close = [Pool(0, 3, 3), Pool(1, 3, 5)]  # loads 1.0 and 1.67: less than a case a person apart
    assert policy(moves=5)._review(close) == 0  # type: ignore[arg-type]
    assert load(Pool(0, 0, 3)) == 3.0


def test_a_rebalancing_run_moves_street_staff_and_keeps_their_number() -> None:
    scenario = govsim.load_scenario(
        "scenarios/baseline.yaml",
        ["days=21", "policies=[{type: staff_rebalancing, start_day: 7, every_days: 7, moves: 3}]"],
    )
    result = govsim.simulate(scenario, seed=3)
    events = [e["event"] for e in result.summary["policy_events"]]
    assert any(e.startswith("staff rebalancing:") for e in events)
    staff = result.timeseries.query("tier == 'street'").groupby("time")["staff"].sum()
    assert staff.nunique() == 1  # people moved, none added or lost
