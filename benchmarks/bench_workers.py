"""Speed-up of 2 local workers over 1 on the shipped policy comparison.

Runs experiments/policy_comparison.yaml (50 runs) once with --workers 1 and once with
--workers 2 into temporary folders, checks the tables are identical, and prints wall
times and the speed-up (target: at least 1.7x on a 2-core machine).
Usage: python benchmarks/bench_workers.py [--replications N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from govsim.experiments import run_experiment
from govsim.experiments.executors.local import LocalExecutor

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENT = ROOT / "experiments" / "policy_comparison.yaml"


def timed(workers: int, out: Path) -> float:
    started = time.perf_counter()
    run_experiment(EXPERIMENT, executor=LocalExecutor(workers), out=out, progress=False)
    return time.perf_counter() - started


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one = timed(1, Path(tmp) / "one")
        two = timed(2, Path(tmp) / "two")
        for table in ("results", "summary", "paired"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(Path(tmp) / "one" / f"{table}.parquet"),
                pd.read_parquet(Path(tmp) / "two" / f"{table}.parquet"),
            )
    print(
        f"policy comparison, 50 runs: 1 worker {one:.1f} s, 2 workers {two:.1f} s, "
        f"speed-up {one / two:.2f}x (target >= 1.7x); tables identical"
    )


if __name__ == "__main__":
    main()
