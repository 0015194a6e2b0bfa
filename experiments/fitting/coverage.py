"""How often does the round trip's "inside" hold when the fitted city is the log's own city?

The round trip (:mod:`govsim.fitting.round_trip`) says a log's figure is "inside" when it
lies within an interval about the mean of N runs of the fitted city. That interval is honest
only if a city run against a log of its own holds the log's figures inside it about 95% of
the time. This script checks it: it runs a scenario ``--runs`` times (seeds spawned from
``--seed``), measures each run's log by the round trip's headline figures
(:func:`govsim.fitting.compare.headline`), and takes each run in turn as "the log" and the
next ``--replications`` runs (in a ring) as the fitted city's replications. Per figure kind
it prints the share of (log, figure) pairs inside each interval:

- ``runs CI``: the replications' 95% t-interval of their mean (the log's own sampling error
  ignored);
- ``+ iid se``: that interval widened in quadrature by 1.96 times the log's standard error
  as a sample of independent cases (Poisson counts, the standard error of a mean);
- ``prediction``: the 95% prediction interval of one more run,
  ``mean +- t(n-1) s sqrt(1 + 1/n)``: the log is one more draw of the city the runs draw,
  whatever its cases' correlation (the round trip's own test,
  :func:`govsim.fitting.round_trip.inside`, called here).

and, beside them, ``within tolerance``: how often the runs' mean lies within issue 26's
tolerance of the log's value (:data:`govsim.fitting.round_trip.TOLERANCES`), the verdict
the round trip gives: what share of its own logs the true city itself gives back.

Pairs share runs, so the shares are not independent: read them as a check, not an estimate
to three digits. Usage (60-day logs, as the round trip's in docs/tutorial-data.md)::

    python experiments/fitting/coverage.py scenarios/baseline.yaml --runs 20
    python experiments/fitting/coverage.py experiments/fitting/truth.yaml --runs 20
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

from govsim.core.intervals import mean_ci, prediction_interval
from govsim.data.caselog import CaseLog
from govsim.experiments.design import replication_seeds
from govsim.fitting.compare import Z95, headline
from govsim.fitting.export import cases_to_log
from govsim.fitting.round_trip import inside, verdict
from govsim.scenario import load_scenario
from govsim.scenario.loader import Override
from govsim.simulate import simulate

SETTLE_DAYS = 7.0
"""As ``govsim fit``'s default."""


def measure(path: Path, seed: int, days: int) -> pd.DataFrame:
    """One run's headline figures (value, se, kind), over its whole window."""
    keep = Override("output.cases_table", True, "coverage")
    scenario = load_scenario(path, [keep, Override("days", days, "coverage")])
    result = simulate(scenario, seed=seed)
    assert result.cases is not None
    frame = cases_to_log(result.cases, scenario).sort_values("created", kind="stable")
    names = tuple(c.name for c in scenario.categories)
    window = (pd.Timestamp(scenario.start_date), scenario.days)
    return headline(CaseLog(f"seed {seed}", frame), SETTLE_DAYS, names, window)


def coverage(tables: list[pd.DataFrame], n: int) -> pd.DataFrame:
    """Per figure, the share of logs inside each interval (log i against runs i+1..i+n), the
    round trip's own interval and verdicts (:func:`~govsim.fitting.round_trip.inside`,
    :func:`~govsim.fitting.round_trip.verdict`) beside the two it replaced."""
    values = np.array([t["value"].to_numpy(dtype=float) for t in tables])
    ses = np.array([t["se"].to_numpy(dtype=float) for t in tables])
    k = len(tables)
    kinds = tables[0]["kind"].tolist()
    hits: dict[str, list[list[bool]]] = {
        "runs CI": [],
        "+ iid se": [],
        "prediction": [],
        "within tolerance": [],
    }
    for i in range(k):
        runs = values[[(i + j) % k for j in range(1, n + 1)]]
        rows: dict[str, list[bool]] = {name: [] for name in hits}
        for f, kind in enumerate(kinds):
            log, ci, pi = values[i, f], mean_ci(runs[:, f]), prediction_interval(runs[:, f])
            gap = abs(log - ci.mean)
            rows["runs CI"].append(gap <= ci.half_width + 1e-12)
            rows["+ iid se"].append(gap <= math.hypot(ci.half_width, Z95 * ses[i, f]) + 1e-12)
            rows["prediction"].append(inside(log, pi.mean, pi.low, pi.high) == "yes")
            rows["within tolerance"].append(verdict(kind, log, ci.mean) == "ok")
        for name, row in rows.items():
            hits[name].append(row)
    out = pd.DataFrame(
        {name: np.mean(np.array(h, dtype=float), axis=0) for name, h in hits.items()},
        index=tables[0].index,
    )
    out.insert(0, "kind", tables[0]["kind"])
    out["sd / iid se"] = values.std(axis=0, ddof=1) / np.nanmean(ses, axis=0)
    finite = np.isfinite(values).all(axis=0)
    whole = np.array(hits["within tolerance"], dtype=bool)[:, finite].all(axis=1)
    out = out[finite].copy()
    out.attrs["all within tolerance"] = float(whole.mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--runs", type=int, default=20, help="runs (logs), default 20")
    parser.add_argument("--replications", type=int, default=5, help="default 5, as --check 5")
    parser.add_argument("--days", type=int, default=60, help="days per run, default 60")
    parser.add_argument("--seed", type=int, default=2026, help="root seed, default 2026")
    parser.add_argument("--out", type=Path, help="CSV of the per-figure coverage")
    args = parser.parse_args()
    seeds = replication_seeds(args.seed, args.runs)
    tables = [measure(args.scenario, s, args.days) for s in seeds]
    table = coverage(tables, args.replications)
    pd.set_option("display.width", 160)
    print(table.round(3).to_string())
    columns = ["runs CI", "+ iid se", "prediction", "within tolerance"]
    print("\nmean coverage by kind:")
    print(table.groupby("kind")[columns].mean().round(3).to_string())
    print("\nall figures:", table[columns].mean().round(3).to_dict())
    print(f"logs with every figure within tolerance: {table.attrs['all within tolerance']:.3f}")
    if args.out is not None:
        table.to_csv(args.out)


if __name__ == "__main__":
    main()
