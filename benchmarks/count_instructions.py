"""Machine instructions per case, govsim's M/M/10 against the lean SimPy model: a figure that does
not drift.

Wall-clock figures on the development machine drift by +-20% over minutes, which hides
any change smaller than that. Valgrind (cachegrind, without its cache simulation) counts
the instructions a process executes (hash randomisation is fixed with
``PYTHONHASHSEED=0``). Each model runs twice in a fresh interpreter, a short and a long
run of the same scenario as ``bench_mmc.py``; the difference in instructions over the
difference in cases is the cost of one more case, free of start-up (imports, building
the model). Start-up is not repeatable to the instruction (the same short run varied by
up to 50 million), so the long run must add many cases: with 2 and 50 days (10,800 cases
apart) the same code gave 64,000 to 70,500 per case, with 20 and 300 days (61,000 cases
apart) 65,400 to 67,400 in four counts. The script reports the median of ``--repeats``
counts (3 by default). Fewer instructions is not the same as less wall time
(cache misses and branch mispredictions are not counted), so use it to compare versions
of govsim; ``bench_mmc.py`` gives the wall-clock ratio that the issues ask for.

Needs ``valgrind`` on the path (Debian package ``valgrind``); about 4 minutes.
Usage: ``python benchmarks/count_instructions.py [--model govsim|simpy|both]``;
``PYTHONPATH=/path/to/other/checkout`` counts another version of govsim.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

HERE = Path(__file__).resolve()
SHORT, LONG = 20, 300  # days of the M/M/10 scenario (about 4,300 and 65,000 cases)
CHILD = {
    "govsim": (
        "import sys, govsim; days = int(sys.argv[1]); "
        "s = govsim.load_scenario({scenario!r}, [f'days={{days}}', "
        "'output.timeseries_interval_hours=1.0']); "
        "print('cases', govsim.simulate(s, seed=20240101).summary['created'])"
    ),
    "simpy": (
        "import sys; sys.path.insert(0, {benchmarks!r}); import bench_mmc; "
        "n = round(int(sys.argv[1]) * 24 * bench_mmc.LAMBDA); "
        "print('cases', len(bench_mmc.simpy_mmc(n, bench_mmc.LAMBDA, bench_mmc.MU, "
        "bench_mmc.SERVERS, 20240101)))"
    ),
}


def count(model: str, days: int) -> tuple[int, int]:
    """(cases, instructions) of one run of ``model`` over ``days`` days under valgrind."""
    code = CHILD[model].format(
        scenario=str(HERE.parents[1] / "scenarios" / "validation" / "mmc.yaml"),
        benchmarks=str(HERE.parent),
    )
    proc = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            "-c",
            code,
            str(days),
        ],
        capture_output=True,
        text=True,
        check=True,
        # One BLAS thread: valgrind counts the busy-waiting of OpenBLAS's idle workers, which
        # varied a 1-day Beijing count by 200 million instructions (8,400 with one thread).
        env={**os.environ, "PYTHONHASHSEED": "0", **ONE_THREAD},
        cwd=HERE.parent,  # not the repository root, so PYTHONPATH decides which govsim is imported
    )
    cases = int(re.search(r"^cases (\d+)", proc.stdout, re.MULTILINE).group(1))
    instructions = int(re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr).group(1).replace(",", ""))
    return cases, instructions


def per_case(model: str) -> float:
    (short_cases, short_ins), (long_cases, long_ins) = count(model, SHORT), count(model, LONG)
    return (long_ins - short_ins) / (long_cases - short_cases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["govsim", "simpy", "both"], default="both")
    parser.add_argument("--repeats", type=int, default=3, help="counts per model (median reported)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit(
            "count_instructions.py needs valgrind on the path (Debian: apt-get install valgrind)"
        )
    models = ["govsim", "simpy"] if args.model == "both" else [args.model]
    figures = {}
    for model in models:
        counts = [per_case(model) for _ in range(args.repeats)]
        figures[model] = statistics.median(counts)
        print(
            f"{model:<7} {figures[model]:9,.0f} instructions per case (median of "
            f"{', '.join(f'{c:,.0f}' for c in counts)})",
            flush=True,
        )
    if len(figures) == 2:
        print(
            f"ratio SimPy / govsim (the bench_mmc ratio, counted in instructions): "
            f"{figures['simpy'] / figures['govsim']:.2f}"
        )


if __name__ == "__main__":
    main()
