"""Who waits longest and where: the spread of time to close and backlog across streets, and the
jurisdiction drawn with its streets coloured by time to close.

Both draw a run's ``equity.parquet`` (:func:`govsim.results.equity.place_table`): streets
with fewer than :data:`~govsim.results.equity.MIN_CLOSED` closed work orders, which the
indices leave out, are drawn hatched (spread) or grey (map).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from govsim.network.graph import node_id
from govsim.plots.network import CMAP, layered_layout
from govsim.plots.style import axes_or_new
from govsim.results.equity import MIN_CLOSED, gini, street_rows, worst_decile_ratio

MAX_LABELLED = 40
"""Streets named on the axis; more are drawn unnamed."""


def _streets(places: pd.DataFrame) -> pd.DataFrame:
    streets = street_rows(places).copy()
    streets["unit"] = streets["unit"].astype(str)
    streets["counted"] = streets["closed"] >= MIN_CLOSED
    return streets


def plot_street_spread(
    places: pd.DataFrame, measure: str = "time_to_close", *, ax: Axes | None = None
) -> Axes:
    """Streets sorted by ``measure``, worst on top: ``time_to_close`` (median hours of closed
    work orders, a whisker to the 90th percentile), ``over_limit`` (median ratio of time to
    close to the urgency limit, the limit at 1) or ``backlog`` (open work orders at the end per
    10,000 residents)."""
    ax = axes_or_new(ax)
    streets = _streets(places)
    column, label = {
        "time_to_close": ("time_to_close_median", "median time to close (hours)"),
        "over_limit": ("time_over_limit_median", "median time to close over its limit"),
        "backlog": ("open_per_10k", "open work orders at end per 10,000 residents"),
    }[measure]
    streets = streets.sort_values(column, na_position="first")
    y = np.arange(len(streets))
    values = streets[column].to_numpy(float)
    timed = measure != "backlog"
    counted = streets["counted"].to_numpy() if timed else np.ones(len(streets), dtype=bool)
    ax.barh(y[counted], np.nan_to_num(values[counted]), color="C0", height=0.7)
    ax.barh(
        y[~counted],
        np.nan_to_num(values[~counted]),
        color="0.85",
        edgecolor="0.4",
        hatch="//",
        height=0.7,
    )
    if measure == "time_to_close":
        p90 = streets["time_to_close_p90"].to_numpy(float)
        ax.hlines(y, values, p90, color="black", linewidth=1)
        ax.plot(p90, y, "|", color="black", markersize=6)
    if measure == "over_limit":
        ax.axvline(1.0, color="black", linestyle="--", linewidth=1)
    kept = values[counted & np.isfinite(values)]
    if len(kept):
        ax.set_title(
            f"Gini {gini(kept):.3f}, worst decile / median {worst_decile_ratio(kept):.2f}",
            fontsize="medium",
        )
    if len(streets) <= MAX_LABELLED:
        ax.set_yticks(y, streets["unit"], fontsize="x-small" if len(streets) > 15 else "small")
        ax.set_ylabel("street, worst on top")
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{len(streets)} streets, worst on top")
    ax.set_xlabel(label)
    ax.set_ylim(-0.7, len(streets) - 0.3)
    ax.grid(True, axis="x", alpha=0.3)
    return ax


def spread_handles() -> list[Artist]:
    """The key of the spread panels: counted streets, streets left out, the p90 whisker."""
    return [
        Patch(color="C0", label=f"street in the indices (>= {MIN_CLOSED} closed work orders)"),
        Patch(facecolor="0.85", edgecolor="0.4", hatch="//", label="fewer closed: left out"),
        Line2D([], [], color="black", marker="|", label="to the 90th percentile"),
    ]


def plot_equity_map(
    graph: nx.MultiDiGraph,
    places: pd.DataFrame,
    *,
    ax: Axes | None = None,
    colorbar: bool = True,
) -> Axes:
    """Districts > streets > grids in layers (:func:`govsim.plots.network.layered_layout`),
    streets coloured by their median time to close and sized by their open work orders per
    10,000 residents; grids take their street's colour, streets left out of the indices are
    grey."""
    ax = axes_or_new(ax)
    tier = nx.get_node_attributes(graph, "tier")
    territory = graph.subgraph(n for n in graph if tier.get(n) in ("district", "street", "grid"))
    pos = layered_layout(territory)
    streets = _streets(places).set_index("unit")
    median = {
        node_id("street", str(name)): row["time_to_close_median"] if row["counted"] else np.nan
        for name, row in streets.iterrows()
    }
    finite = [v for v in median.values() if np.isfinite(v)]
    norm = Normalize(min(finite), max(finite)) if finite else Normalize(0, 1)
    from matplotlib import colormaps

    cmap = colormaps[CMAP]

    def colour(value: float) -> object:
        return cmap(norm(value)) if np.isfinite(value) else "0.8"

    parent = {v: u for u, v, k in territory.edges(data="kind") if k == "contains"}
    grids = [n for n in territory if tier.get(n) == "grid"]
    many = len(grids) > 100  # hundreds of grid links: a light fan, not a solid block
    nx.draw_networkx_edges(
        territory,
        pos,
        edgelist=[(u, v) for u, v, k in territory.edges(data="kind") if k == "contains"],
        ax=ax,
        edge_color="0.6",
        arrows=False,
        width=0.3 if many else 0.6,
        alpha=0.3 if many else 1.0,
    )
    nx.draw_networkx_nodes(
        territory,
        pos,
        nodelist=grids,
        ax=ax,
        node_size=12 if many else 40,
        node_color=[colour(median.get(parent.get(g, ""), np.nan)) for g in grids],
        linewidths=0,
    )
    street_nodes = [n for n in territory if tier.get(n) == "street"]
    backlog = {
        node_id("street", str(name)): row["open_per_10k"] for name, row in streets.iterrows()
    }
    largest = max([v for v in backlog.values() if np.isfinite(v)] + [1e-9])
    nx.draw_networkx_nodes(
        territory,
        pos,
        nodelist=street_nodes,
        ax=ax,
        node_size=[60 + 400 * np.nan_to_num(backlog.get(n, 0.0)) / largest for n in street_nodes],
        node_color=[colour(median.get(n, np.nan)) for n in street_nodes],
        edgecolors="black",
        linewidths=0.5,
    )
    districts = [n for n in territory if tier.get(n) == "district"]
    nx.draw_networkx_nodes(
        territory,
        pos,
        nodelist=districts,
        ax=ax,
        node_shape="s",
        node_size=200,
        node_color="0.9",
        edgecolors="black",
        linewidths=0.5,
    )
    for node in districts + (street_nodes if len(street_nodes) <= MAX_LABELLED else []):
        x, y = pos[node]
        ax.annotate(
            str(territory.nodes[node]["name"]),
            (x, y),
            xytext=(0, 12),
            textcoords="offset points",
            ha="center",
            fontsize=7 if tier[node] == "street" else 8,
            rotation=0 if len(street_nodes) <= 12 or tier[node] == "district" else 90,
            fontweight="bold" if tier[node] == "district" else "normal",
        )
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.35, 2.6)
    ax.set_yticks([0, 1, 2], ["grids", "streets", "districts"])
    ax.set_ylabel("tier")
    ax.tick_params(left=False, bottom=False, labelbottom=False, labelleft=True)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel(
        "streets sized by open work orders at end per 10,000 residents; grey: fewer "
        f"than {MIN_CLOSED} closed work orders"
    )
    ax.set_title("Median time to close by street")
    if colorbar and finite:
        from matplotlib.cm import ScalarMappable

        bar = ax.figure.colorbar(ScalarMappable(norm=norm, cmap=CMAP), ax=ax, shrink=0.7)
        bar.set_label("median time to close (hours)")
    return ax
