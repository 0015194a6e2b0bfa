"""Where does the time per case go? A deterministic profile of one run, grouped by component.

Runs ``govsim.simulate()`` under cProfile and adds each function's own time (not counting
what it calls) into the component its source file belongs to: the SimPy event loop,
arrivals, the hotline, server pools, and so on. Prints microseconds per case and the
share of each. cProfile adds a fixed cost to every Python call, so small functions look
dearer than they are: compare shares between versions, not the absolute figures with
``bench_mmc.py``.

The script only uses ``govsim.load_scenario`` and ``govsim.simulate``, so it profiles any
version of govsim on the path: ``PYTHONPATH=/path/to/old/checkout python
benchmarks/profile_run.py`` gives the "before" of docs/performance.md.

Usage: ``python benchmarks/profile_run.py {mmc,beijing} [--days D] [--file SCENARIO]``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "mmc": (
        ROOT / "scenarios" / "validation" / "mmc.yaml",
        926,
        ["output.timeseries_interval_hours=1.0"],
    ),
    "beijing": (ROOT / "scenarios" / "beijing.yaml", 2, []),
}
COMPONENTS = (  # (substring of the source path, component), first match wins
    ("simpy/", "SimPy event loop (step, schedule, event objects)"),
    ("govsim/engine/agents/residents", "arrivals (residents)"),
    ("govsim/engine/agents/hotline", "hotline (calls, triage, dispatch)"),
    ("govsim/engine/agents/handlers", "handling units and whistles"),
    ("govsim/engine/agents/whistle", "handling units and whistles"),
    ("govsim/engine/agents/verification", "verification call (outcome draws, satisfaction)"),
    ("govsim/core/servers", "server pools (queues, services)"),
    ("govsim/servers", "server pools (queues, services)"),
    ("govsim/core/case", "case objects"),
    ("govsim/case", "case objects"),
    ("govsim/engine/run", "model (create, close, transit)"),
    ("govsim/model", "model (create, close, transit)"),
    ("govsim/engine/ledger", "ledger, recorder and statistics"),
    ("govsim/engine/recording", "ledger, recorder and statistics"),
    ("govsim/engine/statistics", "ledger, recorder and statistics"),
    ("govsim/ledger", "ledger, recorder and statistics"),
    ("govsim/recorder", "ledger, recorder and statistics"),
    ("govsim/tallies", "ledger, recorder and statistics"),
    ("govsim/statistics", "ledger, recorder and statistics"),
    ("govsim/results", "output tables (pandas)"),
    ("govsim/metrics", "output tables (pandas)"),
    ("govsim/engine/monitor", "monitor (time series)"),
    ("govsim/monitor", "monitor (time series)"),
    ("govsim/policies", "policies"),
    ("govsim/core/randomness", "random draws"),
    ("govsim/randomness", "random draws"),
    ("pandas/", "output tables (pandas)"),
    ("pyarrow/", "output tables (pandas)"),
    ("numpy/", "numpy calls"),
    ("~", "built-ins (heap operations, list appends, ...)"),
)


def component(path: str) -> str:
    for key, name in COMPONENTS:
        if key in path:
            return name
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument(
        "--days", type=float, help="simulated days (default: 926 for mmc, 2 for beijing)"
    )
    parser.add_argument("--file", help="another scenario file to profile with the same settings")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()

    import govsim

    path, days, extra = SCENARIOS[args.scenario]
    path = Path(args.file) if args.file else path
    scenario = govsim.load_scenario(path, [f"days={args.days or days}", *extra])
    profiler = cProfile.Profile()
    profiler.enable()
    result = govsim.simulate(scenario)
    profiler.disable()
    cases = result.summary["created"]

    own: Counter[str] = Counter()
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in pstats.Stats(
        profiler
    ).stats.items():
        own[component(filename)] += tottime
    total = sum(own.values())
    print(
        f"{args.scenario}: {cases:,} cases, {total:.2f} s under cProfile "
        f"({total / cases * 1e6:.1f} us per case)"
    )
    for name, seconds in own.most_common():
        print(f"  {name:<50} {seconds / cases * 1e6:7.2f} us/case  {seconds / total:6.1%}")
    if args.json:
        Path(args.json).write_text(json.dumps({"cases": cases, "seconds": dict(own)}, indent=2))


if __name__ == "__main__":
    main()
