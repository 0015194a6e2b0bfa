"""Deadline bunching: closures' times to close over their limit, around the limit
(:mod:`govsim.results.bunching`)."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

from govsim.plots.closing import closed_hours
from govsim.plots.frames import variant_order
from govsim.plots.style import axes_or_new, colours
from govsim.results.bunching import (
    BIN_WIDTH,
    WINDOW,
    bunching,
    counterfactual,
    deadline_ratios,
    histogram,
)


def plot_bunching(
    frame: pd.DataFrame,
    urgency: str,
    limit_hours: float,
    *,
    ax: Axes | None = None,
    variants: list[str] | None = None,
    legend: bool = True,
) -> Axes:
    """Closed work orders of ``urgency`` per bin of time to close over the limit, one line
    per variant (replications pooled), with the smooth counterfactual dashed and the window
    before the limit shaded; each legend entry gives the excess mass there."""
    ratios = deadline_ratios(closed_hours(frame), {urgency: limit_hours})
    ax = axes_or_new(ax)
    palette = colours(variant_order(ratios, variants))
    for variant in variant_order(ratios, variants):
        rows = ratios[ratios["variant"] == variant]
        runs = max(1, len(rows.groupby(["sample", "replication"])))
        centres, counts = histogram(rows["ratio"].to_numpy())
        b = bunching(rows["ratio"].to_numpy())
        ax.step(
            centres,
            counts / runs,
            where="mid",
            color=palette[variant],
            linewidth=1.5,
            label=f"{variant}: excess {_percent(b.excess)} (n={b.closures:,})",
        )
        smooth = counterfactual(centres, counts)
        ax.plot(centres, smooth / runs, color=palette[variant], linestyle="--", linewidth=1)
    ax.axvspan(1 - WINDOW, 1, color="grey", alpha=0.15, linewidth=0)
    ax.axvline(1, color="black", linestyle="--", linewidth=1, label=f"limit {limit_hours:g} h")
    ax.set_title(f"Closures around the limit: {urgency} work orders")
    ax.set_xlabel("time to close / limit")
    ax.set_ylabel(f"closures per bin of {BIN_WIDTH:g} (per run)")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    if legend:
        ax.legend(fontsize="small", loc="upper right")
    return ax


def _percent(value: float) -> str:
    return f"{100 * value:+.0f}%" if value == value else "n/a"
