"""What each mechanism costs per case: instructions (valgrind) and paired wall time.

The baseline city (``scenarios/baseline.yaml``) is run with each mechanism switched on in
turn, against the same city with every mechanism off. Two measures, side by side:

- **instructions per case** (cachegrind without cache simulation, ``PYTHONHASHSEED=0``): a
  short and a long run of each configuration, the difference in instructions over the
  difference in cases (start-up cancels). It does not drift with the machine's load, so it
  is the figure to trust on a busy machine; it does not count cache misses.
- **wall time per case**: runs of all configurations alternated in fresh processes, the
  median of each configuration's ratio to the mechanism-free run of the same round.

Usage: ``python benchmarks/bench_mechanisms.py [--rounds 5] [--no-valgrind] [--only NAME]``
(about 25 minutes with valgrind). The problems issue asks problems on to cost at most 1.3x
per case of problems off; the coordination issue, that this still holds with its mechanisms;
issue 28, that units answering to their assessment cost at most 1.15x per case of the same
ranking without them (``--only ranking``); issue 29, that sinking with its people costs at
most 1.15x per case of the old mode (``--only sinking``), and that party members serving where
they live cost at most 1.15x per case of the same city without them (``--only volunteers``).

``--city beijing`` measures the same ratio at the scale where it matters: a week of
``scenarios/beijing.yaml`` (about 450,000 cases) with problems off and on (the schema's
problem defaults; the calibrated scenario has none of its own), and with parts of the
problems' work taken out in turn, wall time only (about 7 minutes for 5 rounds). A problem
costs more there than in the small baseline city: the run is memory-bound, and an open
problem is one more object the cache has lost by the time its case closes
(docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from govsim.scenario.problems import default_scopes

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
SCENARIO = ROOT / "scenarios" / "baseline.yaml"
# The baseline's coordination: unclear jurisdiction (housing 2, urban construction 4, traffic
# 5, other 9) and joint departments (urban construction, traffic).
CLEAR = [f"categories.{i}.unclear_jurisdiction=0" for i in range(10)]
SINGLE = ["categories.4.joint_departments=[]", "categories.5.joint_departments=[]"]
OFF = ["problems.enabled=false", *CLEAR, *SINGLE]
WHISTLE = "whistle.enabled=true"
BRANCHES = "whistle.branches={staff_share: 0.3}"
POWERS = "policies=[{type: street_powers, veto: true}]"
# Parts of the problems' cost, each removed in turn from the full mechanism: the delay
# between arising and the first report (one more wake-up per problem), and the reports after
# the first (duplicates and repeats, with their pending entries).
AT_ONCE = "problems.first_report_delay={kind: deterministic, mean: 0}"
SILENT = (
    "problems.scopes={"
    + ", ".join(
        f"{kind}: {{residents: {scope.residents}, reporting_rate: 0}}"
        for kind, scope in default_scopes().items()
    )
    + "}"
)  # the schema's scope kinds and residents, with no report after the first
# Unequal places on the baseline's all-community city: old compounds raise four categories,
# so that the residents draw each category's grid by its own weights.
PLACES = [
    "places.enabled=true",
    "places.old_compounds={share: 0.3, rates: {housing: 1.6, public_services: 1.4, "
    "urban_construction: 1.3, traffic: 1.2}}",
]
PLAIN = "{scope: {household: 1}, fixability: 1, unfixable_share: 0}"
# Groups of residents with every factor set (the aged 60 and over, 19.6%, seed 004; the
# floating population, 1.45 of Haidian's 3.402 million, seed 001; factors assumed).
GROUPS = (
    "residents={enabled: true, groups: ["
    "{name: aged_60_plus, share: 0.196, rates: {health: 1.5, public_services: 1.3}, "
    "reporting: 0.8, first_report_delay: 1.5, callback_reach: 0.8, satisfaction_shift: 0.3}, "
    "{name: floating, share: 0.426, rates: {housing: 1.4}, reporting: 0.6, "
    "first_report_delay: 1.2, satisfaction_shift: -0.2}]}"
)

# Units that answer to their assessment (issue 28): a monthly ranking without a governance
# class, and the behaviour with the schema's defaults; measured against the same ranking with
# the behaviour off (the "ranking" configurations: ``--only ranking``). With no pressure the
# mechanism is installed but nobody chooses anything: the same cases, its bookkeeping alone.
RANKING = "policies=[{type: ranking, governance_count: 0}]"
ASSESSMENT = "assessment.enabled=true"
# People at work (issue 29): every unit on duty around the clock (the mechanism's bookkeeping
# alone: the same cases), and grid workers on duty 08-20 with the burden-cut experiment's
# non-case duties (experiments/workload/burden_cut.py).
WORKLOAD = "workload.enabled=true"
GRID_DUTY = (
    "workload.tiers={grid: {hours: [8, 20], duties: ["
    "{name: visits, hours_per_week: 12, cuttable: false}, {name: reporting, hours_per_week: 8}, "
    "{name: tasks_passed_down, hours_per_week: 6}, "
    "{name: meeting, hours_per_week: 2, at: {weekdays: [0], start: 9}}]}}"
)
# Resource sinking with the shipped shares (scenarios/policies/resource_sinking.yaml), the old
# mode (powers city-wide) and with its people (issue 29: powers only where a holder works,
# per-grid routing rules): ``--only sinking``.
SINKING = (
    "policies=[{type: resource_sinking, start_day: 7, department_share: 0.25, "
    "district_share: 0.25, to_grids: 0.6, powers: 0.5, powers_with_people: %s}]"
)
# Party members who serve where they live (issue 29, part 3a): 20 registered a grid, turnout
# 0.2, the default sessions, three community categories; measured against the same city with
# them off (``--only volunteers``). Nobody turning up: the mechanism's sessions and hook alone.
VOLUNTEERS = (
    "volunteers={enabled: true, registered: 20, turnout: 0.2, "
    "categories: [housing, public_services, other]}"
)


def reduction(n_categories: int) -> list[str]:
    """Problems as the model without them: one household appeal at once, a sure fix, every
    category's problems plain."""
    return [
        "problems.enabled=true",
        AT_ONCE,
        "problems.scopes={household: {residents: 1, reporting_rate: 0}}",
        "problems.fix_probability={grid: 1, street: 1, district: 1, department: 1}",
        "problems.resolved_if_fixed=null",
        *(f"categories.{i}.problem={PLAIN}" for i in range(n_categories)),
    ]


REDUCTION = reduction(10)  # the baseline's ten categories
CONFIGS: dict[str, list[str]] = {
    "off": OFF,
    "problems (reduction: one appeal, sure fix)": [*REDUCTION, *CLEAR, *SINGLE],
    "problems (the baseline's)": ["problems.enabled=true", *CLEAR, *SINGLE],
    "problems, first report at once": ["problems.enabled=true", AT_ONCE, *CLEAR, *SINGLE],
    "problems, no report after the first": ["problems.enabled=true", SILENT, *CLEAR, *SINGLE],
    "unclear jurisdiction (the baseline's)": ["problems.enabled=false", *SINGLE],
    "whistles, one department each": [*OFF, WHISTLE],
    "whistles, joint departments (the baseline's)": ["problems.enabled=false", *CLEAR, WHISTLE],
    "whistles, branches, street powers": [*OFF, WHISTLE, BRANCHES, POWERS],
    "places (old compounds, per-category draws)": [*OFF, *PLACES],
    "places, the baseline's problems": ["problems.enabled=true", *PLACES, *CLEAR, *SINGLE],
    "groups of residents, problems off": [*OFF, GROUPS],
    "groups of residents, the baseline's problems": [
        "problems.enabled=true",
        GROUPS,
        *CLEAR,
        *SINGLE,
    ],
    "every mechanism": ["problems.enabled=true", WHISTLE, BRANCHES, POWERS, GROUPS, *PLACES],
    "ranking, the baseline's problems": ["problems.enabled=true", RANKING, *CLEAR, *SINGLE],
    "assessment on (ranking, the baseline's problems)": [
        "problems.enabled=true",
        RANKING,
        ASSESSMENT,
        *CLEAR,
        *SINGLE,
    ],
    "assessment on, no pressure (ranking, the baseline's problems)": [
        "problems.enabled=true",
        RANKING,
        ASSESSMENT,
        "assessment.sensitivity=0",
        *CLEAR,
        *SINGLE,
    ],
    "workload, on duty 24/7 (bookkeeping only)": [*OFF, WORKLOAD],
    "workload, grid 08-20 with other duties": [*OFF, WORKLOAD, GRID_DUTY],
    "sinking, the old mode (problems off)": [*OFF, SINKING % "false"],
    "sinking with its people (problems off)": [*OFF, SINKING % "true"],
    "volunteers off (the baseline's problems)": ["problems.enabled=true", *CLEAR, *SINGLE],
    "volunteers on (the baseline's problems)": [
        "problems.enabled=true",
        VOLUNTEERS,
        *CLEAR,
        *SINGLE,
    ],
    "volunteers on, nobody turns up (the baseline's problems)": [
        "problems.enabled=true",
        VOLUNTEERS,
        "volunteers.turnout=0",
        *CLEAR,
        *SINGLE,
    ],
    # Issue 29's party-building mechanisms, each against the baseline's problems (``--only
    # party``): the area's units and community deliberation at their defaults.
    "party: the baseline's problems": ["problems.enabled=true", *CLEAR, *SINGLE],
    "party: area's units (the baseline's problems)": [
        "problems.enabled=true",
        "area_units.enabled=true",
        *CLEAR,
        *SINGLE,
    ],
    "party: deliberation (the baseline's problems)": [
        "problems.enabled=true",
        "deliberation.enabled=true",
        *CLEAR,
        *SINGLE,
    ],
    # Issue 29 together (``--only "issue 29"``): every part on at once (people at work with the
    # grid's duty hours and other duties, sinking with its people, party members, the area's
    # units, deliberation) against the same city with them off and sinking in its old mode.
    "issue 29 off (the baseline's problems, old sinking)": [
        "problems.enabled=true",
        SINKING % "false",
        *CLEAR,
        *SINGLE,
    ],
    "issue 29 together (the baseline's problems)": [
        "problems.enabled=true",
        SINKING % "true",
        WORKLOAD,
        GRID_DUTY,
        VOLUNTEERS,
        "area_units.enabled=true",
        "deliberation.enabled=true",
        *CLEAR,
        *SINGLE,
    ],
}
"""Name -> overrides of the baseline. The first is the reference."""
SHORT, LONG = 20, 120  # days of the instruction counts
WALL_DAYS = 120
BEIJING = ROOT / "scenarios" / "beijing.yaml"
BEIJING_WEEK = ["start_date=2024-03-04"]  # an ordinary March week, outside the heating season
BEIJING_CONFIGS: dict[str, list[str]] = {
    "off": [*BEIJING_WEEK, "problems.enabled=false"],
    "problems (the schema's defaults)": [*BEIJING_WEEK, "problems.enabled=true"],
    "problems, first report at once": [*BEIJING_WEEK, "problems.enabled=true", AT_ONCE],
    "problems, no report after the first": [*BEIJING_WEEK, "problems.enabled=true", SILENT],
    "problems (reduction: one appeal, sure fix)": [*BEIJING_WEEK, *reduction(11)],  # Beijing's
}
BEIJING_DAYS = 7

CHILD = (
    "import sys, time, json, govsim; days = int(sys.argv[1]); extra = json.loads(sys.argv[2]); "
    "s = govsim.load_scenario({scenario!r}, "
    "[f'days={{days}}', 'output.cases_table=false', *extra]); "
    "sim = govsim.simulate; t = time.perf_counter(); r = sim(s, seed=20240101); "
    "print('result', json.dumps({{'cases': r.summary['created'], "
    "'seconds': time.perf_counter() - t, 'loop': r.summary['performance']['wall_seconds']}}))"
)


def run(
    extra: list[str], days: int, valgrind: bool, scenario: Path = SCENARIO
) -> tuple[int, float, float]:
    """(cases, instructions or wall seconds, run-phase seconds) of one run in a fresh
    interpreter."""
    command = [
        sys.executable,
        "-c",
        CHILD.format(scenario=str(scenario)),
        str(days),
        json.dumps(extra),
    ]
    if valgrind:
        command = ["valgrind", "--tool=cachegrind", "--cache-sim=no",
                   "--cachegrind-out-file=/dev/null", *command]  # fmt: skip
    proc = subprocess.run(
        command, capture_output=True, text=True, check=True, cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    result = json.loads(re.search(r"^result (.*)$", proc.stdout, re.MULTILINE).group(1))
    if not valgrind:
        return result["cases"], result["seconds"], result["loop"]
    refs = re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr).group(1)
    return result["cases"], float(refs.replace(",", "")), result["loop"]


def instructions_per_case(extra: list[str]) -> float:
    (c0, i0, _), (c1, i1, _) = run(extra, SHORT, True), run(extra, LONG, True)
    return (i1 - i0) / (c1 - c0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="wall-time rounds (default 5)")
    parser.add_argument("--no-valgrind", action="store_true", help="skip the instruction counts")
    parser.add_argument("--only", help="measure the reference and this configuration only")
    parser.add_argument(
        "--city",
        choices=["baseline", "beijing"],
        default="baseline",
        help="baseline: every mechanism in the baseline city (default); beijing: problems off "
        "and on in a week of Beijing (wall time only)",
    )
    args = parser.parse_args()
    configs, scenario, days = CONFIGS, SCENARIO, WALL_DAYS
    if args.city == "beijing":
        configs, scenario, days = BEIJING_CONFIGS, BEIJING, BEIJING_DAYS
        args.no_valgrind = True  # a week of Beijing under valgrind would take hours
    names = list(configs)
    if args.only:
        names = [names[0], *[n for n in names[1:] if args.only in n]]
    reference = names[0]
    if not args.no_valgrind and shutil.which("valgrind"):
        counts = {name: instructions_per_case(configs[name]) for name in names}
        print(f"instructions per case (days {SHORT} and {LONG}, cachegrind):")
        for name in names:
            print(f"  {name:<45} {counts[name]:9,.0f}   x{counts[name] / counts[reference]:.3f}")
    walls: dict[str, list[float]] = {name: [] for name in names}
    loops: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(args.rounds):
        for name in names:  # alternate, so a change in machine load hits all alike
            cases, seconds, loop = run(configs[name], days, False, scenario)
            walls[name].append(seconds / cases * 1e6)
            loops[name].append(loop / cases * 1e6)
    print(
        f"wall time per case ({scenario.name}, {days} days, {args.rounds} rounds, medians; "
        "'all' is the whole simulate() call, 'run' the run phase alone, without building the "
        "model and its random streams or the output tables):"
    )
    for name in names:
        ratio = statistics.median(a / b for a, b in zip(walls[name], walls[reference], strict=True))
        run_ratio = statistics.median(
            a / b for a, b in zip(loops[name], loops[reference], strict=True)
        )
        print(
            f"  {name:<45} all {statistics.median(walls[name]):6.2f} us x{ratio:.3f}   "
            f"run {statistics.median(loops[name]):6.2f} us x{run_ratio:.3f} (paired)"
        )


if __name__ == "__main__":
    main()
