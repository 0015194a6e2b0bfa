"""Hash the outputs of the reference runs, to show that a change leaves behaviour unchanged.

Five runs cover the engine and every policy: the M/M/10 validation queue (200 days), the
baseline city (30 days), every policy at once (40 days), the surges (20 days) and Haidian
(3 days), all with seed 7. For each run the case table (values and dtypes), the time
series, the KPI table, the rankings and the summary (without its ``performance`` block,
which measures the machine) are hashed; the script prints one line per run and a total.

Run it in two checkouts and compare the lines (``python benchmarks/reference_hashes.py``
from each repository root; the ``govsim`` package of the current directory is used).
With ``--columns a,b,...`` only those case columns are hashed: a change that adds
columns to the case table can still show that the old ones are unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path.cwd()))

REFERENCE_RUNS = (
    ("scenarios/validation/mmc.yaml", 200),
    ("scenarios/baseline.yaml", 30),
    ("scenarios/policies/all.yaml", 40),
    ("scenarios/policies/surges.yaml", 20),
    ("scenarios/haidian.yaml", 3),
)
SEED = 7


def frame_digest(frame: pd.DataFrame) -> str:
    """A digest of a table's values, column names and dtypes (row order included)."""
    h = hashlib.sha256()
    h.update(repr([(c, str(t)) for c, t in frame.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def run_digests(path: str, days: float, columns: list[str] | None) -> dict[str, str]:
    import govsim

    scenario = govsim.load_scenario(path, [f"days={days}"])
    result = govsim.simulate(scenario, seed=SEED)
    summary = {k: v for k, v in result.summary.items() if k != "performance"}
    summary.pop("seed", None)  # which seed a summary records is itself under test elsewhere
    cases = result.cases if columns is None else result.cases[columns]
    return {
        "cases": frame_digest(cases),
        "timeseries": frame_digest(result.timeseries),
        "kpis": frame_digest(result.kpis),
        "rankings": frame_digest(result.rankings),
        "summary": hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()[:16],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", help="comma-separated case columns to hash (default: all)")
    args = parser.parse_args()
    columns = args.columns.split(",") if args.columns else None
    total = hashlib.sha256()
    for path, days in REFERENCE_RUNS:
        digests = run_digests(path, days, columns)
        line = " ".join(f"{k}={v}" for k, v in digests.items())
        total.update(line.encode())
        print(f"{path} ({days} d): {line}", flush=True)
    print(f"total {total.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
