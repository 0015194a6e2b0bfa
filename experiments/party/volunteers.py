"""Party members who serve where they live (双报到, issue 29 part 3a): what do they change?

Runs the baseline city (``scenarios/baseline.yaml``) with the volunteers mechanism off and
on, the same seeds (common random numbers: the members' draws are streams of their own).
Settings chosen before the runs:

- *baseline*: the baseline's three grid workers per grid (grid utilisation about 0.30);
- *stretched*: one grid worker per grid (utilisation about 0.9), where a grid's queue is
  long enough for members' hours to matter.

Members on: 20 registered per grid, turnout 0.2 (about 4 who come per session), the
default sessions (weekdays 19-21 h, weekends 9-12 h), handling time as a grid worker's;
they take housing, public services and other (community matters; not social order, market
regulation, traffic or urban construction, which need enforcement powers). All assumed.
Chosen after the first runs, to show which assumed parameters drive the stretched result:
the stretched city with members who take new orders only (``take_queued: false``), with
turnout 0.05, and with members 1.5 times slower than a grid worker.

The named outcomes, in the stated direction: the mean time to close of the named
categories' orders closed at the grid falls; the grid staff's utilisation falls. The
outcome it should not touch: the mean time to close of orders routed straight to a
department (they never reach a grid; paired interval covering 0). Also reported: the other
categories' time to close at the grid, and at the district or a department (their orders
wait in the grid's queue before they escalate: it may fall), the named categories' at any
tier, members' hours and visits. Per setting and outcome: the mean paired difference (on -
off) over the seeds with its 95% t interval (statsmodels). Cases created after the warm-up
(14 days) and closed by the end.

Usage: ``python experiments/party/volunteers.py [--seeds 8] [--days 90] [--workers 2]
[--out FILE.json]`` (about four minutes for 8 seeds on two cores). The JSON is written
atomically.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from statsmodels.stats.weightstats import DescrStatsW

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import govsim  # noqa: E402
from govsim.core.io import atomic_write  # noqa: E402

SCENARIO = ROOT / "scenarios" / "baseline.yaml"
WARMUP_DAYS = 14
NAMED = ["housing", "public_services", "other"]
MEMBERS = (
    f"volunteers={{enabled: true, registered: 20, turnout: 0.2, categories: [{', '.join(NAMED)}]}}"
)
SETTINGS: dict[str, tuple[list[str], list[str]]] = {
    "baseline": ([], []),
    "stretched": (["staffing.grid_workers=1"], []),
    "stretched, new orders only": (["staffing.grid_workers=1"], ["volunteers.take_queued=false"]),
    "stretched, turnout 0.05": (["staffing.grid_workers=1"], ["volunteers.turnout=0.05"]),
    "stretched, members 1.5x slower": (
        ["staffing.grid_workers=1"],
        ["volunteers.handling_factor=1.5"],
    ),
}
"""Name -> (the city's overrides, both arms; the members' overrides, the arm with them)."""
OUTCOMES = (
    "ttc_named_at_grid",
    "grid_utilisation",
    "ttc_routed_to_department",
    "ttc_others_at_district_or_department",
    "ttc_others_at_grid",
    "ttc_named_all_tiers",
    "member_hours",
    "member_visits",
)


def measure(
    city: tuple[str, ...], members: tuple[str, ...] | None, seed: int, days: float
) -> dict[str, Any]:
    """One run's outcomes: the city's overrides, the members' (None: off)."""
    overrides = [f"days={days}", *city, *([MEMBERS, *members] if members is not None else [])]
    result = govsim.simulate(govsim.load_scenario(SCENARIO, overrides), seed=seed)
    cases = result.cases
    assert cases is not None
    cases = cases[(cases["created"] >= WARMUP_DAYS * 24.0) & (cases["status"] == "closed")]
    ttc = cases["closed"] - cases["created"]
    named = cases["category"].astype(str).isin(NAMED)
    tier = cases["final_tier"].astype(str)
    routed = (tier == "department") & (cases["escalations"] == 0) & (cases["whistles"] == 0)
    block = result.summary["volunteers"] or {}
    return {
        "ttc_named_at_grid": float(ttc[named & (tier == "grid")].mean()),
        "grid_utilisation": float(result.summary["utilisation"]["grid"]),
        "ttc_routed_to_department": float(ttc[routed].mean()),
        "ttc_others_at_district_or_department": float(
            ttc[~named & tier.isin(["district", "department"])].mean()
        ),
        "ttc_others_at_grid": float(ttc[~named & (tier == "grid")].mean()),
        "ttc_named_all_tiers": float(ttc[named].mean()),
        "member_hours": float(block.get("member_hours") or 0.0),
        "member_visits": float(block.get("cases") or 0),
    }


def paired(
    off: dict[int, dict[str, float]], on: dict[int, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Per outcome: the means off and on, the mean paired difference (on - off) over the
    seeds and its 95% t interval."""
    seeds = sorted(on)
    out = {}
    for name in OUTCOMES:
        before = np.array([off[s][name] for s in seeds])
        after = np.array([on[s][name] for s in seeds])
        low, high = DescrStatsW(after - before).tconfint_mean(alpha=0.05)
        out[name] = {
            "off": float(before.mean()),
            "on": float(after.mean()),
            "difference": float((after - before).mean()),
            "ci_low": float(low),
            "ci_high": float(high),
        }
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--days", type=float, default=90.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    seeds = range(1, args.seeds + 1)
    cities = sorted({tuple(SETTINGS[name][0]) for name in args.settings})
    jobs: list[tuple[tuple[str, ...], tuple[str, ...] | None, int, float]] = [
        (city, None, seed, args.days) for city in cities for seed in seeds
    ] + [
        (tuple(SETTINGS[name][0]), tuple(SETTINGS[name][1]), seed, args.days)
        for name in args.settings
        for seed in seeds
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = dict(zip(jobs, pool.map(measure, *zip(*jobs, strict=True)), strict=True))
    results = {}
    for name in args.settings:
        city, members = tuple(SETTINGS[name][0]), tuple(SETTINGS[name][1])
        off = {seed: rows[(city, None, seed, args.days)] for seed in seeds}
        on = {seed: rows[(city, members, seed, args.days)] for seed in seeds}
        results[name] = paired(off, on)
    report = {
        "seeds": args.seeds,
        "days": args.days,
        "warmup_days": WARMUP_DAYS,
        "members": MEMBERS,
        "paired": results,
    }
    text = json.dumps(report, indent=1)
    if args.out is not None:
        atomic_write(args.out, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    print(text)
    return report


if __name__ == "__main__":
    main()
