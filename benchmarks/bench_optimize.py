"""Trials per hour of ``govsim optimize`` on the shipped study, with 1 and 2 local workers.

Runs experiments/optimize_staffing.yaml (45-day baseline city, racing 3-7 replications, the
front re-run on 10 fresh seeds) for ``--trials`` trials (default 16: short) into temporary
folders with --workers 1 and --workers 2, checks the two gave identical trials and fronts
(batches are drawn before any candidate is told, so the workers cannot change them), and
prints wall time, trials per hour (all trials and feasible ones: infeasible candidates are
never simulated), simulation runs per second and the speed-up.
Usage: python benchmarks/bench_optimize.py [--trials N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from govsim.experiments.executors.local import LocalExecutor
from govsim.search import run_study

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "experiments" / "optimize_staffing.yaml"


def timed(workers: int, out: Path, trials: int) -> tuple[float, int, pd.DataFrame]:
    started = time.perf_counter()
    result = run_study(
        STUDY, executor=LocalExecutor(workers), out=out, trials=trials, progress=False
    )
    return time.perf_counter() - started, result.ran, result.trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=16, help="trials per study (default 16)")
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            rows[workers] = timed(workers, Path(tmp) / f"w{workers}", args.trials)
        for table in ("trials", "front", "runs"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(Path(tmp) / "w1" / f"{table}.parquet"),
                pd.read_parquet(Path(tmp) / "w2" / f"{table}.parquet"),
            )
    for workers, (wall, ran, trials) in rows.items():
        feasible = int((trials["state"] == "complete").sum())
        print(
            f"{workers} worker(s): {len(trials)} trials ({feasible} feasible), "
            f"{ran} runs in {wall:.1f} s: {3600 * len(trials) / wall:,.0f} trials/h "
            f"({3600 * feasible / wall:,.0f} feasible/h), {ran / wall:.1f} runs/s"
        )
    print(
        f"speed-up of 2 workers: {rows[1][0] / rows[2][0]:.2f}x; trials, front and runs identical"
    )


if __name__ == "__main__":
    main()
