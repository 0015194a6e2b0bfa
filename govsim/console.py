"""The tables printed at the end of ``govsim run`` and ``govsim experiment run``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import pandas as pd


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:5.1f} %"


def _hours(x: float | None) -> str:
    return "n/a" if x is None else f"{x:8.1f} h"


def format_summary(summary: dict[str, Any]) -> str:
    rates = summary["rates"]
    ttc = summary["time_to_close_hours"]
    lines = [
        f"govsim run: {summary['scenario']} (seed {summary['seed']}, {summary['days']:g} days)",
        "",
        f"  cases created      {summary['created']:>10,}   (repeat appeals "
        f"{summary['repeat_cases']:,})",
        f"  closed             {summary['closed']:>10,}",
        f"  abandoned calls    {summary['abandoned']:>10,}",
        f"  open at end        {summary['open_at_end']:>10,}",
        "",
        f"  response rate      {_pct(rates['response'])}",
        f"  resolution rate    {_pct(rates['resolution'])}   ({rates['valid_callbacks']:,} valid "
        f"callbacks)",
        f"  satisfaction rate  {_pct(rates['satisfaction'])}",
        "",
        f"  time to close      mean {_hours(ttc['mean'])}   p50 {_hours(ttc['p50'])}"
        f"   p90 {_hours(ttc['p90'])}   p99 {_hours(ttc['p99'])}",
        "",
        "  tier          closed here   staff utilisation",
    ]
    for tier, share in summary["share_closed_by_tier"].items():
        lines.append(
            f"  {tier:<12}  {_pct(share):>11}   {_pct(summary['utilisation'].get(tier)):>17}"
        )
    perf = summary["performance"]
    lines += [
        "",
        f"  {perf['cases_per_wall_second'] or 0:,.0f} cases per wall second "
        f"({perf['wall_seconds']:.2f} s)",
    ]
    return "\n".join(lines)


def format_experiment(
    summary: pd.DataFrame, variants: Sequence[str], outcomes: Sequence[str]
) -> str:
    """The table printed at the end of ``govsim experiment run``: one row per outcome, one
    column per variant in the experiment's order, each cell the mean and its 95% CI.

    With several samples (a sweep) a cell is the mean over the samples, without a CI (the
    samples differ by design; ``summary.parquet`` and ``sweep.parquet`` hold each one).
    """
    if summary.empty:
        return "no finished runs"
    table = summary.assign(variant=summary["variant"].astype(str))
    samples = table["sample"].nunique()
    columns = [v for v in variants if v in set(table["variant"])]
    rows = [m for m in outcomes if m in set(table["metric"])]
    cells: dict[tuple[str, str], str] = {}
    for key, group in table.groupby(["variant", "metric"], sort=False):
        variant, metric = (str(part) for part in cast(tuple[str, str], key))
        mean = float(group["mean"].mean())
        if samples > 1:
            cells[variant, metric] = _number(mean)
        else:
            half = float(group["half_width"].iloc[0])
            n = int(group["n"].iloc[0])
            spread = f"± {_number(half)}" if math.isfinite(half) else f"(n={n})"
            cells[variant, metric] = f"{_number(mean)} {spread}"
    what = (
        "mean ± 95% CI half-width"
        if samples == 1
        else f"mean over {samples} samples (per-sample CIs in summary.parquet)"
    )
    width = max(len(m) for m in rows) if rows else 6
    col = {v: max(len(v), *(len(cells.get((v, m), "")) for m in rows)) for v in columns}
    lines = [
        what,
        " " * width + "  " + "  ".join(f"{v:>{col[v]}}" for v in columns),
    ]
    for metric in rows:
        lines.append(
            f"{metric:<{width}}  "
            + "  ".join(f"{cells.get((v, metric), 'n/a'):>{col[v]}}" for v in columns)
        )
    return "\n".join(lines)


def _number(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.3f}" if abs(x) < 1000 else f"{x:,.1f}"
