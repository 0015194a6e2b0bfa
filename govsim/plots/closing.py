"""Time to close: distributions per variant and urgency class, with the class's time limit
marked."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from govsim.plots.frames import variant_order, with_keys
from govsim.plots.style import axes_or_new, colours
from govsim.scenario.schema import Scenario

MAX_POINTS = 400


def closed_hours(frame: pd.DataFrame, work_orders_only: bool = True) -> pd.DataFrame:
    """Closed cases with ``hours`` to close, from a cases table or case views' ``closed`` table.

    ``work_orders_only`` drops consultations answered at the hotline, which close in minutes
    and are not subject to the time limits.
    """
    if "hours" not in frame.columns:
        done = frame[frame["status"].astype(str) == "closed"]
        frame = done.assign(hours=done["closed"] - done["created"])
    frame = with_keys(frame, "run")
    if work_orders_only:
        frame = frame[frame["final_tier"].astype(str) != "hotline"]
    return frame.assign(urgency=frame["urgency"].astype(str))


def limits_of(scenario: Scenario) -> dict[str, float]:
    """Time limit (hours) of each urgency class, for response and feedback."""
    return {name: float(u.limit_hours) for name, u in scenario.urgency_classes.items()}


def plot_time_to_close(
    frame: pd.DataFrame,
    urgency: str,
    limit_hours: float | None = None,
    *,
    ax: Axes | None = None,
    variants: list[str] | None = None,
    legend: bool = True,
) -> Axes:
    """Cumulative share of work orders of ``urgency`` closed within x hours, one line per variant.

    The dashed vertical line is the class's time limit; each legend entry gives the share
    closed within it. Cases of every replication are pooled.
    """
    cases = closed_hours(frame)
    ax = axes_or_new(ax)
    palette = colours(variant_order(cases, variants))
    rows = cases[cases["urgency"] == urgency]
    for variant in variant_order(rows, variants):
        hours = np.sort(rows.loc[rows["variant"] == variant, "hours"].to_numpy(dtype=float))
        hours = np.maximum(hours, 1e-2)  # a log axis has no zero
        n = len(hours)
        share = np.arange(1, n + 1) / max(n, 1)
        label = f"{variant} (n={n:,})"
        if limit_hours is not None and n:
            label = f"{variant}: {100 * np.mean(hours <= limit_hours):.1f}% within limit"
        if n > MAX_POINTS:  # the curve at evenly spaced shares: small, fast SVGs
            share = np.linspace(1 / MAX_POINTS, 1.0, MAX_POINTS)
            hours = np.quantile(hours, share, method="inverted_cdf")
        ax.step(
            hours, 100 * share, where="post", color=palette[variant], linewidth=1.5, label=label
        )
    if limit_hours is not None:
        ax.axvline(
            limit_hours,
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"limit {limit_hours:g} h",
        )
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_ylim(0, 101)
    ax.set_title(f"Time to close: {urgency} work orders")
    ax.set_xlabel("hours from appeal to closing (log scale)")
    ax.set_ylabel("closed within (% of closed)")
    ax.grid(True, which="major", alpha=0.3)
    if legend:
        ax.legend(fontsize="small", loc="upper left")  # an ECDF leaves the upper left empty
    return ax
