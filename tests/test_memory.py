"""A run makes no reference cycles, so pausing the cyclic garbage collector frees nothing late.

``Run.run`` switches the collector off while the simulation runs (it found nothing to
free but cost up to a fifth of the run). That is only safe while everything a case
touches is freed by reference counting: a cycle made per case would pile up until the
run ends, and a city-wide year would run out of memory. These runs cover every agent
and every shipped policy.
"""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest
from conftest import SCENARIOS_DIR

import govsim
from govsim.engine.run import Run
from govsim.simulate import new_run

RUNS = [
    ("validation/mmc.yaml", 20),
    ("baseline.yaml", 20),
    ("policies/all.yaml", 45),  # every policy at once, ranking included (a month passes)
    ("policies/surges.yaml", 20),
    ("haidian.yaml", 1),
]


# Run in a fresh interpreter: pytest-xdist's worker talks to its controller from a thread of
# its own, which makes reference cycles of its own while the run is going, and the collector
# cannot tell whose they are.
_COUNT_GARBAGE = """
import gc, sys
import govsim
from govsim.simulate import new_run
model = new_run(govsim.load_scenario(sys.argv[1], [f"days={sys.argv[2]}"]), seed=11)
gc.collect()
gc.disable()
model.run()
assert model.ledger.created > 100, model.ledger.created
print(gc.collect())  # the model is alive: only garbage made during the run is found
"""


@pytest.mark.parametrize(("path", "days"), RUNS, ids=[p for p, _ in RUNS])
def test_a_run_leaves_no_cyclic_garbage(path: str, days: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _COUNT_GARBAGE, str(SCENARIOS_DIR / path), str(days)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = int(done.stdout.split()[-1])
    assert found == 0, f"{found} objects in reference cycles were left by the run"


def test_the_collector_is_paused_during_a_run_and_restored() -> None:
    seen: list[bool] = []
    model = new_run(govsim.load_scenario(SCENARIOS_DIR / "validation/mmc.yaml", ["days=1"]), seed=1)
    model.env.process(_record_gc_state(model, seen))
    assert gc.isenabled()
    model.run()
    assert seen == [False] and gc.isenabled()


def _record_gc_state(model: Run, seen: list[bool]):
    seen.append(gc.isenabled())
    yield model.env.timeout(1.0)
