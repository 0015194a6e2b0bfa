"""The tables printed at the end of ``govsim run`` and ``govsim experiment run``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import pandas as pd

from govsim.results.settling import after as settled_after
from govsim.results.units import METRICS, metric_style, short_unit


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
        f"   p90 {_hours(ttc['p90'])}   p99 {_hours(ttc['p99'])}   (closed cases)",
        *_censoring_lines(summary),
        "",
        "  tier          closed here   staff utilisation",
    ]
    for tier, share in summary["share_closed_by_tier"].items():
        lines.append(
            f"  {tier:<12}  {_pct(share):>11}   {_pct(summary['utilisation'].get(tier)):>17}"
        )
    lines += _equity_lines(summary)
    perf = summary["performance"]
    lines += [
        "",
        f"  {perf['cases_per_wall_second'] or 0:,.0f} cases per wall second "
        f"({perf['wall_seconds']:.2f} s)",
    ]
    return "\n".join(lines)


def _equity_lines(summary: dict[str, Any]) -> list[str]:
    """The most backlogged street against the median street, and the spread of time to close
    across streets (absent for a summary written before the equity block)."""
    block = summary.get("equity")
    if not block or block["most_backlogged"]["street"] is None:
        return []
    top, ttc = block["most_backlogged"], block["time_to_close"]

    def times(ratio: float | None) -> str:
        return "n/a" if ratio is None else f"{ratio:.2f}x"

    def index(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    return [
        "",
        f"  most backlogged    {top['street']}: {top['open_at_end']:,} work orders open at end "
        f"({times(top['open_over_median'])} the median street's), median time to close "
        f"{times(top['time_to_close_over_median'])} the median street's",
        f"  across streets     median time to close: Gini {index(ttc['gini'])}, worst decile "
        f"{times(ttc['worst_decile_over_median'])} the median ({ttc['streets']} streets, "
        f"{ttc['excluded']} with under {block['min_closed']} closed left out)",
    ]


def _censoring_lines(summary: dict[str, Any]) -> list[str]:
    """What the closed-only time to close leaves out, and whether the backlog settled (lines
    absent for a summary written before they were)."""
    lines = []
    censored = summary.get("time_to_close_censoring")
    if censored:
        ages = censored["open_age_hours"]
        lines += [
            f"  still open at end  {_pct(censored['open_share'])} of cases created   ages: mean "
            f"{_hours(ages['mean'])}   p90 {_hours(ages['p90'])}   max {_hours(ages['max'])}",
            f"  restricted mean    {_hours(censored['restricted_mean_hours'])}   (Kaplan-Meier, "
            f"open cases censored, to {censored['restricted_to_hours']:g} h)",
        ]
    settling = summary.get("settling")
    if settling and settling["settled"] is not None:
        after = settled_after(settling["warmup_hours"])
        if settling["settled"]:
            lines.append(f"  backlog            settled (no tier's backlog grows {after})")
        else:
            growing = ", ".join(
                f"{tier} +{settling['tiers'][tier]['slope_per_day']:.1f} a day"
                for tier in settling["growing"]
            )
            lines.append(
                f"  backlog            NOT SETTLED: it grows {after} ({growing}); time to "
                "close depends on the horizon"
            )
    return lines


def format_experiment(
    summary: pd.DataFrame, variants: Sequence[str], outcomes: Sequence[str]
) -> str:
    """The table printed at the end of ``govsim experiment run``: one row per outcome, one
    column per variant in the experiment's order, each cell the mean and its 95% CI.

    With several samples (a sweep) a cell is the mean over the samples, without a CI (the
    samples differ by design; ``summary.parquet`` and ``sweep.parquet`` hold each one).
    Each row names its unit; shares are shown in %. The ``settled`` row (measured beside any
    time to close) gives each variant's verdict (:func:`govsim.results.settling.by_variant`),
    and a variant whose backlog does not settle is named below the table.
    """
    from govsim.results.settling import by_variant as settling

    if summary.empty:
        return "no finished runs"
    table = summary.assign(variant=summary["variant"].astype(str))
    samples = table["sample"].nunique()
    columns = [v for v in variants if v in set(table["variant"])]
    present = set(table["metric"])
    rows = [m for m in outcomes if m in present]
    rows += [m for m in ("open_share", "settled") if m in present and m not in rows]
    cells: dict[tuple[str, str], str] = {}
    for key, group in table.groupby(["variant", "metric"], sort=False):
        variant, metric = (str(part) for part in cast(tuple[str, str], key))
        scale = metric_style(metric).scale
        mean = float(group["mean"].mean()) * scale
        if samples > 1:
            cells[variant, metric] = _number(mean)
        else:
            half = float(group["half_width"].iloc[0]) * scale
            n = int(group["n"].iloc[0])
            spread = f"± {_number(half)}" if math.isfinite(half) else f"(n={n})"
            cells[variant, metric] = f"{_number(mean)} {spread}"
    verdicts = settling(table)
    unsettled: dict[str, str] = {}
    for name, group in verdicts.groupby("variant", sort=False):
        bad = group[~group["settled"]]
        runs, growing = int(group["runs"].sum()), int(group["growing"].sum())
        cells[str(name), "settled"] = (
            f"no: {growing} of {runs} runs grow" if len(bad) else f"yes ({growing} of {runs} grow)"
        )
        if len(bad):
            unsettled[str(name)] = f"{growing} of {runs} runs"
    what = (
        "mean ± 95% CI half-width"
        if samples == 1
        else f"mean over {samples} samples (per-sample CIs in summary.parquet)"
    )
    labels = {m: _row_label(m) for m in rows}
    width = max(len(label) for label in labels.values()) if rows else 6
    col = {v: max(len(v), *(len(cells.get((v, m), "")) for m in rows)) for v in columns}
    lines = [
        what,
        " " * width + "  " + "  ".join(f"{v:>{col[v]}}" for v in columns),
    ]
    for metric in rows:
        lines.append(
            f"{labels[metric]:<{width}}  "
            + "  ".join(f"{cells.get((v, metric), 'n/a'):>{col[v]}}" for v in columns)
        )
    for variant in (v for v in columns if v in unsettled):
        lines.append(
            f"NOT SETTLED: {variant}: the backlog grows in {unsettled[variant]}, more than "
            "false alarms explain; its time to close (closed cases) depends on the horizon"
        )
    return "\n".join(lines)


def _row_label(metric: str) -> str:
    """An outcome's name with its unit (shares in %)."""
    if metric == "settled":
        return "settled (backlog stops growing)"
    style = metric_style(metric)
    return metric if metric not in METRICS else f"{metric} ({short_unit(style)})"


def _number(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.3f}" if abs(x) < 1000 else f"{x:,.1f}"
