"""The benchmarks' harness: a long run stopped for reference runs is timed without the stops."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parent.parent
harness = load_script(ROOT / "benchmarks" / "_harness.py", "_bench_harness")


def test_overlap_counts_only_the_spells_inside() -> None:
    spells = [(0.0, 1.0), (2.0, 3.0), (4.5, 6.0), (9.0, 10.0)]
    assert harness.overlap(spells, 0.5, 5.0) == pytest.approx(0.5 + 1.0 + 0.5)
    assert harness.overlap(spells, 6.0, 9.0) == 0.0
    assert harness.overlap([], 0.0, 1.0) == 0.0


CHILD = """
import json, sys, time
start = time.monotonic()
while time.process_time() < {cpu}:  # CPU work: it stands still while the process is stopped
    pass
print(json.dumps({{"monotonic_start": start, "monotonic_end": time.monotonic()}}))
"""


def test_a_stopped_child_is_timed_without_its_stops(tmp_path: Path) -> None:
    """The child needs 0.6 s of CPU; it is stopped every 0.1 s for a 0.4 s sample. Its wall
    time minus the stops it is told of is its CPU time (plus what the machine's scheduling
    takes, bounded generously), not the 3 s or so it took with them."""
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(cpu=0.6))

    def sample() -> dict:
        time.sleep(0.4)
        return {"sampled": True}

    # The harness calls ``script --child ARGS``: the script ignores its arguments.
    figures, samples, paused = harness.child_with_samples(str(script), [], sample, 0.1)
    wall = figures["monotonic_end"] - figures["monotonic_start"]
    assert len(samples) >= 4
    assert paused >= 0.4 * (len(samples) - 1)  # every stop but perhaps the last was inside
    assert 0.55 <= wall - paused <= 0.6 + 0.8
    assert all(s == {"sampled": True} for s in samples)
