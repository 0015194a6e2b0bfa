"""The warm-up figure: open cases over time in every replication, to choose the warm-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from govsim.experiments.analysis import backlog_curves

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_warmup(series: pd.DataFrame, tier: str = "city", ax: Axes | None = None) -> Axes:
    """Open cases over time, every replication thin and the mean thick, per variant.

    Choose the warm-up where the mean curve stops trending.
    """
    import matplotlib.pyplot as plt

    curves = backlog_curves(series, tier)
    ax = ax or plt.subplots(figsize=(8, 4.5))[1]
    for i, variant in enumerate(curves.columns.get_level_values(0).unique()):
        block = curves[variant] / 1.0
        colour = f"C{i}"
        ax.plot(block.index / 24, block.to_numpy(), color=colour, alpha=0.25, linewidth=0.8)
        ax.plot(
            block.index / 24,
            block.mean(axis=1),
            color=colour,
            linewidth=2,
            label=f"{variant} (mean)",
        )
    ax.set_xlabel("time (days)")
    ax.set_ylabel(f"open cases ({tier})")
    ax.set_title("Backlog across replications: choose the warm-up where the mean levels off")
    ax.legend()
    return ax
