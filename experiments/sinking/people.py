"""Does sinking work through people? Resource sinking with and without its people (issue 29).

Paired runs of the baseline city (``scenarios/baseline.yaml``: 24 department staff in ten
departments, 10 staff in each of two districts), 90 days, seeds 1-6, the movers leaving on
day 7 (``scenarios/policies/resource_sinking.yaml``'s settings unless said):

- *control*: no sinking;
- *nobody*: ``powers_with_people`` with both shares 0 (powers 50%): nobody moves;
- *people_departments*: ``powers_with_people``, 25% of the department staff (6 people), no
  district staff, 60% of them to grids, powers 50% where they work;
- *people_departments_no_powers*, *people_departments_full_powers*: the same people with
  powers 0 (their staff alone) and 1;
- *people_departments_to_streets*: the same people all to streets (``to_grids`` 0);
- *people_departments_to_streets_full_powers*: all to streets, powers 1;
- *people_shipped*: ``powers_with_people`` with the shipped shares (25% of the department and
  of the district staff: 11 people);
- *old_shipped*: the old mode with the shipped shares (pools shrink by int(staff x share):
  1 department and 4 district staff move; the powers move city-wide);
- *old_powers_alone*: the old mode with both shares 0 (powers 50% city-wide, nobody moves).

Per run: the share of closed work orders closed at a grid or street (hotline closings left
out); the mean time to close of the cases of the categories the department movers carry
(*people_departments*' movers: the same set in every variant), created from day 7 to day 80
(those still open count as open until the horizon), city-wide and in the grids where a
holder works (a grid with a department mover, or whose street has one: the variant's own
movers, else *people_departments*'); the
utilisation of each tier (busy over staffed server-hours, summary.json); open cases at the
end. Each variant against *control*, paired by seed (95% t-intervals), and the pairs of
``COMPARED`` (the powers' own part: the same people with and without them; the new mode
against the old with the shipped shares).

``--scenario haidian`` runs the same design in Haidian (``scenarios/haidian.yaml``: 512
department staff in ten bureaus of 10-150, 300 district staff, 29 streets and 643 grids;
its own 90 days), the variants of ``HAIDIAN`` only: 25% of the department staff is 128
people. Set, with its verdict rule, before its first run (issue 29's done-when, read
against no sinking, paired 95% t-intervals over seeds 1-6): with nobody moved the share
closed at grid or street is unchanged (interval covering 0); with the department staff and
their powers moved (*people_departments*) the carried categories' time to close falls
(interval below 0) and the departments' utilisation rises (interval above 0). The
baseline's verdict is the same rule; ``verdicts`` in the output says hit or miss for each.

Usage: ``python experiments/sinking/people.py [--scenario baseline|haidian] [--workers 2]
[--out FILE.json]`` (baseline: about three minutes on two cores; Haidian: 36 runs of about
30 s of one core each).
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import govsim  # noqa: E402
from govsim.core.intervals import paired_ci  # noqa: E402

DAYS, START, LAST = 90, 7, 80
SEEDS = [1, 2, 3, 4, 5, 6]
SHIPPED = {
    "type": "resource_sinking",
    "start_day": START,
    "department_share": 0.25,
    "district_share": 0.25,
}
SHIPPED |= {"to_grids": 0.6, "powers": 0.5}
NOBODY = {"department_share": 0.0, "district_share": 0.0}
VARIANTS: dict[str, dict[str, object] | None] = {
    "control": None,
    "nobody": {**SHIPPED, **NOBODY, "powers_with_people": True},
    "people_departments": {**SHIPPED, "district_share": 0.0, "powers_with_people": True},
    "people_departments_no_powers": {
        **SHIPPED,
        "district_share": 0.0,
        "powers": 0.0,
        "powers_with_people": True,
    },
    "people_departments_full_powers": {
        **SHIPPED,
        "district_share": 0.0,
        "powers": 1.0,
        "powers_with_people": True,
    },
    "people_departments_to_streets": {
        **SHIPPED,
        "district_share": 0.0,
        "to_grids": 0.0,
        "powers_with_people": True,
    },
    "people_departments_to_streets_full_powers": {
        **SHIPPED,
        "district_share": 0.0,
        "to_grids": 0.0,
        "powers": 1.0,
        "powers_with_people": True,
    },
    "people_shipped": {**SHIPPED, "powers_with_people": True},
    "old_shipped": dict(SHIPPED),
    "old_powers_alone": {**SHIPPED, **NOBODY},
}
COMPARED = [  # (variant, against), besides every variant against control
    ("people_departments", "people_departments_no_powers"),
    ("people_departments_full_powers", "people_departments_no_powers"),
    ("people_shipped", "old_shipped"),
]
HAIDIAN = [  # the variants run in Haidian: the done-when's three checks and their context
    "control",
    "nobody",
    "people_departments",
    "people_departments_no_powers",
    "people_shipped",
    "old_shipped",
]
SCENARIOS = {"baseline": "scenarios/baseline.yaml", "haidian": "scenarios/haidian.yaml"}
TIERS = ("grid", "street", "district", "department")


def run(scenario: str, variant: str, seed: int) -> dict[str, object]:
    """The run's figures, with its times to close summed by category and grid (the carried
    set and the holders' grids are known only once every run is in)."""
    policy = VARIANTS[variant]
    overrides = [f"days={DAYS}", f"policies=[{json.dumps(policy)}]" if policy else "policies=[]"]
    result = govsim.simulate(govsim.load_scenario(ROOT / SCENARIOS[scenario], overrides), seed=seed)
    cases = result.cases
    assert cases is not None
    work = cases[(cases["status"] == "closed") & (cases["final_tier"].astype(str) != "hotline")]
    low = float(work["final_tier"].astype(str).isin(["grid", "street"]).mean())
    window = cases[(cases["created"] >= START * 24) & (cases["created"] < LAST * 24)]
    hours = window["closed"].fillna(DAYS * 24.0) - window["created"]
    sums = hours.groupby(
        [window["category"].astype(str), window["grid"].astype(str)], observed=True
    ).agg(["sum", "count"])
    return {
        "variant": variant,
        "seed": seed,
        "share_closed_low": low,
        "hours": {key: (float(h), int(n)) for key, h, n in sums.itertuples(name=None)},
        "utilisation": {t: result.summary["utilisation"][t] for t in TIERS},
        "open_at_end": result.summary["open_at_end"],
        "movers": result.summary.get("movers", []),
    }


def mean_hours(row: dict[str, object], categories: set[str], grids: set[str] | None) -> float:
    """Mean time to close of ``row``'s cases of ``categories`` (in ``grids``; None: all)."""
    total, n = 0.0, 0
    for (category, grid), (h, k) in row["hours"].items():  # type: ignore[attr-defined]
        if category in categories and (grids is None or grid in grids):
            total, n = total + h, n + k
    return total / n if n else float("nan")


def verdicts(out: dict[str, dict[str, list[float]]]) -> dict[str, str]:
    """Issue 29's three sinking checks against no sinking, by the rule set before the runs."""

    def hit(ok: bool) -> str:
        return "hit" if ok else "miss"

    nobody = out["nobody"]["share_closed_low"]
    people = out["people_departments"]
    return {
        "nobody moved: share closed at grid or street unchanged (CI covers 0)": hit(
            nobody[1] <= 0 <= nobody[2]
        ),
        "people and powers: carried categories' time to close falls (CI below 0)": hit(
            people["hours_carried"][2] < 0
        ),
        "people and powers: department utilisation rises (CI above 0)": hit(
            people["utilisation_department"][1] > 0
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="baseline")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    variants = HAIDIAN if args.scenario == "haidian" else list(VARIANTS)
    jobs = [(args.scenario, v, s) for v in variants for s in SEEDS]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(run, *zip(*jobs, strict=True)))
    runs = {(r["variant"], r["seed"]): r for r in rows}
    movers = runs["people_departments", SEEDS[0]]["movers"]
    carried = {c for m in movers for c in m["categories"]}  # type: ignore[union-attr]
    grid_names = {g for _, g in runs["control", SEEDS[0]]["hours"]}  # type: ignore[attr-defined]

    def held(variant: str) -> set[str]:
        own = runs[variant, SEEDS[0]]["movers"] or movers
        where = {m["destination"] for m in own if m["origin_tier"] == "department"}  # type: ignore[union-attr]
        return {g for g in grid_names if g in where or g.rsplit("-", 1)[0] in where}

    def others(row: dict[str, object]) -> set[str]:
        return {c for c, _ in row["hours"]} - carried  # type: ignore[attr-defined]

    metrics = {  # of a run, with the variant whose holders count
        "share_closed_low": lambda r, v: r["share_closed_low"],
        "hours_carried": lambda r, v: mean_hours(r, carried, None),
        "hours_carried_where_held": lambda r, v: mean_hours(r, carried, held(v)),
        "hours_other": lambda r, v: mean_hours(r, others(r), None),
        **{f"utilisation_{t}": (lambda r, v, t=t: r["utilisation"][t]) for t in TIERS},
        "open_at_end": lambda r, v: r["open_at_end"],
    }
    if not others(runs["control", SEEDS[0]]):  # every category carried (Haidian)
        del metrics["hours_other"]
    out: dict[str, object] = {
        "scenario": args.scenario,
        "carried_categories": sorted(carried),
        "movers_people_departments": movers,
        "control": {
            name: sum(f(runs["control", s], "people_departments") for s in SEEDS) / len(SEEDS)
            for name, f in metrics.items()
        },
    }
    compared = [(v, a) for v, a in COMPARED if v in variants and a in variants]
    pairs = [(v, "control") for v in variants if v != "control"] + compared
    for variant, against in pairs:
        key = variant if against == "control" else f"{variant} - {against}"
        out[key] = {}
        for name, f in metrics.items():
            ci = paired_ci(
                [f(runs[variant, s], variant) for s in SEEDS],
                [f(runs[against, s], variant) for s in SEEDS],
            )
            out[key][name] = [round(ci.mean, 4), round(ci.low, 4), round(ci.high, 4)]  # type: ignore[index]
    out["verdicts"] = verdicts(out)  # type: ignore[arg-type]
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
