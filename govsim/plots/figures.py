"""Every figure of a run, experiment or study folder: what ``govsim plot`` and ``govsim report``
draw.

:func:`figure_specs` lists the figures the data allow (a forest plot needs paired
differences, a sweep needs swept parameters...); :func:`make_figures` builds each one
and writes it as PNG and SVG to ``DIR/figures/``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from govsim.core.errors import UserInputError
from govsim.core.io import FolderInUse, check_subfolder, is_figure, link_entry, output_folder
from govsim.core.progress import Progress
from govsim.plots import goodhart, problems, sweeps, workload
from govsim.plots.inputs import PlotInputs, inputs_for
from govsim.plots.layouts import (
    backlog_figure,
    bands_text,
    bunching_figure,
    closing_figure,
    equity_figure,
    equity_map_figure,
    flows_figure,
    forest_figure,
    goodhart_figure,
    league_figure,
    network_figure,
    problems_figure,
    rates_figure,
    sensitivity_figure,
    sweep_figure,
    tiers_figure,
    workload_figure,
)
from govsim.plots.style import FORMATS, ensure_glyphs, safe_name, save
from govsim.results.loading import ExperimentData, Results, StudyData


@dataclass
class FigureSpec:
    name: str
    caption: str
    build: Callable[[], Figure]


@dataclass
class MadeFigure:
    name: str
    caption: str
    paths: list[Path]

    def path(self, fmt: str = "png") -> Path:
        return next(p for p in self.paths if p.suffix == f".{fmt}")


def figure_specs(inputs: PlotInputs) -> list[FigureSpec]:
    """The figures ``inputs`` support, in reading order."""
    specs = [
        FigureSpec(
            "backlog",
            f"Open cases over time per tier ({bands_text(inputs)}).",
            lambda: backlog_figure(inputs),
        ),
        FigureSpec(
            "flows",
            f"Appeals created and cases closed per day, whole city ({bands_text(inputs)}).",
            lambda: flows_figure(inputs),
        ),
    ]
    if inputs.kpis is not None and len(inputs.kpis):
        specs.append(
            FigureSpec(
                "rates",
                f"The three rates per month of appeal ({bands_text(inputs)}); months the run "
                "covers only in part are left out, or, when no month is whole, labelled with "
                "their days in the run.",
                lambda: rates_figure(inputs),
            )
        )
    if problems.has_problems(inputs.kpis):
        specs.append(
            FigureSpec(
                "reported_vs_true",
                "Reported resolution rate against the true fix rate (closed cases of problems "
                f"that really fixed them), per month ({bands_text(inputs)}).",
                lambda: problems_figure(inputs),
            )
        )
    if goodhart.has_streets(inputs.assessment):
        specs.append(
            FigureSpec(
                "measured_vs_true",
                "Measured against true, per street and month: the resolution rate against the "
                "true fix rate, the satisfaction rate against the rating unpressed; coloured by "
                "the rank group the street's behaviour answered to (dashed: measure = truth).",
                lambda: goodhart_figure(inputs),
            )
        )
    if workload.has_workload(inputs.workload):
        specs.append(
            FigureSpec(
                "workload",
                "People at work: hours per person and week per tier on cases, on other duties, "
                "idle on duty and overtime (hatched); the share of hours on cases against other "
                "duties per tier and month.",
                lambda: workload_figure(inputs),
            )
        )
    if inputs.closed is not None and len(inputs.closed):
        specs.append(
            FigureSpec(
                "time_to_close",
                "Time to close of the closed work orders per urgency class (cases still open "
                "at the end are not in it), the class's time limit dashed.",
                lambda: closing_figure(inputs),
            )
        )
        if inputs.scenario is not None:
            specs.append(
                FigureSpec(
                    "bunching",
                    "Closed work orders by time to close over their urgency class's limit (1: "
                    "at the limit), bins of 2% of the limit; dashed, the smooth counterfactual "
                    "(a Poisson fit leaving out 15% of the limit either side of it); shaded, the "
                    "last 15% before the limit, where a unit pressed on lateness closes cases; "
                    "the legend's excess is the closures there over the counterfactual, minus 1.",
                    lambda: bunching_figure(inputs),
                )
            )
        specs.append(
            FigureSpec(
                "tiers", "Share of closed cases closed at each tier.", lambda: tiers_figure(inputs)
            )
        )
    if inputs.kpis is not None and (inputs.kpis["unit_type"].astype(str) == "street").any():
        specs.append(
            FigureSpec(
                "league",
                "Street league table: composite score (0.1 response + "
                "0.5 resolution + 0.4 satisfaction), best first.",
                lambda: league_figure(inputs),
            )
        )
    if inputs.equity is not None and (inputs.equity["unit_type"].astype(str) == "street").any():
        specs.append(
            FigureSpec(
                "equity",
                "Work orders by street, worst on top: median time to close with a whisker to "
                "the 90th percentile, its median ratio to the urgency limit (dashed at 1), and "
                "open work orders at the end per 10,000 residents; hatched streets have too few "
                "closed work orders for the indices (in the panel titles).",
                lambda: equity_figure(inputs),
            )
        )
        for graph in list(inputs.graphs.values())[:1]:
            specs.append(
                FigureSpec(
                    "equity_map",
                    "Districts, streets and grids, streets coloured by median time to close "
                    "and sized by open work orders per 10,000 residents.",
                    partial(equity_map_figure, inputs, graph),
                )
            )
    if inputs.paired is not None:
        specs.append(
            FigureSpec(
                "paired",
                "Paired differences against the baseline, 95% CIs (forest plot).",
                lambda: forest_figure(inputs),
            )
        )
    # The network is coloured by the cases each unit closed: a run kept without its case
    # table (summary only) has no loads, and gets no network figure rather than an error.
    for variant, graph in inputs.graphs.items() if inputs.loads is not None else ():
        name = "network" if len(inputs.graphs) == 1 else f"network_{safe_name(variant)}"
        specs.append(
            FigureSpec(
                name,
                f"Jurisdiction and whistle network ({variant}), nodes coloured by "
                "cases closed per day.",
                partial(network_figure, inputs, variant, graph),
            )
        )
    if inputs.sweep is not None:
        for parameter in sweeps.swept_parameters(inputs.sweep):
            specs.append(
                FigureSpec(
                    f"sweep_{safe_name(parameter)}",
                    f"Outcomes versus {parameter} (95% CIs).",
                    partial(sweep_figure, inputs, parameter),
                )
            )
    if inputs.sensitivity is not None:
        specs.append(
            FigureSpec(
                "sensitivity",
                "Sensitivity indices per outcome, most influential first.",
                lambda: sensitivity_figure(inputs),
            )
        )
    return specs


def make_figures(
    data: Results,
    out: str | Path | None = None,
    *,
    formats: Sequence[str] = FORMATS,
    replay: bool = True,
    replications: int | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> list[MadeFigure]:
    """Build every figure of ``data`` and write it to ``out`` (default ``DIR/figures/``).

    ``DIR/figures/`` is replaced in one step (:func:`govsim.core.io.output_folder`): its figures
    (:func:`govsim.core.io.is_figure`) are those of one ``govsim plot``, never a mix with an
    earlier one's, and everything else there is kept as it is (hard-linked into the new
    folder): govsim deletes no file it did not write. An ``out`` folder is written into
    as it is.
    """
    if isinstance(data, StudyData):
        specs = study_specs(data)
    else:
        inputs = inputs_for(
            data, replay=replay, replications=replications, workers=workers, progress=progress
        )
        ensure_glyphs(_names(inputs))
        specs = figure_specs(inputs) + _discovery_specs(data)
    unnamed = [s.name for s in specs if not is_figure(f"{s.name}.png")]
    if unnamed:  # else the next plot would keep them as the user's
        raise RuntimeError(f"not in govsim.core.io.FIGURE_NAMES: {unnamed} (a bug of govsim)")
    if out is not None:
        return _draw(specs, Path(out), formats, progress)
    target = figures_folder(data.path)
    with output_folder(target) as folder:
        made = _draw(specs, folder, formats, progress)
        if target.is_dir():
            for entry in target.iterdir():
                if not is_figure(entry.name):
                    link_entry(entry, folder / entry.name)
    shown = data.path / "figures"
    return [MadeFigure(m.name, m.caption, [shown / p.name for p in m.paths]) for m in made]


def figures_folder(results: Path) -> Path:
    """``results/figures``, resolved, where it may take govsim's figures: a folder or absent,
    and no link to a folder elsewhere (:func:`govsim.core.io.check_subfolder`)."""
    try:
        return check_subfolder(Path(results), "figures")
    except FolderInUse as exc:
        raise UserInputError(exc.reason, source=str(Path(results) / "figures")) from None


def _draw(
    specs: list[FigureSpec], folder: Path, formats: Sequence[str], progress: bool
) -> list[MadeFigure]:
    made = []
    with Progress(len(specs), desc="figures", unit="figure", enabled=progress) as bar:
        for spec in specs:
            fig = spec.build()
            made.append(MadeFigure(spec.name, spec.caption, save(fig, folder, spec.name, formats)))
            bar.update(1)
    return made


def study_specs(data: StudyData) -> list[FigureSpec]:
    """The figures of a policy search: the front, and the levers of every trial."""
    from govsim.plots.pareto import parallel_figure, pareto_figure

    objectives = data.objectives
    if len(objectives) == 1:
        caption = (
            "Each trial's estimate by trial number, the best so far, and the best candidate "
            "re-evaluated on fresh seeds (95% CI)."
        )
    else:
        caption = (
            "Pareto front: every feasible trial (grey), the front's search estimates (open) and "
            "the front re-evaluated on fresh seeds with 95% CIs (filled, numbered by trial)."
        )
    specs = [
        FigureSpec("pareto", caption, lambda: pareto_figure(data.trials, data.front, objectives))
    ]
    if len(data.trials):
        specs.append(
            FigureSpec(
                "parallel",
                "Parallel coordinates: each feasible trial's levers and objectives, every axis "
                "scaled to its range; bold lines are on the search front.",
                lambda: parallel_figure(data.trials, data.levers, objectives),
            )
        )
    return specs


def _discovery_specs(data: Results) -> list[FigureSpec]:
    """The PRIM peeling trade-off, when ``govsim discover`` has been run on the experiment."""
    table = data.path / "discovery.parquet"
    if not isinstance(data, ExperimentData) or not table.is_file():
        return []
    from govsim.plots.discovery import peeling_figure

    trajectory = pd.read_parquet(table)
    box_table = data.path / "discovery_box.parquet"
    box = pd.read_parquet(box_table) if box_table.is_file() else None
    label = ""
    if len(trajectory):
        label = f"{trajectory['outcome'].iloc[0]} {trajectory['rule'].iloc[0]}"
    return [
        FigureSpec(
            "discovery",
            f"Scenario discovery (PRIM) for {label}: coverage against density of each box on the "
            "peeling trajectory, the reported box ringed; beside it the reported box's limits "
            "within each parameter's sampled range.",
            lambda: peeling_figure(trajectory, label, box),
        )
    ]


def _names(inputs: PlotInputs) -> list[str]:
    names = list(inputs.variants)
    for graph in inputs.graphs.values():
        names += [str(n) for n in graph]
    return names
