"""Scenario discovery: PRIM's peeling trade-off (coverage against density)."""

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


def peeling_figure(trajectory: pd.DataFrame, label: str) -> Figure:
    fig = new_figure(7, 5)
    ax = fig.subplots()
    plot_peeling(trajectory, ax)
    ax.set_title(f"PRIM peeling trajectory: {label}")
    return fig
