"""Does a million-row case log validate and fit in under 2 minutes, and fit with its
calibration by simulation in under 10? (issues 19 and 26)

The log is a simulated one: ``scenarios/haidian.yaml`` (3.4 million residents, 29
streets, 643 grids, Beijing's categories, shapes and hotline) for ``--days`` days
(default 100: about 1.02 million appeals), run with its case table in memory and written as
a case log (as ``govsim export-log`` writes it); it is made once and kept at ``--log``
(making it is not timed: about a minute). Then, in fresh processes, ``--repeats`` times each:

- **validate**: ``govsim log validate LOG --scenario haidian.yaml`` as the CLI does it
  (read and check every row, map every place onto the city);
- **fit**: ``govsim fit LOG --base haidian.yaml --out ... --calibrate 0`` end to end (read,
  validate, every fit, the fitted scenario, the report and its figures written);
- **calibrated** (unless ``--calibrate 0``): the same with ``--calibrate N`` (default 24
  candidates, 2 common seeds, a local pool of all cores), as ``govsim fit`` runs by default.

Reported: rows, wall seconds of each (median and all), peak RSS (of the parent: the pool's
workers are apart). Required: validate + fit (medians) <= 120 s, calibrated <= 600 s.
``--csv`` measures the same log written as CSV as well.

Usage: ``python benchmarks/bench_fit.py [--days 100] [--repeats 3] [--calibrate 24] [--log PATH]
[--csv]``.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import _harness as h

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
SCENARIO = ROOT / "scenarios" / "haidian.yaml"
LIMIT_SECONDS = 120.0
CALIBRATED_LIMIT_SECONDS = 600.0


def default_log(days: float) -> Path:
    """The cached log of ``days`` days of the scenario as it is now."""
    digest = hashlib.sha256(SCENARIO.read_bytes() + repr(days).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"govsim-bench-fit-log-{digest}.parquet"


def make_log(path: Path, days: float) -> int:
    """Simulate Haidian for ``days`` and write its cases as a log to ``path``; return the rows."""
    from govsim.fitting.export import cases_to_log, write_log
    from govsim.scenario import load_scenario
    from govsim.simulate import simulate

    scenario = load_scenario(SCENARIO, [f"days={days}"])
    started = time.perf_counter()
    result = simulate(scenario)
    assert result.cases is not None
    print(
        f"simulated {days:g} days of Haidian in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    log = cases_to_log(result.cases, scenario)
    write_log(log, path)
    return len(log)


def child(task: str, log: str, out_dir: str, calibrate: str = "0") -> None:
    def run() -> dict[str, object]:
        if task == "validate":
            from govsim.data.caselog import read_log
            from govsim.data.places import place_codes
            from govsim.scenario import load_scenario

            log_data = read_log(log)
            place_codes(log_data, load_scenario(SCENARIO))
            return {"rows": len(log_data.frame)}
        from govsim.fitting import fit_log

        out = Path(out_dir) / f"haidian-fitted-{task}.yaml"
        trials = int(calibrate) if task == "calibrated" else 0
        written = fit_log(log, SCENARIO, out, calibrate=trials, force=True)
        return {"files": len(written)}

    h.emit(h.measure(run, trace=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=100.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--log",
        default=None,
        help="the log to fit (made if missing; default: one in the temporary folder named by "
        "the scenario's text and the days, so that a changed scenario never reuses an old log)",
    )
    parser.add_argument("--csv", action="store_true", help="also measure the log as CSV")
    parser.add_argument(
        "--calibrate", type=int, default=24, help="candidates of the calibrated fit (0: skip it)"
    )
    parser.add_argument(
        "--child", nargs=4, metavar=("TASK", "LOG", "OUT", "N"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    log = Path(args.log) if args.log else default_log(args.days)
    if not log.exists():
        rows = make_log(log, args.days)
        print(f"made {log}: {rows:,} rows", file=sys.stderr)
    logs = [log]
    if args.csv:
        csv = log.with_suffix(".csv")
        if not csv.exists():
            import pandas as pd

            from govsim.fitting.export import write_log

            write_log(pd.read_parquet(log), csv)
        logs.append(csv)
    ok = True
    for path in logs:
        results: dict[str, list[dict]] = {"validate": [], "fit": []}
        if args.calibrate:
            results["calibrated"] = []
        with tempfile.TemporaryDirectory() as out:
            for _ in range(args.repeats):
                for task in results:
                    results[task].append(
                        h.child(str(HERE), task, str(path), out, str(args.calibrate))
                    )
        rows = results["validate"][0]["rows"]
        validate = statistics.median(r["wall_seconds"] for r in results["validate"])
        fit = statistics.median(r["wall_seconds"] for r in results["fit"])
        print(f"{path.name}: {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB)")
        for task, runs in results.items():
            walls = ", ".join(f"{r['wall_seconds']:.1f}" for r in runs)
            peak = max(r["rss_peak_mb"] for r in runs)
            print(
                f"  {task:8s} median {statistics.median(r['wall_seconds'] for r in runs):6.1f} s "
                f"(runs: {walls}); peak RSS {peak:,.0f} MB"
            )
        total = validate + fit
        passed = rows >= 1_000_000 and total <= LIMIT_SECONDS
        ok &= passed
        print(
            f"  validate + fit {total:.1f} s (required <= {LIMIT_SECONDS:.0f} s for >= 1,000,000 "
            f"rows): {'PASS' if passed else 'FAIL'}"
        )
        if args.calibrate:
            calibrated = statistics.median(r["wall_seconds"] for r in results["calibrated"])
            passed = rows >= 1_000_000 and calibrated <= CALIBRATED_LIMIT_SECONDS
            ok &= passed
            print(
                f"  fit with --calibrate {args.calibrate}: {calibrated:.1f} s (required <= "
                f"{CALIBRATED_LIMIT_SECONDS:.0f} s): {'PASS' if passed else 'FAIL'}"
            )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
