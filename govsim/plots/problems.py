"""Reported against true: the resolution rate residents report and the problems really fixed.

In a run with problems, a case can be closed (and reported resolved at the callback)
while its problem stays; the true fix rate counts the closed cases of problems whose
handling really fixed the problem. Drawn per month of appeal, city-wide, with 95% bands
across replications. The two lines are over different cases (the resolution rate over every
valid callback, consultations included; the true fix rate over closed cases of problems),
so the gap between them is not the ``resolution_gap`` of the summary, which compares both
shares over closed problem cases with a valid callback. Months the run covers only in part
follow the rule of the other monthly figures (:func:`govsim.plots.frames.whole_months`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from govsim.plots.frames import month_label, variant_order, whole_months, with_keys
from govsim.plots.rates import monthly_rates, readable_span
from govsim.plots.style import axes_or_new, colours

LINES = {"resolution_rate": ("reported resolution", "-"), "true_fix_rate": ("true fix", "--")}


def has_problems(kpis: pd.DataFrame | None) -> bool:
    """Whether ``kpis`` come from a run with problems (some closed case had one)."""
    return (
        kpis is not None
        and "problem_cases" in kpis.columns
        and bool((kpis["problem_cases"].fillna(0) > 0).any())
    )


def plot_reported_vs_true(
    kpis: pd.DataFrame,
    *,
    ax: Axes | None = None,
    variants: list[str] | None = None,
    legend: bool = True,
) -> Axes:
    """City-wide reported resolution rate (solid) and true fix rate (dashed) per month.

    Months the run covers only in part are left out, or, when no month is whole, labelled
    with their days in the run and drawn with hollow markers (as :func:`plot_rate`)."""
    kpis, partial = whole_months(kpis)
    ax = axes_or_new(ax)
    palette = colours(variant_order(with_keys(kpis, "run"), variants))
    months: list[str] = sorted(kpis["month"].astype(str).unique())
    drawn = []
    for rate, (label, style) in LINES.items():
        stats = monthly_rates(kpis, rate)
        drawn.append(stats)
        for variant in variant_order(stats, variants):
            part = stats[stats["variant"] == variant].set_index("month").reindex(months)
            x = np.arange(len(months))
            ax.plot(
                x,
                part["mean"].to_numpy(dtype=float),
                linestyle=style,
                marker="o",
                markersize=3,
                markerfacecolor="none" if partial else palette[variant],
                color=palette[variant],
                label=f"{variant}: {label}" if len(palette) > 1 else label,
            )
            low, high = part["low"].to_numpy(dtype=float), part["high"].to_numpy(dtype=float)
            if np.isfinite(low).any():
                ax.fill_between(x, low, high, color=palette[variant], alpha=0.12, linewidth=0)
    readable_span(ax, pd.concat(drawn, ignore_index=True))
    ax.set_xticks(range(len(months)), [month_label(m, partial) for m in months])
    ax.set_xlim(-0.6, len(months) - 0.4)
    ax.set_ylabel("rate (%)")
    ax.set_xlabel("month of appeal")
    ax.set_title("Reported resolution against problems really fixed")
    if legend:
        ax.legend(fontsize=8)
    return ax
