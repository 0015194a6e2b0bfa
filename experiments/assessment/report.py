"""The trade-off table of the assessment experiment (experiments/assessment.yaml; issue 28).

Reads a finished run of the experiment (``results.parquet`` and ``samples.parquet``) and
prints, as markdown:

1. per design (variant) and pressure (``assessment.sensitivity``): the measured rates,
   the true fix share, the Goodhart gaps (measured minus true) and the gaming actions per
   1,000 orders, mean and 95% t interval over the replications;
2. what audits buy: the paired difference, audits minus none, for each weighting and
   pressure (the same replications: common random numbers);
3. what pressure does: the paired difference from the lowest pressure (sensitivity 0),
   per design.

Usage: ``python experiments/assessment/report.py [results/assessment-designs]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from statsmodels.stats.weightstats import DescrStatsW

PRESSURE = "assessment.sensitivity"
COLUMNS = {
    "resolution_rate": ("measured resolution", 100),
    "truly_fixed_share": ("truly fixed", 100),
    "goodhart_resolution_gap": ("resolution gap", 100),
    "satisfaction_rate": ("measured satisfaction", 100),
    "goodhart_satisfaction_gap": ("satisfaction gap", 100),
    "goodhart_response_gap": ("response gap", 100),
    "gaming_actions_per_1000_orders": ("gaming per 1,000 orders", 1),
}
"""Outcome -> (heading, scale): rates and gaps in % (points), gaming as it is."""
AUDITS = {"formula": "formula_audits", "even": "even_audits"}


def load(folder: Path) -> pd.DataFrame:
    """One row per run and outcome, with the run's pressure."""
    results = pd.read_parquet(folder / "results.parquet")
    samples = pd.read_parquet(folder / "samples.parquet")[["sample", PRESSURE]]
    frame = results.merge(samples, on="sample")
    frame["variant"] = frame["variant"].astype(str)
    frame["metric"] = frame["metric"].astype(str)
    return frame[frame["metric"].isin(COLUMNS)]


def _cell(values: pd.Series, scale: float) -> str:
    x = values.dropna().to_numpy(dtype=float) * scale
    if len(x) < 2:
        return f"{x.mean():.1f}" if len(x) else ""
    low, high = DescrStatsW(x).tconfint_mean()
    return f"{x.mean():.1f} ({low:.1f}, {high:.1f})"


def levels(frame: pd.DataFrame) -> str:
    """Table 1: each outcome per design and pressure."""
    head = " | ".join(h for h, _ in COLUMNS.values())
    lines = [f"| design | pressure | {head} |", "| --- | ---: |" + " --- |" * len(COLUMNS)]
    for (variant, pressure), runs in frame.groupby(["variant", PRESSURE], sort=False):
        cells = [
            _cell(runs.loc[runs["metric"] == m, "value"], scale)
            for m, (_, scale) in COLUMNS.items()
        ]
        lines.append(f"| {variant} | {pressure:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _diff_cells(diff: pd.Series) -> list[str]:
    """The cells of paired differences indexed by (replication, metric)."""
    present = set(diff.index.get_level_values("metric"))
    return [
        _cell(diff.xs(m, level="metric"), scale) if m in present else ""
        for m, (_, scale) in COLUMNS.items()
    ]


def _values(frame: pd.DataFrame, variant: str, pressure: float) -> pd.Series:
    runs = frame[(frame["variant"] == variant) & (frame[PRESSURE] == pressure)]
    return runs.set_index(["replication", "metric"])["value"]


def audit_effects(frame: pd.DataFrame) -> str:
    """Table 2: audits minus none, per weighting and pressure (same replications)."""
    head = " | ".join(h for h, _ in COLUMNS.values())
    lines = [f"| weights | pressure | {head} |", "| --- | ---: |" + " --- |" * len(COLUMNS)]
    for none, audited in AUDITS.items():
        for pressure in sorted(frame[PRESSURE].unique()):
            diff = (_values(frame, audited, pressure) - _values(frame, none, pressure)).dropna()
            lines.append(f"| {none} | {pressure:g} | " + " | ".join(_diff_cells(diff)) + " |")
    return "\n".join(lines)


def pressure_effects(frame: pd.DataFrame) -> str:
    """Table 3: each pressure level minus no pressure, per design (same replications)."""
    head = " | ".join(h for h, _ in COLUMNS.values())
    lines = [f"| design | pressure | {head} |", "| --- | ---: |" + " --- |" * len(COLUMNS)]
    for variant in frame["variant"].unique():
        pressures = sorted(frame.loc[frame["variant"] == variant, PRESSURE].unique())
        for pressure in pressures[1:]:
            diff = _values(frame, variant, pressure) - _values(frame, variant, pressures[0])
            lines.append(
                f"| {variant} | {pressure:g} | " + " | ".join(_diff_cells(diff.dropna())) + " |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", default=Path("results/assessment-designs"))
    args = parser.parse_args()
    if not (args.folder / "results.parquet").is_file():
        sys.exit(f"{args.folder}: no results.parquet (run the experiment first)")
    frame = load(args.folder)
    runs = frame.groupby(["variant", PRESSURE])["replication"].nunique().min()
    print(f"Rates and gaps in % (points); mean (95% CI) over {runs} replications.\n")
    print("Levels\n")
    print(levels(frame))
    print("\nAudits (10% of closures, one rank group) minus none, same replications\n")
    print(audit_effects(frame))
    print("\nPressure minus the lowest (sensitivity 0), same replications\n")
    print(pressure_effects(frame))


if __name__ == "__main__":
    main()
