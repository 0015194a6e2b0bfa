"""The jurisdiction and whistle network (govsim.network.graph) drawn in layers, nodes coloured by
load.

Hotline on top, then districts, streets and grids, each parent centred over its children;
departments in a column on the right. Node colour is the number of cases the unit
closed per day (mean across replications), on a log scale when loads span decades.
"""

from __future__ import annotations

from typing import Literal, cast

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize
from matplotlib.lines import Line2D

from govsim.network.graph import HOTLINE, node_id
from govsim.plots.style import axes_or_new

SHAPES = {
    "hotline": ("*", 420),
    "district": ("s", 230),
    "street": ("o", 150),
    "department": ("D", 110),
    "grid": ("o", 40),
}
LineStyle = Literal["solid", "dashed"]
EDGES: dict[str, tuple[str, LineStyle, bool, str]] = {  # kind: (colour, style, arrows, label)
    "contains": ("0.6", "solid", False, "contains / escalates to"),
    "dispatches_to": ("tab:blue", "solid", True, "dispatches orders to"),
    "whistles": ("tab:red", "dashed", True, "whistles (calls a department)"),
}
CMAP = "viridis"


def layered_layout(graph: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Positions: grids evenly along the bottom, parents above the mean of their children."""
    tier = nx.get_node_attributes(graph, "tier")
    children: dict[str, list[str]] = {}
    for parent, child, kind in graph.edges(data="kind"):
        if kind == "contains":
            children.setdefault(parent, []).append(child)
    pos: dict[str, tuple[float, float]] = {}
    grids = [n for n in graph if tier.get(n) == "grid"]
    for i, grid in enumerate(grids):
        pos[grid] = ((i + 0.5) / max(len(grids), 1), 0.0)
    for level, name in ((1.0, "street"), (2.0, "district")):
        units = [n for n in graph if tier.get(n) == name]
        for j, unit in enumerate(units):
            xs = [pos[c][0] for c in children.get(unit, []) if c in pos]
            pos[unit] = (float(np.mean(xs)) if xs else (j + 0.5) / max(len(units), 1), level)
    pos[HOTLINE] = (0.5, 3.0)
    departments = [n for n in graph if tier.get(n) == "department"]
    for k, dep in enumerate(departments):
        pos[dep] = (1.22, 3.0 * (1 - (k + 0.5) / max(len(departments), 1)))
    return pos


def node_loads(loads: pd.DataFrame | None, variant: str | None = None) -> dict[str, float]:
    """Mean cases closed per day per unit (across replications) for ``variant``, by node id."""
    if loads is None or loads.empty:
        return {}
    rows = (
        loads
        if variant is None or "variant" not in loads
        else loads[loads["variant"].astype(str) == variant]
    )
    runs = rows[["replication"]].drop_duplicates().shape[0] if "replication" in rows else 1
    per_day = rows.groupby(["tier", "unit"], observed=True)["per_day"].sum() / max(runs, 1)
    by_node: dict[str, float] = {}
    for key, value in per_day.items():
        tier, unit = cast(tuple[str, str], key)  # the index has two levels
        by_node[node_id(str(tier), str(unit))] = float(value)
    return by_node


def plot_network(
    graph: nx.MultiDiGraph,
    loads: pd.DataFrame | None = None,
    *,
    variant: str | None = None,
    ax: Axes | None = None,
    colorbar: bool = True,
) -> Axes:
    """Draw ``graph`` in layers; colour nodes by cases closed per day (grey: no load data)."""
    ax = axes_or_new(ax)
    pos = layered_layout(graph)
    tier = nx.get_node_attributes(graph, "tier")
    load = node_loads(loads, variant)
    values = np.array([v for v in load.values() if v > 0])
    norm: Normalize = Normalize(0, 1)
    if len(values):
        low, high = float(values.min()), float(values.max())
        norm = LogNorm(low, high) if high > 20 * low else Normalize(0, high)
    many_grids = sum(1 for t in tier.values() if t == "grid") > 100
    for kind, (colour, style, arrows, _) in EDGES.items():
        edges = [(u, v) for u, v, k in graph.edges(data="kind") if k == kind]
        if not edges:
            continue
        extra = (
            {"arrowsize": 8, "node_size": 120, "connectionstyle": "arc3,rad=0.08"} if arrows else {}
        )
        alpha, width = (0.35 if kind == "whistles" else 0.8), 0.8
        if (
            kind == "contains" and many_grids
        ):  # hundreds of grid links: a light fan, not a solid block
            alpha, width = 0.15, 0.3
        nx.draw_networkx_edges(
            graph,
            pos,
            edgelist=edges,
            ax=ax,
            edge_color=colour,
            style=style,
            arrows=arrows,
            width=width,
            alpha=alpha,
            **extra,
        )
    for name, (shape, size) in SHAPES.items():
        nodes = [n for n in graph if tier.get(n) == name]
        if not nodes:
            continue
        size = 8 if name == "grid" and many_grids else size
        levels = [norm(load[n]) if load.get(n, 0) > 0 else np.nan for n in nodes]
        face = _colours(levels)
        nx.draw_networkx_nodes(
            graph,
            pos,
            nodelist=nodes,
            ax=ax,
            node_shape=shape,
            node_size=size,
            node_color=face,
            edgecolors="black",
            linewidths=0.5,
        )
    _labels(ax, graph, pos, tier)
    ax.set_xlim(-0.05, 1.5)
    ax.set_ylim(-0.35, 3.4)
    ax.set_yticks([0, 1, 2, 3], ["grids", "streets", "districts", "hotline"])
    ax.set_ylabel("tier")
    ax.tick_params(left=False, bottom=False, labelbottom=False, labelleft=True)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel(
        "districts, streets and grids by jurisdiction (left); city-wide departments (right)"
    )
    title = "Jurisdiction and whistle network" + (f": {variant}" if variant else "")
    ax.set_title(title)
    ax.legend(
        handles=_legend(graph, tier, grey=bool(load) and any(load.get(n, 0) <= 0 for n in graph)),
        fontsize="x-small",
        loc="upper left",
        framealpha=0.9,
    )
    if colorbar and len(values):
        from matplotlib.cm import ScalarMappable

        bar = ax.figure.colorbar(ScalarMappable(norm=norm, cmap=CMAP), ax=ax, shrink=0.7)
        scale = " (log scale)" if isinstance(norm, LogNorm) else ""
        bar.set_label(f"cases closed per day{scale}")
    return ax


def _colours(values: list[float]) -> list:
    from matplotlib import colormaps

    cmap = colormaps[CMAP]
    return [cmap(v) if np.isfinite(v) else "0.8" for v in values]


def _labels(ax: Axes, graph: nx.MultiDiGraph, pos: dict, tier: dict) -> None:
    streets = [n for n in graph if tier.get(n) == "street"]
    for node, name in graph.nodes(data="name"):
        t = tier.get(node)
        x, y = pos[node]
        if t in ("hotline", "district"):
            ax.annotate(
                str(name),
                (x, y),
                xytext=(0, 11),
                textcoords="offset points",
                ha="center",
                fontsize=8,
                fontweight="bold",
            )
        elif t == "department":
            ax.annotate(
                str(name).replace("_", " "),
                (x, y),
                xytext=(8, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=7,
            )
        elif t == "street" and len(streets) <= 40:
            ax.annotate(
                str(name),
                (x, y),
                xytext=(0, -12),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=6,
                rotation=0 if len(streets) <= 12 else 90,
            )


def _legend(graph: nx.MultiDiGraph, tier: dict, grey: bool) -> list[Line2D]:
    present = set(tier.values())
    kinds = {k for _, _, k in graph.edges(data="kind")}
    handles = [
        Line2D(
            [],
            [],
            marker=SHAPES[t][0],
            linestyle="",
            color="0.5",
            markeredgecolor="black",
            markersize=8 if t != "grid" else 5,
            label=t,
        )
        for t in SHAPES
        if t in present
    ]
    handles += [
        Line2D([], [], color=c, linestyle=s, label=label)
        for k, (c, s, _, label) in EDGES.items()
        if k in kinds
    ]
    if grey:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color="0.8",
                markeredgecolor="black",
                label="no case closed there",
            )
        )
    return handles
