"""Ceiling compression: how many units sit at or within a point of full marks? (issue 28)

Under a monthly 100-point score on the three rates (``ranking.scoring.points``: 100 x the
composite) with the bottom three named (``scoring.bottom_named: 3``), one county had about
80% of its townships at full marks, so one unsatisfied case decided who was named
(Xinhua, 2024-09-26). Runs, each with that scoring and the ranking's other settings as
given:

- *baseline*: ``scenarios/policies/ranking.yaml`` (6 streets of 20,000 residents), 90 days,
  seeds 1-3;
- *beijing*: ``scenarios/beijing.yaml`` (343 streets, 2024 rates), 33 days (January), seed 1
  (about a minute);
- *small units*: the same Beijing with 50,000, 200,000 and 1,000,000 residents (343 streets
  of about 150, 600 and 2,900 residents: a county's townships see far fewer orders than a
  Beijing street), 62 days, seeds 1-3.

Per run: the share of streets at or within a point of full marks (summary.json's
``ranking_points``, mean over months), the streets' valid callbacks a month (street-side
closings with a callback), the mean score, and the share a binomial reading predicts: a
street with n valid callbacks, each satisfied and resolved with the run's rates, has full
marks with probability p^n, p the run's share of valid callbacks on time, resolved and
satisfied, averaged over the streets' n (full marks exactly: compare ``share_full_marks``).

Usage: ``python experiments/assessment/ceiling.py [--out FILE.json]`` (about two minutes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import govsim  # noqa: E402
from govsim.core.io import atomic_write  # noqa: E402

SCORING = "{points: true, bottom_named: 3}"
BEIJING_RANKING = f"policies=[{{type: ranking, governance_count: 10, scoring: {SCORING}}}]"
RUNS = {  # name: (scenario, overrides, seeds)
    "baseline": (
        "scenarios/policies/ranking.yaml",
        ["days=90", f"policies.0.scoring={SCORING}"],
        [1, 2, 3],
    ),
    "beijing": ("scenarios/beijing.yaml", ["days=33", BEIJING_RANKING], [1]),
    **{
        f"beijing_{population // 1000}k_residents": (
            "scenarios/beijing.yaml",
            ["days=62", f"city.synthetic.population={population}", BEIJING_RANKING],
            [1, 2, 3],
        )
        for population in (50_000, 200_000, 1_000_000)
    },
}
STREET_TIERS = ("grid", "street", "district")


def measure(name: str) -> list[dict[str, float | str | int]]:
    """One row per seed of run ``name``."""
    path, overrides, seeds = RUNS[name]
    rows: list[dict[str, float | str | int]] = []
    for seed in seeds:
        result = govsim.simulate(govsim.load_scenario(ROOT / path, overrides), seed=seed)
        rankings = result.rankings
        streets = rankings[(rankings["unit_type"] == "street") & rankings["composite"].notna()]
        cases = result.cases
        assert cases is not None
        counted = cases[cases["final_tier"].isin(STREET_TIERS) & cases["satisfaction"].notna()]
        months = streets["month"].nunique()
        callbacks = counted.groupby(counted["street"].astype(str)).size()
        callbacks = callbacks.reindex(streets["unit"].unique(), fill_value=0) / months
        scenario = result.scenario
        limits = dict(
            zip([c.name for c in scenario.categories], scenario.category_limits(), strict=True)
        )
        on_time = counted["first_response"] - counted["created"] <= counted["category"].astype(
            str
        ).map(limits)
        perfect = (counted["resolved"] == 1) & (counted["satisfaction"] == "satisfied") & on_time
        p = float(perfect.mean())
        rows.append(
            {
                "run": name,
                "seed": seed,
                "streets": int(streets["unit"].nunique()),
                "months": int(months),
                "valid_callbacks_per_street_month": float(callbacks.mean()),
                "mean_score": float(streets["score"].mean()),
                "share_near_full_marks": result.summary["ranking_points"]["share_near_full_marks"][
                    "street"
                ]["mean"],
                "share_full_marks": float((streets["score"] >= 100.0 - 1e-9).mean()),
                "perfect_callback_share": p,
                "binomial_full_marks": float((p ** callbacks.round()).mean()),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the rows as JSON")
    args = parser.parse_args()
    frame = pd.DataFrame([row for name in RUNS for row in measure(name)])
    print(frame.to_string(index=False))
    print()
    means = frame.drop(columns="seed").groupby("run", sort=False).mean(numeric_only=True)
    print(means.round(3).to_string())
    if args.out is not None:
        data = frame.to_dict(orient="records")
        atomic_write(
            args.out, lambda p: Path(p).write_text(json.dumps(data, indent=2) + "\n", "utf-8")
        )


if __name__ == "__main__":
    main()
