"""The summary table printed at the end of ``govsim run``."""

from __future__ import annotations

from typing import Any


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
