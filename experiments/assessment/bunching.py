"""Deadline bunching: do pressed units close cases just before their time limit? (issue 28)

Runs the 12-street city of ``twelve_streets.yaml`` (the baseline's, with problems and the
monthly ranking) in paired variants, the same seeds (common random numbers):

- *today*: the model as it is, no unit answers to its assessment;
- *unassessed*: the ``assessment`` mechanism on at its defaults, lateness not assessed
  (the ranking's response weight 0): no deadline to rush for;
- *pressed*: the mechanism on at its defaults, lateness assessed (the public formula's
  0.1 response weight: the first response within the limit);
- *overdue*: *pressed*, and orders closed past their limit (or open past it at a month's
  end) counted as failed (the ranking's ``overdue`` design, 超期工单): the lateness of the
  close assessed. Added with the rush in service (its gain depends on what the design
  counts of lateness), before any run of it.

For every seed, variant and urgency class, the closed work orders created after the
warm-up, their time to close over the limit, and the excess mass just before the limit
(:func:`govsim.results.bunching.bunching`: closures in the last ``WINDOW`` of the limit
over a smooth counterfactual fitted outside the window either side of it, minus 1), with
the plain ratio of closures just before to just after the limit beside it. Per variant and
class: the mean excess and its 95% t interval over the seeds, and the paired differences
*pressed* and *overdue* minus *unassessed*. Pooled over the seeds, the excess per variant
and class and the figure ``bunching.png`` (the per-class panels of ``govsim plot``).

The variants' parameters are the mechanism's defaults and the ranking of
``twelve_streets.yaml``; the seeds (1-6), the days (120, a 14-day warm-up) and the
statistic's window, span and fit were set before the runs with the mechanism on.

**The confirmatory run in the unequal city** (``--city unequal``). In the 12-street city no
general order comes near its 7-day limit, so none can be rushed there; an exploratory run
after that result (``--scenario scenarios/unequal.yaml --variants
unassessed,pressed,overdue``, seeds 1-6) gave a small bunch before the 7-day limit, pressed
minus unassessed +0.20 (-0.05, +0.45), above 0 in 5 of 6 seeds. ``--city unequal`` is the
test of it, on fresh seeds, defined and committed before its only run, and not to be
changed after it:

- the city: ``scenarios/unequal.yaml`` (the unequal 12-street city of issue 27) with the
  ranking alone added (:data:`WITH_RANKING`), as in the exploratory run;
- the variants: *unassessed* and *pressed*, as above; 120 days, a 14-day warm-up;
- the seeds: 7-18 (:data:`CONFIRMATORY_SEEDS`), twelve, none of the exploratory run's;
- the statistic: the excess mass before each limit per seed, variant and class, as above;
- the verdict (:func:`verdicts`), at each limit (2 h, 24 h, 7 days, 15 days) separately:
  a bunch when the paired 95% t interval over the seeds of the excess, *pressed* minus
  *unassessed*, lies above 0; otherwise none (a miss, reported as such).

The option fixes all of that: it takes no ``--seeds``, ``--days``, ``--variants`` or
``--scenario``.

Usage: ``python experiments/assessment/bunching.py [--seeds 6] [--days 120] [--variants
today,unassessed,pressed,overdue] [--scenario FILE] [--out DIR]`` or ``python
experiments/assessment/bunching.py --city unequal [--out DIR]`` (default
``results/assessment/bunching/``, ``results/assessment/bunching_unequal/`` with ``--city
unequal``: ``bunching.json``, ``bunching.png|svg``; a scenario needs problems, and a
ranking as its first policy or none: then the ranking alone is added).
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from statsmodels.stats.weightstats import DescrStatsW

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import govsim  # noqa: E402
from govsim.core.io import atomic_write  # noqa: E402
from govsim.plots.closing import closed_hours, limits_of  # noqa: E402
from govsim.plots.inputs import PlotInputs  # noqa: E402
from govsim.plots.layouts import bunching_figure  # noqa: E402
from govsim.plots.style import save  # noqa: E402
from govsim.results.bunching import bunching_table, deadline_ratios  # noqa: E402

SCENARIO = Path(__file__).with_name("twelve_streets.yaml")
DAYS, WARMUP_DAYS = 120, 14
BEHAVIOUR = ["assessment.enabled=true"]
VARIANTS = {
    "today": [],
    "unassessed": [
        *BEHAVIOUR,
        "policies.0.weights={response: 0, resolution: 0.5, satisfaction: 0.4}",
    ],
    "pressed": BEHAVIOUR,
    "overdue": [*BEHAVIOUR, "policies.0.overdue={counted: true}"],
}
WITH_RANKING = "policies=[{type: ranking, governance_count: 0}]"
"""Added for a scenario without a ranking policy: the ranking alone, no governance class."""
CONFIRMATORY_SCENARIO = ROOT / "scenarios" / "unequal.yaml"
CONFIRMATORY_SEEDS = list(range(7, 19))
"""Fresh seeds: the exploratory run in the unequal city used 1-6."""
CONFIRMATORY_VARIANTS = ["unassessed", "pressed"]


@dataclass(frozen=True)
class Setting:
    """What a run of the script simulates: the city, its seeds, days and variants."""

    scenario: Path
    seeds: list[int]
    days: int
    variants: list[str]
    confirmatory: bool = False


def closures(
    seeds: list[int],
    variants: list[str],
    days: int = DAYS,
    workers: int = 1,
    scenario: Path = SCENARIO,
) -> pd.DataFrame:
    """Every closed work order created after the warm-up, per variant and seed, with its
    urgency, limit and ``ratio`` of time to close over the limit (the runs on ``workers``
    processes: independent, so the same tables on any number)."""
    frames = []
    ranked = any(p.type == "ranking" for p in govsim.load_scenario(scenario).policies)
    base = [f"days={days}", *([] if ranked else [WITH_RANKING])]
    specs = {v: govsim.load_scenario(scenario, [*base, *VARIANTS[v]]) for v in variants}
    pairs = [(v, seed) for v in variants for seed in seeds]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            futures = [pool.submit(govsim.simulate, specs[v], seed=s) for v, s in pairs]
            tables = {pair: f.result().cases for pair, f in zip(pairs, futures, strict=True)}
    else:
        tables = {(v, s): govsim.simulate(specs[v], seed=s).cases for v, s in pairs}
    for variant in variants:
        spec = specs[variant]
        limits = limits_of(spec)
        for seed in seeds:
            cases = tables[(variant, seed)]
            closed = closed_hours(cases[cases["created"] >= WARMUP_DAYS * 24.0])
            ratios = deadline_ratios(closed[["urgency", "final_tier", "hours"]], limits)
            frames.append(ratios.assign(variant=variant, seed=seed))
    return pd.concat(frames, ignore_index=True)


def per_seed(ratios: pd.DataFrame) -> pd.DataFrame:
    """:func:`bunching_table` per variant, seed and urgency class."""
    return bunching_table(ratios, by=["variant", "seed"])


def summarise(table: pd.DataFrame, treated: str, control: str) -> pd.DataFrame:
    """Per variant and class the mean excess with its 95% t interval over the seeds and
    the closures just before and after the limit, all seeds; per class the paired
    difference ``treated`` minus ``control`` (the seeds where both are defined) and in how
    many seeds it is positive (``higher``: a sign test, robust to one seed's outlier where a
    small counterfactual makes the excess large)."""
    rows = []
    for (variant, urgency), group in table.groupby(["variant", "urgency"], sort=False):
        rows.append(
            {
                "variant": variant,
                "urgency": urgency,
                **_interval(group["excess"]),
                "before": int(group["before"].sum()),
                "after": int(group["after"].sum()),
            }
        )
    wide = table.pivot_table(index=["seed", "urgency"], columns="variant", values="excess")
    if {treated, control} <= set(wide.columns):
        diff = wide[treated] - wide[control]
        for urgency, values in diff.groupby(level="urgency", sort=False):
            rows.append(
                {
                    "variant": f"{treated} - {control}",
                    "urgency": urgency,
                    **_interval(values),
                    "higher": int((values > 0).sum()),
                }
            )
    return pd.DataFrame(rows)


def _interval(values: pd.Series) -> dict[str, float]:
    """Mean and 95% t interval of the finite ``values`` (NaN interval below two)."""
    finite = values.dropna().to_numpy(dtype=float)
    low = high = float("nan")
    if len(finite) > 1:
        low, high = DescrStatsW(finite).tconfint_mean()
    mean = float(finite.mean()) if len(finite) else float("nan")
    return {"seeds": len(finite), "excess": mean, "ci_low": float(low), "ci_high": float(high)}


def table(summary: pd.DataFrame) -> str:
    """The summary as a markdown table."""
    lines = [
        "| variant | urgency | excess mass before the limit (95% CI over seeds) "
        "| closures just before / after | seeds (difference > 0) |",
        "| --- | --- | --- | --- | ---: |",
    ]
    for r in summary.to_dict(orient="records"):
        paired = pd.notna(r.get("higher"))
        counts = "" if paired else f"{r['before']:,.0f} / {r['after']:,.0f}"
        seeds = f"{r['seeds']} ({r['higher']:.0f})" if paired else f"{r['seeds']}"
        lines.append(
            f"| {r['variant']} | {r['urgency']} | {r['excess']:+.2f} ({r['ci_low']:+.2f}, "
            f"{r['ci_high']:+.2f}) | {counts} | {seeds} |"
        )
    return "\n".join(lines)


def verdicts(summary: pd.DataFrame, treated: str, control: str) -> dict[str, bool]:
    """Per urgency class: a bunch (True) when the paired 95% t interval of the excess,
    ``treated`` minus ``control``, lies above 0 (:func:`summarise`'s rows); a class without
    an interval has none."""
    paired = summary[summary["variant"] == f"{treated} - {control}"]
    return {str(r["urgency"]): bool(r["ci_low"] > 0) for r in paired.to_dict(orient="records")}


def parse(argv: list[str] | None = None) -> tuple[Setting, Path]:
    """The setting and output folder from the command line; ``--city unequal`` is the
    confirmatory setting and takes no option that would change it (exit 2)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, help="seeds 1..N (default 6)")
    parser.add_argument("--days", type=int, help=f"default {DAYS}")
    parser.add_argument("--variants", help=f"default {','.join(VARIANTS)}")
    parser.add_argument("--out", type=Path, help="default results/assessment/bunching[_unequal]/")
    parser.add_argument("--scenario", type=Path, help="default: twelve_streets.yaml")
    parser.add_argument(
        "--city", choices=["unequal"], help="the confirmatory run in the unequal city (above)"
    )
    args = parser.parse_args(argv)
    if args.city == "unequal":
        given = ("seeds", "days", "variants", "scenario")
        fixed = [f"--{k}" for k in given if getattr(args, k) is not None]
        if fixed:
            parser.error(f"--city unequal is a fixed setting: drop {', '.join(fixed)}")
        setting = Setting(
            CONFIRMATORY_SCENARIO, CONFIRMATORY_SEEDS, DAYS, CONFIRMATORY_VARIANTS, True
        )
        return setting, args.out or ROOT / "results" / "assessment" / "bunching_unequal"
    variants = (args.variants or ",".join(VARIANTS)).split(",")
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    setting = Setting(
        args.scenario or SCENARIO,
        list(range(1, (6 if args.seeds is None else args.seeds) + 1)),
        DAYS if args.days is None else args.days,
        variants,
    )
    return setting, args.out or ROOT / "results" / "assessment" / "bunching"


def main() -> None:
    setting, folder = parse()
    variants, seeds = setting.variants, setting.seeds
    ratios = closures(seeds, variants, setting.days, scenario=setting.scenario)
    seeded = per_seed(ratios)
    summary = summarise(seeded, "pressed", "unassessed")
    if "overdue" in variants:  # its paired difference too (the variants' rows are above)
        more = summarise(seeded, "overdue", "unassessed")
        summary = pd.concat(
            [summary, more[more["variant"] == "overdue - unassessed"]], ignore_index=True
        )
    pooled = bunching_table(ratios, by=["variant"])
    print(f"{setting.scenario.name}: seeds {seeds}, {setting.days} days, warm-up {WARMUP_DAYS}")
    print(table(summary))
    print("\nPooled over the seeds (the figure's legend)\n")
    print(pooled[["variant", "urgency", "before", "counterfactual_before", "excess"]].to_string())
    spec = govsim.load_scenario(setting.scenario)
    verdict = verdicts(summary, "pressed", "unassessed")
    if verdict:
        limits = limits_of(spec)
        print("\nVerdict (paired 95% t interval of pressed - unassessed above 0):")
        for urgency in sorted(verdict, key=lambda u: limits[u]):
            print(f"  {urgency} ({limits[urgency]:g} h): {'bunch' if verdict[urgency] else 'none'}")
    inputs = PlotInputs(
        spec.name,
        variants,
        len(seeds),
        pd.DataFrame(),
        closed=ratios.assign(replication=ratios["seed"], sample=0),
        scenario=spec,
    )
    save(bunching_figure(inputs), folder, "bunching")
    data = {
        "seeds": seeds,
        "scenario": setting.scenario.name,
        "days": setting.days,
        "warmup_days": WARMUP_DAYS,
        "per_seed": seeded.to_dict(orient="records"),
        "summary": summary.to_dict(orient="records"),
        "pooled": pooled.to_dict(orient="records"),
        "confirmatory": setting.confirmatory,
        "verdict": verdict,
    }
    atomic_write(
        folder / "bunching.json",
        lambda p: Path(p).write_text(json.dumps(data, indent=2, default=str) + "\n", "utf-8"),
    )


if __name__ == "__main__":
    main()
