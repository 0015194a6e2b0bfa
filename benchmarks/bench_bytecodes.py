"""Python bytecodes executed per case, per function: where a mechanism's interpreted work goes.

Wall time mixes the work the interpreter does with what the caches make it cost; machine
instructions (``count_instructions.py``) do not drift but say nothing about which Python
function they were spent in. This script counts the bytecodes each Python function executes
(``sys.settrace`` with opcode events, in the run phase only), divides by the cases the run
created, and prints the totals and the functions that differ most between configurations.
The counts are exact and repeatable (the same seed runs the same code); the tracer slows
the run about fiftyfold, so the default run is short.

The configurations are those of ``bench_mechanisms.py`` (the baseline city with every
mechanism off, problems as the reduction, problems as the baseline's). Usage:
``python benchmarks/bench_bytecodes.py [--days 30] [--top 25]`` (about two minutes).
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path
from types import FrameType
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))

import bench_mechanisms  # noqa: E402 - the configurations, from the benchmark beside this one

import govsim  # noqa: E402
from govsim.simulate import new_run, with_seed  # noqa: E402

CONFIGS = {
    "off": bench_mechanisms.OFF,
    "reduction": bench_mechanisms.CONFIGS["problems (reduction: one appeal, sure fix)"],
    "problems": bench_mechanisms.CONFIGS["problems (the baseline's)"],
}
Key = tuple[str, int, str]
"""(file name, first line, function name) of a code object."""


def count(overrides: list[str], days: int) -> tuple[int, collections.Counter[Key]]:
    """(cases, bytecodes per function) of the run phase of the baseline city."""
    scenario = govsim.load_scenario(
        bench_mechanisms.SCENARIO, [f"days={days}", "output.cases_table=false", *overrides]
    )
    model = new_run(with_seed(scenario, 20240101))
    counts: collections.Counter[Key] = collections.Counter()

    def trace(frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "call":
            frame.f_trace_opcodes = True
        elif event == "opcode":
            code = frame.f_code
            counts[(Path(code.co_filename).name, code.co_firstlineno, code.co_name)] += 1
        return trace

    sys.settrace(trace)
    try:
        model.run()
    finally:
        sys.settrace(None)
    return model.ledger.created, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="days of the run (default 30)")
    parser.add_argument("--top", type=int, default=25, help="functions to list (default 25)")
    args = parser.parse_args()
    per_case: dict[str, dict[Key, float]] = {}
    for name, overrides in CONFIGS.items():
        cases, counts = count(overrides, args.days)
        per_case[name] = {key: n / cases for key, n in counts.items()}
        total = sum(per_case[name].values())
        print(f"{name:<10} {cases:7,} cases  {total:7,.0f} bytecodes per case")
    names = list(CONFIGS)
    first, last = per_case[names[0]], per_case[names[-1]]
    keys = set().union(*per_case.values())
    by_change = sorted(keys, key=lambda k: -abs(last.get(k, 0.0) - first.get(k, 0.0)))
    print(f"\nbytecodes per case, by the change from '{names[0]}' to '{names[-1]}':")
    print("".join(f"{n:>10}" for n in names) + "  function")
    for key in by_change[: args.top]:
        cells = "".join(f"{per_case[n].get(key, 0.0):10.1f}" for n in names)
        print(f"{cells}  {key[0]}:{key[1]} {key[2]}")


if __name__ == "__main__":
    main()
