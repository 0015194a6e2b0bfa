"""Is the cost per case flat as the city grows? One, four and sixteen districts at the same
per-capita load.

Each city is ``scenarios/baseline.yaml`` scaled by k = 1, 4, 16 districts: streets,
grids, population and department staff all k times one district's share of the
baseline (3 streets, 12 grids, 60,000 residents, 2 operators per district; grid, street
and district staff per unit unchanged), so every unit sees the same load and the city only gets
bigger. The horizon shrinks as the city grows (``DAYS_PER_DISTRICT`` / k days, at least
one week) so that every run creates a similar number of cases; all runs write the
full per-case table in memory, as ``govsim.simulate()`` does.

Reported per city: cases, wall seconds of ``govsim.simulate()``, microseconds per case
and peak RSS; required: the largest cost per case at most 1.2x the smallest. Then the
16-district city under overload: every arrival rate times the factor that brings its
busiest servable tier to an offered load of 1.2 (as in ``bench_overload.py``), required
to keep at least 0.8x the stable run's throughput.

The cities run in alternation, each in a fresh process, ``--repeats`` times. The figures
that count are paired, as in ``bench_mmc.py``: each city's cost per case over the
1-district city's in the same repeat (runs seconds apart), the median of those ratios,
and the spread of the medians; likewise the overload ratio. The machine's speed drifts by
+-20% over minutes, and a run now and then is slowed by half or more: medians of each
city, taken minutes apart, once gave a spread of 1.31 and, in the next invocation, 1.05.
(The spread within each repeat is no good either: the largest over the smallest of three
noisy figures overstates it.) The ratio of the medians is printed for information.

Usage: ``python benchmarks/bench_scale.py [--repeats 5]`` (fresh processes).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import _harness as h
from bench_overload import offered_load

HERE = Path(__file__).resolve()
BASELINE = HERE.parents[1] / "scenarios" / "baseline.yaml"
SIZES = (1, 4, 16)
DAYS_PER_DISTRICT = 448
TARGET_LOAD = 1.2
REQUIRED_SPREAD = 1.2
REQUIRED_OVERLOAD_RATIO = 0.8


def city_overrides(k: int, factor: float = 1.0) -> list[str]:
    import govsim

    base = govsim.load_scenario(BASELINE)
    per = base.city.synthetic
    districts = per.districts
    overrides = [
        f"city.synthetic.districts={k}",
        f"city.synthetic.streets={per.streets // districts * k}",
        f"city.synthetic.grids={per.grids // districts * k}",
        f"city.synthetic.population={per.population // districts * k}",
        f"hotline.operators={base.hotline.operators // districts * k}",
        f"days={max(7, DAYS_PER_DISTRICT // k)}",
    ]
    overrides += [
        f"departments.{d.name}.staff={max(1, round(d.staff * k / districts))}"
        for d in base.departments
    ]
    if factor != 1.0:
        overrides += [f"categories.{c.name}.rate={c.rate * factor!r}" for c in base.categories]
    return overrides


def run_city(k: int, factor: float, trace: bool) -> dict:
    import govsim

    scenario = govsim.load_scenario(BASELINE, city_overrides(k, factor))

    def run() -> dict:
        result = govsim.simulate(scenario)
        return {"cases": result.summary["created"], "result": result}

    figures = h.measure(run, trace)
    result = figures.pop("result")
    figures["offered_load"] = offered_load(result, scenario)
    figures["units"] = len(result.cases["grid"].cat.categories)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed runs per city (median reported)"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        h.emit(run_city(int(args.child[0]), float(args.child[1]), "trace" in args.child[2:]))
        return

    largest = SIZES[-1]
    probe = h.child(str(HERE), str(largest), "1")
    servable = {t: x for t, x in probe["offered_load"].items() if x < 1}
    bottleneck = max(servable, key=servable.get)
    factor = round(TARGET_LOAD / servable[bottleneck], 3)
    variants = {f"{k} district{'s' * (k > 1)}": (k, 1.0) for k in SIZES}
    variants[f"{largest} districts, overloaded"] = (largest, factor)

    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for i in range(args.repeats):
        for name, (
            k,
            f,
        ) in variants.items():  # alternate, so a change in machine load hits all alike
            r = h.child(str(HERE), str(k), str(f))
            runs[name].append(r)
            print(
                f"  run {i + 1} {name:<26} {r['cases']:>7} cases {r['wall_seconds']:6.2f} s "
                f"{r['wall_seconds'] / r['cases'] * 1e6:6.2f} us/case  peak RSS "
                f"{r['rss_peak_mb']:6.1f} MB",
                flush=True,
            )

    print(
        f"\nbaseline.yaml scaled to 1, 4 and 16 districts; medians of {args.repeats} runs, fresh "
        f"process each"
    )
    cost = {}
    for name, rs in runs.items():
        cost[name] = h.median([{"x": r["wall_seconds"] / r["cases"] * 1e6} for r in rs], "x")
        print(
            f"{name:<26} {rs[0]['units']:>5} grids {h.median(rs, 'cases'):8.0f} cases  "
            f"{cost[name]:6.2f} us/case ({1e6 / cost[name]:8.0f} cases/s)  peak RSS "
            f"{h.median(rs, 'rss_peak_mb'):6.1f} MB  busiest tier load "
            f"{max(rs[0]['offered_load'].values()):.2f}",
            flush=True,
        )
    # The figures that count are paired: within one repeat the cities ran seconds apart,
    # so the machine's drift (+-20% over minutes) cancels in their ratio; the median over
    # the repeats is reported. The ratio of the medians above is printed for information.
    per_run = [
        {name: rs[i]["wall_seconds"] / rs[i]["cases"] for name, rs in runs.items()}
        for i in range(args.repeats)
    ]
    stable_names = [n for n, (k, f) in variants.items() if f == 1.0]
    smallest = stable_names[0]
    relative = [
        statistics.median(r[n] / r[smallest] for r in per_run) for n in stable_names
    ]  # 1.0 first
    spread = max(relative) / min(relative)
    of_medians = max(cost[n] for n in stable_names) / min(cost[n] for n in stable_names)
    verdict = "ok" if spread <= REQUIRED_SPREAD else "BELOW REQUIREMENT"
    print(
        f"cost per case relative to {smallest}, median of paired ratios: "
        + ", ".join(f"{n} {x:.2f}" for n, x in zip(stable_names, relative, strict=True))
    )
    print(
        f"cost per case, largest / smallest across city sizes = {spread:.2f} (of the paired "
        f"ratios; ratio of "
        f"the medians {of_medians:.2f}; required <= {REQUIRED_SPREAD}): {verdict}"
    )
    overloaded, stable = f"{largest} districts, overloaded", f"{largest} districts"
    ratio = statistics.median(r[stable] / r[overloaded] for r in per_run)
    verdict = "ok" if ratio >= REQUIRED_OVERLOAD_RATIO else "BELOW REQUIREMENT"
    print(
        f"overload: busiest servable tier {bottleneck} at {servable[bottleneck]:.2f}, arrivals x "
        f"{factor}; "
        f"throughput overloaded / stable = {ratio:.2f}, median of paired ratios (ratio of the "
        f"medians "
        f"{cost[stable] / cost[overloaded]:.2f}; required >= {REQUIRED_OVERLOAD_RATIO}): {verdict}"
    )


if __name__ == "__main__":
    main()
