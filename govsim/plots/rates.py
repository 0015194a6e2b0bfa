"""The three rates (response, resolution, satisfaction) per month and variant, with 95% bands."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from govsim.plots.frames import band, month_label, variant_order, whole_months, with_keys
from govsim.plots.style import axes_or_new, colours

RATES = {
    "response_rate": "Response rate",
    "resolution_rate": "Resolution rate",
    "satisfaction_rate": "Satisfaction rate",
}


def monthly_rates(kpis: pd.DataFrame, rate: str, unit_type: str = "city") -> pd.DataFrame:
    """Mean and 95% band of ``rate`` (in %) per variant and month, across replications."""
    rows = with_keys(kpis[kpis["unit_type"].astype(str) == unit_type], "run")
    rows = rows.assign(percent=100.0 * rows[rate].astype(float), month=rows["month"].astype(str))
    return band(rows, ["variant", "month"], value="percent")


def plot_rate(
    kpis: pd.DataFrame,
    rate: str = "satisfaction_rate",
    *,
    ax: Axes | None = None,
    variants: list[str] | None = None,
    legend: bool = True,
) -> Axes:
    """One of the three rates per month of creation: a point per variant with its 95% interval.

    ``kpis`` is a run's ``kpis.parquet`` (or rows with variant/replication columns).
    Variants are offset a little along the month axis so their intervals do not overlap.
    Months the run covers only in part are left out, or, when no month is whole, labelled
    with their days in the run and drawn with hollow markers.
    """
    kpis, partial = whole_months(kpis)
    stats = monthly_rates(kpis, rate)
    ax = axes_or_new(ax)
    months = sorted(stats["month"].unique())
    order = variant_order(stats, variants)
    palette = colours(variant_order(with_keys(kpis, "run"), variants))
    width = 0.6 / max(len(order), 1)
    for i, variant in enumerate(order):
        part = stats[stats["variant"] == variant].set_index("month").reindex(months)
        x = np.arange(len(months)) + (i - (len(order) - 1) / 2) * width
        mean = part["mean"].to_numpy(dtype=float)
        low = part["low"].to_numpy(dtype=float)
        high = part["high"].to_numpy(dtype=float)
        has_band = np.isfinite(low) & np.isfinite(high)
        err = np.vstack([np.where(has_band, mean - low, 0.0), np.where(has_band, high - mean, 0.0)])
        ax.errorbar(
            x,
            mean,
            yerr=err,
            color=palette[variant],
            marker="o",
            markersize=4,
            markerfacecolor="none" if partial else palette[variant],
            capsize=3,
            linewidth=1.2,
            label=variant,
        )
    readable_span(ax, stats)
    ax.set_xticks(range(len(months)), [month_label(m, partial) for m in months])
    ax.set_xlim(-0.6, len(months) - 0.4)
    ax.set_title(f"{RATES.get(rate, rate)} per month")
    ax.set_xlabel("month of appeal")
    ax.set_ylabel(f"{RATES.get(rate, rate).lower()} (%)")
    if legend:
        ax.legend(fontsize="small")
    return ax


MIN_SPAN = 5.0
"""Percentage points the rate axis spans at least, so a tenth of a point does not look like a
cliff."""


def readable_span(ax: Axes, stats: pd.DataFrame) -> None:
    values = stats[["mean", "low", "high"]].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return
    low, high = float(values.min()), float(values.max())
    if high - low < MIN_SPAN:
        middle = (low + high) / 2
        low, high = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
        if high > 100:
            low, high = low - (high - 100), 100.0
        pad = 0.05 * (high - low)
        ax.set_ylim(max(low - pad, 0.0), min(high + pad, 100.0 + pad))
