"""What the figures draw from: a run's own tables, or an experiment's plus its replayed runs.

:func:`inputs_for` turns a loaded folder into :class:`PlotInputs`, the same shape for a
run (one variant, one replication) and an experiment, so every figure has one code path.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from govsim.plots import sweeps
from govsim.results.case_views import run_case_views
from govsim.results.loading import ExperimentData, RunData
from govsim.scenario.schema import Scenario


@dataclass
class PlotInputs:
    """The frames every figure draws from, the same shape for a run and an experiment."""

    label: str
    variants: list[str]
    replications: int
    timeseries: pd.DataFrame
    warmup_days: float = 0.0
    kpis: pd.DataFrame | None = None
    closed: pd.DataFrame | None = None
    loads: pd.DataFrame | None = None
    scenario: Scenario | None = None
    graphs: dict[str, nx.MultiDiGraph] = field(default_factory=dict)
    paired: pd.DataFrame | None = None
    sweep: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    equity: pd.DataFrame | None = None
    """A run's work orders by street and grid kind (``equity.parquet``), for the equity
    figures; None for an experiment."""
    assessment: pd.DataFrame | None = None
    """A run's measured and true rates per unit and month (``assessment.parquet``), for the
    Goodhart figure; None for an experiment or a run without the assessment mechanism."""
    workload: pd.DataFrame | None = None
    """A run's hours per tier, unit and month (``workload.parquet``), for the workload figure;
    None for an experiment or a run without the workload mechanism."""
    note: str = ""

    def table(self, name: str) -> pd.DataFrame:
        """The frame ``name`` (kpis, closed, loads, paired, sweep, sensitivity, equity); a
        figure that needs one is only drawn when it is there, so its absence is an error."""
        frame = getattr(self, name)
        if frame is None:
            raise ValueError(f"{self.label}: no {name} table to draw from")
        return frame


def inputs_for(
    data: RunData | ExperimentData,
    *,
    replay: bool = True,
    replications: int | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> PlotInputs:
    """Gather the frames to draw: a run's own tables, or an experiment's plus replayed case
    views."""
    if isinstance(data, RunData):
        name = data.scenario.name
        views = run_case_views(data.cases, data.scenario) if len(data.cases) else {}
        kpis = data.kpis.assign(variant=name, sample=0, replication=0) if len(data.kpis) else None
        return PlotInputs(
            name,
            [name],
            1,
            data.timeseries.assign(variant=name),
            kpis=kpis,
            closed=views.get("closed"),
            loads=views.get("loads"),
            scenario=data.scenario,
            graphs={name: policy_graph(data.scenario)},
            equity=data.tables.get("equity"),
            assessment=data.tables.get("assessment"),
            workload=data.tables.get("workload"),
        )
    return _experiment_inputs(data, replay, replications, workers, progress)


def policy_graph(scenario: Scenario) -> nx.MultiDiGraph:
    """The network as the run sees it: after the static policies (whistle-blowing, dispatch
    reform)."""
    from govsim.network.graph import jurisdiction_graph
    from govsim.policies import apply_policies

    return jurisdiction_graph(apply_policies(scenario))


def _experiment_inputs(
    data: ExperimentData,
    replay: bool,
    replications: int | None,
    workers: int | None,
    progress: bool,
) -> PlotInputs:
    from govsim.experiments.rerun import choose_tasks, locate_design, replay_design

    series = data.timeseries
    samples = sorted(series["sample"].unique()) if "sample" in series else [0]
    note = f"sample {samples[0]} of {len(samples)}" if len(samples) > 1 else ""
    if len(samples) > 1:
        series = series[series["sample"] == samples[0]]
    n = int(data.results["replication"].nunique()) if len(data.results) else 0
    inputs = PlotInputs(
        data.name,
        data.variant_names,
        n,
        series,
        warmup_days=float(data.experiment.get("warmup_days", 0) or 0),
        paired=data.paired if len(data.paired) else None,
        sweep=data.sweep if len(data.sweep) and sweeps.swept_parameters(data.sweep) else None,
        sensitivity=data.sensitivity if len(data.sensitivity) else None,
        note=note,
    )
    if not replay:
        return inputs
    design = locate_design(data)
    if design is None:
        warnings.warn(
            f"{data.path}: cannot find the experiment's base scenario as it was run, so its runs "
            "cannot be replayed; rates, time to close, tiers, league and network are skipped",
            stacklevel=3,
        )
        return inputs
    tasks = choose_tasks(design, replications)
    first: dict[str, Scenario] = {}
    for task in tasks:
        first.setdefault(task.variant, task.scenario)
    inputs.scenario = first.get(data.baseline) or next(iter(first.values()), None)
    inputs.graphs = {v: policy_graph(s) for v, s in first.items()}
    replayed = replay_design(data, design, tasks, workers=workers, progress=progress)
    inputs.kpis, inputs.closed, inputs.loads = replayed.kpis, replayed.closed, replayed.loads
    return inputs
