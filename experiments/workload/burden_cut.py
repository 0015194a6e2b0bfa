"""Cutting the grid's non-case duties (基层减负): a paired experiment on the baseline city.

The baseline city with grid workers on duty 08:00-20:00 every day (nobody at night) and a
stated non-case burden per worker and week (seed 001 names the duties; the hours are
assumed): visits under 九必访 / 六必到, 12 h (not cut: the visiting rules stay); reporting
under 九必报 and ledgers, 8 h; tasks passed down by departments, 6 h; a weekly meeting,
Monday 09:00, 2 h. The lever (duty lists and work-entry control, 社区职责清单 / 工作准入:
seed 003) cuts ``CUT`` of the cuttable hours (16 h a week, so 8 h at 0.5). Each seed runs
with and without the cut (common random numbers); the script prints the paired differences'
means and 95% t-intervals of the share of grid time on cases, grid hours on cases and other
duties per person and week, grid overtime, and the mean hours to close of the orders closed
at a grid and of all closed cases (created after the warm-up).

Usage: ``python experiments/workload/burden_cut.py [--seeds 8] [--days 90] [--workers 2]``.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import stats

import govsim

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
CUT = 0.5
WARMUP_DAYS = 14
GRID = (
    "workload.tiers={grid: {hours: [8, 20], duties: ["
    "{name: visits, hours_per_week: 12, cuttable: false}, "
    "{name: reporting, hours_per_week: 8}, "
    "{name: tasks_passed_down, hours_per_week: 6}, "
    "{name: meeting, hours_per_week: 2, at: {weekdays: [0], start: 9}}]}}"
)
OUTCOMES = (
    "grid_case_share",
    "grid_case_hours_per_person",
    "grid_other_hours_per_person",
    "grid_overtime_share",
    "grid_time_to_close_hours",
    "time_to_close_hours",
)


def one_run(args: tuple[int, int, float]) -> dict[str, float]:
    seed, days, cut = args
    scenario = govsim.load_scenario(
        BASELINE, [f"days={days}", "workload.enabled=true", GRID, f"workload.burden_cut={cut}"]
    )
    result = govsim.simulate(scenario, seed=seed)
    warmup = WARMUP_DAYS * 24.0
    grid = result.tallies["workload"].tier("grid", warmup)
    cases = result.cases
    closed = cases[(cases["status"].astype(str) == "closed") & (cases["created"] >= warmup)]
    hours = closed["closed"] - closed["created"]
    at_grid = closed["final_tier"].astype(str) == "grid"
    return {
        "grid_case_share": grid["case_share"],
        "grid_case_hours_per_person": grid["case_hours_per_person"],
        "grid_other_hours_per_person": grid["other_hours_per_person"],
        "grid_overtime_share": grid["overtime_share"],
        "grid_time_to_close_hours": float(hours[at_grid].mean()),
        "time_to_close_hours": float(hours.mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    seeds = range(1, options.seeds + 1)
    jobs = [(seed, options.days, cut) for seed in seeds for cut in (0.0, CUT)]
    with ProcessPoolExecutor(options.workers) as pool:
        runs = list(pool.map(one_run, jobs))
    base, cut = runs[0::2], runs[1::2]
    print(f"{options.seeds} seeds, {options.days} days (warm-up {WARMUP_DAYS}), cut {CUT:.0%}")
    print(f"{'outcome':30} {'without':>10} {'with cut':>10} {'difference':>11}  95% CI")
    for name in OUTCOMES:
        a = np.array([r[name] for r in base])
        b = np.array([r[name] for r in cut])
        d = b - a
        half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
        print(
            f"{name:30} {a.mean():10.4f} {b.mean():10.4f} {d.mean():+11.4f}  "
            f"{d.mean() - half:+.4f} to {d.mean() + half:+.4f}"
        )


if __name__ == "__main__":
    main()
