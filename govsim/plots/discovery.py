"""Scenario discovery: PRIM's peeling trade-off (coverage against density) and the chosen box."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from govsim.plots.style import axes_or_new, new_figure


def plot_peeling(trajectory: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Each box on PRIM's peeling trajectory: coverage (x) against density (y), coloured by
    the number of restricted parameters; the chosen box ringed."""
    ax = axes_or_new(ax)
    points = ax.scatter(
        trajectory["coverage"],
        trajectory["density"],
        c=trajectory["res_dim"],
        cmap="viridis",
        s=22,
        zorder=2,
    )
    ax.plot(trajectory["coverage"], trajectory["density"], color="0.7", linewidth=0.8, zorder=1)
    if "chosen" in trajectory:
        chosen = trajectory[trajectory["chosen"]]
        ax.scatter(
            chosen["coverage"],
            chosen["density"],
            s=140,
            facecolors="none",
            edgecolors="C3",
            linewidths=1.5,
            zorder=3,
            label=f"chosen box {int(chosen['box'].iloc[0])}",
        )
        ax.legend(loc="lower left")
    top = int(trajectory["res_dim"].max()) if len(trajectory) else 0
    ax.figure.colorbar(points, ax=ax, label="restricted parameters", ticks=range(top + 1))
    ax.set_xlabel("coverage (share of all cases of interest inside the box)")
    ax.set_ylabel("density (share of the box that is of interest)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    return ax


def plot_box(box: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """The chosen box: per parameter its sampled range (grey) and the box's limits (coloured,
    labelled; whole numbers for head counts), each on a scale of its own range."""
    ax = axes_or_new(ax)
    rows = box.reset_index(drop=True)
    for i, (_, b) in enumerate(rows.iterrows()):
        y = len(rows) - 1 - i  # first parameter on top
        span = float(b["high"] - b["low"]) or 1.0
        lo, hi = (float(b["min"]) - b["low"]) / span, (float(b["max"]) - b["low"]) / span
        ax.plot([0, 1], [y, y], color="0.8", linewidth=6, solid_capstyle="butt", zorder=1)
        ax.plot(
            [lo, hi],
            [y, y],
            color="C3" if b["restricted"] else "C0",
            linewidth=6,
            solid_capstyle="butt",
            zorder=2,
        )
        labels = (  # the box's limits above the bar, the sampled range's ends below, greyed
            (b["min"], lo, 7, 8, None),
            (b["max"], hi, 7, 8, None),
            (b["low"], 0.0, -12, 7, "0.45"),
            (b["high"], 1.0, -12, 7, "0.45"),
        )
        for value, x, dy, size, colour in labels:
            ax.annotate(
                f"{value:.4g}",
                (x, y),
                xytext=(0, dy),
                textcoords="offset points",
                ha="center",
                fontsize=size,
                color=colour,
            )
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(list(rows["parameter"])[::-1], fontsize=8)
    ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.set_xlim(-0.08, 1.08)
    ax.set_xticks([])
    ax.set_xlabel("share of each parameter's sampled range (grey); the box (red: restricted)")
    return ax


def peeling_figure(trajectory: pd.DataFrame, label: str, box: pd.DataFrame | None = None) -> Figure:
    """The peeling trade-off; with ``box``, beside it the chosen box's limits."""
    if box is None or box.empty:
        fig = new_figure(7, 5)
        ax = fig.subplots()
    else:
        fig = new_figure(12, 5)
        ax, side = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        plot_box(box, side)
        chosen = (
            int(trajectory.loc[trajectory["chosen"], "box"].iloc[0])
            if "chosen" in trajectory
            else None
        )
        side.set_title(f"chosen box {chosen}" if chosen is not None else "chosen box")
    plot_peeling(trajectory, ax)
    ax.set_title(f"PRIM peeling trajectory: {label}")
    return fig
