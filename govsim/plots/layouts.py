"""The multi-panel figures: each lays out panels drawn by the Axes functions of one family."""

from __future__ import annotations

import networkx as nx
from matplotlib.figure import Figure

from govsim.plots import (
    bunching,
    closing,
    curves,
    equity,
    forest,
    goodhart,
    league,
    network,
    problems,
    rates,
    sweeps,
    tiers,
    workload,
)
from govsim.plots.inputs import PlotInputs
from govsim.plots.style import new_figure, panel_grid


def bands_text(inputs: PlotInputs) -> str:
    """How the lines are summarised, for titles and captions."""
    if inputs.replications <= 1:
        return "one run"
    return f"mean and 95% band across {inputs.replications} replications"


def _suptitle(fig: Figure, inputs: PlotInputs, text: str) -> None:
    suffix = f" ({inputs.note})" if inputs.note else ""
    fig.suptitle(f"{inputs.label}: {text}{suffix}", fontsize="large")


def _shared_legend(fig: Figure, axes: list, columns: int = 6) -> None:
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=min(columns, len(labels)),
        fontsize="small",
    )


def backlog_figure(inputs: PlotInputs) -> Figure:
    """Backlog per tier, one panel per tier, one shared legend of variants."""
    tiers_present = curves.backlog_tiers(inputs.timeseries)
    fig = new_figure(13, 7)
    axes = panel_grid(fig, len(tiers_present), columns=4)
    for ax, tier in zip(axes, tiers_present, strict=True):
        curves.plot_backlog(
            inputs.timeseries,
            tier,
            ax=ax,
            variants=inputs.variants,
            warmup_days=inputs.warmup_days,
            legend=False,
        )
    _shared_legend(fig, axes)
    _suptitle(fig, inputs, f"backlog per tier, {bands_text(inputs)}")
    return fig


def flows_figure(inputs: PlotInputs) -> Figure:
    """Appeals created and cases closed per day, side by side."""
    fig = new_figure(12, 4.5)
    axes = panel_grid(fig, 2, columns=2)
    for ax, metric in zip(axes, ("arrived", "closed"), strict=True):
        curves.plot_daily_flow(
            inputs.timeseries, metric, ax=ax, variants=inputs.variants, legend=False
        )
    _shared_legend(fig, axes)
    _suptitle(fig, inputs, f"arrivals and closures per day, {bands_text(inputs)}")
    return fig


def rates_figure(inputs: PlotInputs) -> Figure:
    """The three rates per month, one panel each."""
    fig = new_figure(13, 4.5)
    axes = panel_grid(fig, 3, columns=3)
    for ax, rate in zip(axes, rates.RATES, strict=True):
        rates.plot_rate(inputs.table("kpis"), rate, ax=ax, variants=inputs.variants, legend=False)
    _shared_legend(fig, axes)
    after = f", appeals after the {inputs.warmup_days:g}-day warm-up" if inputs.warmup_days else ""
    _suptitle(fig, inputs, f"the three rates per month{after}, {bands_text(inputs)}")
    return fig


def problems_figure(inputs: PlotInputs) -> Figure:
    """Reported resolution against the true fix rate, per month (runs with problems)."""
    fig = new_figure(10, 4.5)
    ax = fig.subplots()
    problems.plot_reported_vs_true(inputs.table("kpis"), ax=ax, variants=inputs.variants)
    _suptitle(fig, inputs, f"reported against true, {bands_text(inputs)}")
    return fig


def goodhart_figure(inputs: PlotInputs) -> Figure:
    """Measured against true resolution and satisfaction per street and month (runs with
    units that answer to their assessment)."""
    fig = new_figure(11, 5)
    table = inputs.table("assessment")
    for ax, rate in zip(fig.subplots(1, 2), goodhart.PAIRS, strict=True):
        goodhart.plot_measured_vs_true(table, rate, ax=ax)
    _suptitle(fig, inputs, "measured against true (assessment)")
    return fig


def workload_figure(inputs: PlotInputs) -> Figure:
    """Hours per person and week per tier, and the share of time on cases per month (runs
    with the workload mechanism)."""
    fig = new_figure(11, 4.5)
    table = inputs.table("workload")
    hours, share = fig.subplots(1, 2)
    workload.plot_hours(table, ax=hours)
    workload.plot_case_share(table, ax=share)
    _suptitle(fig, inputs, "people at work (workload)")
    return fig


def closing_figure(inputs: PlotInputs) -> Figure:
    """Time to close, one panel per urgency class, its limit marked."""
    limits = closing.limits_of(inputs.scenario) if inputs.scenario else {}
    present = set(inputs.table("closed")["urgency"].astype(str))
    classes = [u for u in limits if u in present] + sorted(present - set(limits))
    fig = new_figure(12, 4 * ((len(classes) + 1) // 2))
    for ax, urgency in zip(panel_grid(fig, len(classes), columns=2), classes, strict=True):
        closing.plot_time_to_close(
            inputs.table("closed"), urgency, limits.get(urgency), ax=ax, variants=inputs.variants
        )
    pooled = f", {inputs.replications} replications pooled" if inputs.replications > 1 else ""
    _suptitle(fig, inputs, f"time to close work orders per urgency class{pooled}")
    return fig


def bunching_figure(inputs: PlotInputs) -> Figure:
    """Closures around the limit, one panel per urgency class with a limit."""
    limits = closing.limits_of(inputs.scenario) if inputs.scenario else {}
    present = set(inputs.table("closed")["urgency"].astype(str))
    classes = [u for u in limits if u in present]
    fig = new_figure(12, 4 * max(1, (len(classes) + 1) // 2))
    for ax, urgency in zip(panel_grid(fig, len(classes), columns=2), classes, strict=True):
        bunching.plot_bunching(
            inputs.table("closed"), urgency, limits[urgency], ax=ax, variants=inputs.variants
        )
    pooled = f", {inputs.replications} replications pooled" if inputs.replications > 1 else ""
    _suptitle(fig, inputs, f"closures around the time limit per urgency class{pooled}")
    return fig


def tiers_figure(inputs: PlotInputs) -> Figure:
    """Share of closed cases per closing tier."""
    fig = new_figure(9, 4.8)
    tiers.plot_tier_shares(inputs.table("closed"), ax=fig.subplots(), variants=inputs.variants)
    _suptitle(fig, inputs, bands_text(inputs))
    return fig


def league_figure(inputs: PlotInputs) -> Figure:
    """Street league heat map, sized to the number of streets."""
    matrix = league.league_matrix(inputs.table("kpis"), inputs.variants)
    rows = min(len(matrix), league.MAX_ROWS)
    fig = new_figure(max(6.0, 2.5 + 1.3 * matrix.shape[1]), 2.2 + 0.28 * rows)
    weights = None
    if inputs.scenario is not None:
        from govsim.policies.ranking import composite_weights

        weights = composite_weights(inputs.scenario.policies)
    league.plot_league(
        inputs.table("kpis"), ax=fig.subplots(), variants=inputs.variants, weights=weights
    )
    _suptitle(fig, inputs, "mean across replications" if inputs.replications > 1 else "one run")
    return fig


def forest_figure(inputs: PlotInputs) -> Figure:
    """Paired differences, one panel per outcome; variant names once per row."""
    metrics = list(dict.fromkeys(inputs.table("paired")["metric"].astype(str)))
    columns = 3
    rows = -(-len(metrics) // columns)
    fig = new_figure(14, 0.8 + rows * (0.45 * len(inputs.variants) + 1.6))
    axes = panel_grid(fig, len(metrics), columns=columns)
    for i, (ax, metric) in enumerate(zip(axes, metrics, strict=True)):
        forest.plot_paired(
            inputs.table("paired"), metric, ax=ax, variants=inputs.variants, legend=i == 0
        )
        if i % columns:  # the variants read once per row
            ax.set_ylabel("")
            ax.tick_params(labelleft=False)
    _suptitle(fig, inputs, "paired differences against the baseline, 95% CI")
    return fig


def network_figure(inputs: PlotInputs, variant: str, graph: nx.MultiDiGraph) -> Figure:
    """The network of one variant, nodes coloured by its loads."""
    fig = new_figure(12, 7)
    network.plot_network(graph, inputs.table("loads"), variant=variant, ax=fig.subplots())
    return fig


def equity_figure(inputs: PlotInputs) -> Figure:
    """The spread across streets: median time to close (p90 whiskers), its ratio to the limit,
    backlog per resident."""
    places = inputs.table("equity")
    n = int((places["unit_type"].astype(str) == "street").sum())
    fig = new_figure(14, 1.6 + 0.22 * min(n, equity.MAX_LABELLED))
    axes = panel_grid(fig, 3, columns=3)
    for ax, measure in zip(axes, ("time_to_close", "over_limit", "backlog"), strict=True):
        equity.plot_street_spread(places, measure, ax=ax)
    fig.legend(handles=equity.spread_handles(), loc="outside lower center", ncols=3)
    _suptitle(fig, inputs, "who waits longest and where (work orders by street, one run)")
    return fig


def equity_map_figure(inputs: PlotInputs, graph: nx.MultiDiGraph) -> Figure:
    """The jurisdiction with its streets coloured by median time to close."""
    fig = new_figure(12, 6)
    equity.plot_equity_map(graph, inputs.table("equity"), ax=fig.subplots())
    _suptitle(fig, inputs, "time to close across the jurisdiction (one run)")
    return fig


def sweep_figure(inputs: PlotInputs, parameter: str) -> Figure:
    """Every outcome against one swept parameter."""
    metrics = list(dict.fromkeys(inputs.table("sweep")["metric"].astype(str)))
    fig = new_figure(13, 3.6 * (-(-len(metrics) // 3)) + 0.8)
    axes = panel_grid(fig, len(metrics), columns=3)
    for ax, metric in zip(axes, metrics, strict=True):
        sweeps.plot_sweep(
            inputs.table("sweep"), metric, parameter, ax=ax, variants=inputs.variants, legend=False
        )
    _shared_legend(fig, axes)
    fig.suptitle(f"{inputs.label}: outcomes versus {parameter} (mean, 95% CI across replications)")
    return fig


def sensitivity_figure(inputs: PlotInputs) -> Figure:
    """Sensitivity indices per outcome, parameters ranked."""
    metrics = list(dict.fromkeys(inputs.table("sensitivity")["metric"].astype(str)))
    index = sweeps.sensitivity_index(inputs.table("sensitivity"))
    parameters = inputs.table("sensitivity")["parameter"].nunique()
    rows = -(-len(metrics) // 3)
    fig = new_figure(14, 0.6 + rows * (1.2 + 0.3 * parameters * max(1, len(inputs.variants))))
    axes = panel_grid(fig, len(metrics), columns=min(3, len(metrics)))
    for i, (ax, metric) in enumerate(zip(axes, metrics, strict=True)):
        sweeps.plot_sensitivity(
            inputs.table("sensitivity"),
            metric,
            ax=ax,
            index=index,
            variants=inputs.variants,
            legend=i == 0,
        )
        if i:
            ax.set_ylabel("")
    fig.suptitle(
        f"{inputs.label}: sensitivity, parameters ranked by {sweeps.INDEX_LABELS.get(index, index)}"
    )
    return fig
