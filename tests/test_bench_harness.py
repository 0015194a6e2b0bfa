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
start, cpu_start = time.monotonic(), time.process_time()
while time.process_time() < {cpu}:  # CPU work: it stands still while the process is stopped
    pass
end = time.monotonic()
print(json.dumps({{"monotonic_start": start, "monotonic_end": end,
                  "cpu": time.process_time() - cpu_start}}))
"""


def test_a_stopped_child_is_timed_without_its_stops(tmp_path: Path) -> None:
    """The child needs 0.6 s of CPU (less what its start-up took); it is stopped every 0.1 s
    for a 0.4 s sample. The harness subtracts the stops inside the child's timed part, and
    only those: its wall time minus them is the CPU time it used there (plus what the
    machine's scheduling takes, bounded generously), not the 3 s or so it took with them.

    Stops can fall outside the timed part at either end (a slow interpreter start under load,
    the child's exit), so each sample records when it ran, and the test counts what of that
    lies inside."""
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(cpu=0.6))
    spells: list[tuple[float, float]] = []

    def sample() -> dict:
        began = time.monotonic()
        time.sleep(0.4)
        spells.append((began, time.monotonic()))
        return {"sampled": True}

    # The harness calls ``script --child ARGS``: the script ignores its arguments.
    figures, samples, paused = harness.child_with_samples(str(script), [], sample, 0.1)
    start, end = figures["monotonic_start"], figures["monotonic_end"]
    wall, cpu = end - start, figures["cpu"]
    inside = harness.overlap(spells, start, end)
    assert len(samples) >= 4
    assert inside >= 0.4 * 3  # the child was stopped again and again inside its timed part
    # Each stop (SIGSTOP before the sample, SIGCONT after it) holds its sample: it is longer
    # only by two signals and two clock reads, so a stop counted wrongly (0.4 s) shows.
    assert inside <= paused <= inside + 0.2
    # Below: the stops counted may exceed the child's true stops by those same signal delays.
    assert cpu - 0.05 <= wall - paused <= cpu + 0.8
    assert all(s == {"sampled": True} for s in samples)
