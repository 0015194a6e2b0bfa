"""Backlog blindness: does the monthly composite see a street's backlog? (issue 28)

Runs the 12-street city of ``twelve_streets.yaml`` (street staff per resident 0.75 to 1.3
of the baseline's) under five designs of the assessment, the same seeds and so the same
cases (the ranking has no responses here, so the design changes no case):

- *today*: the public formula on the cases closed in the month with a valid callback
  (``open_orders.recorded``, which only adds the backlog columns);
- *open_after_week*: the orders still open a week (``grace_days: 7``, chosen before the
  runs from issue 28) after the month's end count as closed late, unresolved and
  unsatisfied (``open_orders.counted``), once;
- *overdue_once*: an order closed after its limit or open past it at a month's end counts
  as closed late, unresolved and unsatisfied (``overdue.counted``), once;
- *overdue_each_month*: the same in every month it is overdue (``overdue.each_month``, the
  design chosen, before the runs, as the backlog-aware one);
- *on_hand*: every order open at a month's end counts in that month as not finished
  (``on_hand.counted``; chosen after the overdue design failed the target, and said so).

For every seed and every month that starts after the warm-up (14 days; the run's 90 days
plus the grace period, so that the last month is ranked: 97 days), the Spearman rho
between the streets' composite and their time-averaged open cases (``open_cases_mean``),
and the rank of the most backlogged street (1: the best composite). The summary per design:
mean rho with a t interval over the seed-months (statsmodels), how many seed-months have
rho > 0, and where the most backlogged street ranks (mean, in the top half, in the bottom
3). Issue 28's targets: today rho > 0 in at least 10 of 12 seed-months; backlog-aware a
mean rho < 0 with its 95% interval below 0 and the most backlogged street in the bottom 3
in at least 10 of 12.

Usage: ``python experiments/assessment/backlog_blindness.py [--seeds 6] [--out FILE.json]
[--scenario scenarios/unequal.yaml]``
(about two and a half minutes for 6 seeds on one core). The JSON is written atomically.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pandas as pd
from scipy.stats import spearmanr
from statsmodels.stats.weightstats import DescrStatsW

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import govsim  # noqa: E402
from govsim.core.calendar import Calendar  # noqa: E402
from govsim.core.io import atomic_write  # noqa: E402

SCENARIO = Path(__file__).with_name("twelve_streets.yaml")
DAYS, WARMUP_DAYS, GRACE_DAYS = 90, 14, 7
WITH_RANKING = "policies=[{type: ranking, governance_count: 0}]"
"""Added for a scenario without a ranking policy: the ranking alone, no governance class."""
DESIGNS = {
    "today": ["policies.0.open_orders.recorded=true"],
    "open_after_week": [
        "policies.0.open_orders.counted=true",
        f"policies.0.open_orders.grace_days={GRACE_DAYS}",
    ],
    "overdue_once": [
        "policies.0.overdue.counted=true",
        "policies.0.overdue.each_month=false",
    ],
    "overdue_each_month": ["policies.0.overdue.counted=true"],
    "on_hand": ["policies.0.on_hand.counted=true"],
}


def _now(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
    """``function(*args, **kwargs)`` run at once, as a finished future (no pool)."""
    done: Future = Future()
    done.set_result(function(*args, **kwargs))
    return done


def seed_months(
    seeds: list[int],
    scenario: Path = SCENARIO,
    designs: Sequence[str] = tuple(DESIGNS),
    workers: int = 1,
) -> pd.DataFrame:
    """One row per design (of ``designs``), seed and month after the warm-up:
    rho(composite, mean open cases) across the ranked streets and the rank of the most
    backlogged street."""
    rows = []
    days = DAYS + GRACE_DAYS
    plain = govsim.load_scenario(scenario)
    ranked = [] if any(p.type == "ranking" for p in plain.policies) else [WITH_RANKING]
    specs = {
        d: govsim.load_scenario(scenario, [f"days={days}", *ranked, *DESIGNS[d]]) for d in designs
    }
    with ProcessPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
        runs = {  # the runs are independent: the same tables on any number of processes
            (d, seed): (pool.submit if pool else _now)(govsim.simulate, specs[d], seed=seed)
            for d in designs
            for seed in seeds
        }
        tables = {key: run.result().rankings for key, run in runs.items()}
    for design in designs:
        spec = specs[design]
        for seed in seeds:
            rankings = tables[(design, seed)]
            calendar = Calendar(spec.start_date, days * 24.0)
            after = {
                label
                for label, start in zip(calendar.labels, calendar.month_starts, strict=True)
                if start >= WARMUP_DAYS * 24.0
            }
            streets = rankings[(rankings["unit_type"] == "street") & (rankings["rank"] > 0)]
            for month, table in streets[streets["month"].isin(after)].groupby("month"):
                rho = spearmanr(table["composite"], table["open_cases_mean"]).statistic
                worst = table.loc[table["open_cases_mean"].idxmax()]
                rows.append(
                    {
                        "design": design,
                        "seed": seed,
                        "month": month,
                        "streets": len(table),
                        "rho": float(rho),
                        "worst_street": worst["unit"],
                        "worst_open_cases_mean": float(worst["open_cases_mean"]),
                        "median_open_cases_mean": float(table["open_cases_mean"].median()),
                        "worst_rank": int(worst["rank"]),
                    }
                )
    return pd.DataFrame(rows)


def summarise(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per design: mean rho and its 95% t interval over the seed-months, and counts."""
    out = {}
    for design, rows in frame.groupby("design", sort=False):
        low, high = DescrStatsW(rows["rho"].to_numpy()).tconfint_mean(alpha=0.05)
        n = rows["streets"]
        out[str(design)] = {
            "seed_months": len(rows),
            "rho_mean": float(rows["rho"].mean()),
            "rho_ci_low": float(low),
            "rho_ci_high": float(high),
            "rho_positive": int((rows["rho"] > 0).sum()),
            "worst_rank_mean": float(rows["worst_rank"].mean()),
            "worst_in_top_half": int((rows["worst_rank"] <= n / 2).sum()),
            "worst_in_bottom_3": int((rows["worst_rank"] > n - 3).sum()),
        }
    return out


def table(summary: dict[str, dict[str, float]]) -> str:
    """The summary as a markdown table."""
    lines = [
        "| design | mean rho (95% CI) | rho > 0 | most backlogged: mean rank, top half, bottom 3 |",
        "| --- | --- | ---: | --- |",
    ]
    for design, s in summary.items():
        n = s["seed_months"]
        lines.append(
            f"| {design} | {s['rho_mean']:+.2f} ({s['rho_ci_low']:+.2f}, "
            f"{s['rho_ci_high']:+.2f}) | {s['rho_positive']} of {n} | "
            f"{s['worst_rank_mean']:.2f}, {s['worst_in_top_half']} of {n}, "
            f"{s['worst_in_bottom_3']} of {n} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6, help="seeds 1..N (default 6)")
    parser.add_argument("--out", type=Path, help="write the seed-months and summary as JSON")
    parser.add_argument(
        "--scenario",
        type=Path,
        default=SCENARIO,
        help="another city (a ranking with no governance class is added if it has none)",
    )
    args = parser.parse_args()
    frame = seed_months(list(range(1, args.seeds + 1)), args.scenario)
    summary = summarise(frame)
    print(frame.to_string(index=False))
    print()
    print(table(summary))
    if args.out is not None:
        data = {"seed_months": frame.to_dict(orient="records"), "summary": summary}
        atomic_write(
            args.out, lambda p: Path(p).write_text(json.dumps(data, indent=2) + "\n", "utf-8")
        )


if __name__ == "__main__":
    main()
