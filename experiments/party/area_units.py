"""The area's units (驻区单位): do their resources cut the appeals of the categories they touch,
and leave the others alone? (issue 29, part 3b)

Runs the baseline city (``scenarios/baseline.yaml``, problems on) for 90 days with the area's
units off and on at the schema's defaults (one unit per street opening parking at night for
traffic, 14 days after joining; one running an elderly canteen for public services, 30 days;
each fixes 30% of the street's open problems of its categories as it takes effect and averts
20% of new ones: all assumed), the same seeds for both arms (common random numbers), and
compares, per seed, after a 14-day warm-up:

- appeals (cases of problems), repeat appeals (``repeat_of`` set) and problems open at the end,
  in the categories the units touch and in the others;
- the mean hours to close of the untouched categories' cases (handling: the units do not act
  on it; fewer appeals elsewhere may still shorten queues).

Each figure is the paired difference on - off, with its mean and 95% t interval over the
seeds (statsmodels). The named outcome: appeals, repeat appeals and open problems of the
touched categories fall (intervals below 0); the untouched categories' intervals should
cover 0.

Usage: ``python experiments/party/area_units.py [--seeds 6] [--days 90] [--workers 2]
[--out FILE.json]`` (about a minute and a half on two cores).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.weightstats import DescrStatsW

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import govsim  # noqa: E402
from govsim.core.io import atomic_write  # noqa: E402

SCENARIO = ROOT / "scenarios" / "baseline.yaml"
DAYS, WARMUP_DAYS = 90, 14
ON = ["area_units.enabled=true"]
TOUCHED = ("traffic", "public_services")
"""The categories of the default resources (night parking, elderly canteens)."""

Split = Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.Series, pd.Series]]
"""(cases, problems) -> whether each case and each problem is of the touched kind."""


def by_category(cases: pd.DataFrame, problems: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Cases and problems of the touched categories."""
    return cases["category"].isin(TOUCHED), problems["category"].isin(TOUCHED)


def figures(result: Any, split: Split, warmup: float) -> dict[str, float]:
    """One run's figures, for the touched kind and the rest (cases created and problems
    arisen after ``warmup`` hours; open problems: all those open at the end)."""
    cases, problems = result.cases, result.tables["problems"]
    touched_case, touched_problem = split(cases, problems)
    after = cases["created"] >= warmup
    linked = cases["problem_id"].notna()
    repeat = cases["repeat_of"].notna() & (cases["repeat_of"] >= 0)
    still_open = problems["fixed"].isna()
    hours = cases["closed"] - cases["created"]
    out = {}
    for name, case_mask, problem_mask in (
        ("touched", touched_case, touched_problem),
        ("untouched", ~touched_case, ~touched_problem),
    ):
        work = after & linked & case_mask
        out[f"appeals_{name}"] = float(work.sum())
        out[f"repeat_appeals_{name}"] = float((work & repeat).sum())
        out[f"open_problems_{name}"] = float((still_open & problem_mask).sum())
        closed = after & case_mask & linked & (cases["status"] == "closed")
        out[f"hours_to_close_{name}"] = float(hours[closed].mean())
    return out


def _simulate(path: Path, overrides: list[str], seed: int) -> Any:
    result = govsim.simulate(govsim.load_scenario(path, overrides), seed=seed)
    return result


def paired(
    seeds: Sequence[int],
    on: list[str],
    split: Split,
    block: str,
    days: float = DAYS,
    workers: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per seed: the figures off and on, and the on-minus-off differences; the mechanism's
    summary ``block`` (what it did) joined to the differences."""
    common = [f"days={days}"]
    warmup = WARMUP_DAYS * 24.0
    with ProcessPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
        jobs = {
            (arm, seed): (pool.submit if pool else _now)(
                _simulate, SCENARIO, common + (on if arm == "on" else []), seed
            )
            for arm in ("off", "on")
            for seed in seeds
        }
        results = {key: job.result() for key, job in jobs.items()}
    rows, differences = [], []
    for seed in seeds:
        off, on_run = (figures(results[(arm, seed)], split, warmup) for arm in ("off", "on"))
        rows += [{"arm": "off", "seed": seed, **off}, {"arm": "on", "seed": seed, **on_run}]
        did = {
            k: v
            for k, v in results[("on", seed)].summary[block].items()
            if isinstance(v, int | float)
        }
        differences.append({"seed": seed, **{k: on_run[k] - off[k] for k in off}, **did})
    return pd.DataFrame(rows), pd.DataFrame(differences)


def _now(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` at once, as something with a ``result()`` (no pool)."""

    class Done:
        def __init__(self, value: Any) -> None:
            self.value = value

        def result(self) -> Any:
            return self.value

    return Done(function(*args))


def summarise(differences: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per figure: the mean paired difference (on - off) and its 95% t interval."""
    out = {}
    for column in differences.columns:
        if column == "seed":
            continue
        values = differences[column].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if len(values) < 2:
            continue
        low, high = DescrStatsW(values).tconfint_mean(alpha=0.05)
        out[column] = {"mean": float(values.mean()), "ci_low": float(low), "ci_high": float(high)}
    return out


def table(summary: dict[str, dict[str, float]], off: pd.DataFrame) -> str:
    """The summary as a markdown table, with the off arm's mean for scale."""
    lines = ["| figure | off (mean) | on - off (95% CI) |", "| --- | ---: | --- |"]
    for name, s in summary.items():
        base = f"{off[name].mean():.1f}" if name in off else ""
        lines.append(
            f"| {name} | {base} | {s['mean']:+.2f} ({s['ci_low']:+.2f}, {s['ci_high']:+.2f}) |"
        )
    return "\n".join(lines)


def main(
    on: list[str] = ON,
    split: Split = by_category,
    block: str = "area_units",
    description: str = (__doc__ or "").splitlines()[0],
) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seeds", type=int, default=6, help="seeds 1..N (default 6)")
    parser.add_argument("--days", type=float, default=DAYS, help="days per run (default 90)")
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--out", type=Path, help="write the runs and summary as JSON")
    args = parser.parse_args()
    seeds = list(range(1, args.seeds + 1))
    runs, differences = paired(seeds, on, split, block, args.days, args.workers)
    summary = summarise(differences)
    print(differences.to_string(index=False))
    print()
    print(table(summary, runs[runs["arm"] == "off"]))
    if args.out is not None:
        data = {
            "runs": runs.to_dict(orient="records"),
            "differences": differences.to_dict(orient="records"),
            "summary": summary,
        }
        atomic_write(
            args.out, lambda p: Path(p).write_text(json.dumps(data, indent=2) + "\n", "utf-8")
        )


if __name__ == "__main__":
    main()
