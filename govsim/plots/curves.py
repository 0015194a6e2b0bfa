"""Outcome curves over time: backlog per tier, arrivals and closures per day, with 95% bands."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from govsim.plots.frames import band, daily_flows, tidy_timeseries, variant_order
from govsim.plots.style import TIER_ORDER, axes_or_new, colours

TIER_TITLES = {
    "city": "whole city",
    "hotline": "12345 hotline",
    "dispatch": "orders in transit",
    "grid": "grids",
    "street": "streets / townships",
    "district": "districts",
    "department": "departments",
}


def draw_band(ax: Axes, x: pd.Series, stats: pd.DataFrame, colour: str, label: str) -> None:
    """A mean line with its shaded band (no band where it is undefined)."""
    ax.plot(x, stats["mean"], color=colour, linewidth=1.6, label=label)
    if stats["low"].notna().any():
        ax.fill_between(x, stats["low"], stats["high"], color=colour, alpha=0.2, linewidth=0)


def plot_backlog(
    timeseries: pd.DataFrame,
    tier: str = "city",
    *,
    ax: Axes | None = None,
    variants: list[str] | None = None,
    warmup_days: float = 0.0,
    legend: bool = True,
) -> Axes:
    """Open cases over time at ``tier``: one line per variant, the mean with a 95% band.

    ``timeseries`` is a run's ``timeseries.parquet`` or an experiment's (long) one.
    """
    tidy = tidy_timeseries(timeseries)
    rows = tidy[(tidy["tier"] == tier) & (tidy["metric"] == "open")]
    ax = axes_or_new(ax)
    order = variant_order(rows, variants)
    palette = colours(variant_order(tidy, variants))
    stats = band(rows, ["variant", "time"])
    for variant in order:
        part = stats[stats["variant"] == variant].sort_values("time")
        draw_band(ax, part["time"] / 24.0, part, palette[variant], variant)
    if warmup_days > 0:
        ax.axvspan(
            0, warmup_days, color="0.85", alpha=0.6, linewidth=0, label="warm-up (not in outcomes)"
        )
    ax.set_title(f"Backlog: {TIER_TITLES.get(tier, tier)}")
    ax.set_xlabel("time (days)")
    ax.set_ylabel("open cases")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    if legend:
        ax.legend(fontsize="small")
    return ax


def backlog_tiers(timeseries: pd.DataFrame) -> list[str]:
    """Tiers present in a time series, city first, then hotline down to department."""
    present = set(tidy_timeseries(timeseries)["tier"])
    return [t for t in TIER_ORDER if t in present] + sorted(present - set(TIER_ORDER))


def plot_daily_flow(
    timeseries: pd.DataFrame,
    metric: str = "arrived",
    *,
    ax: Axes | None = None,
    variants: list[str] | None = None,
    legend: bool = True,
) -> Axes:
    """City-wide cases ``arrived`` (created) or ``closed`` per day: mean per variant with a 95%
    band."""
    tidy = tidy_timeseries(timeseries)
    flows = daily_flows(tidy)
    rows = flows[flows["metric"] == metric]
    ax = axes_or_new(ax)
    palette = colours(variant_order(tidy, variants))
    stats = band(rows, ["variant", "day"])
    for variant in variant_order(rows, variants):
        part = stats[stats["variant"] == variant].sort_values("day")
        draw_band(ax, part["day"], part, palette[variant], variant)
    what = "Appeals created" if metric == "arrived" else "Cases closed"
    ax.set_title(f"{what} per day (whole city)")
    ax.set_xlabel("day of the run")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("cases per day")
    ax.set_ylim(bottom=0)
    if legend:
        ax.legend(fontsize="small")
    return ax
