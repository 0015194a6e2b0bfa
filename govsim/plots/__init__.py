"""Figures of runs and experiments: plot functions that take DataFrames and return Axes.

Each function draws one panel on ``ax`` (a new figure if omitted), so a researcher can
restyle and combine them; :func:`make_figures` draws every figure of a results folder
(what ``govsim plot DIR`` writes to ``DIR/figures/``)::

    import govsim, govsim.plots as gp
    data = govsim.load("results/policy_comparison")
    gp.plot_backlog(data.timeseries, "street")
    gp.plot_paired(data.paired, "backlog_mean")
"""

from govsim.plots.bunching import plot_bunching
from govsim.plots.closing import plot_time_to_close
from govsim.plots.curves import plot_backlog, plot_daily_flow
from govsim.plots.equity import plot_equity_map, plot_street_spread
from govsim.plots.figures import make_figures
from govsim.plots.forest import plot_paired
from govsim.plots.league import plot_league
from govsim.plots.network import plot_network
from govsim.plots.rates import plot_rate
from govsim.plots.sweeps import plot_sensitivity, plot_sweep
from govsim.plots.tiers import plot_tier_shares

__all__ = [
    "make_figures",
    "plot_backlog",
    "plot_bunching",
    "plot_daily_flow",
    "plot_equity_map",
    "plot_league",
    "plot_network",
    "plot_paired",
    "plot_rate",
    "plot_sensitivity",
    "plot_street_spread",
    "plot_sweep",
    "plot_tier_shares",
    "plot_time_to_close",
]
