"""Goodhart with numbers: what units that answer to their assessment do to measured and true
performance, and what audits buy (issue 28).

Runs the 12-street city of ``twelve_streets.yaml`` (90 days, the public formula, no
governance class) with the ``assessment`` mechanism under six settings, the same seeds:

- *zero*: no pressure (``sensitivity`` 0): nobody chooses anything, the run is the run
  without the mechanism (tests/test_assessment_behaviour.py checks the cases are the same);
- *behaviour*: the schema's defaults (effort, pressing, paper, rush, label);
- *paper_press*: effort, pressing and closures on paper only (no rush, no label);
- *honest*: effort only (every gaming share 0): gaming off;
- *audit10*: *behaviour* with 10% of closures audited and a caught unit dropping one group
  (and followed up: ``audit.follow_up_share`` and ``follow_up_months`` at their defaults);
- *calm_audited*: no pressure (every stake 0) and half the closures audited.

Every parameter is the schema's default, chosen before these runs (docs/policies.md); nothing
was tuned to the targets. Per seed, for the unit-months whose behaviour answered to the
rectification list (``acting_group``; months after the first ranking), the reported
resolution rate and the true fix rate pooled over those unit-months, each minus the same
unit-months of *zero*; and city-wide, the gaming actions per 1,000 orders and the Goodhart
gaps (measured minus true). Intervals: paired t over the seeds (statsmodels).

Usage: ``python experiments/assessment/goodhart.py [--seeds 6] [--set KEY=VALUE]...
[--out FILE.json]`` (about two minutes for 6 seeds on one core; ``--set`` overrides every
setting, e.g. another design of the assessment). The JSON is written atomically.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
from statsmodels.stats.weightstats import DescrStatsW

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import govsim  # noqa: E402
from govsim.core.io import atomic_write  # noqa: E402
from govsim.mechanisms.assessment.decision import OPTIONS  # noqa: E402

SCENARIO = Path(__file__).with_name("twelve_streets.yaml")
DAYS = 90
ON = "assessment.enabled=true"
NO_LABEL_NO_RUSH = ["assessment.label.share_max=0", "assessment.rush_margin=0"]
SETTINGS: dict[str, list[str]] = {
    "zero": [ON, "assessment.sensitivity=0"],
    "behaviour": [ON],
    "paper_press": [ON, *NO_LABEL_NO_RUSH],
    "honest": [
        ON,
        *NO_LABEL_NO_RUSH,
        "assessment.paper.share_max=0",
        "assessment.press.share_max=0",
    ],
    "audit10": [ON, "policies.0.audit={share: 0.1, penalty_groups: 1}"],
    "calm_audited": [
        ON,
        "assessment.stakes={advanced: 0, improving: 0, ordinary: 0, rectification: 0, "
        "governance: 0}",
        "policies.0.audit={share: 0.5, penalty_groups: 1}",
    ],
}
SHAME = ("rectification", "governance")


def runs(
    seeds: list[int],
    scenario: Path = SCENARIO,
    settings: Sequence[str] = tuple(SETTINGS),
    workers: int = 1,
    extra: Sequence[str] = (),
) -> dict[str, dict[int, govsim.RunResult]]:
    """Each of ``settings``' runs of every seed, on ``workers`` processes (the runs are
    independent: the same results whatever the number), with the overrides ``extra`` in
    every setting (for example another design of the assessment)."""
    specs = {
        name: govsim.load_scenario(scenario, [f"days={DAYS}", *extra, *SETTINGS[name]])
        for name in settings
    }
    if workers <= 1:
        return {n: {s: govsim.simulate(spec, seed=s) for s in seeds} for n, spec in specs.items()}
    with ProcessPoolExecutor(workers) as pool:
        futures = {
            n: {s: pool.submit(govsim.simulate, spec, seed=s) for s in seeds}
            for n, spec in specs.items()
        }
        return {n: {s: f.result() for s, f in by_seed.items()} for n, by_seed in futures.items()}


def _pooled(rows: pd.DataFrame) -> tuple[float, float]:
    """Reported resolution and true fix rate pooled over ``rows``."""
    valid = rows["measured_valid"].sum()
    reported = (rows["resolution_measured"] * rows["measured_valid"]).sum() / valid
    return float(reported), float(rows["fixed"].sum() / rows["problem_closed"].sum())


def seed_rows(results: dict[str, dict[int, govsim.RunResult]]) -> pd.DataFrame:
    """Per setting and seed: the shamed units' reported and true resolution against *zero*
    (same unit-months), and the city-wide gaming and gaps."""
    rows = []
    key = ["month", "unit_type", "unit"]
    for name, by_seed in results.items():
        for seed, result in by_seed.items():
            table = result.tables["assessment"]
            zero = results["zero"][seed].tables["assessment"].set_index(key)
            shamed = table[table["acting_group"].isin(SHAME)]
            row: dict[str, object] = {"setting": name, "seed": seed, "shamed": len(shamed)}
            if len(shamed):
                reported, true = _pooled(shamed)
                base_reported, base_true = _pooled(zero.loc[shamed.set_index(key).index])
                row |= {
                    "shamed_reported": reported,
                    "shamed_true_fix": true,
                    "shamed_reported_change": reported - base_reported,
                    "shamed_true_fix_change": true - base_true,
                    "shamed_gaming": int(shamed[list(OPTIONS)].sum().sum()),
                }
            block = result.summary["assessment"]
            gaps = block["goodhart"]
            row |= {
                "gaming_per_1000": block["gaming_actions_per_1000_orders"],
                **{f"{o}_actions": n for o, n in block["gaming_actions"].items()},
                "caught": sum(block["caught"].values()),
                "resolution_gap": gaps["resolution"]["city"],
                "satisfaction_gap": gaps["satisfaction"]["city"],
                "response_gap": gaps["response"]["city"],
                "resolution_gap_worst_decile": gaps["resolution"]["worst_decile"],
                "true_fix_rate": result.summary["problems"]["true_fix_rate"],
            }
            rows.append(row)
    return pd.DataFrame(rows)


def _ci(values: pd.Series) -> dict[str, float]:
    low, high = DescrStatsW(values.to_numpy(dtype=float)).tconfint_mean(alpha=0.05)
    return {"mean": float(values.mean()), "ci_low": float(low), "ci_high": float(high)}


def summarise(frame: pd.DataFrame) -> dict[str, object]:
    """Paired comparisons over the seeds (issue 28's Goodhart targets)."""
    by = {name: rows.set_index("seed") for name, rows in frame.groupby("setting", sort=False)}
    out: dict[str, object] = {}
    for name in (n for n in ("behaviour", "paper_press", "honest", "audit10") if n in by):
        rows = by[name]
        out[f"{name}_shamed_reported_change"] = _ci(rows["shamed_reported_change"])
        out[f"{name}_shamed_true_fix_change"] = _ci(rows["shamed_true_fix_change"])
    for name in (n for n in ("paper_press", "behaviour") if n in by):  # against gaming off, paired
        rows, honest = by[name], by["honest"]
        out[f"{name}_vs_honest_reported"] = _ci(rows["shamed_reported"] - honest["shamed_reported"])
        out[f"{name}_vs_honest_true_fix"] = _ci(rows["shamed_true_fix"] - honest["shamed_true_fix"])
    behaviour, audited = by["behaviour"], by["audit10"]
    out["audit10_gaming_ratio"] = _ci(audited["gaming_per_1000"] / behaviour["gaming_per_1000"])
    for gap in ("resolution_gap", "satisfaction_gap", "response_gap"):
        out[f"audit10_{gap}_cut"] = _ci(behaviour[gap] - audited[gap])
    calm, zero = by["calm_audited"], by["zero"]
    out["calm_audited_gaming_per_1000"] = float(calm["gaming_per_1000"].max())
    out["calm_audited_satisfaction_gap_max"] = float(calm["satisfaction_gap"].abs().max())
    out["calm_audited_resolution_gap_minus_zero_max"] = float(
        (calm["resolution_gap"] - zero["resolution_gap"]).abs().max()
    )
    out["means"] = frame.groupby("setting", sort=False).mean(numeric_only=True).to_dict("index")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6, help="seeds 1..N (default 6)")
    parser.add_argument("--out", type=Path, help="write the seed rows and summary as JSON")
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an override for every setting, e.g. 'policies.0.overdue={counted: true}'",
    )
    args = parser.parse_args()
    seeds = list(range(1, args.seeds + 1))
    frame = seed_rows(runs(seeds, workers=args.workers, extra=args.set))
    summary = summarise(frame)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(frame.to_string(index=False))
    print(json.dumps(summary, indent=1))
    if args.out is not None:
        data = {"seeds": frame.to_dict(orient="records"), "summary": summary}
        atomic_write(
            args.out, lambda p: Path(p).write_text(json.dumps(data, indent=2) + "\n", "utf-8")
        )


if __name__ == "__main__":
    main()
