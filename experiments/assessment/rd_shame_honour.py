"""Shame and honour lists: a regression discontinuity at the ranking's cutoffs (issue 28;
Wei et al. 2022, JPART).

Wei et al. found that a street named on the monthly rectification (shame) list improves
more the next month than one just above the cutoff, and one named on the honour list
less than one just below. This script asks whether the simulated units do the same. It
runs Beijing 2019 at full scale (``beijing_2019_ranked.yaml``: 343 streets, the ten with
most appeals in the governance class and so unranked, 333 ranked a month) and, for every
seed, ranked street and month whose next month has a composite, takes

- the outcome ``delta``: next month's composite minus this month's;
- the running variable ``x``: the street's composite minus the cutoff, over the month's
  standard deviation of the ranked composites (so months of different spread pool), at
  three cutoffs, each the midpoint between the composites either side of it:
  *rectification* (the bottom ``rectification_share``, treated below), *honour* (the top
  ``advanced_share``, treated above) and a *placebo* at the median (treated above; no
  group changes there, so its jump should be 0).

The estimator (:func:`local_linear_rd`) is a local-linear fit on each side, triangular
kernel, bandwidth ``h`` in standard deviations of the month's composites, weighted least
squares with standard errors clustered by seed and street (statsmodels). The effect is the
treated side's limit minus the other's at the cutoff: the shame effect > 0 means the
listed streets improve more, the honour effect < 0 that the honoured improve less.

Chosen before any RD was run, and not changed after: ``h`` = 0.5 (half a standard
deviation each side; 0.25 and 1.0 reported beside it as robustness), the triangular
kernel, the clustering, the cutoffs, two seeds (1 and 2) of 330 days (rankings at the ends
of January to October: nine next-month changes a street and seed), and the model's
parameters: ``fixed`` is the ranking with the calibration's fitted pressure
(``improvement_rate`` 0.0703, ``service_gain`` 4.3226) and the shame and honour
multipliers at their defaults (1.5 and 0.5); ``behaviour`` is the same ranking with no
fixed multiplier (``improvement_rate`` and ``service_gain`` 0), problems on (the mechanism
needs them; the schema's defaults when first run, the scenario's own fitted ones since issue
30's refit) and the ``assessment`` mechanism on at its defaults, audits off; since
2026-12-07 its ``press.share_max`` is the scenario's, fitted by ``fit_press.py`` to the 2021
survey's satisfaction gap (0.079; the schema's 0.8 before).

The runs are kept per folder, not per scenario: after a change of the scenario, use a new
``--out`` (or delete the folder), or the old runs are read again.

With the mechanism on, the same RD of next month's change in the streets' *true* composite
(``assessment.parquet``: the ranking's weights on the response without rushes, the true
fix rate and the satisfaction residents would have given unpressed) is printed beside it
and drawn as ``rd_true``: added after the pre-registered RD had been run (exploratory), it
asks whether the lists move true performance or only the measured one.

Usage: ``python experiments/assessment/rd_shame_honour.py [--setting fixed|behaviour]
[--seeds 2] [--days 330] [--out DIR]`` (a seed takes about 3 minutes on one core, 4 with
the mechanism; the runs' rankings, and the mechanism's ``assessment`` tables, are kept in
DIR, default ``results/assessment/rd_<setting>/``, and reused when there). Writes
``rd.json`` (the tables) and ``rd.png`` / ``rd.svg`` (binned means of ``delta`` against
``x`` with the local fits) there.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import govsim  # noqa: E402
from govsim.core.io import atomic_write  # noqa: E402
from govsim.plots.style import new_figure, panel_grid, save  # noqa: E402

SCENARIO = Path(__file__).with_name("beijing_2019_ranked.yaml")
BANDWIDTH = 0.5
ROBUSTNESS = (0.25, 1.0)
SETTINGS = {
    "fixed": [],
    "behaviour": [
        "policies.0.improvement_rate=0",
        "policies.0.service_gain=0",
        "problems.enabled=true",
        "assessment.enabled=true",
    ],
}
CUTOFFS = ("rectification", "honour", "median")
SIDE = {"rectification": -1, "honour": 1, "median": 1}
"""The treated side of each cutoff: below (-1) or above (1)."""


@dataclass
class Discontinuity:
    """A local-linear RD estimate: the jump at the cutoff and its 95% interval."""

    cutoff: str
    bandwidth: float
    effect: float
    se: float
    ci_low: float
    ci_high: float
    n_left: int
    n_right: int
    clusters: int


def local_linear_rd(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    bandwidth: float,
    treated_above: bool = True,
    cutoff: str = "",
) -> Discontinuity:
    """The jump in E[y | x] at x = 0, the treated side's limit minus the other's.

    Local-linear on each side (intercept, slope, and both shifted on the treated side),
    triangular kernel ``max(0, 1 - |x| / bandwidth)``, weighted least squares, standard
    errors clustered by ``groups`` (statsmodels). ``x`` exactly 0 counts as above.
    """
    x, y, groups = np.asarray(x, float), np.asarray(y, float), np.asarray(groups)
    weight = np.clip(1.0 - np.abs(x) / bandwidth, 0.0, None)
    keep = (weight > 0) & np.isfinite(y)
    x, y, groups, weight = x[keep], y[keep], groups[keep], weight[keep]
    above = (x >= 0).astype(float)
    treated = above if treated_above else 1.0 - above
    design = np.column_stack([np.ones_like(x), treated, x, treated * x])
    _, codes = np.unique(groups, return_inverse=True)
    fit = sm.WLS(y, design, weights=weight).fit(cov_type="cluster", cov_kwds={"groups": codes})
    low, high = fit.conf_int(alpha=0.05)[1]
    return Discontinuity(
        cutoff,
        bandwidth,
        float(fit.params[1]),
        float(fit.bse[1]),
        float(low),
        float(high),
        int((x < 0).sum()),
        int((x >= 0).sum()),
        int(len(np.unique(codes))),
    )


def street_months(
    rankings: pd.DataFrame,
    seed: int,
    shares: tuple[float, float],
    true: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per ranked street and month with a next month's composite: ``delta`` and the
    running variable at each cutoff (``x_<cutoff>``, in the month's standard deviations).

    ``shares`` are the ranking's (advanced, rectification) shares, as the policy applies them.
    With ``true`` (:func:`true_composites` of this seed), ``delta_true``: next month's change
    in the true composite.
    """
    advanced_share, rectification_share = shares
    streets = rankings[rankings["unit_type"].astype(str) == "street"]
    months = sorted(streets["month"].astype(str).unique())
    composite = streets.pivot_table(index="unit", columns="month", values="composite")
    truth = (
        true.pivot_table(index="unit", columns="month", values="true_composite")
        if true is not None
        else None
    )
    rows = []
    for month, following in zip(months, months[1:], strict=False):
        ranked = streets[(streets["month"].astype(str) == month) & (streets["rank"] > 0)]
        ranked = ranked.dropna(subset=["composite"]).sort_values("rank")
        n = len(ranked)
        values = ranked["composite"].to_numpy(dtype=float)
        n_adv = int(round(n * advanced_share))
        n_rect = int(round(n * rectification_share))
        cut = {
            "honour": (values[n_adv - 1] + values[n_adv]) / 2,
            "rectification": (values[n - n_rect - 1] + values[n - n_rect]) / 2,
            "median": (values[n // 2 - 1] + values[n // 2]) / 2,
        }
        sd = float(values.std(ddof=1))
        nxt = composite[following].reindex(ranked["unit"]).to_numpy(dtype=float)
        frame = pd.DataFrame(
            {
                "seed": seed,
                "month": month,
                "unit": ranked["unit"].astype(str).to_numpy(),
                "rank": ranked["rank"].to_numpy(),
                "group": ranked["group"].astype(str).to_numpy(),
                "composite": values,
                "delta": nxt - values,
            }
        )
        for name, c in cut.items():
            frame[f"x_{name}"] = (values - c) / sd
        if truth is not None:
            now = truth.reindex(index=ranked["unit"], columns=[month, following])
            frame["delta_true"] = (now[following] - now[month]).to_numpy(dtype=float)
        rows.append(frame.dropna(subset=["delta"]))
    return pd.concat(rows, ignore_index=True)


def estimate(
    frame: pd.DataFrame, bandwidths: tuple[float, ...], outcome: str = "delta"
) -> list[Discontinuity]:
    """The RD of ``outcome`` at every cutoff and bandwidth, clustered by seed and street."""
    groups = (frame["seed"].astype(str) + "/" + frame["unit"]).to_numpy()
    return [
        local_linear_rd(
            frame[f"x_{c}"].to_numpy(),
            frame[outcome].to_numpy(),
            groups,
            h,
            treated_above=SIDE[c] > 0,
            cutoff=c,
        )
        for h in bandwidths
        for c in CUTOFFS
    ]


def run_tables(
    setting: str, seeds: list[int], days: int, folder: Path
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The runs' rankings and, with the mechanism on, their ``assessment`` tables (one run a
    seed), from ``folder`` when kept there."""
    folder.mkdir(parents=True, exist_ok=True)
    behaviour = "assessment.enabled=true" in SETTINGS[setting]
    rankings, assessed = [], []
    for seed in seeds:
        path = folder / f"rankings_seed{seed}.parquet"
        table_path = folder / f"assessment_seed{seed}.parquet"
        if not path.is_file() or (behaviour and not table_path.is_file()):
            spec = govsim.load_scenario(SCENARIO, [f"days={days}", *SETTINGS[setting]])
            result = govsim.simulate(spec, seed=seed)
            atomic_write(path, lambda p, r=result.rankings: r.to_parquet(p))
            if behaviour:
                table = result.tables["assessment"]
                atomic_write(table_path, lambda p, t=table: t.to_parquet(p))
        rankings.append(pd.read_parquet(path).assign(seed=seed))
        if behaviour:
            assessed.append(pd.read_parquet(table_path).assign(seed=seed))
    return (
        pd.concat(rankings, ignore_index=True),
        pd.concat(assessed, ignore_index=True) if assessed else None,
    )


def true_composites(assessed: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """The streets' true composite per seed and month (``assessment.parquet``): the
    ranking's weights on the response without rushes, the true fix rate and the
    satisfaction residents would have given unpressed."""
    streets = assessed[assessed["unit_type"].astype(str) == "street"]
    rates = {
        "response": streets["response_true"],
        "resolution": streets["true_fix_rate"],
        "satisfaction": streets["satisfaction_true"],
    }
    total = sum(weights.values())
    value = sum(weights.get(r, 0.0) * rates[r] for r in rates) / total
    return pd.DataFrame(
        {
            "seed": streets["seed"],
            "month": streets["month"].astype(str),
            "unit": streets["unit"].astype(str),
            "true_composite": value,
        }
    )


def table(results: list[Discontinuity], n: int) -> str:
    """The estimates as a markdown table."""
    lines = [
        f"N = {n:,} street-months; triangular kernel; SEs clustered by seed and street",
        "",
        "| cutoff | bandwidth (sd) | effect on next month's change | 95% CI | n below / above |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r.cutoff} | {r.bandwidth:g} | {r.effect:+.4f} | ({r.ci_low:+.4f}, "
            f"{r.ci_high:+.4f}) | {r.n_left} / {r.n_right} |"
        )
    return "\n".join(lines)


def figure(
    frame: pd.DataFrame,
    bandwidth: float,
    title: str,
    folder: Path,
    outcome: str = "delta",
    name: str = "rd",
) -> list[Path]:
    """Binned means of ``outcome`` against each running variable (bins of a fifth of the
    bandwidth, to twice it) and the local-linear fits within the bandwidth, saved as
    ``name``."""
    fig = new_figure(13, 4.2)
    bins = np.arange(-2 * bandwidth, 2 * bandwidth + 1e-9, bandwidth / 5)
    for ax, cutoff in zip(panel_grid(fig, len(CUTOFFS), columns=3), CUTOFFS, strict=True):
        x = frame[f"x_{cutoff}"].to_numpy()
        y = frame[outcome].to_numpy()
        inside = np.abs(x) < 2 * bandwidth
        binned = (
            pd.DataFrame({"bin": pd.cut(x[inside], bins), "x": x[inside], "y": y[inside]})
            .groupby("bin", observed=True)
            .agg(x=("x", "mean"), y=("y", "mean"), n=("y", "size"))
        )
        treated = (binned["x"] >= 0) == (SIDE[cutoff] > 0)
        ax.scatter(binned["x"], binned["y"], s=14, c=np.where(treated, "C3", "C0"), zorder=3)
        for side in (-1, 1):
            part = (np.sign(x) == side) & (np.abs(x) < bandwidth)
            if part.sum() < 3:
                continue
            w = 1 - np.abs(x[part]) / bandwidth
            slope, intercept = np.polyfit(x[part], y[part], 1, w=np.sqrt(w))
            grid = np.array([0.0, side * bandwidth])
            ax.plot(grid, intercept + slope * grid, color="black", linewidth=1.5)
        ax.axvline(0, color="grey", linestyle="--", linewidth=1)
        listed = {"rectification": "below: shame list", "honour": "above: honour list"}
        ax.set_title(f"{cutoff} cutoff ({listed.get(cutoff, 'placebo: no list')})")
        ax.set_xlabel("composite minus cutoff (month's sd)")
        ax.set_ylabel(
            f"next month's change in {'true ' if outcome == 'delta_true' else ''}composite"
        )
        ax.grid(True, alpha=0.3)
    fig.suptitle(f"{title}: binned means (red: listed side) and local-linear fits, h = {bandwidth}")
    return save(fig, folder, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=sorted(SETTINGS), default="fixed")
    parser.add_argument("--seeds", type=int, default=2, help="seeds 1..N (default 2)")
    parser.add_argument("--days", type=int, default=330)
    parser.add_argument("--out", type=Path, help="default results/assessment/rd_<setting>/")
    args = parser.parse_args()
    folder = args.out or ROOT / "results" / "assessment" / f"rd_{args.setting}"
    seeds = list(range(1, args.seeds + 1))
    rankings, assessed = run_tables(args.setting, seeds, args.days, folder)
    policy = govsim.load_scenario(SCENARIO, SETTINGS[args.setting]).policies[0]
    shares = (policy.advanced_share, policy.rectification_share)  # type: ignore[attr-defined]
    true = (
        true_composites(assessed, policy.weights)  # type: ignore[attr-defined]
        if assessed is not None
        else None
    )
    frame = pd.concat(
        [
            street_months(r, seed, shares, None if true is None else true[true["seed"] == seed])
            for seed, r in rankings.groupby("seed")
        ],
        ignore_index=True,
    )
    results = estimate(frame, (BANDWIDTH, *ROBUSTNESS))
    print(f"setting: {args.setting}; seeds {seeds}, {args.days} days")
    print(table(results, len(frame)))
    figure(frame, BANDWIDTH, f"RD at the ranking's cutoffs ({args.setting})", folder)
    data = {
        "setting": args.setting,
        "seeds": seeds,
        "days": args.days,
        "street_months": len(frame),
        "bandwidth": BANDWIDTH,
        "estimates": [asdict(r) for r in results],
    }
    if true is not None:  # not pre-registered: what the lists do to true performance
        rows = frame.dropna(subset=["delta_true"])
        truly = estimate(rows, (BANDWIDTH, *ROBUSTNESS), outcome="delta_true")
        print("\nExploratory (not pre-registered): next month's change in the true composite")
        print(table(truly, len(rows)))
        title = f"RD of the true composite ({args.setting}, exploratory)"
        figure(rows, BANDWIDTH, title, folder, outcome="delta_true", name="rd_true")
        data["true_street_months"] = len(rows)
        data["true_estimates"] = [asdict(r) for r in truly]
    atomic_write(
        folder / "rd.json",
        lambda p: Path(p).write_text(json.dumps(data, indent=2) + "\n", "utf-8"),
    )


if __name__ == "__main__":
    main()
