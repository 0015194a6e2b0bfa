"""Party members who serve where they live (双报到, issue 29 part 3a): what do they change?

Runs the baseline city (``scenarios/baseline.yaml``) with the volunteers mechanism off and
on, the same seeds (common random numbers: the members' draws are streams of their own),
in two settings chosen before the runs:

- *baseline*: the baseline's three grid workers per grid (grid utilisation about 0.30);
- *stretched*: one grid worker per grid (utilisation about 0.9), where a grid's queue is
  long enough for members' hours to matter.

Members on: 20 registered per grid, turnout 0.2 (about 4 who come per session), the
default sessions (weekdays 19-21 h, weekends 9-12 h), handling time as a grid worker's;
they take housing, public services and other (community matters; not social order, market
regulation, traffic or urban construction, which need enforcement powers). All assumed.

The named outcomes, in the stated direction: the mean time to close of the named
categories' orders closed at the grid falls; the grid staff's utilisation falls. Outcomes
it should not touch: the mean time to close of the other categories' orders closed at the
district or a department (paired interval covering 0). Also reported: the other
categories' time to close at the grid (the staff have fewer orders: it may fall), members'
hours and visits. Per setting and outcome: the mean paired difference (on - off) over the
seeds with its 95% t interval (statsmodels). Cases created after the warm-up (14 days).

Usage: ``python experiments/party/volunteers.py [--seeds 8] [--days 90] [--workers 2]
[--out FILE.json]`` (about two minutes for 8 seeds on two cores). The JSON is written
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
import pandas as pd
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
SETTINGS = {"baseline": [], "stretched": ["staffing.grid_workers=1"]}
OUTCOMES = (
    "ttc_named_at_grid",
    "grid_utilisation",
    "ttc_others_at_district_or_department",
    "ttc_others_at_grid",
    "ttc_named_all_tiers",
    "member_hours",
    "member_visits",
)


def measure(setting: str, on: bool, seed: int, days: float) -> dict[str, Any]:
    """One run's outcomes."""
    overrides = [f"days={days}", *SETTINGS[setting], *([MEMBERS] if on else [])]
    result = govsim.simulate(govsim.load_scenario(SCENARIO, overrides), seed=seed)
    cases = result.cases
    assert cases is not None
    cases = cases[(cases["created"] >= WARMUP_DAYS * 24.0) & (cases["status"] == "closed")]
    ttc = cases["closed"] - cases["created"]
    named = cases["category"].astype(str).isin(NAMED)
    tier = cases["final_tier"].astype(str)
    block = result.summary["volunteers"] or {}
    return {
        "setting": setting,
        "on": on,
        "seed": seed,
        "ttc_named_at_grid": float(ttc[named & (tier == "grid")].mean()),
        "grid_utilisation": float(result.summary["utilisation"]["grid"]),
        "ttc_others_at_district_or_department": float(
            ttc[~named & tier.isin(["district", "department"])].mean()
        ),
        "ttc_others_at_grid": float(ttc[~named & (tier == "grid")].mean()),
        "ttc_named_all_tiers": float(ttc[named].mean()),
        "member_hours": float(block.get("member_hours") or 0.0),
        "member_visits": float(block.get("cases") or 0),
    }


def paired(runs: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """Per setting and outcome: the mean on - off over the seeds, its 95% t interval."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for setting, rows in runs.groupby("setting", sort=False):
        on = rows[rows["on"]].set_index("seed").sort_index()
        off = rows[~rows["on"]].set_index("seed").sort_index()
        out[str(setting)] = {}
        for name in OUTCOMES:
            diff = (on[name] - off[name]).to_numpy(dtype=float)
            low, high = DescrStatsW(diff).tconfint_mean(alpha=0.05)
            out[str(setting)][name] = {
                "off": float(off[name].mean()),
                "on": float(on[name].mean()),
                "difference": float(np.mean(diff)),
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
    jobs = [
        (setting, on, seed, args.days)
        for setting in args.settings
        for seed in range(1, args.seeds + 1)
        for on in (False, True)
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(measure, *zip(*jobs, strict=True)))
    report = {
        "seeds": args.seeds,
        "days": args.days,
        "warmup_days": WARMUP_DAYS,
        "members": MEMBERS,
        "paired": paired(pd.DataFrame(rows)),
    }
    text = json.dumps(report, indent=1)
    if args.out is not None:
        atomic_write(args.out, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    print(text)
    return report


if __name__ == "__main__":
    main()
