"""Is a change faster? Two or more checkouts of govsim on the M/M/10 of bench_mmc.py, paired.

The development machine's speed drifts by +-20% over minutes, so a wall-clock figure of
one version, taken at another time than the other's, cannot show a 3% change. This
script runs the versions in alternation, each in a fresh process, ``--pairs`` times, and
reports each version's median speed and the median of its paired ratios to the first
version (run i of version B over run i of version A, taken seconds apart): a ratio of
1.05 means 5% more cases per second. Nine pairs settle a change of about 3%; run it
twice for anything smaller. ``count_instructions.py`` gives a drift-free figure, but
instructions do not see cache misses, which is where several of the gains of
docs/performance.md came from.

Each checkout is a directory holding the ``govsim`` package (a ``git worktree`` of the
commit to compare with, for example); it is put first on ``PYTHONPATH``. The run is
``bench_mmc.py``'s: ``scenarios/validation/mmc.yaml`` of this repository for 926 days,
hourly time series, the cases table on, seed 20240101, timed around
``govsim.simulate()``. "loop" is the model's own ``summary.performance.wall_seconds``
(set-up and event loop, no output tables).

Usage::

    git worktree add /tmp/before HEAD~1
    python benchmarks/ab_compare.py /tmp/before .   # --pairs 9
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import bench_mmc

CHILD = """
import json, sys, time
import govsim
scenario = govsim.load_scenario(sys.argv[1], sys.argv[2:])
simulate = govsim.simulate  # loaded before the clock starts (the package imports lazily)
started = time.perf_counter()
result = simulate(scenario, seed={seed})
wall = time.perf_counter() - started
cases = result.summary["created"]
loop = result.summary["performance"]["wall_seconds"]
print(json.dumps({{"total": cases / wall, "loop": cases / loop, "module": govsim.__file__}}))
"""


def run(checkout: Path) -> dict:
    overrides = [f"days={bench_mmc.DAYS}", "output.timeseries_interval_hours=1.0"]
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD.format(seed=bench_mmc.SEED),
            str(bench_mmc.SCENARIO),
            *overrides,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout)},
    )
    if proc.returncode != 0:
        sys.exit(f"{checkout}: the run failed:\n{proc.stderr.strip()}")
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    if not Path(figures["module"]).resolve().is_relative_to(checkout.resolve()):
        sys.exit(f"{checkout}: imported govsim from {figures['module']}, not from this checkout")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "checkouts", nargs="+", type=Path, help="directories holding a govsim package"
    )
    parser.add_argument(
        "--pairs", type=int, default=9, help="runs per version, alternating (default 9)"
    )
    args = parser.parse_args()
    for checkout in args.checkouts:
        if not (checkout / "govsim" / "__init__.py").is_file():
            sys.exit(f"{checkout}: no govsim package there")
    runs: dict[Path, list[dict]] = {c: [] for c in args.checkouts}
    for i in range(args.pairs):
        for checkout, done in runs.items():
            done.append(run(checkout))
        print(
            f"  pair {i + 1}/{args.pairs}: "
            + "  ".join(f"{r[-1]['total']:8.0f}" for r in runs.values()),
            "cases/s",
            flush=True,
        )
    first = runs[args.checkouts[0]]
    print(f"\nM/M/10, {bench_mmc.DAYS} days; medians of {args.pairs} alternating fresh processes")
    for checkout, done in runs.items():
        paired = {
            k: statistics.median(r[k] / f[k] for r, f in zip(done, first, strict=True))
            for k in ("total", "loop")
        }
        print(
            f"{statistics.median(r['total'] for r in done):9.0f} cases/s  paired ratio to the "
            f"first: "
            f"total {paired['total']:.3f}, loop {paired['loop']:.3f}  {checkout}"
        )


if __name__ == "__main__":
    main()
